"""Export warehouse tables to Hive-partitioned Parquet (`year=YYYY/month=MM/`) for DuckDB or MotherDuck.

Partitioning by the month of the table's main timestamp lets a query engine prune whole folders;
tables without a timestamp are written as one file. A re-export replaces only the files the previous
export of that table wrote (listed in `<table>/.voc-export`), never anything else a user keeps there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.errors import UserError

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


MANIFEST = ".voc-export"  # the files an export wrote, one relative path a line


class ExportError(UserError, ValueError):
    """OUT cannot take the export; the message names the path and the fix."""


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST}


def _prepare(target: Path) -> set[Path]:
    """Remove what the last export wrote into `target` (and folders it left empty); the rest stays."""
    manifest = target / MANIFEST
    if manifest.is_file():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            written = target / line
            if line and ".." not in Path(line).parts and written.is_file():
                written.unlink()
        for folder in sorted((p for p in target.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            if not any(folder.iterdir()):
                folder.rmdir()
    return _files(target)


def _check_out(out: Path) -> None:
    for path in (out, *out.parents):
        if path.exists() and not path.is_dir():
            raise ExportError(f"{path} is a file, not a folder: give export a folder (it creates it when missing)")


def _literal(path: str) -> str:
    """A SQL string literal for a path (COPY takes no bound parameter for its target)."""
    return "'" + path.replace("'", "''") + "'"


def export_parquet(
    con: duckdb.DuckDBPyConnection, out: Path, schemas: tuple[str, ...] = ("marts",)
) -> Iterator[tuple[str, str, int, Path]]:
    """Write each table of `schemas` under `out/<schema>/<table>/`; yields (schema, table, rows, path)."""
    out = Path(out)
    _check_out(out)
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1, 2",
        [list(schemas)],
    ).fetchall()
    for schema, table in tables:
        target = out / schema / table
        try:
            target.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise ExportError(f"cannot create {target}: a file is in the way ({exc.filename})") from exc
        theirs = _prepare(target)
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
        ours = sorted(p.relative_to(target).as_posix() for p in _files(target) - theirs)
        (target / MANIFEST).write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
        yield schema, table, rows, target
