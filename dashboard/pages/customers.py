"""Customers and value: the closed-loop callback list, proactive candidates; on demand: CLV x NEV segments
with the emotion-loyalty link, revenue at risk by segment.

At a million contacts the scatter draws the customers with the highest CLV (`CLV_POINTS`), not every
customer, and the lists show one page of rows; each list's download is the whole list. The first view is
the ranked lists (what the page is opened for); the charts draw when their expander is opened
(`ui.on_demand`: a fresh tab's first plotly chart costs the browser plotly.js).
"""

import functools

import pandas as pd
import streamlit as st

from dashboard import charts, data, queries, ui
from dashboard.filters import current

CLV_POINTS = 500

f = current()
st.title("Customers and value")


def _unknown_as_text(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(
        clv=df["clv"].map(lambda v: "unknown" if pd.isna(v) else f"{v:,.0f}"),
        priority=df["priority"].map(lambda v: "unknown" if pd.isna(v) else f"{v:,.0f}"),
    )


def customer_table(table: str, key: str, empty: str, caption: str = "", shown=None) -> None:
    """One page of a ranked customer list, with a pager, and the whole list as a download."""
    total = queries.count_customer_list(table, f)
    if total == 0:
        st.info(empty)
        return
    if caption:
        st.caption(caption)
    offset = ui.pager(total, key, "customers")
    rows = queries.customer_list(table, f, ui.PAGE_ROWS, offset)
    st.dataframe(shown(rows) if shown else rows, hide_index=True, width="stretch", key=f"{key}_table")
    # the whole list in the chosen segments, read only when a button is clicked
    ui.downloads(functools.partial(queries.customer_list, table, f, None), table, key)


st.subheader("Closed loop: who to call back")
customer_table(
    "callback_list",
    "cu_cb",
    "No customer with an unanswered contact or a repeated issue.",
    "Unanswered contacts first, then CLV x severity; a CLV the data does not give is shown as "
    "unknown (ranked after known ones). The last verbatim is shown as plain text.",
    _unknown_as_text,
)

st.subheader("Customer value and emotion")
# on demand (ui.on_demand): the scatter, its drill-down and the emotion-loyalty table run when asked
box = ui.on_demand("Chart: customers by CLV x NEV (text proxy) per segment, emotion vs loyalty",
                   "cu_clv_more")
if box is not None:
    with box:
        cv = queries.customer_value(f, limit=CLV_POINTS)
        population = queries.clv_population(f)
        shown = cv.rename(columns={"mean_nev": "nev"}) if len(cv) else cv
        ids = cv["customer_id"].head(200).tolist() if len(cv) else ()
        ui.chart(charts.clv_nev(shown, population["median_clv"]), "cu_clv", "customer_id", ids, f)
        if len(cv):
            st.caption(
                f"The {len(cv):,} highest CLVs of {population['customers']:,} customers with a CLV and an "
                "NEV (text proxy); crosses are churned customers, open circles unknown; the dotted lines are "
                "NEV 0 and the median CLV of all of them."
            )
        loyalty = data.mart("nev_vs_loyalty")
        if len(loyalty):
            st.caption("How closely emotion tracks loyalty in this data (AUC 0.5 = no link; "
                       "Spearman 0 = none):")
            st.dataframe(loyalty, hide_index=True, width="stretch")

st.subheader("Revenue at risk by segment")
seg_box = ui.on_demand("Chart: revenue at risk per segment (click a bar for the verbatims behind it)",
                       "cu_seg_more")
if seg_box is not None:
    with seg_box:
        seg = queries.revenue_at_risk("segment", f.segments)
        ui.chart(
            charts.bar(seg.rename(columns={"key": "segment"}), "segment", "revenue_at_risk",
                       "Revenue at risk by segment"),
            "cu_seg",
            "segment",
            seg["key"].tolist() if len(seg) else (),
            f,
        )
        if len(seg):
            st.caption(f"Method: {ui.md(seg['method'].iloc[0])}.")
            for row in seg[seg["revenue_at_risk"].isna()].itertuples():
                st.caption(f"{ui.md(row.key)}: unknown, {ui.md(row.note or 'not measurable')}.")

st.subheader("Proactive candidates")
customer_table("proactive_candidates", "cu_pc", "No customer whose contacts recur regularly.")
ui.explain("clv", "mean_nev", "revenue_at_risk")
