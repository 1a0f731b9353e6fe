"""Repeat contacts: rates per window and dimension (both scopes, with denominators), channel switching,
and (on demand) one customer's chain as a timeline."""

import streamlit as st

from dashboard import charts, queries, ui
from dashboard.filters import Filters, current

f = current()
st.title("Repeat contacts")
windows = queries.repeat_windows() or [queries.window_hours()]
default = windows.index(queries.window_hours()) if queries.window_hours() in windows else 0
c1, c2, c3 = st.columns(3)
window = c1.selectbox("Window", windows, index=default, format_func=queries.window_label, key="rp_window")
dimension = c2.selectbox("By", ["reason", "channel", "segment", "agent", "week", "overall"], key="rp_dim")
denominator = c3.selectbox(
    "Denominator", ["judged_contacts", "customers"], key="rp_den", format_func=lambda d: d.replace("_", " ")
)
rates = queries.repeat_rates(dimension, window, denominator)
if dimension == "reason" and len(rates):
    allowed = queries.matching_reasons(f)
    rates = rates[rates["dim_value"].isin(allowed)] if allowed is not None else rates
if dimension == "channel" and f.channels:
    rates = rates[rates["dim_value"].isin(f.channels)]
if dimension == "segment" and f.segments:
    rates = rates[rates["dim_value"].isin(f.segments)]
drill = {"reason": "reason", "channel": "channel", "segment": "segment", "week": "week"}.get(dimension)
choices = sorted(rates["dim_value"].unique()) if len(rates) and drill else ()
ui.chart(
    charts.repeat_rates(rates, f"Repeat rate by {dimension}, {queries.window_label(window)}"),
    "rp_rates",
    drill,
    choices,
    f,
)
if len(rates):
    st.caption("Denominator: " + ui.md("; ".join(sorted(set(rates["denominator_definition"].astype(str))))))
    st.dataframe(
        rates[["scope", "dim_value", "numerator", "denominator", "rate", "fcr_proxy", "meets_min_volume"]],
        hide_index=True,
        width="stretch",
    )
else:
    st.info("marts.repeat_rates has no rows for this window and dimension.")

st.subheader("Channel switching")
reason_choices = queries.switch_reasons(window)
reason = st.selectbox("Reason", reason_choices, key="rp_switch_reason")
sw = queries.channel_switch(window, reason)
ui.chart(
    charts.channel_switch(sw),
    "rp_switch",
    "channel",
    sorted(sw["from_channel"].unique()) if len(sw) else (),
    f,
)
if len(sw):
    digital = sw[(sw["from_channel"] != "call") & (sw["to_channel"] == "call")]["n"].sum()
    st.caption(
        f"{int(digital):,} digital contacts were followed by a call within the "
        f"{queries.window_label(window)}."
    )

st.subheader("A customer's chain of contacts")
# on demand (ui.on_demand): the timeline chart and the customer's contacts draw when asked
box = ui.on_demand("The customers with the most repeats: one's contacts as a timeline", "rp_chains")
if box is not None:
    with box:
        chains = queries.top_chains(f)
        if chains.empty:
            st.info("No identified customers under these filters.")
        else:
            repeats = chains.set_index("customer_id")["repeats"]
            who = st.selectbox(
                "Customer (most repeats first)",
                chains["customer_id"].tolist(),
                key="rp_customer",
                format_func=lambda c: f"{c} ({int(repeats.loc[c])} repeats)",
            )
            ui.chart(charts.timeline(queries.customer_timeline(who), who), "rp_timeline")
            ui.verbatim_table(Filters(), (("customer_id", who),), key="rp_chain_rows")
ui.explain("repeat_rate_any", "repeat_rate_same", "fcr_proxy", "channel_switch")
