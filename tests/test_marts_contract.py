"""Data contracts of every mart (jaffle_shop's schema.yml, as tests): unique key, not-null columns,
accepted values, on a warehouse built by the real `analytics.build` (tests/dashboard_fixture.py).
A new mart without a contract fails `test_every_mart_has_a_contract`."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402

CHANNELS = ("call", "chat", "email", "social")
# mart -> (unique key, not-null columns, {column: accepted values})
CONTRACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict[str, tuple[object, ...]]]] = {
    "build_info": (("key",), ("key",), {}),
    "build_timings": (("mart",), ("mart", "seconds", "rows"), {}),
    "metric_definitions": (("metric",), ("metric", "label", "unit", "definition", "formula", "source"), {}),
    "customer_clv": (("customer_id",), ("customer_id", "clv", "clv_method", "clv_basis"),
                     {"clv_method": ("source", "bgnbd_gg", "margin_retention"),
                      "clv_basis": ("source", "revenue", "margin")}),
    "thread_messages": (("interaction_id",), ("interaction_id", "channel", "direction", "occurred_at",
                                              "is_agent_turn", "is_contact", "is_repost", "is_outreach"),
                        {"channel": CHANNELS, "direction": ("inbound", "outbound")}),
    "interactions": (("interaction_id",), ("interaction_id", "channel", "direction", "occurred_at", "reason",
                                           "parent_reason", "is_negative", "handle_time_s", "day", "week",
                                           "is_transfer", "in_sequence", "is_repeat", "is_same_issue_repeat",
                                           "is_provisional", "repeats_triggered"),
                     {"channel": CHANNELS, "direction": ("inbound",)}),
    "verbatims": (("interaction_id",), ("interaction_id", "occurred_at", "day", "week", "channel", "reason",
                                        "parent_reason", "is_negative", "is_repeat"), {"channel": CHANNELS}),
    "label_candidates": (("interaction_id",), ("interaction_id", "reason", "sentiment_score", "sureness",
                                               "candidate_rank", "reason_contacts"), {}),
    "top_chains": (("customer_id",), ("rank", "customer_id", "contacts", "repeats"), {}),
    "outbound_volume": (("day", "channel", "kind"), ("day", "channel", "kind", "messages"),
                        {"kind": ("reply", "outreach"), "channel": CHANNELS}),
    "turns": (("interaction_id", "turn_no"), ("interaction_id", "turn_no", "speaker"),
              {"speaker": ("customer", "agent", "system")}),
    "customer_value": (("customer_id",), ("customer_id", "clv_method", "contacts", "negative_contacts",
                                          "repeat_contacts", "unanswered_contacts"),
                       {"clv_method": ("source", "bgnbd_gg", "margin_retention", "unknown")}),
    "repeat_rates": (("window_hours", "scope", "denominator_kind", "dimension", "dim_value"),
                     ("window_hours", "scope", "denominator_kind", "dimension", "dim_value", "numerator",
                      "denominator", "denominator_definition", "meets_min_volume"),
                     {"scope": ("same_issue", "any_issue"),
                      "denominator_kind": ("judged_contacts", "customers", "all_contacts", "customers_multi"),
                      "dimension": ("overall", "reason", "channel", "agent", "segment", "week"),
                      "window_hours": (24, 48, 168, 720)}),
    "channel_switch": (("window_hours", "reason", "from_channel", "to_channel"),
                       ("window_hours", "reason", "from_channel", "to_channel", "switches", "from_contacts",
                        "share"), {"from_channel": CHANNELS, "to_channel": CHANNELS}),
    "daily_volume": (("day", "channel", "reason", "segment", "language"),
                     ("day", "channel", "reason", "parent_reason", "segment", "language", "contacts", "judged",
                      "recontacted", "same_recontacted", "repeats", "handle_time_s"), {"channel": CHANNELS}),
    "emotion_daily": (("day", "channel", "reason", "segment", "language", "emotion"),
                      ("day", "channel", "reason", "segment", "language", "emotion", "contacts"),
                      {"channel": CHANNELS}),
    "topic_trends": (("reason", "week"), ("reason", "week", "volume", "is_flagged"), {}),
    "emerging_issues": (("reason", "metric", "start_week"), ("reason", "metric", "start_week", "z_max"),
                        {"metric": ("volume", "negative_share")}),
    "revenue_at_risk": (("scope", "key"), ("scope", "key", "exposed_customers", "method", "rank"),
                        {"scope": ("total", "reason", "parent_reason", "segment")}),
    "reason_pareto": (("reason",), ("reason", "volume", "volume_share", "cum_volume_share", "rank_volume",
                                    "in_top_80_volume"), {}),
    "value_irritant": (("reason",), ("reason", "volume", "irritation", "company_cost", "quadrant", "action"),
                       {"action": ("Eliminate", "Simplify", "Automate", "Leverage", "Review: no reason found"),
                        "quadrant": ("irritant_both", "irritant_customer", "irritant_company", "valuable_both",
                                     "unknown_reason")}),
    "callback_list": (("customer_id",), ("rank", "customer_id", "severity", "callback_reason"),
                      {"callback_reason": ("unanswered", "repeated")}),
    "proactive_candidates": (("customer_id", "reason"), ("customer_id", "reason", "contacts", "rank",
                                                         "suggested_channel"), {"suggested_channel": CHANNELS}),
    "executive_summary": (("metric",), ("metric", "label", "unit", "period_start", "period_end"),
                          {"metric": ("contact_volume", "repeat_rate_any", "repeat_rate_same", "fcr_proxy",
                                      "mean_nev", "mean_sentiment", "negative_share", "revenue_at_risk")}),
    "reason_impact": (("reason", "outcome"), ("reason", "outcome", "volume", "significant", "note"),
                      {"outcome": ("nev", "sentiment", "repeat_rate", "churn")}),
    "distinctive_terms": (("reason", "contrast", "term"), ("reason", "contrast", "term", "z", "rank"), {}),
    "nev_vs_loyalty": (("predictor", "outcome", "statistic"), ("predictor", "outcome", "statistic", "n"), {}),
    # operations (issue 16)
    "business_calendar": (("open_at",), ("local_day", "open_at", "close_at", "open_s", "cum_before_s"), {}),
    "conversation_metrics": (("interaction_id",), ("interaction_id", "source_id", "channel", "duration_s",
                                                   "turns_agent", "turns_customer"), {"channel": ("call", "chat")}),
    "response_times": (("interaction_id",), ("interaction_id", "channel", "occurred_at", "sla_target_s",
                                             "sla_in_business_time"), {"channel": CHANNELS}),
    "sla_attainment": (("dimension", "dim_value", "channel"), ("dimension", "dim_value", "channel", "contacts",
                                                               "judged", "met", "unanswered"),
                       {"dimension": ("channel", "queue", "reason", "week"), "channel": CHANNELS}),
    "qa_results": (("interaction_id", "item_id"), ("interaction_id", "channel", "item_id", "label", "kind",
                                                   "weight", "result"),
                   {"result": ("pass", "fail", "n/a"), "kind": ("required", "forbidden", "marker")}),
    "staffing_forecast": (("channel", "interval_start"), ("channel", "interval_start", "dow", "hour",
                                                         "forecast_contacts", "method", "agents_needed"),
                          {"channel": CHANNELS, "method": ("ets", "seasonal_naive")}),
    "volume_profile": (("channel", "dow", "hour"), ("channel", "dow", "hour", "contacts", "contacts_per_week"),
                       {"channel": CHANNELS}),
    "self_service_candidates": (("reason",), ("reason", "volume", "hours_saved_per_week", "is_candidate", "rank"),
                                {}),
    "agent_scorecard": (("agent_id", "week"), ("agent_id", "week", "contacts", "qa_scored", "judged"), {}),
}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    path = dashboard_fixture.build(tmp_path_factory.mktemp("contract") / "voc.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_every_mart_has_a_contract(con) -> None:
    marts = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()}
    assert marts == set(CONTRACTS), f"marts without a contract: {marts - set(CONTRACTS)}; stale: {set(CONTRACTS) - marts}"


@pytest.mark.parametrize("mart", sorted(CONTRACTS))
def test_mart_contract(con, mart: str) -> None:
    key, not_null, accepted = CONTRACTS[mart]
    cols = ", ".join(key)
    dupes = con.execute(f"SELECT {cols}, count(*) FROM marts.{mart} GROUP BY ALL HAVING count(*) > 1 LIMIT 3").fetchall()
    assert not dupes, f"marts.{mart}: key ({cols}) not unique: {dupes}"
    for column in not_null:
        n = con.execute(f"SELECT count(*) FROM marts.{mart} WHERE {column} IS NULL").fetchall()[0][0]
        assert n == 0, f"marts.{mart}.{column}: {n} NULLs"
    for column, values in accepted.items():
        seen = {r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM marts.{mart}").fetchall()}
        assert seen <= set(values), f"marts.{mart}.{column}: unexpected {seen - set(values)}"


def test_the_fixture_fills_the_marts_the_pages_read(con) -> None:
    """An empty mart would pass every contract: the fixture must give the pages rows to show."""
    empty = [m for m in CONTRACTS if m != "emerging_issues"
             and con.execute(f"SELECT count(*) FROM marts.{m}").fetchall()[0][0] == 0]
    assert not empty, f"fixture leaves these marts empty: {empty}"
