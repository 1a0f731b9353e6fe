"""What every load shares: a file's identity and state, its removal, redaction, and parser landing.

`begin_file` decides whether a file is new (sha256 of its content), a new version of a path
already loaded (the old version's rows are deleted in the same transaction), or already loaded
(skipped). `land` lands what a Python parser yielded, in bulk (Arrow batches into the temp
tables of `pipelines.ingest.load`, which validates and writes them like every other format).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines import redact
from pipelines.ingest import identity
from pipelines.ingest.records import FileReport, IngestOptions, Parsed
from pipelines.ingest.timeparse import parse_timestamp

log = logging.getLogger(__name__)

# Staging tables a file's rows live in (deleted by file_id when the file is replaced).
FILE_TABLES = (
    "staging.turns",
    "staging.interactions",
    "staging.customers",
    "staging.transactions",
    "raw.records",
    "raw.rejects",
    "raw.files",
)
INTERACTION_COLUMNS = (
    "interaction_id",
    "source_id",
    "channel",
    "direction",
    "customer_id",
    "customer_ref_type",
    "customer_ref",
    "occurred_at",
    "text",
    "agent_text",
    "subject",
    "agent_id",
    "duration_s",
    "thread_id",
    "brand",
    "queue",
    "source_category",
    "file_id",
    "record_no",
)
EXCERPT_CHARS = 200
INDEX_LOOKUP_MAX = 64  # up to this many ids, duplicates are found through the primary-key index


@dataclass(frozen=True)
class FileState:
    """What the warehouse already holds for a file about to be loaded."""

    file_id: str
    path: str
    size: int
    already_loaded_as: str | None  # path of an earlier load of the same content
    replaces: tuple[str, ...]  # file_ids this path loaded before (other content)


def sha256_file(path: Path) -> str:
    """The sha256 of the file's bytes (its `file_id`), streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def interaction_id(channel: str, source_id: str) -> str:
    """First 16 hex chars of sha1('<channel>|<source_id>') (docs/architecture.md); SQL twin in tabular."""
    return hashlib.sha1(f"{channel}|{source_id}".encode()).hexdigest()[:16]


def path_key(path: Path) -> str:
    """The absolute path a file version is recorded under in raw.files."""
    return str(Path(path).resolve())


def begin_file(con: duckdb.DuckDBPyConnection, path: Path, replace: bool = False) -> FileState:
    """Hash `path` and look up earlier loads of that content or that path.

    With `replace`, a load of the same content (from this path or another) is replaced too.
    """
    file_id = sha256_file(path)
    key = path_key(path)
    same = next(iter(con.execute("SELECT path FROM raw.files WHERE file_id = ?", [file_id]).fetchall()), None)
    old = [r[0] for r in con.execute(
        "SELECT file_id FROM raw.files WHERE path = ? AND file_id <> ?", [key, file_id]
    ).fetchall()]
    if replace and same:
        return FileState(file_id, key, Path(path).stat().st_size, None, (*old, file_id))
    return FileState(file_id, key, Path(path).stat().st_size, same[0] if same else None, tuple(old))


# Enriched tables keyed by interaction_id: what the models derived from a contact. A file that
# leaves (replaced or unloaded) takes them along, so a changed text is scored again.
DERIVED_TABLES = ("enriched.interaction_scores", "enriched.turn_scores", "enriched.topic_assignments")


def delete_files(con: duckdb.DuckDBPyConnection, file_ids: Iterable[str]) -> None:
    """Remove everything the given file loads wrote, and what was derived from it (inside the caller's transaction)."""
    from pipelines.warehouse import table_exists

    file_ids = list(file_ids)
    if not file_ids:
        return
    derived = [t for t in DERIVED_TABLES if table_exists(con, *t.split("."))]
    for file_id in file_ids:
        for table in derived:
            con.execute(
                f"DELETE FROM {table} WHERE interaction_id IN "
                "(SELECT interaction_id FROM staging.interactions WHERE file_id = ?)",
                [file_id],
            )
        con.execute(
            "DELETE FROM staging.turns WHERE interaction_id IN "
            "(SELECT interaction_id FROM staging.interactions WHERE file_id = ?)",
            [file_id],
        )
        for table in FILE_TABLES:
            con.execute(f"DELETE FROM {table} WHERE file_id = ?", [file_id])


def skipped_report(state: FileState, path: Path, kind: str, fmt: str) -> FileReport:
    """The report for a file whose content is already loaded."""
    report = FileReport(path=str(path), kind=kind, format=fmt, skipped=True)
    log.debug("%s: same content already loaded from %s", path, state.already_loaded_as)
    return report


def record_files(
    con: duckdb.DuckDBPyConnection,
    files: Iterable[tuple[FileState, str, str, str | None, FileReport]],
) -> None:
    """The raw.files rows (state, kind, format, encoding, report), written last inside the
    transaction: a file's row means 'fully loaded'."""
    rows = [
        [state.file_id, state.path, kind, fmt, state.file_id, state.size, encoding, report.read, report.loaded,
         report.rejected]
        for state, kind, fmt, encoding, report in files
    ]
    if rows:  # one statement for a batch's files (executemany runs one per row)
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?)"] * len(rows))
        con.execute(f"INSERT INTO raw.files VALUES {values}", [v for row in rows for v in row])


def after_load(con: duckdb.DuckDBPyConnection, kind: str, file_ids: list[str]) -> None:
    """Identity upkeep: customers change the identity table (re-resolve all); interactions resolve
    their own (those of the files just loaded)."""
    if kind == "customers":
        identity.rebuild_identities(con)
        identity.resolve_interactions(con)
    elif kind in ("transcripts", "emails", "social"):
        identity.resolve_interactions(con, file_ids)


# --- redaction -------------------------------------------------------------------------------

def redactor(options: IngestOptions) -> Callable[[list[str | None]], list[str | None]]:
    """`pipelines.redact.redact_many` with `[ingest] redact_workers`, or the identity (originals kept)."""
    if options.keep_originals:
        return lambda texts: list(texts)
    workers = redact.pool.auto_workers(options.redact_workers)
    redact.pool.start(workers)
    return functools.partial(redact.redact_many, workers=workers)


def _strings(obj: Any, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, dict):
        for value in obj.values():
            _strings(value, out)
    elif isinstance(obj, list):
        for value in obj:
            _strings(value, out)


def _replace_strings(obj: Any, it: Iterable[str | None]) -> Any:
    if isinstance(obj, str):
        return next(it)  # type: ignore[call-overload]
    if isinstance(obj, dict):
        return {key: _replace_strings(value, it) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_replace_strings(value, it) for value in obj]
    return obj


# --- landing what a Python parser yielded --------------------------------------------------

LAND_CHUNK = 20_000  # records converted, redacted and landed together; bounds memory on huge files
VALUE_FIELDS = (
    "source_id", "channel", "direction", "customer_id", "customer_ref_type", "customer_ref", "text",
    "agent_text", "subject", "agent_id", "thread_id", "brand", "queue", "source_category",
)
# every row carries its file (`file_no`: its place in the batch, `file_id`): a batch of small files
# is landed, validated and written together (`pipelines.ingest.load.ParsedFiles`)
FILE_FIELDS = [("file_no", pa.int32()), ("file_id", pa.string())]
SRC_SCHEMA = pa.schema(
    FILE_FIELDS + [("record_no", pa.int64()), ("payload", pa.string()), ("parse_error", pa.string())]
    + [(name, pa.string()) for name in VALUE_FIELDS]
    + [("occurred_at", pa.string()), ("occurred_ts", pa.timestamp("us")), ("duration_s", pa.float64())]
)
TURN_SCHEMA = pa.schema(
    [
        ("file_no", pa.int32()),
        ("record_no", pa.int64()),
        ("turn_no", pa.int32()),
        ("speaker", pa.string()),
        ("text", pa.string()),
        ("begin_s", pa.float64()),
        ("end_s", pa.float64()),
    ]
)
SKIPPED_SCHEMA = pa.schema(FILE_FIELDS + [("record_no", pa.int64()), ("payload", pa.string())])
_DDL_TYPES = {pa.int64(): "BIGINT", pa.int32(): "INTEGER", pa.string(): "VARCHAR", pa.float64(): "DOUBLE",
              pa.timestamp("us"): "TIMESTAMP"}


def _create(con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema) -> None:
    cols = ", ".join(f"{f.name} {_DDL_TYPES[f.type]}" for f in schema)
    con.execute(f"CREATE TEMP TABLE {table} ({cols})")


def path_tag(key: str) -> str:
    """8 hex chars naming a file's location (its `path_key`): told apart from a same-named file elsewhere."""
    return hashlib.sha1(key.encode()).hexdigest()[:8]


def distinct_source_id(source_id: str, path: Path, key: str | None = None) -> str:
    """A record id a parser numbered within its file (`mails.mbox#3`) made path-distinct.

    Two exports named alike in different folders are different contacts; the id stays the same
    when the same file is loaded again from the same place (`key`: the path it is recorded under).
    """
    if source_id.startswith(f"{path.name}#"):
        return f"{source_id}@{path_tag(key or path_key(path))}"
    return source_id


def file_source_id(path: Path) -> str:
    """The id of a one-contact file that names none: its stem plus a digest of its content.

    `transcript.txt` in two folders are two contacts; the same file loaded again keeps its id.
    """
    return f"{Path(path).stem}#{sha256_file(path)[:12]}"


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _timestamp(value: Any, timezone: str) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        return value  # parsers give naive UTC datetimes (already read in --timezone): not converted twice
    try:
        return parse_timestamp(value, timezone)
    except (ValueError, OverflowError):
        return None  # the SQL validation gives the one 'unparseable timestamp' reason


def _redact_distinct(redact: Callable, strings: list[str | None]) -> list[str | None]:
    """`redact(strings)`, each distinct string redacted once: a payload repeats its record's texts
    (an email's subject, a transcript's turns), and exports repeat their stock phrases."""
    distinct = list(dict.fromkeys(s for s in strings if s is not None))
    done = dict(zip(distinct, redact(distinct), strict=True))
    return [None if s is None else done[s] for s in strings]


def _rows(
    path: Path, key: str, chunk: list[Parsed], options: IngestOptions, redact: Callable, tag: dict[str, Any]
) -> tuple[list, list, list]:
    """One chunk of parser records -> (_voc_src, _voc_turns, _voc_skipped rows), every text redacted.

    `tag`: the file's columns (`FILE_FIELDS`) every row carries."""
    # One redaction call for every string in the chunk: payloads, texts, subjects, turns.
    strings: list[str | None] = []
    for rec in chunk:
        _strings(rec.payload, strings)
        if rec.skip or rec.error is not None or rec.value is None:
            continue
        value = rec.value
        strings.extend([_text(value.get("text")), _text(value.get("agent_text")), _text(value.get("subject"))])
        strings.extend(_text(t.get("text")) for t in value.get("turns") or [])
    redacted = iter(_redact_distinct(redact, strings))
    src, turns, skipped = [], [], []
    for rec in chunk:
        payload = json.dumps(_replace_strings(rec.payload, redacted), ensure_ascii=False, default=str)
        if rec.skip:  # not a contact (a retweet): raw.records only
            skipped.append({**tag, "record_no": rec.record_no, "payload": payload})
            continue
        if rec.error is not None or rec.value is None:
            src.append({**tag, "record_no": rec.record_no, "payload": payload,
                        "parse_error": rec.error or "unreadable record: parser gave no value"})
            continue
        value = rec.value
        row = {name: _text(value.get(name)) for name in VALUE_FIELDS}
        row["text"], row["agent_text"], row["subject"] = next(redacted), next(redacted), next(redacted)
        if row["source_id"]:
            row["source_id"] = distinct_source_id(row["source_id"].strip(), path, key)
        when = value.get("occurred_at")
        row.update(
            tag,
            record_no=rec.record_no,
            payload=payload,
            occurred_at=_text(when),
            occurred_ts=_timestamp(when, options.timezone),
            duration_s=_number(value.get("duration_s")),
        )
        src.append(row)
        for no, turn in enumerate(value.get("turns") or [], start=1):
            turns.append(
                {
                    "file_no": tag["file_no"],
                    "record_no": rec.record_no,
                    "turn_no": int(turn.get("turn_no") or no),
                    "speaker": _text(turn.get("speaker")),
                    "text": next(redacted),
                    "begin_s": _number(turn.get("begin_s")),
                    "end_s": _number(turn.get("end_s")),
                }
            )
    return src, turns, skipped


FILES_SCHEMA = pa.schema(FILE_FIELDS + [("path", pa.string())])  # _voc_files: the batch's files
LANDING = {"_voc_src": SRC_SCHEMA, "_voc_turns": TURN_SCHEMA, "_voc_skipped": SKIPPED_SCHEMA,
           "_voc_files": FILES_SCHEMA}


class Landing:
    """The temp tables a batch of parsed files is landed into, filled in bulk.

    Rows wait in Python until a table has `chunk_size` of them or `write()` is called: a batch of
    small files is appended in one statement per table, not several per file.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, chunk_size: int = LAND_CHUNK) -> None:
        self.con, self.chunk_size = con, chunk_size
        self.rows: dict[str, list[dict[str, Any]]] = {table: [] for table in LANDING}
        for table, schema in LANDING.items():
            _create(con, table, schema)

    def add(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Queue `rows` for `table` (written once `chunk_size` of them wait)."""
        self.rows[table] += rows
        if len(self.rows[table]) >= self.chunk_size:
            self.write(table)

    def write(self, *tables: str) -> None:
        """Append the queued rows of `tables` (all when none named)."""
        for table in tables or tuple(LANDING):
            rows, self.rows[table] = self.rows[table], []
            _append(self.con, table, pa.Table.from_pylist(rows, schema=LANDING[table]))


def land_records(
    landing: Landing,
    path: Path,
    key: str,
    records: Iterable[Parsed],
    options: IngestOptions,
    tag: dict[str, Any],
    chunk_size: int = LAND_CHUNK,
) -> tuple[Counter[str], Counter[str]]:
    """Redact and land one file's records (rows tagged with `tag`); returns its (warnings, skipped) counts."""
    redact = redactor(options)
    warnings: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for chunk in _chunks(records, chunk_size):
        for rec in chunk:
            if rec.warning:
                warnings[rec.warning] += 1
            if rec.skip:
                skipped[rec.skip] += 1
        src, turns, skip_rows = _rows(path, key, chunk, options, redact, tag)
        landing.add("_voc_src", src)
        landing.add("_voc_turns", turns)
        landing.add("_voc_skipped", skip_rows)
    landing.add("_voc_files", [{**tag, "path": key}])
    return warnings, skipped


def _chunks(records: Iterable[Parsed], size: int) -> Iterator[list[Parsed]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def _append(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Bulk-append an Arrow table to a temp table with the same columns."""
    if data.num_rows == 0:
        return
    con.register("_voc_batch", data)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _voc_batch")
    finally:
        con.unregister("_voc_batch")
