"""`run`: every stage after ingest, in order (enrich, topics assign, build), then publish."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import stages, warehouse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run every stage in order (enrich, topics, build) and publish",
        description="Run every stage after ingest on what is new, then publish the serving copy.\n"
        "Example: python -m pipelines run",
    )
    p.add_argument("--only", action="append", choices=[name for name, _ in stages.STAGES],
                   help="run only this stage (repeatable)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    db = Path(args.db)
    con = warehouse.connect(db)
    try:
        for name, summary in stages.run_all(con, set(args.only) if args.only else None):
            print(f"{name}: {summary}")
    finally:
        con.close()
    print(f"published: {warehouse.publish(db)}")
    return 0
