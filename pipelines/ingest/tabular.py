"""Bulk loaders for tabular exports (CSV, JSONL): DuckDB reads, SQL types, SQL finds the rejects.

Flow per file: hash it (skip when loaded), transcode to UTF-8 when needed, read every value as
VARCHAR into a temp table `_voc_src` (record_no, source columns, text columns already redacted),
type and validate it with the format's SQL (`pipelines.ingest.tabular_sql`) into `_voc_typed`
(`reason` NULL = good), then in one transaction: replace the path's previous version, reject
duplicates of ids already loaded, and write raw.records, raw.rejects, staging, raw.files.
No row goes through Python.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import duckdb

from pipelines.ingest import core, tabular_sql
from pipelines.ingest.encoding import (
    CR_PLACEHOLDER,
    check_decodes,
    detect_encoding,
    has_bare_cr,
    needs_transcoding,
    utf8_copy,
)
from pipelines.ingest.mapping import load_mapping_file, norm, resolve
from pipelines.ingest.records import FileReport, IngestOptions
from pipelines.ingest.tabular_sql import quote
from pipelines.ingest.timeparse import sniff_format
from pipelines.warehouse import transaction

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
# No comment character: a tweet may start with '#'. Long cells (a pasted email thread) are fine.
CSV_OPTIONS = (
    "all_varchar = true, header = true, quote = '\"', escape = '\"', comment = '', "
    "max_line_size = 67108864"
)
# pipelines.redact leaves text without a digit, an '@' or a link unchanged (its documented fast path)
REDACT_PREFILTER = "[0-9@]|https?://|www\\."
TEMP_TABLES = (
    "_voc_src",
    "_voc_bad",
    "_voc_typed",
    "_voc_rows",
    "_voc_rej",
    "_voc_rejscan",
    "_voc_lines",
    "_voc_conv",
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


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    for table in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")
        con.execute(f"DROP VIEW IF EXISTS temp.{table}")


def _csv_header(con: duckdb.DuckDBPyConnection, path: Path, delim: str) -> list[str]:
    rel = con.execute(
        f"SELECT * FROM read_csv($path, {CSV_OPTIONS}, delim = $delim, ignore_errors = true) LIMIT 0",
        {"path": str(path), "delim": delim},
    )
    header = [d[0] for d in rel.description]
    rel.fetchall()
    return header


def _redacted(header: list[str], text_columns: set[str], redact: bool, bare_cr: bool) -> str:
    """Select list of the source columns: CRs restored, text columns redacted."""
    parts = []
    for col in header:
        expr = quote(col)
        if bare_cr:
            expr = f"replace({expr}, '{CR_PLACEHOLDER}', chr(13))"
        if redact and col in text_columns:
            # only text that can hold PII (a digit, an @ or a link) pays for the Python UDF
            expr = f"CASE WHEN regexp_matches({expr}, '{REDACT_PREFILTER}') THEN voc_redact({expr}) ELSE {expr} END"
        parts.append(f"{expr} AS {quote(col)}")
    return ", ".join(parts)


def _read_csv(
    con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions, fmt: str, redact: bool, bare_cr: bool
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    header = _csv_header(con, path, delim)
    explicit = _explicit(options)
    found, unknown = resolve(fmt, header, explicit)
    text_cols = {found[f] for f in tabular_sql.TEXT_FIELDS if f in found}
    con.execute(
        f"CREATE TEMP TABLE _voc_src AS SELECT row_number() OVER () AS record_no, "
        f"{_redacted(header, text_cols, redact, bare_cr)} FROM read_csv($path, {CSV_OPTIONS}, delim = $delim, "
        "store_rejects = true, rejects_table = '_voc_rej', rejects_scan = '_voc_rejscan')",
        {"path": str(path), "delim": delim},
    )
    # Malformed lines: DuckDB's `line` counts the header, so line - 1 is the record number.
    con.execute(
        "CREATE TEMP TABLE _voc_bad AS SELECT line - 1 AS record_no, "
        "'malformed CSV: line ' || line || ': ' || string_agg(DISTINCT error_type || ' (' || error_message || ')', '; ') AS reason, "
        "left(min(csv_line), 200) AS excerpt, to_json({'line': min(csv_line)}) AS payload FROM _voc_rej GROUP BY line"
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
    return header, found, unknown


def _read_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions, fmt: str, redact: bool
) -> tuple[list[str], dict[str, str], dict[str, str]]:
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
    text_cols = {found[f] for f in tabular_sql.TEXT_FIELDS if f in found}
    params: dict[str, object] = {}
    cols = []
    for i, key in enumerate(header):
        parts = key.split(".") if key not in first_level else [key]
        params[f"k{i}"] = "$" + "".join('."' + part.replace('"', '\\"') + '"' for part in parts)
        cols.append(f"json_extract_string(line, $k{i}) AS {quote(key)}")
    select = ", ".join(cols) or "NULL AS _empty"
    con.execute(
        f"CREATE TEMP TABLE _voc_src AS SELECT record_no, {_redacted(header, text_cols, redact, False)} "
        f"FROM (SELECT record_no, {select} FROM _voc_lines "
        "WHERE ok)",
        params,
    )
    con.execute(
        "CREATE TEMP TABLE _voc_bad AS SELECT record_no, 'malformed JSON: line ' || record_no || "
        "CASE WHEN json_valid(line) THEN ' is not an object' ELSE ' does not parse' END AS reason, "
        "left(line, 200) AS excerpt, to_json({'line': line}) AS payload FROM _voc_lines "
        "WHERE NOT ok"
    )
    return header, found, unknown


def _explicit(options: IngestOptions) -> dict[str, str]:
    explicit = load_mapping_file(options.mapping_file) if options.mapping_file else {}
    explicit.update(options.columns)
    return explicit


def _register_redaction(con: duckdb.DuckDBPyConnection, options: IngestOptions) -> bool:
    if options.keep_originals:
        return False
    try:
        from pipelines import redact
    except ModuleNotFoundError as exc:
        if exc.name != "pipelines.redact":
            raise
        core.redactor(options)  # logs the one warning
        return False
    exists = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'voc_redact'"
    ).fetchall()[0][0]
    if not exists:
        redact.register_udf(con)
    return True


def load(
    con: duckdb.DuckDBPyConnection, path: Path, kind: str, fmt: str, options: IngestOptions
) -> FileReport:
    """Load one tabular file; returns its report (see the module docstring)."""
    path = Path(path)
    state = core.begin_file(con, path)
    if state.already_loaded_as:
        return core.skipped_report(state, path, kind, fmt)
    encoding = detect_encoding(path, options.encoding) if state.size else "utf-8"
    report = FileReport(
        path=str(path), kind=kind, format=fmt, encoding=encoding, replaced=bool(state.replaces)
    )
    redact = _register_redaction(con, options)
    _drop_temps(con)
    try:
        empty = state.size == 0 or not _header_sample(path).strip()
        if empty:
            header, found, unknown = [], {}, {}
            con.execute("CREATE TEMP TABLE _voc_src (record_no BIGINT)")
            con.execute(
                "CREATE TEMP TABLE _voc_bad (record_no BIGINT, reason VARCHAR, excerpt VARCHAR, payload JSON)"
            )
        else:
            if options.encoding and not needs_transcoding(encoding):
                check_decodes(path, encoding)  # DuckDB would only reject rows; say which --encoding
            bare_cr = needs_transcoding(encoding) or has_bare_cr(path)
            with utf8_copy(path, encoding, bare_cr=bare_cr) as src:
                if FORMATS[kind][fmt] == "jsonl":
                    header, found, unknown = _read_jsonl(con, src, options, fmt, redact)
                else:
                    header, found, unknown = _read_csv(con, src, options, fmt, redact, bare_cr)
        if not empty and not header:
            raise ValueError(f"{path}: no columns found; is it really {fmt}?")
        spec = tabular_sql.build(fmt, found, unknown, header, options, path, _sniff_times(con, found))
        # record_no is a column from here on, so row order no longer matters: let DuckDB write in parallel
        con.execute("SET preserve_insertion_order = false")
        for sql, params in spec.prepare:
            con.execute(sql, params)
        with transaction(con):
            core.delete_files(con, state.replaces)
            for sql in spec.duplicates:
                con.execute(sql)
            _write_raw(con, state, kind, header, found, fmt)
            for sql in spec.inserts:
                con.execute(sql, {"file_id": state.file_id})
            report.read, report.rejected, reasons = _counts(con)
            report.loaded = report.read - report.rejected
            report.reasons = reasons
            core.record_file(con, state, kind, fmt, encoding, report)
            core.after_load(con, kind, state.file_id)
    finally:
        con.execute("RESET preserve_insertion_order")
        _drop_temps(con)
    return report


def _sniff_times(con: duckdb.DuckDBPyConnection, found: dict[str, str]) -> dict[str, str]:
    """field -> the one timestamp format a sample of its column fits (a fast path for bulk parsing)."""
    fast = {}
    for fld in ("occurred_at", "churned_at"):
        if fld in found:
            col = quote(found[fld])
            sample = [
                r[0]
                for r in con.execute(
                    f"SELECT {col} FROM _voc_src WHERE {col} IS NOT NULL AND trim({col}) <> '' LIMIT 200"
                ).fetchall()
            ]
            fmt = sniff_format(sample)
            if fmt:
                fast[fld] = fmt
    return fast


def _payload_expr(header: list[str], fmt: str) -> str:
    if not header:
        return "NULL::JSON"
    return "to_json(struct_pack(" + ", ".join(f"{quote(c)} := s.{quote(c)}" for c in header) + "))"


def _write_raw(
    con: duckdb.DuckDBPyConnection,
    state: core.FileState,
    kind: str,
    header: list[str],
    found: dict[str, str],
    fmt: str,
) -> None:
    params = {"file_id": state.file_id, "kind": kind, "path": state.path}
    payload = _payload_expr(header, fmt)
    _run(
        con,
        "INSERT INTO raw.records SELECT $file_id, $kind, record_no, md5(payload::VARCHAR), payload FROM ("
        f"SELECT s.record_no, {payload} AS payload FROM _voc_src s UNION ALL "
        "SELECT record_no, payload FROM _voc_bad)",
        params,
    )
    _run(
        con,
        "INSERT INTO raw.rejects SELECT $file_id, $path, $kind, record_no, reason, excerpt FROM ("
        f"SELECT t.record_no, t.reason, left({payload}::VARCHAR, 200) AS excerpt "
        "FROM _voc_typed t JOIN _voc_src s USING (record_no) WHERE t.reason IS NOT NULL "
        "UNION ALL SELECT record_no, reason, excerpt FROM _voc_bad) ORDER BY record_no",
        params,
    )


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> None:
    con.execute(sql, tabular_sql.used_params(sql, params))


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, dict[str, int]]:
    read = con.execute("SELECT (SELECT count(*) FROM _voc_src) + (SELECT count(*) FROM _voc_bad)").fetchall()[
        0
    ][0]
    rows = con.execute(
        "SELECT split_part(reason, ':', 1) AS r, count(*) FROM (SELECT reason FROM _voc_typed WHERE reason IS NOT NULL "
        "UNION ALL SELECT reason FROM _voc_bad) GROUP BY r"
    ).fetchall()
    reasons = dict(Counter({r: int(n) for r, n in rows}))
    return int(read), sum(reasons.values()), reasons


__all__ = ["FORMATS", "detect_format", "load", "quote"]
