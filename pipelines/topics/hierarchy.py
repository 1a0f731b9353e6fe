"""Two levels: contact reason (10-30 parents) -> sub-reason (the fitted topics).

Topics named after an entry of the reason library share that entry as their parent ("Late
flight" over "Late flight / gate" and "Late flight / delayed flight"). The others: Price & Jaffe
(docs/metrics.md, value-irritant matrix): fewer than ~10 reasons is too coarse to act on, more than
~60 too fine, so the unnamed topics' centroids are grouped by average-linkage cosine clustering into
`clip(n_unnamed / 4, min_parents, max_parents)` groups, at most as many as `max_parents` leaves
beside the library's parents. A parent's id is `PARENT_OFFSET + smallest child id`, so it survives
re-fits as long as its children keep their ids. Mixed topics (no phrase most of their texts share,
see `labels.make_label`) are passed as the group "Mixed reasons": one parent, not clusters of
unrelated leftovers under borrowed keywords."""

from __future__ import annotations

from collections import Counter

import numpy as np

PARENT_OFFSET = 1000


def n_parents(n_topics: int, min_parents: int = 10, max_parents: int = 30) -> int:
    """How many top-level reasons for `n_topics` sub-reasons (each its own parent when few)."""
    if n_topics <= min_parents:
        return n_topics
    return int(np.clip(round(n_topics / 4), min_parents, max_parents))


def group_topics(centroids: np.ndarray, k: int) -> np.ndarray:
    """Group labels (0..k-1) of each centroid row; deterministic (no random state involved)."""
    n = len(centroids)
    if k >= n:
        return np.arange(n)
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average").fit_predict(centroids)


def parent_label(child_keywords: list[list[str]], sizes: list[int], forms: dict[str, str] | None = None) -> str:
    """Name a parent by the keywords its children share, weighted by their sizes (a plural and its
    singular count once). `forms`: words as the texts write them ("iOS")."""
    from pipelines.topics.labels import MIXED_LABEL, stem

    votes: Counter[str] = Counter()
    for words, size in zip(child_keywords, sizes):
        for rank, word in enumerate(words[:5]):
            if " " not in word:
                votes[word] += size * (5 - rank)
    top: list[str] = []
    for word, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
        if all(stem(word) != stem(w) for w in top):  # "Burrito & burritos" says one thing
            top.append(word)
        if len(top) == 2:
            break
    top = [(forms or {}).get(w, w) for w in top]
    if not top:
        return MIXED_LABEL
    label = " & ".join(top)
    return label if top[0] != top[0].lower() else label[:1].upper() + label[1:]


def build_parents(
    ids: list[int],
    centroids: np.ndarray,
    sizes: list[int],
    keywords: list[list[str]],
    labels: list[str],
    min_parents: int = 10,
    max_parents: int = 30,
    groups: list[str | None] | None = None,
    forms: dict[str, str] | None = None,
) -> dict[int, tuple[int, str]]:
    """Map each topic id to (parent_topic_id, parent_topic_label); `groups`: library reason per topic;
    `forms`: words as the texts write them (see `parent_label`)."""
    if not ids:
        return {}
    named = groups or [None] * len(ids)
    out: dict[int, tuple[int, str]] = {}
    for name in sorted({g for g in named if g}):
        members = [i for i in range(len(ids)) if named[i] == name]
        pid = PARENT_OFFSET + min(ids[i] for i in members)
        for i in members:
            out[ids[i]] = (pid, name)
    rest = [i for i in range(len(ids)) if not named[i]]
    if not rest:
        return out
    # The unnamed topics get parents of their own, as many as `n_parents` would give them alone, within
    # what `max_parents` leaves beside the library's parents: subtracting the library's parents from
    # the whole model's count lumped 40 unnamed TWCS topics into one parent (51.5% of its customer texts).
    room = max(1, max_parents - len(set(filter(None, named))))
    k = min(n_parents(len(rest), min_parents, max_parents), room)
    clusters = group_topics(centroids[rest], min(k, len(rest)))
    for g in np.unique(clusters):
        members = [rest[j] for j in range(len(rest)) if clusters[j] == g]
        pid = PARENT_OFFSET + min(ids[i] for i in members)
        if len(members) == 1:
            name = labels[members[0]]  # a reason with one sub-reason keeps the readable name
        else:
            name = parent_label([keywords[i] for i in members], [sizes[i] for i in members], forms)
        for i in members:
            out[ids[i]] = (pid, name)
    return out
