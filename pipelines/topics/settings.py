"""Settings of the topic stage: section `[topics]` of `voc.toml`, env `VOC_TOPICS_<FIELD>`.

Example `voc.toml`::

    [topics]
    seed = 42
    taxonomy = "taxonomy.yaml"
    languages = ["en"]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from pipelines.enrich.language import ENGLISH, UNDETERMINED
from pipelines.settings import load_section


@dataclass(frozen=True)
class TopicSettings:
    """Knobs of fit and assignment; defaults chosen by `make eval-topics` / `make bench-topics`."""

    seed: int = 42
    # Fit only on texts in these languages (ISO 639-1, from enriched.interaction_scores.language);
    # the packaged encoder is English-only.
    languages: tuple[str, ...] = ("en",)
    # Texts in other languages that the multilingual route handles (Polish, Chinese...) join the
    # reasons found on the fitted languages' texts across languages (see `crosslingual`); false:
    # they go to "other".
    crosslingual: bool = True
    min_fit_docs: int = 30
    max_fit_docs: int = 50_000
    # How topics are found (both inside BERTopic, on neighbour-smoothed embeddings):
    # "ward" = Ward agglomerative clustering on the k-nearest-neighbour graph, cut at a distance
    #          threshold; no random state, so seeds and document order cannot change the topics;
    # "hdbscan" = PCA + seeded UMAP + HDBSCAN (the BERTopic default recipe; stability NMI ~0.85-0.94).
    clustering: str = "ward"
    # Ward cut height; 0 = automatic from the corpus size (see model.auto_ward_threshold). Higher
    # means fewer, broader topics.
    ward_threshold: float = 0.0
    graph_neighbors: int = 15  # neighbours per text in Ward's connectivity graph
    # Smallest topic (smaller groups are dissolved into their nearest topics); 0 = automatic from the
    # corpus size (see model.auto_min_cluster_size). Also HDBSCAN's minimum cluster size.
    min_cluster_size: int = 0
    # hdbscan only:
    min_samples: int = 0  # 0 = automatic (a small fraction of min_cluster_size)
    umap_neighbors: int = 15
    umap_components: int = 5
    umap_min_docs: int = 500  # below this, PCA alone reduces (see model._reduce)
    pca_components: int = 50  # PCA before UMAP speeds up its neighbour search on 384-d vectors
    # Outlier reduction: a document joins its nearest topic centroid when the cosine similarity is
    # at least this; below it, it stays in "other" (id -1).
    min_similarity: float = 0.25
    # Re-fit matching: a new topic inherits an old id when their centroids' cosine is at least this.
    match_similarity: float = 0.80
    # A topic is named after the shipped reason library's entry (pipelines/topics/data/reasons.yaml)
    # when the cosine of its centre and the entry's description is at least this (calibrated in
    # `make eval-topics`); 1.0 turns the library off.
    library_similarity: float = 0.5
    # A topic is named after the first of its 3 best phrases that at least this share of its texts
    # contain; when none does and the library does not name it, its texts share no wording and it is
    # "Mixed reasons / <phrase>" (TWCS: "God" was the only phrase of a 73-text topic of thanks and
    # one-word replies, in 4% of them).
    min_name_share: float = 0.08
    n_keywords: int = 10
    n_representative: int = 3
    min_parents: int = 10
    max_parents: int = 30
    taxonomy: str = ""  # path to the business-owned taxonomy (YAML or TOML); empty = none
    model_dir: str = ""  # where fitted models live; empty = <warehouse folder>/topic_models

    @property
    def model_languages(self) -> tuple[str, ...]:
        """The languages the fitted model reads: `languages`, plus "und" (too few letters to tell)
        when English is among them, since enrichment scores such texts as English too."""
        if ENGLISH in self.languages and UNDETERMINED not in self.languages:
            return (*self.languages, UNDETERMINED)
        return self.languages


def load_topic_settings(path: Path | None = None, **overrides: object) -> TopicSettings:
    """`[topics]` from the settings file and env vars, then any keyword overrides (CLI flags)."""
    settings = load_section("topics", TopicSettings, path)
    clean = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(settings, **clean) if clean else settings
