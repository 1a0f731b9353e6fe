"""Classifier heads on the frozen sentence encoder: stored as safetensors weights + a JSON config.

A head is a small MLP (or a linear layer when `hidden` is empty) run in NumPy: after the shared
encoder's forward pass, scoring every head costs a few matrix products. Files per head directory:
`head.safetensors` (tensors `l{i}.weight`, `l{i}.bias`, PyTorch Linear layout) and `config.json`
(`kind`, `name`, `labels`, `encoder`, `activation`, `thresholds`, training facts and metrics).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from pipelines.models.encoder import ModelPathError
from pipelines.models.labels import GOEMOTIONS_LABELS, SENTIMENT_LABELS

WEIGHTS = "head.safetensors"
CONFIG = "config.json"


class Head:
    """An MLP head: (n, d) embeddings -> (n, k) logits."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], config: dict, version: str) -> None:
        self.layers = layers
        self.config = config
        self.version = version

    @classmethod
    def load(cls, directory: Path) -> "Head":
        """Read `head.safetensors` + `config.json` from `directory`, with a clear error when absent."""
        from safetensors.numpy import load_file

        directory = Path(directory)
        weights, config = directory / WEIGHTS, directory / CONFIG
        if not weights.exists() or not config.exists():
            raise ModelPathError(
                f"no trained head in {directory} (needs {WEIGHTS} and {CONFIG}); run `make train-models`, "
                "or set [models] models_dir / sentiment_model / emotion_model in voc.toml"
            )
        cfg = json.loads(config.read_text())
        tensors = load_file(str(weights))
        n = len([k for k in tensors if k.endswith(".weight")])
        layers = [(tensors[f"l{i}.weight"].astype(np.float32), tensors[f"l{i}.bias"].astype(np.float32)) for i in range(n)]
        digest = hashlib.sha1(weights.read_bytes()).hexdigest()[:8]
        return cls(layers, cfg, f"{cfg['name']}@{digest}")

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Forward pass (ReLU between layers)."""
        return mlp_logits(self.layers, x)


def mlp_logits(layers: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """The forward pass of a head's layers (ReLU between them): inference and training share it."""
    h = np.asarray(x, dtype=np.float32)
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def save_head(directory: Path, layers: list[tuple[np.ndarray, np.ndarray]], config: dict) -> None:
    """Write a head's weights and config (what `Head.load` reads)."""
    from safetensors.numpy import save_file

    directory.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(layers):
        tensors[f"l{i}.weight"] = np.ascontiguousarray(w, dtype=np.float32)
        tensors[f"l{i}.bias"] = np.ascontiguousarray(b, dtype=np.float32)
    save_file(tensors, str(directory / WEIGHTS))
    (directory / CONFIG).write_text(json.dumps(config, indent=1) + "\n")


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class _HeadModel:
    needs_embeddings = True

    def __init__(self, head: Head, encoder_path: str = "") -> None:
        self.head = head
        self.version = head.version
        self.encoder_name = head.config.get("encoder", "")
        self._encoder_path = encoder_path
        self._encoder = None

    def _embed(self, texts: list[str], embeddings: np.ndarray | None) -> np.ndarray:
        if embeddings is None:
            from pipelines.models.encoder import Encoder, shared_encoder

            if self._encoder is None and self.encoder_name.startswith("m2v-"):
                from pipelines.models.fast import FastEncoder, check_heads  # a fast-mode head

                self._encoder = FastEncoder()
                check_heads(self._encoder, self)
            if self._encoder is None:
                self._encoder = Encoder(self._encoder_path) if self._encoder_path else shared_encoder()
                if self.encoder_name and self._encoder.name != self.encoder_name:
                    warnings.warn(
                        f"head {self.version} was trained on {self.encoder_name}, encoder is {self._encoder.name}",
                        stacklevel=3,
                    )
            embeddings = self._encoder.encode(list(texts))
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape[0] != len(texts):
            raise ValueError(f"{len(texts)} texts but {embeddings.shape[0]} embeddings")
        return embeddings


class HeadSentimentModel(_HeadModel):
    """Negative/neutral/positive head on the shared encoder's embeddings."""

    labels = SENTIMENT_LABELS

    @classmethod
    def load(cls, directory: Path, encoder_path: str = "") -> "HeadSentimentModel":
        head = Head.load(directory)
        if tuple(head.config["labels"]) != SENTIMENT_LABELS:
            raise ModelPathError(f"{directory}/{CONFIG}: labels must be {SENTIMENT_LABELS}")
        return cls(head, encoder_path)

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, 3) probabilities in `SENTIMENT_LABELS` order."""
        if len(texts) == 0:
            return np.zeros((0, 3), dtype=np.float32)
        logits = self.head.logits(self._embed(texts, embeddings))
        bias = np.asarray(self.head.config.get("logit_bias", [0.0, 0.0, 0.0]), dtype=np.float32)
        return _softmax(logits + bias).astype(np.float32)


class HeadEmotionModel(_HeadModel):
    """28-label GoEmotions head with per-label thresholds calibrated on GoEmotions dev."""

    labels = GOEMOTIONS_LABELS

    def __init__(self, head: Head, encoder_path: str = "") -> None:
        super().__init__(head, encoder_path)
        self.thresholds = np.asarray(head.config["thresholds"], dtype=np.float32)

    @classmethod
    def load(cls, directory: Path, encoder_path: str = "") -> "HeadEmotionModel":
        head = Head.load(directory)
        if tuple(head.config["labels"]) != GOEMOTIONS_LABELS or len(head.config.get("thresholds", [])) != 28:
            raise ModelPathError(f"{directory}/{CONFIG}: needs the 28 GoEmotions labels and 28 thresholds")
        return cls(head, encoder_path)

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, 28) independent probabilities in `GOEMOTIONS_LABELS` order."""
        if len(texts) == 0:
            return np.zeros((0, 28), dtype=np.float32)
        return _sigmoid(self.head.logits(self._embed(texts, embeddings))).astype(np.float32)
