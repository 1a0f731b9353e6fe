"""Serve the dashboard on a large warehouse and time each page in headless Chromium.

Builds N interactions (default 1,000,000) with analytics' bench generator (benchmarks/bench_build.py)
and the real mart build, publishes the serving copy, runs `streamlit run app.py`, then prints per page
two kinds of first load: a fresh tab with a cold browser cache (a new browser context each time, so
the whole frontend bundle and plotly.js are fetched and started again; the first one is also the
server's first visit, queries not cached yet) and a page switch within a session (a sidebar click);
then the latency of a filter change (a new channel each time, so never a cache hit). Goal: pages
< 2 s, filters < 1 s.

Each fresh tab also prints what it waited for: the server's first websocket message and its last
(s after navigation), the kB of messages (the figures' JSON travels there), the JS files fetched and
when the last arrived, the browser's main-thread script seconds (CDP Performance.getMetrics
ScriptDuration) and the number of charts drawn.

Several servers can be compared in one run, their loads alternating (a shared machine's load then
hits them alike): `--variant LABEL=TREE [VAR=VALUE ...]` serves checkout TREE ('.' = this one) with
those environment variables, e.g. before/after a change or a setting on/off:

    python -m benchmarks.bench_dashboard --db /tmp/bench1m.duckdb --loads 3 --compare-compress
    git archive main | tar -x -C /tmp/main-tree
    python -m benchmarks.bench_dashboard --db /tmp/bench1m.duckdb --variant main=/tmp/main-tree \\
        --variant branch=.

Usage: python -m benchmarks.bench_dashboard [N] [--loads 5] [--db warehouse.duckdb] [--variant ...]
(--db names a warehouse to reuse; when it does not exist it is generated there and kept.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

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


def idle(page, min_charts: int = 0) -> None:
    """Script finished, no element still loading its code, every chart drawn (IDLE_JS); a page whose
    first view has no chart (the explore page, a summary of figures) is idle without one."""
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


def browser_cpu() -> float:
    """CPU seconds (user + system, and the reaped children's) of the Chromium processes this process
    started (through Playwright's driver): the browser's work for a load, whatever else the machine runs."""
    parents, cpu = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
        if comm.startswith(("chrom", "headless")):
            cpu[int(entry.name)] = sum(int(x) for x in fields[11:15]) / tick
    me, total = os.getpid(), 0.0
    for pid, seconds in cpu.items():
        up = pid
        while up in parents and up != me:
            up = parents[up]
        if up == me:
            total += seconds
    return total


def _body_bytes(response) -> int:
    """Bytes on the wire for a response body (the compressed size when it was compressed)."""
    try:
        size = response.headers.get("content-length")
        return int(size) if size else len(response.body())
    except Exception:  # a redirect or an aborted request has no body
        return 0


class Variant(NamedTuple):
    """One server of a comparison: a label, the checkout it serves, extra environment variables."""

    label: str
    root: Path
    env: dict[str, str]


def parse_variant(text: str) -> Variant:
    """'LABEL=TREE [VAR=VALUE ...]' -> Variant.

    >>> parse_variant("plain=. VOC_DASHBOARD_COMPRESS_STATIC=false").env
    {'VOC_DASHBOARD_COMPRESS_STATIC': 'false'}
    """
    label, _, rest = text.partition("=")
    tree, *assignments = rest.split() or ["."]
    if not label or any("=" not in a for a in assignments):
        raise argparse.ArgumentTypeError(f"--variant {text!r}: use LABEL=TREE [VAR=VALUE ...]")
    root = ROOT if tree == "." else Path(tree).resolve()
    if not (root / "app.py").exists():
        raise argparse.ArgumentTypeError(f"--variant {text!r}: no app.py in {root}")
    return Variant(label, root, dict(a.split("=", 1) for a in assignments))


def _chunk(url: str) -> str:
    """'.../static/js/plotly.min.3f9a.js' -> 'plotly.min' (a bundle file without its content hash)."""
    name = url.rsplit("/", 1)[-1].split("?")[0].removesuffix(".js")
    parts = name.split(".")
    return ".".join(parts[:-1]) if len(parts) > 1 else name


def fresh_tab(browser, url: str, pid: int | None) -> dict:
    """Open `url` in a new browser context (empty cache) until idle; what it cost and waited for."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    cdp = context.new_cdp_session(tab)
    cdp.send("Performance.enable")
    got = {"bytes": 0, "js": [], "ws_first": None, "ws_last": None, "ws_bytes": 0}
    t0 = time.perf_counter()

    def response(r) -> None:
        got["bytes"] += _body_bytes(r)
        if r.url.split("?")[0].endswith(".js"):
            got["js"].append((time.perf_counter() - t0, _chunk(r.url)))

    def frame(payload) -> None:
        now = time.perf_counter() - t0
        got["ws_first"] = now if got["ws_first"] is None else got["ws_first"]
        got["ws_last"] = now
        got["ws_bytes"] += len(payload)

    tab.on("response", response)
    tab.on("websocket", lambda ws: ws.on("framereceived", frame))
    c0, b0 = server_cpu(pid), browser_cpu()
    tab.goto(url)
    idle(tab)
    wall = time.perf_counter() - t0
    browser_s = browser_cpu() - b0
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    charts = tab.locator('[data-testid="stPlotlyChart"]').count()
    context.close()
    return {"wall": wall, "cpu": server_cpu(pid) - c0, "browser": browser_s, "bytes": got["bytes"],
            "js": got["js"],
            "ws_first": got["ws_first"] or 0.0, "ws_last": got["ws_last"] or 0.0, "ws_bytes": got["ws_bytes"],
            "script": metrics.get("ScriptDuration", 0.0), "charts": charts}


def measure(
    servers: dict[str, tuple[str, int | None]], loads: int, pages: list[tuple[str, str]] = PAGES
) -> dict:
    """Print and return per server label the page times: {label: {"pages": {title: {cold, warm, nav}},
    "filter": {median, max}}}; the servers' loads alternate."""
    from playwright.sync_api import sync_playwright

    labels = list(servers)
    width = max(len(x) for x in labels)
    out: dict[str, dict] = {label: {"pages": {}} for label in labels}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # fresh tab: a new browser context (empty cache) opening the page's URL: the frontend bundle,
        # the session, the script, plotly.js; its first load is also the server's first visit.
        # page switch: a click in the sidebar, how a person moves between pages (queries cached by then).
        # wall seconds depend on what else runs on the machine; the server's CPU seconds for the same
        # load do not (much): both are printed
        print("fresh tab, cold browser cache (new browser context per load; 'first' = first server visit);")
        print("medians of the loads after the first: ws = the server's websocket messages (first, last s,"
              " kB), js = JS files (count, last s), script = browser main-thread script s;"
              " browser CPU = the Chromium processes' CPU s")
        print(f"{'page':<22}{'server':<{width + 2}}{'first s':>8}{'again s':>8}{'CPU 1st':>8}{'CPU s':>7}"
              f"{'sent kB':>8}{'ws 1st':>7}{'ws end':>7}{'ws kB':>7}{'js':>4}{'js end':>7}{'script':>7}"
              f"{'charts':>7}{'browser CPU s':>14}")
        chunks: dict[str, set[str]] = {}
        for path, title in pages:
            runs: dict[str, list[dict]] = {label: [] for label in labels}
            for _ in range(loads):
                for label in labels:
                    base, pid = servers[label]
                    runs[label].append(fresh_tab(browser, f"{base}/{path}", pid))
            for label in labels:
                first, rest = runs[label][0], runs[label][1:] or runs[label]

                def med(key: str, rest=rest) -> float:
                    return statistics.median(r[key] for r in rest)

                js_end = statistics.median(max((t for t, _ in r["js"]), default=0.0) for r in rest)
                js_files = statistics.median(len(r["js"]) for r in rest)
                print(f"{title:<22}{label:<{width + 2}}{first['wall']:>8.2f}{med('wall'):>8.2f}"
                      f"{first['cpu']:>8.2f}{med('cpu'):>7.2f}{first['bytes'] / 1e3:>8.0f}"
                      f"{med('ws_first'):>7.2f}{med('ws_last'):>7.2f}{med('ws_bytes') / 1e3:>7.0f}"
                      f"{js_files:>4.0f}"
                      f"{js_end:>7.2f}{med('script'):>7.2f}{first['charts']:>7}{med('browser'):>14.2f}",
                      flush=True)
                out[label]["pages"][title] = {"cold": round(first["wall"], 2), "warm": round(med("wall"), 2),
                                              "cpu": round(med("cpu"), 2),
                                              "browser": round(med("browser"), 2)}
                chunks[title] = {name for _, name in runs[labels[0]][-1]["js"]}
        common = set.intersection(*chunks.values())
        print(f"JS files every page fetched ({labels[0]}): {len(common)}; beyond them:")
        for title, names in chunks.items():
            print(f"  {title}: {', '.join(sorted(names - common)) or '-'}")

        tabs = {}
        for label in labels:
            tabs[label] = browser.new_page(viewport={"width": 1280, "height": 900})
            tabs[label].goto(servers[label][0])
            idle(tabs[label])
        nav: dict[str, dict[str, list[float]]] = {label: {t: [] for _, t in pages} for label in labels}
        for _ in range(loads):
            for _, title in pages[1:] + pages[:1]:
                for label in labels:
                    page = tabs[label]
                    t0 = time.perf_counter()
                    # a link: "Operations" is also the name of a section of the navigation
                    nav_links = page.locator('[data-testid="stSidebarNav"]')
                    nav_links.get_by_role("link", name=title, exact=True).click()
                    page.get_by_role("heading", name=title).first.wait_for(timeout=120_000)
                    idle(page)
                    nav[label][title].append(time.perf_counter() - t0)
        print("page switch within a session (sidebar click, same tab), median s")
        print(f"{'page':<22}" + "".join(f"{label:>{max(width, 8) + 2}}" for label in labels))
        for _, title in pages:
            cells = ""
            for label in labels:
                value = statistics.median(nav[label][title])
                out[label]["pages"][title]["nav"] = round(value, 2)
                cells += f"{value:>{max(width, 8) + 2}.2f}"
            print(f"{title:<22}{cells}")

        lat: dict[str, list[float]] = {label: [] for label in labels}
        cpu: dict[str, list[float]] = {label: [] for label in labels}
        for label in labels:
            tabs[label].goto(f"{servers[label][0]}/overview")
            idle(tabs[label])
        for channel in ("call", "chat", "email", "social"):
            for label in labels:
                page, pid = tabs[label], servers[label][1]
                page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
                t0, c0 = time.perf_counter(), server_cpu(pid)
                page.get_by_role("option", name=channel).click()
                page.wait_for_timeout(50)  # let the rerun start before waiting for it to end
                idle(page)
                lat[label].append(time.perf_counter() - t0)
                cpu[label].append(server_cpu(pid) - c0)
                page.keyboard.press("Escape")
        for label in labels:
            print(
                f"filter change (channel, overview), {label}: median {statistics.median(lat[label]):.2f}s, "
                f"max {max(lat[label]):.2f}s over {len(lat[label])} uncached changes; server CPU median "
                f"{statistics.median(cpu[label]):.2f}s, max {max(cpu[label]):.2f}s"
            )
            out[label]["filter"] = {"median": round(statistics.median(lat[label]), 2),
                                    "max": round(max(lat[label]), 2)}
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--db", type=Path,
                        help="a warehouse to reuse; generated there (and kept) when absent")
    parser.add_argument("--variant", type=parse_variant, action="append", default=[],
                        help="LABEL=TREE [VAR=VALUE ...]: a server to compare (repeatable; default: "
                        "this checkout)")
    parser.add_argument("--compare-compress", action="store_true",
                        help="this checkout with the frontend bundle gzip-compressed and without")
    parser.add_argument("--pages", help="comma-separated URL paths to time ('' or 'executive' = the "
                        "executive summary), e.g. executive,reasons; default every page")
    args = parser.parse_args()
    pages = PAGES
    if args.pages:
        wanted = {"" if p.strip() == "executive" else p.strip() for p in args.pages.split(",")}
        pages = [p for p in PAGES if p[0] in wanted]
        if len(pages) < len(wanted):
            raise SystemExit(f"--pages: choose among executive, {', '.join(p for p, _ in PAGES[1:])}")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install -y chromium")
    variants = list(args.variant)
    if args.compare_compress:
        variants += [Variant("gzip", ROOT, {"VOC_DASHBOARD_COMPRESS_STATIC": "true"}),
                     Variant("plain", ROOT, {"VOC_DASHBOARD_COMPRESS_STATIC": "false"})]
    variants = variants or [Variant("this", ROOT, {})]
    if len({v.label for v in variants}) < len(variants):
        raise SystemExit("--variant labels must differ")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.duckdb"
        if not db.exists():
            t0 = time.perf_counter()
            source = build(db, args.n)
            print(f"built {args.n:,} interactions with {source} in {time.perf_counter() - t0:.0f}s into {db}")
        procs = []
        try:
            servers = {}
            for v in variants:
                proc, url = serve.start(db, timeout=180, root=v.root, env=v.env)
                procs.append(proc)
                servers[v.label] = (url, proc.pid)
                env = " ".join(f"{k}={x}" for k, x in v.env.items())
                print(f"server {v.label}: {v.root} {env}".rstrip())
            # the machine may be shared: wall times only mean something next to the load they ran under
            print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
            measure(servers, args.loads, pages)
            print("load average (1, 5, 15 min) after: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
        finally:
            for proc in procs:
                serve.stop(proc)


if __name__ == "__main__":
    main()
