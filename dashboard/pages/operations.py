"""Operations: service levels (first response, SLA attainment), how calls and chats are conducted,
volume by hour of week, the staffing forecast and self-service candidates (docs/metrics.md)."""

import streamlit as st

from dashboard import charts, ops_charts, ops_queries, ui
from dashboard.filters import current

f = current()
st.title("Operations")

st.subheader("Service levels")
dimension = st.selectbox("By", ops_queries.SLA_DIMENSIONS, key="op_sla_dim")
sla = ops_queries.sla_attainment(dimension, f)
ui.chart(charts.bar(sla, "dim_value", "attainment", f"SLA attainment by {dimension}", color="channel"), "op_sla")
if sla.empty:
    st.info("marts.sla_attainment has no rows under these filters.")
else:
    st.dataframe(sla, hide_index=True, width="stretch", key="op_sla_table")
st.caption("Attainment = contacts answered within their channel's target / contacts judged; targets and "
           "business hours from [operations] (docs/metrics.md \"Service levels\").")

st.subheader("Conversations")
st.dataframe(ops_queries.conversation_summary(f), hide_index=True, width="stretch", key="op_conv")

st.subheader("Volume by hour of week")
st.plotly_chart(ops_charts.hour_of_week(ops_queries.volume_profile(f)), key="op_profile", width="stretch")

st.subheader("Staffing forecast")
plan = ops_queries.staffing(f)
if plan.empty:
    st.info("No forecast: a channel needs at least a week of contacts.")
else:
    channel = st.selectbox("Channel", sorted(plan["channel"].unique()), key="op_channel")
    part = plan[plan["channel"] == channel]
    st.caption(f"Method: {ui.md(part['method'].iloc[0])}; mean handle time {part['aht_s'].iloc[0]:.0f} s.")
    ui.chart(charts.staffing(part, channel), "op_staffing")

st.subheader("Self-service candidates")
st.dataframe(ops_queries.self_service(), hide_index=True, width="stretch", key="op_self_service")
