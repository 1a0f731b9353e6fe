"""Exports of what is on screen (CSV, Excel, Parquet), safe to open in a spreadsheet.

Cells starting with `=`, `+`, `-`, `@`, a tab or a carriage return are prefixed with `'` so a
spreadsheet shows them as text instead of running them as formulas (OWASP CSV injection).
"""

from __future__ import annotations

import io
import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # openpyxl's ILLEGAL_CHARACTERS_RE
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def _neutralise_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy where every text cell that a spreadsheet would run as a formula is made literal.

    >>> neutralise(pd.DataFrame({"t": ["=1+1", "ok"]}))["t"].tolist()
    ["'=1+1", 'ok']
    """
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(_neutralise_cell).astype(object)
    out.columns = [str(_neutralise_cell(str(c))) for c in out.columns]
    return out


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    # Lists (top emotions) and timezone-aware stamps do not fit every format: make them plain.
    out = df.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, (list, tuple))).any():
            out[column] = out[column].map(
                lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
            )
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM so Excel reads accents right), RFC 4180 line ends.

    CRLF line ends make the writer quote any cell holding a bare CR, which would otherwise split a row.
    """
    return neutralise(_plain(df)).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _xml_safe(value: object) -> object:
    # XML 1.0 forbids most control characters (NUL, VT, FF, ESC...) that ingest accepts in text;
    # openpyxl raises IllegalCharacterError on them. Shown as U+FFFD, so the cell still says
    # something was there.
    return ILLEGAL_XML.sub("\ufffd", value) if isinstance(value, str) else value


def to_excel(df: pd.DataFrame) -> bytes:
    """One-sheet .xlsx (control characters that XML cannot hold become U+FFFD)."""
    buffer = io.BytesIO()
    safe = neutralise(_plain(df))
    for column in safe.columns:
        if safe[column].dtype == object:
            safe[column] = safe[column].map(_xml_safe)
    safe.columns = [str(_xml_safe(c)) for c in safe.columns]
    safe.to_excel(buffer, index=False, sheet_name="export", engine="openpyxl")
    return buffer.getvalue()


def to_parquet(df: pd.DataFrame) -> bytes:
    """Parquet (typed; text cells neutralised too, since Parquet files get opened in spreadsheets)."""
    buffer = io.BytesIO()
    neutralise(df).to_parquet(buffer, index=False)
    return buffer.getvalue()


WRITERS = {"csv": to_csv, "xlsx": to_excel, "parquet": to_parquet}
