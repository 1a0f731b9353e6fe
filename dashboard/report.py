"""The executive summary's words and its printable export (pure functions, no Streamlit).

Why HTML and not PNG/PDF through kaleido: kaleido 1.x (the current release) no longer bundles a
browser; it drives a separately installed Chrome, which a dashboard server does not have by
default. A self-contained HTML file (plotly.js inlined, print stylesheet) works offline, prints to
PDF from any browser, and each chart keeps plotly's own "download as PNG" button.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import datetime

import plotly.graph_objects as go


def pct(value: float | None) -> str:
    """0.123 -> '12.3%' ('n/a' when unknown)."""
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def num(value: float | None, digits: int = 1) -> str:
    """A number with thousands separators ('n/a' when unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def money(value: float | None) -> str:
    """A currency-neutral amount: 1234567 -> '1.23M'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.2f}{suffix}"
    return f"{value:,.0f}"


def change(
    now: float | None, before: float | None, points: bool = False, absolute: bool = False
) -> str | None:
    """'+2.1 pts' (shares) / '+3.2' (scores such as NEV) / '+12.0%' versus the previous period;
    None when it cannot be compared."""
    if now is None or before is None or any(isinstance(v, float) and math.isnan(v) for v in (now, before)):
        return None
    if points:
        return f"{(now - before) * 100:+.1f} pts"
    if absolute:
        return f"{now - before:+.1f}"
    if before == 0:
        return None
    return f"{(now - before) / abs(before):+.1%}"


def _direction(now: float | None, before: float | None) -> str:
    if now is None or before is None or any(isinstance(v, float) and math.isnan(v) for v in (now, before)):
        return "with no earlier period to compare"
    if math.isclose(now, before, rel_tol=1e-9, abs_tol=1e-12):
        return "unchanged from the previous period"
    return "up from" if now > before else "down from"


def sentences(
    now: dict, before: dict | None, revenue_at_risk: float | None, window: str, risk_note: str | None = None
) -> dict[str, str]:
    """One plain sentence per headline figure, saying what it means (`risk_note`: why revenue at
    risk is unknown, from marts.revenue_at_risk.note)."""
    b = before or {}

    def versus(key: str, fmt) -> str:
        d = _direction(now.get(key), b.get(key))
        return d if not d.endswith("from") else f"{d} {fmt(b.get(key))} in the previous period"

    return {
        "revenue_at_risk": (
            f"About {money(revenue_at_risk)} of customer lifetime value is at risk from customers with a "
            "negative or repeated experience (CLV x churn uplift, all data)."
            if revenue_at_risk is not None
            else f"Revenue at risk is unknown: {risk_note}."
            if risk_note
            else "Revenue at risk is not in this build."
        ),
        "mean_nev": (
            f"NEV (text proxy) is {num(now.get('nev'))} on a -100..+100 scale, "
            f"{versus('nev', num)}; below 0 means negative emotions outweigh positive ones."
        ),
        "fcr_proxy": (
            f"{pct(now.get('fcr'))} of judged contacts were not followed by a same-reason contact "
            f"within the {window} (FCR proxy), {versus('fcr', pct)}; SQM calls 70-79% good."
        ),
        "repeat_rate_any": (
            f"{pct(now.get('repeat_rate'))} of judged contacts ({num(now.get('judged'), 0)}) "
            f"came back about anything within the {window}, {versus('repeat_rate', pct)}."
        ),
        "contact_volume": (
            f"{num(now.get('volume'), 0)} contacts in the period, {versus('volume', lambda v: num(v, 0))}."
        ),
    }


_CSS = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}
h1{font-size:1.6em} li{margin:.3em 0} .fig{page-break-inside:avoid;margin:1em 0}
@media print{.noprint{display:none}}"""


def printable_html(title: str, period: str, lines: Sequence[str], figures: Sequence[go.Figure]) -> bytes:
    """A self-contained, print-friendly HTML report (escape every text; plotly.js inlined once)."""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(period)} &middot; generated {datetime.now():%Y-%m-%d %H:%M}</p>",
        "<p class='noprint'>Use your browser's Print (Ctrl+P) to save as PDF.</p><ul>",
    ]
    parts += [f"<li>{html.escape(line)}</li>" for line in lines]
    parts.append("</ul>")
    for i, fig in enumerate(figures):
        parts.append("<div class='fig'>" + fig.to_html(full_html=False, include_plotlyjs=(i == 0)) + "</div>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")
