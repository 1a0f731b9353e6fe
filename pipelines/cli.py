"""`python -m pipelines`: a thin command line over the library functions.

Each command lives in `pipelines/commands/<name>.py` and exposes `register(subparsers)`; the
command's handler takes the parsed arguments and the run's `Settings` (`pipelines.config`) and
returns an exit code. A command whose flags override settings registers `flags(settings, args)`,
which `main` applies before the handler runs. Domain errors become
one-line messages that say how to fix the problem (exit 2); a bug still shows its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pipelines.config import Settings
from pipelines.errors import UserError
from pipelines.settings import default_db

# Order is the order of `--help`; `run` executes the stages in pipelines.stages.
COMMANDS = ("ingest", "unload", "enrich", "topics", "build", "run", "teach", "publish", "demo", "export", "forget")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Voice-of-customer warehouse: load contact-center exports, score them, build the marts.",
        epilog="Example: python -m pipelines --db data/voc.duckdb ingest social tweets.csv --column text=text",
    )
    parser.add_argument("--db", default=str(default_db()), help="working warehouse (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"pipelines.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        # The run's settings, built once: the file, then the environment, then this command's flags.
        settings = Settings.load()
        if getattr(args, "flags", None) is not None:
            settings = args.flags(settings, args)
        return int(args.func(args, settings) or 0)
    except UserError as exc:  # the project's own errors only (pipelines.errors): a bug keeps its traceback
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the file being loaded was rolled back; run the same command again", file=sys.stderr)
        return 130
