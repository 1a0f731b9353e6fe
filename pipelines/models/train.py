"""Train the shipped sentiment and emotion heads on the frozen encoder (`make train-models`).

Seeded and reproducible: the same datasets and seed give the same weights. Only data whose license
allows shipping a derived model is trained on (`datasets.TRAINABLE`); TweetEval val (research use)
only picks the sentiment head's class-prior correction, never its weights.

    python -m pipelines.models.train [--out models] [--seed 13] [--mode full|fast|both]

`--mode fast` trains the same heads on the fast mode's static encoder into `<out>/fast/`
(`make train-models` trains both sets).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipelines.models import DEFAULT_MODELS_DIR, datasets
from pipelines.models.encoder import cached_encode, shared_encoder
from pipelines.models.heads import mlp_logits, save_head
from pipelines.models.labels import GOEMOTIONS_LABELS, SENTIMENT_GROUPS, SENTIMENT_LABELS

NEG, NEU, POS = (SENTIMENT_LABELS.index(x) for x in ("negative", "neutral", "positive"))


@dataclasses.dataclass(frozen=True)
class HeadConfig:
    """Hyper-parameters of one head (the defaults are the shipped choice; see MODEL_CARD.md)."""

    hidden: tuple[int, ...] = (512,)
    epochs: int = 30
    lr: float = 1e-3
    weight_decay: float = 1e-4
    dropout: float = 0.2
    batch_size: int = 256
    seed: int = 13


EMOTION = HeadConfig(hidden=(512,), epochs=25, dropout=0.3)
# The emotion head is an average of this many cross-fitted MLPs (see train_emotion).
EMOTION_FOLDS = 5
SENTIMENT = HeadConfig(hidden=(512,), epochs=6, dropout=0.3, batch_size=512, lr=2e-3)
# Weight of each sentiment source in the loss (all rows of a source share it).
SENTIMENT_SOURCES = {"goemotions": 1.0, "uci": 2.0, "banking77": 0.5, "emobank": 0.0}
BANKING77_NEUTRAL_ROWS = 2000
# GoEmotions train rows used (None = all 43,410; a smaller number takes the first rows, for quick runs).
GOEMOTIONS_ROWS: int | None = None


def fit_mlp(
    x: np.ndarray,
    y: np.ndarray,
    cfg: HeadConfig,
    multilabel: bool,
    sample_weight: np.ndarray | None = None,
    pos_weight: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train an MLP (ReLU, dropout) with AdamW; returns its layers as (weight, bias) NumPy pairs.

    `y` is (n, k) 0/1 for multi-label (BCE) or (n,) class ids / (n, k) soft targets for softmax.
    """
    import torch
    from torch import nn

    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    k = y.shape[1] if (multilabel or y.ndim == 2) else int(y.max()) + 1
    dims = [x.shape[1], *cfg.hidden, k]
    mods: list[nn.Module] = []
    for i in range(len(dims) - 1):
        mods.append(nn.Linear(dims[i], dims[i + 1]))
        if i < len(dims) - 2:
            mods += [nn.ReLU(), nn.Dropout(cfg.dropout)]
    net = nn.Sequential(*mods)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * int(np.ceil(len(x) / cfg.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps)
    xt = torch.from_numpy(np.asarray(x, dtype=np.float32))
    yt = torch.from_numpy(np.asarray(y, dtype=np.float32 if (multilabel or y.ndim == 2) else np.int64))
    wt = torch.from_numpy(np.ones(len(x), np.float32) if sample_weight is None else sample_weight.astype(np.float32))
    pw = None if pos_weight is None else torch.from_numpy(pos_weight.astype(np.float32))
    net.train()
    for _ in range(cfg.epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        for start in range(0, len(x), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            out = net(xt[idx])
            if multilabel:
                loss = nn.functional.binary_cross_entropy_with_logits(out, yt[idx], pos_weight=pw, reduction="none").mean(1)
            elif yt.ndim == 2:
                loss = -(yt[idx] * nn.functional.log_softmax(out, dim=1)).sum(1)
            else:
                loss = nn.functional.cross_entropy(out, yt[idx], reduction="none")
            loss = (loss * wt[idx]).sum() / wt[idx].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    return [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in linears]


def best_thresholds(y: np.ndarray, probs: np.ndarray, grid: np.ndarray | None = None) -> np.ndarray:
    """Per-label threshold maximising that label's F1 on a calibration set."""
    grid = np.arange(0.05, 0.95, 0.01) if grid is None else grid
    out = np.full(y.shape[1], 0.5, dtype=np.float32)
    for j in range(y.shape[1]):
        pred = probs[:, j][None, :] >= grid[:, None]
        tp = (pred & (y[:, j] == 1)[None, :]).sum(1)
        f1 = 2 * tp / np.maximum(pred.sum(1) + y[:, j].sum(), 1)
        out[j] = grid[int(np.argmax(f1))]
    return out


def split_calibration(n: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded (fit, calibration) split."""
    perm = np.random.default_rng(seed).permutation(n)
    cut = int(n * share)
    return perm[cut:], perm[:cut]


def emotion_data(rows: int | None = GOEMOTIONS_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """GoEmotions train embeddings and 0/1 targets (the first `rows` rows; None = all)."""
    texts, y = datasets.goemotions("train")
    texts, y = texts[:rows], y[:rows]
    return cached_encode(texts, "goemotions-train"), y


def sentiment_sources(
    sources: dict[str, float] = SENTIMENT_SOURCES, seed: int = 13, rows: int | None = GOEMOTIONS_ROWS
) -> list[tuple[str, list[str], np.ndarray, Callable[[], np.ndarray]]]:
    """The sentiment training sources: (name, texts, class ids, a function returning their embeddings).

    - GoEmotions: rows whose labels all fall in one sentiment group (positive/negative/neutral).
    - UCI sentences (the training part of the fixed split; the rest is held out for `make eval`).
    - BANKING77: a seeded sample of plain customer requests as neutral.
    - EmoBank: valence <= 2.6 negative, >= 3.4 positive, between neutral (authors' train split).
    """
    out: list[tuple[str, list[str], np.ndarray, Callable[[], np.ndarray]]] = []
    texts, y28 = datasets.goemotions("train")
    texts, y28 = texts[:rows], y28[:rows]
    groups = {}
    for g in ("negative", "neutral", "positive"):
        groups[g] = y28[:, [GOEMOTIONS_LABELS.index(lb) for lb in SENTIMENT_GROUPS[g]]].any(1)
    amb = y28[:, [GOEMOTIONS_LABELS.index(lb) for lb in SENTIMENT_GROUPS["ambiguous"]]].any(1)
    one = (groups["negative"].astype(int) + groups["neutral"] + groups["positive"] == 1) & ~amb
    label = np.where(groups["negative"], NEG, np.where(groups["positive"], POS, NEU))
    out.append(("goemotions", [t for t, k in zip(texts, one) if k], label[one],
                lambda: emotion_data(rows)[0][one]))
    if sources.get("uci", 0) > 0:
        uci_train, _ = datasets.uci_split()
        ut = uci_train["text"].tolist()
        out.append(("uci", ut, np.where(uci_train["label"].to_numpy() == 1, POS, NEG),
                    lambda: cached_encode(ut, "uci-train")))
    if sources.get("banking77", 0) > 0:
        bank = datasets.banking77("train")
        pick = np.sort(np.random.default_rng(seed).permutation(len(bank))[:BANKING77_NEUTRAL_ROWS])
        bt = bank["text"].iloc[pick].tolist()
        out.append(("banking77", bt, np.full(len(bt), NEU),
                    lambda: cached_encode(bt, f"banking77-train-sample{BANKING77_NEUTRAL_ROWS}")))
    if sources.get("emobank", 0) > 0:
        emo = datasets.emobank()
        emo = emo[emo["split"] == "train"]
        et, v = emo["text"].tolist(), emo["V"].to_numpy()
        out.append(("emobank", et, np.where(v <= 2.6, NEG, np.where(v >= 3.4, POS, NEU)),
                    lambda: cached_encode(et, "emobank-train")))
    return [entry for entry in out if sources.get(entry[0], 0) > 0]


def _weights(name: str, n: int, sources: dict[str, float]) -> np.ndarray:
    # Each source's rows are weighted so that sources count by their weight, not their size.
    return np.full(n, sources[name] * 10000.0 / max(n, 1), np.float32)


def sentiment_training_texts(
    sources: dict[str, float] = SENTIMENT_SOURCES, seed: int = 13, rows: int | None = GOEMOTIONS_ROWS
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, class ids and row weights of the sentiment mix (for trials that run the encoder)."""
    parts = sentiment_sources(sources, seed, rows)
    texts = [t for _, ts, _, _ in parts for t in ts]
    return texts, np.concatenate([y for _, _, y, _ in parts]), np.concatenate(
        [_weights(name, len(y), sources) for name, _, y, _ in parts])


def sentiment_data(
    sources: dict[str, float] = SENTIMENT_SOURCES, seed: int = 13, rows: int | None = GOEMOTIONS_ROWS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Embeddings, class ids, row weights and source names of the mixed sentiment training set."""
    parts = sentiment_sources(sources, seed, rows)
    x = np.concatenate([embed() for _, _, _, embed in parts])
    y = np.concatenate([labels for _, _, labels, _ in parts])
    w = np.concatenate([_weights(name, len(labels), sources) for name, _, labels, _ in parts])
    src = np.array([name for name, _, labels, _ in parts for _ in range(len(labels))])
    return x, y, w, src


def prior_bias(probs: np.ndarray, y: np.ndarray, steps: int = 200, lr: float = 0.5) -> np.ndarray:
    """Per-class logit offsets that maximise macro-recall on a calibration set (coordinate search)."""
    logp = np.log(np.clip(probs, 1e-9, 1))

    def macro_recall(b: np.ndarray) -> float:
        pred = (logp + b).argmax(1)
        return float(np.mean([(pred[y == c] == c).mean() for c in range(probs.shape[1]) if (y == c).any()]))

    bias = np.zeros(probs.shape[1])
    best = macro_recall(bias)
    grid = np.linspace(-1.5, 1.5, 31)
    for _ in range(3):
        for c in range(probs.shape[1]):
            for g in grid:
                trial = bias.copy()
                trial[c] = g
                score = macro_recall(trial)
                if score > best + 1e-6:
                    best, bias = score, trial
    return bias - bias.mean()


def average_mlps(members: list[list[tuple[np.ndarray, np.ndarray]]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """One-hidden-layer MLPs as a single MLP whose logits are the members' mean logits.

    The hidden units are stacked side by side and the output layer divides by the member count, so the
    shipped head stays one `Head` (two matrix products) whatever the ensemble size.
    """
    if any(len(m) != 2 for m in members):
        raise ValueError("average_mlps needs one-hidden-layer MLPs")
    w1 = np.concatenate([m[0][0] for m in members])
    b1 = np.concatenate([m[0][1] for m in members])
    w2 = np.concatenate([m[1][0] for m in members], axis=1) / len(members)
    b2 = np.mean([m[1][1] for m in members], axis=0)
    return [(w1, b1), (w2, b2.astype(np.float32))]


def cross_fit_emotion(
    x: np.ndarray, y: np.ndarray, cfg: HeadConfig, folds: int
) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """`folds` multi-label MLPs cross-fitted on (x, y): their averaged layers and out-of-fold thresholds."""
    fold = np.random.default_rng(cfg.seed).permutation(len(x)) % folds
    oof = np.zeros(y.shape, dtype=np.float32)
    members = []
    for k in range(folds):
        fit = fold != k
        # Rare labels (grief, pride, relief) get up-weighted positives: sqrt of the inverse odds, capped.
        freq = y[fit].mean(0)
        pos_weight = np.clip(np.sqrt((1 - freq) / np.maximum(freq, 1e-4)), 1.0, 10.0)
        member_cfg = dataclasses.replace(cfg, seed=cfg.seed + k)
        member = fit_mlp(x[fit], y[fit], member_cfg, multilabel=True, pos_weight=pos_weight)
        oof[~fit] = mlp_logits(member, x[~fit])
        members.append(member)
    return average_mlps(members), best_thresholds(y, 1 / (1 + np.exp(-oof)))


def train_emotion(
    out: Path, cfg: HeadConfig = EMOTION, rows: int | None = GOEMOTIONS_ROWS, folds: int = EMOTION_FOLDS
) -> dict:
    """Cross-fit `folds` MLPs on GoEmotions train and ship their average; thresholds from out-of-fold.

    Every row is predicted once by the member that did not see it, so the 28 thresholds are calibrated
    on all ~43k rows instead of a 10% split (whose rare labels have a few dozen positives and gave
    noisy thresholds), and no row is held back from fitting.
    """
    x, y = emotion_data(rows)
    t0 = time.time()
    layers, thresholds = cross_fit_emotion(x, y, cfg, folds)
    config = {
        "kind": "emotion", "name": "goemotions-mlp-v2", "labels": list(GOEMOTIONS_LABELS),
        "encoder": shared_encoder().name, "activation": "relu", "output": "sigmoid",
        "thresholds": [round(float(t), 3) for t in thresholds],
        "train": {"data": f"GoEmotions train (Apache-2.0), first {len(x)} rows: {folds}-fold cross-fit, "
                          "mean of the fold models' logits, thresholds on out-of-fold predictions",
                  "config": dataclasses.asdict(cfg), "folds": folds,
                  "pos_weight": "sqrt((1-f)/f) clipped to [1, 10]",
                  "rows": int(len(x)), "seconds": round(time.time() - t0, 1)},
    }
    save_head(out / "emotion", layers, config)
    return config


def train_sentiment(
    out: Path, cfg: HeadConfig = SENTIMENT, sources: dict[str, float] = SENTIMENT_SOURCES,
    rows: int | None = GOEMOTIONS_ROWS,
) -> dict:
    """Fit the 3-class head on the licensed mix; pick a class-prior correction on TweetEval val."""
    x, y, w, src = sentiment_data(sources, cfg.seed, rows)
    t0 = time.time()
    layers = fit_mlp(x, y, cfg, multilabel=False, sample_weight=w)
    val_texts, val_y = datasets.tweeteval("val")
    logits = mlp_logits(layers, cached_encode(val_texts, "tweeteval-val"))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    bias = prior_bias(probs, val_y)
    counts = {name: int((src == name).sum()) for name in sorted(set(src))}
    config = {
        "kind": "sentiment", "name": "sentiment-mix-mlp-v1", "labels": list(SENTIMENT_LABELS),
        "encoder": shared_encoder().name, "activation": "relu", "output": "softmax",
        "logit_bias": [round(float(b), 3) for b in bias],
        "score": "p_positive - p_negative",
        "train": {"data": counts, "source_weights": sources, "config": dataclasses.asdict(cfg),
                  "calibration": "logit_bias chosen for macro-recall on TweetEval sentiment val (not trained on)",
                  "seconds": round(time.time() - t0, 1)},
    }
    save_head(out / "sentiment", layers, config)
    return config


def main(argv: list[str] | None = None) -> None:
    """Train both heads into `--out` (default: the repo's `models/`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--only", choices=("emotion", "sentiment"), default=None)
    parser.add_argument("--goemotions-rows", type=int, default=GOEMOTIONS_ROWS or 0,
                        help="GoEmotions train rows to use, 0 = all 43,410 (default: %(default)s)")
    parser.add_argument("--mode", choices=("full", "fast", "both"), default="full",
                        help="heads for the full encoder (<out>/), the fast static one (<out>/fast/), or both")
    args = parser.parse_args(argv)
    for mode in ("full", "fast") if args.mode == "both" else (args.mode,):
        if mode == "fast":
            from pipelines.models.fast import record_distillation, use_fast_encoder

            encoder = use_fast_encoder()
            _train(args, args.out / "fast")
            for kind in ("emotion", "sentiment"):
                record_distillation(args.out / "fast" / kind, encoder)
        else:
            _train(args, args.out)


def _train(args: argparse.Namespace, out: Path) -> None:
    """Train the heads `--only` names into `out` with the process's shared encoder."""
    import torch

    # One thread: on the shared 2-core machine two threads made the small MLPs ~50x slower (spinning).
    torch.set_num_threads(1)
    rows = args.goemotions_rows or None
    if args.only in (None, "emotion"):
        cfg = train_emotion(out, rows=rows)
        print(f"emotion head -> {out / 'emotion'} ({cfg['train']['seconds']} s)")
    if args.only in (None, "sentiment"):
        cfg = train_sentiment(out, rows=rows)
        print(f"sentiment head -> {out / 'sentiment'} ({cfg['train']['seconds']} s) rows={json.dumps(cfg['train']['data'])}")


if __name__ == "__main__":
    main()
