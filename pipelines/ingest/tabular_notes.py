"""What a landed tabular file says about itself, before validation: blank rows, ids, dates.

Run by `pipelines.ingest.tabular` on `_voc_src` once a CSV is read:
- rows with no value at all (2,543 trailing spreadsheet rows in a real ticket export) are blank,
  not rejects: they move to `_voc_skipped` (raw.records keeps them) and count as `blank row`;
- a ticket file without an id column gets ids derived from each ticket's content
  (`tabular_sql._tickets`), and the summary says so;
- records without a date take the `--occurred-at` fallback; when that is the file's mtime by
  default, the summary says how many did.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb

from pipelines.ingest import file_dates
from pipelines.ingest.records import IngestOptions
from pipelines.ingest.tabular_sql import quote

BLANK = "blank row"
DERIVED_ID = (
    "no id column: each record's id is derived from its content (subject, text, customer, date), "
    "so the same record keeps its id in a later export; map one with --column source_id=COLUMN"
)
ID_FORMATS = ("helpdesk_csv", "cfpb_csv")
DATED_FORMATS = ("helpdesk_csv", "cfpb_csv", "utterances_csv")
FALLBACK_FIELD = "occurred_at_fallback"  # the `--occurred-at column:NAME` column, in `found`


def skip_blank_rows(con: duckdb.DuckDBPyConnection, header: list[str]) -> int:
    """Move rows without a single non-blank value from `_voc_src` to `_voc_skipped`; returns how many."""
    if not header:
        return 0
    # column by column (= trim(concat_ws(...)) = ''): most rows fail on their first column, no row is
    # concatenated; the cast because a sniffed column may be typed (a BIGINT id is never blank)
    blank = " AND ".join(f"({quote(c)} IS NULL OR trim({quote(c)}::VARCHAR) = '')" for c in header)
    payload = "to_json(struct_pack(" + ", ".join(f"{quote(c)} := {quote(c)}" for c in header) + "))::VARCHAR"
    con.execute(
        f"CREATE TEMP TABLE _voc_skipped AS SELECT record_no, {payload} AS payload "
        f"FROM _voc_src WHERE {blank}"
    )
    n = con.execute("SELECT count(*) FROM _voc_skipped").fetchall()[0][0]
    if n:
        con.execute(f"DELETE FROM _voc_src WHERE {blank}")
    return int(n)


def notes(
    con: duckdb.DuckDBPyConnection, fmt: str, found: dict[str, str], path: Path, options: IngestOptions
) -> Counter[str]:
    """Warnings for the file's report: derived ids, records dated by the file's mtime (with counts)."""
    warnings: Counter[str] = Counter()
    rows = con.execute("SELECT count(*) FROM _voc_src").fetchall()[0][0]
    if not rows:
        return warnings
    if fmt in ID_FORMATS and "source_id" not in found:
        warnings[DERIVED_ID] = rows
    if fmt in DATED_FORMATS:
        _when, _origin, warning = file_dates.file_date(path, file_dates.parse_fallback(options.occurred_at))
        if warning:
            cols = [found[f] for f in ("occurred_at", FALLBACK_FIELD) if f in found]
            undated = " AND ".join(f"NULLIF(trim({quote(c)}::VARCHAR), '') IS NULL" for c in cols) or "true"
            n = con.execute(f"SELECT count(*) FROM _voc_src WHERE {undated}").fetchall()[0][0]
            if n:
                warnings[warning] = int(n)
    return warnings
