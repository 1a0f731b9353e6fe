"""Label sets: GoEmotions' 28 labels, its Ekman and sentiment groupings (Demszky et al., 2020)."""

from __future__ import annotations

import numpy as np

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")

# Order of `/work/shared/datasets/goemotions/labels.json` ("original"); the heads' output order.
GOEMOTIONS_LABELS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)

EKMAN_LABELS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")

# GoEmotions `ekman_mapping.json` (google-research/goemotions/data).
EKMAN_MAPPING: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism",
            "relief", "pride", "admiration", "desire", "caring"),
    "neutral": ("neutral",),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
}

# GoEmotions `sentiment_mapping.json`; neutral is its own group.
SENTIMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "positive": ("amusement", "excitement", "joy", "love", "desire", "optimism", "caring", "pride",
                 "admiration", "gratitude", "relief", "approval"),
    "negative": ("fear", "nervousness", "remorse", "embarrassment", "disappointment", "sadness",
                 "grief", "disgust", "anger", "annoyance", "disapproval"),
    "ambiguous": ("realization", "surprise", "curiosity", "confusion"),
    "neutral": ("neutral",),
}


def ekman_matrix() -> np.ndarray:
    """(28, 7) 0/1 matrix: column j selects the GoEmotions labels of Ekman label j."""
    m = np.zeros((len(GOEMOTIONS_LABELS), len(EKMAN_LABELS)), dtype=np.float32)
    for j, group in enumerate(EKMAN_LABELS):
        for label in EKMAN_MAPPING[group]:
            m[GOEMOTIONS_LABELS.index(label), j] = 1.0
    return m


def ekman(probs: np.ndarray) -> np.ndarray:
    """Ekman scores (n, 7) from GoEmotions probabilities (n, 28): the max over each group's labels.

    Max (not sum) keeps the scores probabilities in [0, 1] and comparable with per-label thresholds.
    """
    probs = np.asarray(probs, dtype=np.float32)
    m = ekman_matrix()
    return np.stack([probs[:, m[:, j] > 0].max(axis=1) for j in range(m.shape[1])], axis=1)


def ekman_labels_from_multi(y: np.ndarray) -> np.ndarray:
    """0/1 Ekman targets (n, 7) from 0/1 GoEmotions targets (n, 28)."""
    return (np.asarray(y) @ ekman_matrix() > 0).astype(np.int8)


def top_ekman(probs: np.ndarray) -> list[str]:
    """The single most probable Ekman label per row."""
    return [EKMAN_LABELS[i] for i in ekman(probs).argmax(axis=1)]
