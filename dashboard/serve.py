"""Start the dashboard as a real server: `make serve` (`python -m dashboard.serve`), and on localhost for
the browser test, the benchmarks and scripts.

    proc, url = start(Path("data/voc.duckdb"))
    ...
    stop(proc)

Without sign-in the dashboard is open to whoever reaches the port, so `make serve` binds 127.0.0.1
unless sign-in is on (`[dashboard] auth`) or an address is named (`--address`, `make serve ADDRESS=`).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Debian's chromium and the flags this closed network needs (no background connections).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


# Playwright `wait_for_function` condition (arg: minimum number of charts): the Streamlit script has
# finished its run, no element is still a skeleton (its code, e.g. plotly.js, still loading), every
# metric's sparkline (Vega, loaded after the metric shows) and every Plotly chart has drawn its SVG.
IDLE_JS = """(minCharts) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    const sparklines = [...document.querySelectorAll('[data-testid="stMetricChart"]')];
    if (!sparklines.every(s => s.querySelector('svg, canvas'))) return false;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    return charts.length >= minCharts && charts.every(c => c.querySelector('.main-svg'));
}"""


LOCALHOST = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"


def bind_address(auth_mode: str, named: str | None = None) -> str:
    """Where the server listens: the address named, else all interfaces only when sign-in is on.

    >>> bind_address("none"), bind_address("password"), bind_address("none", "10.0.0.5")
    ('127.0.0.1', '0.0.0.0', '10.0.0.5')
    """
    if named:
        return named
    return LOCALHOST if auth_mode == "none" else ALL_INTERFACES


def streamlit_args(port: int, address: str) -> list[str]:
    """The `streamlit run app.py` command line for a headless server (through `dashboard.server`, which
    does the first visitor's one-time work before Streamlit listens)."""
    return [sys.executable, "-m", "dashboard.server", "run", "app.py",
            "--server.port", str(port), "--server.address", address, "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]


def main(argv: list[str] | None = None) -> int:
    """`make serve`: run the dashboard in the foreground on the address `bind_address` picks."""
    from dashboard.auth import settings  # imports streamlit; only the server needs it

    parser = argparse.ArgumentParser(prog="python -m dashboard.serve", description=main.__doc__)
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", help="listen here (default: 127.0.0.1 unless sign-in is on)")
    args = parser.parse_args(argv)
    address = bind_address(settings().auth, args.address)
    if address != LOCALHOST and settings().auth == "none":
        print(f"warning: serving on {address} without sign-in: anyone who reaches the port sees the data",
              file=sys.stderr)
    print(f"serving on http://{address}:{args.port}", file=sys.stderr)
    return subprocess.call(streamlit_args(args.port, address), cwd=ROOT)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    db: Path,
    port: int | None = None,
    timeout: float = 90.0,
    root: Path = ROOT,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` over warehouse `db`; returns (process, url) once the health check answers.

    `root` is the checkout served (another one's code, e.g. a benchmark's before), `env` extra
    environment variables (settings, e.g. VOC_DASHBOARD_COMPRESS_STATIC=false). The server's output
    goes to a temp log file (a pipe nobody reads would block it), quoted in the error when the server
    exits or does not answer in time.
    """
    port = port or free_port()
    log = tempfile.NamedTemporaryFile(prefix="voc-streamlit-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [*streamlit_args(port, LOCALHOST), "--client.toolbarMode", "viewer"],
        cwd=root, env={**os.environ, **(env or {}), "VOC_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.5)
    stop(proc)
    output = Path(log.name).read_text(errors="replace")[-2000:]
    raise RuntimeError(f"streamlit did not start on {url} (exit {proc.returncode}): {output}")


def stop(proc: subprocess.Popen) -> None:
    """Terminate the server, killing it if it does not exit within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
