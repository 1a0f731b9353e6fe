"""The served app in a real headless Chromium: every page, a filter, a download, screenshots.

Needs Debian's chromium (`apt-get install chromium`; `.ci/run` installs it). Without it the test
skips, except under CI (CI=true) where it fails so a missing browser is never a silent pass.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from dashboard import serve
from dashboard.serve import CHROMIUM, CHROMIUM_ARGS, IDLE_JS

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# (url path, screenshot name, a heading the page must show)
PAGES = [
    ("", "executive_summary", "Executive summary"),
    ("overview", "overview", "Overview"),
    ("reasons", "contact_reasons", "Contact reasons"),
    ("repeats", "repeat_contacts", "Repeat contacts"),
    ("root_causes", "root_causes", "Root causes"),
    ("customers", "customers_and_value", "Customers and value"),
    ("explore", "explore_and_export", "Explore and export"),
    ("agents", "agents_and_quality", "Agents and quality"),
    ("operations", "operations", "Operations"),
]
# Pages whose first view draws no plotly chart (the executive summary's, customers' and agents' charts open
# on demand).
FIRST_VIEW_WITHOUT_CHARTS = {"executive_summary", "customers_and_value", "explore_and_export", "agents_and_quality"}
# The real demo warehouse (`python -m pipelines demo`) when it builds; the fixture otherwise.
DEMO_ARGS = ["--customers", "300", "--days", "60"]  # plus --out <tmp>/demo: never write into data/


def chromium_or_skip() -> str:
    """The browser's path; fails under CI, skips elsewhere, when it is not installed."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; see .ci/run)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def build_warehouse(folder: Path) -> tuple[Path, str]:
    """The demo warehouse built by `python -m pipelines demo` (a failed build fails the test).

    `VOC_BROWSER_DB=path` reuses an already built demo warehouse (e.g. after `make demo`);
    `VOC_BROWSER_FIXTURE=1` uses the small fixture (seconds instead of minutes).
    """
    if os.environ.get("VOC_BROWSER_DB"):
        return Path(os.environ["VOC_BROWSER_DB"]), f"prebuilt ({os.environ['VOC_BROWSER_DB']})"
    db = folder / "voc.duckdb"
    if os.environ.get("VOC_BROWSER_FIXTURE") != "1":
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines",
                "--db",
                str(db),
                "demo",
                *DEMO_ARGS,
                "--out",
                str(folder / "demo"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if run.returncode == 0 and (folder / "voc.serving.duckdb").exists():
            return db, "demo"
        pytest.fail(f"python -m pipelines demo failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return dashboard_fixture.build(db, n=600), "fixture"


def save_small_png(png: bytes, path: Path) -> None:
    """A 256-colour PNG: screenshots are committed, so keep them a few tens of kB."""
    from PIL import Image

    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(path, optimize=True)


@pytest.fixture(scope="module")
def served_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    chromium_or_skip()
    db, kind = build_warehouse(tmp_path_factory.mktemp("browser"))
    proc, url = serve.start(db)
    try:
        yield url, kind
    finally:
        serve.stop(proc)


WAIT_MS = 90_000
COUNT_IS_JS = "([selector, n]) => document.querySelectorAll(selector).length === n"
EMERGING_SHOWN_JS = """() => document.querySelectorAll('[data-testid="stDataFrame"]').length > 0
    || [...document.querySelectorAll('[data-testid="stAlert"]')].some(a => a.innerText.includes("normal range"))"""
TEXT_CHANGED_JS = """([selector, old]) => {
    const el = document.querySelector(selector);
    return el !== null && el.innerText !== old;
}"""


def wait_idle(page, min_charts: int = 0, heading: str | None = None) -> None:
    """Until the page shows `heading`, the script has finished its run and every chart has drawn.

    The script state can read 'notRunning' for a moment before a rerun starts, so after an action
    the caller first waits for the action's own effect (`wait_until`), then for idle.
    """
    if heading:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=WAIT_MS)
    page.wait_for_function(IDLE_JS, arg=min_charts, timeout=WAIT_MS)


def wait_until(page, js: str, arg: object) -> None:
    """Until the condition `js(arg)` holds in the page (the effect of a click or a filter)."""
    page.wait_for_function(js, arg=arg, timeout=WAIT_MS)


def check_page(page, heading: str) -> int:
    """No Streamlit exception, the heading shown, no empty chart; returns the number of charts."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert page.get_by_role("heading", name=heading).count() >= 1, f"no heading {heading!r}"
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        text = charts.nth(i).inner_text()
        assert "No data for these filters" not in text, f"empty chart on {heading}: {text[:200]}"
    return charts.count()


@pytest.mark.browser
def test_every_page_filter_and_export_in_chromium(served_app: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, kind = served_app
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860}, accept_downloads=True)
        try:
            for path, name, heading in PAGES:
                page.goto(f"{url}/{path}")
                wait_idle(page, min_charts=0 if name in FIRST_VIEW_WITHOUT_CHARTS else 1, heading=heading)
                n_charts = check_page(page, heading)
                assert n_charts > 0 or name in FIRST_VIEW_WITHOUT_CHARTS, f"{heading}: no chart"
                save_small_png(page.screenshot(), SCREENSHOTS / f"{name}.png")

            # The executive summary's charts draw when their expander is opened (not on the first view).
            page.goto(url)
            wait_idle(page, heading="Executive summary")
            assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
            sparklines = page.locator('[data-testid="stMetricChart"] svg, [data-testid="stMetricChart"] canvas')
            assert sparklines.count() >= 4, "the weekly trends as sparklines"
            page.get_by_text("Charts: weekly trends and top reasons").click()
            wait_until(page, COUNT_IS_JS, ['[data-testid="stPlotlyChart"]', 5])
            wait_idle(page, min_charts=5)
            check_page(page, "Executive summary")

            # Customers and value: the ranked lists first, the two charts once their expanders are opened.
            page.goto(f"{url}/customers")
            wait_idle(page, heading="Customers and value")
            assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
            assert page.locator('[data-testid="stDataFrame"]').count() >= 1, "the callback list"
            page.get_by_text("Chart: customers by CLV x NEV").click()
            wait_until(page, COUNT_IS_JS, ['[data-testid="stPlotlyChart"]', 1])
            page.get_by_text("Chart: revenue at risk per segment").click()
            wait_until(page, COUNT_IS_JS, ['[data-testid="stPlotlyChart"]', 2])
            wait_idle(page, min_charts=2)
            check_page(page, "Customers and value")

            # Root causes: the impact chart first; the distinctive terms' bar once its expander is opened.
            page.goto(f"{url}/root_causes")
            wait_idle(page, min_charts=1, heading="Root causes")
            assert page.locator('[data-testid="stPlotlyChart"]').count() == 1, "the impact chart"
            page.get_by_text("Chart: the terms over-represented").click()
            wait_until(page, COUNT_IS_JS, ['[data-testid="stPlotlyChart"]', 2])
            wait_idle(page, min_charts=2)
            check_page(page, "Root causes")

            # Agents and quality: the scorecard tables first, the three charts once their expanders are opened.
            page.goto(f"{url}/agents")
            wait_idle(page, heading="Agents and quality")
            assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
            assert page.locator('[data-testid="stDataFrame"]').count() >= 3, "scorecards, contacts to coach"
            page.get_by_text("Charts: QA score per agent").click()
            wait_until(page, COUNT_IS_JS, ['[data-testid="stPlotlyChart"]', 2])
            page.get_by_text("Chart: share of applicable contacts failing").click()
            wait_until(page, COUNT_IS_JS, ['[data-testid="stPlotlyChart"]', 3])
            wait_idle(page, min_charts=3)
            check_page(page, "Agents and quality")

            # A click on a Pareto bar lists the verbatims behind it.
            page.goto(f"{url}/reasons")
            wait_idle(page, min_charts=1, heading="Contact reasons")
            # The page's own table (emerging issues) draws after its charts: count once it is there.
            wait_until(page, EMERGING_SHOWN_JS, None)
            tables = page.locator('[data-testid="stDataFrame"]').count()
            bar = page.locator('[data-testid="stPlotlyChart"]').first.locator("g.point path").first
            box = bar.bounding_box()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            wait_until(page, COUNT_IS_JS, ['[data-testid="stDataFrame"]', tables + 1])
            wait_idle(page, min_charts=1)
            drill = page.locator('[data-testid="stSelectbox"]').first.inner_text()
            assert "choose, or click" not in drill, drill
            assert page.locator('[data-testid="stDataFrame"]').count() == tables + 1
            check_page(page, "Contact reasons")

            # A filter: only email on the overview; the contact count must drop and charts still draw.
            page.goto(f"{url}/overview")
            wait_idle(page, min_charts=1, heading="Overview")
            before = page.locator('[data-testid="stMetricValue"]').first.inner_text()
            page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
            page.get_by_role("option", name="email").click()
            page.keyboard.press("Escape")
            wait_until(page, TEXT_CHANGED_JS, ['[data-testid="stMetricValue"]', before])
            wait_idle(page, min_charts=1)
            check_page(page, "Overview")
            after = page.locator('[data-testid="stMetricValue"]').first.inner_text()
            assert int(after.replace(",", "")) < int(before.replace(",", "")), (before, after)

            # An export of what is on screen.
            page.goto(f"{url}/explore")
            wait_idle(page, heading="Explore and export")
            with page.expect_download() as download:
                page.get_by_role("button", name="Download CSV").click()
            saved = tmp_path / "export.csv"
            download.value.save_as(saved)
            frame = pd.read_csv(io.BytesIO(saved.read_bytes()), encoding="utf-8-sig")
            assert len(frame) > 0 and "text" in frame.columns
            assert not frame["text"].astype(str).str.match(r"^[=+\-@]").any()
        finally:
            browser.close()
    print(f"browser test ran on the {kind} warehouse")


def test_missing_chromium_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        chromium_or_skip()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        chromium_or_skip()
