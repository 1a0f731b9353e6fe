"""Streamlit's frontend bundle, gzip-compressed once at server start and served from memory.

Streamlit serves its static files (about 100 files, 7.7 MB, plotly.js alone 4.7 MB) uncompressed: its
gzip middleware skips `/static/` because compressing on every request costs CPU on every hit, and it
expects a proxy in front to compress. Our server (`dashboard.server`) compresses each compressible
file once at start instead (about 2.2 MB in memory), so a browser with an empty cache downloads a
third of the bytes and no request costs a compression. The files are content-hashed and immutable,
so the copy never goes stale; `.html` and `manifest.json` (not cached by the browser) and anything
not found here go to Streamlit's own handler unchanged.

    install(BackgroundBundle(Path(file_util.get_static_dir()) / "static"))   (dashboard.server, at start)
"""

from __future__ import annotations

import gzip
import mimetypes
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

COMPRESSIBLE = (".js", ".mjs", ".css", ".json", ".svg", ".map", ".txt", ".wasm", ".ttf")
MIN_BYTES = 1000  # below this the gzip header and the extra header line cost more than they save
LEVEL = 6
# what Streamlit sends for its hashed assets (starlette_server_config.STATIC_ASSET_CACHE_MAX_AGE_SECONDS)
CACHE_CONTROL = f"public, immutable, max-age={365 * 24 * 60 * 60}"


@dataclass(frozen=True)
class Compressed:
    body: bytes
    content_type: str
    raw_bytes: int


@dataclass(frozen=True)
class StaticBundle:
    """The gzip copy of every compressible file under a static directory, by URL path below it."""

    files: dict[str, Compressed]

    @classmethod
    def load(cls, directory: str | Path, level: int = LEVEL) -> StaticBundle:
        """Compress the files once (about 0.3 s CPU for Streamlit's bundle at level 6).

        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.js").write_text("x = 1;" * 500)
        >>> _ = (d / "index.html").write_text("<html>" * 500)
        >>> sorted(StaticBundle.load(d).files)
        ['a.js']
        """
        root = Path(directory)
        files: dict[str, Compressed] = {}
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix not in COMPRESSIBLE or path.name == "manifest.json":
                continue
            raw = path.read_bytes()
            if len(raw) < MIN_BYTES:
                continue
            body = gzip.compress(raw, compresslevel=level, mtime=0)
            if len(body) >= len(raw):
                continue
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
                kind += "; charset=utf-8"
            files[path.relative_to(root).as_posix()] = Compressed(body, kind, len(raw))
        return cls(files)

    @property
    def raw_bytes(self) -> int:
        return sum(f.raw_bytes for f in self.files.values())

    @property
    def gzip_bytes(self) -> int:
        return sum(len(f.body) for f in self.files.values())


def accepts_gzip(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether an Accept-Encoding header allows gzip (and does not refuse it with q=0).

    >>> accepts_gzip([(b"accept-encoding", b"gzip, deflate, br")]), accepts_gzip([(b"accept-encoding", b"br")])
    (True, False)
    >>> accepts_gzip([(b"accept-encoding", b"gzip;q=0")]), accepts_gzip([])
    (False, False)
    """
    for name, value in headers:
        if name.lower() != b"accept-encoding":
            continue
        for part in value.decode("latin-1").lower().split(","):
            coding, _, params = part.strip().partition(";")
            if coding.strip() in ("gzip", "*"):
                q = params.strip()
                return not (q.startswith("q=") and float(q[2:] or 0) == 0)
    return False


class BackgroundBundle:
    """A `StaticBundle` compressed in a thread at server start: empty (everything passes through
    uncompressed) until the thread is done, so start-up does not wait for it."""

    def __init__(self, directory: str | Path, level: int = LEVEL) -> None:
        self.files: dict[str, Compressed] = {}
        self._thread = threading.Thread(target=self._load, args=(directory, level), daemon=True,
                                        name="static-gzip")
        self._thread.start()

    def _load(self, directory: str | Path, level: int) -> None:
        self.files = StaticBundle.load(directory, level).files  # zlib releases the GIL while it works

    def wait(self, timeout: float | None = None) -> BackgroundBundle:
        self._thread.join(timeout)
        return self


def install(bundle: StaticBundle | BackgroundBundle) -> bool:
    """Put `PrecompressedStatic` in front of Streamlit's own middleware; False (nothing changed) if
    this Streamlit version builds its server differently.

    Streamlit's public way to add middleware is `st.App(middleware=...)`, which runs the app as an
    ASGI launcher module instead of `streamlit run app.py`; wrapping the function its Starlette server
    calls for its middleware keeps our launcher the plain command line.
    """
    try:
        from starlette.middleware import Middleware
        from streamlit import config
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        return False
    original = getattr(starlette_app, "create_streamlit_middleware", None)
    if original is None:
        return False

    def with_gzip() -> list:
        base = config.get_option("server.baseUrlPath") or ""
        return [Middleware(PrecompressedStatic, bundle=bundle, base_url=base), *original()]

    starlette_app.create_streamlit_middleware = with_gzip
    return True


class PrecompressedStatic:
    """ASGI middleware: a GET or HEAD for `<base>/static/<file>` that accepts gzip gets the stored copy."""

    def __init__(self, app: ASGIApp, bundle: StaticBundle | BackgroundBundle, base_url: str = "") -> None:
        self.app = app
        self.bundle = bundle
        base = base_url.strip("/")
        self.prefix = f"/{base}/static/" if base else "/static/"

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        found = None
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            if path.startswith(self.prefix) and accepts_gzip(scope["headers"]):
                found = self.bundle.files.get(path[len(self.prefix):])
        if found is None:
            await self.app(scope, receive, send)
            return
        headers = [
            (b"content-type", found.content_type.encode()),
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(found.body)).encode()),
            (b"vary", b"Accept-Encoding"),
            (b"cache-control", CACHE_CONTROL.encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else found.body})
