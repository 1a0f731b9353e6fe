"""Contact reasons: Pareto with cumulative share, emerging issues, value-irritant; the hierarchy, the top
reasons' weekly trend and the emerging issues' chart on demand."""

import streamlit as st

from dashboard import charts, queries, ui
from dashboard.filters import current

f = current()
st.title("Contact reasons")
by = st.radio("Order reasons by", ["volume", "cost to serve", "CLV at risk"], horizontal=True, key="par_by")
if by == "CLV at risk":
    p = queries.mart_by_reason("reason_pareto", f, "clv_at_risk DESC NULLS LAST")
    if len(p):
        p = p.rename(columns={"parent_reason": "parent", "clv_at_risk": "n"})
        p["cum_share"] = p["n"].cumsum() / p["n"].sum()
        st.caption(
            "CLV at risk comes from marts.reason_pareto over all data (the date filter does not apply)."
        )
else:
    p = queries.pareto(f, by)
    if by == "cost to serve":
        p = p.assign(n=p["handle_hours"])
fig = charts.pareto(p)
ui.chart(fig, "rs_pareto", "reason", p["reason"].tolist() if len(p) else (), f)
if len(p):
    top = p[p["cum_share"] <= 0.8]
    st.caption(f"{len(top) + 1 if len(top) < len(p) else len(top)} of {len(p)} reasons make up 80% of {by}.")

# secondary charts draw when asked (ui.on_demand): a fresh tab pays about 0.2 s of browser CPU a chart
box = ui.on_demand("Charts: reasons under their parent, weekly trend of the top reasons", "rs_more")
if box is not None:
    with box:
        left, right = st.columns(2)
        with left:
            h = queries.hierarchy(f)
            parents = sorted(h["parent"].dropna().unique())
            ui.chart(charts.hierarchy(h), "rs_hier", "parent_reason", parents, f)
        with right:
            t = queries.reason_trend(f)
            ui.chart(charts.reason_trend(t), "rs_trend", "reason", sorted(t["reason"].unique()), f)

by_language = queries.reasons_by_language(f)
if by_language["language"].nunique() > 1:
    st.subheader("Reasons by language")
    table = by_language.pivot_table(index="reason", columns="language", values="share", fill_value=0.0)
    table = (table * 100).round(1).sort_values(table.columns.tolist(), ascending=False)
    st.dataframe(table, width="stretch",
                 column_config={c: st.column_config.NumberColumn(c, format="%.1f%%") for c in table.columns})
    st.caption(
        "Share of each language's contacts per reason (top reasons overall). Contacts in other languages "
        "join the reasons found on English texts across languages; see models/MODEL_CARD.md."
    )

st.subheader("Emerging issues")
em = queries.mart_by_reason("emerging_issues", f, "start_week DESC, z_max DESC")
if em.empty:
    st.info("No reason's weekly volume or negative share left its normal range.")
else:
    st.dataframe(em, hide_index=True, width="stretch")
    em_box = ui.on_demand("Chart: peak z-score above normal per emerging issue", "rs_em_chart")
    if em_box is not None:
        with em_box:
            ui.chart(
                charts.bar(em, "reason", "z_max", "Emerging issues: peak z-score above normal"),
                "rs_em",
                "reason",
                em["reason"].tolist(),
                f,
            )

st.subheader("Value-irritant matrix")
vi = queries.mart_by_reason("value_irritant", f, "volume DESC")
ui.chart(charts.value_irritant(vi), "rs_vi", "reason", vi["reason"].tolist() if len(vi) else (), f)
if len(vi) and "taxonomy_note" in vi and vi["taxonomy_note"].notna().any():
    st.caption(ui.md(vi["taxonomy_note"].dropna().iloc[0]))
ui.explain("pareto", "value_irritant")
