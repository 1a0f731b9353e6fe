"""The shipped heads on the real packaged encoder: they load, agree with the encoder, and are sane."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.models import (
    GOEMOTIONS_LABELS,
    ModelSettings,
    ekman,
    load_emotion,
    load_sentiment,
    sentiment_score,
)
from pipelines.models.encoder import Encoder
from pipelines.models.nev import nev_text

TEXTS = [
    "Thank you so much, the agent was wonderful and fixed everything!",
    "This is the worst service ever, I am furious and want my money back.",
    "What time does the branch open on Saturday?",
]


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder()


@pytest.fixture(scope="session")
def embeddings(encoder: Encoder) -> np.ndarray:
    return encoder.encode(TEXTS)


def test_encoder_contract(encoder: Encoder, embeddings: np.ndarray) -> None:
    assert encoder.name.startswith("all-MiniLM-L6-v2@") and len(encoder.name.split("@")[1]) == 8
    assert embeddings.shape == (3, 384) and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    # Batching and length-sorting must not change a text's vector.
    one = encoder.encode([TEXTS[1]])
    np.testing.assert_allclose(one[0], embeddings[1], atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_encoder_matches_sentence_transformers(encoder: Encoder, embeddings: np.ndarray) -> None:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(encoder.path), device="cpu")
    np.testing.assert_allclose(st.encode(TEXTS), embeddings, atol=1e-5)


def test_sentiment_head_is_sane(embeddings: np.ndarray) -> None:
    model = load_sentiment(ModelSettings())
    assert model.needs_embeddings and model.labels == ("negative", "neutral", "positive")
    p = model.predict_proba(TEXTS, embeddings)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    assert [int(i) for i in p.argmax(1)] == [2, 0, 1]
    score = sentiment_score(p)
    assert score[0] > 0.5 and score[1] < -0.5 and abs(score[2]) < 0.5
    assert model.predict_proba([], np.zeros((0, 384))).shape == (0, 3)


def test_emotion_head_is_sane(embeddings: np.ndarray) -> None:
    model = load_emotion(ModelSettings())
    assert model.labels == GOEMOTIONS_LABELS and model.thresholds.shape == (28,)
    assert ((model.thresholds > 0) & (model.thresholds < 1)).all()
    p = model.predict_proba(TEXTS, embeddings)
    assert p.shape == (3, 28)
    top = [GOEMOTIONS_LABELS[i] for i in p.argmax(1)]
    emotional = p.copy()
    emotional[:, GOEMOTIONS_LABELS.index("neutral")] = 0  # the strongest emotion besides neutral
    top[:2] = [GOEMOTIONS_LABELS[i] for i in emotional[:2].argmax(1)]
    assert top[0] in {"gratitude", "admiration", "joy"}
    assert top[1] in {"anger", "annoyance", "disgust", "disapproval"}
    assert top[2] in {"curiosity", "neutral", "confusion"}
    e = ekman(p)
    assert e[0].argmax() == 3 and e[1].argmax() == 0  # joy, anger
    _, _, nev = nev_text(p, min_emotion=ModelSettings().nev_min_emotion)
    assert nev[0] > 50 and nev[1] < -50


def test_versions_are_stable(embeddings: np.ndarray) -> None:
    a, b = load_sentiment(ModelSettings()), load_sentiment(ModelSettings())
    assert a.version == b.version and "@" in a.version
