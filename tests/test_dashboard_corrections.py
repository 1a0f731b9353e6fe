"""Explore: an analyst's correction in real Chromium lands as labels beside the warehouse.

Needs Debian's chromium (see tests/test_dashboard_browser.py); runs on the small dashboard fixture.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from test_dashboard_browser import WAIT_MS, chromium_or_skip, wait_idle

from dashboard import serve
from dashboard.serve import CHROMIUM_ARGS
from pipelines.models import taught

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402


@pytest.mark.browser
def test_a_correction_in_explore_is_stored_as_labels(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_or_skip()
    db = dashboard_fixture.build(tmp_path / "voc.duckdb", n=300)
    proc, url = serve.start(db)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            try:
                page.goto(f"{url}/explore")
                wait_idle(page)
                assert page.locator('[data-testid="stException"]').count() == 0
                page.get_by_text("What to label next").click()  # the suggestions expander opens
                wait_idle(page)
                assert page.locator('[data-testid="stException"]').count() == 0
                # open the first interaction of the table through the picker
                picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Open an interaction")
                picker.locator("input").click()
                page.keyboard.press("ArrowDown")
                page.keyboard.press("ArrowDown")
                page.keyboard.press("Enter")
                wait_idle(page)
                picked = page.get_by_role("heading", name="Interaction").first.inner_text().split()[-1]
                form = page.locator('[data-testid="stForm"]')
                form.locator('[data-testid="stSelectbox"]').locator("input").click()
                page.keyboard.type("positive")
                page.keyboard.press("Enter")
                form.get_by_placeholder("e.g. Refund not received").fill("Loyalty points missing")
                form.get_by_role("button", name="Save correction").click()
                # the click's own effect first: the script state reads 'notRunning' for a moment before
                # the rerun starts (wait_idle's docstring), so idle alone can be read before the save
                saved = page.get_by_text("Saved the sentiment and reason correction")
                saved.wait_for(timeout=WAIT_MS)
                wait_idle(page)
                assert saved.count() == 1
            except Exception:
                page.screenshot(path=str(tmp_path / "failure.png"))
                raise
            finally:
                browser.close()
    finally:
        serve.stop(proc)
    deadline = time.time() + 10
    while time.time() < deadline and taught.current_labels(db, "sentiment").empty:
        time.sleep(0.2)
    sentiment = taught.current_labels(db, "sentiment")
    reason = taught.current_labels(db, "reason")
    assert sentiment[["interaction_id", "label", "origin"]].values.tolist() == [[picked, "positive", "dashboard"]]
    assert reason[["interaction_id", "label"]].values.tolist() == [[picked, "Loyalty points missing"]]
    assert taught.labels_path(db).parent == db.parent  # beside the warehouse, not in the serving copy
