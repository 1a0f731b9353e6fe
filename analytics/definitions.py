"""`marts.metric_definitions`: what each figure means, its formula and its source, for the
dashboard's hover texts and expanders (text from /work/shared/docs/domain.md)."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.settings import AnalyticsSettings

DOMAIN = "docs/domain.md"

# metric, label, definition, formula, source
DEFINITIONS: tuple[tuple[str, str, str, str, str], ...] = (
    ("repeat_rate_same", "Repeat rate (same issue)",
     "Share of judged contacts followed by a contact from the same customer about the same reason within the window; "
     "the resolution failure.",
     "contacts with a same-reason recontact within W / judged contacts",
     f"{DOMAIN} 'Repeat contacts'; QueueMetrics, Capturi, Genesys Next Contact Avoidance"),
    ("repeat_rate_any", "Repeat rate (any issue)",
     "Share of judged contacts followed by any contact from the same customer, any reason or channel, within the "
     "window; the upper bound of failure demand.",
     "contacts with a recontact within W / judged contacts",
     f"{DOMAIN} 'Repeat contacts'"),
    ("fcr_proxy", "FCR (proxy)", "First contact resolution as an internal proxy: one minus the same-issue repeat "
     "rate. SQM benchmarks: average 67-70%, good 70-79%, world-class 80%+.",
     "1 - same-issue repeat rate", f"{DOMAIN} 'FCR'; SQM Group"),
    ("contacts_per_resolution", "Contacts per resolution", "Judged contacts per contact not followed by a recontact.",
     "judged / (judged - recontacted)", f"{DOMAIN} 'Repeat contacts'"),
    ("provisional", "Provisional contact", "A contact younger than the window at the end of the data: its repeat "
     "status cannot be judged yet, so it is left out of rates (censoring).",
     "data_end - occurred_at < W", f"{DOMAIN} 'Censoring'"),
    ("transfer", "Transfer", "A contact within the transfer gap of the previous one on the same channel is a "
     "transfer or a dropped call, not a repeat.", "gap < transfer_gap_minutes", f"{DOMAIN} 'Transfers'; Capturi"),
    ("channel_switch", "Channel switch", "A contact followed within the window by a contact on another channel; "
     "digital followed by a call is the seeds' 'a third end on the phone'.",
     "switches(from, to) / judged contacts on from", f"{DOMAIN} 'Channel switching'"),
    ("nev_text", "NEV (text proxy)", "Net Emotional Value estimated from text: model emotions mapped onto Shaw's "
     "20 emotions; not Beyond Philosophy's survey NEV. Contacts without emotional content are excluded.",
     "100 x (P - N) / (P + N)", f"{DOMAIN} 'Net Emotional Value'; Shaw 2007"),
    ("sentiment_score", "Sentiment", "Interaction sentiment score in [-1, 1].", "model score",
     f"{DOMAIN} 'Sentiment and emotion'"),
    ("pareto", "Pareto share", "Reasons sorted by volume (or cost, or CLV at risk) with the cumulative share: "
     "which 20% of reasons drive 80% of contacts.", "cumsum(volume) / sum(volume)", f"{DOMAIN} 'Pareto (80/20)'"),
    ("cost_to_serve", "Cost to serve", "Volume x handle time (seconds); default handle times per channel when "
     "a duration is missing.", "sum(handle_time_s)", f"{DOMAIN} 'Pareto'"),
    ("impact", "Impact (counterfactual)", "Overall metric minus the metric with the reason's contacts removed, "
     "with a bootstrap 95% CI. Association, not causation.", "overall - without_reason",
     f"{DOMAIN} 'Impact of a topic'; Thematic"),
    ("relative_weight", "Driver weight", "Share of the explained variance of a customer-level regression on "
     "reason indicators (Johnson relative weights). Association, not causation.", "epsilon_j / R^2",
     f"{DOMAIN} 'Impact of a topic' (multivariate)"),
    ("distinctive_terms", "Distinctive terms", "Words/phrases over-represented in repeat or negative contacts of a "
     "reason versus the others.", "log-odds ratio with informative Dirichlet prior (z-score)",
     f"{DOMAIN} 'Distinctive terms'; Monroe et al. 2008"),
    ("value_irritant", "Value-irritant action", "Irritant to both: Eliminate; to the customer only: Simplify; to "
     "the company only: Automate / self-serve; valuable to both: Leverage.",
     "quadrant of (irritation, company cost) split at the median", f"{DOMAIN} 'Value-irritant'; Price & Jaffe 2008"),
    ("emerging_issue", "Emerging issue", "A reason whose weekly volume or negative share exceeds its normal range "
     "(mean + z x sd of the previous weeks).", "(x - baseline_mean) / baseline_sd > z", f"{DOMAIN} 'Root causes'"),
    ("clv_margin_retention", "CLV (margin-retention)", "Lifetime value when only margin and retention are known; "
     "m margin per period, r retention, d discount, all fractions.", "CLV = m r / (1 + d - r)",
     f"{DOMAIN} 'Customer lifetime value'"),
    ("clv_bgnbd", "CLV (BG/NBD + Gamma-Gamma)", "Expected discounted margin from purchase frequency (BG/NBD) and "
     "spend (Gamma-Gamma, fitted on repeat customers); L2 penalties in clv_penalizers are tried in order "
     "until both converge, else margin-retention.", "sum_t E[purchases_t] x E[spend] / (1+d)^t",
     f"{DOMAIN} 'Customer lifetime value'; Fader, Hardie & Lee 2005"),
    ("clv_source", "CLV (source)", "Lifetime value given by the source, used as is.", "given",
     f"{DOMAIN} 'Customer lifetime value'"),
    ("revenue_at_risk", "Revenue at risk", "Sum over customers with a negative or repeated experience of CLV x the "
     "churn uplift over customers without one (measured churn flags), else a labelled heuristic (50% of annual "
     "revenue for detractors).", "sum(CLV) x max(0, churn_exposed - churn_baseline)",
     f"{DOMAIN} 'Revenue at risk'; Promoter.io"),
    ("callback_priority", "Callback priority", "Customers with an unresolved or repeated negative experience, ranked "
     "by CLV x severity; severity = sum over such contacts of 1 + max(0, -sentiment).", "CLV x severity",
     f"{DOMAIN} 'Closed loop'"),
    ("nev_vs_loyalty", "Emotion vs loyalty", "Strength of the link of NEV/sentiment with churn (AUC) and CLV "
     "(Spearman), next to contact count as an effort proxy.", "AUC, Spearman rho with 95% CI",
     f"{DOMAIN} 'NEV' (Temkin Group claim)"),
)


def build(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings) -> str:
    """Write `marts.metric_definitions`, with the conventions this build used."""
    convention = (f"window {settings.default_window_hours} h (alternatives {list(settings.windows_hours)}), "
                  f"transfers < {settings.transfer_gap_minutes:g} min "
                  f"{'on the same channel ' if settings.same_channel_transfer else ''}excluded, "
                  f"minimum volume {settings.min_volume}")
    table = pd.DataFrame(DEFINITIONS, columns=["metric", "label", "definition", "formula", "source"])
    table["convention"] = convention
    con.register("_defs", table)
    con.execute("CREATE OR REPLACE TABLE marts.metric_definitions AS "
                "SELECT metric, label, definition, formula, convention, source FROM _defs")
    con.unregister("_defs")
    return f"{len(table)} definitions"
