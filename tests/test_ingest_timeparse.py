"""Timestamps: the Python parser and the bulk SQL expression agree, and both give naive UTC."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from pipelines.ingest.timeparse import parse_timestamp, sql_timestamp

CASES = [
    ("2/24/2015 10:48", "America/Los_Angeles", datetime(2015, 2, 24, 18, 48)),
    ("2019/3/5", "UTC", datetime(2019, 3, 5)),
    ("27-04-2023", "Europe/Warsaw", datetime(2023, 4, 26, 22, 0)),
    ("Tue Oct 31 22:10:47 +0000 2017", "Asia/Tokyo", datetime(2017, 10, 31, 22, 10, 47)),
    ("Tue, 31 Oct 2017 22:10:47 +0200", "UTC", datetime(2017, 10, 31, 20, 10, 47)),
    ("2017-10-31T22:10:47Z", "Europe/Warsaw", datetime(2017, 10, 31, 22, 10, 47)),
    ("2017-10-31T22:10:47.250+02:00", "UTC", datetime(2017, 10, 31, 20, 10, 47, 250000)),
    ("2017-10-31 22:10:47", "Europe/Warsaw", datetime(2017, 10, 31, 21, 10, 47)),
    ("2017-07-01 12:00", "Europe/Warsaw", datetime(2017, 7, 1, 10, 0)),  # summer time: +02:00
    ("1509487847", "Europe/Warsaw", datetime(2017, 10, 31, 22, 10, 47)),
    ("1509487847123", "UTC", datetime(2017, 10, 31, 22, 10, 47, 123000)),
]


@pytest.mark.parametrize(("value", "tz", "expected"), CASES)
def test_python_and_sql_agree(value: str, tz: str, expected: datetime) -> None:
    assert parse_timestamp(value, tz) == expected
    expr, params = sql_timestamp("v", tz)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.execute("INSERT INTO t VALUES (?)", [value])
    assert con.execute(f"SELECT {expr} FROM t", params).fetchall() == [(expected,)]


def test_epoch_number_and_aware_datetime() -> None:
    assert parse_timestamp(1509487847) == datetime(2017, 10, 31, 22, 10, 47)
    assert parse_timestamp(datetime(2020, 1, 1, 12), "Europe/Warsaw") == datetime(2020, 1, 1, 11)


@pytest.mark.parametrize("bad", ["garbage", "", "31/31/2020", None])
def test_unparseable_raises_and_sql_gives_null(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(bad)
    expr, params = sql_timestamp("v", "UTC")
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.execute("INSERT INTO t VALUES (?)", [bad])
    assert con.execute(f"SELECT {expr} FROM t", params).fetchall() == [(None,)]


def test_unknown_timezone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="--timezone"):
        parse_timestamp("2020-01-01 10:00", "Mars/Olympus")
