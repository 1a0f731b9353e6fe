"""Explore: an analyst corrects a contact's sentiment or reason; what to label next.

The dashboard reads a read-only serving copy, so corrections are written elsewhere: to the labels
store beside the working warehouse (`pipelines.models.taught`, `data/voc.labels.duckdb`), the
same place `python -m pipelines teach` writes. The next `run` teaches them (a sentiment head is
activated only if it beats the shipped one on the labels; reasons are pinned by the topics stage).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, queries
from pipelines.models import taught
from pipelines.models.labels import SENTIMENT_LABELS
from pipelines.settings import default_db

NEXT_ROWS = 12  # suggestions shown
PER_REASON = 2  # at most this many suggestions per reason, so a few hundred labels cover every reason

# Least sure first: a sentiment score near a class boundary (|score| near 0.33 is where the argmax
# flips between neutral and a polar class), then a low topic confidence; spread over reasons.
SUGGEST_SQL = """
    WITH ranked AS (
        SELECT interaction_id, coalesce(topic_label, 'other') AS reason, sentiment_label, sentiment_score,
               text, abs(abs(sentiment_score) - 0.33) + 0.25 * coalesce(topic_confidence, 0) AS sureness
        FROM marts.interactions
        WHERE sentiment_score IS NOT NULL AND interaction_id NOT IN (SELECT unnest(?::VARCHAR[]))
    ), final AS (
        SELECT *, row_number() OVER (PARTITION BY reason ORDER BY sureness, interaction_id) AS k FROM ranked
    )
    SELECT interaction_id, reason, sentiment_label, round(sentiment_score, 2) AS sentiment_score, text
    FROM final WHERE k <= ? ORDER BY k, sureness, interaction_id LIMIT ?"""


def save(interaction_id: str, sentiment: str | None = None, reason: str | None = None) -> list[str]:
    """Store the corrections given (beside the warehouse); returns the tasks written."""
    written = []
    for task, value in (("sentiment", sentiment), ("reason", (reason or "").strip() or None)):
        if value:
            taught.add_labels(default_db(), task, pd.DataFrame({"interaction_id": [interaction_id],
                                                                 "label": [value]}), "dashboard")
            written.append(task)
    return written


def labelled_ids() -> list[str]:
    """Contacts that already carry a sentiment label (not suggested again)."""
    return taught.current_labels(default_db(), "sentiment")["interaction_id"].tolist()


# The same ranking over marts.label_candidates (each reason's 20 least sure contacts, built with the
# marts), unless labels have used up the candidates of a reason that has more contacts than that.
CANDIDATES_SQL = """
    WITH ranked AS (
        SELECT * FROM marts.label_candidates WHERE interaction_id NOT IN (SELECT unnest(?::VARCHAR[]))
    ), final AS (
        SELECT *, row_number() OVER (PARTITION BY reason ORDER BY sureness, interaction_id) AS k FROM ranked
    )
    SELECT interaction_id, reason, sentiment_label, round(sentiment_score, 2) AS sentiment_score, text
    FROM final WHERE k <= ? ORDER BY k, sureness, interaction_id LIMIT ?"""
EXHAUSTED_SQL = """
    SELECT count(*) AS n FROM (
        SELECT reason FROM marts.label_candidates GROUP BY reason
        HAVING max(reason_contacts) > count(*)
           AND count(*) FILTER (WHERE interaction_id NOT IN (SELECT unnest(?::VARCHAR[]))) < ?
    )"""


def suggestions(limit: int = NEXT_ROWS) -> pd.DataFrame:
    """Contacts to label next: the least certain, at most `PER_REASON` per reason (from
    `marts.label_candidates` while it holds enough unlabelled contacts of every reason)."""
    labelled = labelled_ids()
    exhausted = not data.has_mart("label_candidates") or bool(
        queries.query(EXHAUSTED_SQL, [labelled, PER_REASON]).iloc[0, 0]
    )
    if not exhausted:
        return queries.query(CANDIDATES_SQL, [labelled, PER_REASON, limit])
    return queries.query(SUGGEST_SQL, [labelled, PER_REASON, limit])


def render(row: pd.Series) -> None:
    """The correction form for one contact (sentiment and reason)."""
    iid = str(row["interaction_id"])
    st.markdown("**Correct this contact**")
    current = row.get("sentiment_label")
    options = ["(keep)", *SENTIMENT_LABELS]
    with st.form(f"correct_{iid}", clear_on_submit=False):
        sentiment = st.selectbox(f"Sentiment (model: {current or 'unscored'})", options, key=f"fix_sent_{iid}")
        reason = st.text_input(f"Reason (model: {row.get('topic_label') or row.get('reason') or 'none'})",
                               key=f"fix_reason_{iid}", placeholder="e.g. Refund not received")
        submitted = st.form_submit_button("Save correction")
    if submitted:
        written = save(iid, None if sentiment == "(keep)" else sentiment, reason)
        if written:
            st.success(f"Saved the {' and '.join(written)} correction to {taught.labels_path(default_db()).name}: "
                       "the next `python -m pipelines run` teaches it (or `python -m pipelines teach sentiment` now).")
        else:
            st.info("Nothing to save: pick a sentiment or type a reason.")


def render_next() -> None:
    """What to label next, and how many labels are stored."""
    with st.expander("What to label next (the model's least certain contacts, spread over reasons)"):
        counts = taught.current_labels(default_db(), "sentiment")
        st.caption(f"{len(counts):,} sentiment labels stored; a few hundred spread over reasons go furthest.")
        st.dataframe(suggestions(), hide_index=True, width="stretch", key="ex_next")
