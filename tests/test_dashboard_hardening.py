"""The dashboard's attack surface: markup in user text, the bind address, the published copy's mode,
spreadsheet-illegal characters and an unreadable serving copy."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402

from dashboard import charts, serve  # noqa: E402
from dashboard.export import to_excel  # noqa: E402
from pipelines import warehouse  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVIL = '<a href="https://evil.example/login">verify your account</a>'


def _shown(fig) -> str:
    """Everything a figure can draw: its JSON without the drill keys (customdata is never shown)."""
    spec = fig.to_plotly_json()
    for trace in spec["data"]:
        trace.pop("customdata", None)
    return json.dumps(spec, default=str)


def test_user_text_reaches_figures_escaped() -> None:
    day = pd.to_datetime(["2024-01-01", "2024-01-02"])
    figures = [
        charts.timeline(
            pd.DataFrame(
                {
                    "occurred_at": day,
                    "channel": ["chat", EVIL],
                    "reason": [EVIL, "billing & co"],
                    "is_repeat": [False, True],
                    "interaction_id": ["a", "b"],
                    "sentiment_label": ["negative", EVIL],
                    "hours_since_prev": [None, 3.0],
                }
            ),
            EVIL,
        ),
        charts.pareto(pd.DataFrame({"reason": [EVIL, "x"], "n": [3, 2], "cum_share": [0.6, 1.0]})),
        charts.reason_trend(pd.DataFrame({"week": day, "reason": [EVIL, EVIL], "n": [1, 2]})),
        charts.value_irritant(
            pd.DataFrame(
                {
                    "company_cost": [0.2],
                    "irritation": [0.3],
                    "volume": [3],
                    "action": ["Eliminate"],
                    "reason": [EVIL],
                    "negative_share": [0.1],
                    "repeat_rate": [0.1],
                    "cost_to_serve_s": [3.0],
                }
            )
        ),
        charts.bar(
            pd.DataFrame({"day": day, "n": [1, 2], "channel": [EVIL, "chat"]}),
            "day",
            "n",
            EVIL,
            drill="channel",
            color="channel",
        ),
        charts.clv_nev(
            pd.DataFrame(
                {
                    "nev": [0.1],
                    "clv": [10.0],
                    "segment": [EVIL],
                    "churned": [False],
                    "customer_id": ["cust-1"],
                }
            )
        ),
    ]
    for fig in figures:
        shown = _shown(fig)
        assert "<a" not in shown and "\\u003ca" not in shown, shown[:500]
        assert "&lt;a href" in shown
    pareto = figures[1]
    assert list(pareto.data[0].customdata)[0] == EVIL, "the drill key stays the raw value"


def test_escape_is_idempotent_and_keeps_entities() -> None:
    once = charts.escape("a & b <i>x</i> &amp;")
    assert once == "a &amp; b &lt;i&gt;x&lt;/i&gt; &amp;"
    assert charts.escape(once) == once


def test_excel_export_accepts_control_characters() -> None:
    df = pd.DataFrame({"text": ["nul\x00 vt\x0b ff\x0c esc\x1b end", "tab\tand\nnewline"], "n": [1, 2]})
    back = pd.read_excel(io.BytesIO(to_excel(df)))
    assert back["text"].tolist() == ["nul\ufffd vt\ufffd ff\ufffd esc\ufffd end", "tab\tand\nnewline"]


def test_publish_honours_the_umask_and_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "voc.duckdb"
    warehouse.connect(db).close()
    old = os.umask(0o022)
    try:
        assert warehouse.publish(db).stat().st_mode & 0o777 == 0o644
        monkeypatch.setenv("VOC_WAREHOUSE_SERVING_MODE", "0640")
        assert warehouse.publish(db).stat().st_mode & 0o777 == 0o640
        monkeypatch.setenv("VOC_WAREHOUSE_SERVING_MODE", "rw-r")
        with pytest.raises(warehouse.WarehouseError, match="octal"):
            warehouse.publish(db)
    finally:
        os.umask(old)


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_unreadable_serving_copy_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    db = dashboard_fixture.build(tmp_path / "voc.duckdb", n=120)
    copy = warehouse.serving_path(db)
    data = copy.read_bytes()
    copy.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"not a database" * 400)
    monkeypatch.setenv("VOC_DB", str(db))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("truncated or corrupt" in e.value for e in at.error)
    assert any("python -m pipelines publish" in c.value for c in at.code)


def test_bind_address() -> None:
    assert serve.bind_address("none") == "127.0.0.1"
    assert serve.bind_address("password") == serve.bind_address("oidc") == "0.0.0.0"
    assert serve.bind_address("none", "192.168.1.20") == "192.168.1.20"


def _listening(port: int) -> set[str]:
    """Local addresses listening on `port` (from /proc/net/tcp, IPv4)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        host, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            out.add(".".join(str(int(host[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return out


def test_make_serve_goes_through_the_bind_rule() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "-m dashboard.serve" in recipe and "--server.address" not in recipe


@pytest.mark.slow
def test_serve_listens_on_localhost_without_sign_in(tmp_path: Path) -> None:
    # `make serve` runs this (the make target itself is not run here: its install step may pip install)
    port = serve.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOC_DASHBOARD")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.serve", "--port", str(port)],
        cwd=ROOT,
        env={**env, "VOC_DB": str(tmp_path / "voc.duckdb")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 180
        while time.time() < deadline and not _listening(port):
            time.sleep(0.5)
        assert _listening(port) == {"127.0.0.1"}
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
