"""Figures of the operations pages (pure functions; every string escaped by charts.sanitize)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_of_week(df: pd.DataFrame, title: str = "Contacts per week by hour (local time)") -> go.Figure:
    """Heatmap of contacts per week, weekday x hour."""
    if df.empty:
        return charts.bar(df, "hour", "contacts_per_week", title)
    grid = df.pivot_table(index="dow", columns="hour", values="contacts_per_week", fill_value=0)
    grid = grid.reindex(index=range(1, 8), columns=range(24), fill_value=0)
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(), x=list(range(24)), y=list(DAYS), colorscale="Blues",
                               hovertemplate="%{y} %{x}:00: %{z:.1f} a week<extra></extra>"))
    fig.update_layout(title=title, height=300, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    fig.update_xaxes(title="hour", dtick=2)
    return charts.sanitize(fig)


def highlighted(text: object, words: object) -> str:
    """A turn's text with the evidence words marked as plain text: [[like this]] (never HTML)."""
    value = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    if not isinstance(words, str) or not words or words.startswith("similar to"):
        return value
    at = value.lower().find(words.lower())
    if at < 0:
        return value
    return value[:at] + "[[" + value[at:at + len(words)] + "]]" + value[at + len(words):]


def transcript_with_evidence(turns: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    """The transcript, each turn with the items it is evidence for and their words marked."""
    if turns.empty:
        return turns
    found = evidence.dropna(subset=["evidence_turn_no"])
    by_turn = found.groupby("evidence_turn_no")
    labels = by_turn.apply(lambda g: "; ".join(f"{r.result}: {r.label}" for r in g.itertuples()),
                           include_groups=False) if len(found) else pd.Series(dtype=object)
    out = turns.copy()
    out["evidence"] = out["turn_no"].map(labels).fillna("")
    marked = []
    for row in out.itertuples():  # one transcript: tens of turns
        words = found.loc[found["evidence_turn_no"] == row.turn_no, "evidence_words"]
        text = row.text
        for w in words:
            text = highlighted(text, w)
        marked.append(text)
    out["text"] = marked
    return out[["turn_no", "speaker", "begin_s", "evidence", "text"]]
