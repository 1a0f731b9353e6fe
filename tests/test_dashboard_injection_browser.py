"""Markup in customer-originated strings is shown as text, never rendered: checked in a real Chromium.

A customer id and a contact reason carrying `<a href="https://evil.example/login">` reach the
repeat-contacts timeline's title, a Pareto axis, legends and hovers. Plotly renders http(s)
anchors in those as live links unless they are escaped (`dashboard.charts.escape`).
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import duckdb
import pytest

from analytics import build as marts
from analytics.settings import AnalyticsSettings
from dashboard import serve
from dashboard.serve import CHROMIUM_ARGS, IDLE_JS
from pipelines import warehouse

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402
from test_dashboard_browser import chromium_or_skip  # noqa: E402

EVIL = '<a href="https://evil.example/login">verify your account</a>'


def _poisoned(folder: Path) -> Path:
    db = dashboard_fixture.build(folder / "voc.duckdb", n=400)
    con = warehouse.connect(db)
    top = con.execute(
        "SELECT customer_id FROM staging.interactions WHERE customer_id IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchall()[0][0]
    for table in ("staging.interactions", "staging.customers"):
        con.execute(f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?", [EVIL, top])
    con.execute(
        "UPDATE enriched.topic_assignments SET topic_label = ?, parent_topic_label = ? "
        "WHERE topic_id = (SELECT min(topic_id) FROM enriched.topic_assignments)",
        [EVIL, EVIL],
    )
    with contextlib.redirect_stdout(io.StringIO()):
        marts.run(con, AnalyticsSettings(bootstrap_samples=50))
    con.close()
    warehouse.publish(db)
    check = duckdb.connect(str(warehouse.serving_path(db)), read_only=True)
    assert check.execute("SELECT count(*) FROM marts.interactions WHERE customer_id = ?", [EVIL]).fetchall()[
        0
    ][0]
    check.close()
    return db


POISON_SHOWN_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .some(c => c.innerText.includes('verify your account'))"""


@pytest.mark.browser
def test_markup_in_user_text_is_not_a_link_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_or_skip()
    proc, url = serve.start(_poisoned(tmp_path))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            try:
                for path in ("repeats", "reasons"):
                    page.goto(f"{url}/{path}")
                    # the poisoned label drawn (not a fixed sleep), then the run finished
                    page.wait_for_function(POISON_SHOWN_JS, timeout=120_000)
                    page.wait_for_function(IDLE_JS, arg=1, timeout=120_000)
                    charts = page.locator('[data-testid="stPlotlyChart"]')
                    shown = "\n".join(charts.nth(i).inner_text() for i in range(charts.count()))
                    links = page.locator('[data-testid="stPlotlyChart"] a[href*="evil.example"]')
                    assert links.count() == 0, f"{path}: plotly rendered a live link"
                    assert page.locator('a[href*="evil.example"]').count() == 0, (
                        f"{path}: a live link elsewhere"
                    )
                    # the text is there, literally, so the escaping did not just drop it
                    assert "verify your account" in shown, f"{path}: the poisoned label is not on screen"
                    assert "evil.example" in shown, f"{path}: markup should show as text"
            finally:
                browser.close()
    finally:
        serve.stop(proc)
