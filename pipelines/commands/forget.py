"""`forget --customer WHO`: erase a customer's contacts from every layer, then rebuild and publish."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import stages, warehouse
from pipelines.config import Settings
from pipelines.errors import MissingPathError
from pipelines.forget import forget


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `forget` command to the CLI."""
    p = sub.add_parser(
        "forget",
        help="erase a customer (right to erasure) from every layer and the serving copy",
        description="Delete a customer's contacts, records, rejects, scores, topic assignments, embeddings and "
        "quotes in topic models, rebuild the marts and publish, and say what was removed per table.\n"
        "Examples:\n  python -m pipelines forget --customer jane.roe@example.org\n"
        "  python -m pipelines forget --customer '+44 7700 900123'\n"
        "  python -m pipelines forget --customer cust-khdpaejfmobgclnn",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--customer",
        required=True,
        metavar="ID|EMAIL|PHONE|HANDLE",
        help="CRM id, email, phone, social handle or the pseudonym (cust-...) shown in the dashboard",
    )
    p.add_argument("--no-publish", action="store_true", help="rebuild the marts but leave the serving copy")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Forget, rebuild the marts, publish."""
    db = Path(args.db)
    if not db.exists():
        raise MissingPathError(f"no warehouse at {db}; nothing to forget")
    con = warehouse.connect(db, settings=settings.warehouse)
    try:
        region = settings.ingest.phone_region
        customers, removed = forget(con, args.customer, region or None)
        print(f"forgot {', '.join(customers) or 'an unlinked contact'}:")
        for table, n in removed.items():
            print(f"  {table}: {n} removed")
        print(f"build: {stages.build(con, settings)}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if not args.no_publish:
        print(f"published: {warehouse.publish(db, settings.warehouse)}")
    return 0
