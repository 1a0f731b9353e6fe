"""`[operations]` settings and the business-hours calendar the service-level marts read.

Example `voc.toml`::

    [operations]
    timezone = "Europe/Berlin"
    open_time = "08:00"
    close_time = "18:00"
    open_days = [1, 2, 3, 4, 5]        # ISO weekdays, Monday = 1
    holidays_country = "DE"            # public holidays from the `holidays` package
    holidays_subdivision = "BE"
    extra_holidays = ["2026-12-24"]
    sla_target_s_chat = 45

Email and social targets are `[analytics] reply_target_hours_email` / `reply_target_hours_social`,
the same ones `marts.interactions.is_answered` uses (one definition of "answered in time").

`marts.business_calendar` holds one row per open period (UTC) with the business seconds before it,
so a mart turns any two timestamps into business seconds with two ASOF joins (`business_s(t)`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import holidays
import pandas as pd

from pipelines.settings import SettingsError, load_section

TIMED_CHANNELS = ("call", "chat")  # their targets live here; email/social: [analytics] reply_target_hours_*


@dataclass(frozen=True)
class OperationsSettings:
    """Service-level targets, business hours and conversation-metric conventions (docs/marts.md)."""

    # service-level targets: seconds to the first agent response
    sla_target_s_call: float = 20.0        # the 80/20 convention: answered within 20 s
    sla_target_s_chat: float = 60.0        # the agent greets within 60 s
    sla_business_time: bool = False        # judge the SLA in business time instead of elapsed time
    service_level: float = 0.8             # share of contacts to answer within the target (staffing)
    timezone: str = "UTC"
    open_time: str = "09:00"
    close_time: str = "17:00"
    open_days: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekdays
    holidays_country: str = ""             # e.g. "US", "DE": public holidays (python-holidays)
    holidays_subdivision: str = ""         # e.g. "CA", "BY"
    extra_holidays: tuple[str, ...] = ()   # ISO dates the center is closed
    # conversation metrics
    silence_gap_s: float = 2.0             # non-talk time counts silences of at least this long
    interruption_min_overlap_s: float = 2.0
    backchannel_max_words: int = 3         # "mhm", "yeah yes": overlapping but not interrupting
    forecast_weeks: int = 2                # staffing forecast horizon
    occupancy: float = 0.85                # email/social workload: share of an agent's hour spent on work
    deflection_share: float = 0.3          # self-service: share of a candidate reason's contacts deflected
    qa_rules: str = ""                     # QA rules file (YAML); empty = docs/qa.example.yaml

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"[operations] timezone = {self.timezone!r} is not an IANA time zone "
                                "(e.g. 'Europe/Berlin', 'America/New_York')") from exc
        open_at, close_at = (_clock(name, getattr(self, name)) for name in ("open_time", "close_time"))
        if close_at <= open_at:
            raise SettingsError(f"[operations] close_time {self.close_time} must be after "
                                f"open_time {self.open_time}")
        days = tuple(int(d) for d in self.open_days)
        if not days or any(d < 1 or d > 7 for d in days):
            raise SettingsError(f"[operations] open_days = {self.open_days} must list ISO weekdays "
                                "1 (Mon) .. 7 (Sun)")
        object.__setattr__(self, "open_days", days)
        for value in self.extra_holidays:
            try:
                dt.date.fromisoformat(str(value))
            except ValueError as exc:
                raise SettingsError(f"[operations] extra_holidays: {value!r} is not an ISO date "
                                    "(YYYY-MM-DD)") from exc
        if self.holidays_country and self.holidays_country not in holidays.list_supported_countries():
            raise SettingsError(f"[operations] holidays_country = {self.holidays_country!r} is not a country "
                                "python-holidays knows (ISO 3166 alpha-2, e.g. 'US')")
        for channel in TIMED_CHANNELS:
            if getattr(self, f"sla_target_s_{channel}") <= 0:
                raise SettingsError(f"[operations] sla_target_s_{channel} must be > 0 seconds")
        if not 0 < self.occupancy <= 1 or not 0 < self.deflection_share <= 1:
            raise SettingsError("[operations] occupancy and deflection_share must be fractions in (0, 1]")
        if self.forecast_weeks < 1:
            raise SettingsError("[operations] forecast_weeks must be at least 1")
        if not 0 < self.service_level < 1:
            raise SettingsError(f"[operations] service_level = {self.service_level} must be a fraction "
                                "in (0, 1)")

    def sql_parameters(self) -> dict[str, object]:
        """The values the operations marts bind (`$name` in their SQL)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if isinstance(getattr(self, f.name), (int, float, bool, str))}
        return values

    def as_rows(self) -> list[tuple[str, str]]:
        return [(f"operations.{f.name}", str(getattr(self, f.name))) for f in dataclasses.fields(self)]

    def closed_dates(self, years: range) -> set[dt.date]:
        """Public holidays of the configured country (and subdivision) plus the extra dates."""
        closed = {dt.date.fromisoformat(str(d)) for d in self.extra_holidays}
        if self.holidays_country:
            closed |= set(holidays.country_holidays(self.holidays_country, years=list(years),
                                                    subdiv=self.holidays_subdivision or None))
        return closed


def _clock(name: str, value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise SettingsError(f"[operations] {name} = {value!r} is not a clock time like '09:00'") from exc


def load(path: Path | None = None) -> OperationsSettings:
    """The `[operations]` section of the settings file, with `VOC_OPERATIONS_*` env overrides."""
    return load_section("operations", OperationsSettings, path)


def calendar_frame(settings: OperationsSettings, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Open periods from `start` to `end` (local dates, inclusive) as UTC timestamps, with the business
    seconds before each one (`cum_before_s`). Daylight-saving days get their true length."""
    zone = ZoneInfo(settings.timezone)
    open_at, close_at = _clock("open_time", settings.open_time), _clock("close_time", settings.close_time)
    closed = settings.closed_dates(range(start.year, end.year + 1))
    days = pd.date_range(start, end, freq="D")
    rows = []
    for day in days.date:  # one row per calendar day of the data (hundreds), not per contact
        if day.isoweekday() not in settings.open_days or day in closed:
            continue
        begin = dt.datetime.combine(day, open_at, zone).astimezone(dt.UTC).replace(tzinfo=None)
        finish = dt.datetime.combine(day, close_at, zone).astimezone(dt.UTC).replace(tzinfo=None)
        rows.append((day, begin, finish))
    frame = pd.DataFrame(rows, columns=["local_day", "open_at", "close_at"])
    frame["open_s"] = (frame["close_at"] - frame["open_at"]).dt.total_seconds() if rows else []
    frame["cum_before_s"] = frame["open_s"].cumsum() - frame["open_s"] if rows else []
    return frame


def build_calendar(con: duckdb.DuckDBPyConnection, settings: OperationsSettings | None = None) -> str:
    """Email and social targets are `[analytics] reply_target_hours_email` / `reply_target_hours_social`,
the same ones `marts.interactions.is_answered` uses (one definition of "answered in time").

`marts.business_calendar`: the open periods covering the data, from a week before the first
    contact to 60 days after the last (so an unanswered contact's business age is known)."""
    settings = settings or load()
    sql = "SELECT min(occurred_at), max(occurred_at) FROM staging.interactions"
    first, last = con.execute(sql).fetchall()[0]
    today = dt.date.today()
    start = (first.date() if first else today) - dt.timedelta(days=7)
    end = (last.date() if last else today) + dt.timedelta(days=60)
    frame = calendar_frame(settings, start, end)
    con.register("_calendar", frame)
    con.execute("""CREATE OR REPLACE TABLE marts.business_calendar AS
                   SELECT CAST(local_day AS DATE) AS local_day, CAST(open_at AS TIMESTAMP) AS open_at,
                          CAST(close_at AS TIMESTAMP) AS close_at, CAST(open_s AS DOUBLE) AS open_s,
                          CAST(cum_before_s AS DOUBLE) AS cum_before_s
                   FROM _calendar ORDER BY open_at""")
    con.unregister("_calendar")
    return f"{len(frame)} open periods"
