"""AppTest smoke tests for every page, and filters driven through the sidebar checked against the marts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["dashboard/pages/executive.py", "dashboard/pages/overview.py", "dashboard/pages/reasons.py",
         "dashboard/pages/repeats.py", "dashboard/pages/root_causes.py", "dashboard/pages/customers.py",
         "dashboard/pages/explore.py"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dashboard_fixture.build(tmp_path_factory.mktemp("wh") / "voc.duckdb")


@pytest.fixture(scope="module")
def app(warehouse: Path) -> AppTest:
    """One app session for the module (a first run costs seconds); tests reset what they change."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VOC_DB", str(warehouse))
        mp.chdir(ROOT)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        yield at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(app: AppTest, page: str) -> None:
    at = _open(app, page)
    assert at.title, f"{page} has no title"
    charts = at.get("plotly_chart")
    assert charts or page.endswith("explore.py"), f"{page} shows no chart"


def test_executive_summary_figures_match_the_marts(app: AppTest, warehouse: Path) -> None:
    at = _open(app, PAGES[0])
    metrics = {m.label: m.value for m in at.metric}
    assert "NEV (text proxy)" in metrics
    with duckdb.connect(str(warehouse), read_only=True) as con:
        n, nev = con.execute("SELECT count(*), avg(nev_text) FROM marts.interactions").fetchone()
    assert metrics["Contacts"] == f"{n:,}"
    assert metrics["NEV (text proxy)"] == f"{nev:,.1f}"


def test_channel_filter_changes_the_figures(app: AppTest, warehouse: Path) -> None:
    at = _open(app, PAGES[1])
    at.sidebar.multiselect(key="f_channels").set_value(["email"])
    at.run()
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            n = con.execute("SELECT count(*) FROM marts.interactions WHERE channel = 'email'").fetchone()[0]
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Contacts"] == f"{n:,}"
        volume = at.get("plotly_chart")[0].proto.spec
        assert '"email"' in volume and '"call"' not in volume
    finally:
        at.sidebar.multiselect(key="f_channels").set_value([])
        at.run()


def test_missing_warehouse_names_the_build_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_DB", str(tmp_path / "none.duckdb"))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    assert "python -m pipelines demo" in at.info[0].value


def test_empty_warehouse_is_a_friendly_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = dashboard_fixture.build_empty(tmp_path / "voc.duckdb")
    monkeypatch.setenv("VOC_DB", str(db))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    assert "no interactions" in at.info[0].value
