"""Any Hugging Face sequence-classification model (hub id or local directory) as a sentiment or
emotion model, for users who have the hub or their own fine-tunes. It runs its own forward pass
(`needs_embeddings = False`), so it costs one extra encoder pass per model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from pipelines.models.encoder import ModelPathError
from pipelines.models.labels import GOEMOTIONS_LABELS, SENTIMENT_LABELS

# Common label spellings of public sentiment checkpoints.
_SENTIMENT_ALIASES = {
    "negative": "negative", "neg": "negative", "neutral": "neutral", "neu": "neutral",
    "positive": "positive", "pos": "positive",
}


class HFClassifier:
    """A `transformers` sequence classifier with batched, length-sorted inference."""

    def __init__(self, model_id: str, batch_size: int = 64, max_tokens: int = 256) -> None:
        import torch  # noqa: F401 - fail early with the import error, not mid-batch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        local = Path(model_id)
        if (os.sep in model_id or model_id.startswith(".")) and not local.exists():
            raise ModelPathError(f"model directory {model_id} does not exist; fix [models] in voc.toml")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model_id)
            self.model = AutoModelForSequenceClassification.from_pretrained(model_id)
        except (OSError, ValueError) as exc:
            raise ModelPathError(
                f"cannot load Hugging Face model {model_id!r}: {exc}. Use a local directory saved with "
                "save_pretrained (model + tokenizer), a hub id when the hub is reachable, or 'builtin'"
            ) from exc
        self.model.eval()
        self.model_id = model_id
        self.batch_size = batch_size
        self.max_tokens = min(max_tokens, getattr(self.tokenizer, "model_max_length", max_tokens) or max_tokens)
        id2label = self.model.config.id2label
        self.raw_labels = [str(id2label[i]).lower() for i in range(len(id2label))]
        self.version = f"hf:{model_id}"

    def logits(self, texts: list[str]) -> np.ndarray:
        """(n, num_labels) logits."""
        import torch

        out = np.zeros((len(texts), len(self.raw_labels)), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                       max_length=self.max_tokens, return_tensors="pt")
                out[idx] = self.model(**batch).logits.float().numpy()
        return out


class HFSentimentModel:
    """A 3-class HF sentiment checkpoint, its labels mapped by name onto negative/neutral/positive."""

    labels = SENTIMENT_LABELS
    needs_embeddings = False

    def __init__(self, model_id: str, batch_size: int = 64) -> None:
        self.clf = HFClassifier(model_id, batch_size)
        self.version = self.clf.version
        names = [_SENTIMENT_ALIASES.get(label) for label in self.clf.raw_labels]
        if sorted(n for n in names if n) == sorted(SENTIMENT_LABELS) and len(names) == 3:
            self.index = [names.index(label) for label in SENTIMENT_LABELS]
        elif len(names) == 3:
            # Generic LABEL_0..2: the common convention (cardiffnlp, TweetEval) is neg, neu, pos.
            self.index = [0, 1, 2]
        else:
            raise ModelPathError(
                f"{model_id}: a sentiment model needs 3 labels (negative/neutral/positive), has {self.clf.raw_labels}"
            )

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, 3) softmax probabilities in `SENTIMENT_LABELS` order; `embeddings` is ignored."""
        z = self.clf.logits(list(texts))[:, self.index]
        z = z - z.max(axis=1, keepdims=True) if len(z) else z
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32) if len(z) else e


class HFEmotionModel:
    """A 28-label GoEmotions HF checkpoint (sigmoid outputs), labels matched by name."""

    labels = GOEMOTIONS_LABELS
    needs_embeddings = False

    def __init__(self, model_id: str, batch_size: int = 64, threshold: float = 0.5) -> None:
        self.clf = HFClassifier(model_id, batch_size)
        self.version = self.clf.version
        missing = [label for label in GOEMOTIONS_LABELS if label not in self.clf.raw_labels]
        if missing:
            raise ModelPathError(
                f"{model_id}: an emotion model needs the 28 GoEmotions labels in config.id2label; missing {missing}"
            )
        self.index = [self.clf.raw_labels.index(label) for label in GOEMOTIONS_LABELS]
        self.thresholds = np.full(28, threshold, dtype=np.float32)
        # A `thresholds.json` next to a local model ({label: threshold}) overrides the flat 0.5.
        extra = Path(model_id) / "thresholds.json"
        if extra.exists():
            given = json.loads(extra.read_text())
            self.thresholds = np.array([given.get(lb, threshold) for lb in GOEMOTIONS_LABELS], dtype=np.float32)

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, 28) sigmoid probabilities in `GOEMOTIONS_LABELS` order."""
        z = self.clf.logits(list(texts))[:, self.index]
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
