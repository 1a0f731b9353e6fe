"""Stable topic ids across re-fits: each new topic is matched to the previous version's.

One-to-one matching (Hungarian, on centroid cosine similarity) keeps the id, and the name a user
has seen, of every new topic whose centroid is close enough to an old one; the rest get fresh ids
above every id used before, so an id never changes meaning.
"""

from __future__ import annotations

import numpy as np


def match_ids(centroids: np.ndarray, previous, threshold: float) -> tuple[list[int], dict]:
    """Ids for the new topics (rows of `centroids`, in size order) and a report of what changed."""
    n = len(centroids)
    if previous is None or len(previous.ids) == 0:
        return list(range(n)), {"matched": 0, "new": n, "retired": 0, "changed": n}
    from scipy.optimize import linear_sum_assignment

    sims = centroids @ np.asarray(previous.centroids).T
    rows, cols = linear_sum_assignment(-sims)
    ids: list[int | None] = [None] * n
    for r, c in zip(rows, cols):
        if sims[r, c] >= threshold:
            ids[r] = int(previous.ids[c])
    next_id = max(max(previous.ids), previous.matching.get("max_id", -1)) + 1
    for i in range(n):
        if ids[i] is None:
            ids[i] = next_id
            next_id += 1
    matched = sum(1 for i in ids if i in set(previous.ids))
    report = {"matched": matched, "new": n - matched, "retired": len(previous.ids) - matched,
              "changed": (n - matched) + (len(previous.ids) - matched), "max_id": next_id - 1}
    return [int(i) for i in ids], report


def inherit_labels(topics: list[dict], previous, report: dict, naming: str = "") -> None:
    """Matched topics keep the previous version's label, so names do not drift between fits.

    Only from a model named by the same method (`naming`): a name from an older method (which
    named reasons after brands) is not carried forward.
    """
    if previous is None or getattr(previous, "naming", "") != naming:
        return
    old = {t["id"]: t["label"] for t in previous.topics}
    for topic in topics:
        if topic["id"] in old:
            topic["label"] = old[topic["id"]]
