"""The only module that connects: a read-only DuckDB connection to the serving copy, cached queries.

The pipeline publishes by `os.replace`-ing the serving file, so the connection is keyed by the
file's inode and mtime: a new build gets a new connection, while queries already running keep
reading the old (unlinked) file. Nothing connects at import time; nothing here ever writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd
import streamlit as st

from pipelines.settings import default_db
from pipelines.warehouse import serving_path

BUILD_HINT = "make demo` (or `python -m pipelines demo`) for the demo data, or `python -m pipelines run"


PUBLISH_HINT = "python -m pipelines publish"
# what DuckDB raises reading a truncated or corrupt file (a bug in our SQL raises other errors)
UNREADABLE = (
    duckdb.IOException, duckdb.InternalException, duckdb.SerializationException, duckdb.FatalException
)


class WarehouseMissing(RuntimeError):
    """No usable serving copy: the message says which file and which command builds it."""

    command = "make demo\n# or\npython -m pipelines demo"


class ServingCopyUnreadable(WarehouseMissing):
    """The serving copy exists but cannot be read (truncated, corrupt): publish it again."""

    command = f"{PUBLISH_HINT}\n# or rebuild everything\npython -m pipelines run"

    def __init__(self, path: str, exc: Exception):
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        super().__init__(
            f"The serving copy {path} cannot be read ({first}): it is truncated or corrupt. Publish it "
            f"again from the warehouse with `{PUBLISH_HINT}`."
        )


class Snapshot(NamedTuple):
    """Which build a cached result came from: a new publish changes it and so the cache keys."""

    path: str
    inode: int
    mtime_ns: int


def warehouse_path() -> Path:
    """The serving copy of the warehouse named by `VOC_DB` (default `data/voc.duckdb`)."""
    return serving_path(default_db())


def snapshot() -> Snapshot:
    """The serving file's identity now; raises WarehouseMissing when there is none."""
    path = warehouse_path()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise WarehouseMissing(
            f"No warehouse at {path}. Build it with `{BUILD_HINT}` (which publishes the serving copy)."
        ) from None
    return Snapshot(str(path), stat.st_ino, stat.st_mtime_ns)


CATALOG = "voc"


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(snap: Snapshot) -> duckdb.DuckDBPyConnection:
    # READ_ONLY: the app never takes the write lock the pipeline needs. ATTACH from a private
    # in-memory instance, because duckdb.connect(path) reuses a process-wide instance per path and
    # would keep serving the replaced file's contents after a publish.
    # No replacement scans: SQL reads only the serving copy and what is registered (`con.register`).
    con = duckdb.connect(":memory:", config={"python_enable_replacements": False})
    try:
        con.execute(f"ATTACH ? AS {CATALOG} (READ_ONLY)", [snap.path])
    except duckdb.Error as exc:
        con.close()
        raise ServingCopyUnreadable(snap.path, exc) from exc
    return con


def _cursor(snap: Snapshot) -> duckdb.DuckDBPyConnection:
    cursor = _connection(snap).cursor()
    cursor.execute(f"USE {CATALOG}")
    return cursor


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the current build (a cursor per caller: DuckDB connections are not thread-safe)."""
    return _cursor(snapshot())


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _cached(snap: Snapshot, sql: str, params: tuple) -> pd.DataFrame:
    con = _cursor(snap)
    try:
        return con.execute(sql, list(params)).df()
    except UNREADABLE as exc:
        raise ServingCopyUnreadable(snap.path, exc) from exc
    finally:
        con.close()


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run a read-only query with bound parameters, cached per build and per parameters."""
    return _cached(snapshot(), sql, tuple(params))


@st.cache_data(max_entries=64, show_spinner=False)
def _tables(snap: Snapshot) -> dict[str, tuple[str, ...]]:
    con = _cursor(snap)
    try:
        rows = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = 'marts' ORDER BY table_name, ordinal_position",
            [CATALOG],
        ).fetchall()
    except UNREADABLE as exc:
        raise ServingCopyUnreadable(snap.path, exc) from exc
    finally:
        con.close()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return {k: tuple(v) for k, v in out.items()}


def columns(table: str) -> tuple[str, ...]:
    """Columns of `marts.<table>`; empty when the mart is not built."""
    return _tables(snapshot()).get(table, ())


def has_mart(table: str) -> bool:
    """True when `marts.<table>` exists in the current build."""
    return bool(columns(table))


def check_ready() -> int:
    """Number of interactions in the build; raises WarehouseMissing when there is nothing to show."""
    if not has_mart("interactions"):
        raise WarehouseMissing(
            f"The warehouse at {warehouse_path()} has no marts yet. Build them with `{BUILD_HINT}`."
        )
    n = int(query("SELECT count(*) AS n FROM marts.interactions").iloc[0, 0])
    if n == 0:
        raise WarehouseMissing(
            f"The warehouse at {warehouse_path()} holds no interactions. Load data and build it with "
            f"`{BUILD_HINT}`."
        )
    return n


def build_info() -> dict[str, str]:
    """The conventions the build used (`marts.build_info` key/value pairs), when published."""
    cols = columns("build_info")
    if {"key", "value"} <= set(cols):
        df = query("SELECT key, CAST(value AS VARCHAR) AS value FROM marts.build_info")
        return dict(zip(df["key"], df["value"], strict=True))
    if cols:  # one wide row
        df = query("SELECT * FROM marts.build_info LIMIT 1")
        return {c: str(df.iloc[0][c]) for c in df.columns} if len(df) else {}
    return {}


def mart(
    table: str,
    where: str = "TRUE",
    params: list | tuple = (),
    order: str = "",
    limit: int = 500,
) -> pd.DataFrame:
    """Rows of a whole mart (table from the code's constants, never from user input)."""
    if not has_mart(table):
        return pd.DataFrame()
    order_sql = f" ORDER BY {order}" if order else ""
    return query(f"SELECT * FROM marts.{table} WHERE {where}{order_sql} LIMIT ?", [*params, limit])
