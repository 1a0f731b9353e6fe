"""`teach.fit_mix`: the taught head mixed with a plain probe, the weight chosen by grouped cross-validation."""

from __future__ import annotations

import numpy as np

from pipelines.models import teach


def _data(n: int = 240, d: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    groups = np.arange(n) // 2  # two labels per customer
    return rng, y, groups, d


def test_mixed_logits_are_the_weighted_sum_of_the_two_heads():
    rng, y, _, d = _data()
    x = rng.normal(size=(len(y), d)).astype(np.float32)
    offset = rng.normal(size=(len(y), 3)).astype(np.float32)
    a = teach.fit_correction(offset, x, y, 3)
    p = teach.fit_probe(x, y, 3)
    m = teach.mixed(a, p, 0.25)
    want = 0.25 * a.logits(offset, x) + 0.75 * p.logits(offset, x)
    np.testing.assert_allclose(m.logits(offset, x), want, rtol=1e-4, atol=1e-4)
    # the probe ignores the shipped logits
    np.testing.assert_allclose(p.logits(offset, x), p.logits(offset * 0, x), atol=1e-6)


def test_an_informative_shipped_head_keeps_the_weight_on_the_taught_side():
    rng, y, groups, d = _data()
    x = rng.normal(size=(len(y), d)).astype(np.float32)  # embeddings carry nothing
    offset = (3.0 * np.eye(3)[y] + rng.normal(scale=0.5, size=(len(y), 3))).astype(np.float32)
    fit, weight, cv, shipped = teach.fit_mix(offset, x, y, groups, 3)
    assert weight >= 0.75
    assert cv > 0.9 and shipped > 0.9


def test_informative_embeddings_and_a_wrong_shipped_head_move_the_weight_to_the_probe():
    rng, y, groups, d = _data()
    centers = rng.normal(size=(3, d)) * 1.5
    x = (centers[y] + rng.normal(size=(len(y), d))).astype(np.float32)
    offset = (8.0 * np.eye(3)[(y + 1) % 3]).astype(np.float32)  # confidently wrong, strongly
    fit, weight, cv, shipped = teach.fit_mix(offset, x, y, groups, 3, weights=(0.0, 1.0))
    assert shipped < 0.1
    assert cv > 0.8
    assert (fit.logits(offset, x).argmax(1) == y).mean() > 0.8


def test_learning_curve_scores_the_probe_teach_mixes_in():
    """The curve's probe column is `teach.fit_probe` (one probe for the column and the mix), not another library's."""
    from pipelines.models import learning_curve

    rng, y, groups, d = _data()
    centers = rng.normal(size=(3, d))
    x = (centers[y] + rng.normal(size=(len(y), d))).astype(np.float32)
    offset = rng.normal(size=(len(y), 3)).astype(np.float32)
    idx, test = np.arange(0, 120), np.arange(len(y)) >= 120
    got = learning_curve.draw_scores(offset, x, y, groups, idx, test)
    probe = teach.fit_probe(x[idx], y[idx], 3)
    assert got["probe"] == teach.macro_f1(y[test], probe.logits(offset[test], x[test]).argmax(1), 3)
    taught = teach.fit_correction(offset[idx], x[idx], y[idx], 3)
    assert got["taught"] == teach.macro_f1(y[test], taught.logits(offset[test], x[test]).argmax(1), 3)
    mix = teach.fit_mix(offset[idx], x[idx], y[idx], groups[idx], 3)[0]
    assert got["mix"] == teach.macro_f1(y[test], mix.logits(offset[test], x[test]).argmax(1), 3)
