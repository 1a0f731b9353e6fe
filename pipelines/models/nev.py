"""NEV (text proxy): GoEmotions probabilities -> Colin Shaw's positive/negative emotions -> NEV_text.

Definition (`docs/metrics.md`, "NEV (text proxy)"): P and N are the summed
probabilities of the emotions mapped to Shaw's positive clusters (Attention, Recommendation,
Advocacy) and to the Destroying cluster; NEV_text = 100 (P - N) / (P + N), in -100..+100.
Texts whose P + N is below `min_emotion` carry no emotional content: NEV is NaN there, so averages
exclude them instead of counting them as 0. Ambiguous labels (surprise, confusion, realization) and
neutral count on neither side. Always label it "NEV (text proxy)", never Beyond Philosophy's survey NEV.
The mapping is data (`nev_mapping.csv`), loaded into `enriched.nev_mapping` for the dashboard.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.errors import UserError
from pipelines.models.labels import GOEMOTIONS_LABELS

MAPPING_PATH = Path(__file__).with_name("nev_mapping.csv")
COLUMNS = ("goemotions_label", "shaw_emotion", "shaw_cluster", "valence")
VALENCES = ("positive", "negative", "ambiguous", "none")
SHAW_CLUSTERS = {
    "Destroying": ("irritated", "hurried", "neglected", "unhappy", "unsatisfied", "stressed",
                   "disappointed", "frustrated"),
    "Attention": ("interested", "energetic", "stimulated", "exploratory", "indulgent"),
    "Recommendation": ("trusting", "valued", "cared for", "focused", "safe"),
    "Advocacy": ("happy", "pleased"),
}


class MappingError(UserError, ValueError):
    """The NEV mapping file is incomplete or inconsistent; the message names the row and the fix."""


def load_mapping(path: Path = MAPPING_PATH) -> pd.DataFrame:
    """The mapping as a DataFrame (one row per GoEmotions label, in label order), validated."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if tuple(df.columns) != COLUMNS:
        raise MappingError(f"{path}: columns must be {','.join(COLUMNS)}, got {','.join(df.columns)}")
    for row_no, row in enumerate(df.itertuples(index=False), start=2):
        if row.goemotions_label not in GOEMOTIONS_LABELS:
            raise MappingError(f"{path} line {row_no}: unknown GoEmotions label {row.goemotions_label!r}")
        if row.valence not in VALENCES:
            raise MappingError(f"{path} line {row_no}: valence must be one of {VALENCES}, got {row.valence!r}")
        if row.valence in ("positive", "negative"):
            members = SHAW_CLUSTERS.get(row.shaw_cluster, ())
            if row.shaw_emotion not in members:
                raise MappingError(
                    f"{path} line {row_no}: {row.shaw_emotion!r} is not one of Shaw's {row.shaw_cluster!r} "
                    f"emotions; use one of {sorted(e for c in SHAW_CLUSTERS.values() for e in c)}"
                )
            expected = "negative" if row.shaw_cluster == "Destroying" else "positive"
            if row.valence != expected:
                raise MappingError(f"{path} line {row_no}: cluster {row.shaw_cluster} is {expected}, not {row.valence}")
    missing = set(GOEMOTIONS_LABELS) - set(df["goemotions_label"])
    dupes = df["goemotions_label"][df["goemotions_label"].duplicated()].tolist()
    if missing or dupes:
        raise MappingError(f"{path}: every GoEmotions label exactly once; missing {sorted(missing)}, repeated {dupes}")
    order = {label: i for i, label in enumerate(GOEMOTIONS_LABELS)}
    return df.sort_values("goemotions_label", key=lambda s: s.map(order)).reset_index(drop=True)


def valence_masks(mapping: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks over the 28 labels: (positive, negative)."""
    m = load_mapping() if mapping is None else mapping
    valence = dict(zip(m["goemotions_label"], m["valence"]))
    pos = np.array([valence[label] == "positive" for label in GOEMOTIONS_LABELS])
    neg = np.array([valence[label] == "negative" for label in GOEMOTIONS_LABELS])
    return pos, neg


def nev_text(
    probs: np.ndarray, min_emotion: float, mapping: pd.DataFrame | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P, N and NEV_text = 100 (P - N) / (P + N) per row of `probs` (n, 28); NaN where P + N < min_emotion.

    Example:
        >>> p = np.zeros((1, 28)); p[0, GOEMOTIONS_LABELS.index("joy")] = 0.6
        >>> nev_text(p, 0.1)[2]
        array([100.])
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(GOEMOTIONS_LABELS):
        raise ValueError(f"nev_text expects probabilities of shape (n, 28), got {probs.shape}")
    pos, neg = valence_masks(mapping)
    p = probs[:, pos].sum(axis=1)
    n = probs[:, neg].sum(axis=1)
    total = p + n
    scored = (total >= min_emotion) & (total > 0)
    nev = np.full(len(probs), np.nan)
    nev[scored] = 100.0 * (p[scored] - n[scored]) / total[scored]
    return p, n, nev
