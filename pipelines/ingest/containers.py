"""Exports that come wrapped: gzip, zip and Excel workbooks, recognised by their bytes, not their name.

`opened(path)` yields the file to parse: `path` itself for a plain file, else a temporary copy of
its content (`tickets.csv.gz` -> `tickets.csv`, a one-file zip -> that file, a workbook's first
sheet with data -> a UTF-8 CSV named after the workbook). The copy keeps the archive's mtime, so
formats that date records by their file still can; the load is recorded under the archive's own
path and hash. A `.csv` that is really gzip, zip or a workbook is read as what it is.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path

from pipelines.errors import UserError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


class ContainerError(UserError, ValueError):
    """An archive or workbook that cannot be opened; the message names the file and the fix."""


def _magic(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(8)


@contextmanager
def opened(path: Path) -> Iterator[Path]:
    """The file to parse for `path` (see the module docstring); temporary copies are removed after."""
    path = Path(path)
    head = _magic(path)
    if head.startswith(OLE_MAGIC):
        raise ContainerError(
            f"{path}: a legacy Excel (.xls) or Office file, not text; save it as .xlsx or CSV and ingest that"
        )
    if not head.startswith((GZIP_MAGIC, ZIP_MAGIC)):
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="voc-open-"))
    try:
        if head.startswith(GZIP_MAGIC):
            inner = _gunzip(path, tmp)
        elif _is_workbook(path):
            inner = _sheet_to_csv(path, tmp)
        else:
            inner = _unzip_one(path, tmp)
        stat = path.stat()
        os.utime(inner, (stat.st_atime, stat.st_mtime))
        yield inner
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _gunzip(path: Path, tmp: Path) -> Path:
    inner = tmp / (path.stem if path.suffix.lower() in (".gz", ".gzip") else path.name)
    try:
        with gzip.open(path, "rb") as src, open(inner, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    except (OSError, EOFError) as exc:
        raise ContainerError(f"{path}: gzip data is damaged or truncated ({exc}); export or copy it again") from exc
    return inner


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


def _unzip_one(path: Path, tmp: Path) -> Path:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [
                m
                for m in zf.infolist()
                if not m.is_dir() and not any(p.startswith((".", "__MACOSX")) for p in Path(m.filename).parts)
            ]
            if len(members) != 1:
                names = ", ".join(m.filename for m in members[:5]) + (", ..." if len(members) > 5 else "")
                raise ContainerError(
                    f"{path}: a zip archive holding {len(members)} files ({names or 'none'}); "
                    "unzip it and ingest the folder"
                )
            inner = tmp / Path(members[0].filename).name
            with zf.open(members[0]) as src, open(inner, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ContainerError(f"{path}: zip archive is damaged ({exc}); export or copy it again") from exc
    return inner


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 123 is an id, not 123.0
    return str(value)


def _sheet_to_csv(path: Path, tmp: Path) -> Path:
    """The first worksheet with data as a UTF-8 CSV (openpyxl, read-only: rows are streamed)."""
    from openpyxl import load_workbook

    try:
        # a file object: openpyxl refuses a workbook by its name when it is called .csv
        wb = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ContainerError(f"{path}: cannot open the workbook ({exc}); save it again as .xlsx or CSV") from exc
    inner = tmp / (Path(path).stem + ".csv")
    try:
        for sheet in wb.worksheets:
            rows = sheet.iter_rows(values_only=True)
            first = next(rows, None)
            if first is None or not any(v is not None for v in first):
                continue
            with open(inner, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow([_cell(v) for v in first])
                # spreadsheets carry thousands of formatted but empty rows: they are not records
                writer.writerows([_cell(v) for v in row] for row in rows if any(v is not None for v in row))
            return inner
    finally:
        wb.close()
    raise ContainerError(f"{path}: the workbook has no sheet with data")
