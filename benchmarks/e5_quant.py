"""fp32 vs int8 vs partly-int8 multilingual-e5-small: agreement, speed and a Polish probe (measure only).

    python -m benchmarks.e5_quant [--n 256] [--configs int8,pc,pc:layer.4.output+layer.5.output,...] [--probe] [--heldout]
    python -m benchmarks.e5_quant --dev [--configs ...]   # the cheap probe: small dev samples only

Per configuration (`CONFIGS`: per-tensor or per-channel int8 weights, Linear layers kept in fp32 by
module-name substring), one thread:
- CPU seconds per text on the agreement texts (time.process_time, same texts for every configuration);
- cosine to fp32 (mean, 5th percentile) on the first `--n` PolEmo train texts, `--n` TweetEval val
  tweets and the demo's Chinese phrases x tails (label-free; no Chinese evaluation text is used);
- `--probe`: a logistic probe fitted on PolEmo train rows [0, 6144), scored on train rows [6144, 8192)
  (a Polish dev split, never the PolEmo eval rows), 3-class macro-F1;
- `--heldout`: the probe refitted on train rows [0, 8192) and scored once on PolEmo eval (MD5 0-2) and on the Chinese reviews (binary,
  p_positive - p_negative > 0): report figures only, never choose a configuration by them.
`--dev` (no agreement pass, cheap: 2,600 texts per configuration): a logistic probe fitted on PolEmo train
rows [0, 1500), scored on train rows [1500, 2000) (Polish dev) and on `chinese_dev()`, 600 Chinese reviews that
are NOT among `datasets.chinese_sentiment()`'s seeded 6,000 evaluation rows (Chinese is never trained on: this
sample only compares encoders), plus the CPU seconds of encoding those texts. Choose by these, report with `--heldout`.
Embeddings go through `cached_encode` (set VOC_EMBEDDING_CACHE to keep them out of ~/.cache).
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from pipelines.demo.languages import PHRASES, TAILS
from pipelines.models import datasets
from pipelines.models.e5 import E5Encoder
from pipelines.models.encoder import cached_encode

PROBE_ROWS = 8192
DEV_FIT, DEV_ROWS, ZH_DEV_PER_FILE = 1500, 2000, 200
FFN_OUT = tuple(f"layer.{i}.output" for i in range(12))  # layer.i.output.dense, not attention.output.dense
# Configuration -> E5Encoder keyword arguments (fp32 is the reference).
CONFIGS: dict[str, dict] = {
    "fp32": {},
    "int8": {"int8": True},
    "attn-out": {"int8": True, "keep_fp32": ("attention.output",)},
    "attention": {"int8": True, "keep_fp32": ("attention.",)},
    "ffn-in": {"int8": True, "keep_fp32": ("intermediate",)},
    "ffn-out": {"int8": True, "keep_fp32": FFN_OUT},
    "first2": {"int8": True, "keep_fp32": ("layer.0.", "layer.1.")},
    "last2": {"int8": True, "keep_fp32": ("layer.10.", "layer.11.")},
    "last4": {"int8": True, "keep_fp32": ("layer.8.", "layer.9.", "layer.10.", "layer.11.")},
    "pc": {"int8": True, "per_channel": True},
    "pc-ffn-out": {"int8": True, "per_channel": True, "keep_fp32": FFN_OUT},
    "pc-ffn-out-last6": {"int8": True, "per_channel": True, "keep_fp32": FFN_OUT[6:]},
    "pc-ffn-out-first6": {"int8": True, "per_channel": True, "keep_fp32": FFN_OUT[:6]},
    "pc-ffn-out-first3": {"int8": True, "per_channel": True, "keep_fp32": FFN_OUT[:3]},
    "pc-ffn-out-first1": {"int8": True, "per_channel": True, "keep_fp32": FFN_OUT[:1]},
    "ffn-out-first3": {"int8": True, "keep_fp32": FFN_OUT[:3]},
    "pc-ffn-out-last3": {"int8": True, "per_channel": True, "keep_fp32": FFN_OUT[9:]},
}


def encoder(config: str) -> E5Encoder:
    """A `CONFIGS` entry, or `int8:a+b` / `pc:a+b`: (per-channel) int8 with modules a, b kept in fp32."""
    if config in CONFIGS:
        return E5Encoder(threads=1, **CONFIGS[config])
    kind, _, keep = config.partition(":")
    return E5Encoder(threads=1, int8=True, per_channel=kind == "pc", keep_fp32=tuple(keep.split("+")))


def chinese_phrases() -> list[str]:
    """The demo's Chinese phrases with every mood tail (label-free agreement texts)."""
    phrases = itertools.chain.from_iterable(PHRASES["zh"].values())
    tails = list(itertools.chain.from_iterable(TAILS["zh"].values()))
    return [p + t for p, t in itertools.product(phrases, tails)]


def chinese_dev(per_file: int = ZH_DEV_PER_FILE, seed: int = 7):
    """`per_file` reviews of each Chinese file drawn from the rows the evaluation sample leaves out
    (label-balanced only as the files are); columns text, label."""
    import pandas as pd

    used = set(datasets.chinese_sentiment()["text"])
    parts = []
    for name in ("ChnSentiCorp_htl_all", "waimai_10k", "online_shopping_10_cats"):  # as datasets.chinese_sentiment
        df = pd.read_csv(datasets._path("chinese_sentiment", f"{name}.csv"))
        text = df["review"].fillna("").str.strip()
        df = df.assign(text=text)[(text != "") & ~text.isin(used)].sample(n=per_file, random_state=seed)
        parts.append(df[["text"]].assign(label=df["label"].astype(int)))
    return pd.concat(parts, ignore_index=True)


def dev_probe(configs: list[str]) -> None:
    """Per configuration: CPU seconds to encode the dev texts (0 when cached) and the probe's dev macro-F1."""
    pl_texts, pl_y = datasets.polemo("train")
    zh = chinese_dev()
    for config in configs:
        enc = encoder(config)
        start = time.process_time()
        xp = cached_encode(pl_texts[:DEV_ROWS], "e5-dev-probe-pl", enc)
        xz = cached_encode(zh["text"].tolist(), "e5-dev-probe-zh", enc)
        seconds = time.process_time() - start
        scores = probe(xp[:DEV_FIT], pl_y[:DEV_FIT], {"pl-dev": (xp[DEV_FIT:], pl_y[DEV_FIT:DEV_ROWS], False),
                                                      "zh-dev": (xz, zh["label"].to_numpy(), True)})
        print(f"{config:<18} {enc.name:<60} {seconds:6.1f} CPU s ({DEV_ROWS + len(zh)} texts)  "
              + " ".join(f"{k} {v:.3f}" for k, v in scores.items()), flush=True)


def probe(train_x, train_y, test_sets: dict) -> dict[str, float]:
    """Macro-F1 of a balanced logistic probe on each (x, y, binary) test set."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    lr = LogisticRegression(C=10, max_iter=3000, class_weight="balanced").fit(train_x, train_y)
    out = {}
    for name, (x, y, binary) in test_sets.items():
        if binary:
            p = lr.predict_proba(x)
            pred = (p[:, 2] - p[:, 0] > 0).astype(int)
        else:
            pred = lr.predict(x)
        out[name] = float(f1_score(y, pred, average="macro"))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256, help="PolEmo train and TweetEval val texts for agreement")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--probe", action="store_true", help=f"the Polish probe on {PROBE_ROWS} PolEmo train rows")
    parser.add_argument("--heldout", action="store_true", help="also score PolEmo eval and the Chinese reviews")
    parser.add_argument("--dev", action="store_true", help="only the cheap dev-sample probe (see the docstring)")
    args = parser.parse_args(argv)
    if args.dev:
        return dev_probe(args.configs.split(","))
    pl_texts, pl_y = datasets.polemo("train")
    sets = {"pl": pl_texts[: args.n], "en": datasets.tweeteval("val")[0][: args.n], "zh-demo": chinese_phrases()}
    configs = ["fp32", *[c for c in args.configs.split(",") if c != "fp32"]]
    ref: dict[str, np.ndarray] = {}
    for config in configs:
        enc = encoder(config)
        vecs, seconds, count = {}, 0.0, 0
        for name, texts in sets.items():
            start = time.process_time()
            vecs[name] = enc.encode(texts)  # not cached: this is the timed pass
            seconds += time.process_time() - start
            count += len(texts)
        if config == "fp32":
            ref = vecs
        agree = "  ".join(f"{n} cos {(v * ref[n]).sum(1).mean():.4f} p5 {np.percentile((v * ref[n]).sum(1), 5):.4f}"
                          for n, v in vecs.items())
        line = f"{config:<10} {enc.name:<60} {1000 * seconds / count:6.1f} CPU ms/text  {agree}"
        if args.probe:
            # The first PROBE_ROWS PolEmo train rows, cached under the name every e5 probe and
            # multilingual_train share (its first chunk): fit on [0, 3/4), Polish dev on [3/4, 1).
            x = cached_encode(pl_texts[:PROBE_ROWS], "polemo-train", enc)
            y, cut = pl_y[:PROBE_ROWS], PROBE_ROWS * 3 // 4
            scores = probe(x[:cut], y[:cut], {"pl-dev": (x[cut:], y[cut:], False)})
            if args.heldout:  # refit on all PROBE_ROWS rows, as the earlier 8,192-row probe
                ev_texts, ev_y = datasets.polemo("eval")
                zh = datasets.chinese_sentiment()
                scores |= probe(x, y, {
                    "pl-eval": (cached_encode(ev_texts, "polemo-eval", enc), ev_y, False),
                    "zh": (cached_encode(zh["text"].tolist(), "chinese-sentiment-sample", enc),
                           zh["label"].to_numpy(), True)})
            line += "  probe " + " ".join(f"{k} {v:.3f}" for k, v in scores.items())
        print(line, flush=True)


if __name__ == "__main__":
    main()
