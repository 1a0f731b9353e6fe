"""Customers and value: CLV x NEV segments, revenue at risk by segment, callback list, proactive list."""

import pandas as pd
import streamlit as st

from dashboard import charts, data, queries, ui
from dashboard.filters import current

f = current()
st.title("Customers and value")
cv = queries.customer_value(f)
fig = charts.clv_nev(cv.rename(columns={"mean_nev": "nev"}) if len(cv) else cv)
ui.chart(fig, "cu_clv", "customer_id", cv["customer_id"].head(200).tolist() if len(cv) else (), f)
loyalty = data.mart("nev_vs_loyalty")
if len(loyalty):
    st.caption("How closely emotion tracks loyalty in this data (AUC 0.5 = no link; Spearman 0 = none):")
    st.dataframe(loyalty, hide_index=True, width="stretch")

st.subheader("Revenue at risk by segment")
seg = queries.revenue_at_risk("segment", f.segments)
ui.chart(
    charts.bar(
        seg.rename(columns={"key": "segment"}), "segment", "revenue_at_risk", "Revenue at risk by segment"
    ),
    "cu_seg",
    "segment",
    seg["key"].tolist() if len(seg) else (),
    f,
)
if len(seg):
    st.caption(f"Method: {ui.md(seg['method'].iloc[0])}.")
    for row in seg[seg["revenue_at_risk"].isna()].itertuples():
        st.caption(f"{ui.md(row.key)}: unknown, {ui.md(row.note or 'not measurable')}.")

st.subheader("Closed loop: who to call back")
cb = queries.customer_list("callback_list", f)
if cb.empty:
    st.info("No customer with an unanswered contact or a repeated issue.")
else:
    st.caption(
        "Unanswered contacts first, then CLV x severity; a CLV the data does not give is shown as "
        "unknown (ranked after known ones). The last verbatim is shown as plain text."
    )
    shown = cb.assign(
        clv=cb["clv"].map(lambda v: "unknown" if pd.isna(v) else f"{v:,.0f}"),
        priority=cb["priority"].map(lambda v: "unknown" if pd.isna(v) else f"{v:,.0f}"),
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    ui.downloads(cb, "callback_list", "cu_cb")

st.subheader("Proactive candidates")
pc = queries.customer_list("proactive_candidates", f)
if pc.empty:
    st.info("No customer whose contacts recur regularly.")
else:
    st.dataframe(pc, hide_index=True, width="stretch")
ui.explain("clv", "mean_nev", "revenue_at_risk")
