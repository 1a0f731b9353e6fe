"""A small, seeded warehouse shaped like the documented marts, for the dashboard's tests.

It follows `docs/architecture.md` (marts.interactions, marts.turns, marts.metric_definitions,
marts.build_info) and the mart shapes the dashboard reads. Built with set-based SQL over a
DataFrame (bulk registration, never row-by-row inserts). `build(path)` writes the working file and
its serving copy, the way `pipelines.warehouse.publish` does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.warehouse import serving_path

CHANNELS = ("call", "chat", "email", "social")
SEGMENTS = ("consumer", "small business", "enterprise")
REASONS = {  # parent reason -> sub-reasons
    "Billing": ("Double charge", "Refund request"),
    "Delivery": ("Late delivery", "Lost parcel"),
    "Account": ("Login failure", "Password reset"),
}
EMOTIONS = ("anger", "annoyance", "joy", "gratitude", "neutral", "confusion", "disappointment")
VERBATIMS = (
    "I was charged twice for the same order, please fix it",
    "Where is my parcel? It is a week late",
    "I cannot log in to the app since the update",
    "Thanks, the refund arrived quickly",
    "<b>bold</b> **not markdown** =1+1 as typed by a customer",
)


def interactions_frame(n: int = 400, days: int = 60, seed: int = 7) -> pd.DataFrame:
    """Seeded interactions with the columns of `marts.interactions`."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01")
    subs = [(parent, sub) for parent, items in REASONS.items() for sub in items]
    pick = rng.integers(0, len(subs), n)
    customers = rng.integers(0, max(n // 4, 1), n)
    anonymous = rng.random(n) < 0.08
    occurred = start + pd.to_timedelta(rng.uniform(0, days * 24, n), unit="h")
    sentiment = np.clip(rng.normal(-0.1, 0.5, n), -1, 1)
    nev = np.where(rng.random(n) < 0.85, np.clip(sentiment * 100 + rng.normal(0, 15, n), -100, 100), np.nan)
    frame = pd.DataFrame(
        {
            "interaction_id": [f"{i:016x}" for i in range(n)],
            "source_id": [f"src-{i}" for i in range(n)],
            "channel": rng.choice(CHANNELS, n),
            "direction": "inbound",
            "customer_id": [None if a else f"C{c:04d}" for a, c in zip(anonymous, customers, strict=True)],
            "customer_ref_type": "crm",
            "customer_ref": None,
            "occurred_at": occurred,
            "text": [VERBATIMS[i % len(VERBATIMS)] for i in pick],
            "agent_text": "Sorry about that, let me check.",
            "subject": None,
            "agent_id": rng.choice(["A1", "A2", "A3"], n),
            "duration_s": rng.uniform(60, 900, n).round(0),
            "thread_id": None,
            "brand": "Acme",
            "queue": "general",
            "source_category": None,
            "segment": [SEGMENTS[c % 3] for c in customers],
            "clv": (customers % 17 + 1) * 120.0,
            "clv_method": "margin_retention",
            "churned": customers % 9 == 0,
            "language": rng.choice(["en", "en", "en", "es"], n),
            "sentiment_label": np.where(
                sentiment < -0.2, "negative", np.where(sentiment > 0.2, "positive", "neutral")
            ),
            "sentiment_score": sentiment,
            "top_emotions": [
                [EMOTIONS[int(x) % len(EMOTIONS)], EMOTIONS[(int(x) + 3) % len(EMOTIONS)]]
                for x in rng.integers(0, 100, n)
            ],
            "ekman": rng.choice(["anger", "joy", "neutral", "sadness"], n),
            "nev_text": nev,
            "sentiment_start": np.clip(sentiment - 0.2, -1, 1),
            "sentiment_end": np.clip(sentiment + 0.1, -1, 1),
            "model_version": "fixture-1",
            "topic_id": pick,
            "topic_label": [subs[i][1] for i in pick],
            "parent_topic_id": [list(REASONS).index(subs[i][0]) for i in pick],
            "parent_topic_label": [subs[i][0] for i in pick],
            "topic_confidence": rng.uniform(0.4, 1.0, n),
        }
    )
    return frame


_REPEATS_SQL = """
CREATE TABLE marts.interactions AS
WITH typed AS (
    SELECT *, coalesce(topic_label, 'unassigned') AS reason,
           coalesce(parent_topic_label, topic_label, 'unassigned') AS parent_reason,
           coalesce(sentiment_label = 'negative' OR nev_text < 0, false) AS is_negative,
           duration_s AS handle_time_s, CAST(occurred_at AS DATE) AS day,
           CAST(date_trunc('week', occurred_at) AS DATE) AS week,
           customer_id IS NOT NULL AS in_sequence,
           (epoch((SELECT max(occurred_at) FROM frame)) - epoch(occurred_at)) / 3600.0 < 168 AS is_provisional
    FROM frame
),
ordered AS (
    SELECT *,
        lag(interaction_id) OVER w AS prev_interaction_id, lag(occurred_at) OVER w AS prev_at,
        lead(interaction_id) OVER w AS next_interaction_id, lead(channel) OVER w AS next_channel,
        lead(occurred_at) OVER w AS next_at, lead(reason) OVER w AS next_reason,
        row_number() OVER w AS seq_no
    FROM typed WINDOW w AS (PARTITION BY customer_id ORDER BY occurred_at)
),
final AS (
    SELECT * EXCLUDE (prev_at, next_at, next_reason),
        false AS is_transfer,
        CASE WHEN in_sequence THEN (epoch(occurred_at) - epoch(prev_at)) / 3600.0 END AS hours_since_prev,
        CASE WHEN in_sequence THEN (epoch(next_at) - epoch(occurred_at)) / 3600.0 END AS hours_to_next,
        coalesce(in_sequence AND (epoch(occurred_at) - epoch(prev_at)) / 3600.0 <= 168, false) AS is_repeat,
        CASE WHEN in_sequence AND NOT is_provisional
             THEN coalesce((epoch(next_at) - epoch(occurred_at)) / 3600.0 <= 168, false) END AS has_recontact,
        CASE WHEN in_sequence AND NOT is_provisional
             THEN coalesce((epoch(next_at) - epoch(occurred_at)) / 3600.0 <= 168
                           AND next_reason = reason, false)
             END AS has_same_issue_recontact,
        CASE WHEN in_sequence THEN customer_id || '#' || interaction_id END AS chain_id,
        CASE WHEN in_sequence THEN interaction_id END AS trigger_interaction_id,
        reason AS trigger_reason, 1 AS chain_position
    FROM ordered
)
SELECT * FROM final
"""

_DERIVED_SQL = [
    """CREATE TABLE marts.turns AS
       SELECT interaction_id, t.turn_no,
              CASE WHEN t.turn_no % 2 = 0 THEN 'customer' ELSE 'agent' END AS speaker,
              CASE WHEN t.turn_no % 2 = 0 THEN text ELSE agent_text END AS text,
              t.turn_no * 10.0 AS begin_s, t.turn_no * 10.0 + 9 AS end_s, model_version,
              sentiment_label, sentiment_score, 'neutral' AS top_emotion
       FROM marts.interactions, range(4) t(turn_no) WHERE channel IN ('call', 'chat')""",
    """CREATE TABLE marts.daily_volume AS
       SELECT day, channel, reason, count(*) AS contacts, count(*) FILTER (WHERE is_negative) AS negative,
              sum(sentiment_score) AS sentiment_sum, count(sentiment_score) AS sentiment_n,
              sum(nev_text) AS nev_sum, count(nev_text) AS nev_n,
              count(*) FILTER (WHERE is_repeat) AS repeats, sum(handle_time_s) AS handle_time_s
       FROM marts.interactions GROUP BY ALL""",
    """CREATE TABLE marts.repeat_rates AS
       WITH judged AS (SELECT * FROM marts.interactions WHERE has_recontact IS NOT NULL),
       dims AS (
           SELECT 'overall' AS dimension, 'all' AS dim_value, * FROM judged
           UNION ALL SELECT 'reason', reason, * FROM judged
           UNION ALL SELECT 'channel', channel, * FROM judged),
       scoped AS (
           SELECT dimension, dim_value, 'any_issue' AS scope, has_recontact AS hit FROM dims
           UNION ALL SELECT dimension, dim_value, 'same_issue', has_same_issue_recontact FROM dims)
       SELECT 168 AS window_hours, scope, 'judged_contacts' AS denominator_kind, dimension, dim_value,
              count(*) FILTER (WHERE hit) AS numerator, count(*) AS denominator,
              count(*) FILTER (WHERE hit) / count(*) AS rate,
              'contacts followed by a recontact within the window / judged contacts'
                  AS denominator_definition,
              0 AS provisional_excluded,
              CASE WHEN scope = 'same_issue' THEN 1 - count(*) FILTER (WHERE hit) / count(*) END AS fcr_proxy,
              NULL::DOUBLE AS contacts_per_resolution, count(*) >= 30 AS meets_min_volume
       FROM scoped GROUP BY scope, dimension, dim_value""",
    """CREATE TABLE marts.channel_switch AS
       SELECT 168 AS window_hours, '(all)' AS reason, channel AS from_channel, next_channel AS to_channel,
              count(*) AS switches, 0 AS from_contacts, 0.0 AS share,
              channel <> 'call' AND next_channel = 'call' AS is_digital_to_call,
              channel = next_channel AS same_channel
       FROM marts.interactions WHERE has_recontact GROUP BY ALL""",
    """CREATE TABLE marts.reason_pareto AS
       WITH r AS (SELECT reason, any_value(parent_reason) AS parent_reason, count(*) AS volume,
                         sum(handle_time_s) AS cost_to_serve_s, avg(is_negative::INT) AS negative_share
                  FROM marts.interactions GROUP BY reason)
       SELECT *, volume / sum(volume) OVER () AS volume_share,
              sum(volume) OVER (ORDER BY volume DESC, reason) / sum(volume) OVER () AS cum_volume_share,
              row_number() OVER (ORDER BY volume DESC, reason) AS rank_volume,
              cost_to_serve_s * 0.01 AS clv_at_risk
       FROM r""",
    """CREATE TABLE marts.reason_impact AS
       WITH overall AS (SELECT avg(nev_text) AS nev FROM marts.interactions)
       SELECT reason, 'nev' AS outcome, count(nev_text) AS volume, avg(nev_text) AS reason_mean,
              (SELECT nev FROM overall) AS overall, (SELECT nev FROM overall) + 1 AS without,
              avg(nev_text) / 20 AS impact, avg(nev_text) / 20 - 2 AS ci_low,
              avg(nev_text) / 20 + 2 AS ci_high,
              abs(avg(nev_text) / 20) > 2 AS significant, true AS meets_min_volume, 0.1 AS driver_coef,
              1.0 / 6 AS relative_weight, 0.2 AS model_r2, 'association, not causation' AS note
       FROM marts.interactions GROUP BY reason""",
    """CREATE TABLE marts.distinctive_terms AS
       SELECT reason, 'repeat_vs_resolved' AS contrast, unnest(['charged', 'twice', 'late', 'login']) AS term,
              unnest([12, 9, 7, 5]) AS n_target, unnest([2, 3, 3, 4]) AS n_reference,
              unnest([1.9, 1.2, 0.8, 0.3]) AS log_odds, unnest([3.2, 2.1, 1.5, 1.1]) AS z,
              unnest([1, 2, 3, 4]) AS rank
       FROM (SELECT DISTINCT reason FROM marts.interactions)""",
    """CREATE TABLE marts.value_irritant AS
       SELECT reason, count(*) AS volume, avg(is_negative::INT) AS negative_share,
              avg(has_recontact::INT) AS repeat_rate, avg(nev_text) AS mean_nev,
              percent_rank() OVER (ORDER BY avg(is_negative::INT)) AS irritation,
              sum(handle_time_s) AS cost_to_serve_s, 0.0 AS cost_share,
              percent_rank() OVER (ORDER BY sum(handle_time_s)) AS company_cost,
              'irritant_both' AS quadrant, 'Eliminate' AS action, 'fewer than 10 reasons' AS taxonomy_note
       FROM marts.interactions GROUP BY reason""",
    """CREATE TABLE marts.emerging_issues AS
       SELECT 'Lost parcel' AS reason, 'volume' AS metric, DATE '2026-02-02' AS start_week,
              DATE '2026-02-09' AS last_week, DATE '2026-02-09' AS peak_week, 42.0 AS peak_value,
              11.0 AS baseline_mean, 3.0 AS baseline_sd, 10.3 AS z_max, 2 AS weeks_flagged,
              3.0 AS threshold_z""",
    """CREATE TABLE marts.topic_trends AS
       SELECT reason, any_value(parent_reason) AS parent_reason, week, count(*) AS volume,
              avg(is_negative::INT) AS negative_share, avg(sentiment_score) AS mean_sentiment,
              avg(nev_text) AS mean_nev, avg(has_same_issue_recontact::INT) AS repeat_rate,
              0.0 AS baseline_mean, 0.0 AS z_volume, false AS is_flagged
       FROM marts.interactions GROUP BY reason, week""",
    """CREATE TABLE marts.customer_value AS
       SELECT customer_id, any_value(segment) AS segment, 'basic' AS plan, 1000.0 AS revenue, 250.0 AS margin,
              bool_or(churned) AS churned, max(clv) AS clv, any_value(clv_method) AS clv_method,
              count(*) AS contacts, count(*) FILTER (WHERE is_negative) AS negative_contacts,
              count(*) FILTER (WHERE is_repeat) AS repeat_contacts, avg(sentiment_score) AS mean_sentiment,
              avg(nev_text) AS mean_nev, min(occurred_at) AS first_contact_at,
              max(occurred_at) AS last_contact_at,
              mode(reason) AS top_reason
       FROM marts.interactions WHERE customer_id IS NOT NULL GROUP BY customer_id""",
    """CREATE TABLE marts.revenue_at_risk AS
       WITH exposed AS (SELECT * FROM marts.interactions WHERE is_negative AND customer_id IS NOT NULL)
       SELECT 'total' AS scope, 'all' AS key, count(DISTINCT customer_id) AS exposed_customers,
              0.2 AS exposed_churn_rate, 0.1 AS baseline_churn_rate, 0.1 AS churn_uplift,
              sum(clv) AS clv_exposed, sum(clv) * 0.1 AS revenue_at_risk, 'measured churn flags' AS method,
              1 AS rank FROM exposed
       UNION ALL
       SELECT 'reason', reason, count(DISTINCT customer_id), 0.2, 0.1, 0.1, sum(clv), sum(clv) * 0.1,
              'measured churn flags', row_number() OVER (ORDER BY sum(clv) DESC) FROM exposed GROUP BY reason
       UNION ALL
       SELECT 'segment', segment, count(DISTINCT customer_id), 0.2, 0.1, 0.1, sum(clv), sum(clv) * 0.1,
              'measured churn flags', row_number() OVER (ORDER BY sum(clv) DESC)
       FROM exposed GROUP BY segment""",
    """CREATE TABLE marts.nev_vs_loyalty AS
       SELECT 'mean_nev' AS predictor, 'churned' AS outcome, 'auc' AS statistic, 100 AS n, 0.62 AS value,
              0.55 AS ci_low, 0.69 AS ci_high, 'weak' AS strength""",
    """CREATE TABLE marts.callback_list AS
       SELECT row_number() OVER (ORDER BY max(clv) * -min(sentiment_score) DESC) AS rank, customer_id,
              any_value(segment) AS segment, max(clv) AS clv, any_value(clv_method) AS clv_method,
              -min(sentiment_score) AS severity, max(clv) * -min(sentiment_score) AS priority,
              arg_max(reason, occurred_at) AS reason, max(occurred_at) AS last_contact_at,
              arg_max(channel, occurred_at) AS last_channel, arg_max(text, occurred_at) AS last_verbatim,
              count(*) AS negative_contacts, 0 AS unresolved_contacts, count(*) AS repeat_contacts,
              bool_or(churned) AS churned
       FROM marts.interactions WHERE customer_id IS NOT NULL AND is_repeat AND is_negative
       GROUP BY customer_id""",
    """CREATE TABLE marts.proactive_candidates AS
       SELECT customer_id, any_value(segment) AS segment, max(clv) AS clv, reason, count(*) AS contacts,
              2 AS months_active, 20.0 AS mean_gap_days, 0.3 AS gap_cv, max(occurred_at) AS last_contact_at,
              max(occurred_at) + INTERVAL 20 DAY AS next_expected_at, 'email' AS suggested_channel,
              max(clv) AS priority, row_number() OVER (ORDER BY max(clv) DESC) AS rank
       FROM marts.interactions WHERE customer_id IS NOT NULL
       GROUP BY customer_id, reason HAVING count(*) >= 2""",
    """CREATE TABLE marts.metric_definitions AS SELECT * FROM (VALUES
       ('mean_nev', 'NEV', 'Mean NEV text proxy over contacts with emotional content.', '100*(P-N)/(P+N)',
        'P+N above threshold', 'Shaw, The DNA of Customer Experience (2007); /work/shared/docs/domain.md'),
       ('repeat_rate_any', 'Repeat rate (any issue)',
        'Judged contacts followed by any recontact within the window.',
        'recontacted / judged', '7-day window', 'QueueMetrics; /work/shared/docs/domain.md'))
       t(metric, label, definition, formula, convention, source)""",
    """CREATE TABLE marts.build_info AS SELECT * FROM (VALUES
       ('default_window_hours', '168'), ('transfer_gap_minutes', '15'), ('churn_method', 'measured'),
       ('built_by', 'tests/dashboard_fixture.py')) t(key, value)""",
]


def build(path: Path, n: int = 400, days: int = 60, seed: int = 7) -> Path:
    """Write a fixture warehouse at `path` and its serving copy; return the working path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    frame = interactions_frame(n, days, seed)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.register("frame", frame)
        con.execute(_REPEATS_SQL)
        con.unregister("frame")
        for sql in _DERIVED_SQL:
            con.execute(sql)
        con.execute("CHECKPOINT")
    shutil.copyfile(path, serving_path(path))
    return path


def build_empty(path: Path) -> Path:
    """A warehouse whose marts exist but hold no interactions (the 'not built yet' case)."""
    path = Path(path)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.register("frame", interactions_frame(1).head(0))
        con.execute(_REPEATS_SQL)
    shutil.copyfile(path, serving_path(path))
    return path
