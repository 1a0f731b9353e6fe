"""Label sets and the Ekman grouping."""

from __future__ import annotations

import json

import numpy as np

from pipelines.models import sentiment_score
from pipelines.models.labels import (
    EKMAN_LABELS,
    EKMAN_MAPPING,
    GOEMOTIONS_LABELS,
    SENTIMENT_GROUPS,
    ekman,
    ekman_labels_from_multi,
    top_ekman,
)


def test_ekman_mapping_partitions_the_28_labels() -> None:
    members = [label for group in EKMAN_MAPPING.values() for label in group]
    assert sorted(members) == sorted(GOEMOTIONS_LABELS)
    assert set(EKMAN_MAPPING) == set(EKMAN_LABELS)
    grouped = [label for group in SENTIMENT_GROUPS.values() for label in group]
    assert sorted(grouped) == sorted(GOEMOTIONS_LABELS)


def test_ekman_scores_take_the_group_max() -> None:
    p = np.zeros((2, 28), dtype=np.float32)
    p[0, GOEMOTIONS_LABELS.index("annoyance")] = 0.7
    p[0, GOEMOTIONS_LABELS.index("anger")] = 0.2
    p[1, GOEMOTIONS_LABELS.index("curiosity")] = 0.4
    p[1, GOEMOTIONS_LABELS.index("gratitude")] = 0.3
    e = ekman(p)
    assert e.shape == (2, 7)
    assert e[0, EKMAN_LABELS.index("anger")] == np.float32(0.7)
    assert top_ekman(p) == ["anger", "surprise"]


def test_ekman_targets_from_multilabel() -> None:
    y = np.zeros((1, 28), dtype=int)
    y[0, GOEMOTIONS_LABELS.index("nervousness")] = 1
    y[0, GOEMOTIONS_LABELS.index("remorse")] = 1
    out = ekman_labels_from_multi(y)[0]
    assert [EKMAN_LABELS[i] for i in np.flatnonzero(out)] == ["fear", "sadness"]


def test_labels_match_the_dataset_file(shared_datasets) -> None:
    labels = json.loads((shared_datasets / "goemotions" / "labels.json").read_text())
    assert tuple(labels["original"]) == GOEMOTIONS_LABELS
    assert tuple(labels["ekman"]) == EKMAN_LABELS


def test_sentiment_score_is_p_pos_minus_p_neg() -> None:
    probs = np.array([[0.1, 0.2, 0.7], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(sentiment_score(probs), [0.6, -1.0, 0.0], atol=1e-6)
