"""A bounded LoRA fine-tuning trial of the encoder for sentiment, to measure the trade-off against
the frozen-encoder heads (reported in models/MODEL_CARD.md; the heads stay the shipped default).

    python -m pipelines.models.lora --seconds 600 --eval-rows 1000 --threads 1

LoRA (Hu et al., 2021) is written out here (rank-r updates on the attention query/value projections)
rather than pulled in with `peft`, which keeps the runtime dependencies unchanged. The trial starts
from the shipped sentiment head (so step 0 *is* the frozen-head model and any change is the LoRA
effect), trains adapters + head on the same licensed mix as `train.py` for a wall-clock budget,
refits the class-prior offset on a TweetEval val subset (as `train.py` does on all of val), and scores
a seeded TweetEval **test** subset next to the shipped frozen head on the same rows. It also times
the encoder pass with and without the adapters on those rows (the inference cost of a second pass).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pipelines.models import datasets
from pipelines.models.encoder import Encoder


def add_lora(model: object, rank: int = 8, alpha: float = 16.0) -> list[object]:
    """Freeze `model` and wrap every attention query/value Linear with a trainable rank-`rank` update."""
    import torch
    from torch import nn

    class LoRALinear(nn.Module):
        def __init__(self, base: nn.Linear) -> None:
            super().__init__()
            self.base = base
            self.a = nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
            self.b = nn.Parameter(torch.zeros(base.out_features, rank))  # zero: starts as the base model
            self.scale = alpha / rank

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale

    for p in model.parameters():  # type: ignore[attr-defined]
        p.requires_grad_(False)
    params: list[object] = []
    for module in list(model.modules()):  # type: ignore[attr-defined]
        for name in ("query", "value"):
            child = getattr(module, name, None)
            if isinstance(child, nn.Linear):
                wrapped = LoRALinear(child)
                setattr(module, name, wrapped)
                params += [wrapped.a, wrapped.b]
    return params


def head_module(layers: list[tuple[np.ndarray, np.ndarray]]) -> object:
    """A trainable torch copy of a NumPy MLP head (ReLU between layers, as `heads.Head.logits`)."""
    import torch
    from torch import nn

    mods: list[nn.Module] = []
    for i, (w, b) in enumerate(layers):
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        if i < len(layers) - 1:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def pooled(enc: Encoder, texts: list[str]) -> object:
    """Mean-pooled, normalised embeddings with gradients (the Encoder's pooling, batch as given)."""
    import torch

    batch = enc.tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    hidden = enc.model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    out = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(out, dim=1)


def _softmax_np(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def trial(
    seconds: float, eval_rows: int, val_rows: int = 500, batch: int = 16, seed: int = 13
) -> dict[str, float]:
    """Train LoRA + the warm-started head for `seconds`; return costs and TweetEval-test macro-recall."""
    import torch
    from sklearn.metrics import recall_score

    from pipelines.models import load_sentiment
    from pipelines.models.evaluate import subsample
    from pipelines.models.train import (
        GOEMOTIONS_ROWS,
        SENTIMENT_SOURCES,
        prior_bias,
        sentiment_training_texts,
    )

    torch.manual_seed(seed)
    texts, y, w = sentiment_training_texts(SENTIMENT_SOURCES, seed, GOEMOTIONS_ROWS)
    rng = np.random.default_rng(seed)
    frozen = load_sentiment()
    test_texts, test_y = subsample(*datasets.tweeteval("test"), eval_rows, seed)
    val_texts, val_y = subsample(*datasets.tweeteval("val"), val_rows, seed)

    base = Encoder()
    base_s = time.perf_counter()
    base_vecs = base.encode(test_texts)
    base_s = time.perf_counter() - base_s
    frozen_pred = frozen.predict_proba(test_texts, base_vecs).argmax(1)

    enc = Encoder()
    params = add_lora(enc.model)
    head = head_module(frozen.head.layers)
    opt = torch.optim.AdamW([{"params": params, "lr": 5e-4}, {"params": head.parameters(), "lr": 1e-4}])
    probs = w / w.sum()
    enc.model.train()
    steps, start = 0, time.time()
    while time.time() - start < seconds:
        idx = rng.choice(len(texts), size=batch, p=probs)
        logits = head(pooled(enc, [texts[i] for i in idx]))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
    train_s = time.time() - start

    enc.model.eval()
    lora_s = time.perf_counter()
    lora_vecs = enc.encode(test_texts)
    lora_s = time.perf_counter() - lora_s
    with torch.inference_mode():
        val_logits = head(torch.from_numpy(enc.encode(val_texts))).numpy()
        test_logits = head(torch.from_numpy(lora_vecs)).numpy()
    bias = prior_bias(_softmax_np(val_logits), val_y)
    lora_pred = (np.log(np.clip(_softmax_np(test_logits), 1e-9, 1)) + bias).argmax(1)
    seen = steps * batch
    return {
        "train_seconds": round(train_s, 1), "train_steps": steps, "train_texts": seen,
        "train_texts_per_s": round(seen / train_s, 2),
        "hours_per_epoch_of_mix": round(len(texts) / (seen / train_s) / 3600, 2), "mix_texts": len(texts),
        "lora_params": int(sum(p.numel() for p in params)),  # type: ignore[attr-defined]
        "eval_rows": len(test_texts),
        "frozen_head_macro_recall": round(float(recall_score(test_y, frozen_pred, average="macro")), 4),
        "lora_macro_recall": round(float(recall_score(test_y, lora_pred, average="macro")), 4),
        "embedding_drift_l2": round(float(np.linalg.norm(lora_vecs - base_vecs, axis=1).mean()), 4),
        "base_encode_texts_per_s": round(len(test_texts) / base_s, 1),
        "lora_encode_texts_per_s": round(len(test_texts) / lora_s, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Run one trial and print its figures (the model card quotes them)."""
    parser = argparse.ArgumentParser(description="bounded LoRA fine-tuning trial (sentiment)")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--eval-rows", type=int, default=1000, help="seeded TweetEval test rows scored")
    parser.add_argument("--val-rows", type=int, default=500, help="TweetEval val rows for the prior offset")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    for key, value in trial(args.seconds, args.eval_rows, args.val_rows).items():
        print(f"{key:26s} {value}")


if __name__ == "__main__":
    main()
