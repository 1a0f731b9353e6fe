"""NEV (text proxy): the formula on hand-computed cases and the mapping as data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.models.labels import GOEMOTIONS_LABELS
from pipelines.models.nev import SHAW_CLUSTERS, MappingError, load_mapping, nev_text


def probs(**values: float) -> np.ndarray:
    row = np.zeros(28)
    for label, p in values.items():
        row[GOEMOTIONS_LABELS.index(label)] = p
    return row


def test_hand_computed_cases() -> None:
    rows = np.stack([
        probs(joy=0.6),                               # P=0.6, N=0 -> +100
        probs(anger=0.5),                             # -> -100
        probs(gratitude=0.6, annoyance=0.2),          # 100*(0.6-0.2)/0.8 = 50
        probs(disappointment=0.3, relief=0.1, disgust=0.4),  # 100*(0.1-0.7)/0.8 = -75
    ])
    p, n, nev = nev_text(rows, min_emotion=0.1)
    np.testing.assert_allclose(p, [0.6, 0.0, 0.6, 0.1])
    np.testing.assert_allclose(n, [0.0, 0.5, 0.2, 0.7])
    np.testing.assert_allclose(nev, [100.0, -100.0, 50.0, -75.0])


def test_below_threshold_is_nan_not_zero() -> None:
    rows = np.stack([probs(joy=0.05, anger=0.04), probs(neutral=0.99), probs(joy=0.2, anger=0.2)])
    _, _, nev = nev_text(rows, min_emotion=0.3)
    assert np.isnan(nev[0]) and np.isnan(nev[1])
    assert nev[2] == pytest.approx(0.0)
    # Excluded from averages rather than pulling them toward 0.
    assert np.nanmean(np.append(nev, 80.0)) == pytest.approx(40.0)


def test_ambiguous_and_neutral_count_on_neither_side() -> None:
    rows = np.stack([probs(surprise=0.9, confusion=0.9, realization=0.9, neutral=0.9, joy=0.2, anger=0.1)])
    p, n, nev = nev_text(rows, min_emotion=0.1)
    assert (p[0], n[0]) == pytest.approx((0.2, 0.1))
    assert nev[0] == pytest.approx(100 * 0.1 / 0.3)
    only_ambiguous = np.stack([probs(surprise=0.9, confusion=0.8, realization=0.7)])
    assert np.isnan(nev_text(only_ambiguous, min_emotion=0.0)[2][0])


def test_bad_shape_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\(n, 28\)"):
        nev_text(np.zeros((2, 7)), 0.1)


def test_mapping_is_complete_and_consistent() -> None:
    m = load_mapping()
    assert tuple(m["goemotions_label"]) == GOEMOTIONS_LABELS
    valence = dict(zip(m["goemotions_label"], m["valence"]))
    assert {k for k, v in valence.items() if v == "ambiguous"} == {"surprise", "confusion", "realization"}
    assert valence["neutral"] == "none"
    shaw = {e for members in SHAW_CLUSTERS.values() for e in members}
    assert len(shaw) == 20
    mapped = m[m["valence"].isin(["positive", "negative"])]
    assert set(mapped["shaw_emotion"]) <= shaw
    assert (mapped[mapped["shaw_cluster"] == "Destroying"]["valence"] == "negative").all()
    assert (mapped[mapped["shaw_cluster"] != "Destroying"]["valence"] == "positive").all()


def test_broken_mapping_names_the_line(tmp_path) -> None:
    m = load_mapping()
    m.loc[3, "shaw_emotion"] = "furious"
    bad = tmp_path / "map.csv"
    m.to_csv(bad, index=False)
    with pytest.raises(MappingError, match=r"line 5: 'furious'"):
        load_mapping(bad)
    pd.concat([m.iloc[:5]]).assign(shaw_emotion=load_mapping().iloc[:5]["shaw_emotion"]).to_csv(bad, index=False)
    with pytest.raises(MappingError, match="missing"):
        load_mapping(bad)
