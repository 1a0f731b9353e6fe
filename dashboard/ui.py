"""Rendering helpers the pages share: the friendly 'no warehouse' page, metrics with their definition,
charts that drill down to verbatims, verbatim tables rendered as text, export buttons."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import definitions
from dashboard import data, export, queries
from dashboard.filters import Filters

PAGE_ROWS = 25


def ready_or_stop() -> int:
    """The number of interactions; or a friendly page naming the build command, then stop."""
    try:
        return data.check_ready()
    except data.WarehouseMissing as exc:
        no_data_page(exc)
        raise  # no_data_page stops the script; this keeps type checkers honest


def no_data_page(exc: data.WarehouseMissing) -> None:
    """The page naming the command that fixes a missing or unreadable serving copy; stops the run."""
    unreadable = isinstance(exc, data.ServingCopyUnreadable)
    st.title("The data cannot be read" if unreadable else "No data to show yet")
    (st.error if unreadable else st.info)(str(exc))
    st.code(exc.command, language="bash")
    st.stop()


class Definition(NamedTuple):
    """One metric's label, meaning and citation, as `marts.metric_definitions` holds it."""

    label: str
    text: str
    source: str

    def help(self) -> str:
        """The hover text: meaning, then source."""
        return f"{self.text} Source: {self.source.rstrip('.')}."


def _nev_label(label: str) -> str:
    # docs/metrics.md: never present the text proxy as Beyond Philosophy's survey NEV.
    if "text proxy" in label:
        return label
    return label.replace("NEV", "NEV (text proxy)") if "NEV" in label else f"{label} (NEV text proxy)"


def merge(table: pd.DataFrame) -> dict[str, Definition]:
    """Definitions by metric from a `marts.metric_definitions`-shaped table (the project's own
    `analytics.definitions` when the build predates the mart); NEV figures keep their label rule."""
    rows = table if len(table) and {"metric", "definition"} <= set(table.columns) else definitions.table()
    out: dict[str, Definition] = {}
    for row in rows.to_dict("records"):
        text = str(row["definition"]).rstrip(". ") + "."
        extra = " ".join(
            f"{c.capitalize()}: {row[c]}."
            for c in ("formula", "convention")
            if isinstance(row.get(c), str) and row[c]
        )
        if isinstance(row.get("setting"), str) and row["setting"] not in ("", "-"):
            extra += f" Setting: {row['setting']}."
        label = str(row.get("label") or row["metric"])
        out[str(row["metric"])] = Definition(
            _nev_label(label) if "nev" in str(row["metric"]) else label,
            f"{text} {extra}".strip(),
            str(row.get("source") or definitions.DOC),
        )
    return out


def defs() -> dict[str, Definition]:
    """Metric definitions of this build."""
    return merge(data.mart("metric_definitions"))


def metric(
    col: st.delta_generator.DeltaGenerator,
    key: str,
    value: str,
    delta: str | None = None,
    delta_color: str = "normal",
    trend: Sequence[float] | None = None,
) -> None:
    """A metric whose hover text is its definition and source; `trend` (e.g. the weekly values) is drawn
    under it as a sparkline (Streamlit's own, which needs no plotly.js)."""
    d = defs().get(key, Definition(key, "", definitions.DOC))
    col.metric(d.label, value, delta, help=d.help(), delta_color=delta_color,
               chart_data=list(trend) if trend is not None and len(trend) > 1 else None)


def on_demand(label: str, key: str) -> st.delta_generator.DeltaGenerator | None:
    """A collapsed expander whose content runs only once it is opened (Streamlit's lazy expander,
    `on_change="rerun"`): the container while open, else None.

    A fresh tab's first chart costs the browser plotly.js (about 1.7 s of CPU on this project's 2-core
    machine, each further chart about 0.2 s: benchmarks/bench_dashboard.py), so a page keeps its
    secondary charts here and draws them when asked; it stays open across the session's reruns.
    """
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def explain(*keys: str) -> None:
    """An expander with the definitions of the figures shown."""
    table = defs()
    with st.expander("What these figures mean"):
        for key in keys:
            if key in table:
                d = table[key]
                st.markdown(f"**{d.label}**")  # our own text, never customer data
                st.text(f"{d.text}\nSource: {d.source}")


def _picked(event: object) -> object | None:
    try:
        points = event.selection.points  # type: ignore[attr-defined]
    except AttributeError:
        return None
    for point in points or []:
        value = point.get("customdata")
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            return value
    return None


def chart(
    fig: go.Figure,
    key: str,
    column: str | None = None,
    choices: Sequence[object] = (),
    filters: Filters | None = None,
) -> None:
    """Show a figure; a click on a point, or the select box, lists the verbatims behind it."""
    if column is None:
        st.plotly_chart(fig, key=key, width="stretch")
        return
    event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode=("points",), width="stretch")
    clicked = _picked(event)
    options = [None, *dict.fromkeys(choices)]
    if clicked is not None and clicked not in options:
        options.append(clicked)
    drill_key, seen_key = f"{key}_drill", f"{key}_last_click"
    # A new click wins over the select box (whose own state would otherwise keep the old choice).
    if clicked is not None and st.session_state.get(seen_key) != clicked:
        st.session_state[drill_key] = clicked
    st.session_state[seen_key] = clicked
    if st.session_state.get(drill_key) not in options:
        st.session_state[drill_key] = None
    chosen = st.selectbox(
        f"Verbatims behind this chart ({column.replace('_', ' ')})",
        options,
        format_func=lambda v: "choose, or click the chart" if v is None else str(v),
        key=drill_key,
    )
    if chosen is not None:
        verbatim_table(filters or Filters(), ((column, chosen),), key=f"{key}_rows")


def pager(total: int, key: str, noun: str, page_rows: int = PAGE_ROWS) -> int:
    """A page number box when `total` rows fill more than one page (else their count); returns the
    offset of the chosen page's first row."""
    pages = max(1, -(-total // page_rows))
    if pages == 1:
        st.caption(f"{total:,} {noun}")
        return 0
    page = int(st.number_input(f"Page (of {pages}, {total:,} {noun})", 1, pages, 1, key=f"{key}_page"))
    return (page - 1) * page_rows


def verbatim_table(
    filters: Filters,
    drill: tuple[tuple[str, object], ...] = (),
    key: str = "rows",
    page_rows: int = PAGE_ROWS,
    selectable: bool = False,
) -> pd.DataFrame:
    """One page of matching interactions, rendered as plain text cells, with a pager.

    With `selectable`, the clicked row's interaction_id is in `st.session_state[key + "_clicked"]`.
    """
    total = queries.count_verbatims(filters, drill)
    offset = pager(total, key, "interactions", page_rows)
    rows = queries.verbatims(filters, drill, page_rows, offset)
    # st.dataframe renders cells as text: markdown or HTML typed by a customer never renders.
    if not selectable:
        st.dataframe(rows, hide_index=True, width="stretch", key=f"{key}_table")
        return rows
    event = st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        key=f"{key}_table",
        on_select="rerun",
        selection_mode="single-row",
    )
    picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    st.session_state[f"{key}_clicked"] = rows["interaction_id"].iloc[picked[0]] if picked else None
    return rows


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(value: object) -> str:
    """Data (reason labels, channel names...) made literal inside a markdown caption."""
    return _MD_SPECIAL.sub(r"\\\1", str(value))


def text_block(label: str, value: object) -> None:
    """A customer's words, shown as literal text."""
    st.caption(label)
    st.text("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def downloads(rows: pd.DataFrame | Callable[[], pd.DataFrame], name: str, key: str) -> None:
    """CSV, Excel and Parquet of `rows` (formulas neutralised): the rows shown, or a function that reads
    a whole list the page shows one page of (run only when a button is clicked)."""
    cols = st.columns(3)
    for col, fmt in zip(cols, ("csv", "xlsx", "parquet"), strict=True):
        # Deferred: the file is written only when clicked, not on every rerun.
        col.download_button(
            f"Download {fmt.upper()}",
            functools.partial(_export, fmt, rows),
            file_name=f"{name}.{fmt}",
            mime=export.MIME[fmt],
            key=f"{key}_{fmt}",
            on_click="ignore",
        )


def _export(fmt: str, rows: pd.DataFrame | Callable[[], pd.DataFrame]) -> bytes:
    return export.WRITERS[fmt](rows if isinstance(rows, pd.DataFrame) else rows())
