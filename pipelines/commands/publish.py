"""`publish`: copy the warehouse atomically to the serving file the dashboard reads."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import warehouse
from pipelines.config import Settings
from pipelines.errors import MissingPathError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publish", help="atomically refresh the dashboard's read-only copy",
                       description="Example: python -m pipelines publish")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    db = Path(args.db)
    if not db.exists():
        raise MissingPathError(f"no warehouse at {db}; build one with: python -m pipelines demo")
    print(f"published: {warehouse.publish(db, settings.warehouse)}")
    return 0
