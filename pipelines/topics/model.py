"""Fit, assign and persist the contact-reason model.

Fit (BERTopic with swappable stages, chosen by `make eval-topics`):
  1. neighbour smoothing: each embedding is averaged with its 10 nearest neighbours (searched on a
     deterministic PCA-50 projection), which pulls short, noisy utterances towards their intent;
  2. clustering inside BERTopic (identity dimensionality reduction), `[topics] clustering`:
     - "ward" (default): Ward agglomerative clustering constrained to the k-nearest-neighbour graph,
       cut at a height derived from the corpus size (`auto_ward_threshold`), so the number of topics
       is never a user's guess. No random state: another seed or document order gives the same
       topics (banking77: NMI 0.82 vs 0.81 for the UMAP + HDBSCAN recipe);
     - "hdbscan": PCA to 50 dims, seeded UMAP to 5 dims, HDBSCAN with a corpus-size minimum cluster size;
     groups smaller than the minimum topic size are dissolved ("other" until step 3);
  3. outlier reduction: every document joins its nearest topic centroid (cosine, in the original
     embedding space) when the similarity is at least `min_similarity`; the rest is "other" (-1);
  4. names (see `labels`): noun phrases of the members' cleaned texts ranked by c-TF-IDF and
     closeness to the topic's centre, and the shipped reason library's name when the centre is close
     to one of its entries.
Assignment of new texts is the same nearest-centroid rule: one matrix product, no refit.
The model is `centroids.safetensors` + `model.json` (no pickle) under `<model_dir>/<version>/`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from pipelines.errors import UserError
from pipelines.topics import labels as tl
from pipelines.topics.labels import OTHER_ID
from pipelines.topics.settings import TopicSettings

CONFIDENCE_TEMPERATURE = 0.05  # softmax temperature over cosine similarities for the confidence
SMOOTHING_NEIGHBOURS = 10
MAX_REPRESENTATIVE_CHARS = 280


class TopicsError(UserError, ValueError):
    """Topic fitting or assignment cannot proceed; the message says why and what to do."""


@dataclass
class TopicModel:
    """A fitted model: one centroid per topic plus what a reader needs to show it."""

    version: str
    encoder: str
    seed: int
    ids: list[int]
    centroids: np.ndarray  # (k, dim) float32, L2-normalised, row i belongs to ids[i]
    topics: list[dict]  # per topic: id, label, keywords, representative_texts, size, parent_id, parent_label
    n_docs: int = 0
    other_share: float = 0.0
    previous_version: str | None = None
    matching: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    created_at: str = ""
    cleaning: dict = field(default_factory=dict)  # the learned cleaning.Vocabulary (as_dict)
    naming: str = ""  # labels.naming_version() of the method that named the topics

    def topic(self, topic_id: int) -> dict:
        return next(t for t in self.topics if t["id"] == topic_id)


def auto_min_cluster_size(n_docs: int) -> int:
    """Smallest topic (and HDBSCAN's minimum cluster size) from the corpus size: 15 for 3k texts, 60 for 50k."""
    return max(5, int(round(n_docs**0.5 / 3.7)))


def auto_ward_threshold(n_docs: int) -> float:
    """Ward cut height from the corpus size: 3.0 for 3k texts, 6.0 for 50k.

    Ward's merge cost grows with the square root of cluster size, and topic sizes grow like the
    square root of the corpus (as `auto_min_cluster_size`), hence the fourth root.
    """
    return round(0.4 * max(n_docs, 1) ** 0.25, 2)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _neighbours(x: np.ndarray, k: int) -> np.ndarray:
    """(n, k) indices of each row's k nearest other rows, nearest first, searched on a PCA-50 projection.

    Exact search with a full SVD and stable sorts: no random state, so the result does not depend on
    the seed, and (up to exact ties) not on the row order.
    """
    from sklearn.decomposition import PCA

    n = len(x)
    k = min(k, n - 1)
    if k < 1:
        return np.zeros((n, 0), dtype=np.int64)
    dims = min(50, x.shape[1], n)
    z = _normalise(PCA(dims, svd_solver="full").fit_transform(x))
    out = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, 2048):  # blocks keep memory at 2048 x n floats
        sims = z[start : start + 2048] @ z.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf  # never one's own neighbour
        part = np.argpartition(-sims, kth=k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
        out[start : start + 2048] = np.take_along_axis(part, order, axis=1)
    return out


def _smooth(x: np.ndarray, neighbours: np.ndarray, k: int) -> np.ndarray:
    """Average each vector with its k nearest neighbours."""
    k = min(k, neighbours.shape[1])
    if k < 1:
        return x
    return _normalise((x[neighbours[:, :k]].sum(axis=1) + x) / (k + 1))


def _reduce(x: np.ndarray, s: TopicSettings) -> np.ndarray:
    """PCA then seeded UMAP; tiny corpora get settings UMAP can handle."""
    import umap
    from sklearn.decomposition import PCA

    n = len(x)
    if n < s.umap_min_docs:
        # A few hundred points give UMAP too thin a neighbour graph (and its JIT costs ~30 s):
        # PCA alone is the deterministic, fast reduction there.
        return PCA(max(1, min(s.umap_components, x.shape[1], n - 1)), random_state=s.seed).fit_transform(x)
    dims = min(s.pca_components, x.shape[1], n)
    z = PCA(dims, random_state=s.seed).fit_transform(x)
    reducer = umap.UMAP(
        n_neighbors=max(2, min(s.umap_neighbors, n - 1)),
        n_components=max(2, min(s.umap_components, n - 2)),
        min_dist=0.0,
        metric="cosine",
        random_state=s.seed,
        low_memory=True,
        init="spectral" if n > 100 else "random",
    )
    return reducer.fit_transform(z)


def nearest_topic(x: np.ndarray, centroids: np.ndarray, ids: np.ndarray, min_similarity: float) -> tuple[np.ndarray, np.ndarray]:
    """(topic id, confidence) of each row; below `min_similarity` the id is -1 ("other")."""
    if len(centroids) == 0 or len(x) == 0:
        return np.full(len(x), OTHER_ID, dtype=np.int64), np.zeros(len(x), dtype=np.float64)
    sims = _normalise(x) @ centroids.T
    best = sims.argmax(axis=1)
    top = sims[np.arange(len(x)), best]
    weights = np.exp((sims - top[:, None]) / CONFIDENCE_TEMPERATURE)
    confidence = 1.0 / weights.sum(axis=1)
    topic = np.asarray(ids, dtype=np.int64)[best]
    topic[top < min_similarity] = OTHER_ID
    return topic, confidence.astype(np.float64)


class WardClustering:
    """Ward agglomerative clustering on a k-nearest-neighbour graph, as a BERTopic cluster model.

    `fit(x)` sets `labels_` (groups smaller than `min_size` get -1); deterministic by construction.
    """

    def __init__(self, neighbours: np.ndarray, threshold: float, min_size: int) -> None:
        self.neighbours = neighbours
        self.threshold = threshold
        self.min_size = min_size
        self.labels_ = np.zeros(0, dtype=np.int64)

    def fit(self, x: np.ndarray, y=None) -> "WardClustering":
        import warnings

        from scipy import sparse
        from sklearn.cluster import AgglomerativeClustering

        n, k = self.neighbours.shape
        if n < 2:
            self.labels_ = np.zeros(n, dtype=np.int64)
            return self
        graph = sparse.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), self.neighbours.ravel())), shape=(n, n))
        ward = AgglomerativeClustering(n_clusters=None, distance_threshold=self.threshold, linkage="ward",
                                       connectivity=graph)
        with warnings.catch_warnings():
            # A graph in several pieces is expected (isolated themes); sklearn joins them itself.
            warnings.filterwarnings("ignore", message="the number of connected components")
            labels = ward.fit_predict(x)
        sizes = np.bincount(labels)
        self.labels_ = np.where(sizes[labels] < self.min_size, OTHER_ID, labels).astype(np.int64)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        raise TopicsError("WardClustering has no predict: assign new texts with model.nearest_topic")


def _cluster(docs: list[str], x: np.ndarray, s: TopicSettings):
    """BERTopic over the normalised embeddings `x`: smoothing, then Ward or UMAP + HDBSCAN, then c-TF-IDF."""
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction

    if s.clustering not in ("ward", "hdbscan"):
        raise TopicsError(f"unknown [topics] clustering {s.clustering!r}; use \"ward\" or \"hdbscan\" in voc.toml")
    n = len(docs)
    mcs = s.min_cluster_size or auto_min_cluster_size(n)
    mcs = min(mcs, max(2, n // 2))
    neighbours = _neighbours(x, max(SMOOTHING_NEIGHBOURS, s.graph_neighbors))
    smoothed = _smooth(x, neighbours, SMOOTHING_NEIGHBOURS)
    if s.clustering == "ward":
        reduced = smoothed
        cluster_model = WardClustering(neighbours[:, : s.graph_neighbors], s.ward_threshold or auto_ward_threshold(n), mcs)
    else:
        from hdbscan import HDBSCAN

        reduced = _reduce(smoothed, s)
        cluster_model = HDBSCAN(min_cluster_size=mcs, min_samples=s.min_samples or min(5, mcs),
                                cluster_selection_method="eom")
    model = BERTopic(
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=cluster_model,
        vectorizer_model=_vectorizer(n),
        calculate_probabilities=False,
        top_n_words=s.n_keywords,
    )
    labels, _ = model.fit_transform(docs, embeddings=reduced)
    return model, np.asarray(labels)


def _vectorizer(n_docs: int):
    from sklearn.feature_extraction.text import CountVectorizer

    # Bigrams make names readable ("exchange rate"). No min_df: BERTopic counts per-topic documents,
    # where min_df=2 would drop exactly the words that are specific to one topic.
    return CountVectorizer(stop_words="english", ngram_range=(1, 2), token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")


def fit_topics(texts: list[str], embeddings: np.ndarray, settings: TopicSettings, encoder: str,
               previous: TopicModel | None = None, embed: tl.Embed | None = None,
               cleaning: dict | None = None) -> TopicModel:
    """Fit a model on `texts` (cleaned reason texts, sorted by id for determinism) and their embeddings.

    `embed` (texts -> vectors of the same encoder) ranks name phrases and matches the reason
    library; without it names come from c-TF-IDF alone. `cleaning` (the learned
    `cleaning.Vocabulary`) is stored in the model, so assignment cleans texts as the fit did.
    """
    from pipelines.topics import crosslingual, hierarchy, matching

    n = len(texts)
    if n == 0:
        raise TopicsError("no customer texts to fit topics on: ingest and enrich interactions first "
                          "(python -m pipelines ingest ..., python -m pipelines enrich)")
    if n < settings.min_fit_docs:
        raise TopicsError(f"only {n} texts to fit topics on, at least {settings.min_fit_docs} are needed; "
                          "add data or lower [topics] min_fit_docs in voc.toml")
    if embeddings.shape[0] != n:
        raise TopicsError(f"{n} texts but {embeddings.shape[0]} embeddings; re-run python -m pipelines enrich")
    x = _normalise(embeddings)
    _, labels = _cluster(texts, x, settings)
    found = sorted(set(labels.tolist()) - {OTHER_ID})
    if not found:  # HDBSCAN saw no structure (tiny or uniform corpus): one topic holds everything
        labels = np.zeros(n, dtype=np.int64)
        found = [0]
    centroids = _normalise(np.stack([x[labels == t].mean(axis=0) for t in found]))
    final, _ = nearest_topic(x, centroids, np.arange(len(found)), settings.min_similarity)
    # Order topics by size (ties: the earliest document), so ids read as a Pareto and never depend on
    # HDBSCAN's internal numbering.
    order = sorted({int(t) for t in final} - {OTHER_ID},
                   key=lambda t: (-int((final == t).sum()), int(np.argmax(final == t))))
    remap = {old: new for new, old in enumerate(order)}
    final = np.array([remap.get(int(t), OTHER_ID) for t in final], dtype=np.int64)
    centroids = _normalise(np.stack([x[final == t].mean(axis=0) for t in range(len(order))]))
    ids, match_report = matching.match_ids(centroids, previous, settings.match_similarity)
    candidates = tl.rank_phrases(texts, final, len(order))
    keywords = tl.choose_phrases(candidates, centroids, embed, settings.n_keywords)
    closest = tl.match_library(centroids, embed)
    reasons = [best if best is not None and sim >= settings.library_similarity else None for best, sim in closest]
    topics = []
    for i, tid in enumerate(ids):
        members = np.flatnonzero(final == i)
        reason, (best, similarity) = reasons[i], closest[i]
        phrase, share = tl.name_phrase(candidates[i], keywords[i], len(members), settings.min_name_share)
        topics.append({"id": tid, "keywords": keywords[i], "size": int(len(members)),
                       "phrase": phrase, "phrase_share": round(share, 4),
                       "library_reason": reason.name if reason else None,
                       "library_group": reason.group if reason else None,
                       "library_best": best.name if best else None, "library_similarity": round(similarity, 4),
                       "representative_texts": _representatives(texts, x, members, centroids[i],
                                                                settings.n_representative),
                       "anchor_texts": crosslingual.anchor_texts(texts, x, members, centroids[i])})
    forms = tl.surface_forms(texts, {w for t in topics for k in t["keywords"][:5] for w in k.split()})
    mixed = [r is None and t["phrase_share"] < settings.min_name_share for t, r in zip(topics, reasons)]
    names = tl.unique_labels([tl.make_label(t["phrase"], r, t["phrase_share"], settings.min_name_share, forms)
                              for t, r in zip(topics, reasons)], [t["keywords"] for t in topics])
    for topic, name in zip(topics, names):
        topic["label"] = name
    matching.inherit_labels(topics, previous, match_report, tl.naming_version())
    parents = hierarchy.build_parents(ids, centroids, [t["size"] for t in topics],
                                      [t["keywords"] for t in topics],
                                      [t["label"] for t in topics], settings.min_parents, settings.max_parents,
                                      groups=[t["library_reason"] or (tl.MIXED_LABEL if m else None)
                                              for t, m in zip(topics, mixed)], forms=forms)
    for topic in topics:
        topic["parent_id"], topic["parent_label"] = parents[topic["id"]]
    return TopicModel(
        version=_version(texts, encoder, settings), encoder=encoder, seed=settings.seed, ids=ids,
        centroids=centroids, topics=topics, n_docs=n, other_share=float((final == OTHER_ID).mean()),
        previous_version=previous.version if previous else None, matching=match_report,
        settings=dataclasses.asdict(settings), created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        cleaning=cleaning or {}, naming=tl.naming_version(),
    )


def _representatives(texts: list[str], x: np.ndarray, members: np.ndarray, centroid: np.ndarray, k: int) -> list[str]:
    """The k distinct member texts closest to the centroid (the topic's most typical verbatims)."""
    if len(members) == 0:
        return []
    order = members[np.argsort(-(x[members] @ centroid), kind="stable")]
    out: list[str] = []
    for i in order:
        text = " ".join(texts[i].split())[:MAX_REPRESENTATIVE_CHARS]
        if text and text not in out:
            out.append(text)
        if len(out) == k:
            break
    return out


def _version(texts: list[str], encoder: str, settings: TopicSettings) -> str:
    """A content hash: the same texts, encoder and settings give the same version string."""
    digest = hashlib.sha1(encoder.encode())
    digest.update(json.dumps(dataclasses.asdict(settings), sort_keys=True, default=str).encode())
    for text in texts:
        digest.update(hashlib.md5(text.encode()).digest())
    return "tm-" + digest.hexdigest()[:12]


def save_model(model: TopicModel, model_dir: Path) -> Path:
    """Write `<model_dir>/<version>/centroids.safetensors` and `model.json`; returns the folder."""
    from safetensors.numpy import save_file

    folder = Path(model_dir) / model.version
    folder.mkdir(parents=True, exist_ok=True)
    save_file({"centroids": np.ascontiguousarray(model.centroids, dtype=np.float32),
               "ids": np.asarray(model.ids, dtype=np.int64)}, str(folder / "centroids.safetensors"))
    meta = {k: v for k, v in dataclasses.asdict(model).items() if k not in ("centroids", "ids")}
    tmp = folder / "model.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / "model.json")
    return folder


def load_model(folder: Path) -> TopicModel:
    """Read a model saved by `save_model`."""
    from safetensors.numpy import load_file

    folder = Path(folder)
    if not (folder / "model.json").exists():
        raise TopicsError(f"no topic model at {folder}; fit one with: python -m pipelines topics fit")
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    arrays = load_file(str(folder / "centroids.safetensors"))
    return TopicModel(centroids=arrays["centroids"], ids=[int(i) for i in arrays["ids"]], **meta)
