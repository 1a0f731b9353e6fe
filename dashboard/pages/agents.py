"""Agents and quality: scorecards per agent and team, the QA items most failed, and the contacts to
coach from with their transcript and the evidence marked (docs/metrics.md "QA scorecards").

The first view is the tables (scorecards per agent and team, the contacts to coach from: what the page is
opened for); the charts (QA score per agent, one agent's score per week, the items most failed) draw when
their expander is opened (`ui.on_demand`: a fresh tab's first plotly chart costs the browser plotly.js).
"""

import streamlit as st

from dashboard import charts, ops_charts, ops_queries, ui
from dashboard.filters import current

f = current()
st.title("Agents and quality")
cards = ops_queries.scorecards()
if cards.empty:
    st.info("No agent scorecards yet: marts.agent_scorecard is built by `python -m pipelines build`.")
    st.stop()

st.subheader("Scorecard per agent")
st.caption("QA score = passed weight / applicable weight of the rules file's items (docs/qa.example.yaml); "
           "FCR proxy and repeat rate of the judged contacts each agent handled.")
st.dataframe(cards, hide_index=True, width="stretch", key="ag_cards")
# on demand (ui.on_demand): the per-agent charts run when asked
box = ui.on_demand("Charts: QA score per agent (lowest first), one agent's QA score per week", "ag_more")
if box is not None:
    with box:
        scored = cards[cards["qa_scored"] > 0]
        ui.chart(charts.bar(scored.head(30), "agent_id", "qa_score", "QA score per agent (lowest first)"),
                 "ag_scores")
        agent = st.selectbox("Agent over time", cards["agent_id"].tolist(), key="ag_agent")
        if agent:
            weeks = ops_queries.scorecard_weeks(agent)
            ui.chart(charts.trend(weeks, "week", "qa_score", f"QA score per week: {agent}"), "ag_weeks")

teams = cards.assign(team=cards["team"].fillna("(no queue)")).groupby("team", as_index=False).agg(
    agents=("agent_id", "count"), contacts=("contacts", "sum"), qa_scored=("qa_scored", "sum"),
    qa_fails=("qa_fails", "sum"), fcr_proxy=("fcr_proxy", "mean"), repeat_rate=("repeat_rate", "mean"))
st.subheader("Scorecard per team (queue)")
st.dataframe(teams, hide_index=True, width="stretch", key="ag_teams")

st.subheader("Items most failed")
failed_box = ui.on_demand("Chart: share of applicable contacts failing each QA item", "ag_failed_more")
if failed_box is not None:
    with failed_box:
        failed = ops_queries.failed_items(f)
        ui.chart(charts.bar(failed, "label", "fail_rate", "Share of applicable contacts failing each item",
                            horizontal=True), "ag_failed")

st.subheader("Contacts to coach from")
st.caption("Lowest QA scores first, then the worst sentiment turnarounds (end minus start).")
coach = ops_queries.coaching(f)
if coach.empty:
    st.info("No QA-scored contacts under these filters.")
else:
    st.dataframe(coach, hide_index=True, width="stretch", key="ag_coach")
    picked = st.selectbox("Contact", coach["interaction_id"].tolist(), key="ag_contact")
    if picked:
        evidence = ops_queries.evidence(picked)
        st.dataframe(evidence, hide_index=True, width="stretch", key="ag_evidence")
        st.caption("Transcript, the evidence words marked [[like this]]:")
        turns = ops_charts.transcript_with_evidence(ops_queries.transcript(picked), evidence)
        st.dataframe(turns, hide_index=True, width="stretch", key="ag_transcript")
