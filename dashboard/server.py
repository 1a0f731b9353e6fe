"""The dashboard's server process: Streamlit's own command line (`streamlit run app.py ...`), after
the work every first visitor would otherwise wait for has been done once at start.

    python -m dashboard.server run app.py --server.port 8501 ...   (what `dashboard.serve` runs)

Streamlit runs each page script in this same process, so modules imported here are already in
`sys.modules` when the first session starts, and the serving copy's connection (`data._connection`,
an `st.cache_resource`) is the one that session gets. `warm` imports pandas, plotly and the dashboard
modules, draws and serialises one figure and one table the way `st.plotly_chart` and `st.dataframe`
do (plotly and pyarrow load parts of themselves on first use), then attaches the serving copy and
reads the small marts every page starts from. A missing or unreadable serving copy is left to the
page, which names the command that fixes it.

Before that, `compress_static` puts `dashboard.static_gzip` in front of Streamlit's middleware: the
frontend bundle (7.7 MB a fresh tab fetches, plotly.js 4.7 MB of it) goes out gzip-compressed
(2.7 MB), compressed once in a thread while the server starts. `[dashboard] compress_static = false`
(or VOC_DASHBOARD_COMPRESS_STATIC=false) serves it as Streamlit does, uncompressed.
"""

from __future__ import annotations

import logging
import sys
import time


def warm() -> dict[str, float]:
    """Do the first visitor's one-time work now; returns seconds per step (printed at start)."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    # st.cache_data warns once per decorated function that no runtime exists yet: it is expected here
    from streamlit.runtime.caching import cache_data_api

    quiet = logging.getLogger(cache_data_api.__name__)
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        return _warm(seconds, t0)
    finally:
        quiet.setLevel(level)


def _warm(seconds: dict[str, float], t0: float) -> dict[str, float]:
    import pandas as pd
    import plotly.express as px
    import plotly.io as pio
    from streamlit import dataframe_util

    # every module app.py and the pages import (the page scripts themselves run per visit)
    from dashboard import (auth, charts, corrections, data, export, filters, ops_charts, ops_queries, queries,
                           report, ui)

    del auth, corrections, export, filters, ops_charts, ops_queries, report, ui

    seconds["imports"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    days = pd.to_datetime(["2026-01-01", "2026-01-02"])
    frame = pd.DataFrame({"day": days, "reason": ["a", "b"], "n": [2, 1]})
    for fig in (charts.bar(frame, "reason", "n", "warm-up"), charts.trend(frame, "day", "n", "warm-up"),
                px.scatter(frame, x="day", y="n", color="reason")):
        pio.to_json(fig, validate=False)
    dataframe_util.convert_pandas_df_to_arrow_bytes(frame)
    seconds["first figure and table"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        snap = data.snapshot()
        con = data._connection(snap)
        cursor = con.cursor()
        try:
            cursor.execute(f"USE {data.CATALOG}")
            # the file's catalog and the small marts every page reads first (the filter choices come
            # from marts.daily_volume): read once, so their blocks are in the buffer pool and page cache
            cursor.execute("SELECT count(*) FROM marts.interactions").fetchall()
            cursor.execute(f"SELECT * FROM {queries._DAILY}").fetchall()
        finally:
            cursor.close()
    except data.WarehouseMissing:
        pass  # no serving copy yet: the page says how to build it
    except data.UNREADABLE:
        pass  # truncated or corrupt: the page says how to publish it again
    seconds["serving copy"] = time.perf_counter() - t0
    return seconds


def compress_static() -> str:
    """Serve the frontend bundle gzip-compressed (`[dashboard] compress_static`, on by default); the
    compression runs in a thread while the server starts. Returns what was done, for the start log."""
    from pathlib import Path

    from streamlit import file_util

    from dashboard import static_gzip
    from dashboard.auth import settings

    if not settings().compress_static:
        return "static bundle uncompressed ([dashboard] compress_static = false)"
    if not static_gzip.install(static_gzip.BackgroundBundle(Path(file_util.get_static_dir()) / "static")):
        return "static bundle uncompressed (this Streamlit version has no create_streamlit_middleware)"
    return "static bundle gzip-compressed in the background"


def main(argv: list[str]) -> int:
    """Warm up, then hand `argv` (`run app.py ...`) to Streamlit's command line."""
    from streamlit.web import cli

    gzip_note = compress_static()
    seconds = warm()
    print("warmed up: " + ", ".join(f"{k} {v:.2f}s" for k, v in seconds.items()) + f"; {gzip_note}",
          file=sys.stderr)
    sys.argv = ["streamlit", *argv]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
