"""Teach a head a center's own labels, warm-started from the shipped head, in seconds.

The taught head keeps the shipped head whole and learns a correction on top of it, on the stored
embeddings (no encoder pass):

    logits(x) = a * shipped_logits(x) + W x + b          (sentiment: 3 classes)
    logits_i(x) = shipped_logits_i(x) + W_g(i) x + b_g(i) (emotion: the 28 labels; g = Ekman group)

`W`, `b` (and `a`) are fitted by L2-penalised, class-balanced softmax regression with the shipped
logits as an offset, so with no labels it *is* the shipped head and a few labels only nudge it. For
emotion, adding the same offset to every label of an Ekman group shifts that group's max logit by
exactly that offset, so the Ekman softmax is fitted on the group maxima and the 28-label head follows.

The result is again a plain two-layer `Head` (hidden = the shipped hidden units, then x and -x
through the ReLU, which pass x through unchanged), so inference and storage are the shipped ones.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pipelines.models.heads import mlp_logits
from pipelines.models.labels import EKMAN_LABELS, SENTIMENT_LABELS, ekman_matrix

# L2 penalty on W (per label, embeddings are unit vectors) and on (a - 1); chosen on the shared
# airline learning curve (`make eval`, labels from some users, scores on others).
L2 = 0.001
L2_SCALE = 0.1
MIN_LABELS = 10
FOLDS = 5
# Sentiment: the taught head is mixed with a plain probe (no offset), logits w * taught + (1 - w) * probe,
# w chosen per teach by the grouped cross-validation on the center's own labels (`fit_mix`).
MIX_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
PROBE_C = 10.0  # inverse L2 strength of the probe, as sklearn's LogisticRegression(C=10, balanced)


@dataclasses.dataclass(frozen=True)
class Fit:
    """A fitted correction: weights (k, d), bias (k,), scale of the shipped logits."""

    w: np.ndarray
    b: np.ndarray
    scale: float

    def logits(self, offset: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Class logits of the taught head given the shipped head's (class) logits `offset`."""
        return self.scale * offset + x @ self.w.T + self.b


def fit_correction(
    offset: np.ndarray, x: np.ndarray, y: np.ndarray, k: int, l2: float = L2, learn_scale: bool = True,
) -> Fit:
    """Class-balanced softmax regression on `x` with the shipped logits `offset` (n, k) as a start."""
    from scipy.optimize import minimize

    n, d = x.shape
    counts = np.bincount(y, minlength=k).astype(np.float64)
    weight = (n / (k * np.maximum(counts, 1)))[y]  # class-balanced: macro-F1 is the target
    weight = weight / weight.sum()
    onehot = np.eye(k)[y]
    x64, off = x.astype(np.float64), offset.astype(np.float64)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: k * d].reshape(k, d)
        b = theta[k * d : k * d + k]
        a = theta[-1] if learn_scale else 1.0
        z = a * off + x64 @ w.T + b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        value = -(weight * np.log(np.clip((p * onehot).sum(1), 1e-12, None))).sum()
        value += 0.5 * l2 * (w ** 2).sum() + 0.5 * l2 * L2_SCALE * (a - 1.0) ** 2
        g = (p - onehot) * weight[:, None]
        grad = [(g.T @ x64 + l2 * w).ravel(), g.sum(0)]
        if learn_scale:
            grad.append(np.array([(g * off).sum() + l2 * L2_SCALE * (a - 1.0)]))
        return value, np.concatenate(grad)

    theta0 = np.zeros(k * d + k + (1 if learn_scale else 0))
    if learn_scale:
        theta0[-1] = 1.0
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    t = res.x
    return Fit(t[: k * d].reshape(k, d).astype(np.float32), t[k * d : k * d + k].astype(np.float32),
               float(t[-1]) if learn_scale else 1.0)


def fit_probe(x: np.ndarray, y: np.ndarray, k: int, c: float = PROBE_C) -> Fit:
    """A plain class-balanced L2 softmax probe on `x` (the shipped logits ignored: scale 0)."""
    f = fit_correction(np.zeros((len(y), k), np.float32), x, y, k, l2=1.0 / (c * len(y)), learn_scale=False)
    return Fit(f.w, f.b, 0.0)


def mixed(taught: Fit, probe: Fit, weight: float) -> Fit:
    """One head whose logits are `weight` * taught + (1 - weight) * probe (argmax = the log-probability mix)."""
    return Fit((weight * taught.w + (1 - weight) * probe.w).astype(np.float32),
               (weight * taught.b + (1 - weight) * probe.b).astype(np.float32),
               float(weight * taught.scale + (1 - weight) * probe.scale))


def fit_mix(
    offset: np.ndarray, x: np.ndarray, y: np.ndarray, groups: np.ndarray, k: int,
    weights: tuple[float, ...] = MIX_WEIGHTS,
) -> tuple[Fit, float, float, float]:
    """The taught head mixed with a plain probe, the weight chosen by grouped cross-validation on these
    labels only: (fit on all labels, weight, out-of-fold macro-F1 at that weight, shipped macro-F1)."""
    fold = folds(y, groups)
    oof_t = np.zeros((len(y), k))
    oof_p = np.zeros((len(y), k))
    for f in np.unique(fold):
        tr, te = fold != f, fold == f
        oof_t[te] = fit_correction(offset[tr], x[tr], y[tr], k).logits(offset[te], x[te])
        oof_p[te] = fit_probe(x[tr], y[tr], k).logits(offset[te], x[te])
    scores = [macro_f1(y, (w * oof_t + (1 - w) * oof_p).argmax(1), k) for w in weights]
    best = max(range(len(weights)), key=lambda i: (scores[i], weights[i]))  # ties: nearer the shipped head
    weight = weights[best]
    fit = mixed(fit_correction(offset, x, y, k), fit_probe(x, y, k), weight)
    return fit, float(weight), scores[best], macro_f1(y, offset.argmax(1), k)


@dataclasses.dataclass(frozen=True)
class NestedScore:
    """A nested cross-validation of `fit_mix`: out-of-fold macro-F1 of the mix, the shipped head's on the
    same labels, and the weight each outer fold's training labels chose."""

    mix_macro_f1: float
    shipped_macro_f1: float
    weights: tuple[float, ...]


def nested_cross_validate(
    offset: np.ndarray, x: np.ndarray, y: np.ndarray, groups: np.ndarray, k: int,
    weights: tuple[float, ...] = MIX_WEIGHTS,
) -> NestedScore:
    """Score `fit_mix` as teach deploys it: in each outer fold (grouped by customer) the weight is chosen
    by `fit_mix` on that fold's training labels only (its own inner grouped folds), then the mix is scored
    on the outer test fold. The weight-picking score of `fit_mix` is optimistic (the best of several
    weights on the same folds); this one is not, so it is what an accept gate compares."""
    fold = folds(y, groups)
    pred = np.zeros(len(y), dtype=np.int64)
    chosen = []
    for f in np.unique(fold):
        tr, te = fold != f, fold == f
        mix, weight, _, _ = fit_mix(offset[tr], x[tr], y[tr], groups[tr], k, weights)
        pred[te] = mix.logits(offset[te], x[te]).argmax(1)
        chosen.append(weight)
    return NestedScore(macro_f1(y, pred, k), macro_f1(y, offset.argmax(1), k), tuple(chosen))


def macro_f1(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Macro-F1 over the classes present in `y` or `pred`."""
    from sklearn.metrics import f1_score

    labels = sorted(set(np.asarray(y).tolist()) | set(np.asarray(pred).tolist()))
    return float(f1_score(y, pred, labels=labels, average="macro", zero_division=0))


def folds(y: np.ndarray, groups: np.ndarray, n_folds: int = FOLDS, seed: int = 13) -> np.ndarray:
    """Fold id per row: stratified by label, grouped by customer (one customer's labels in one fold)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_folds = max(2, min(n_folds, int(np.bincount(y).max())))
    out = np.zeros(len(y), dtype=np.int64)
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
        out[test] = k
    return out


def cross_validate(
    offset: np.ndarray, x: np.ndarray, y: np.ndarray, groups: np.ndarray, k: int, learn_scale: bool,
    l2: float = L2,
) -> tuple[float, float]:
    """Out-of-fold macro-F1 of the taught head and the shipped head's macro-F1 on the same labels."""
    fold = folds(y, groups)
    pred = np.zeros(len(y), dtype=np.int64)
    for f in np.unique(fold):
        fit = fit_correction(offset[fold != f], x[fold != f], y[fold != f], k, l2, learn_scale)
        pred[fold == f] = fit.logits(offset[fold == f], x[fold == f]).argmax(1)
    return macro_f1(y, pred, k), macro_f1(y, offset.argmax(1), k)


def class_offsets(task: str, layers, config: dict, x: np.ndarray) -> np.ndarray:
    """The shipped head's logits per taught class: sentiment logits + prior bias, or Ekman group maxima."""
    z = mlp_logits(layers, x)
    if task == "sentiment":
        return z + np.asarray(config.get("logit_bias", [0.0] * z.shape[1]), dtype=np.float32)
    m = ekman_matrix()
    return np.stack([z[:, m[:, j] > 0].max(1) for j in range(m.shape[1])], axis=1)


def taught_layers(task: str, layers, config: dict, fit: Fit) -> tuple[list, dict]:
    """The shipped head plus the correction as one two-layer head (weights, config changes)."""
    if len(layers) != 2:
        raise ValueError(f"teach needs a one-hidden-layer head; the shipped {task} head has {len(layers) - 1}")
    (w1, b1), (w2, b2) = layers
    d = w1.shape[1]
    eye = np.eye(d, dtype=np.float32)
    hidden_w = np.vstack([w1, eye, -eye])
    hidden_b = np.concatenate([b1, np.zeros(2 * d, np.float32)])
    if task == "sentiment":
        bias = np.asarray(config.get("logit_bias", [0.0] * len(b2)), dtype=np.float32)
        out_w = np.hstack([fit.scale * w2, fit.w, -fit.w])
        out_b = fit.scale * (b2 + bias) + fit.b
        return [(hidden_w, hidden_b), (out_w, out_b.astype(np.float32))], {"logit_bias": [0.0] * len(b2)}
    group = ekman_matrix().argmax(1)  # Ekman group of each GoEmotions label
    out_w = np.hstack([w2, fit.w[group], -fit.w[group]])
    out_b = b2 + fit.b[group]
    return [(hidden_w, hidden_b), (out_w, out_b.astype(np.float32))], {}


def classes(task: str) -> tuple[str, ...]:
    """The label set a task's head is taught."""
    return {"sentiment": SENTIMENT_LABELS, "emotion": EKMAN_LABELS}[task]


