"""The pluggable Hugging Face path, with tiny models the tests build and save themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines.models import ModelSettings, load_emotion, load_sentiment
from pipelines.models.encoder import Encoder, ModelPathError
from pipelines.models.labels import GOEMOTIONS_LABELS, SENTIMENT_LABELS

WORDS = ["great", "thanks", "awful", "late", "refund", "card", "the", "my", "is", "was", "!", "."]


def save_tiny(directory: Path, labels: list[str], multilabel: bool) -> Path:
    """A 2-layer, 32-dim BERT classifier with a 17-token WordPiece vocab, saved with save_pretrained."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    directory.mkdir(parents=True)
    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab))
    config = BertConfig(
        vocab_size=len(WORDS) + 5, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, num_labels=len(labels),
        id2label=dict(enumerate(labels)), label2id={lb: i for i, lb in enumerate(labels)},
        problem_type="multi_label_classification" if multilabel else "single_label_classification",
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_hf_sentiment_maps_labels_by_name(tmp_path: Path) -> None:
    path = save_tiny(tmp_path / "sent", ["POSITIVE", "negative", "Neutral"], multilabel=False)
    model = load_sentiment(ModelSettings(sentiment_model=str(path)))
    assert model.needs_embeddings is False
    assert model.labels == SENTIMENT_LABELS
    assert model.version == f"hf:{path}"
    texts = ["my card was late !", "thanks great", "refund"]
    p = model.predict_proba(texts, None)
    assert p.shape == (3, 3)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    # Columns are reordered from the checkpoint's (pos, neg, neu) into (neg, neu, pos).
    raw = model.clf.logits(texts)
    z = np.exp(raw - raw.max(1, keepdims=True))
    np.testing.assert_allclose(p[:, 2], (z / z.sum(1, keepdims=True))[:, 0], atol=1e-5)


def test_hf_emotion_needs_the_28_labels(tmp_path: Path) -> None:
    shuffled = list(reversed(GOEMOTIONS_LABELS))
    path = save_tiny(tmp_path / "emo", shuffled, multilabel=True)
    model = load_emotion(ModelSettings(emotion_model=str(path)))
    p = model.predict_proba(["thanks great", "awful"], None)
    assert p.shape == (2, 28) and ((p > 0) & (p < 1)).all()
    assert model.thresholds.shape == (28,)
    raw = model.clf.logits(["awful"])
    assert p[1, GOEMOTIONS_LABELS.index("admiration")] == pytest.approx(1 / (1 + np.exp(-raw[0, 27])), abs=1e-5)
    wrong = save_tiny(tmp_path / "wrong", ["a", "b", "c"], multilabel=True)
    with pytest.raises(ModelPathError, match="28 GoEmotions labels"):
        load_emotion(ModelSettings(emotion_model=str(wrong)))


def test_bad_model_paths_say_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelPathError, match="does not exist"):
        load_sentiment(ModelSettings(sentiment_model=str(tmp_path / "nope")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelPathError, match="cannot load"):
        load_sentiment(ModelSettings(sentiment_model=str(tmp_path / "empty")))
    with pytest.raises(ModelPathError, match="make train-models"):
        load_emotion(ModelSettings(models_dir=str(tmp_path)))
    with pytest.raises(ModelPathError, match="encoder_path"):
        Encoder(tmp_path / "empty")
