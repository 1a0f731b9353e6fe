"""`demo`: generate the seeded demo data, load it through the ordinary ingest path, run every stage."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import duckdb

from pipelines import stages, warehouse
from pipelines.commands.enrich import add_fast_argument, fast_flag
from pipelines.config import Settings
from pipelines.demo import generate, planted_truth
from pipelines.demo.writers import BRAND_HANDLE, COMPANY_DOMAIN, SUPPORT_ADDRESS

# Ingest order matters: customers first so identities exist when interactions are stitched.
INGEST_ORDER = ("customers", "transactions", "transcripts", "emails", "social")
MAX_FILE_LINES = 12     # per kind; beyond it (one JSON per call) print only files with rejects + a total


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="generate the seeded demo data set, ingest it and run every stage",
        description="Generate a realistic multi-channel demo data set (calls, chats, emails, social posts, "
        "customers, transactions) with planted patterns, load it through the same ingest path as your "
        "own files, run every stage and publish.\n"
        "Example: python -m pipelines --db data/voc.duckdb demo --out data/demo --seed 7 --customers 3000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=Path, default=Path("data/demo"), help="folder for the generated files (default: %(default)s)")
    p.add_argument("--seed", type=int, default=7, help="random seed; same seed, same files (default: %(default)s)")
    p.add_argument("--customers", type=int, default=3000, help="number of customers (default: %(default)s)")
    p.add_argument("--days", type=int, default=120, help="days of contacts (default: %(default)s)")
    p.add_argument("--scale", type=float, default=1.0, help="contact volume multiplier (default: %(default)s)")
    p.add_argument("--bulk", action="store_true", help="write calls and chats as one utterance CSV (for big sets)")
    p.add_argument("--no-stages", action="store_true", help="only generate and ingest; skip enrich/topics/build")
    add_fast_argument(p)
    p.set_defaults(func=handle, flags=lambda settings, args: settings.replace(models=fast_flag(args)))


def ingest_options():  # -> IngestOptions
    """Ingest options for the demo: the brand's social account and support address are the company."""
    from pipelines.ingest.records import IngestOptions

    values = {"brand_accounts": (BRAND_HANDLE, SUPPORT_ADDRESS)}
    names = {f.name for f in dataclasses.fields(IngestOptions)}
    if "company_domains" in names:   # the email loader may take the domain separately
        values["company_domains"] = (COMPANY_DOMAIN,)
    return IngestOptions(**values)


def ingest_all(con: duckdb.DuckDBPyConnection, files: dict[str, list[Path]]) -> list:
    """Ingest every generated file by kind; prints one line per file (or per kind for many files)."""
    from pipelines.ingest import ingest_paths

    options = ingest_options()
    reports = []
    for kind in INGEST_ORDER:
        kind_reports = ingest_paths(con, kind, [str(p) for p in files.get(kind, [])], options)
        reports += kind_reports
        for report in kind_reports:
            if len(kind_reports) <= MAX_FILE_LINES or report.rejected:
                print(f"  {report.line()}")
        if len(kind_reports) > MAX_FILE_LINES:
            read, loaded, rejected = (sum(getattr(r, a) for r in kind_reports) for a in ("read", "loaded", "rejected"))
            print(f"  {kind}: {len(kind_reports)} files: read {read}, loaded {loaded}, rejected {rejected}")
    read, loaded, rejected = (sum(getattr(r, a) for r in reports) for a in ("read", "loaded", "rejected"))
    print(f"total: {len(reports)} files, read {read}, loaded {loaded}, rejected {rejected}")
    return reports


def run_stages(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Run each stage in order, printing its summary as it finishes."""
    for name, _ in stages.STAGES:
        for _, summary in stages.run_all(con, settings, only={name}):
            print(f"{name}: {summary}")


def summary(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What the warehouse holds: interactions per channel, customers, date range."""
    table = "marts.interactions" if warehouse.table_exists(con, "marts", "interactions") else "staging.interactions"
    lines = [f"warehouse ({table}):"]
    for channel, direction, n in con.execute(
        f"SELECT channel, direction, count(*) FROM {table} GROUP BY ALL ORDER BY channel, direction"
    ).fetchall():
        lines.append(f"  {channel:<7} {direction:<9} {n:>9,}")
    lo, hi, n, anon = con.execute(
        f"SELECT min(occurred_at), max(occurred_at), count(*), count(*) FILTER (customer_id IS NULL) FROM {table}"
    ).fetchone()
    customers = con.execute("SELECT count(*) FROM staging.customers").fetchone()[0]
    turns = con.execute("SELECT count(*) FROM staging.turns").fetchone()[0]
    lines.append(f"  interactions {n:,} ({anon:,} anonymous), turns {turns:,}, customers {customers:,}")
    lines.append(f"  from {lo} to {hi}")
    return lines


def handle(args: argparse.Namespace, settings: Settings) -> int:
    db = Path(args.db)
    print(f"generating demo data in {args.out} (seed {args.seed}, {args.customers} customers, {args.days} days)")
    files = generate(args.out, seed=args.seed, customers=args.customers, days=args.days, scale=args.scale, bulk=args.bulk)
    truth = planted_truth(days=args.days)
    print(f"  planted: billing defect ({truth['billing_defect']['reason']}), delivery spike in the week of "
          f"{truth['delivery_spike']['week_start']}, login failure chat->call; see {args.out / 'planted_truth.json'}")
    con = warehouse.connect(db, settings=settings.warehouse)
    try:
        ingest_all(con, files)
        if not args.no_stages:
            run_stages(con, settings)
        for line in summary(con):
            print(line)
    finally:
        con.close()
    print(f"published: {warehouse.publish(db, settings.warehouse)}")
    return 0
