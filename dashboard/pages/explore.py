"""Explore and export: every filter, full-text search, a paginated table, transcripts, exports."""

import dataclasses

import streamlit as st

from dashboard import corrections, queries, ui
from dashboard.filters import current

f = current()
st.title("Explore and export")
search = st.text_input("Search the customers' words", key="ex_search", placeholder="e.g. refund")
f = dataclasses.replace(f, search=search)
rows = ui.verbatim_table(f, key="ex", selectable=True)
if len(rows):
    ui.downloads(rows, "interactions", "ex_dl")
    corrections.render_next()
    st.caption("Click a row to open its transcript, or pick it here.")
    picked = st.selectbox(
        "Open an interaction",
        [None, *rows["interaction_id"].tolist()],
        key="ex_open",
        format_func=lambda i: "choose an interaction" if i is None else i,
    )
    picked = st.session_state.get("ex_clicked") or picked
    if picked:
        row = queries.interaction(picked)
        st.subheader(f"Interaction {picked}")
        st.caption(
            ui.md(
                f"{row['channel']} on {row['occurred_at']}; reason: {row['reason']}; "
                f"NEV (text proxy): {row['nev_text']}"
            )
        )
        corrections.render(row)
        turns = queries.turns(picked)
        if turns.empty:
            ui.text_block("Customer", row["text"])
            ui.text_block("Agent", row.get("agent_text"))
        for t in turns.itertuples():
            ui.text_block(f"{t.speaker} ({t.sentiment_label or 'unscored'})", t.text)
