"""Serve the dashboard on a large warehouse and time each page in headless Chromium.

Builds N interactions (default 1,000,000) with analytics' bench generator (benchmarks/bench_build.py)
and the real mart build, publishes the serving copy, runs `streamlit run app.py`, then prints per page
two kinds of first load: a fresh tab with a cold browser cache (a new browser context each time, so
the whole frontend bundle and plotly.js are fetched and started again; the first one is also the
server's first visit, queries not cached yet) and a page switch within a session (a sidebar click);
then the latency of a filter change (a new channel each time, so never a cache hit). Goal: pages
< 2 s, filters < 1 s.

Usage: python -m benchmarks.bench_dashboard [N] [--loads 5] [--db existing.duckdb]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dashboard import serve
from dashboard.serve import CHROMIUM, CHROMIUM_ARGS, IDLE_JS

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    ("", "Executive summary"),
    ("overview", "Overview"),
    ("reasons", "Contact reasons"),
    ("repeats", "Repeat contacts"),
    ("root_causes", "Root causes"),
    ("customers", "Customers and value"),
    ("explore", "Explore and export"),
    ("agents", "Agents and quality"),
    ("operations", "Operations"),
]


def build(db: Path, n: int) -> str:
    """Generate and build N interactions; returns which generator made them."""
    from pipelines.warehouse import connect, publish

    try:
        from analytics import build as marts
        from analytics.settings import AnalyticsSettings
        from benchmarks.bench_build import populate
    except ImportError as exc:  # analytics not there: mart-shaped data from the test fixture
        sys.path.insert(0, str(ROOT / "tests"))
        import dashboard_fixture

        print(f"analytics bench generator unavailable ({exc}); using tests/dashboard_fixture.py")
        dashboard_fixture.build(db, n=n, days=180)
        return "tests/dashboard_fixture.py"
    con = connect(db)
    populate(con, n)
    marts.run(con, AnalyticsSettings())
    con.close()
    publish(db)
    return "benchmarks/bench_build.py + analytics build"


def idle(page, min_charts: int = 1) -> None:
    """Script finished and at least `min_charts` charts drawn (the explore page has none)."""
    if "/explore" in page.url:
        min_charts = 0
    page.wait_for_function(IDLE_JS, arg=min_charts, timeout=120_000)
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise SystemExit(f"{page.url} raised: {errors.first.inner_text()[:1500]}")


def server_cpu(pid: int | None) -> float:
    """CPU seconds (user + system, every thread) the dashboard server has used so far; 0 without a pid."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _body_bytes(response) -> int:
    """Bytes on the wire for a response body (the compressed size when it was compressed)."""
    try:
        size = response.headers.get("content-length")
        return int(size) if size else len(response.body())
    except Exception:  # a redirect or an aborted request has no body
        return 0


def measure(url: str, loads: int, pid: int | None = None) -> dict:
    """Print and return the page times: {"pages": {title: {cold, warm, nav}}, "filter": {median, max}}."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # fresh tab: a new browser context (empty cache) opening the page's URL: the frontend bundle,
        # the session, the script, plotly.js; its first load is also the server's first visit.
        # page switch: a click in the sidebar, how a person moves between pages (queries cached by then).
        # wall seconds depend on what else runs on the machine; the server's CPU seconds for the same
        # load do not (much): both are printed
        print("fresh tab, cold browser cache (new browser context per load; 'first' = first server visit)")
        print(f"{'page':<22}{'first s':>9}{'again s':>9}{'server CPU first s':>20}{'again s':>9}"
              f"{'sent kB':>9}")
        full: dict[str, list[float]] = {}
        for path, title in PAGES:
            full[title], cpu, sent = [], [], []
            for _ in range(loads):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                tab = context.new_page()
                got = [0]
                tab.on("response", lambda r, got=got: got.__setitem__(0, got[0] + _body_bytes(r)))
                t0, c0 = time.perf_counter(), server_cpu(pid)
                tab.goto(f"{url}/{path}")
                idle(tab)
                full[title].append(time.perf_counter() - t0)
                cpu.append(server_cpu(pid) - c0)
                sent.append(got[0])
                context.close()
            times = full[title]
            print(f"{title:<22}{times[0]:>9.2f}{statistics.median(times[1:] or times):>9.2f}"
                  f"{cpu[0]:>20.2f}{statistics.median(cpu[1:] or cpu):>9.2f}{sent[0] / 1e3:>9.0f}", flush=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        nav: dict[str, list[float]] = {title: [] for _, title in PAGES}
        page.goto(url)
        idle(page)
        for _ in range(loads):
            for _, title in PAGES[1:] + PAGES[:1]:
                t0 = time.perf_counter()
                # a link: "Operations" is also the name of a section of the navigation
                page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
                page.get_by_role("heading", name=title).first.wait_for(timeout=120_000)
                idle(page)
                nav[title].append(time.perf_counter() - t0)
        pages = {}
        print("page switch within a session (sidebar click, same tab)")
        print(f"{'page':<22}{'page switch s':>14}")
        for _, title in PAGES:
            times = full[title]
            warm = statistics.median(times[1:] or times)
            pages[title] = {"cold": round(times[0], 2), "warm": round(warm, 2),
                            "nav": round(statistics.median(nav[title]), 2)}
            print(f"{title:<22}{statistics.median(nav[title]):>14.2f}")
        page.goto(f"{url}/overview")
        idle(page)
        lat, cpu = [], []
        for channel in ("call", "chat", "email", "social"):
            page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
            t0, c0 = time.perf_counter(), server_cpu(pid)
            page.get_by_role("option", name=channel).click()
            page.wait_for_timeout(50)  # let the rerun start before waiting for it to end
            idle(page)
            lat.append(time.perf_counter() - t0)
            cpu.append(server_cpu(pid) - c0)
            page.keyboard.press("Escape")
        print(
            f"filter change (channel, overview): median {statistics.median(lat):.2f}s, "
            f"max {max(lat):.2f}s over {len(lat)} uncached changes; server CPU median "
            f"{statistics.median(cpu):.2f}s, max {max(cpu):.2f}s"
        )
        browser.close()
    return {"pages": pages, "filter": {"median": round(statistics.median(lat), 2), "max": round(max(lat), 2)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--db", type=Path, help="an already built warehouse (skips generation)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.duckdb"
        if args.db is None:
            t0 = time.perf_counter()
            source = build(db, args.n)
            print(f"built {args.n:,} interactions with {source} in {time.perf_counter() - t0:.0f}s")
        proc, url = serve.start(db, timeout=180)
        try:
            # the machine may be shared: wall times only mean something next to the load they ran under
            print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
            measure(url, args.loads, proc.pid)
            print("load average (1, 5, 15 min) after: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
        finally:
            serve.stop(proc)


if __name__ == "__main__":
    main()
