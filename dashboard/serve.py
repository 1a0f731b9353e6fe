"""Start the dashboard as a real server on localhost, for the browser test, the benchmarks and scripts.

    proc, url = start(Path("data/voc.duckdb"))
    ...
    stop(proc)
"""

from __future__ import annotations

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
# finished its run and every Plotly chart on the page has drawn its SVG.
IDLE_JS = """(minCharts) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    return charts.length >= minCharts && charts.every(c => c.querySelector('.main-svg'));
}"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(db: Path, port: int | None = None, timeout: float = 90.0) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` over warehouse `db`; returns (process, url) once the health check answers.

    The server's output goes to a temp log file (a pipe nobody reads would block it), quoted in the
    error when the server exits or does not answer in time.
    """
    port = port or free_port()
    log = tempfile.NamedTemporaryFile(prefix="voc-streamlit-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--client.toolbarMode", "viewer"],
        cwd=ROOT, env={**os.environ, "VOC_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT,
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
