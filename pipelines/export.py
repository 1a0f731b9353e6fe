"""Export warehouse tables to Hive-partitioned Parquet (`year=YYYY/month=MM/`) for DuckDB or MotherDuck.

Partitioning by the month of the table's main timestamp lets a query engine prune whole folders;
tables without a timestamp are written as one file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

# The column a table is partitioned by, where it has one; first match wins.
PARTITION_COLUMNS = ("occurred_at", "week", "day")


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return dict(rows)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_temporal(data_type: str | None) -> bool:
    return bool(data_type) and (data_type.startswith("TIMESTAMP") or data_type == "DATE")


def _literal(path: str) -> str:
    """A SQL string literal for a path (COPY takes no bound parameter for its target)."""
    return "'" + path.replace("'", "''") + "'"


def export_parquet(
    con: duckdb.DuckDBPyConnection, out: Path, schemas: tuple[str, ...] = ("marts",)
) -> Iterator[tuple[str, str, int, Path]]:
    """Write each table of `schemas` under `out/<schema>/<table>/`; yields (schema, table, rows, path)."""
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1, 2",
        [list(schemas)],
    ).fetchall()
    for schema, table in tables:
        target = Path(out) / schema / table
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        cols = _columns(con, schema, table)
        source = f"{_quote(schema)}.{_quote(table)}"
        part = next((c for c in PARTITION_COLUMNS if _is_temporal(cols.get(c))), None)
        dest = _literal(target.as_posix())
        rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        if part:
            con.execute(
                f"COPY (SELECT *, year({_quote(part)}) AS year, month({_quote(part)}) AS month FROM {source}) "
                f"TO {dest} (FORMAT parquet, PARTITION_BY (year, month), OVERWRITE_OR_IGNORE)"
            )
        else:
            con.execute(f"COPY {source} TO {_literal((target / 'data.parquet').as_posix())} (FORMAT parquet)")
        yield schema, table, rows, target
