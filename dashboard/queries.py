"""Parameterised reads of the marts (docs/marts.md): each returns a small DataFrame.

Headline figures and trends are sums of the pre-aggregated `marts.daily_volume`, whose dimensions
are every filter but the text search, with each figure's one definition
(`analytics.definitions.KPIS`, the same SQL `marts.executive_summary` is built with). A text search
first shapes the matching contacts like `marts.daily_volume` (`CONTACT_MEASURES`) and applies the
same definitions. The browser only receives aggregates and one page of rows.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd

from analytics.definitions import CONTACT_MEASURES, KPIS, TOP_CHAINS_KEPT, select_list
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
    "language",
    "customer_id",
    "segment",
    "parent_reason",
    "reason",
    "sentiment_label",
    "nev_text",
    "is_repeat",
    "text",
)
_DAILY = "marts.daily_volume"
# The narrow row-per-contact mart the verbatim tables, the repeat chains and the timeline read.
_ROWS = "marts.verbatims"
# Page keys of the headline figures (report.sentences and the pages use them).
_KEYS = {"contact_volume": "volume", "mean_nev": "nev", "fcr_proxy": "fcr", "repeat_rate_any": "repeat_rate",
         "repeat_rate_same": "same_issue_rate", "mean_sentiment": "sentiment"}


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
        # from the small daily mart, not the contacts ('(none)' stands for unknown there)
        df = query(
            f"SELECT DISTINCT {column} AS v FROM {_DAILY} WHERE {column} IS NOT NULL "
            f"AND {column} <> '(none)' ORDER BY v"
        )
        out[name] = [str(v) for v in df["v"]]
    out["reasons"] = list(dict.fromkeys(out.pop("parents") + out["reasons"]))
    span = query(f"SELECT min(day) AS a, max(day) AS b FROM {_DAILY}")
    first, last = span.iloc[0]["a"], span.iloc[0]["b"]
    return out, _as_date(first), _as_date(last)


def _as_date(value: object) -> date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _daily_source(filters: Filters) -> tuple[str, list[object]]:
    """Rows shaped like marts.daily_volume under the filters: the mart itself, or (text search) the
    matching contacts aggregated with the mart's own measures."""
    if filters.only_mart_dimensions:
        where, params = filters.where(on_day=True)
        return f"(SELECT * FROM {_DAILY} WHERE {where})", params
    where, params = filters.where()
    return (
        "(SELECT day, channel, reason, parent_reason, segment, language, "
        f"{select_list(CONTACT_MEASURES)} FROM marts.interactions WHERE {where} GROUP BY ALL)"
    ), params


def _kpis(filters: Filters, by_week: bool) -> pd.DataFrame:
    source, params = _daily_source(filters)
    week = "CAST(date_trunc('week', day) AS DATE) AS week, " if by_week else ""
    group = "GROUP BY 1 ORDER BY 1" if by_week else ""
    df = query(f"SELECT {week}{select_list(KPIS)} FROM {source} {group}", params)
    return df.rename(columns=_KEYS)


def kpis(filters: Filters) -> pd.Series:
    """Volume, NEV (text proxy), sentiment, repeat rates and FCR proxy, with their denominators.

    The definitions of `marts.executive_summary` (`analytics.definitions.KPIS`) over the filtered
    rows of `marts.daily_volume`: recontacted / judged; FCR proxy = 1 - same-issue rate.
    """
    row = _kpis(filters, by_week=False).iloc[0]
    row["volume"] = 0 if pd.isna(row["volume"]) else int(row["volume"])
    return row


def weekly_kpis(filters: Filters) -> pd.DataFrame:
    """The same figures per ISO week, for the trend lines."""
    return _kpis(filters, by_week=True)


def executive_summary() -> pd.DataFrame:
    """`marts.executive_summary` as built (the last period against the one before it)."""
    if not has_mart("executive_summary"):
        return pd.DataFrame()
    return query("SELECT * FROM marts.executive_summary ORDER BY metric")


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
    source, params = _daily_source(filters)
    return query(
        f"SELECT day, channel, {KPIS['contact_volume']} AS n, {KPIS['mean_sentiment']} AS sentiment, "
        f"{KPIS['mean_nev']} AS nev FROM {source} GROUP BY ALL ORDER BY day, channel",
        params,
    )


def outbound_daily(filters: Filters) -> pd.DataFrame:
    """The company's own messages per day and kind (reply | outreach): a measure apart from contacts."""
    if not has_mart("outbound_volume"):
        return pd.DataFrame(columns=["day", "kind", "messages"])
    where, params = dataclasses.replace(filters, segments=(), languages=(), reasons=(), search="").where(
        on_day=True
    )
    return query(
        f"SELECT day, kind, sum(messages) AS messages FROM marts.outbound_volume WHERE {where} "
        "GROUP BY ALL ORDER BY day, kind",
        params,
    )


def emotion_mix(filters: Filters) -> pd.DataFrame:
    """How often each emotion is among a contact's top emotions (`marts.emotion_daily`)."""
    if filters.only_mart_dimensions and has_mart("emotion_daily"):
        where, params = filters.where(on_day=True)
        sql = f"SELECT emotion, sum(contacts) AS n FROM marts.emotion_daily WHERE {where} GROUP BY emotion"
    else:
        where, params = filters.where()
        sql = (
            "SELECT emotion, count(*) AS n FROM (SELECT unnest(top_emotions) AS emotion FROM marts.interactions "
            f"WHERE {where}) WHERE emotion IS NOT NULL GROUP BY emotion"
        )
    return query(f"SELECT * FROM ({sql}) ORDER BY n DESC, emotion LIMIT 20", params)


def trajectory(filters: Filters) -> pd.DataFrame:
    """Customer sentiment at the start versus the end of calls and chats, per channel."""
    source, params = _daily_source(filters)
    return query(
        "SELECT channel, sum(start_sum) / sum(trajectory_n) AS start, sum(end_sum) / sum(trajectory_n) AS end, "
        f"sum(trajectory_n) AS n, sum(improved) / sum(trajectory_n) AS improved FROM {source} "
        "GROUP BY channel HAVING sum(trajectory_n) > 0 ORDER BY channel",
        params,
    )


_ORDER = {"volume": "n", "cost to serve": "handle_hours"}


def pareto(filters: Filters, by: str = "volume") -> pd.DataFrame:
    """Reasons by volume or cost to serve (handle hours), with the cumulative share of that measure."""
    measure = _ORDER[by]
    source, params = _daily_source(filters)
    return query(
        f"WITH r AS (SELECT reason, any_value(parent_reason) AS parent, {KPIS['contact_volume']} AS n, "
        f"sum(handle_time_s) / 3600 AS handle_hours FROM {source} GROUP BY reason), "
        f"final AS (SELECT *, {measure} / sum({measure}) OVER () AS share, "
        f"sum({measure}) OVER (ORDER BY {measure} DESC, reason ROWS UNBOUNDED PRECEDING) "
        f"/ sum({measure}) OVER () AS cum_share FROM r) "
        f"SELECT * FROM final ORDER BY {measure} DESC, reason",
        params,
    )


def hierarchy(filters: Filters) -> pd.DataFrame:
    """Volume and NEV (text proxy) per parent reason -> reason."""
    source, params = _daily_source(filters)
    return query(
        f"SELECT parent_reason AS parent, reason, {KPIS['contact_volume']} AS n, {KPIS['mean_nev']} AS nev "
        f"FROM {source} GROUP BY ALL ORDER BY n DESC",
        params,
    )


def reason_trend(filters: Filters, top: int = 8) -> pd.DataFrame:
    """Weekly volume of the top reasons."""
    source, params = _daily_source(filters)
    return query(
        f"WITH base AS (SELECT CAST(date_trunc('week', day) AS DATE) AS week, reason, contacts FROM {source}), "
        "top AS (SELECT reason FROM base GROUP BY 1 ORDER BY sum(contacts) DESC, reason LIMIT ?) "
        "SELECT week, reason, sum(contacts) AS n FROM base WHERE reason IN (SELECT reason FROM top) "
        "GROUP BY ALL ORDER BY week, reason",
        [*params, top],
    )


def reasons_by_language(filters: Filters, top: int = 12) -> pd.DataFrame:
    """The top reasons' share of each language's contacts (and the language's negative share per
    reason), so a reason that only Polish or Chinese customers raise is seen next to the English ones."""
    source, params = _daily_source(filters)
    return query(
        f"WITH base AS (SELECT coalesce(language, 'unknown') AS language, reason, {KPIS['contact_volume']} AS n, "
        f"{KPIS['negative_share']} AS negative_share FROM {source} GROUP BY ALL), "
        "shares AS (SELECT *, n / sum(n) OVER (PARTITION BY language) AS share FROM base), "
        "top AS (SELECT reason FROM base GROUP BY 1 ORDER BY sum(n) DESC, reason LIMIT ?) "
        "SELECT language, reason, n, share, negative_share FROM shares "
        "WHERE reason IN (SELECT reason FROM top) ORDER BY language, n DESC, reason",
        [*params, top],
    )


def reason_filter_sql(filters: Filters, column: str = "reason") -> tuple[str, list[object]]:
    """A predicate on a mart's reason column (a parent reason matches its reasons)."""
    if not filters.reasons:
        return "TRUE", []
    marks = ", ".join("?" * len(filters.reasons))
    return (
        f"({column} IN ({marks}) OR {column} IN (SELECT reason FROM {_DAILY} "
        f"WHERE parent_reason IN ({marks})))"
    ), [*filters.reasons, *filters.reasons]


def matching_reasons(filters: Filters) -> set[str] | None:
    """Reasons the reason filter keeps (a parent reason keeps its reasons); None = all."""
    if not filters.reasons:
        return None
    marks = ", ".join("?" * len(filters.reasons))
    df = query(
        f"SELECT DISTINCT reason FROM {_DAILY} WHERE reason IN ({marks}) "
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


def _covers_everything(filters: Filters) -> bool:
    """True when the filters narrow nothing: no dimension, no search, dates spanning all the data."""
    if filters.channels or filters.segments or filters.reasons or filters.languages or filters.search.strip():
        return False
    span = query(f"SELECT min(day) AS a, max(day) AS b FROM {_DAILY}")
    first, last = _as_date(span.iloc[0]["a"]), _as_date(span.iloc[0]["b"])
    return (filters.start is None or (first is not None and filters.start <= first)) and (
        filters.end is None or (last is not None and filters.end >= last)
    )


def top_chains(filters: Filters, limit: int = 20) -> pd.DataFrame:
    """The customers with the most repeat contacts in the filtered data: `marts.top_chains` when the
    filters narrow nothing (the same rows, precomputed), else grouped from the contacts."""
    if limit <= TOP_CHAINS_KEPT and has_mart("top_chains") and _covers_everything(filters):
        return query(
            "SELECT customer_id, contacts, repeats FROM marts.top_chains ORDER BY rank LIMIT ?", [limit]
        )
    where, params = filters.where()
    return query(
        "SELECT customer_id, count(*) AS contacts, count(*) FILTER (WHERE is_repeat) AS repeats "
        f"FROM {_ROWS} WHERE {where} AND customer_id IS NOT NULL GROUP BY 1 "
        "ORDER BY repeats DESC, contacts DESC, customer_id LIMIT ?",
        [*params, limit],
    )


def customer_timeline(customer_id: str) -> pd.DataFrame:
    """Every contact of one customer, in order, for the timeline."""
    return query(
        "SELECT interaction_id, occurred_at, channel, reason, sentiment_label, is_repeat, chain_id, "
        f"hours_since_prev FROM {_ROWS} WHERE customer_id = ? ORDER BY occurred_at",
        [customer_id],
    )


def _segment_sql(filters: Filters) -> tuple[str, list[object]]:
    if not filters.segments:
        return "TRUE", []
    return f"segment IN ({', '.join('?' * len(filters.segments))})", list(filters.segments)


def customer_value(filters: Filters, limit: int = 3000) -> pd.DataFrame:
    """Customers with CLV and mean NEV (text proxy), the largest CLVs first, narrowed by segment."""
    if not has_mart("customer_value"):
        return pd.DataFrame()
    where, params = _segment_sql(filters)
    return query(
        f"SELECT * FROM marts.customer_value WHERE clv IS NOT NULL AND mean_nev IS NOT NULL AND {where} "
        "ORDER BY clv DESC, customer_id LIMIT ?",
        [*params, limit],
    )


def clv_population(filters: Filters) -> dict[str, float | int | None]:
    """How many customers `customer_value` chooses from, and their median CLV (for the quadrant line)."""
    if not has_mart("customer_value"):
        return {"customers": 0, "median_clv": None}
    where, params = _segment_sql(filters)
    row = query(
        "SELECT count(*) AS customers, median(clv) AS median_clv FROM marts.customer_value "
        f"WHERE clv IS NOT NULL AND mean_nev IS NOT NULL AND {where}",
        params,
    ).iloc[0]
    return {"customers": int(row["customers"]),
            "median_clv": None if pd.isna(row["median_clv"]) else float(row["median_clv"])}


CUSTOMER_LISTS = ("callback_list", "proactive_candidates")


def customer_list(table: str, filters: Filters, limit: int | None = 200, offset: int = 0) -> pd.DataFrame:
    """Rows `offset`.. (`limit` of them; None = all) by rank of a ranked customer mart (`callback_list`,
    `proactive_candidates`) in the chosen segments: the segment filter runs before the LIMIT."""
    if table not in CUSTOMER_LISTS or not has_mart(table):
        return pd.DataFrame()
    where, params = _segment_sql(filters)
    page = "" if limit is None else " LIMIT ? OFFSET ?"
    return query(
        f"SELECT * FROM marts.{table} WHERE {where} ORDER BY rank{page}",
        params if limit is None else [*params, limit, offset],
    )


def count_customer_list(table: str, filters: Filters) -> int:
    """How many customers a ranked customer mart lists in the chosen segments (for the pager)."""
    if table not in CUSTOMER_LISTS or not has_mart(table):
        return 0
    where, params = _segment_sql(filters)
    return int(query(f"SELECT count(*) AS n FROM marts.{table} WHERE {where}", params).iloc[0, 0])


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
    cols = ", ".join(c for c in VERBATIM_COLUMNS if c in columns(_ROWS.removeprefix("marts.")))
    return query(
        f"SELECT {cols} FROM {_ROWS} WHERE {where} AND {dwhere} "
        "ORDER BY occurred_at DESC, interaction_id LIMIT ? OFFSET ?",
        [*params, *dparams, limit, offset],
    )


def count_verbatims(filters: Filters, drill: tuple[tuple[str, object], ...] = ()) -> int:
    """How many interactions match the filters and drill-down (for the pager)."""
    where, params = filters.where()
    dwhere, dparams = _drill_sql(drill)
    df = query(
        f"SELECT count(*) AS n FROM {_ROWS} WHERE {where} AND {dwhere}", [*params, *dparams]
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
