"""Chart builders: pure functions from a DataFrame to a plotly Figure (no Streamlit inside).

Each point carries `customdata` = the value a drill-down narrows on, so a click on a bar or a
point can list the verbatims behind it.

Plotly renders a subset of HTML in titles, ticks, legends, hovers and annotations (`<a href>` as a
live link), and reasons, topic labels and customer ids come from customers' own text: every string
a figure shows goes through `escape` (`_layout`/`_empty` run `sanitize` on the finished figure;
plotly express builders escape their frame first with `_escaped`, since px writes values into
hover templates). `customdata` stays raw: it is the drill key, never displayed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

NEV = "NEV (text proxy)"
QUADRANT_COLORS = {
    "Eliminate": "#d62728",
    "Simplify": "#ff7f0e",
    "Automate": "#1f77b4",
    "Leverage": "#2ca02c",
}


_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt|quot|#39|#x27|#\d+);)")
# trace attributes that plotly draws as text (hovertemplate is ours; customdata is the drill key)
_TEXT_ATTRS = ("x", "y", "text", "hovertext", "labels", "parents", "ids")


def escape(value: object) -> object:
    """A string as plotly shows it literally: `<`, `>` and bare `&` as entities (idempotent).

    >>> escape('<a href="https://evil.example/login">x</a> & co')
    '&lt;a href="https://evil.example/login"&gt;x&lt;/a&gt; &amp; co'
    """
    if not isinstance(value, str):
        return value
    return _BARE_AMP.sub("&amp;", value).replace("<", "&lt;").replace(">", "&gt;")


def _escape_array(values: object) -> object:
    if isinstance(values, str):
        return escape(values)
    if isinstance(values, (tuple, list, np.ndarray, pd.Series)):
        array = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
        if array.dtype.kind in "OUT" and any(isinstance(v, str) for v in array.ravel()[:1000]):
            array = array.astype(object)
            return np.vectorize(escape, otypes=[object])(array) if array.size else array
    return values


def sanitize(fig: go.Figure) -> go.Figure:
    """Escape every string the figure draws (titles, axes, legends, ticks, hovers, annotations)."""
    layout = fig.layout
    if layout.title and layout.title.text:
        layout.title.text = escape(layout.title.text)
    for name in [k for k in layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]:
        axis = layout[name]
        if axis.title and axis.title.text:
            axis.title.text = escape(axis.title.text)
        if axis.ticktext is not None:
            axis.ticktext = _escape_array(axis.ticktext)
        if axis.categoryarray is not None:
            axis.categoryarray = _escape_array(axis.categoryarray)
    for note in layout.annotations or ():
        note.text = escape(note.text)
    if layout.legend and layout.legend.title and layout.legend.title.text:
        layout.legend.title.text = escape(layout.legend.title.text)
    for trace in fig.data:
        for attr in ("name", "legendgroup"):
            if attr in trace and isinstance(trace[attr], str):
                trace[attr] = escape(trace[attr])
        for attr in _TEXT_ATTRS:
            if attr in trace and trace[attr] is not None:
                trace[attr] = _escape_array(trace[attr])
    return fig


def _escaped(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy of `df` whose text `columns` are escaped (for plotly express, which bakes values into
    hover templates); keep raw copies of drill keys under other names for `custom_data`."""
    text = [c for c in columns if c in df and not pd.api.types.is_numeric_dtype(df[c])]
    return df.assign(**{c: df[c].astype(object).map(escape) for c in text})


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text="No data for these filters", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False, meta={"empty": True})
    return sanitize(fig)


def _layout(fig: go.Figure, title: str) -> go.Figure:
    # No template here: st.plotly_chart applies the Streamlit theme, and resolving a template costs
    # ~50 ms per figure on every rerun.
    fig.update_layout(
        title=title,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend_title_text="",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    return sanitize(fig)


def _keys(values: pd.Series) -> pd.Series:
    # Dates go to the browser and come back on a click: send them as 'YYYY-MM-DD' drill keys.
    if pd.api.types.is_datetime64_any_dtype(values) or values.map(lambda v: hasattr(v, "isoformat")).all():
        return pd.to_datetime(values).dt.strftime("%Y-%m-%d")
    return values


def is_empty(fig: go.Figure) -> bool:
    """True for the placeholder a builder returns when it had no rows."""
    return bool(fig.layout.meta and dict(fig.layout.meta).get("empty"))


def trend(df: pd.DataFrame, x: str, y: str, title: str, percent: bool = False) -> go.Figure:
    """A small line of one KPI over time (graph_objects: plotly express costs ~10x more per figure)."""
    if df.empty or df[y].isna().all():
        return _empty(title)
    fig = go.Figure(go.Scatter(x=df[x], y=df[y], mode="lines+markers", customdata=_keys(df[x]), name=y))
    if percent:
        fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(title=None, tickformat="%b %d")
    fig.update_yaxes(title=None)
    fig.update_layout(height=240, showlegend=False)
    return _layout(fig, title)


def staffing(df: pd.DataFrame, channel: str) -> go.Figure:
    """Forecast contacts and agents needed per hour, one above the other on a shared time axis: one
    figure instead of two (a browser draws each figure at a cost of its own)."""
    title = f"Forecast contacts and agents needed per hour: {channel}"
    if df.empty or df["forecast_contacts"].isna().all():
        return _empty(title)
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("Forecast contacts", "Agents needed"))
    for row, column in ((1, "forecast_contacts"), (2, "agents_needed")):
        fig.add_trace(go.Scatter(x=df["interval_start"], y=df[column], mode="lines+markers", name=column),
                      row=row, col=1)
    fig.update_xaxes(title=None, tickformat="%b %d %H:%M")
    fig.update_yaxes(title=None)
    fig.update_layout(height=420, showlegend=False)
    return _layout(fig, title)


def bar(
    df: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    drill: str | None = None,
    horizontal: bool = False,
    color: str | None = None,
) -> go.Figure:
    """Bars of `y` per `x` (one trace per `color` value); customdata is the `drill` column (default: x)."""
    if df.empty:
        return _empty(title)
    groups = df.groupby(color, sort=True) if color else [(None, df)]
    fig = go.Figure()
    for name, part in groups:
        xs, ys = (part[y], part[x]) if horizontal else (part[x], part[y])
        fig.add_bar(
            x=xs,
            y=ys,
            orientation="h" if horizontal else "v",
            customdata=_keys(part[drill or x]),
            name=str(name) if name is not None else y,
            showlegend=name is not None,
        )
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="stack")
    return _layout(fig, title)


def volume_by_channel(df: pd.DataFrame) -> go.Figure:
    """Stacked daily contacts per channel."""
    fig = bar(df, "day", "n", "Contacts per day and channel", drill="channel", color="channel")
    fig.update_yaxes(title="contacts")
    return fig


def sentiment_nev_trend(df: pd.DataFrame) -> go.Figure:
    """Weekly mean sentiment and NEV (text proxy), weighted by volume."""
    if df.empty:
        return _empty(f"Sentiment and {NEV} per week")
    week = pd.to_datetime(df["day"]).dt.to_period("W").dt.start_time
    g = df.assign(
        week=week, s=df["sentiment"] * df["n"], v=df["nev"] * df["n"], vn=df["n"].where(df["nev"].notna(), 0)
    )
    g = g.groupby("week", as_index=False)[["s", "v", "n", "vn"]].sum()
    g["sentiment"] = g["s"] / g["n"]
    g["nev"] = g["v"] / g["vn"].where(g["vn"] > 0)
    fig = go.Figure()
    fig.add_scatter(x=g["week"], y=g["nev"], name=NEV, mode="lines+markers", customdata=_keys(g["week"]))
    fig.add_scatter(
        x=g["week"],
        y=g["sentiment"],
        name="Sentiment (-1..1)",
        mode="lines+markers",
        yaxis="y2",
        customdata=_keys(g["week"]),
    )
    fig.update_layout(yaxis={"title": NEV}, yaxis2={"title": "Sentiment", "overlaying": "y", "side": "right"})
    return _layout(fig, f"Sentiment and {NEV} per week")


def trajectory(df: pd.DataFrame) -> go.Figure:
    """Customer sentiment at the start and at the end of calls and chats (a dumbbell per channel)."""
    if df.empty:
        return _empty("Sentiment trajectory within conversations")
    fig = go.Figure()
    for _, row in df.iterrows():
        fig.add_scatter(
            x=[row["start"], row["end"]],
            y=[row["channel"]] * 2,
            mode="lines+markers",
            showlegend=False,
            line={"color": "#999"},
            customdata=[row["channel"]] * 2,
        )
    for end in ("start", "end"):
        fig.add_scatter(
            x=df[end], y=df["channel"], mode="markers", name=end, marker={"size": 12}, customdata=df["channel"]
        )
    fig.update_xaxes(title="mean customer sentiment", range=[-1, 1])
    return _layout(fig, "Sentiment trajectory within conversations (start -> end)")


def pareto(df: pd.DataFrame) -> go.Figure:
    """Volume bars per reason with the cumulative share line and the 80% mark."""
    if df.empty:
        return _empty("Pareto of contact reasons")
    fig = go.Figure()
    fig.add_bar(x=df["reason"], y=df["n"], name="contacts", customdata=df["reason"])
    fig.add_scatter(
        x=df["reason"],
        y=df["cum_share"],
        name="cumulative share",
        yaxis="y2",
        mode="lines+markers",
        customdata=df["reason"],
    )
    fig.add_hline(y=0.8, line_dash="dot", yref="y2", annotation_text="80%")
    fig.update_layout(
        yaxis={"title": "contacts"},
        yaxis2={
            "title": "cumulative share",
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
            "range": [0, 1.05],
        },
    )
    return _layout(fig, "Pareto of contact reasons")


def hierarchy(df: pd.DataFrame) -> go.Figure:
    """Reason -> sub-reason sunburst sized by volume, coloured by NEV (text proxy); customdata = parent."""
    if df.empty:
        return _empty("Reason hierarchy")
    df = df.assign(parent=df["parent"].fillna("unassigned").astype(str), reason=df["reason"].astype(str))
    nev = df["nev"] * df["n"]
    tops = df.assign(w=nev.fillna(0), wn=df["n"].where(df["nev"].notna(), 0)).groupby(
        "parent", as_index=False
    )
    tops = tops.agg(n=("n", "sum"), w=("w", "sum"), wn=("wn", "sum"))
    tops["nev"] = tops["w"] / tops["wn"].where(tops["wn"] > 0)
    ids = [*tops["parent"], *(df["parent"] + "/" + df["reason"])]
    fig = go.Figure(
        go.Sunburst(
            ids=ids,
            labels=[*tops["parent"], *df["reason"]],
            parents=["" for _ in range(len(tops))] + list(df["parent"]),
            values=[*tops["n"], *df["n"]],
            branchvalues="total",
            customdata=[*tops["parent"], *df["parent"]],
            marker={
                "colors": [*tops["nev"], *df["nev"]],
                "colorscale": "RdYlGn",
                "cmin": -100,
                "cmax": 100,
                "colorbar": {"title": {"text": NEV}},
            },
            hovertemplate="%{label}: %{value} contacts<extra></extra>",
        )
    )
    return _layout(fig, "Reason hierarchy (reason -> sub-reason)")


def reason_trend(df: pd.DataFrame) -> go.Figure:
    """Weekly volume per reason."""
    if df.empty:
        return _empty("Weekly volume per reason")
    fig = go.Figure()
    for reason, part in df.groupby("reason", sort=True):
        fig.add_scatter(
            x=part["week"], y=part["n"], mode="lines+markers", name=str(reason), customdata=part["reason"]
        )
    fig.update_yaxes(title="contacts")
    return _layout(fig, "Weekly volume per reason")


def value_irritant(df: pd.DataFrame) -> go.Figure:
    """Reasons by company cost and customer irritation (0..1 ranks), coloured by the quadrant's action."""
    if df.empty:
        return _empty("Value-irritant matrix")
    fig = px.scatter(
        _escaped(df.assign(reason_key=df["reason"]), ["reason", "action"]),
        x="company_cost",
        y="irritation",
        size="volume",
        color="action",
        text="reason",
        custom_data=["reason_key"],
        color_discrete_map=QUADRANT_COLORS,
        hover_data=["negative_share", "repeat_rate", "cost_to_serve_s"],
        labels={
            "company_cost": "company cost (rank of cost to serve)",
            "irritation": "customer irritation (rank of negative share and repeat rate)",
        },
    )
    fig.add_vline(x=0.5, line_dash="dot")
    fig.add_hline(y=0.5, line_dash="dot")
    fig.update_traces(textposition="top center")
    return _layout(fig, "Value-irritant matrix (Price & Jaffe)")


def repeat_rates(df: pd.DataFrame, title: str) -> go.Figure:
    """Same-issue and any-issue rates per value of a dimension; the hover shows the denominator."""
    if df.empty:
        return _empty(title)
    fig = go.Figure()
    for scope, part in df.groupby("scope", sort=True):
        fig.add_bar(
            x=part["dim_value"],
            y=part["rate"],
            name=str(scope).replace("_", " "),
            customdata=part["dim_value"],
            text=part["numerator"].astype(str) + " / " + part["denominator"].astype(str),
            hovertemplate="%{x}: %{y:.1%} (%{text})<extra>%{fullData.name}</extra>",
            textposition="none",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", title="repeat rate")
    return _layout(fig, title)


def channel_switch(df: pd.DataFrame) -> go.Figure:
    """From-channel x to-channel heatmap of repeats."""
    if df.empty:
        return _empty("Channel switching")
    grid = df.pivot_table(index="from_channel", columns="to_channel", values="n", fill_value=0)
    fig = go.Figure(
        go.Heatmap(
            z=grid.values,
            x=list(grid.columns),
            y=list(grid.index),
            colorscale="Blues",
            text=grid.values,
            texttemplate="%{text}",
            hovertemplate="from %{y} to %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_xaxes(title="repeat on")
    fig.update_yaxes(title="first contact on")
    return _layout(fig, "Channel switching (first contact -> repeat)")


def timeline(df: pd.DataFrame, customer_id: str) -> go.Figure:
    """One customer's contacts in time, by channel, repeats marked."""
    title = f"Contacts of customer {customer_id}"
    if df.empty:
        return _empty(title)
    df = df.assign(kind=df["is_repeat"].map({True: "repeat", False: "first contact"}).fillna("first contact"))
    df = _escaped(df, ["reason", "channel", "sentiment_label"])
    fig = px.scatter(
        df,
        x="occurred_at",
        y="channel",
        color="reason",
        symbol="kind",
        custom_data=["interaction_id"],
        hover_data=["sentiment_label", "hours_since_prev"],
    )
    fig.update_traces(marker={"size": 14})
    fig.add_scatter(
        x=df["occurred_at"],
        y=df["channel"],
        mode="lines",
        line={"color": "#bbb"},
        showlegend=False,
        hoverinfo="skip",
    )
    return _layout(fig, title)


def impact(
    df: pd.DataFrame, label: str, value: str, low: str | None, high: str | None, title: str
) -> go.Figure:
    """Impact per reason with confidence intervals as error bars."""
    if df.empty:
        return _empty(title)
    df = df.sort_values(value)
    error = {}
    if low and high:
        error = {
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": df[high] - df[value],
                "arrayminus": df[value] - df[low],
            }
        }
    fig = go.Figure(go.Bar(x=df[value], y=df[label], orientation="h", customdata=df[label], **error))
    fig.add_vline(x=0, line_color="#444")
    return _layout(fig, title)


STATUS_SYMBOLS = {"active": "circle", "churned": "x", "unknown": "circle-open"}


def clv_nev(df: pd.DataFrame, median_clv: float | None = None) -> go.Figure:
    """Customers by CLV and mean NEV (text proxy), one trace per segment, churned customers as crosses;
    the quadrant lines at NEV 0 and `median_clv` (the median of every customer the points were chosen
    from; default: of the points). graph_objects: plotly express costs ~10x more per figure."""
    if df.empty:
        return _empty(f"CLV x {NEV}")
    status = df["churned"].map({True: "churned", False: "active"}).fillna("unknown")
    df = df.assign(status=status, segment=df["segment"].fillna("(none)").astype(str))
    fig = go.Figure()
    for segment, part in df.groupby("segment", sort=True):
        fig.add_scatter(
            x=part["nev"],
            y=part["clv"],
            mode="markers",
            name=segment,
            customdata=part["customer_id"],  # the drill key, never displayed
            hovertext=part["customer_id"].astype(str) + " (" + part["status"] + ")",
            hovertemplate=f"%{{hovertext}}<br>{NEV} %{{x:.2f}}<br>CLV %{{y:,.0f}}"
            "<extra>%{fullData.name}</extra>",
            marker={"symbol": part["status"].map(STATUS_SYMBOLS).tolist(), "opacity": 0.7},
        )
    fig.add_vline(x=0, line_dash="dot")
    fig.add_hline(y=float(df["clv"].median() if median_clv is None else median_clv), line_dash="dot")
    fig.update_xaxes(title=NEV)
    fig.update_yaxes(title="CLV")
    return _layout(fig, f"Customers: CLV x {NEV}")
