"""The one load path every format goes through.

    open the file's load -> land its rows -> validate in SQL -> write, count, reject -> after-load

1. **Open**: `core.begin_file` hashes the file; same content already loaded -> skipped (unless
   `--replace`); a new version of a path -> the old version's rows are deleted in the same
   transaction as the new ones are written.
2. **Land**: a *lander* fills the temp table `_voc_src` (one row per record: `record_no`, the
   source's columns, redacted), optionally `_voc_bad` (records that could not be read:
   `record_no, reason, excerpt, payload`, all redacted) and `_voc_turns` (turns of conversations).
   It returns a `Landed`: which column feeds which field and which validation `spec` applies.
   Tabular files are landed by DuckDB (`pipelines.ingest.tabular`); Python parsers by
   `pipelines.ingest.load.land`, which turns their `Parsed` records into Arrow batches.
3. **Validate**: `pipelines.ingest.tabular_sql.build` types and checks `_voc_src` into `_voc_typed`
   (`reason` NULL = good) with the one vocabulary (`pipelines.ingest.vocab`), one timestamp
   parser and one set of reject reasons.
4. **Write** in one transaction: reject ids loaded by other files, raw.records (every record's
   payload), raw.rejects (reason + redacted excerpt), staging, raw.files (last: its row means
   "fully loaded"), then the after-load steps (identity resolution).

Python parsers' files are loaded in batches (`ParsedFiles`): a run of small files is landed into
the same temp tables, each row tagged with its file (`file_no`, `file_id`), then validated,
written and counted once for the whole batch, with the outcome of loading them one by one (the
earlier file wins a duplicate id; counts, warnings and rejects per file).

A new format is a parser `fn(path, options) -> Iterator[Parsed]` registered in its kind's
`PARSERS`; `Parsed.value` holds staging field names (`source_id`, `channel`, `occurred_at`, `text`,
`turns` = [{speaker, text, begin_s, end_s}], ...). It never validates, redacts or writes.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingest import core, identity, tabular_sql
from pipelines.ingest.records import FileReport, IngestOptions, Parsed
from pipelines.warehouse import transaction

log = logging.getLogger(__name__)

TEMP_TABLES = (
    "_voc_src",
    "_voc_bad",
    "_voc_turns",
    "_voc_typed",
    "_voc_rows",
    "_voc_rej",
    "_voc_rejscan",
    "_voc_lines",
    "_voc_conv",
    "_voc_turns_typed",
    "_voc_turn_sums",
    "_voc_skipped",
    "_voc_files",
)


@dataclass
class Landed:
    """What a lander put in `_voc_src`: its columns and how they map onto warehouse fields."""

    spec: str                                  # the validation in tabular_sql.BUILDERS
    header: list[str]                          # source columns, in file order (the raw payload)
    found: dict[str, str] = field(default_factory=dict)  # field -> column of _voc_src
    payload_column: str | None = None          # a column already holding the payload as JSON text
    encoding: str | None = None
    skipped: Counter[str] = field(default_factory=Counter)   # reason -> records that are not contacts
    warnings: Counter[str] = field(default_factory=Counter)  # message -> records it concerns


Lander = Callable[[duckdb.DuckDBPyConnection], Landed]


def drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the load's temp tables (before a load, and after it whatever happened)."""
    marks = ", ".join("?" * len(TEMP_TABLES))
    for (table,) in con.execute(
        f"SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name IN ({marks})", list(TEMP_TABLES)
    ).fetchall():
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    fmt: str,
    options: IngestOptions,
    land: Lander,
    state: core.FileState | None = None,
) -> FileReport:
    """Load one file through the steps of the module docstring; returns its report.

    Inside `batch(con)` the file's writes join the batch's transaction instead of their own.
    """
    path = Path(path)
    state = state or core.begin_file(con, path, replace=options.replace)
    if state.already_loaded_as:
        return core.skipped_report(state, path, kind, fmt)
    report = FileReport(path=str(path), kind=kind, format=fmt, replaced=bool(state.replaces))
    identity.register(con)  # voc_keyed_hash: references are stored as keyed hashes
    try:  # the temp tables are dropped after every load, whatever happened
        landed = land(con)
        con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _voc_bad (record_no BIGINT, reason VARCHAR, excerpt VARCHAR, payload JSON)"
        )
        # records read that are not contacts (a retweet): raw.records only, counted apart
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _voc_skipped (record_no BIGINT, payload VARCHAR)")
        for reason, n in landed.skipped.items():
            report.skip(reason, n)
        for message, n in landed.warnings.items():
            report.warn(message, n)
        report.encoding = landed.encoding
        spec = tabular_sql.build(landed.spec, landed.found, landed.header, options, path, con)
        # record_no is a column from here on, so row order no longer matters: let DuckDB write in parallel
        con.execute("SET preserve_insertion_order = false")
        for sql, params in spec.prepare:
            con.execute(sql, params)
        with _unit(con):
            core.delete_files(con, state.replaces)
            if spec.existing:
                reject_loaded_ids(con, spec.existing)
            for sql in spec.duplicates:
                con.execute(sql)
            _write_raw(con, state, kind, landed)
            for sql in spec.inserts:
                con.execute(sql, tabular_sql.used_params(sql, {"file_id": state.file_id}))
            report.read, report.rejected, report.reasons = _counts(con)
            report.loaded = report.read - report.rejected
            core.record_files(con, [(state, kind, fmt, landed.encoding, report)])
            core.after_load(con, kind, [state.file_id])
    finally:
        con.execute("RESET preserve_insertion_order")
        drop_temps(con)
    return report


_in_batch: set[int] = set()  # id() of connections inside `batch`


@contextmanager
def batch(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Several small files in one transaction (one commit, not one per file); all or none of them.

    The caller retries the files one by one when the batch fails, so the bad file is still named.
    """
    with transaction(con):
        _in_batch.add(id(con))
        try:
            yield
        finally:
            _in_batch.discard(id(con))


@contextmanager
def _unit(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    if id(con) in _in_batch:
        yield
    else:
        with transaction(con):
            yield


def reject_loaded_ids(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Mark rows of `table` whose interaction id another file already loaded as duplicates."""
    ids = con.execute(
        f"SELECT interaction_id FROM {table} WHERE reason IS NULL LIMIT {core.INDEX_LOOKUP_MAX + 1}"
    ).fetchall()
    if len(ids) <= core.INDEX_LOOKUP_MAX:
        if not ids:
            return
        # A few ids (a small file): probe the primary-key index. A join scans all of
        # staging.interactions for every file, which made small-file ingest quadratic.
        marks = ", ".join("?" * len(ids))
        values = [r[0] for r in ids]
        probe = f"FROM staging.interactions WHERE interaction_id IN ({marks})"
        if not con.execute(f"SELECT 1 {probe} LIMIT 1", values).fetchall():
            return  # none loaded before (the usual case): one probe, not three statements
        con.execute(f"CREATE OR REPLACE TEMP TABLE _voc_seen AS SELECT interaction_id, file_id, record_no {probe}", values)
        try:
            con.execute(tabular_sql.existing_interactions(table, "_voc_seen"))
        finally:
            con.execute("DROP TABLE IF EXISTS temp._voc_seen")
        return
    con.execute(tabular_sql.existing_interactions(table))


def _payload_expr(landed: Landed) -> str:
    if landed.payload_column:
        return f"s.{tabular_sql.quote(landed.payload_column)}::JSON"
    if not landed.header:
        return "NULL::JSON"
    q = tabular_sql.quote
    return "to_json(struct_pack(" + ", ".join(f"{q(c)} := s.{q(c)}" for c in landed.header) + "))"


def _write_raw(con: duckdb.DuckDBPyConnection, state: core.FileState, kind: str, landed: Landed) -> None:
    params = {"file_id": state.file_id, "kind": kind, "path": state.path}
    payload = _payload_expr(landed)
    _run(
        con,
        "INSERT INTO raw.records SELECT $file_id, $kind, record_no, md5(payload::VARCHAR), payload FROM ("
        f"SELECT s.record_no, {payload} AS payload FROM _voc_src s UNION ALL "
        "SELECT record_no, payload FROM _voc_bad UNION ALL SELECT record_no, payload::JSON FROM _voc_skipped)",
        params,
    )
    _run(
        con,
        "INSERT INTO raw.rejects SELECT $file_id, $path, $kind, record_no, reason, excerpt FROM ("
        f"SELECT t.record_no, t.reason, left({payload}::VARCHAR, {core.EXCERPT_CHARS}) AS excerpt "
        "FROM _voc_typed t JOIN _voc_src s USING (record_no) WHERE t.reason IS NOT NULL "
        "UNION ALL SELECT record_no, reason, excerpt FROM _voc_bad) ORDER BY record_no",
        params,
    )


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> None:
    con.execute(sql, tabular_sql.used_params(sql, params))


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, dict[str, int]]:
    read = con.execute("SELECT (SELECT count(*) FROM _voc_src) + (SELECT count(*) FROM _voc_bad)").fetchall()[0][0]
    rows = con.execute(
        "SELECT split_part(reason, ':', 1) AS r, count(*) FROM (SELECT reason FROM _voc_typed WHERE reason IS NOT NULL "
        "UNION ALL SELECT reason FROM _voc_bad) GROUP BY r"
    ).fetchall()
    reasons = dict(Counter({r: int(n) for r, n in rows}))
    return int(read), sum(reasons.values()), reasons


@dataclass
class _Pending:
    state: core.FileState
    kind: str
    fmt: str
    encoding: str | None
    report: FileReport


class ParsedFiles:
    """A batch of files read by Python parsers, landed one by one (`add`) and written together (`flush`).

    `flush` gives each file the outcome it would have loaded alone, in the order added: a file that
    replaces an earlier version, or whose validation differs (its own `--occurred-at` date), starts
    a new batch. Inside `batch(con)` its writes join the batch's transaction.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, options: IngestOptions):
        self.con, self.options = con, options
        self.pending: list[_Pending] = []
        self.spec: tabular_sql.Spec | None = None
        self.landing: core.Landing | None = None

    def holds(self, state: core.FileState) -> bool:
        """Whether a pending file has this content or this path (`begin_file` must look again after `flush`)."""
        return any(p.state.file_id == state.file_id or p.state.path == state.path for p in self.pending)

    def add(
        self,
        path: Path,
        kind: str,
        fmt: str,
        records: Iterable[Parsed],
        encoding: str | None,
        state: core.FileState | None = None,
        chunk_size: int = core.LAND_CHUNK,
    ) -> FileReport:
        """Land one file's records; returns its report, filled in by `flush` (or now, when skipped)."""
        path = Path(path)
        con = self.con
        state = state or core.begin_file(con, path, replace=self.options.replace)
        if state.already_loaded_as:
            return core.skipped_report(state, path, kind, fmt)
        spec = tabular_sql.build("parsed", {}, [], self.options, path, con)
        if self.pending and (state.replaces or _validation(spec) != _validation(self.spec) or self.holds(state)):
            self.flush()  # deletes run before every check of the batch: a replacing file comes first
        if not self.pending:
            drop_temps(con)
            self.landing = core.Landing(con, chunk_size)
            identity.register(con)  # voc_keyed_hash: references are stored as keyed hashes
            self.spec = spec
        file_no = len(self.pending)
        report = FileReport(path=str(path), kind=kind, format=fmt, replaced=bool(state.replaces), encoding=encoding)
        tag = {"file_no": file_no, "file_id": state.file_id}
        warnings, skipped = core.land_records(self.landing, path, state.path, records, self.options, tag, chunk_size)
        for reason, n in skipped.items():
            report.skip(reason, n)
        for message, n in warnings.items():
            report.warn(message, n)
        self.pending.append(_Pending(state, kind, fmt, encoding, report))
        return report

    def flush(self) -> None:
        """Validate and write the pending files (one transaction unless inside `batch`); fills their reports."""
        if not self.pending:
            return
        con, spec, pending = self.con, self.spec, self.pending
        self.pending, self.spec = [], None
        assert spec is not None
        try:
            self.landing.write()
            con.execute("SET preserve_insertion_order = false")
            for sql, params in spec.prepare:
                con.execute(sql, params)
            with _unit(con):
                for p in pending:
                    core.delete_files(con, p.state.replaces)
                if spec.existing:
                    reject_loaded_ids(con, spec.existing)
                for sql in spec.duplicates:
                    con.execute(sql)
                kinds = {p.kind for p in pending}
                assert len(kinds) == 1, kinds
                kind = kinds.pop()
                _write_parsed_raw(con, kind)
                for sql in spec.inserts:
                    con.execute(sql, tabular_sql.used_params(sql, {}))
                counts = _counts_by_file(con)
                for no, p in enumerate(pending):
                    p.report.read, p.report.rejected, p.report.reasons = counts.get(no, (0, 0, {}))
                    p.report.loaded = p.report.read - p.report.rejected
                core.record_files(con, [(p.state, p.kind, p.fmt, p.encoding, p.report) for p in pending])
                core.after_load(con, kind, [p.state.file_id for p in pending])
        finally:
            con.execute("RESET preserve_insertion_order")
            drop_temps(con)


def _validation(spec: tabular_sql.Spec | None) -> list | None:
    """What a file's validation depends on: its statements and their values, except the clock
    (`ts_max`: now + latest_days_ahead, a moment later for every file)."""
    if spec is None:
        return None
    return [(sql, {k: v for k, v in params.items() if k != "ts_max"}) for sql, params in spec.prepare]


def _write_parsed_raw(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """raw.records and raw.rejects of a batch of parsed files (`_write_raw` for rows tagged with their file)."""
    con.execute(
        "INSERT INTO raw.records SELECT f.file_id, $kind, r.record_no, md5(r.payload::VARCHAR), r.payload FROM ("
        "SELECT file_no, record_no, payload::JSON AS payload FROM _voc_src UNION ALL "
        "SELECT file_no, record_no, payload::JSON FROM _voc_skipped) r JOIN _voc_files f USING (file_no)",
        {"kind": kind},
    )
    con.execute(
        "INSERT INTO raw.rejects SELECT f.file_id, f.path, $kind, t.record_no, t.reason, "
        f"left(s.payload::JSON::VARCHAR, {core.EXCERPT_CHARS}) FROM _voc_typed t JOIN _voc_src s "
        "USING (file_no, record_no) JOIN _voc_files f USING (file_no) WHERE t.reason IS NOT NULL "
        "ORDER BY t.file_no, t.record_no",
        {"kind": kind},
    )


def _counts_by_file(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[int, int, dict[str, int]]]:
    """file_no -> (read, rejected, reasons) of a batch of parsed files (`_counts`, grouped by file)."""
    read = dict(con.execute("SELECT file_no, count(*) FROM _voc_src GROUP BY file_no").fetchall())
    reasons: dict[int, dict[str, int]] = {}
    for no, reason, n in con.execute(
        "SELECT file_no, split_part(reason, ':', 1) AS r, count(*) FROM _voc_typed WHERE reason IS NOT NULL "
        "GROUP BY file_no, r"
    ).fetchall():
        reasons.setdefault(no, {})[reason] = int(n)
    return {
        no: (int(read.get(no, 0)), sum(reasons.get(no, {}).values()), reasons.get(no, {}))
        for no in set(read) | set(reasons)
    }


def land(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    fmt: str,
    records: Iterable[Parsed],
    options: IngestOptions,
    encoding: str | None,
    chunk_size: int = core.LAND_CHUNK,
    state: core.FileState | None = None,
) -> FileReport:
    """Load what a Python parser yielded for `path` through the one load path (`ParsedFiles`).

    Records are taken `chunk_size` at a time, so a 300 MB mailbox never sits in memory whole;
    the file is still all-or-nothing: nothing is written to the warehouse before every record
    is landed and validated.
    """
    files = ParsedFiles(con, options)
    try:
        report = files.add(path, kind, fmt, records, encoding, state=state, chunk_size=chunk_size)
        files.flush()
    finally:
        drop_temps(con)
    return report
