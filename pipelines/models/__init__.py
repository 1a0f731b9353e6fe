"""Sentiment, emotion and NEV (text proxy) models on the shared all-MiniLM-L6-v2 encoder.

Two protocols, one default each built from settings (`[models]` in voc.toml):

- `SentimentModel`: negative/neutral/positive probabilities (n, 3) and a score in [-1, 1].
- `EmotionModel`: 28 GoEmotions probabilities (n, 28) with calibrated per-label thresholds.

`"builtin"` loads our heads (`models/sentiment`, `models/emotion`), which read the shared encoder's
embeddings (`needs_embeddings = True`: the caller encodes each text once for every head and the
topic model). Any other value is a Hugging Face sequence-classification model id or local directory
(`pipelines.models.hf`), which runs its own forward pass (`needs_embeddings = False`).

`mode = "fast"` swaps the encoder for a static model2vec distillation (`pipelines.models.fast`) and
the builtin heads for the ones trained on it (`models/fast/`); `load_encoder` builds either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from pipelines.models.labels import EKMAN_LABELS, GOEMOTIONS_LABELS, SENTIMENT_LABELS, ekman
from pipelines.models.settings import MODES, ModelSettings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODELS_DIR = REPO_ROOT / "models"

__all__ = [
    "EKMAN_LABELS", "GOEMOTIONS_LABELS", "MODES", "SENTIMENT_LABELS", "EmotionModel", "ModelSettings",
    "SentimentModel", "ekman", "load_emotion", "load_encoder", "load_sentiment", "load_settings",
    "sentiment_score",
]


def sentiment_score(probs: np.ndarray) -> np.ndarray:
    """Score in [-1, 1] = p(positive) - p(negative); neutral mass pulls it toward 0."""
    probs = np.asarray(probs, dtype=np.float32)
    return probs[:, SENTIMENT_LABELS.index("positive")] - probs[:, SENTIMENT_LABELS.index("negative")]


@runtime_checkable
class SentimentModel(Protocol):
    """Three-class sentiment in `SENTIMENT_LABELS` order."""

    version: str
    labels: tuple[str, ...]
    needs_embeddings: bool

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, 3) probabilities; `embeddings` (n, 384) from the shared encoder when needs_embeddings."""
        ...


@runtime_checkable
class EmotionModel(Protocol):
    """Multi-label emotion over the 28 GoEmotions labels."""

    version: str
    labels: tuple[str, ...]
    thresholds: np.ndarray
    needs_embeddings: bool

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, 28) independent probabilities."""
        ...


def _models_dir(settings: ModelSettings) -> Path:
    base = Path(settings.models_dir) if settings.models_dir else DEFAULT_MODELS_DIR
    # The fast heads read the static encoder's vectors, so they live apart from the full ones.
    return base / "fast" if settings.mode == "fast" else base


def load_encoder(settings: ModelSettings | None = None):  # -> Encoder | FastEncoder
    """The encoder the settings' mode names: the transformer ("full") or the static distillation ("fast")."""
    s = settings or load_settings()
    if s.mode == "fast":
        from pipelines.models.fast import FastEncoder

        return FastEncoder.from_settings(s)
    from pipelines.models.encoder import Encoder

    return Encoder.from_settings(s)


def load_sentiment(settings: ModelSettings | None = None) -> SentimentModel:
    """The sentiment model the settings name ("builtin" head, or an HF id/dir)."""
    s = settings or load_settings()
    if s.sentiment_model in ("", "builtin"):
        from pipelines.models.heads import HeadSentimentModel

        return HeadSentimentModel.load(_models_dir(s) / "sentiment", encoder_path=s.encoder_path)
    from pipelines.models.hf import HFSentimentModel

    return HFSentimentModel(s.sentiment_model, batch_size=s.batch_size)


def load_emotion(settings: ModelSettings | None = None) -> EmotionModel:
    """The emotion model the settings name ("builtin" head, or an HF id/dir)."""
    s = settings or load_settings()
    if s.emotion_model in ("", "builtin"):
        from pipelines.models.heads import HeadEmotionModel

        return HeadEmotionModel.load(_models_dir(s) / "emotion", encoder_path=s.encoder_path)
    from pipelines.models.hf import HFEmotionModel

    return HFEmotionModel(s.emotion_model, batch_size=s.batch_size)
