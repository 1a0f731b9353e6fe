"""Root causes: impact per reason with confidence intervals (chart and table), distinctive terms per
reason and contrast (the chart on demand), example verbatims.

The first view is the impact chart and its table (what the page is opened for); the distinctive terms'
bar draws when its expander is opened (`ui.on_demand`: every further plotly chart costs the browser).
"""

import dataclasses

import streamlit as st

from dashboard import charts, queries, ui
from dashboard.filters import current

f = current()
st.title("Root causes")
st.warning(
    "Association, not causation: these figures show which reasons go with worse outcomes, "
    "not that the reason caused them.",
    icon=":material/info:",
)
impact = queries.mart_by_reason("reason_impact", f, "impact")
if impact.empty:
    st.info("marts.reason_impact is not in this build.")
else:
    outcomes = sorted(impact["outcome"].unique())
    outcome = st.selectbox(
        "Outcome",
        outcomes,
        index=outcomes.index("nev") if "nev" in outcomes else 0,
        format_func=lambda o: "NEV (text proxy)" if o == "nev" else o.replace("_", " "),
        key="rc_outcome",
    )
    rows = impact[impact["outcome"] == outcome]
    label = "NEV (text proxy)" if outcome == "nev" else outcome.replace("_", " ")
    fig = charts.impact(
        rows,
        "reason",
        "impact",
        "ci_low",
        "ci_high",
        f"Impact on {label} (overall minus without the reason, 95% CI)",
    )
    ui.chart(fig, "rc_impact", "reason", rows["reason"].tolist(), f)
    show = [
        c
        for c in (
            "reason",
            "volume",
            "reason_mean",
            "overall",
            "without",
            "impact",
            "ci_low",
            "ci_high",
            "significant",
            "meets_min_volume",
            "relative_weight",
            "note",
        )
        if c in rows
    ]
    st.dataframe(rows[show], hide_index=True, width="stretch")

st.subheader("Distinctive terms")
terms = queries.mart_by_reason("distinctive_terms", f, "reason, contrast, rank", limit=5000)
if terms.empty:
    st.info("marts.distinctive_terms is not in this build.")
else:
    c1, c2 = st.columns(2)
    reason = c1.selectbox("Reason", sorted(terms["reason"].unique()), key="rc_reason")
    contrast = c2.selectbox(
        "Contrast",
        sorted(terms["contrast"].unique()),
        key="rc_contrast",
        format_func=lambda c: c.replace("_", " "),
    )
    sel = terms[(terms["reason"] == reason) & (terms["contrast"] == contrast)].head(25)
    # on demand (ui.on_demand): the terms' bar and its drill-down run when asked
    box = ui.on_demand("Chart: the terms over-represented for this reason (click a bar for its verbatims)",
                       "rc_terms_more")
    if box is not None:
        with box:
            ui.chart(
                charts.bar(
                    sel,
                    "term",
                    "log_odds",
                    f"Terms over-represented ({contrast.replace('_', ' ')}): {reason}",
                    horizontal=True,
                ),
                "rc_terms",
                "term",
                sel["term"].tolist(),
                dataclasses.replace(f, reasons=(reason,)),
            )
    st.subheader(f"Example verbatims: {ui.md(reason)}, negative contacts")
    ui.verbatim_table(f, (("reason", reason), ("is_negative", True)), key="rc_examples")
ui.explain("impact")
