"""Timestamps as exports write them, to naive UTC (the warehouse contract).

Two equivalents: `parse_timestamp` for Python parsers (one value at a time) and `sql_timestamp`,
a DuckDB expression for bulk paths, so a million rows never go through Python one by one.
Naive values are local time in `default_tz` (`--timezone`); values with an offset keep theirs.

Ambiguous day/month orders follow what exports use: slashes are US month-first
(`2/24/2015 10:48`, Excel/CrowdFlower), dashes and dots are day-first (`27-04-2023`, `27.04.2023`),
and a leading four-digit year is always year-month-day (`2019/3/5`, CFPB).
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Formats with an explicit offset (DuckDB strptime and Python strptime share these directives).
OFFSET_FORMATS = (
    "%a %b %d %H:%M:%S %z %Y",  # Twitter API: Tue Oct 31 22:10:47 +0000 2017
    "%a, %d %b %Y %H:%M:%S %z",  # RFC 2822 (emails)
    "%d %b %Y %H:%M:%S %z",
)
# Naive formats, tried in order after ISO 8601.
NAIVE_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y%m%d%H%M%S",
)
_EPOCH = re.compile(r"^\d{9,13}(\.\d+)?$")
_ISO_OFFSET = re.compile(r"^\d{4}-\d\d-\d\d[T ].*(Z|[+-]\d\d:?\d\d)$")
# Epoch values above this are milliseconds (1e11 s is the year 5138).
MS_THRESHOLD = 100_000_000_000


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; raises ValueError naming the `--timezone` fix."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as UTC or Europe/Warsaw (--timezone)"
        ) from exc


def _to_utc(moment: datetime, default_tz: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(default_tz))
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_timestamp(value: object, default_tz: str = "UTC") -> datetime:
    """`value` as a naive UTC datetime; raises ValueError saying what could not be parsed.

    >>> parse_timestamp("Tue Oct 31 22:10:47 +0000 2017")
    datetime.datetime(2017, 10, 31, 22, 10, 47)
    >>> parse_timestamp("2/24/2015 10:48", "America/Los_Angeles")
    datetime.datetime(2015, 2, 24, 18, 48)
    """
    zone(default_tz)  # a bad --timezone is the caller's error, not this value's
    if isinstance(value, datetime):
        return _to_utc(value, default_tz)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"unparseable timestamp {value!r}")
    if isinstance(value, int | float):
        seconds = value / 1000 if value >= MS_THRESHOLD else value
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    text = str(value).strip()
    if not text:
        raise ValueError("empty timestamp")
    if _EPOCH.match(text):
        return parse_timestamp(float(text), default_tz)
    iso = text[:-1] + "+00:00" if text.endswith("Z") else text
    try:
        return _to_utc(datetime.fromisoformat(iso), default_tz)
    except ValueError:
        pass
    for fmt in OFFSET_FORMATS + NAIVE_FORMATS:
        try:
            return _to_utc(datetime.strptime(text, fmt), default_tz)
        except ValueError:
            continue
    try:
        return _to_utc(email.utils.parsedate_to_datetime(text), default_tz)
    except (TypeError, ValueError, IndexError):
        pass
    raise ValueError(
        f"unparseable timestamp {text[:60]!r} (expected ISO 8601, M/D/YYYY H:MM, epoch, RFC 2822...)"
    )


def sql_timestamp(
    column: str, timezone: str, named: bool = False
) -> tuple[str, list[object] | dict[str, object]]:
    """A DuckDB expression turning VARCHAR expression `column` into naive UTC, and its parameters.

    `column` must be a quoted identifier or an expression built from constants; `timezone` is
    validated and bound as a parameter. NULL where nothing matches (the caller rejects those).
    With `named`, parameters are `$ts_*` names (a dict), so several expressions share them.
    """
    zone(timezone)
    v = f"trim({column})"
    if named:
        offsets = "[" + ", ".join(f"$ts_off{i}" for i in range(len(OFFSET_FORMATS))) + "]"
        naives = "[" + ", ".join(f"$ts_naive{i}" for i in range(len(NAIVE_FORMATS))) + "]"
        tz = "$ts_tz"
    else:
        offsets = "[" + ", ".join("?" for _ in OFFSET_FORMATS) + "]"
        naives = "[" + ", ".join("?" for _ in NAIVE_FORMATS) + "]"
        tz = "?"
    expr = f"""CASE
        WHEN {v} IS NULL OR {v} = '' THEN NULL
        WHEN regexp_full_match({v}, '\\d{{9,13}}(\\.\\d+)?') THEN make_timestamp(CAST(round(
            CASE WHEN TRY_CAST({v} AS DOUBLE) >= {MS_THRESHOLD} THEN TRY_CAST({v} AS DOUBLE) * 1000
                 ELSE TRY_CAST({v} AS DOUBLE) * 1000000 END) AS BIGINT))
        WHEN regexp_full_match({v}, '\\d{{4}}-\\d\\d-\\d\\d[T ].*(Z|[+-]\\d\\d:?\\d\\d)')
            THEN timezone('UTC', TRY_CAST({v} AS TIMESTAMPTZ))
        WHEN regexp_full_match({v}, '\\d{{4}}-\\d\\d-\\d\\d([T ][0-9:.]+)?')
            THEN timezone('UTC', timezone({tz}, TRY_CAST({v} AS TIMESTAMP)))
        ELSE COALESCE(
            timezone('UTC', try_strptime({v}, {offsets})),
            timezone('UTC', timezone({tz}, try_strptime({v}, {naives}))))
        END"""
    if named:
        return expr, {"ts_tz": timezone} | {f"ts_off{i}": f for i, f in enumerate(OFFSET_FORMATS)} | {
            f"ts_naive{i}": f for i, f in enumerate(NAIVE_FORMATS)
        }
    return expr, [timezone, *OFFSET_FORMATS, timezone, *NAIVE_FORMATS]


def sniff_format(samples: list[str]) -> str | None:
    """The one strptime format every sample matches (from the supported list), or None.

    Bulk loads try it first (`fast_sql`), so most rows take one `strptime` instead of the
    chain of checks in `sql_timestamp`.
    """
    values = [s.strip() for s in samples if s and s.strip()]
    if not values:
        return None
    for fmt in OFFSET_FORMATS + NAIVE_FORMATS:
        try:
            for value in values:
                datetime.strptime(value, fmt)
        except ValueError:
            continue
        return fmt
    return None


def fast_sql(column: str, fmt: str, fmt_param: str, tz_param: str) -> str:
    """`column` parsed with the single format bound as `$fmt_param`, to naive UTC (NULL if no match)."""
    parsed = f"try_strptime(trim({column}), ${fmt_param})"
    if "%z" in fmt:
        return f"timezone('UTC', {parsed})"
    return f"timezone('UTC', timezone(${tz_param}, {parsed}))"
