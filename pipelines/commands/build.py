"""`build`: rebuild every mart (analytics) from staging + enriched, then publish."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import stages, warehouse
from pipelines.config import Settings


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
    p.set_defaults(func=handle, flags=flags)


def flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """`[analytics]` as `--window-hours` and `--transfer-gap-minutes` set them."""
    return settings.replace(analytics={"default_window_hours": args.window_hours or None,
                                       "transfer_gap_minutes": args.transfer_gap_minutes})


def handle(args: argparse.Namespace, settings: Settings) -> int:
    db = Path(args.db)
    con = warehouse.connect(db, settings=settings.warehouse)
    try:
        print(f"build: {stages.build(con, settings)}")
    finally:
        con.close()
    if not args.no_publish:
        print(f"published: {warehouse.publish(db, settings.warehouse)}")
    return 0
