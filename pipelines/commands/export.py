"""`export`: write the warehouse's tables as Hive-partitioned Parquet that DuckDB queries in place."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import warehouse
from pipelines.config import Settings
from pipelines.errors import MissingPathError
from pipelines.export import export_parquet


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export tables to Hive-partitioned Parquet",
        description="Write every table of the given layers as Parquet under OUT/<schema>/<table>/, "
        "partitioned by month where the table has a timestamp.\n"
        "Example: python -m pipelines export data/parquet --layer marts --layer staging\n"
        "Query in place: SELECT * FROM read_parquet('data/parquet/marts/interactions/**/*.parquet', "
        "hive_partitioning = true)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", type=Path, help="output folder")
    p.add_argument("--layer", action="append", choices=warehouse.SCHEMAS, help="layer(s) to export (default: marts)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    db = Path(args.db)
    if not db.exists():
        raise MissingPathError(f"no warehouse at {db}; build one with: python -m pipelines demo")
    con = warehouse.connect(db, read_only=True)
    try:
        for schema, table, rows, path in export_parquet(con, args.out, tuple(args.layer or ("marts",))):
            print(f"{schema}.{table}: {rows} rows -> {path}")
    finally:
        con.close()
    return 0
