"""`build`: rebuild every mart (analytics) from staging + enriched, then publish."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from pipelines import warehouse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="rebuild the marts (repeat contacts, root causes, CLV at risk) and publish",
        description="Rebuild every marts.* table in one transaction, then publish the serving copy.\n"
        "Example: python -m pipelines build --window-hours 24",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--window-hours", type=int, help="default repeat window (one of [analytics] windows_hours)")
    p.add_argument("--transfer-gap-minutes", type=float, help="contacts closer than this are transfers")
    p.add_argument("--no-publish", action="store_true", help="do not refresh the serving copy")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from analytics import build
    from analytics.settings import load

    settings = load()
    if args.window_hours:
        settings = dataclasses.replace(settings, default_window_hours=args.window_hours)
    if args.transfer_gap_minutes is not None:
        settings = dataclasses.replace(settings, transfer_gap_minutes=args.transfer_gap_minutes)
    db = Path(args.db)
    con = warehouse.connect(db)
    try:
        print(f"build: {build.run(con, settings)}")
    finally:
        con.close()
    if not args.no_publish:
        print(f"published: {warehouse.publish(db)}")
    return 0
