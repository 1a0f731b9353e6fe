"""Landers for tabular exports (CSV, TSV, JSONL): DuckDB reads them, no row goes through Python.

Each file is read with every value as VARCHAR into `_voc_src` (see `pipelines.ingest.load`):
transcoded to UTF-8 first when needed; every string column redacted (only the values the
redactor's prefilter selects pay for the Python UDF) except the columns mapped onto typed or
vocabulary fields (times, numbers, ids, channel...); the customer and agent identifiers feed
staging from raw copies (`__raw_<field>`) while their payload column is redacted. Malformed
lines land in `_voc_bad` with a reason and a redacted excerpt. Validation is the format's SQL
(`pipelines.ingest.tabular_sql`).
"""

from __future__ import annotations

import csv
import functools
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import redact
from pipelines.ingest import core, file_dates, presets, tabular_notes, tabular_sql
from pipelines.ingest.encoding import (
    CR_PLACEHOLDER,
    check_decodes,
    detect_encoding,
    has_bare_cr,
    mostly_utf8,
    needs_transcoding,
    utf8_copy,
)
from pipelines.ingest.identity import sql_hash
from pipelines.ingest.load import Landed, load_file
from pipelines.ingest.mapping import MappingError, load_mapping_file, norm, resolve
from pipelines.ingest.records import FileReport, IngestOptions
from pipelines.ingest.tabular_sql import quote
from pipelines.warehouse import has_function, mark_function

log = logging.getLogger(__name__)

FORMATS: dict[str, dict[str, str]] = {
    "social": {"social_csv": "csv", "social_jsonl": "jsonl"},
    "transcripts": {"utterances_csv": "csv"},
    "emails": {"helpdesk_csv": "csv", "cfpb_csv": "csv"},
    "customers": {"customers_csv": "csv"},
    "transactions": {"transactions_csv": "csv"},
}
CSV_SUFFIXES = (".csv", ".tsv")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
MAX_LINE_BYTES = 64 * 1024 * 1024  # DuckDB's line limit here; longer records are rejected alone
# No comment character: a tweet may start with '#'. Long cells (a pasted email thread) are fine.
CSV_OPTIONS = "all_varchar = true, header = true, quote = '\"', escape = '\"', comment = ''"
# Fields whose columns stay as read in the raw payload: times, numbers, ids and vocabulary labels.
UNREDACTED_FIELDS = frozenset(
    ("occurred_at", "churned_at", "duration_s", "turn_no", "begin_s", "end_s", "inbound", "channel",
     "direction", "speaker", "amount", "revenue", "margin", "tenure_months", "clv", "churned", "source_id",
     "thread_id", "in_reply_to", "segment", "plan", "queue", "brand", "source_category",
     tabular_notes.FALLBACK_FIELD)
)


def _header_sample(path: Path) -> str:
    with open(path, "rb") as fh:
        data = fh.read(65536)
    for enc in ("utf-8-sig", "utf-16") if b"\x00" not in data[:200] else ("utf-16", "utf-8-sig"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def detect_format(kind: str, path: Path) -> str | None:
    """The tabular format of `path` for `kind` from its extension (and header, for emails)."""
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES:
        if kind == "emails":
            sample = _header_sample(path)
            first = norm(sample.splitlines()[0]) if sample.strip() else ""
            return "cfpb_csv" if "complaint_id" in first and "date_received" in first else "helpdesk_csv"
        return {
            "social": "social_csv",
            "transcripts": "utterances_csv",
            "customers": "customers_csv",
            "transactions": "transactions_csv",
        }.get(kind)
    if suffix in JSONL_SUFFIXES and kind == "social":
        return "social_jsonl"
    return None


def _csv_header(con: duckdb.DuckDBPyConnection, path: Path, delim: str) -> list[str]:
    rel = con.execute(
        f"SELECT * FROM read_csv($path, {CSV_OPTIONS}, max_line_size = {MAX_LINE_BYTES}, delim = $delim, "
        "ignore_errors = true) LIMIT 0",
        {"path": str(path), "delim": delim},
    )
    header = [d[0] for d in rel.description]
    rel.fetchall()
    return header


# Mapped customer identifiers: their payload copy is the keyed hash staging stores (a key, not a value).
HASHED_FIELDS = {"customer_id": "crm", "customer_email": "email", "customer_phone": "phone",
                 "customer_handle": "handle", "email": "email", "phone": "phone", "handle": "handle"}
# Unmapped columns whose name says they hold a person's name, address or contact: no pattern
# finds a name in free text, so their values are withheld from the raw payload altogether.
PERSONAL_COLUMN_RE = re.compile(
    r"^(?:name|surname|.*(?:full|first|last|given|family|middle|display|customer|contact|user|author|"
    r"requester|sender|caller|client|person)_?name|.*address|street.*|post_?code|zip(?:_?code)?|"
    r"date_of_birth|birth_?date|dob|passport.*|.*e_?mail.*|.*phone.*|mobile.*|.*person|contact)$"
)
PERSONAL_PLACEHOLDER = "[PERSONAL]"


def _columns(
    header: list[str], found: dict[str, str], redact: bool, bare_cr: bool
) -> tuple[str, list[str], dict[str, str]]:
    """The select list of `_voc_src` over the source columns, its joins, and `found` re-pointed at what
    staging reads.

    Every column is redacted except those mapped onto UNREDACTED_FIELDS; a mapped identifier
    (customer, agent) also gets a raw copy `__raw_<field>` that staging reads (and pseudonymises),
    while its payload copy holds the keyed hash (customers) or the redacted value (agents); an
    unmapped column named like personal data (PERSONAL_COLUMN_RE) keeps only PERSONAL_PLACEHOLDER.
    The statement binds `$redact_gate` (`redact.sql_candidate_pattern()`): values it does not match
    stay as they are in SQL, the others go through `voc_redact`. Identifier columns repeat (a
    customer's every post), so each distinct value is hashed once and joined back (`joins`).
    """
    by_column: dict[str, list[str]] = {}
    for fld, col in found.items():
        by_column.setdefault(col, []).append(fld)
    parts, joins, staged = [], [], dict(found)
    for col in header:
        expr = f"src.{quote(col)}"
        if bare_cr:
            expr = f"replace({expr}, '{CR_PLACEHOLDER}', chr(13))"
        fields = by_column.get(col, [])
        keep = bool(fields) and all(f in UNREDACTED_FIELDS for f in fields)
        if redact and not keep:
            for fld in fields:
                if fld not in tabular_sql.TEXT_FIELDS and fld not in UNREDACTED_FIELDS:
                    staged[fld] = f"__raw_{fld}"
                    parts.append(f"{expr} AS {quote(staged[fld])}")
            hashed = [HASHED_FIELDS[f] for f in fields if f in HASHED_FIELDS]
            if hashed:
                key, hash_sql = f"_voc_key{len(joins)}", sql_hash(f"'{hashed[0]}'", "value")
                joins.append(
                    f"LEFT JOIN (SELECT value, {hash_sql} AS hashed FROM "
                    f"(SELECT DISTINCT {expr} AS value FROM src)) {key} ON {key}.value = {expr}"
                )
                expr = f"{key}.hashed"
            elif not fields and PERSONAL_COLUMN_RE.match(norm(col)):
                expr = f"CASE WHEN NULLIF(trim({expr}), '') IS NOT NULL THEN '{PERSONAL_PLACEHOLDER}' END"
            else:
                test = f"regexp_matches({expr}, $redact_gate)"
                expr = f"CASE WHEN {test} THEN voc_redact({expr}) ELSE {expr} END"
        parts.append(f"{expr} AS {quote(col)}")
    return ", ".join(parts), joins, staged


def _landing(source: str, select: str, joins: list[str]) -> str:
    """`CREATE TEMP TABLE _voc_src` from `source` (a query with `_voc_record_no` and the file's columns:
    a file may have a column named `record_no` too)."""
    columns = f"src._voc_record_no AS record_no{', ' + select if select else ''}"
    if not joins:
        return f"CREATE TEMP TABLE _voc_src AS SELECT {columns} FROM ({source}) src"
    # read once: the distinct identifiers and the rows both come from it
    return (
        f"CREATE TEMP TABLE _voc_src AS WITH src AS MATERIALIZED ({source}) SELECT {columns} FROM src "
        + " ".join(joins)
    )


def _select_params(options: IngestOptions) -> dict[str, object]:
    """The values `_columns`' select list binds."""
    return {"phone_region": options.phone_region or None, "redact_gate": redact.sql_candidate_pattern()}


def _check_columns(path: Path, header: list[str], unknown: dict[str, str]) -> None:
    """A `--column` naming a column the file lacks is an error before anything loads."""
    if unknown:
        pairs = ", ".join(f"{f}={c}" for f, c in sorted(unknown.items()))
        raise MappingError(
            f"{path}: --column {pairs}: no such column in the file; its columns are: "
            f"{', '.join(header)[:500]}"
        )


def _read_csv(
    con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions, fmt: str, redact: bool, bare_cr: bool
) -> tuple[list[str], dict[str, str], presets.Preset | None]:
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        return _read_csv_file(con, path, options, fmt, redact, bare_cr, delim, [])
    except duckdb.InvalidInputException as exc:
        if "line size" not in str(exc).lower():
            raise
    # One record over the limit fails DuckDB's whole read: set those records aside and read the rest.
    for table in ("_voc_src", "_voc_rej", "_voc_rejscan"):
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")
    with _without_long_records(path, delim) as (clean, long_records):
        return _read_csv_file(con, clean, options, fmt, redact, bare_cr, delim, long_records)


def _read_csv_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: IngestOptions,
    fmt: str,
    redact: bool,
    bare_cr: bool,
    delim: str,
    long_records: list[tuple[int, str]],
) -> tuple[list[str], dict[str, str]]:
    header = _csv_header(con, path, delim)
    # a vendor's export recognised from its header maps itself; the user's mapping still wins
    preset = presets.detect(fmt, header)
    mapping = {**(preset.mapping(header) if preset else {}), **_explicit(options)}
    found, unknown = resolve(fmt, header, mapping)
    _check_columns(path, header, unknown)
    fallback = file_dates.fallback_column(header, options.occurred_at)
    if fallback:
        found[tabular_notes.FALLBACK_FIELD] = fallback
    select, joins, staged = _columns(header, found, redact, bare_cr)
    sql = _landing(
        f"SELECT row_number() OVER () AS _voc_record_no, * "
        f"FROM read_csv($path, {CSV_OPTIONS}, max_line_size = {MAX_LINE_BYTES}, delim = $delim, "
        "store_rejects = true, rejects_table = '_voc_rej', rejects_scan = '_voc_rejscan')",
        select,
        joins,
    )
    params = {"path": str(path), "delim": delim, **_select_params(options)}
    con.execute(sql, tabular_sql.used_params(sql, params))
    # Malformed lines: DuckDB's `line` counts the header, so line - 1 is the record number.
    excerpt = "voc_redact(left(min(csv_line), 200))" if redact else "left(min(csv_line), 200)"
    payload = "voc_redact(min(csv_line))" if redact else "min(csv_line)"
    con.execute(
        "CREATE TEMP TABLE _voc_bad AS SELECT line - 1 AS record_no, "
        "'malformed CSV: line ' || line || ': ' || string_agg(DISTINCT error_type || ' (' || "
        "split_part(error_message, '.', 1) || ')', '; ') || CASE WHEN bool_or(error_type = 'INVALID ENCODING') "
        "THEN '; the rest of the file is UTF-8: re-save this row as UTF-8 (or pass --encoding)' ELSE '' END AS reason, "
        f"{excerpt} AS excerpt, to_json({{'line': {payload}}}) AS payload FROM _voc_rej GROUP BY line"
    )
    for record_no, reason in long_records:
        con.execute(
            "INSERT INTO _voc_bad VALUES ($n, $r, NULL, to_json({'record_too_long': true}))",
            {"n": record_no, "r": reason},
        )
    n_bad = con.execute("SELECT count(*) FROM _voc_bad").fetchall()[0][0]
    if n_bad:
        # good rows get the record numbers the malformed ones did not take
        con.execute(
            "UPDATE _voc_src SET record_no = r.n FROM (SELECT row_number() OVER (ORDER BY n) AS rn, n "
            "FROM range(1, (SELECT count(*) FROM _voc_src) + $bad + 1) t(n) "
            "WHERE n NOT IN (SELECT record_no FROM _voc_bad)) r WHERE _voc_src.record_no = r.rn",
            {"bad": n_bad},
        )
    return header, staged, preset


@contextmanager
def _without_long_records(path: Path, delim: str) -> Iterator[tuple[Path, list[tuple[int, str]]]]:
    """A copy of the CSV without the records over MAX_LINE_BYTES, and (record_no, reason) for each."""
    csv.field_size_limit(sys.maxsize)
    long_records: list[tuple[int, str]] = []
    fd, tmp = tempfile.mkstemp(prefix="voc-long-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out, open(
            path, encoding="utf-8-sig", errors="replace", newline=""
        ) as src:
            reader, writer = csv.reader(src, delimiter=delim), csv.writer(out, delimiter=delim)
            for no, row in enumerate(reader):
                size = sum(len(v) for v in row)
                if no and size >= MAX_LINE_BYTES:
                    long_records.append(
                        (
                            no,
                            f"record too long: record {no} holds {size / 1e6:.1f} MB, over the "
                            f"{MAX_LINE_BYTES / 1e6:.0f} MB a record may have; split or shorten that field",
                        )
                    )
                else:
                    writer.writerow(row)
        yield Path(tmp), long_records
    finally:
        Path(tmp).unlink(missing_ok=True)


def _read_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions, fmt: str, redact: bool
) -> tuple[list[str], dict[str, str]]:
    con.execute(
        "CREATE TEMP TABLE _voc_lines AS SELECT generate_subscripts(lines, 1) AS record_no, unnest(lines) AS line "
        "FROM (SELECT string_split(replace(content, chr(13) || chr(10), chr(10)), chr(10)) AS lines "
        "FROM read_text($path))",
        {"path": str(path)},
    )
    con.execute("DELETE FROM _voc_lines WHERE trim(line) = ''")
    # json_type() fails on invalid JSON and SQL does not short-circuit AND: decide once, in CASE
    con.execute("ALTER TABLE _voc_lines ADD COLUMN ok BOOLEAN")
    con.execute(
        "UPDATE _voc_lines SET ok = CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END"
    )
    header = [
        r[0]
        for r in con.execute(
            "SELECT key FROM (SELECT unnest(json_keys(line)) AS key, record_no FROM _voc_lines "
            "WHERE ok) GROUP BY key ORDER BY min(record_no), key"
        ).fetchall()
    ]
    first_level = set(header)
    explicit = _explicit(options)
    # Nested exports (Twitter API: user.screen_name) map with a dotted path: --column customer_id=user.screen_name
    header += [c for c in dict.fromkeys(explicit.values()) if c not in header and "." in c]
    found, unknown = resolve(fmt, header, explicit)
    _check_columns(path, header, unknown)
    select, joins, staged = _columns(header, found, redact, False)
    params: dict[str, object] = {}
    cols = []
    for i, key in enumerate(header):
        parts = key.split(".") if key not in first_level else [key]
        params[f"k{i}"] = "$" + "".join('."' + part.replace('"', '\\"') + '"' for part in parts)
        cols.append(f"json_extract_string(line, $k{i}) AS {quote(key)}")
    inner = ", ".join(cols) or "NULL AS _empty"
    sql = _landing(f"SELECT record_no AS _voc_record_no, {inner} FROM _voc_lines WHERE ok", select, joins)
    params.update(_select_params(options))
    con.execute(sql, tabular_sql.used_params(sql, params))
    line = "voc_redact(line)" if redact else "line"
    con.execute(
        "CREATE TEMP TABLE _voc_bad AS SELECT record_no, 'malformed JSON: line ' || record_no || "
        "CASE WHEN json_valid(line) THEN ' is not an object' ELSE ' does not parse' END AS reason, "
        f"left({line}, 200) AS excerpt, to_json({{'line': {line}}}) AS payload FROM _voc_lines "
        "WHERE NOT ok"
    )
    return header, staged


def _explicit(options: IngestOptions) -> dict[str, str]:
    explicit = load_mapping_file(options.mapping_file) if options.mapping_file else {}
    explicit.update(options.columns)
    return explicit


def register_redaction(con: duckdb.DuckDBPyConnection, options: IngestOptions) -> bool:
    """Register `voc_redact` on `con` unless originals are kept; call it outside any transaction.

    (A function registered inside a transaction that rolls back can be neither called nor registered again.)
    The connection's first registration fixes its `redact_workers`.
    """
    if options.keep_originals:
        return False
    if not has_function(con, "voc_redact"):
        workers = redact.pool.auto_workers(options.redact_workers)
        redact.pool.start(workers)
        _register_udf(con, functools.partial(redact.redact_many, workers=workers))
        mark_function(con, "voc_redact")
    return True


UDF_CACHE_CHARS = 20_000_000  # redacted values remembered across vectors, counted in characters


def _register_udf(con: duckdb.DuckDBPyConnection, redact_many: Callable[[list], list]) -> None:
    """`voc_redact(VARCHAR)` over `redact_many`, each distinct value redacted once per connection.

    Identifier columns repeat within a file (an utterance CSV carries the caller's number on
    every row of the call) and so do canned agent replies, in one vector and across vectors: values
    already redacted are remembered (up to UDF_CACHE_CHARS characters, then forgotten at once).
    DuckDB may call the function from several threads at a time.
    """
    seen: dict[str, str] = {}
    size = [0]

    def udf(values: pa.Array) -> pa.Array:
        items = values.to_pylist()
        done, new = {}, []
        for v in dict.fromkeys(items):
            if v is not None:
                if (hit := seen.get(v)) is None:
                    new.append(v)
                else:
                    done[v] = hit
        fresh = dict(zip(new, redact_many(new), strict=True))
        done.update(fresh)
        if size[0] > UDF_CACHE_CHARS:
            seen.clear()
            size[0] = 0
        seen.update(fresh)
        size[0] += sum(len(v) for v in fresh)
        return pa.array([None if v is None else done[v] for v in items], type=pa.string())

    con.create_function(
        "voc_redact", udf, [duckdb.sqltypes.VARCHAR], duckdb.sqltypes.VARCHAR,
        type="arrow", null_handling="special", side_effects=False,
    )


def load(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    fmt: str,
    options: IngestOptions,
    state: core.FileState | None = None,
    report_path: Path | None = None,
) -> FileReport:
    """Load one tabular file through the one load path (`pipelines.ingest.load`)."""
    path = Path(path)
    used: list[str] = []  # the preset the header matched, for the report

    def lander(con: duckdb.DuckDBPyConnection) -> Landed:
        size = path.stat().st_size
        encoding = detect_encoding(path, options.encoding) if size else "utf-8"
        if not options.encoding and FORMATS[kind][fmt] == "csv" and needs_transcoding(encoding) and mostly_utf8(path):
            encoding = "utf-8"  # UTF-8 with a few rows in another encoding: those rows are rejected alone
        redact = register_redaction(con, options)
        if size == 0 or not _header_sample(path).strip():
            con.execute("CREATE TEMP TABLE _voc_src (record_no BIGINT)")
            return Landed(spec=fmt, header=[], encoding=encoding)
        if options.encoding and not needs_transcoding(encoding):
            check_decodes(path, encoding)  # DuckDB would only reject rows; say which --encoding
        bare_cr = needs_transcoding(encoding) or has_bare_cr(path)
        with utf8_copy(path, encoding, bare_cr=bare_cr) as src:
            blank = 0
            if FORMATS[kind][fmt] == "jsonl":
                header, found = _read_jsonl(con, src, options, fmt, redact)
            else:
                header, found, preset = _read_csv(con, src, options, fmt, redact, bare_cr)
                used.extend([preset.name] if preset else [])
                blank = tabular_notes.skip_blank_rows(con, header)
        if not header:
            raise ValueError(f"{report_path or path}: no columns found; is it really {fmt}?")
        landed = Landed(spec=fmt, header=header, found=found, encoding=encoding)
        landed.skipped[tabular_notes.BLANK] += blank
        landed.warnings.update(tabular_notes.notes(con, fmt, found, report_path or path, options))
        return landed

    report = load_file(con, path, kind, fmt, options, lander, state=state)
    report.preset = used[0] if used else None
    return report


__all__ = ["FORMATS", "detect_format", "load", "quote"]
