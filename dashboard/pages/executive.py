"""Executive summary: the five headline figures with their weekly trends, the top reasons by revenue at risk;
the same as charts (with their drill-down to verbatims) on demand."""

import pandas as pd
import streamlit as st

from dashboard import charts, queries, report, ui
from dashboard.filters import current

f = queries.summary_period(current())
window = queries.window_label()
now = queries.kpis(f).to_dict()
prev_filters = f.previous_period()
before = queries.kpis(prev_filters).to_dict() if prev_filters else None
if before and not before.get("volume"):
    before = None
total = queries.revenue_at_risk("total")
first = total.iloc[0] if len(total) else pd.Series(dtype=object)
rar = float(first["revenue_at_risk"]) if pd.notna(first.get("revenue_at_risk")) else None
note = str(first["note"]) if pd.notna(first.get("note")) else None  # why it is unknown
words = report.sentences(now, before, rar, window, note)
b = before or {}

st.title("Executive summary")
st.caption(
    f"{f.start} to {f.end}, compared with {prev_filters.start} to {prev_filters.end}. "
    f"Repeat figures: {window}, transfers excluded, provisional contacts left out. "
    "Revenue at risk covers all data (no trend)."
    if prev_filters
    else "All data."
)
weekly = queries.weekly_kpis(current())
cols = st.columns(5)
ui.metric(cols[0], "revenue_at_risk", report.money(rar))
ui.metric(cols[1], "mean_nev", report.num(now["nev"]), report.change(now["nev"], b.get("nev"), absolute=True),
          trend=weekly["nev"].dropna().tolist())
ui.metric(cols[2], "fcr_proxy", report.pct(now["fcr"]), report.change(now["fcr"], b.get("fcr"), points=True),
          trend=weekly["fcr"].dropna().tolist())
ui.metric(
    cols[3],
    "repeat_rate_any",
    report.pct(now["repeat_rate"]),
    report.change(now["repeat_rate"], b.get("repeat_rate"), points=True),
    delta_color="inverse",
    trend=weekly["repeat_rate"].dropna().tolist(),
)
ui.metric(
    cols[4],
    "contact_volume",
    report.num(now["volume"], 0),
    report.change(now["volume"], b.get("volume")),
    delta_color="off",
    trend=weekly["volume"].dropna().tolist(),
)
for key in ("revenue_at_risk", "mean_nev", "fcr_proxy", "repeat_rate_any", "contact_volume"):
    st.markdown(f"- {words[key]}")  # built from our numbers only, no customer text

st.subheader("Top 5 reasons by revenue at risk")
top = queries.revenue_at_risk("reason", limit=5)
if len(top):
    st.caption(
        f"Method: {ui.md(top['method'].iloc[0])}. {ui.md(top['key'].iloc[0])} puts the most lifetime "
        "value at risk "
        f"({report.money(float(top['revenue_at_risk'].iloc[0]))})."
    )
    # reason labels come from the data: escaped, so they read as text
    amounts = [None if pd.isna(v) else float(v) for v in top["revenue_at_risk"]]
    st.markdown("\n".join(
        f"{i}. {ui.md(key)}: {report.money(amount)}"
        for i, (key, amount) in enumerate(zip(top["key"], amounts, strict=True), start=1)
    ))
else:
    st.info("This build has no revenue at risk by reason.")


def figures() -> list:
    """The weekly trends and the top reasons as charts (built when shown or printed)."""
    return [
        charts.trend(weekly, "week", "nev", "NEV (text proxy) per week"),
        charts.trend(weekly, "week", "fcr", "FCR (proxy) per week", percent=True),
        charts.trend(weekly, "week", "repeat_rate", "Repeat rate (any issue) per week", percent=True),
        charts.trend(weekly, "week", "volume", "Contacts per week"),
        charts.bar(top.rename(columns={"key": "reason"}), "reason", "revenue_at_risk",
                   "Top 5 reasons by revenue at risk", horizontal=True),
    ]


# The first view needs no plotly.js (the sparklines are Streamlit's own): the charts, with their
# drill-down to the verbatims, draw once this is opened.
box = ui.on_demand("Charts: weekly trends and top reasons (click a point for the verbatims behind it)",
                   "exec_charts")
if box is not None:
    with box:
        *trends, top_fig = figures()
        row = st.columns(4)
        weeks = [str(w)[:10] for w in weekly["week"]]
        for col, fig, key in zip(row, trends, ("t_nev", "t_fcr", "t_rep", "t_vol"), strict=True):
            with col:
                ui.chart(fig, key, "week", weeks, current())
        ui.chart(top_fig, "exec_top", "reason", top["key"].tolist() if len(top) else (), current())
ui.explain("revenue_at_risk", "mean_nev", "fcr_proxy", "repeat_rate_any", "contact_volume")

lines = [words[k] for k in ("revenue_at_risk", "mean_nev", "fcr_proxy", "repeat_rate_any", "contact_volume")]
# Deferred: the report (plotly.js inlined) is built only when someone clicks.
st.download_button(
    "Download printable report (HTML, print to PDF)",
    lambda: report.printable_html(
        "Voice of the customer: executive summary", f"{f.start} to {f.end}", lines, figures()
    ),
    file_name="executive_summary.html",
    mime="text/html",
    key="exec_print",
    on_click="ignore",
)
