"""Parameterised reads of the marts (docs/marts.md): each returns a small DataFrame.

Trends come from the pre-aggregated `marts.daily_volume` whenever the filters are among its
dimensions (day, channel, reason); otherwise they aggregate `marts.interactions` in DuckDB. Either
way the browser only receives aggregates and one page of rows.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd

from dashboard.data import build_info, columns, has_mart, query
from dashboard.filters import Filters

# Columns a drill-down may narrow on: identifiers come from this constant, never from the browser.
DRILL_COLUMNS = frozenset(
    {
        "emotion",
        "term",
        "channel",
        "segment",
        "reason",
        "parent_reason",
        "language",
        "sentiment_label",
        "ekman",
        "customer_id",
        "chain_id",
        "day",
        "week",
        "is_negative",
        "is_repeat",
    }
)
VERBATIM_COLUMNS = (
    "interaction_id",
    "occurred_at",
    "channel",
    "customer_id",
    "segment",
    "parent_reason",
    "reason",
    "sentiment_label",
    "nev_text",
    "is_repeat",
    "text",
)
# Reason -> parent reason, so daily_volume (which has only `reason`) honours a parent-reason filter.
_DAILY = (
    "(SELECT d.*, p.parent_reason FROM marts.daily_volume AS d "
    "LEFT JOIN (SELECT DISTINCT reason, parent_reason FROM marts.interactions) AS p USING (reason))"
)


def window_hours() -> int:
    """The default repeat window the build used (168 h = 7 days unless configured)."""
    try:
        return int(float(build_info().get("default_window_hours", 168)))
    except ValueError:
        return 168


def window_label(hours: int | None = None) -> str:
    """'7-day window' / '24-hour window'."""
    hours = window_hours() if hours is None else hours
    return f"{hours // 24}-day window" if hours % 24 == 0 and hours >= 48 else f"{hours}-hour window"


def options() -> tuple[dict[str, list[str]], date | None, date | None]:
    """Filter choices and the data's first and last day."""
    out: dict[str, list[str]] = {}
    for name, column in (
        ("channels", "channel"),
        ("segments", "segment"),
        ("languages", "language"),
        ("parents", "parent_reason"),
        ("reasons", "reason"),
    ):
        df = query(
            f"SELECT DISTINCT {column} AS v FROM marts.interactions WHERE {column} IS NOT NULL ORDER BY v"
        )
        out[name] = [str(v) for v in df["v"]]
    out["reasons"] = list(dict.fromkeys(out.pop("parents") + out["reasons"]))
    span = query("SELECT min(day) AS a, max(day) AS b FROM marts.interactions")
    first, last = span.iloc[0]["a"], span.iloc[0]["b"]
    return out, _as_date(first), _as_date(last)


def _as_date(value: object) -> date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


_KPI_SQL = """
SELECT {group} count(*) AS volume,
       avg(nev_text) AS nev, count(nev_text) AS nev_n,
       avg(sentiment_score) AS sentiment,
       avg(CAST(is_negative AS DOUBLE)) AS negative_share,
       count(has_recontact) AS judged,
       count(*) FILTER (WHERE has_recontact) AS recontacted,
       count(*) FILTER (WHERE has_same_issue_recontact) AS same_recontacted,
       avg(CAST(has_recontact AS DOUBLE)) AS repeat_rate,
       avg(CAST(has_same_issue_recontact AS DOUBLE)) AS same_issue_rate,
       1 - avg(CAST(has_same_issue_recontact AS DOUBLE)) AS fcr
FROM marts.interactions WHERE {where} {group_by}
"""


def kpis(filters: Filters) -> pd.Series:
    """Volume, NEV (text proxy), sentiment, repeat rates and FCR proxy, with their denominators.

    Rates are over judged contacts (`has_recontact` is NULL for provisional or unsequenced ones),
    as in `marts.executive_summary`: recontacted / judged; FCR proxy = 1 - same-issue rate.
    """
    where, params = filters.where()
    return query(_KPI_SQL.format(group="", where=where, group_by=""), params).iloc[0]


def weekly_kpis(filters: Filters) -> pd.DataFrame:
    """The same figures per ISO week, for the trend lines."""
    where, params = filters.where()
    return query(_KPI_SQL.format(group="week,", where=where, group_by="GROUP BY week ORDER BY week"), params)


def summary_period(filters: Filters) -> Filters:
    """The period the executive summary compares: the chosen dates when data precede them, else the
    last `summary_period_days` (default 28, as marts.executive_summary) of the chosen range."""
    previous = filters.previous_period()
    if previous is None or kpis(previous)["volume"] > 0:
        return filters
    try:
        days = int(float(build_info().get("summary_period_days", 28)))
    except ValueError:
        days = 28
    start = max(filters.start, filters.end - timedelta(days=days - 1))
    return dataclasses.replace(filters, start=start)


def revenue_at_risk(scope: str, keys: tuple[str, ...] = (), limit: int = 50) -> pd.DataFrame:
    """`marts.revenue_at_risk` for one scope ('total', 'reason', 'segment'), largest first."""
    if not has_mart("revenue_at_risk"):
        return pd.DataFrame(columns=["key", "revenue_at_risk", "method"])
    where, params = "scope = ?", [scope]
    if keys:
        where += f" AND key IN ({', '.join('?' * len(keys))})"
        params += list(keys)
    return query(
        f"SELECT * FROM marts.revenue_at_risk WHERE {where} ORDER BY revenue_at_risk DESC NULLS LAST LIMIT ?",
        [*params, limit],
    )


def daily_by_channel(filters: Filters) -> pd.DataFrame:
    """Contacts, mean sentiment and NEV (text proxy) per day and channel."""
    if filters.only_mart_dimensions and has_mart("daily_volume"):
        where, params = filters.where(on_day=True)
        sql = (
            "SELECT day, channel, sum(contacts) AS n, sum(sentiment_sum) / nullif(sum(sentiment_n), 0) "
            f"AS sentiment, sum(nev_sum) / nullif(sum(nev_n), 0) AS nev FROM {_DAILY} WHERE {where} "
            "GROUP BY ALL ORDER BY day, channel"
        )
    else:
        where, params = filters.where()
        sql = (
            "SELECT day, channel, count(*) AS n, avg(sentiment_score) AS sentiment, avg(nev_text) AS nev "
            f"FROM marts.interactions WHERE {where} GROUP BY ALL ORDER BY day, channel"
        )
    return query(sql, params)


def emotion_mix(filters: Filters) -> pd.DataFrame:
    """How often each emotion is among an interaction's top emotions."""
    where, params = filters.where()
    return query(
        "SELECT emotion, count(*) AS n FROM (SELECT unnest(top_emotions) AS emotion FROM marts.interactions "
        f"WHERE {where}) WHERE emotion IS NOT NULL GROUP BY emotion ORDER BY n DESC LIMIT 20",
        params,
    )


def trajectory(filters: Filters) -> pd.DataFrame:
    """Customer sentiment at the start versus the end of calls and chats, per channel."""
    where, params = filters.where()
    return query(
        "SELECT channel, avg(sentiment_start) AS start, avg(sentiment_end) AS end, count(*) AS n, "
        "avg(CASE WHEN sentiment_end > sentiment_start THEN 1.0 ELSE 0.0 END) AS improved "
        f"FROM marts.interactions WHERE {where} "
        "AND sentiment_start IS NOT NULL AND sentiment_end IS NOT NULL "
        "GROUP BY channel ORDER BY channel",
        params,
    )


_ORDER = {"volume": "n", "cost to serve": "handle_hours"}


def pareto(filters: Filters, by: str = "volume") -> pd.DataFrame:
    """Reasons by volume or cost to serve (handle hours), with the cumulative share of that measure."""
    measure = _ORDER[by]
    if filters.only_mart_dimensions and has_mart("daily_volume"):
        where, params = filters.where(on_day=True)
        source, n, hours = _DAILY, "sum(contacts)", "sum(handle_time_s) / 3600"
    else:
        where, params = filters.where()
        source, n, hours = "marts.interactions", "count(*)", "sum(handle_time_s) / 3600"
    return query(
        f"WITH r AS (SELECT reason, any_value(parent_reason) AS parent, {n} AS n, {hours} AS handle_hours "
        f"FROM {source} WHERE {where} GROUP BY reason), "
        f"final AS (SELECT *, {measure} / sum({measure}) OVER () AS share, "
        f"sum({measure}) OVER (ORDER BY {measure} DESC, reason ROWS UNBOUNDED PRECEDING) "
        f"/ sum({measure}) OVER () AS cum_share FROM r) "
        f"SELECT * FROM final ORDER BY {measure} DESC, reason",
        params,
    )


def hierarchy(filters: Filters) -> pd.DataFrame:
    """Volume and NEV (text proxy) per parent reason -> reason."""
    where, params = filters.where()
    return query(
        "SELECT parent_reason AS parent, reason, count(*) AS n, avg(nev_text) AS nev "
        f"FROM marts.interactions WHERE {where} GROUP BY ALL ORDER BY n DESC",
        params,
    )


def reason_trend(filters: Filters, top: int = 8) -> pd.DataFrame:
    """Weekly volume of the top reasons."""
    where, params = filters.where()
    return query(
        f"WITH base AS (SELECT week, reason FROM marts.interactions WHERE {where}), "
        "top AS (SELECT reason FROM base GROUP BY 1 ORDER BY count(*) DESC, reason LIMIT ?) "
        "SELECT week, reason, count(*) AS n FROM base WHERE reason IN (SELECT reason FROM top) "
        "GROUP BY ALL ORDER BY week, reason",
        [*params, top],
    )


def reason_filter_sql(filters: Filters, column: str = "reason") -> tuple[str, list[object]]:
    """A predicate on a mart's reason column (a parent reason matches its reasons)."""
    if not filters.reasons:
        return "TRUE", []
    marks = ", ".join("?" * len(filters.reasons))
    return (
        f"({column} IN ({marks}) OR {column} IN (SELECT reason FROM marts.interactions "
        f"WHERE parent_reason IN ({marks})))"
    ), [*filters.reasons, *filters.reasons]


def matching_reasons(filters: Filters) -> set[str] | None:
    """Reasons the reason filter keeps (a parent reason keeps its reasons); None = all."""
    if not filters.reasons:
        return None
    marks = ", ".join("?" * len(filters.reasons))
    df = query(
        f"SELECT DISTINCT reason FROM marts.interactions WHERE reason IN ({marks}) "
        f"OR parent_reason IN ({marks})",
        [*filters.reasons, *filters.reasons],
    )
    return set(df["reason"])


def mart_by_reason(table: str, filters: Filters, order: str, limit: int = 500) -> pd.DataFrame:
    """A whole-data mart with a `reason` column, narrowed by the reason filter."""
    if not has_mart(table):
        return pd.DataFrame()
    where, params = reason_filter_sql(filters)
    return query(f"SELECT * FROM marts.{table} WHERE {where} ORDER BY {order} LIMIT ?", [*params, limit])


def repeat_rates(dimension: str, window: int, denominator: str = "judged_contacts") -> pd.DataFrame:
    """`marts.repeat_rates` for one dimension and window, both scopes."""
    if not has_mart("repeat_rates"):
        return pd.DataFrame()
    return query(
        "SELECT * FROM marts.repeat_rates WHERE dimension = ? AND window_hours = ? "
        "AND denominator_kind = ? ORDER BY scope, rate DESC NULLS LAST",
        [dimension, window, denominator],
    )


def repeat_windows() -> list[int]:
    """Windows the build computed rates for."""
    if not has_mart("repeat_rates"):
        return []
    return [
        int(v)
        for v in query("SELECT DISTINCT window_hours FROM marts.repeat_rates ORDER BY 1")["window_hours"]
    ]


def channel_switch(window: int, reason: str = "(all)") -> pd.DataFrame:
    """From-channel x to-channel switches of judged contacts within the window."""
    if not has_mart("channel_switch"):
        return pd.DataFrame()
    return query(
        "SELECT from_channel, to_channel, sum(switches) AS n, sum(from_contacts) AS from_contacts "
        "FROM marts.channel_switch WHERE window_hours = ? AND reason = ? GROUP BY ALL "
        "ORDER BY from_channel, to_channel",
        [window, reason],
    )


def switch_reasons(window: int) -> list[str]:
    """Reasons `marts.channel_switch` has rows for ('(all)' first)."""
    if not has_mart("channel_switch"):
        return ["(all)"]
    df = query(
        "SELECT DISTINCT reason FROM marts.channel_switch WHERE window_hours = ? "
        "ORDER BY reason <> '(all)', reason",
        [window],
    )
    return df["reason"].tolist() or ["(all)"]


def top_chains(filters: Filters, limit: int = 20) -> pd.DataFrame:
    """The customers with the most repeat contacts in the filtered data."""
    where, params = filters.where()
    return query(
        "SELECT customer_id, count(*) AS contacts, count(*) FILTER (WHERE is_repeat) AS repeats "
        f"FROM marts.interactions WHERE {where} AND customer_id IS NOT NULL GROUP BY 1 "
        "ORDER BY repeats DESC, contacts DESC, customer_id LIMIT ?",
        [*params, limit],
    )


def customer_timeline(customer_id: str) -> pd.DataFrame:
    """Every contact of one customer, in order, for the timeline."""
    return query(
        "SELECT interaction_id, occurred_at, channel, reason, sentiment_label, is_repeat, chain_id, "
        "hours_since_prev FROM marts.interactions WHERE customer_id = ? ORDER BY occurred_at",
        [customer_id],
    )


def customer_value(filters: Filters, limit: int = 3000) -> pd.DataFrame:
    """Customers with CLV and mean NEV (text proxy), the largest CLVs first, narrowed by segment."""
    if not has_mart("customer_value"):
        return pd.DataFrame()
    where, params = "clv IS NOT NULL AND mean_nev IS NOT NULL", []
    if filters.segments:
        where += f" AND segment IN ({', '.join('?' * len(filters.segments))})"
        params += list(filters.segments)
    return query(
        f"SELECT * FROM marts.customer_value WHERE {where} ORDER BY clv DESC LIMIT ?", [*params, limit]
    )


def _drill_sql(drill: tuple[tuple[str, object], ...]) -> tuple[str, list[object]]:
    clauses, params = [], []
    for column, value in drill:
        if column not in DRILL_COLUMNS:
            raise ValueError(f"cannot drill down on {column!r}; allowed: {sorted(DRILL_COLUMNS)}")
        if value is None:
            clauses.append(f"{column} IS NULL")
            continue
        if column == "emotion":  # one of the interaction's top emotions
            clauses.append("list_contains(top_emotions, ?)")
        elif column == "term":  # a distinctive word or bigram, as typed by customers
            clauses.append("text ILIKE ? ESCAPE '\\'")
            value = "%" + str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        else:
            clauses.append(f"{column} = ?")
        params.append(value)
    return (" AND ".join(clauses) or "TRUE"), params


def verbatims(
    filters: Filters, drill: tuple[tuple[str, object], ...] = (), limit: int = 50, offset: int = 0
) -> pd.DataFrame:
    """One page of interactions (newest first) under the filters and a drill-down."""
    where, params = filters.where()
    dwhere, dparams = _drill_sql(drill)
    cols = ", ".join(c for c in VERBATIM_COLUMNS if c in columns("interactions"))
    return query(
        f"SELECT {cols} FROM marts.interactions WHERE {where} AND {dwhere} "
        "ORDER BY occurred_at DESC, interaction_id LIMIT ? OFFSET ?",
        [*params, *dparams, limit, offset],
    )


def count_verbatims(filters: Filters, drill: tuple[tuple[str, object], ...] = ()) -> int:
    """How many interactions match the filters and drill-down (for the pager)."""
    where, params = filters.where()
    dwhere, dparams = _drill_sql(drill)
    df = query(
        f"SELECT count(*) AS n FROM marts.interactions WHERE {where} AND {dwhere}", [*params, *dparams]
    )
    return int(df.iloc[0, 0])


def interaction(interaction_id: str) -> pd.Series | None:
    """One interaction's row."""
    df = query("SELECT * FROM marts.interactions WHERE interaction_id = ?", [interaction_id])
    return None if df.empty else df.iloc[0]


def turns(interaction_id: str) -> pd.DataFrame:
    """The transcript of one interaction (turns with their scores)."""
    if not has_mart("turns"):
        return pd.DataFrame()
    return query("SELECT * FROM marts.turns WHERE interaction_id = ? ORDER BY turn_no", [interaction_id])
