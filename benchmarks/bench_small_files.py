"""Small-file ingest: the demo's calls (one Transcribe JSON per call) and chats, files/s and CPU per file.

Run: `make bench-small-files` (500 customers x 60 days: ~565 call files and one chats.jsonl), or
`.venv/bin/python -m benchmarks.bench_small_files --customers 3000 --days 120`.
The transcripts folder is ingested twice into a fresh warehouse: the first pass loads every file,
the second finds each one already loaded (the re-ingest skip). Prints wall and CPU seconds
(`time.process_time`: this process, DuckDB's threads included) and files/s of each pass.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pipelines.commands.demo import ingest_options
from pipelines.demo import generate
from pipelines.ingest import ingest_paths
from pipelines.warehouse import connect


def timed(con, folder: Path) -> tuple[float, float, list]:
    """(wall s, CPU s, reports) of ingesting `folder` as transcripts."""
    wall, cpu = time.perf_counter(), time.process_time()
    reports = ingest_paths(con, "transcripts", [folder], ingest_options())
    return time.perf_counter() - wall, time.process_time() - cpu, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        generate(out, seed=7, customers=args.customers, days=args.days)
        folder = out / "transcripts"
        con = connect(Path(tmp) / "voc.duckdb")
        for label in ("first load", "re-ingest"):
            wall, cpu, reports = timed(con, folder)
            files = len(reports)
            read, loaded, rejected = (sum(getattr(r, a) for r in reports) for a in ("read", "loaded", "rejected"))
            errors = sum(1 for r in reports if r.error)
            print(
                f"{label:<10} {files} files: read {read}, loaded {loaded}, rejected {rejected}, errors {errors}; "
                f"{wall:.1f} s wall, {cpu:.1f} s CPU, {files / wall:.0f} files/s, {1000 * cpu / files:.1f} ms CPU/file"
            )
        con.close()


if __name__ == "__main__":
    main()
