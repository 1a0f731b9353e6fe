"""dashboard.static_gzip: the stored gzip copy is the file, and only hashed assets that accept gzip get it."""

import asyncio
import gzip
from pathlib import Path

from dashboard import static_gzip
from dashboard.static_gzip import PrecompressedStatic, StaticBundle


def _bundle(tmp_path: Path) -> tuple[StaticBundle, bytes]:
    js = ("export const a = 1;\n" * 400).encode()
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "index.abc123.js").write_bytes(js)
    (tmp_path / "js" / "tiny.js").write_bytes(b"x=1")
    (tmp_path / "manifest.json").write_text('{"name": "x"}' * 200)
    (tmp_path / "logo.png").write_bytes(bytes(range(256)) * 20)
    return StaticBundle.load(tmp_path), js


def _get(app, path: str, accept: str | None = "gzip, deflate, br", method: str = "GET") -> tuple[dict, bytes]:
    passed: list[str] = []

    async def inner(scope, receive, send):
        passed.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-from", b"streamlit")]})
        await send({"type": "http.response.body", "body": b"plain"})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    headers = [(b"accept-encoding", accept.encode())] if accept is not None else []
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    asyncio.run(app(inner)(scope, receive, send))
    start = sent[0]
    return {k.decode(): v.decode() for k, v in start["headers"]}, b"".join(m.get("body", b"") for m in sent[1:])


def test_bundle_keeps_only_compressible_files(tmp_path):
    bundle, js = _bundle(tmp_path)
    assert sorted(bundle.files) == ["js/index.abc123.js"]  # not the tiny file, the png nor the manifest
    assert gzip.decompress(bundle.files["js/index.abc123.js"].body) == js
    assert bundle.gzip_bytes < bundle.raw_bytes == len(js)


def test_gzip_served_with_streamlit_cache_headers(tmp_path):
    bundle, js = _bundle(tmp_path)
    app = lambda inner: PrecompressedStatic(inner, bundle)  # noqa: E731
    headers, body = _get(app, "/static/js/index.abc123.js")
    assert headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "immutable" in headers["cache-control"] and int(headers["content-length"]) == len(body)
    assert gzip.decompress(body) == js
    headers, body = _get(app, "/static/js/index.abc123.js", method="HEAD")
    assert headers["content-encoding"] == "gzip" and body == b""


def test_everything_else_goes_to_streamlit(tmp_path):
    bundle, _ = _bundle(tmp_path)
    app = lambda inner: PrecompressedStatic(inner, bundle)  # noqa: E731
    for path, accept in [
        ("/static/js/index.abc123.js", None),  # a client that does not accept gzip
        ("/static/js/index.abc123.js", "br"),
        ("/static/js/index.abc123.js", "gzip;q=0"),
        ("/static/js/tiny.js", "gzip"),  # not stored
        ("/static/../js/index.abc123.js", "gzip"),  # not a stored key
        ("/js/index.abc123.js", "gzip"),  # outside the static route
        ("/", "gzip"),  # index.html: Streamlit serves it, never cached
    ]:
        headers, body = _get(app, path, accept)
        assert headers == {"x-from": "streamlit"} and body == b"plain", (path, accept)


def test_base_url_path(tmp_path):
    bundle, js = _bundle(tmp_path)
    app = lambda inner: PrecompressedStatic(inner, bundle, base_url="/voc/")  # noqa: E731
    headers, body = _get(app, "/voc/static/js/index.abc123.js")
    assert gzip.decompress(body) == js
    headers, _ = _get(app, "/static/js/index.abc123.js")
    assert headers == {"x-from": "streamlit"}


def test_installed_in_front_of_streamlit_middleware(tmp_path, monkeypatch):
    from streamlit.web.server.starlette import starlette_app

    bundle, _ = _bundle(tmp_path)
    monkeypatch.setattr(starlette_app, "create_streamlit_middleware", starlette_app.create_streamlit_middleware)
    before = [m.cls for m in starlette_app.create_streamlit_middleware()]
    assert static_gzip.install(bundle)
    after = [m.cls for m in starlette_app.create_streamlit_middleware()]
    assert after == [PrecompressedStatic, *before]


def test_background_bundle_compresses_streamlit_frontend():
    from streamlit import file_util

    bundle = static_gzip.BackgroundBundle(Path(file_util.get_static_dir()) / "static").wait(120)
    index = [k for k in bundle.files if k.startswith("js/index.") and k.endswith(".js")]
    assert index, sorted(bundle.files)[:5]
    assert len(bundle.files[index[0]].body) < bundle.files[index[0]].raw_bytes / 2
