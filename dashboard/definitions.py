"""What each figure means, with its source: from `marts.metric_definitions` when the build has it.

The defaults below restate `docs/domain.md` so the dashboard can explain a figure even on a build
that predates the definitions mart.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd


class Definition(NamedTuple):
    """One metric's label, meaning and citation."""

    label: str
    text: str
    source: str

    def help(self) -> str:
        """The hover text: meaning, then source."""
        return f"{self.text} Source: {self.source.rstrip('.')}."


DEFAULTS: dict[str, Definition] = {
    "contact_volume": Definition(
        "Contacts",
        "Customer interactions (calls, chats, emails, social posts) in the period.",
        "docs/domain.md, Interactions",
    ),
    "mean_nev": Definition(
        "NEV (text proxy)",
        "Net Emotional Value computed from text: model emotions mapped onto Colin Shaw's 20 emotions; "
        "per interaction 100*(P-N)/(P+N) in -100..+100, P and N the summed positive and negative "
        "probabilities; interactions without emotional content are left out, not counted as 0. "
        "Not Beyond Philosophy's survey NEV.",
        "Shaw, The DNA of Customer Experience (2007); docs/domain.md, NEV variant 3",
    ),
    "mean_sentiment": Definition(
        "Sentiment", "Mean customer sentiment score in [-1, 1].", "docs/domain.md, Sentiment and emotion"
    ),
    "repeat_rate_any": Definition(
        "Repeat rate (any issue)",
        "Judged contacts (known customer, window elapsed) followed by another contact from the same "
        "customer on any channel within the repeat window, over judged contacts. Transfers within "
        "the transfer gap are not repeats; provisional contacts are left out.",
        "QueueMetrics, Genesys Next Contact Avoidance; docs/domain.md, Repeat contacts",
    ),
    "fcr_proxy": Definition(
        "FCR (proxy)",
        "First contact resolution ~ 1 - same-issue repeat rate (same customer, same "
        "reason within the window), an internal proxy. SQM benchmarks: 67-70% average, 80%+ world class.",
        "SQM Group; docs/domain.md, FCR",
    ),
    "repeat_rate_same": Definition(
        "Repeat rate (same issue)",
        "Judged contacts followed by a contact about the same reason from the "
        "same customer within the repeat window, over judged contacts: the resolution failure.",
        "docs/domain.md, Repeat contacts",
    ),
    "negative_share": Definition(
        "Negative share",
        "Contacts with negative sentiment or NEV (text proxy) below 0, over contacts.",
        "docs/marts.md",
    ),
    "revenue_at_risk": Definition(
        "Revenue at risk",
        "Sum over affected customers of CLV x the uplift in churn probability "
        "associated with the negative experience (measured from churn flags, or a labelled heuristic).",
        "docs/domain.md, Customer lifetime value and revenue",
    ),
    "clv": Definition(
        "CLV",
        "Customer lifetime value: BG/NBD + Gamma-Gamma, margin-retention "
        "m*r/(1+d-r), or the source's own value; the method is stored with each value.",
        "Fader, Hardie & Lee (2005); docs/domain.md",
    ),
    "pareto": Definition(
        "Pareto", "Contact reasons sorted by volume with the cumulative share.", "docs/domain.md, Root causes"
    ),
    "value_irritant": Definition(
        "Value-irritant matrix",
        "Each reason placed by customer irritation (share of negative NEV and "
        "repeat share) and company cost (handle hours): Eliminate, Simplify, Automate, Leverage.",
        "Price & Jaffe, The Best Service is No Service (2008)",
    ),
    "impact": Definition(
        "Impact",
        "Overall metric minus the metric without the reason's contacts, with bootstrap "
        "confidence intervals. Association, not causation.",
        "docs/domain.md, Root causes",
    ),
    "channel_switch": Definition(
        "Channel switch",
        "A contact followed within the window by a repeat on another channel (e.g. chat then call).",
        "docs/domain.md, Channel switching",
    ),
}

_NAME = ("metric", "name", "metric_id", "key")
_TEXT = ("definition", "description", "text")
_SOURCE = ("source", "citation", "reference")
_LABEL = ("label", "display_name", "title")
_EXTRA = ("formula", "convention")


def _nev_label(label: str) -> str:
    # docs/domain.md: never present the text proxy as Beyond Philosophy's survey NEV.
    return (
        label
        if "text proxy" in label
        else label.replace("NEV", "NEV (text proxy)")
        if "NEV" in label
        else f"{label} (NEV text proxy)"
    )


def _first(columns: pd.Index, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in columns), None)


def _present(value: object) -> bool:
    return (
        value is not None and not (isinstance(value, float) and pd.isna(value)) and bool(str(value).strip())
    )


def merge(table: pd.DataFrame) -> dict[str, Definition]:
    """Defaults overridden by the rows of `marts.metric_definitions` (whatever it names its columns)."""
    out = dict(DEFAULTS)
    name, text = _first(table.columns, _NAME), _first(table.columns, _TEXT)
    if table.empty or name is None or text is None:
        return out
    source, label = _first(table.columns, _SOURCE), _first(table.columns, _LABEL)
    for row in table.to_dict("records"):
        key = str(row[name])
        base = out.get(key, Definition(key, "", "docs/domain.md"))
        text_value = str(row[text]).rstrip(". ") + "." if _present(row[text]) else base.text
        extra = " ".join(
            f"{c.capitalize()}: {row[c]}." for c in _EXTRA if c in table.columns and _present(row[c])
        )
        out[key] = Definition(
            str(row[label]) if label and _present(row[label]) else base.label,
            f"{text_value} {extra}".strip(),
            str(row[source]) if source and _present(row[source]) else base.source,
        )
    # The label rule of docs/domain.md wins over whatever a build calls it.
    for key in [k for k in out if "nev" in k]:
        out[key] = out[key]._replace(label=_nev_label(out[key].label))
    return out
