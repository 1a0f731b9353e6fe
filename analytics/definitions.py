"""Every figure's one definition: `marts.metric_definitions` (label, unit, meaning, formula, source,
the setting that changes it) and the SQL of the headline figures.

The dashboard reads the mart; `marts.daily_volume` and `marts.executive_summary` are built from
`CONTACT_MEASURES` and `KPIS` below, and the dashboard sums the same `marts.daily_volume` columns
with the same `KPIS`, so a figure on a page and in the mart cannot drift apart. The reference that
explains each one in prose is `docs/metrics.md` (the `source` column names its section).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.settings import AnalyticsSettings

DOC = "docs/metrics.md"
# Customers kept in marts.top_chains (the Repeat page reads it under default filters).
TOP_CHAINS_KEPT = 200

# Additive per-contact counts of marts.daily_volume: name -> aggregate over marts.interactions.
CONTACT_MEASURES: dict[str, str] = {
    "contacts": "count(*)",
    "negative": "count(*) FILTER (WHERE is_negative)",
    "sentiment_sum": "sum(sentiment_score)",
    "sentiment_n": "count(sentiment_score)",
    "nev_sum": "sum(nev_text)",
    "nev_n": "count(nev_text)",
    "judged": "count(has_recontact)",
    "recontacted": "count(*) FILTER (WHERE has_recontact)",
    "same_recontacted": "count(*) FILTER (WHERE has_same_issue_recontact)",
    "repeats": "sum(repeats_triggered)",
    "handle_time_s": "sum(handle_time_s)",
    # conversation trajectory (calls and chats scored at their start and end)
    "trajectory_n": "count(*) FILTER (WHERE sentiment_start IS NOT NULL AND sentiment_end IS NOT NULL)",
    "start_sum": "sum(sentiment_start) FILTER (WHERE sentiment_start IS NOT NULL AND sentiment_end IS NOT NULL)",
    "end_sum": "sum(sentiment_end) FILTER (WHERE sentiment_start IS NOT NULL AND sentiment_end IS NOT NULL)",
    "improved": "count(*) FILTER (WHERE sentiment_end > sentiment_start)",
}

# Headline figures: name -> aggregate over rows of marts.daily_volume (any subset of them).
KPIS: dict[str, str] = {
    "contact_volume": "sum(contacts)",
    "repeat_rate_any": "sum(recontacted) / nullif(sum(judged), 0)",
    "repeat_rate_same": "sum(same_recontacted) / nullif(sum(judged), 0)",
    "fcr_proxy": "1 - sum(same_recontacted) / nullif(sum(judged), 0)",
    "mean_nev": "sum(nev_sum) / nullif(sum(nev_n), 0)",
    "mean_sentiment": "sum(sentiment_sum) / nullif(sum(sentiment_n), 0)",
    "negative_share": "sum(negative) / nullif(sum(contacts), 0)",
    "judged": "sum(judged)",
    "nev_n": "sum(nev_n)",
}


def select_list(expressions: dict[str, str]) -> str:
    """`expr AS name, ...` for a SELECT (names and expressions are the constants above)."""
    return ",\n           ".join(f"{expr} AS {name}" for name, expr in expressions.items())


# metric, label, unit, definition, formula, source (docs/metrics.md section; literature), setting
DEFINITIONS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("contact_volume", "Contacts", "contacts",
     "Customer contacts: what customers sent (calls, chats, emails, social posts), inbound and not a "
     "repost. Agent replies, brand posts and outbound emails are not contacts.",
     "count of inbound, non-repost interactions", f"{DOC}, Contacts", "-"),
    ("outbound_volume", "Outbound messages", "messages",
     "The company's own messages, a measure of their own: replies attached to the contact they answer, and "
     "outreach the company started (no customer contact before it in its thread).",
     "count of outbound interactions by kind (reply | outreach)", f"{DOC}, Outbound volume", "-"),
    ("first_response", "First response", "seconds",
     "Time from a customer's contact to the first company reply in the same thread.",
     "first outbound at or after the contact in its thread - contact time", f"{DOC}, Threads and first response",
     "reply_target_hours_email, reply_target_hours_social"),
    ("answered", "Answered", "flag",
     "A call or chat where an agent spoke, or an email/post with a reply within the service level "
     "(email 24 h, social 1 h by default); unjudged (NULL) while the target has not passed.",
     "reply within target", f"{DOC}, Threads and first response", "reply_target_hours_email, reply_target_hours_social"),
    ("repeat_rate_same", "Repeat rate (same issue)", "share",
     "Judged contacts followed within the window by a contact from the same customer about the same issue "
     "(the same parent reason by default); 'Other' and unassigned contacts are never the same issue. "
     "The resolution failure.",
     "contacts with a same-issue recontact within W / judged contacts", f"{DOC}, Repeat contacts; "
     "QueueMetrics, Capturi, Genesys Next Contact Avoidance", "default_window_hours, same_issue_level"),
    ("repeat_rate_any", "Repeat rate (any issue)", "share",
     "Judged contacts followed by any contact from the same customer, any reason or channel, within the "
     "window; the upper bound of failure demand. Transfers are merged, provisional contacts left out.",
     "contacts with a recontact within W / judged contacts", f"{DOC}, Repeat contacts",
     "default_window_hours, transfer_gap_minutes"),
    ("fcr_proxy", "FCR (proxy)", "share",
     "First contact resolution as an internal proxy: one minus the same-issue repeat rate. SQM "
     "benchmarks: average 67-70%, good 70-79%, world-class 80%+.",
     "1 - same-issue repeat rate", f"{DOC}, FCR (proxy); SQM Group", "default_window_hours, same_issue_level"),
    ("customers_repeating", "Customers repeating", "share",
     "Contacting customers with more than one contact within the window, over contacting customers "
     "(marts.repeat_rates denominator_kind 'customers_multi').",
     "customers with a repeat within W / contacting customers", f"{DOC}, Denominators", "default_window_hours"),
    ("contacts_per_resolution", "Contacts per resolution", "contacts",
     "Judged contacts per contact not followed by a recontact.",
     "judged / (judged - recontacted)", f"{DOC}, Repeat contacts", "default_window_hours"),
    ("provisional", "Provisional contact", "flag",
     "A contact younger than the window at the end of the data: its repeat status cannot be judged yet, so "
     "it is left out of rates (censoring).", "data_end - occurred_at < W", f"{DOC}, Censoring",
     "default_window_hours"),
    ("transfer", "Transfer", "flag",
     "A contact within the transfer gap of the contact it is merged into (same channel by default) is a "
     "transfer or a dropped call, not a repeat; the gap is measured to that contact, so a burst cannot "
     "chain past the gap.", "occurred_at - merged_into.occurred_at < gap", f"{DOC}, Transfers; Capturi",
     "transfer_gap_minutes, same_channel_transfer"),
    ("channel_switch", "Channel switch", "share",
     "A judged contact followed by a contact on another channel anywhere within the window; digital "
     "followed by a call is the seeds' 'a third end on the phone'.",
     "judged contacts on `from` with a later `to` contact within W / judged contacts on `from`",
     f"{DOC}, Channel switching", "default_window_hours"),
    ("mean_nev", "NEV (text proxy)", "points -100..100",
     "Net Emotional Value estimated from text: model emotions mapped onto Shaw's 20 emotions; not Beyond "
     "Philosophy's survey NEV. Contacts without emotional content are excluded, not counted as 0.",
     "100 x (P - N) / (P + N)", f"{DOC}, NEV (text proxy); Shaw 2007", "-"),
    ("mean_sentiment", "Sentiment", "score -1..1", "Mean customer sentiment score of the contacts.",
     "mean model score", f"{DOC}, Sentiment", "-"),
    ("negative_share", "Negative share", "share",
     "Contacts with negative sentiment or NEV (text proxy) below 0, over contacts.",
     "negative contacts / contacts", f"{DOC}, Sentiment", "-"),
    ("pareto", "Pareto share", "share",
     "Contact reasons sorted by volume (or cost, or CLV at risk) with the cumulative share: which 20% of "
     "reasons drive 80% of contacts.", "cumsum(volume) / sum(volume)", f"{DOC}, Pareto", "-"),
    ("cost_to_serve", "Cost to serve", "seconds",
     "Volume x handle time; default handle times per channel when a duration is missing.",
     "sum(handle_time_s)", f"{DOC}, Pareto", "call_handle_s, chat_handle_s, email_handle_s, social_handle_s"),
    ("impact", "Impact (counterfactual)", "metric units",
     "Overall metric minus the metric with the reason's contacts removed, with a bootstrap CI. Association, "
     "not causation.", "overall - without_reason", f"{DOC}, Impact; Thematic",
     "bootstrap_samples, confidence, min_volume"),
    ("relative_weight", "Driver weight", "share",
     "Share of the explained variance of a customer-level regression on reason indicators (Johnson relative "
     "weights). Association, not causation.", "epsilon_j / R^2", f"{DOC}, Impact", "-"),
    ("distinctive_terms", "Distinctive terms", "z-score",
     "Words/phrases over-represented in repeat or negative contacts of a reason versus the others.",
     "log-odds ratio with informative Dirichlet prior", f"{DOC}, Distinctive terms; Monroe et al. 2008",
     "terms_top_n, terms_min_count"),
    ("value_irritant", "Value-irritant action", "action",
     "Irritant to both: Eliminate; to the customer only: Simplify; to the company only: Automate / "
     "self-serve; valuable to both: Leverage.", "quadrant of (irritation, company cost) split at the median",
     f"{DOC}, Value-irritant matrix; Price & Jaffe 2008", "-"),
    ("emerging_issue", "Emerging issue", "z-score",
     "A reason whose weekly volume or negative share exceeds its normal range.",
     "(x - baseline_mean) / baseline_sd > z", f"{DOC}, Emerging issues",
     "emerging_z, emerging_baseline_weeks, emerging_min_volume"),
    ("clv", "CLV", "currency",
     "Customer lifetime value, with its method stored next to it: the source's own value, BG/NBD + "
     "Gamma-Gamma (expected revenue) or margin-retention (margin). Unknown when none applies.",
     "see clv_bgnbd, clv_margin_retention, clv_source", f"{DOC}, Customer lifetime value",
     "clv_horizon_months, discount_rate, retention_rate, margin_share"),
    ("clv_margin_retention", "CLV (margin-retention)", "currency (margin)",
     "Lifetime margin when only margin and retention are known; m margin per year, r retention (measured "
     "from churn flags when the customers have them), d discount, all fractions.", "CLV = m r / (1 + d - r)",
     f"{DOC}, Customer lifetime value", "retention_rate, discount_rate, margin_share"),
    ("clv_bgnbd", "CLV (BG/NBD + Gamma-Gamma)", "currency (revenue)",
     "Expected discounted revenue from purchase frequency (BG/NBD) and spend (Gamma-Gamma, fitted on repeat "
     "customers, refunds netted against purchases); never negative; refused when the fit's implied mean "
     "spend is far from the observed one.", "sum_t E[purchases_t] x E[spend] / (1+d)^t",
     f"{DOC}, Customer lifetime value; Fader, Hardie & Lee 2005", "clv_horizon_months, clv_penalizers"),
    ("clv_source", "CLV (source)", "currency", "Lifetime value given by the source, used as is.", "given",
     f"{DOC}, Customer lifetime value", "-"),
    ("revenue_at_risk", "Revenue at risk", "currency",
     "Sum over customers with a negative or repeated experience who have not churned of CLV x the churn "
     "uplift over customers without one (measured from churn flags; 0 when nobody churned); without churn "
     "flags a labelled heuristic; unknown (NULL, with the reason) when there is no baseline.",
     "sum(CLV of exposed, active) x max(0, churn_exposed - churn_baseline)",
     f"{DOC}, Revenue at risk; Promoter.io", "churn_heuristic_share"),
    ("revenue_lost", "Revenue lost", "currency",
     "CLV of exposed customers who have already churned: lost, not at risk.", "sum(CLV of exposed, churned)",
     f"{DOC}, Revenue at risk", "-"),
    ("callback_priority", "Callback priority", "score",
     "Customers with an unanswered contact or a same-issue repeat, unanswered first, then by CLV x "
     "severity; unknown CLV is shown as unknown and ranked after known ones.", "CLV x severity",
     f"{DOC}, Closed loop", "callback_limit, reply_target_hours_email, reply_target_hours_social"),
    ("nev_vs_loyalty", "Emotion vs loyalty", "AUC / rho",
     "Strength of the link of NEV/sentiment with churn (AUC) and CLV (Spearman), next to contact count as an "
     "effort proxy.", "AUC, Spearman rho with 95% CI", f"{DOC}, NEV and loyalty", "-"),
)
COLUMNS = ["metric", "label", "unit", "definition", "formula", "source", "setting"]


def table() -> pd.DataFrame:
    """The definitions as a frame (what the dashboard falls back on before a first build)."""
    return pd.DataFrame(DEFINITIONS, columns=COLUMNS)


def build(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings) -> str:
    """Write `marts.metric_definitions`, with the conventions this build used."""
    convention = (f"window {settings.default_window_hours} h (alternatives {list(settings.windows_hours)}), "
                  f"same issue = same {settings.same_issue_level} reason, "
                  f"transfers < {settings.transfer_gap_minutes:g} min "
                  f"{'on the same channel ' if settings.same_channel_transfer else ''}merged, "
                  f"minimum volume {settings.min_volume}")
    frame = table()
    frame["convention"] = convention
    con.register("_defs", frame)
    con.execute("CREATE OR REPLACE TABLE marts.metric_definitions AS "
                "SELECT metric, label, unit, definition, formula, convention, source, setting FROM _defs")
    con.unregister("_defs")
    return f"{len(frame)} definitions"
