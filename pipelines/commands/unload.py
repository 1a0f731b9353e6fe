"""`unload PATH...`: take files back out of the warehouse (a wrong mapping, a file loaded by mistake)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import warehouse
from pipelines.config import Settings
from pipelines.ingest.unload import unload_paths


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `unload` command to the CLI."""
    p = sub.add_parser(
        "unload",
        help="remove loaded files and everything derived from them",
        description="Remove what ingest loaded from each PATH (a file, or every file loaded from a folder; "
        "the file itself may be gone): raw records and rejects, staging rows, their scores and topic "
        "assignments. The next build rebuilds the marts without them.\n"
        "Example: python -m pipelines unload exports/tickets.csv && python -m pipelines build",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders given to ingest")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Run `unload`; exit 1 when none of the paths had anything loaded."""
    con = warehouse.connect(Path(args.db), settings=settings.warehouse)
    try:
        reports = unload_paths(con, args.paths)
    finally:
        con.close()
    for report in reports:
        print(report.line())
    if any(r.files for r in reports):
        print("run `python -m pipelines build` (or `run`) to rebuild the marts without them")
        return 0
    return 1
