"""Overview for CX leaders: volume by channel and day, sentiment and NEV trends; emotions and trajectory on
demand."""

import pandas as pd
import streamlit as st

from dashboard import charts, queries, ui
from dashboard.filters import current

f = current()
st.title("Overview")
daily = queries.daily_by_channel(f)
k = queries.kpis(f)
out = queries.outbound_daily(f)
cols = st.columns(5)
ui.metric(cols[0], "contact_volume", f"{int(k['volume']):,}")
ui.metric(cols[1], "mean_nev", "n/a" if k["nev"] != k["nev"] else f"{k['nev']:.1f}")
ui.metric(cols[2], "mean_sentiment", "n/a" if k["sentiment"] != k["sentiment"] else f"{k['sentiment']:+.2f}")
ui.metric(cols[3], "negative_share", "n/a" if pd.isna(k["negative_share"]) else f"{k['negative_share']:.1%}")
# the company's own messages: a measure apart, never part of the contact counts
replies = int(out.loc[out["kind"] == "reply", "messages"].sum()) if len(out) else 0
outreach = int(out.loc[out["kind"] == "outreach", "messages"].sum()) if len(out) else 0
ui.metric(cols[4], "outbound_volume", f"{replies + outreach:,}")
st.caption(f"Company messages (not contacts): {replies:,} replies, {outreach:,} outreach.")

channels = sorted(daily["channel"].unique()) if len(daily) else []
ui.chart(charts.volume_by_channel(daily), "ov_volume", "channel", channels, f)
trend = charts.sentiment_nev_trend(daily)
weeks = list(trend.data[0].customdata) if trend.data else []
ui.chart(trend, "ov_trend", "week", weeks, f)
# on demand (ui.on_demand): a fresh tab pays about 0.2 s of browser CPU a chart
box = ui.on_demand("Charts: emotion mix, sentiment at the start and end of calls and chats", "ov_more")
if box is not None:
    with box:
        left, right = st.columns(2)
        with left:
            mix = queries.emotion_mix(f)
            fig = charts.bar(mix, "emotion", "n", "Emotion mix (top emotions per contact)", horizontal=True)
            ui.chart(fig, "ov_emotions", "emotion", mix["emotion"].tolist(), f)
        with right:
            traj = queries.trajectory(f)
            if traj.empty:  # only calls and chats have a start and an end to compare
                st.caption(
                    "Sentiment trajectory: no call or chat scored at its start and end under these filters."
                )
            else:
                ui.chart(charts.trajectory(traj), "ov_traj", "channel", traj["channel"].tolist(), f)
            if len(traj):
                st.caption(
                    "Share of conversations that ended better than they started: "
                    + ", ".join(f"{ui.md(r.channel)} {r.improved:.0%}" for r in traj.itertuples())
                )
ui.explain("contact_volume", "outbound_volume", "mean_nev", "mean_sentiment", "negative_share")
