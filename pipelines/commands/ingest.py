"""`ingest KIND PATH...`: load contact-center exports into the warehouse's raw and staging layers."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from pipelines import warehouse
from pipelines.config import Settings
from pipelines.errors import UserError
from pipelines.ingest import KINDS, ingest_paths
from pipelines.ingest.mapping import parse_column_args
from pipelines.ingest.records import IngestOptions

EXAMPLES = """Examples:
  python -m pipelines ingest --list-formats          # every format and preset, with an example
  python -m pipelines ingest social Tweets.csv --column text=text --column customer_id=name \\
      --column occurred_at=tweet_created --column source_id=tweet_id --timezone America/Los_Angeles
  python -m pipelines ingest social twcs.csv --brand-account AmazonHelp
  python -m pipelines ingest emails complaints.csv exports/mailboxes/
  python -m pipelines ingest emails saved-mails/ --occurred-at mtime
  python -m pipelines ingest transcripts calls/ --format utterances_csv --encoding cp1250
  python -m pipelines ingest customers crm.csv --mapping crm_mapping.toml

Re-running the same command adds nothing (--replace loads it again); a changed file replaces what
it loaded before; `python -m pipelines unload PATH` takes a file back out.
Rejected records are kept in raw.rejects with their record number and reason."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `ingest` command to the CLI."""
    p = sub.add_parser(
        "ingest",
        help="load exports (transcripts, emails, social, customers, transactions)",
        description="Load files (or folders of files) into raw + staging, one transaction per file.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", nargs="?", choices=KINDS, help="what the files hold")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders")
    p.add_argument(
        "--list-formats",
        action="store_true",
        help="name every format and export preset (for KIND, or all), say which load as they are, and exit",
    )
    p.add_argument("--format", dest="fmt", help="file format (default: detected from extension and content)")
    p.add_argument(
        "--column",
        action="append",
        metavar="FIELD=COLUMN",
        help="map a source column onto a warehouse field, e.g. text=body (repeatable)",
    )
    p.add_argument("--mapping", help='TOML/YAML column-mapping file ([columns] field = "column")')
    p.add_argument(
        "--encoding", help="file encoding (default: detected), e.g. utf-8, utf-16, gb18030, cp1250, latin-1"
    )
    p.add_argument("--timezone", help="time zone of naive timestamps (default: UTC), e.g. Europe/Warsaw")
    p.add_argument("--channel", help="override the channel a format implies (call, chat, email, social)")
    p.add_argument(
        "--occurred-at",
        metavar="FALLBACK",
        help="date of records that carry none: column:NAME, filename, filename:PATTERN (strptime, "
        "e.g. filename:%%Y%%m%%d) or mtime (default: a time in the file name, else the file's mtime, "
        "with a warning)",
    )
    p.add_argument(
        "--brand-account",
        action="append",
        metavar="NAME",
        help="social author that is the company itself: its posts are agent replies (repeatable)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        default=None,
        help="load again even when the same content is already loaded (what it loaded before is replaced)",
    )
    p.add_argument(
        "--phone-region",
        metavar="CC",
        help="country of phone numbers written without one, e.g. GB: 07700 900123 then stitches with "
        "+44 7700 900123 (default: [ingest] phone_region, else none)",
    )
    p.add_argument(
        "--redact-workers",
        type=int,
        metavar="N",
        help="processes that redact a big file's texts (default: [ingest] redact_workers = 1, none; "
        "0 = one per CPU, at most 4)",
    )
    p.add_argument(
        "--keep-originals",
        action="store_true",
        default=None,
        help="keep unredacted text (default: PII is redacted before anything is stored)",
    )
    p.set_defaults(func=handle, flags=flags)


def flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """`[ingest]` as the flags given override it."""
    return dataclasses.replace(settings, ingest=options_from_args(args, settings.ingest))


def options_from_args(args: argparse.Namespace, options: IngestOptions) -> IngestOptions:
    """`options` ([ingest] from voc.toml/env), overridden by the flags given."""
    changes: dict[str, object] = {}
    if args.column:
        changes["columns"] = {**options.columns, **parse_column_args(args.column)}
    for flag, name in (
        ("mapping", "mapping_file"),
        ("encoding", "encoding"),
        ("timezone", "timezone"),
        ("channel", "channel"),
        ("occurred_at", "occurred_at"),
        ("keep_originals", "keep_originals"),
        ("replace", "replace"),
        ("phone_region", "phone_region"),
        ("redact_workers", "redact_workers"),
    ):
        value = getattr(args, flag)
        if value is not None:
            changes[name] = value
    if args.brand_account:
        changes["brand_accounts"] = tuple(options.brand_accounts) + tuple(args.brand_account)
    return dataclasses.replace(options, **changes)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Run `ingest`; exit 1 only when no file could be read at all."""
    if args.list_formats:
        from pipelines.ingest.catalog import describe

        print(describe(args.kind))
        return 0
    if not args.kind or not args.paths:
        raise UserError(
            "ingest needs a KIND and at least one PATH, "
            "e.g. `python -m pipelines ingest emails tickets.csv`; "
            "`python -m pipelines ingest --list-formats` lists the formats"
        )
    con = warehouse.connect(Path(args.db), settings=settings.warehouse)
    try:
        reports = ingest_paths(con, args.kind, args.paths, settings.ingest, fmt=args.fmt)
    finally:
        con.close()
    for report in reports:
        print(report.line())
    loaded = [r for r in reports if not r.error]
    print(
        f"total: {len(reports)} file(s), read {sum(r.read for r in loaded)}, "
        f"loaded {sum(r.loaded for r in loaded)}, rejected {sum(r.rejected for r in loaded)}, "
        f"skipped {sum(r.skipped for r in loaded)}, failed {len(reports) - len(loaded)}"
    )
    # Non-zero only when nothing could be read at all: rejects are data, not a failure.
    return 0 if loaded else 1
