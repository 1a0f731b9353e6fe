"""Readable topic names from the data alone (no LLM here): c-TF-IDF keywords checked against texts.

A label is the topic's strongest phrase (a bigram when one ranks near the top, because "card
arrival" reads better than "card"), then a second keyword that adds a new word, e.g.
"Exchange rate / wrong". Labels are made unique within a model.
"""

from __future__ import annotations

from collections.abc import Sequence

OTHER_LABEL = "Other"
OTHER_ID = -1


def _words(phrase: str) -> set[str]:
    return set(phrase.lower().split())


def make_label(keywords: Sequence[str], texts: Sequence[str] = (), max_parts: int = 2) -> str:
    """A short name from ranked keywords; phrases found verbatim in `texts` are preferred.

    >>> make_label(["card", "arrive", "card arrive", "new card"], ["my new card did not arrive"])
    'New card / arrive'
    """
    keywords = [k for k in keywords if k and k.strip()]
    if not keywords:
        return "Unlabelled topic"
    corpus = " ".join(t.lower() for t in texts)
    # A bigram among the top five that occurs verbatim in the topic's texts beats a single word.
    head = keywords[0]
    for kw in keywords[:5]:
        if " " in kw and (not corpus or kw.lower() in corpus):
            head = kw
            break
    parts, used = [head], _words(head)
    for kw in keywords:
        if len(parts) >= max_parts:
            break
        new = _words(kw) - used
        if new and kw not in parts:
            parts.append(" ".join(w for w in kw.split() if w.lower() in new))
            used |= new
    label = " / ".join(parts)
    return label[:1].upper() + label[1:]


def unique_labels(labels: Sequence[str], keywords: Sequence[Sequence[str]]) -> list[str]:
    """Disambiguate equal labels by appending the first keyword the others do not share."""
    out = list(labels)
    seen: dict[str, list[int]] = {}
    for i, label in enumerate(out):
        seen.setdefault(label.lower(), []).append(i)
    for idxs in seen.values():
        if len(idxs) < 2:
            continue
        for n, i in enumerate(idxs):
            used = _words(out[i])
            extra = next((k for k in keywords[i] if not (_words(k) & used)), None)
            out[i] = f"{out[i]} ({extra})" if extra else f"{out[i]} ({n + 1})"
    return out
