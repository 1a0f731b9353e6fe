"""The encoder's forward passes are cut by a token budget over texts sorted by token length: a batch
never pads a crowd of short texts to one long text, and no text's vector depends on how it was batched
(fp32)."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.models.encoder import BATCH_TOKENS, Encoder, token_batches


def test_token_batches_cover_every_text_once_longest_first_within_the_budget():
    rng = np.random.default_rng(3)
    lengths = rng.integers(3, 260, 500).tolist() + [512, 2000]
    batches = token_batches(lengths, budget=1024, max_texts=64)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for batch in batches:
        padded = len(batch) * max(lengths[i] for i in batch)
        assert len(batch) <= 64 and (padded <= 1024 or len(batch) == 1)
    assert token_batches([], 1024) == []


def test_a_batch_of_short_texts_is_larger_than_one_of_long_texts():
    batches = token_batches([200] * 10 + [20] * 100, budget=1000)
    assert [len(b) for b in batches[:2]] == [5, 5] and len(batches[2]) == 50


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def test_forward_passes_stay_within_the_token_budget_and_vectors_do_not_depend_on_batch_mates(encoder):
    long = "My card was charged twice for the same order and nobody answers the phone. " * 12
    texts = [long] + [f"short question number {i} about my bill" for i in range(80)]
    shapes = []
    forward = encoder.model.forward

    def spy(*args, **kwargs):
        shapes.append(tuple(kwargs["input_ids"].shape))
        return forward(*args, **kwargs)

    encoder.model.forward = spy
    try:
        together = encoder.encode(texts)
    finally:
        del encoder.model.forward
    assert all(rows * width <= BATCH_TOKENS or rows == 1 for rows, width in shapes)
    assert sum(rows for rows, _ in shapes) == len(texts)
    alone = np.concatenate([encoder.encode([t]) for t in texts[:3]])
    np.testing.assert_allclose(together[:3], alone, atol=1e-5)
