"""Reads of the operations marts (docs/marts.md "Operations"): service levels, staffing, QA.

Each returns a small DataFrame; identifiers are constants here, values are bound parameters.
"""

from __future__ import annotations

import pandas as pd

from dashboard.data import has_mart, query
from dashboard.filters import Filters

SLA_DIMENSIONS = ("channel", "queue", "reason", "week")


def _channels(filters: Filters, column: str = "channel") -> tuple[str, list[object]]:
    if not filters.channels:
        return "", []
    return f" AND {column} IN ({', '.join('?' * len(filters.channels))})", list(filters.channels)


def sla_attainment(dimension: str, filters: Filters) -> pd.DataFrame:
    if dimension not in SLA_DIMENSIONS or not has_mart("sla_attainment"):
        return pd.DataFrame()
    where, params = _channels(filters)
    return query(f"""SELECT dim_value, channel, contacts, judged, met, attainment, unanswered,
                            unknown_or_pending, sla_target_s, median_first_response_s,
                            p90_first_response_s, median_first_response_business_s, meets_min_volume
                     FROM marts.sla_attainment WHERE dimension = ?{where}
                     ORDER BY dim_value, channel""", [dimension, *params])


def staffing(filters: Filters) -> pd.DataFrame:
    if not has_mart("staffing_forecast"):
        return pd.DataFrame()
    where, params = _channels(filters)
    return query(f"""SELECT channel, interval_start, dow, hour, forecast_contacts, method, aht_s, agents_needed
                     FROM marts.staffing_forecast WHERE true{where} ORDER BY interval_start, channel""", params)


def volume_profile(filters: Filters) -> pd.DataFrame:
    if not has_mart("volume_profile"):
        return pd.DataFrame()
    where, params = _channels(filters)
    return query(f"""SELECT dow, hour, sum(contacts_per_week) AS contacts_per_week
                     FROM marts.volume_profile WHERE true{where} GROUP BY dow, hour ORDER BY dow, hour""", params)


def self_service() -> pd.DataFrame:
    if not has_mart("self_service_candidates"):
        return pd.DataFrame()
    return query("""SELECT rank, reason, contacts_per_week, irritation, mean_handle_s, hours_saved_per_week,
                           is_candidate FROM marts.self_service_candidates ORDER BY rank LIMIT 50""")


def conversation_summary(filters: Filters) -> pd.DataFrame:
    if not has_mart("conversation_metrics"):
        return pd.DataFrame()
    where, params = _channels(filters)
    return query(f"""SELECT channel, count(*) AS contacts, avg(talk_ratio_agent) AS talk_ratio_agent,
                            avg(non_talk_time_s) AS non_talk_time_s, avg(longest_silence_s) AS longest_silence_s,
                            avg(interruptions_agent) AS interruptions_agent,
                            avg(interruptions_customer) AS interruptions_customer,
                            avg(agent_greeting_s) AS agent_greeting_s,
                            avg(agent_response_avg_s) AS agent_response_avg_s
                     FROM marts.conversation_metrics WHERE true{where} GROUP BY channel ORDER BY channel""",
                 params)


def scorecards() -> pd.DataFrame:
    """One row per agent over the whole period, with their team."""
    if not has_mart("agent_scorecard"):
        return pd.DataFrame()
    return query("""SELECT agent_id, any_value(team) AS team, sum(contacts) AS contacts,
                           sum(qa_scored) AS qa_scored,
                           sum(qa_score * qa_scored) / nullif(sum(qa_scored), 0) AS qa_score,
                           sum(qa_fails) AS qa_fails,
                           avg(agent_sentiment) AS agent_sentiment, avg(empathy_share) AS empathy_share,
                           avg(sentiment_turnaround) AS sentiment_turnaround,
                           sum(fcr_proxy * judged) / nullif(sum(judged), 0) AS fcr_proxy,
                           sum(repeat_rate * judged) / nullif(sum(judged), 0) AS repeat_rate
                    FROM marts.agent_scorecard GROUP BY agent_id ORDER BY qa_score NULLS LAST, agent_id""")


def scorecard_weeks(agent_id: str) -> pd.DataFrame:
    return query("""SELECT week, contacts, qa_score, qa_fails, agent_sentiment, fcr_proxy, repeat_rate
                    FROM marts.agent_scorecard WHERE agent_id = ? ORDER BY week""", [agent_id])


def failed_items(filters: Filters) -> pd.DataFrame:
    if not has_mart("qa_results"):
        return pd.DataFrame()
    where, params = _channels(filters)
    return query(f"""SELECT label, kind, count(*) FILTER (WHERE result = 'fail') AS failed,
                            count(*) FILTER (WHERE result IN ('pass', 'fail')) AS applicable,
                            count(*) FILTER (WHERE result = 'fail')
                                / nullif(count(*) FILTER (WHERE result IN ('pass', 'fail')), 0) AS fail_rate
                     FROM marts.qa_results WHERE kind <> 'marker'{where}
                     GROUP BY label, kind ORDER BY fail_rate DESC NULLS LAST, label""", params)


def coaching(filters: Filters, limit: int = 50) -> pd.DataFrame:
    """Contacts to coach from: lowest QA scores first, then the worst sentiment turnarounds."""
    if not has_mart("qa_results"):
        return pd.DataFrame()
    where, params = _channels(filters, "q.channel")
    return query(f"""SELECT q.interaction_id, any_value(q.agent_id) AS agent_id, any_value(q.channel) AS channel,
                            any_value(q.reason) AS reason, any_value(q.occurred_at) AS occurred_at,
                            any_value(q.score) AS qa_score,
                            any_value(i.sentiment_end - i.sentiment_start) AS sentiment_turnaround,
                            string_agg(q.label, '; ' ORDER BY q.label) FILTER (WHERE q.result = 'fail') AS failed
                     FROM marts.qa_results AS q LEFT JOIN marts.interactions AS i USING (interaction_id)
                     WHERE true{where}
                     GROUP BY q.interaction_id
                     ORDER BY qa_score NULLS LAST, sentiment_turnaround NULLS LAST, q.interaction_id
                     LIMIT ?""", [*params, limit])


def evidence(interaction_id: str) -> pd.DataFrame:
    return query("""SELECT label, kind, result, evidence_turn_no, evidence_words
                    FROM marts.qa_results WHERE interaction_id = ? AND kind <> 'marker'
                    ORDER BY result = 'fail' DESC, label""", [interaction_id])


def transcript(interaction_id: str) -> pd.DataFrame:
    return query("""SELECT turn_no, speaker, begin_s, text FROM marts.turns WHERE interaction_id = ?
                    ORDER BY turn_no""", [interaction_id])
