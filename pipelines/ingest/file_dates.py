"""The date of a record that carries none: what `--occurred-at` chooses, and what the file says.

A record's own timestamp always wins. When it has none, `--occurred-at` (`IngestOptions.occurred_at`)
says where the date comes from:

| value               | date                                                                   |
|---------------------|------------------------------------------------------------------------|
| (not given)         | a timestamp in the file name, else the file's modification time, with a warning |
| `mtime`             | the file's modification time, chosen: no warning                       |
| `filename`          | a timestamp in the file name; records of a file without one are rejected |
| `filename:PATTERN`  | the file name read with a strptime pattern, e.g. `filename:%Y%m%d-%H%M` |
| `column:NAME`       | another column (key path for JSON, e.g. `column:metadata.created`)      |

File names are read for the conventions exports use: Contact Lens' S3 object name
`<contact-id>_analysis_<ISO time>.json`, Connect's recording name `<contact-id>_20220622T16:55_UTC.wav`,
and any `2024-03-05[T14-30-00]` / `20240305[T143000]` in the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.errors import UserError
from pipelines.ingest.timeparse import parse_timestamp

# <contact-id>_analysis_2022-10-27T03:31:50Z.json (Contact Lens output object names)
ANALYSIS_NAME_RE = re.compile(r"_analysis_(\d{4}-\d\d-\d\dT\d\d[:_-]?\d\d(?:[:_-]?\d\d(?:\.\d+)?)?Z?)")
# <contact-id>_20220622T16:55_UTC.wav (Amazon Connect call recordings, CustomerMetadata.InputS3Uri)
RECORDING_NAME_RE = re.compile(r"_(\d{8}T\d\d[:_-]?\d\d(?:[:_-]?\d\d)?)_UTC\b")
# .../2022/06/22/... (the date folders Connect writes recordings and analyses under)
DATE_FOLDERS_RE = re.compile(r"/(\d{4})/(\d\d)/(\d\d)/")
# 2024-03-05, 20240305, optionally followed by a time 14-30-00 / 14:30:00 / 143000 and a Z.
FILENAME_TIME_RE = re.compile(
    r"(?<![0-9A-Za-z])(\d{4})-?(\d{2})-?(\d{2})(?:[T_ -]?(\d{2})[-:]?(\d{2})(?:[-:]?(\d{2}))?)?(Z)?(?![0-9])"
)
STRPTIME_REGEX = {
    "%Y": r"\d{4}",
    "%y": r"\d\d",
    "%m": r"\d\d",
    "%d": r"\d\d",
    "%H": r"\d\d",
    "%M": r"\d\d",
    "%S": r"\d\d",
    "%j": r"\d{3}",
    "%b": r"[A-Za-z]{3}",
    "%f": r"\d{1,6}",
    "%%": "%",
}
CHOICES = "column:NAME, filename, filename:PATTERN or mtime"
NO_DATE_WARNING = (
    "nothing in the record or its file name dates it: occurred_at is the file's modification time "
    "{mtime}; choose with --occurred-at ({choices})"
)


class DateFallbackError(UserError, ValueError):
    """An `--occurred-at` value that cannot be used; the message gives the accepted forms."""


@dataclass(frozen=True)
class DateFallback:
    """A parsed `--occurred-at`: `how` is auto, mtime, filename or column; `arg` its pattern or column."""

    how: str = "auto"
    arg: str | None = None


def parse_fallback(spec: str | None) -> DateFallback:
    """`--occurred-at` as given -> DateFallback; raises DateFallbackError naming the accepted forms.

    >>> parse_fallback("column:Created at"), parse_fallback(None).how
    (DateFallback(how='column', arg='Created at'), 'auto')
    """
    if spec is None or not spec.strip():
        return DateFallback()
    how, sep, arg = spec.strip().partition(":")
    how = how.strip().lower()
    if how == "mtime" and not sep:
        return DateFallback("mtime")
    if how == "filename":
        if sep and "%" not in arg:
            raise DateFallbackError(
                f"--occurred-at {spec!r}: a file-name pattern needs strptime codes, e.g. filename:%Y%m%d"
            )
        return DateFallback("filename", arg or None)
    if how == "column" and arg.strip():
        return DateFallback("column", arg.strip())
    raise DateFallbackError(f"--occurred-at {spec!r}: expected {CHOICES}")


def mtime(path: Path) -> datetime:
    """The file's modification time, naive UTC."""
    return datetime.fromtimestamp(Path(path).stat().st_mtime, UTC).replace(tzinfo=None)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(%.)", pattern)
    body = "".join(
        STRPTIME_REGEX.get(p, re.escape(p)) if p.startswith("%") else re.escape(p) for p in parts if p
    )
    # not inside a longer run of digits (or of a hex contact id's letters and digits)
    return re.compile(rf"(?<![0-9A-Za-z]){body}(?![0-9])" if pattern[:1] == "%" else rf"{body}(?![0-9])")


def time_in_name(name: str, pattern: str | None = None) -> datetime | None:
    """A naive UTC time from a file or object name: `pattern` (strptime) or the known conventions.

    >>> time_in_name("b49644f6_analysis_2022-10-27T03:31:50Z.json")
    datetime.datetime(2022, 10, 27, 3, 31, 50)
    >>> time_in_name("s3://b/2022/06/22/c1_20220622T16:55_UTC.wav")
    datetime.datetime(2022, 6, 22, 16, 55)
    >>> time_in_name("export-05.03.2024.csv", "%d.%m.%Y")
    datetime.datetime(2024, 3, 5, 0, 0)
    """
    if pattern:
        m = _pattern_regex(pattern).search(name)
        if m:
            try:
                return datetime.strptime(m.group(0), pattern)
            except ValueError:
                return None
        return None
    m = ANALYSIS_NAME_RE.search(name)
    if m:
        text = re.sub(
            r"T(\d\d)[_-](\d\d)(?:[_-](\d\d))?",
            lambda g: "T" + ":".join(x for x in g.groups() if x),
            m.group(1),
        )
        try:
            return parse_timestamp(text)
        except ValueError:
            pass
    m = RECORDING_NAME_RE.search(name)
    if m:
        digits = re.sub(r"[:_-]", "", m.group(1))
        try:
            return datetime.strptime(digits, "%Y%m%dT%H%M%S" if len(digits) == 15 else "%Y%m%dT%H%M")
        except ValueError:
            pass
    base = name.rsplit("/", 1)[-1]
    for m in FILENAME_TIME_RE.finditer(base):
        year, month, day, hour, minute, second, _z = m.groups()
        try:
            return datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            continue
    m = DATE_FOLDERS_RE.search(name)
    if m:
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    return None


def file_date(path: Path, fallback: DateFallback) -> tuple[datetime | None, str, str | None]:
    """(time, origin, warning) for a record of `path` that has no date of its own.

    time is None when the user's choice finds nothing (the caller rejects the record with `origin`
    as the reason); `column` is the caller's to read, so it gives (None, 'column', None).
    """
    if fallback.how == "column":
        return None, "column", None
    if fallback.how == "mtime":
        return mtime(path), "file mtime", None
    named = time_in_name(Path(path).name, fallback.arg)
    if named is not None:
        return named, "file name", None
    if fallback.how == "filename":
        wanted = f"pattern {fallback.arg!r}" if fallback.arg else "a timestamp"
        return (
            None,
            f"missing timestamp: the file name has no {wanted} (--occurred-at {fallback.how}"
            + (f":{fallback.arg})" if fallback.arg else ")"),
            None,
        )
    when = mtime(path)
    return (
        when,
        "file mtime",
        NO_DATE_WARNING.format(mtime=when.isoformat(sep=" ", timespec="seconds"), choices=CHOICES),
    )


def fallback_column(header: list[str], spec: str | None) -> str | None:
    """The header column `--occurred-at column:NAME` names (compared loosely), None for other choices.

    Raises DateFallbackError listing the file's columns when the file has no such column.
    """
    fallback = parse_fallback(spec)
    if fallback.how != "column" or fallback.arg is None:
        return None
    from pipelines.ingest.mapping import norm

    wanted = norm(fallback.arg)
    column = next((c for c in header if c == fallback.arg), None) or next(
        (c for c in header if norm(c) == wanted), None
    )
    if column is None:
        raise DateFallbackError(
            f"--occurred-at column:{fallback.arg}: no such column in the file; its columns are: "
            f"{', '.join(header)[:500]}"
        )
    return column
