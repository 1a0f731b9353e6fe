"""The DuckDB warehouse: connection, schema, bulk writes and the atomic publish for readers."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import UserError
from pipelines.settings import load_section

DDL_DIR = Path(__file__).parent / "sql" / "ddl"
SCHEMAS = ("raw", "staging", "enriched", "marts")


class WarehouseError(UserError, RuntimeError):
    """The warehouse cannot be opened or written; the message says why and what to do."""


@dataclass(frozen=True)
class WarehouseSettings:
    """`[warehouse]` in voc.toml (env `VOC_WAREHOUSE_MEMORY_LIMIT`...): DuckDB's resources for the pipeline.

    DuckDB's own default is 80% of the machine's memory; the pipeline process also holds models and
    Python batches, so we cap DuckDB lower and let it spill big joins and index builds to disk.
    """

    # DuckDB buffer pool cap: "auto" = the smaller of 4 GB and DuckDB's default (80% of RAM, or of
    # the container's limit); "" keeps DuckDB's default; else a size such as "8GB".
    memory_limit: str = "auto"
    temp_directory: str = ""  # where DuckDB spills; "" = `<warehouse>.tmp` beside the file
    # Write-ahead log size that triggers an automatic checkpoint (DuckDB's default: 16MB). Each
    # checkpoint rewrites every primary-key index whole (duckdb/duckdb#24848), so with the default a
    # long run checkpoints hundreds of times at a cost growing with the warehouse: enrichment's
    # commits went from 88 to 183 ms a batch over a 300k-contact run. "" keeps DuckDB's default.
    checkpoint_threshold: str = "1GB"
    # The serving copy's permissions, octal ("0640": a dashboard running as another user of the
    # group can read it); "" = what the umask gives a new file (as `cp` would), not mkstemp's 0600.
    serving_mode: str = ""


AUTO_MEMORY_CAP = 4 * 1000**3  # "auto": at most 4 GB (a 1M-contact run then peaks at 4.6 GB in all)
_UNITS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
          "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}


def _bytes(size: str) -> float:
    """DuckDB's spelling of a size ("18.6 GiB", "4GB") in bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?I?B)\s*", size, re.IGNORECASE)
    if not match:
        raise WarehouseError(
            f"cannot read DuckDB's memory_limit {size!r}; set [warehouse] memory_limit to a size, e.g. '4GB'"
        )
    return float(match[1]) * _UNITS[match[2].upper()]


def _memory_limit(con: duckdb.DuckDBPyConnection, setting: str) -> str:
    """The `SET memory_limit` value for a setting ("" = leave DuckDB's default)."""
    if setting.strip().lower() != "auto":
        return setting
    default = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    return "" if _bytes(default) <= AUTO_MEMORY_CAP else f"{AUTO_MEMORY_CAP}B"


def _apply(con: duckdb.DuckDBPyConnection, settings: WarehouseSettings) -> None:
    try:
        limit = _memory_limit(con, settings.memory_limit)
        if limit:
            con.execute("SET memory_limit = ?", [limit])
        if settings.temp_directory:
            con.execute("SET temp_directory = ?", [settings.temp_directory])
        if settings.checkpoint_threshold:
            con.execute("SET checkpoint_threshold = ?", [settings.checkpoint_threshold])
    except duckdb.Error as exc:
        raise WarehouseError(
            f"[warehouse] memory_limit={settings.memory_limit!r} / "
            f"temp_directory={settings.temp_directory!r} / "
            f"checkpoint_threshold={settings.checkpoint_threshold!r} rejected by DuckDB: {exc}. "
            "Use sizes such as '4GB' and a writable folder."
        ) from exc


def serving_path(db: Path) -> Path:
    """Where the read-only copy the dashboard opens lives: `voc.duckdb` -> `voc.serving.duckdb`."""
    db = Path(db)
    return db.with_name(db.stem + ".serving" + db.suffix)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema and table that does not exist yet (idempotent)."""
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for ddl in sorted(DDL_DIR.glob("*.sql")):
        con.execute(ddl.read_text(encoding="utf-8"))


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def check_is_warehouse(db: Path) -> None:
    """Refuse a `--db` that is an existing non-DuckDB file (DuckDB would open a CSV as a view and keep nothing)."""
    if db.is_dir():
        raise WarehouseError(f"--db {db} is a folder; give a database file such as {db / 'voc.duckdb'}")
    if not db.is_file() or db.stat().st_size == 0:
        return
    with open(db, "rb") as fh:
        head = fh.read(12)
    if head[8:12] != DUCKDB_MAGIC:
        raise WarehouseError(
            f"--db {db} is not a DuckDB warehouse (an export to ingest?); give the warehouse file, "
            "e.g. --db data/voc.duckdb, and the export as the PATH of `ingest`"
        )


def connect(
    db: Path | str, *, read_only: bool = False, threads: int | None = None,
    settings: WarehouseSettings | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the working warehouse (creating its folder and schema) for the pipeline.

    `settings`: the run's `[warehouse]` (the CLI passes it); None = read from voc.toml and the env.

    >>> con = connect(":memory:")
    """
    if str(db) != ":memory:":
        Path(db).parent.mkdir(parents=True, exist_ok=True)
        check_is_warehouse(Path(db))
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        raise WarehouseError(
            f"cannot open warehouse {db}: {exc}. Another pipeline run may hold it; wait for it to finish."
        ) from exc
    explicit_registration(con)
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if not read_only:
        _apply(con, settings or load_section("warehouse", WarehouseSettings))
        ensure_schema(con)
        from pipelines.ingest import keys  # the secret beside the warehouse, for keyed hashes

        keys.use_warehouse(db)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One all-or-nothing unit of work: commit on success, roll back on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def explicit_registration(con: duckdb.DuckDBPyConnection) -> None:
    """Make SQL read only tables that exist or are registered (`registered`, `con.register`).

    Switches off DuckDB's replacement scan, which otherwise resolves an unknown table name to a
    Python variable of that name in the calling frame: a renamed variable then fails loudly
    ("Table with name ... does not exist") instead of reading something else. GLOBAL: the setting
    is per database instance, so every connection and cursor on this file in this process gets it
    (a plain `SET` would not reach `con.cursor()`; `config=` at connect would make a second
    `duckdb.connect(db)` in the process fail with "different configuration").
    """
    con.execute("SET GLOBAL python_enable_replacements = false")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **tables: object) -> Iterator[duckdb.DuckDBPyConnection]:
    """Register Arrow tables / DataFrames under the names the SQL reads, unregistered on exit.

    Explicit, so renaming a Python variable never breaks a query (DuckDB's replacement scan would
    otherwise find the table by the variable's name). Example:
    `with registered(con, batch_ids=ids): con.execute("SELECT ... JOIN batch_ids USING (id)")`.
    """
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield con
    finally:
        for name in tables:
            con.unregister(name)


_FUNCTIONS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, set[str]] = weakref.WeakKeyDictionary()


def has_function(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when SQL function `name` is registered on `con`; a yes is remembered per connection.

    Asking `duckdb_functions()` costs ~10-40 ms (it lists every function), which was a fifth of
    the CPU of loading a small file. Register functions outside any transaction (one registered
    inside a transaction that rolls back is gone), then `mark_function`.
    """
    if name in _FUNCTIONS.get(con, ()):
        return True
    found = con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [name]).fetchall()[0][0]
    if found:
        mark_function(con, name)
    return bool(found)


def mark_function(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Remember that `name` is registered on `con` (see `has_function`)."""
    _FUNCTIONS.setdefault(con, set()).add(name)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when `schema.table` exists (table or view)."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def serving_mode(settings: WarehouseSettings) -> int:
    """The permission bits for the serving copy: `[warehouse] serving_mode`, else 0666 minus the umask."""
    if settings.serving_mode:
        try:
            return int(settings.serving_mode, 8) & 0o777
        except ValueError:
            raise WarehouseError(
                f"[warehouse] serving_mode = {settings.serving_mode!r} is not an octal mode; use e.g. \"0640\""
            ) from None
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def publish(db: Path | str, settings: WarehouseSettings | None = None) -> Path:
    """Copy the (closed, checkpointed) warehouse to its serving path atomically.

    Readers holding the old file keep reading it (POSIX keeps the unlinked inode alive); new
    connections see the new build. Nothing half-written is ever visible at the serving path.
    """
    db = Path(db)
    target = serving_path(db)
    mode = serving_mode(settings or load_section("warehouse", WarehouseSettings))
    with duckdb.connect(str(db)) as con:
        con.execute("CHECKPOINT")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
        os.fchmod(fd, mode)  # mkstemp creates 0600: a dashboard running as another user could not read it
        os.close(fd)
        shutil.copyfile(db, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        # Disk full, read-only folder, quota: the previous serving copy is untouched; say so.
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise WarehouseError(
            f"cannot publish {db} to {target}: {exc.strerror or exc}. The previous serving copy is intact "
            f"(the dashboard keeps showing the last build); free disk space or fix the folder's permissions, "
            f"then run: python -m pipelines --db {db} publish"
        ) from exc
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise
    return target
