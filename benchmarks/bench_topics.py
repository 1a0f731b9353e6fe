"""`make bench-topics`: fit time on 50,000 texts, assignment rate given stored embeddings, and the
rate of the reason-text cleaning (`pipelines.topics.cleaning`) that runs before both.

Corpus: GoEmotions train, banking77 test and CFPB narratives (~48k real texts, embedded once via
`cached_encode`), topped up to 50,000 with jittered copies (Gaussian noise sigma 0.02 on the
vector, a suffix on the text).
"""

from __future__ import annotations

import time

import numpy as np

from pipelines.topics import corpora
from pipelines.topics.cleaning import Vocabulary, brand_terms, clean_texts
from pipelines.topics.model import _normalise, fit_topics, nearest_topic
from pipelines.topics.settings import TopicSettings

N = 50_000


def corpus() -> tuple[list[str], np.ndarray]:
    parts = [(corpora.goemotions_texts(), "goemotions-train"),
             (corpora.banking77("test")["text"].tolist(), "banking77-test"),
             (corpora.cfpb_narratives()["text"].tolist(), "cfpb-narratives")]
    texts = [t for p, _ in parts for t in p]
    x = np.vstack([corpora.embed(p, name) for p, name in parts])
    rng = np.random.default_rng(0)
    extra = rng.integers(0, len(texts), N - len(texts))
    texts += [f"{texts[i]} (copy {n})" for n, i in enumerate(extra)]
    x = np.vstack([x, _normalise(x[extra] + rng.normal(0, 0.02, (len(extra), x.shape[1])).astype(np.float32))])
    return texts, x


def main() -> None:
    texts, x = corpus()
    # A vocabulary the size of TWCS's (119 brand terms, 30 agent names) on top of the first names.
    vocab = Vocabulary(brands=tuple(t for b in ("AmazonHelp", "XboxSupport", "SouthwestAir", "AskPlayStation")
                                    for t in brand_terms(b)) * 30, names=("sarah", "tom") * 15)
    start = time.perf_counter()
    clean_texts(texts, vocab)
    clean_s = time.perf_counter() - start
    print(f"cleaning: {len(texts)} texts in {clean_s:.1f} s ({len(texts) / clean_s:,.0f} texts/s)")
    s = TopicSettings()
    start = time.perf_counter()
    model = fit_topics(texts, x, s, "bench")
    fit_s = time.perf_counter() - start
    print(f"fit: {len(texts)} texts in {fit_s:.0f} s ({len(model.ids)} topics, other {model.other_share:.1%}, "
          f"parents {len({t['parent_id'] for t in model.topics})})")
    start = time.perf_counter()
    nearest_topic(x, model.centroids, np.asarray(model.ids), s.min_similarity)
    rate = len(x) / (time.perf_counter() - start)
    print(f"assign: {rate:,.0f} texts/s given stored embeddings (encoder on 2 cores: ~137 texts/s)")


if __name__ == "__main__":
    main()
