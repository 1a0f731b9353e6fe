"""A bounded LoRA fine-tuning trial of the encoder for sentiment, to measure the trade-off against
the frozen-encoder heads (reported in models/MODEL_CARD.md; the heads stay the shipped default).

    python -m pipelines.models.lora --seconds 300 --eval-rows 400

LoRA (Hu et al., 2021) is written out here (rank-r updates on the attention query/value projections)
rather than pulled in with `peft`, which keeps the runtime dependencies unchanged. The trial trains
on the same licensed sentiment mix as `train.py` for a fixed wall-clock budget and scores a seeded
subset of TweetEval val, next to the shipped frozen head on the same rows.
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
            self.b = nn.Parameter(torch.zeros(base.out_features, rank))
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


def pooled(enc: Encoder, texts: list[str]) -> object:
    """Mean-pooled, normalised embeddings with gradients (the Encoder's pooling, batch as given)."""
    import torch

    batch = enc.tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    hidden = enc.model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    out = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(out, dim=1)


def trial(seconds: float, eval_rows: int, seed: int = 13) -> dict[str, float]:
    """Train LoRA + a linear head for `seconds`; return throughput and TweetEval-val macro-recall."""
    import torch
    from sklearn.metrics import recall_score

    from pipelines.models import load_sentiment
    from pipelines.models.train import GOEMOTIONS_ROWS, SENTIMENT_SOURCES, sentiment_training_texts

    torch.manual_seed(seed)
    texts, y, w = sentiment_training_texts(SENTIMENT_SOURCES, seed, GOEMOTIONS_ROWS)
    rng = np.random.default_rng(seed)
    enc = Encoder()
    params = add_lora(enc.model)
    head = torch.nn.Linear(384, 3)
    opt = torch.optim.AdamW([*params, *head.parameters()], lr=5e-4)
    probs = w / w.sum()
    enc.model.train()
    seen, start = 0, time.time()
    while time.time() - start < seconds:
        idx = rng.choice(len(texts), size=16, p=probs)
        logits = head(pooled(enc, [texts[i] for i in idx]))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        seen += len(idx)
    train_s = time.time() - start
    val_texts, val_y = datasets.tweeteval("val")
    pick = np.sort(rng.permutation(len(val_texts))[:eval_rows])
    vt, vy = [val_texts[i] for i in pick], val_y[pick]
    enc.model.eval()
    with torch.inference_mode():
        pred = np.concatenate([head(pooled(enc, vt[i : i + 32])).argmax(1).numpy() for i in range(0, len(vt), 32)])
    frozen = load_sentiment().predict_proba(vt, Encoder().encode(vt)).argmax(1)
    return {
        "train_seconds": round(train_s, 1), "train_texts": seen, "train_texts_per_s": round(seen / train_s, 2),
        "lora_params": int(sum(p.numel() for p in params)),  # type: ignore[attr-defined]
        "lora_macro_recall": float(recall_score(vy, pred, average="macro")),
        "frozen_head_macro_recall": float(recall_score(vy, frozen, average="macro")),
        "eval_rows": len(vt),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="bounded LoRA fine-tuning trial (sentiment)")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--eval-rows", type=int, default=400)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    for key, value in trial(args.seconds, args.eval_rows).items():
        print(f"{key:26s} {value}")


if __name__ == "__main__":
    main()
