"""Global filters (date range, channel, segment, reason, language) and the SQL WHERE they make.

The filters are a frozen dataclass so they are hashable: cached queries are keyed by them.
Column names come from constants; every value is a bound parameter.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import streamlit as st

STATE_KEY = "voc_filters"


@dataclasses.dataclass(frozen=True)
class Filters:
    """What the user narrowed the data to; empty tuples mean 'all'."""

    start: date | None = None
    end: date | None = None  # inclusive
    channels: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # matches a parent reason or a reason (docs/marts.md)
    languages: tuple[str, ...] = ()
    search: str = ""  # case-insensitive substring of the verbatim

    def where(self, alias: str = "", on_day: bool = False) -> tuple[str, list[object]]:
        """The SQL predicate (never empty: `TRUE` when nothing is filtered) and its bound values.

        `on_day` filters dates on a `day DATE` column (pre-aggregated marts) instead of `occurred_at`.

        >>> Filters(channels=("call",)).where()
        ('channel IN (?)', ['call'])
        """
        p = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: list[object] = []
        if self.start is not None:
            clauses.append(f"{p}day >= ?" if on_day else f"{p}occurred_at >= ?")
            params.append(self.start)
        if self.end is not None:
            clauses.append(f"{p}day <= ?" if on_day else f"{p}occurred_at < ?")
            params.append(self.end if on_day else self.end + timedelta(days=1))
        for column, values in (
            ("channel", self.channels),
            ("segment", self.segments),
            ("language", self.languages),
        ):
            if values:
                clauses.append(f"{p}{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        if self.reasons:
            marks = ", ".join("?" * len(self.reasons))
            clauses.append(f"({p}parent_reason IN ({marks}) OR {p}reason IN ({marks}))")
            params.extend(self.reasons * 2)
        if self.search.strip():
            clauses.append(f"{p}text ILIKE ? ESCAPE '\\'")
            params.append("%" + _escape_like(self.search.strip()) + "%")
        return (" AND ".join(clauses) or "TRUE"), params

    @property
    def only_mart_dimensions(self) -> bool:
        """True when every filter is a dimension of `marts.daily_volume` (all but the text search)."""
        return not self.search.strip()

    def previous_period(self) -> Filters | None:
        """The same filters over the equally long period just before this one (None if open-ended)."""
        if self.start is None or self.end is None:
            return None
        length = self.end - self.start + timedelta(days=1)
        return dataclasses.replace(self, start=self.start - length, end=self.start - timedelta(days=1))


def _escape_like(text: str) -> str:
    # ILIKE wildcards typed by the user are literal characters, not patterns.
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def current() -> Filters:
    """The filters chosen in the sidebar (all data before the sidebar has run)."""
    return st.session_state.get(STATE_KEY, Filters())


def sidebar(options: dict[str, list[str]], first: date | None, last: date | None) -> Filters:
    """Draw the shared filters in the sidebar and remember them for every page."""
    st.sidebar.header("Filters")
    start, end = first, last
    if first is not None and last is not None:
        picked = st.sidebar.date_input(
            "Date range", value=(first, last), min_value=first, max_value=last, key="f_dates"
        )
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            start, end = picked[0], picked[1]
    chosen = {
        name: tuple(st.sidebar.multiselect(label, options.get(name, []), key=f"f_{name}", placeholder="All"))
        for name, label in (
            ("channels", "Channel"),
            ("segments", "Segment"),
            ("reasons", "Reason"),
            ("languages", "Language"),
        )
    }
    filters = Filters(start=start, end=end, **chosen)
    st.session_state[STATE_KEY] = filters
    return filters
