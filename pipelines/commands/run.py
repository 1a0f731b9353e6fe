"""`run`: every stage after ingest, in order (enrich, topics assign, build), then publish."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import stages, warehouse
from pipelines.commands.enrich import add_engine_arguments, add_fast_argument, engine_overrides, fast_flag
from pipelines.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run every stage in order (enrich, topics, build) and publish",
        description="Run every stage after ingest on what is new, then publish the serving copy.\n"
        "Example: python -m pipelines run\n"
        "Model work on a Ray cluster: python -m pipelines run --engine ray --ray-address auto\n"
        "Large backlog, fast mode: python -m pipelines run --fast",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--only", action="append", choices=[name for name, _ in stages.STAGES],
                   help="run only this stage (repeatable)")
    add_fast_argument(p)
    add_engine_arguments(p)
    p.set_defaults(func=handle, flags=flags)


def flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """`[models]` and `[enrich]` as `--fast` and the engine flags set them."""
    return settings.replace(models=fast_flag(args), enrich=engine_overrides(args))


def handle(args: argparse.Namespace, settings: Settings) -> int:
    db = Path(args.db)
    con = warehouse.connect(db, settings=settings.warehouse)
    try:
        for name, summary in stages.run_all(con, settings, set(args.only) if args.only else None):
            print(f"{name}: {summary}")
    finally:
        con.close()
    print(f"published: {warehouse.publish(db, settings.warehouse)}")
    return 0
