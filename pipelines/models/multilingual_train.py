"""Train the multilingual route's sentiment and emotion heads on its encoder's embeddings.

    python -m pipelines.models.multilingual_train [--out models/multilingual] [--only sentiment|emotion]
        [--encoder e5-int8|e5|use] [--no-per-channel] [--keep-fp32 layer.10.,layer.11.]

The encoder (`ENCODERS`; the default is the shipped route's, see MODEL_CARD.md) is recorded in each
head's config.json, and `MultilingualModels.load` builds the one the heads name.

The same license-clean English sets as the shipped heads (`train.sentiment_sources`, GoEmotions train)
plus, for sentiment, the training part of PolEmo 2.0 medicine sentences (CC BY-SA 4.0: the derived
sentiment head carries its share-alike terms, see MODEL_CARD.md). PolEmo's evaluation part (text MD5
starting 0-2, `datasets.polemo("eval")`) is never trained or calibrated on; the Chinese reviews have no
stated license and are never trained on: Chinese is scored by cross-lingual transfer.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from pipelines.models import datasets, train
from pipelines.models.encoder import cached_encode
from pipelines.models.heads import save_head
from pipelines.models.labels import GOEMOTIONS_LABELS, SENTIMENT_LABELS
from pipelines.models.multilingual import HEADS_DIR, MultilingualEncoder

ENCODERS = ("e5-int8", "e5", "use")
DEFAULT_ENCODER = "e5-int8"
# The shipped route's quantisation (MODEL_CARD "Multilingual route"): int8 per output channel, with the
# FFN outputs of layers 0-5 kept fp32 (what per-tensor int8 cost Polish and Chinese, benchmarks/e5_quant.py).
DEFAULT_KEEP_FP32 = tuple(f"layer.{i}.output" for i in range(6))
DEFAULT_PER_CHANNEL = True

# PolEmo counts twice GoEmotions' weight: it is the only in-language (Polish) and service-domain set.
SOURCES = {**train.SENTIMENT_SOURCES, "polemo": 2.0}
# Cheaper than the English head's 5 folds x 25 epochs (30 min on the shared machine): 2 x 10.
EMOTION = dataclasses.replace(train.EMOTION, epochs=10)
EMOTION_FOLDS = 2
# Share of PolEmo's training part held back to calibrate the class-prior correction (never fitted).
CALIBRATION_SHARE = 0.1


def standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and std of `x`: e5's unit vectors share one dominant direction (cosines of
    unrelated texts ~0.8), so the MLPs are fitted on standardised inputs (GoEmotions dev emotion
    macro-F1 0.253 -> 0.451 on e5-small-int8, same data and epochs)."""
    return x.mean(0), x.std(0) + 1e-6


def fold(layers: list, mean: np.ndarray, std: np.ndarray) -> list:
    """Layers fitted on (x - mean) / std as layers on x: the first layer absorbs the scaling, so the
    shipped head is a plain `Head`."""
    (w, b), rest = layers[0], layers[1:]
    w = w / std
    return [(w.astype(np.float32), (b - w @ mean).astype(np.float32)), *rest]


def goemotions_train(enc: MultilingualEncoder) -> tuple[list[str], np.ndarray, np.ndarray]:
    """GoEmotions train texts, 0/1 targets and USE embeddings."""
    texts, y = datasets.goemotions("train")
    return texts, y, cached_encode(texts, "goemotions-train", enc)


def sentiment_data(enc: MultilingualEncoder, seed: int = 13):
    """(x, y, weights, source names) of the fitted mix, and (x, y) of the calibration rows."""
    ge_texts, _, ge_x = goemotions_train(enc)
    ge_index = {t: i for i, t in enumerate(ge_texts)}
    xs, ys, ws, src = [], [], [], []
    for name, texts, labels, _ in train.sentiment_sources(train.SENTIMENT_SOURCES, seed):
        x = ge_x[[ge_index[t] for t in texts]] if name == "goemotions" else cached_encode(texts, f"{name}-train-ml", enc)
        xs.append(x), ys.append(labels), src.append(np.full(len(labels), name))
        ws.append(train._weights(name, len(labels), SOURCES))
    pl_texts, pl_y = datasets.polemo("train")
    pl_x = cached_encode(pl_texts, "polemo-train", enc)
    fit, cal = train.split_calibration(len(pl_texts), CALIBRATION_SHARE, seed)
    xs.append(pl_x[fit]), ys.append(pl_y[fit]), src.append(np.full(len(fit), "polemo"))
    ws.append(train._weights("polemo", len(fit), SOURCES))
    return (np.concatenate(xs), np.concatenate(ys), np.concatenate(ws), np.concatenate(src)), (pl_x[cal], pl_y[cal])


def train_sentiment(out: Path, enc: MultilingualEncoder, cfg: train.HeadConfig = train.SENTIMENT) -> dict:
    """The 3-class head on the mix; class-prior correction on TweetEval val + held-back PolEmo train rows."""
    (x, y, w, src), (cal_x, cal_y) = sentiment_data(enc, cfg.seed)
    t0 = time.time()
    mean, std = standardiser(x)
    layers = fold(train.fit_mlp((x - mean) / std, y, cfg, multilabel=False, sample_weight=w), mean, std)
    val_texts, val_y = datasets.tweeteval("val")
    cx = np.concatenate([cached_encode(val_texts, "tweeteval-val", enc), cal_x])
    logits = train.mlp_logits(layers, cx)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    bias = train.prior_bias(probs, np.concatenate([val_y, cal_y]))
    config = {
        "kind": "sentiment", "name": "sentiment-multilingual-mlp-v1", "labels": list(SENTIMENT_LABELS),
        "encoder": enc.name, "activation": "relu", "output": "softmax",
        "logit_bias": [round(float(b), 3) for b in bias], "score": "p_positive - p_negative",
        "license": "CC BY-SA 4.0 (share-alike: trained on PolEmo 2.0 medicine sentences, CLARIN-PL, "
                   "Kocon et al. 2019)",
        "train": {"data": {n: int((src == n).sum()) for n in sorted(set(src))}, "source_weights": SOURCES,
                  "config": dataclasses.asdict(cfg), "inputs": "standardised (folded into the first layer)",
                  "calibration": f"logit_bias for macro-recall on TweetEval val + {len(cal_y)} held-back PolEmo "
                                 "train rows (PolEmo eval rows, text MD5 0-2, never used)",
                  "seconds": round(time.time() - t0, 1)},
    }
    save_head(out / "sentiment", layers, config)
    return config


def train_emotion(out: Path, enc: MultilingualEncoder, cfg: train.HeadConfig = EMOTION,
                  folds: int = EMOTION_FOLDS) -> dict:
    """GoEmotions (English) cross-fitted MLPs averaged, thresholds out-of-fold (as `train.train_emotion`)."""
    _, y, x = goemotions_train(enc)
    t0 = time.time()
    mean, std = standardiser(x)
    layers, thresholds = train.cross_fit_emotion((x - mean) / std, y, cfg, folds)
    layers = fold(layers, mean, std)
    config = {
        "kind": "emotion", "name": "goemotions-multilingual-mlp-v1", "labels": list(GOEMOTIONS_LABELS),
        "encoder": enc.name, "activation": "relu", "output": "sigmoid",
        "thresholds": [round(float(t), 3) for t in thresholds],
        "train": {"data": f"GoEmotions train (Apache-2.0, English), {len(x)} rows: {folds}-fold cross-fit, "
                          "mean of the fold models' logits, thresholds on out-of-fold predictions; other "
                          "languages by cross-lingual transfer",
                  "config": dataclasses.asdict(cfg), "inputs": "standardised (folded into the first layer)", "folds": folds, "rows": int(len(x)),
                  "seconds": round(time.time() - t0, 1)},
    }
    save_head(out / "emotion", layers, config)
    return config


def build_encoder(choice: str, threads: int = 1, keep_fp32: tuple[str, ...] = (), per_channel: bool = False):
    """The encoder of `ENCODERS` named `choice`; for e5-int8, `keep_fp32` (Linear module-name substrings
    left in fp32) and `per_channel` (weights quantised per output channel), see `E5Encoder`."""
    if choice == "use":
        return MultilingualEncoder(threads=threads)
    from pipelines.models.e5 import E5Encoder

    return E5Encoder(threads=threads, int8=choice == "e5-int8", keep_fp32=keep_fp32, per_channel=per_channel)


def main(argv: list[str] | None = None) -> None:
    """Train both multilingual heads into `--out`."""
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HEADS_DIR)
    parser.add_argument("--only", choices=("emotion", "sentiment"), default=None)
    parser.add_argument("--encoder", choices=ENCODERS, default=DEFAULT_ENCODER)
    parser.add_argument("--keep-fp32", default=",".join(DEFAULT_KEEP_FP32),
                        help="e5-int8 only: comma-separated Linear module-name substrings left in fp32 (partial "
                        "quantisation; benchmarks/e5_quant.py measures them; '' = none; default: the shipped route's)")
    parser.add_argument("--per-channel", action=argparse.BooleanOptionalAction, default=DEFAULT_PER_CHANNEL,
                        help="e5-int8 only: per-channel int8 weights (default: on, as shipped)")
    parser.add_argument("--threads", type=int, default=1, help="encoder threads (the MLPs train on one)")
    args = parser.parse_args(argv)
    enc = build_encoder(args.encoder, args.threads, tuple(k for k in args.keep_fp32.split(",") if k),
                        args.per_channel)
    torch.set_num_threads(1)  # see train._train: small MLPs on a shared machine
    if args.only in (None, "sentiment"):
        cfg = train_sentiment(args.out, enc)
        print(f"multilingual sentiment head -> {args.out / 'sentiment'} ({cfg['train']['seconds']} s) {cfg['train']['data']}")
    if args.only in (None, "emotion"):
        cfg = train_emotion(args.out, enc)
        print(f"multilingual emotion head -> {args.out / 'emotion'} ({cfg['train']['seconds']} s)")


if __name__ == "__main__":
    main()
