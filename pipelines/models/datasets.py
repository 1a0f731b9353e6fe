"""Loaders for the public datasets in `../shared/datasets` (read in place, never copied).

Licenses decide the use: `TRAINABLE` sets may train a shipped model; the others are evaluation only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.errors import UserError
from pipelines.models.labels import GOEMOTIONS_LABELS, SENTIMENT_LABELS

ROOT = Path(__file__).resolve().parents[2]

# Shipping a derived model is allowed for these (see each README): Apache-2.0, CC BY 4.0, CC BY-SA 4.0.
TRAINABLE = ("goemotions", "uci_sentiment_labelled_sentences", "banking77", "emobank")
# Evaluation / calibration only: non-commercial or research-only licenses.
EVAL_ONLY = ("twitter_us_airline_sentiment", "twcs_first5000", "tweeteval_sentiment")


class DatasetMissing(UserError, FileNotFoundError):
    """A shared dataset that is not where it should be."""


def shared_dir() -> Path:
    """`$VOC_SHARED/datasets`, else `../shared/datasets` next to the repo."""
    base = Path(os.environ.get("VOC_SHARED", ROOT.parent / "shared"))
    return base / "datasets"


def _path(*parts: str) -> Path:
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        raise DatasetMissing(f"{path} not found; set VOC_SHARED to the folder holding datasets/")
    return path


def goemotions(split: str) -> tuple[list[str], np.ndarray]:
    """GoEmotions `train` or `dev`: texts and 0/1 targets (n, 28) in `GOEMOTIONS_LABELS` order."""
    labels = json.loads(_path("goemotions", "labels.json").read_text())["original"]
    if tuple(labels) != GOEMOTIONS_LABELS:
        raise ValueError("goemotions/labels.json order differs from labels.GOEMOTIONS_LABELS")
    df = pd.read_csv(_path("goemotions", f"{split}.csv"), dtype=str)
    y = np.zeros((len(df), len(labels)), dtype=np.int8)
    for row, ids in enumerate(df["original_label_ids"].fillna("")):
        for part in str(ids).split(","):
            if part.strip():
                y[row, int(part)] = 1
    return df["text"].fillna("").tolist(), y


def uci() -> pd.DataFrame:
    """UCI sentences: columns source, text, label (0 negative / 1 positive)."""
    return pd.read_csv(_path("uci_sentiment_labelled_sentences", "sentiment_labelled_sentences.csv"))


def uci_split(seed: int = 13, eval_share: float = 0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fixed, stratified (by source and label) train/held-out split of the UCI sentences."""
    df = uci()
    rng = np.random.default_rng(seed)
    held = np.zeros(len(df), dtype=bool)
    for _, idx in df.groupby(["source", "label"]).indices.items():
        pick = rng.permutation(idx)[: int(round(len(idx) * eval_share))]
        held[pick] = True
    return df[~held].reset_index(drop=True), df[held].reset_index(drop=True)


def banking77(split: str) -> pd.DataFrame:
    """BANKING77 `train` or `test`: text, category."""
    return pd.read_csv(_path("banking77", f"{split}.csv"))


def emobank() -> pd.DataFrame:
    """EmoBank: id, split, V, A, D, text (empty texts dropped)."""
    df = pd.read_csv(_path("emobank", "emobank.csv"))
    return df[df["text"].fillna("").str.strip() != ""].reset_index(drop=True)


def tweeteval(split: str) -> tuple[list[str], np.ndarray]:
    """TweetEval sentiment `val` or `test`: texts and label ids in `SENTIMENT_LABELS` order."""
    df = pd.read_csv(_path("tweeteval_sentiment", f"{split}.csv"))
    return df["text"].fillna("").tolist(), df["label"].map(SENTIMENT_LABELS.index).to_numpy()


def airline() -> tuple[list[str], np.ndarray]:
    """Airline tweets (CC BY-NC-SA: evaluation only): texts and label ids."""
    df = pd.read_csv(_path("twitter_us_airline_sentiment", "Tweets_shared.csv"))
    return df["text"].fillna("").tolist(), df["airline_sentiment"].map(SENTIMENT_LABELS.index).to_numpy()


def polemo(part: str) -> tuple[list[str], np.ndarray]:
    """PolEmo 2.0 medicine sentences (CC BY-SA 4.0), `train` or `eval`, ambiguous rows dropped:
    texts and label ids in `SENTIMENT_LABELS` order.

    The evaluation part is fixed by content, not by position: the rows whose text's MD5 hex digest
    starts with 0, 1 or 2 (3,362 of 18,125 before dropping ambiguous ones). Never train or calibrate on it.
    """
    import hashlib

    if part not in ("train", "eval"):
        raise ValueError(f"polemo part must be 'train' or 'eval', not {part!r}")
    df = pd.read_csv(_path("polemo2_medicine_sentences", "medicine_sentence_train.csv"), dtype=str)
    df["text"] = df["text"].fillna("")
    held = df["text"].map(lambda t: hashlib.md5(t.encode("utf-8")).hexdigest()[0] in "012")
    df = df[(held if part == "eval" else ~held) & df["label"].isin(SENTIMENT_LABELS)]
    return df["text"].tolist(), df["label"].map(SENTIMENT_LABELS.index).to_numpy()


def chinese_sentiment(per_file: int = 2000, seed: int = 13) -> pd.DataFrame:
    """Chinese reviews (no stated license: evaluation only): a seeded sample of `per_file` rows of
    each of the three files; columns source, text, label (0 negative / 1 positive)."""
    parts = []
    for name in ("ChnSentiCorp_htl_all", "waimai_10k", "online_shopping_10_cats"):
        df = pd.read_csv(_path("chinese_sentiment", f"{name}.csv"))
        df = df[df["review"].fillna("").str.strip() != ""]
        df = df.sample(n=min(per_file, len(df)), random_state=seed)
        parts.append(pd.DataFrame({"source": name, "text": df["review"].str.strip().tolist(),
                                   "label": df["label"].astype(int).tolist()}))
    return pd.concat(parts, ignore_index=True)
