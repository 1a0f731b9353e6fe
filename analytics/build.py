"""`build` stage: rebuild every mart from staging + enriched in one transaction.

Order: CLV first (marts.interactions carries it), then the SQL marts in dependency order, then the
Python marts that need a statistics library. Each is `CREATE OR REPLACE` inside one transaction,
so readers see the previous build or the new one, never half of one.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from analytics import clv, definitions, impact, loyalty, operations, qa, staffing, terms
from analytics.operations import OperationsSettings
from analytics.settings import AnalyticsSettings, load
from pipelines.topics.labels import MIXED_LABEL
from pipelines.warehouse import transaction

log = logging.getLogger(__name__)
SQL_DIR = Path(__file__).parent / "sql"

# Dependency order: each file reads only staging/enriched and the marts above it.
SQL_MARTS: tuple[str, ...] = (
    "thread_messages", "interactions", "verbatims", "top_chains", "label_candidates", "outbound_volume", "turns",
    "customer_value", "repeat_rates",
    "channel_switch", "daily_volume", "emotion_daily", "topic_trends", "emerging_issues", "revenue_at_risk", "reason_pareto",
    "value_irritant", "callback_list", "proactive_candidates", "executive_summary",
    # operations (issue 16): read marts.interactions / thread_messages and marts.business_calendar
    "conversation_metrics", "response_times", "sla_attainment", "volume_profile", "self_service_candidates",
)
# Each step is (con, [analytics], [operations]) -> summary.
PyMart = Callable[[duckdb.DuckDBPyConnection, AnalyticsSettings, OperationsSettings], str]
PY_MARTS: tuple[tuple[str, PyMart], ...] = (
    ("reason_impact", lambda con, settings, ops: impact.build(con, settings)),
    ("distinctive_terms", lambda con, settings, ops: terms.build(con, settings)),
    ("nev_vs_loyalty", lambda con, settings, ops: loyalty.build(con, settings)),
    ("staffing_forecast", staffing.build),  # statsmodels ETS + Erlang C (issue 16)
    ("qa_results", qa.build),  # QA scorecards (issue 16): rules matched on agent turns
    ("agent_scorecard", lambda con, settings, ops: build_sql_mart(con, "agent_scorecard",
                                                                  sql_parameters(con, settings, ops))),
)
_PARAM = re.compile(r"\$([a-z_]+)")
# Shared SQL fragments a mart's file names with a /*placeholder*/: one definition per figure.
_FRAGMENTS = {
    "/*measures*/": definitions.select_list(definitions.CONTACT_MEASURES),
    "/*kpis*/": definitions.select_list(definitions.KPIS),
}


def current_topic_version(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings) -> str:
    """The topic model version the marts use: the configured one, else the latest assigned one."""
    if settings.topic_model_version:
        return settings.topic_model_version
    row = con.execute("SELECT max(topic_model_version) FROM enriched.topic_assignments").fetchall()[0]
    return row[0] if row and row[0] else ""


def sql_parameters(
    con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings, ops: OperationsSettings | None = None
) -> dict[str, object]:
    """Every value a mart's SQL may bind: typed settings plus the resolved topic version."""
    values: dict[str, object] = {name: value for name, value in vars(settings).items()}
    values["windows_hours"] = list(settings.windows_hours)
    values["window_hours"] = settings.default_window_hours
    values["topic_version"] = current_topic_version(con, settings)
    values["top_chains_kept"] = definitions.TOP_CHAINS_KEPT
    values["mixed_reason"] = MIXED_LABEL  # the parent of topics whose texts share no phrase: no known issue
    # [operations]: service levels, conversation metrics
    values.update((ops or operations.load()).sql_parameters())
    return values


def build_sql_mart(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> None:
    """`CREATE OR REPLACE TABLE marts.<name>` from `analytics/sql/<name>.sql` (name from SQL_MARTS)."""
    text, used = mart_sql(name, params)
    con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS\n{text}", used)


def mart_sql(name: str, params: dict[str, object]) -> tuple[str, dict[str, object]]:
    """A SQL mart's query (shared fragments filled in) and the parameters it binds."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    for mark, fragment in _FRAGMENTS.items():
        text = text.replace(mark, fragment)
    return text, {key: params[key] for key in _PARAM.findall(text)}


def _write_info(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings, ops: OperationsSettings,
                params: dict[str, object], timings: list[tuple[str, float, int]], total: float) -> None:
    stats = con.execute(
        "SELECT min(occurred_at), max(occurred_at), count(*), (SELECT count(*) FROM staging.interactions) "
        "FROM marts.interactions"
    ).fetchall()[0]
    versions = con.execute(
        "SELECT string_agg(DISTINCT model_version, ',' ORDER BY model_version) FROM marts.interactions"
    ).fetchall()[0][0]
    method = con.execute(
        "SELECT any_value(method) FROM marts.revenue_at_risk WHERE scope = 'total'").fetchall()[0][0]
    rows = settings.as_rows() + ops.as_rows() + [
        ("built_at", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("data_start", str(stats[0])), ("data_end", str(stats[1])), ("n_contacts", str(stats[2])),
        ("n_interactions", str(stats[3])),  # every message, the company's side included
        ("topic_model_version", str(params["topic_version"])),
        ("score_model_versions", str(versions or "")),
        ("churn_method", "heuristic" if method and method.startswith("heuristic") else "measured"),
        ("build_seconds", f"{total:.2f}"),
    ]
    # the resolved topic version replaces the setting's (empty = latest): one row per key
    rows = list(dict(rows).items())
    con.register("_info", pd.DataFrame(rows, columns=["key", "value"]))
    con.execute("CREATE OR REPLACE TABLE marts.build_info AS SELECT * FROM _info")
    con.unregister("_info")
    con.register("_timings", pd.DataFrame(timings, columns=["mart", "seconds", "rows"]))
    con.execute("CREATE OR REPLACE TABLE marts.build_timings AS SELECT * FROM _timings")
    con.unregister("_timings")


def run(
    con: duckdb.DuckDBPyConnection,
    settings: AnalyticsSettings | None = None,
    ops: OperationsSettings | None = None,
) -> str:
    """Rebuild every mart; returns a one-line summary (the `build` stage of `pipelines.stages`)."""
    settings = settings or load()
    ops = ops or operations.load()
    start = time.perf_counter()
    timings: list[tuple[str, float, int]] = []
    steps: list[tuple[str, Callable[[], object]]] = [
        ("customer_clv", lambda: clv.build(con, settings)),
        ("metric_definitions", lambda: definitions.build(con, settings)),  # executive_summary reads it
        ("business_calendar", lambda: operations.build_calendar(con, ops)),  # response_times reads it
    ]
    with transaction(con):
        params = sql_parameters(con, settings, ops)
        steps += [(name, lambda n=name: build_sql_mart(con, n, params)) for name in SQL_MARTS]
        steps += [(name, lambda f=fn: f(con, settings, ops)) for name, fn in PY_MARTS]
        for name, step in tqdm(steps, desc="marts", unit="mart", leave=False):
            t0 = time.perf_counter()
            step()
            rows = con.execute(f"SELECT count(*) FROM marts.{name}").fetchall()[0][0]
            timings.append((name, time.perf_counter() - t0, rows))
            log.debug("marts.%s: %d rows in %.2fs", name, rows, timings[-1][1])
        total = time.perf_counter() - start
        _write_info(con, settings, ops, params, timings, total)
    n = next(rows for name, _, rows in timings if name == "interactions")
    return f"{len(timings)} marts rebuilt from {n} interactions in {total:.1f}s"
