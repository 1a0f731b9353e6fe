"""Landing one file: raw.files/records/rejects and staging rows, in one transaction, idempotently.

Shared by every loader. `begin_file` decides whether a file is new (sha256 of its content), a
new version of a path already loaded (the old version's rows are deleted in the same
transaction), or already loaded (skipped). `land` writes what a Python parser yielded, in bulk
(Arrow tables registered with DuckDB, then `INSERT ... SELECT`).
"""

from __future__ import annotations

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

from pipelines.ingest import identity
from pipelines.ingest.records import FileReport, IngestOptions, Parsed
from pipelines.ingest.timeparse import parse_timestamp
from pipelines.warehouse import transaction

log = logging.getLogger(__name__)

CHANNELS = ("call", "chat", "email", "social")
DIRECTIONS = ("inbound", "outbound")
SPEAKERS = ("customer", "agent", "system")
SPEAKER_ALIASES = {
    "customer": "customer",
    "caller": "customer",
    "client": "customer",
    "user": "customer",
    "cust": "customer",
    "agent": "agent",
    "rep": "agent",
    "representative": "agent",
    "advisor": "agent",
    "operator": "agent",
    "system": "system",
    "action": "system",
    "bot": "system",
    "ivr": "system",
}
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


def begin_file(con: duckdb.DuckDBPyConnection, path: Path) -> FileState:
    """Hash `path` and look up earlier loads of that content or that path."""
    file_id = sha256_file(path)
    key = path_key(path)
    same = next(iter(con.execute("SELECT path FROM raw.files WHERE file_id = ?", [file_id]).fetchall()), None)
    old = con.execute(
        "SELECT file_id FROM raw.files WHERE path = ? AND file_id <> ?", [key, file_id]
    ).fetchall()
    return FileState(
        file_id, key, Path(path).stat().st_size, same[0] if same else None, tuple(r[0] for r in old)
    )


def delete_files(con: duckdb.DuckDBPyConnection, file_ids: Iterable[str]) -> None:
    """Remove everything the given file loads wrote (inside the caller's transaction)."""
    for file_id in file_ids:
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


def record_file(
    con: duckdb.DuckDBPyConnection,
    state: FileState,
    kind: str,
    fmt: str,
    encoding: str | None,
    report: FileReport,
) -> None:
    """The raw.files row, written last inside the transaction: its presence means 'fully loaded'."""
    con.execute(
        "INSERT INTO raw.files VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?)",
        [
            state.file_id,
            state.path,
            kind,
            fmt,
            state.file_id,
            state.size,
            encoding,
            report.read,
            report.loaded,
            report.rejected,
        ],
    )


def after_load(con: duckdb.DuckDBPyConnection, kind: str, file_id: str) -> None:
    """Identity upkeep: customers change the identity table (re-resolve all); interactions resolve
    their own."""
    if kind == "customers":
        identity.rebuild_identities(con)
        identity.resolve_interactions(con)
    elif kind in ("transcripts", "emails", "social"):
        identity.resolve_interactions(con, file_id)


# --- redaction -------------------------------------------------------------------------------

_warned_no_redactor = False


def redactor(options: IngestOptions) -> Callable[[list[str | None]], list[str | None]]:
    """`pipelines.redact.redact_many`, or the identity when originals are kept (or redact is absent)."""
    global _warned_no_redactor
    if options.keep_originals:
        return lambda texts: list(texts)
    try:
        from pipelines import redact
    except ModuleNotFoundError as exc:
        if exc.name != "pipelines.redact":
            raise
        if not _warned_no_redactor:
            log.warning("pipelines.redact is not installed: text is stored UNREDACTED")
            _warned_no_redactor = True
        return lambda texts: list(texts)
    return redact.redact_many


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


# --- normalising parser output ---------------------------------------------------------------


class Reject(ValueError):
    """A record that cannot be loaded; `str()` is the reason stored in raw.rejects."""


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def normalise_interaction(value: dict[str, Any], options: IngestOptions) -> tuple[dict[str, Any], list[dict]]:
    """A parser's value -> a staging.interactions row (minus file columns) and its turns; raises Reject."""
    row = {col: value.get(col) for col in INTERACTION_COLUMNS if col not in ("file_id", "record_no")}
    channel = (options.channel or _clean(value.get("channel")) or "").lower()
    if channel not in CHANNELS:
        raise Reject(f"unknown channel: {channel or 'none'} (expected {', '.join(CHANNELS)})")
    source_id = _clean(value.get("source_id"))
    if not source_id:
        raise Reject("missing id: no source_id")
    direction = (_clean(value.get("direction")) or "inbound").lower()
    if direction not in DIRECTIONS:
        raise Reject(f"unknown direction: {direction}")
    when = value.get("occurred_at")
    if when is None or when == "":
        raise Reject("missing timestamp: no occurred_at")
    try:
        # parsers give naive UTC datetimes (already read in --timezone): not converted twice
        naive_utc = isinstance(when, datetime) and when.tzinfo is None
        occurred = when if naive_utc else parse_timestamp(when, options.timezone)
    except ValueError as exc:
        raise Reject(f"unparseable timestamp: {exc}") from exc
    turns = []
    for no, turn in enumerate(value.get("turns") or [], start=1):
        speaker = SPEAKER_ALIASES.get(str(turn.get("speaker") or "").strip().lower())
        if speaker is None:
            raise Reject(f"unknown speaker: {turn.get('speaker')!r} in turn {no}")
        turns.append(
            {
                "turn_no": int(turn.get("turn_no") or no),
                "speaker": speaker,
                "text": turn.get("text"),
                "begin_s": turn.get("begin_s"),
                "end_s": turn.get("end_s"),
            }
        )
    if not _clean(row.get("text")) and turns:
        row["text"] = (
            "\n".join(t["text"] for t in turns if t["speaker"] == "customer" and _clean(t["text"])) or None
        )
    if not _clean(row.get("agent_text")) and turns:
        row["agent_text"] = (
            "\n".join(t["text"] for t in turns if t["speaker"] == "agent" and _clean(t["text"])) or None
        )
    if direction == "inbound" and not _clean(row.get("text")):
        raise Reject("missing text: no customer-side text")
    if direction == "outbound" and not (_clean(row.get("text")) or _clean(row.get("agent_text"))):
        raise Reject("missing text: empty outbound message")
    ref_type = _clean(value.get("customer_ref_type"))
    ref = value.get("customer_ref")
    if not ref_type and _clean(value.get("customer_id")):
        ref_type, ref = "crm", value.get("customer_id")
    if ref_type:
        try:
            ref = identity.normalise(ref_type, ref)
        except ValueError as exc:
            raise Reject(f"unknown reference type: {exc}") from exc
    row.update(
        interaction_id=interaction_id(channel, source_id),
        source_id=source_id,
        channel=channel,
        direction=direction,
        occurred_at=occurred,
        customer_ref_type=ref_type if ref else None,
        customer_ref=ref,
        customer_id=identity.pseudo_id(ref_type, ref),
    )
    if row.get("duration_s") is None and turns and turns[-1].get("end_s") is not None:
        row["duration_s"] = float(turns[-1]["end_s"])
    return row, turns


# --- landing ---------------------------------------------------------------------------------

INTERACTION_SCHEMA = pa.schema(
    [
        (
            c,
            pa.timestamp("us")
            if c == "occurred_at"
            else pa.float64()
            if c == "duration_s"
            else pa.int64()
            if c == "record_no"
            else pa.string(),
        )
        for c in INTERACTION_COLUMNS
    ]
)
TURN_SCHEMA = pa.schema(
    [
        ("interaction_id", pa.string()),
        ("turn_no", pa.int32()),
        ("speaker", pa.string()),
        ("text", pa.string()),
        ("begin_s", pa.float64()),
        ("end_s", pa.float64()),
        ("file_id", pa.string()),
    ]
)
RECORD_SCHEMA = pa.schema(
    [("record_no", pa.int64()), ("content_hash", pa.string()), ("payload", pa.string())]
)
REJECT_SCHEMA = pa.schema([("record_no", pa.int64()), ("reason", pa.string()), ("excerpt", pa.string())])


def _category(reason: str) -> str:
    return reason.split(":", 1)[0]


def _existing_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, tuple[str, int]]:
    """interaction_id -> (path, record_no) for ids already in staging from other files."""
    if not ids:
        return {}
    if len(ids) <= INDEX_LOOKUP_MAX:
        # A few ids (one call per file): probe the primary-key index. A join would scan all of
        # staging.interactions for every file, which made small-file ingest quadratic (26 ms CPU a
        # file at 1M interactions, against 4 ms here).
        marks = ", ".join("?" * len(ids))
        rows = con.execute(
            "SELECT i.interaction_id, f.path, i.record_no FROM (SELECT interaction_id, file_id, record_no "
            f"FROM staging.interactions WHERE interaction_id IN ({marks})) i "
            "LEFT JOIN raw.files f ON f.file_id = i.file_id",
            ids,
        ).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}
    con.register("_voc_ids", pa.table({"interaction_id": ids}))
    try:
        rows = con.execute(
            "SELECT i.interaction_id, f.path, i.record_no FROM staging.interactions i "
            "JOIN _voc_ids USING (interaction_id) LEFT JOIN raw.files f ON f.file_id = i.file_id"
        ).fetchall()
    finally:
        con.unregister("_voc_ids")
    return {r[0]: (r[1], r[2]) for r in rows}


LAND_CHUNK = 20_000  # records normalised, redacted and inserted together; bounds memory on huge files


def land(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    fmt: str,
    records: Iterable[Parsed],
    options: IngestOptions,
    encoding: str | None,
    chunk_size: int = LAND_CHUNK,
) -> FileReport:
    """Load what a Python parser yielded for `path`, in one transaction; see the module docstring.

    Records are taken `chunk_size` at a time, so a 300 MB mailbox never sits in memory whole;
    the file is still all-or-nothing because every chunk is written inside the same transaction.
    """
    path = Path(path)
    state = begin_file(con, path)
    if state.already_loaded_as:
        return skipped_report(state, path, kind, fmt)
    report = FileReport(
        path=str(path), kind=kind, format=fmt, encoding=encoding, replaced=bool(state.replaces)
    )
    redact = redactor(options)
    seen: dict[str, int] = {}  # interaction_id -> record_no, across the file's chunks
    reasons: Counter[str] = Counter()
    with transaction(con):
        delete_files(con, state.replaces)
        for chunk in _chunks(records, chunk_size):
            for rec in chunk:
                if rec.warning:
                    report.warn(rec.warning)
                if rec.skip:
                    report.skip(rec.skip)
            loaded, rejected = _land_chunk(con, state, kind, chunk, options, redact, seen)
            report.read += len(chunk) - sum(1 for rec in chunk if rec.skip)
            report.loaded += loaded
            report.rejected += len(rejected)
            reasons.update(_category(r) for r in rejected)
        report.reasons = dict(reasons)
        record_file(con, state, kind, fmt, encoding, report)
        after_load(con, kind, state.file_id)
    return report


def _chunks(records: Iterable[Parsed], size: int) -> Iterator[list[Parsed]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def _land_chunk(
    con: duckdb.DuckDBPyConnection,
    state: FileState,
    kind: str,
    parsed: list[Parsed],
    options: IngestOptions,
    redact: Callable[[list[str | None]], list[str | None]],
    seen: dict[str, int],
) -> tuple[int, list[str]]:
    """Normalise, redact and insert one chunk (rejects included); returns (rows loaded, reject reasons)."""
    file_id = state.file_id
    good: list[tuple[Parsed, dict, list[dict]]] = []
    rejects: list[tuple[int, str]] = []
    for rec in parsed:
        if rec.skip:  # not a contact (a retweet): raw.records only
            continue
        if rec.error is not None or rec.value is None:
            rejects.append((rec.record_no, rec.error or "unreadable record: parser gave no value"))
            continue
        try:
            row, turns = normalise_interaction(rec.value, options)
        except Reject as exc:
            rejects.append((rec.record_no, str(exc)))
            continue
        good.append((rec, row, turns))

    # One redaction call for every string in the chunk: payloads, texts, subjects, turns.
    strings: list[str] = []
    for rec in parsed:
        _strings(rec.payload, strings)
    for _, row, turns in good:
        strings.extend([row.get("text"), row.get("agent_text"), row.get("subject")])
        strings.extend(t.get("text") for t in turns)
    redacted = iter(redact(strings))
    payloads = [
        json.dumps(_replace_strings(rec.payload, redacted), ensure_ascii=False, default=str) for rec in parsed
    ]
    for _, row, turns in good:
        row["text"], row["agent_text"], row["subject"] = next(redacted), next(redacted), next(redacted)
        for turn in turns:
            turn["text"] = next(redacted)

    existing = _existing_ids(
        con, [row["interaction_id"] for _, row, _ in good if row["interaction_id"] not in seen]
    )
    rows, turn_rows = [], []
    for rec, row, turns in good:
        iid = row["interaction_id"]
        if iid in seen:
            rejects.append(
                (rec.record_no, f"duplicate id: {row['source_id']} is also record {seen[iid]} of this file")
            )
            continue
        if iid in existing:
            other, other_no = existing[iid]
            rejects.append(
                (
                    rec.record_no,
                    f"duplicate id: {row['source_id']} already loaded from {other} (record {other_no})",
                )
            )
            continue
        seen[iid] = rec.record_no
        rows.append({**row, "file_id": file_id, "record_no": rec.record_no})
        turn_rows.extend({**t, "interaction_id": iid, "file_id": file_id} for t in turns)
    _insert(con, "staging.interactions", pa.Table.from_pylist(rows, schema=INTERACTION_SCHEMA))
    _insert(con, "staging.turns", pa.Table.from_pylist(turn_rows, schema=TURN_SCHEMA))
    _insert(
        con,
        "raw.records",
        pa.table(
            {
                "record_no": [r.record_no for r in parsed],
                "content_hash": [hashlib.md5(p.encode()).hexdigest() for p in payloads],
                "payload": payloads,
            },
            schema=RECORD_SCHEMA,
        ),
        {"file_id": file_id, "kind": kind},
        casts={"payload": "JSON"},
    )
    excerpts = {rec.record_no: payload[:EXCERPT_CHARS] for rec, payload in zip(parsed, payloads, strict=True)}
    _insert(
        con,
        "raw.rejects",
        pa.Table.from_pylist(
            [{"record_no": n, "reason": r, "excerpt": excerpts.get(n, "")} for n, r in sorted(rejects)],
            schema=REJECT_SCHEMA,
        ),
        {"file_id": file_id, "path": state.path, "kind": kind},
    )
    return len(rows), [reason for _, reason in rejects]


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    data: pa.Table,
    constants: dict[str, Any] | None = None,
    casts: dict[str, str] | None = None,
) -> None:
    """Bulk-insert an Arrow table (plus constant columns such as file_id) into `table` by name."""
    if data.num_rows == 0:
        return
    constants, casts = constants or {}, casts or {}
    cols = [*constants, *data.column_names]
    exprs = ["?"] * len(constants) + [f"{c}::{casts[c]}" if c in casts else c for c in data.column_names]
    con.register("_voc_batch", data)
    try:
        con.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM _voc_batch",
            list(constants.values()),
        )
    finally:
        con.unregister("_voc_batch")
