"""Ingest throughput: 1,000,000 generated social posts through `ingest social`, next to DuckDB's read_csv.

Run: `make bench-ingest` (1M rows; `make bench-ingest ROWS=300000` for another size, or
`nice -n 10 .venv/bin/python -m benchmarks.bench_ingest --rows 1000000`; `--profile` also prints
the statements that took the most CPU in each run).
Prints rows/s of DuckDB's own `read_csv` of the same file (materialised into a table), of our
ingest without redaction (`--keep-originals`) and with the default PII redaction, and the ratios.
CPU seconds include the redaction worker processes' (`--redact-workers`, default one per CPU).
The file is TWCS-shaped (brand replies, reply threads, Twitter timestamps), written by DuckDB.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.redact import pool
from pipelines.warehouse import connect

GOAL = 3  # issue 13: ingest with redaction within 3x of read_csv
TEMPLATES = [
    "my parcel is late again, nobody answers the phone",
    "the app keeps logging me out, I cannot pay my bill",
    "thank you for the quick refund, great service",
    "charged twice this month, please fix my invoice",
    "the delivery driver left the box in the rain",
    "cannot reset my password, the link has expired",
    "why is my internet down for the third day in a row",
    "your agent was very helpful and kind today",
    "order {n} still not shipped after two weeks",
    "call me back on 0{n} about the billing error",
    "email me at user{n}@example.com with the tracking number",
    "flight {n} delayed four hours and no information at the gate",
]


def generate(path: Path, rows: int) -> None:
    """A TWCS-shaped CSV: every third post is a brand reply to the previous one."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE templates AS SELECT * FROM (SELECT unnest($t) AS t, generate_subscripts($t, 1) - 1 AS k)",
        {"t": TEMPLATES},
    )
    con.execute(
        f"""COPY (
        SELECT i AS tweet_id,
               CASE WHEN i % 3 = 2 THEN 'BrandHelp' || (i % 7) ELSE CAST(100000 + hash(i // 3) % 200000 AS VARCHAR) END
                   AS author_id,
               CASE WHEN i % 3 = 2 THEN 'False' ELSE 'True' END AS inbound,
               strftime(TIMESTAMP '2024-01-01' + to_seconds(i * 7), '%a %b %d %H:%M:%S +0000 %Y') AS created_at,
               replace(t.t, '{{n}}', CAST(hash(i) % 100000000 AS VARCHAR)) AS text,
               NULL AS response_tweet_id,
               CASE WHEN i % 3 = 2 THEN CAST(i - 1 AS VARCHAR) || '.0' END AS in_response_to_tweet_id
        FROM range(1, $n + 1) r(i) JOIN templates t ON t.k = hash(i * 31) % {len(TEMPLATES)}
        ORDER BY i) TO '{path}' (HEADER, DELIMITER ',')""",
        {"n": rows},
    )
    con.close()


def duckdb_read_csv(path: Path) -> tuple[float, float]:
    con = duckdb.connect()
    start, cpu = time.perf_counter(), time.process_time()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv($p)", {"p": str(path)})
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    con.close()
    return seconds, cpu


class Timed:
    """A connection that records each statement's CPU and wall seconds (`--profile`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con, self.log = con, []

    def execute(self, sql: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        start, cpu = time.perf_counter(), time.process_time()
        result = self._con.execute(sql, *args, **kwargs)
        self.log.append((time.process_time() - cpu, time.perf_counter() - start, " ".join(str(sql).split())))
        return result

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._con, name)

    def print_top(self, n: int = 8) -> None:
        for cpu, wall, sql in sorted(self.log, reverse=True)[:n]:
            print(f"    cpu {cpu:6.2f}s  wall {wall:6.2f}s  {sql[:110]}")


def ingest(path: Path, db: Path, options: IngestOptions, profile: bool = False) -> tuple[float, float, str]:
    con = connect(db)
    timed = Timed(con) if profile else None
    start, cpu = time.perf_counter(), time.process_time() + pool.worker_cpu_seconds()
    [report] = ingest_paths(timed or con, "social", [path], options)
    seconds = time.perf_counter() - start
    cpu = time.process_time() + pool.worker_cpu_seconds() - cpu
    con.close()
    if timed:
        timed.print_top()
    return seconds, cpu, report.line()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-redaction-run", action="store_true", help="skip the run with PII redaction")
    parser.add_argument("--redact-workers", type=int, default=0, help="[ingest] redact_workers (0: per CPU)")
    parser.add_argument("--profile", action="store_true", help="print the statements that took the most CPU")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="voc-bench-") as tmp:
        csv_path = Path(tmp) / "posts.csv"
        start = time.perf_counter()
        generate(csv_path, args.rows)
        print(
            f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f}s"
        )
        # CPU seconds (all threads) next to wall time: on a shared machine wall time is mostly waiting
        base, base_cpu = duckdb_read_csv(csv_path)
        print(f"duckdb read_csv -> table:     {base:7.2f}s  {args.rows / base:12,.0f} rows/s  cpu {base_cpu:6.2f}s")
        runs = [("no redaction", IngestOptions(keep_originals=True))]
        if not args.no_redaction_run:
            workers = pool.auto_workers(args.redact_workers)
            runs.append((f"PII redacted, {workers} worker{'s' * (workers > 1)}",
                         IngestOptions(redact_workers=workers)))
        ratios = []
        for name, options in runs:
            wall, cpu, line = ingest(csv_path, Path(tmp) / f"{name[:2]}.duckdb", options, args.profile)
            print(
                f"ingest social ({name}): {wall:7.2f}s  {args.rows / wall:12,.0f} rows/s  cpu {cpu:6.2f}s  "
                f"ratio {wall / base:.1f}x (cpu {cpu / base_cpu:.1f}x)   [{line.split(': ', 1)[1]}]"
            )
            ratios.append(f"{name} {cpu / base_cpu:.1f}x (wall {wall / base:.1f}x)")
        print(
            f"at {args.rows:,} rows, ingest / read_csv in CPU seconds: {'; '.join(ratios)}; "
            f"goal: PII redacted within {GOAL}x"
        )


if __name__ == "__main__":
    main()
