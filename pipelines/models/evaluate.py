"""Model quality on public data no one here wrote, next to the VADER lexicon (`make eval`).

    python -m pipelines.models.evaluate [--json models/metrics.json] [--mode full|fast|both]

Prints GoEmotions dev macro-F1 (28 labels, Ekman), TweetEval sentiment test macro-recall, airline
tweets macro-F1 and accuracy (CC BY-NC-SA: evaluation only), the held-out UCI split's accuracy,
EmoBank test valence correlation, and a check on hand-written customer-service cases. By default
it does so for the full and the fast mode (`[models] mode`) and ends with the two side by side,
with each encoder's embedding throughput, then the multilingual route's figures per language
(Chinese, Polish) and its encoder next to the English one on the English sets (`evaluate_languages`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, recall_score

from pipelines.models import ModelSettings, datasets, load_emotion, load_settings, load_sentiment, sentiment_score
from pipelines.models.encoder import cached_encode
from pipelines.models.nev import nev_text
from pipelines.models.labels import (
    GOEMOTIONS_LABELS,
    SENTIMENT_GROUPS,
    SENTIMENT_LABELS,
    ekman_labels_from_multi,
)

# Target-domain probes: complaints, sarcasm, polite anger, thanks, plain requests.
SERVICE_CASES: list[tuple[str, str, str]] = [
    ("complaint", "My flight was cancelled and nobody at the desk could tell me anything.", "negative"),
    ("complaint", "I have been on hold for two hours. This is ridiculous.", "negative"),
    ("complaint", "You charged my card twice and still haven't refunded me.", "negative"),
    ("sarcasm", "Great, another delay. Just what I needed today.", "negative"),
    ("sarcasm", "Thanks for losing my luggage, really appreciate it.", "negative"),
    ("sarcasm", "Wow, only 3 hours on hold this time, amazing service.", "negative"),
    ("polite anger", "I would appreciate it if someone could finally explain why my refund is still missing.", "negative"),
    ("polite anger", "With respect, this is the fourth time I am asking for the same thing.", "negative"),
    ("polite anger", "I'm sorry but this is simply not acceptable.", "negative"),
    ("thanks", "Thank you so much, the agent sorted it out in minutes!", "positive"),
    ("thanks", "Really appreciate your help today, you were great.", "positive"),
    ("thanks", "Thanks, that fixed it.", "positive"),
    ("request", "How do I change the email address on my account?", "neutral"),
    ("request", "What time does the branch open on Saturday?", "neutral"),
    ("request", "Please send me a copy of my last invoice.", "neutral"),
]


def vader_compound(texts: list[str]) -> np.ndarray:
    """VADER's compound score in [-1, 1] per text."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(t)["compound"] for t in texts])


def vader_classes(compound: np.ndarray) -> np.ndarray:
    """VADER as a 3-class model at its standard cut-offs: <= -0.05 negative, >= 0.05 positive."""
    return np.where(compound <= -0.05, 0, np.where(compound >= 0.05, 2, 1))


class Runner:
    """Scores texts with the configured models (cached embeddings) and with VADER."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.sentiment = load_sentiment(settings)
        self.emotion = load_emotion(settings)

    def _emb(self, texts: list[str], name: str, model: object) -> np.ndarray | None:
        return cached_encode(texts, name) if getattr(model, "needs_embeddings", False) else None

    def sent(self, texts: list[str], name: str, emb: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(probs, score) of our sentiment model (`emb`: embeddings already at hand)."""
        if emb is None or not self.sentiment.needs_embeddings:
            emb = self._emb(texts, name, self.sentiment)
        probs = self.sentiment.predict_proba(texts, emb)
        return probs, sentiment_score(probs)


def three_class(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 and macro-recall over the 3 sentiment classes."""
    labels = [0, 1, 2]
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
        "macro_recall": float(recall_score(y, pred, labels=labels, average="macro", zero_division=0)),
    }


def goemotions_dev(run: Runner) -> dict[str, float]:
    """Emotion macro/micro-F1 (28), Ekman macro-F1 (7) and sentiment-group macro-F1 on dev."""
    texts, y = datasets.goemotions("dev")
    emb = cached_encode(texts, "goemotions-dev")
    probs = run.emotion.predict_proba(texts, emb if run.emotion.needs_embeddings else None)
    pred = (probs >= run.emotion.thresholds).astype(int)
    out = {
        "emotion_macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "emotion_micro_f1": float(f1_score(y, pred, average="micro", zero_division=0)),
        # An Ekman label is predicted when any of its GoEmotions labels is (GoEmotions' grouping).
        "ekman_macro_f1": float(f1_score(ekman_labels_from_multi(y), ekman_labels_from_multi(pred), average="macro", zero_division=0)),
    }
    # As the enrichment labels texts (`scoring.top_emotions`): a text with no label over its threshold
    # gets its most probable label.
    shown = pred.copy()
    empty = np.flatnonzero(pred.sum(1) == 0)
    shown[empty, probs[empty].argmax(1)] = 1
    out["emotion_macro_f1_top1_fallback"] = float(f1_score(y, shown, average="macro", zero_division=0))
    # NEV (text proxy) at the configured min_emotion: are neutral texts excluded, emotional ones kept,
    # and does the sign follow the gold sentiment group?
    _, _, nev = nev_text(probs, run.settings.nev_min_emotion)
    neutral_only = (y[:, GOEMOTIONS_LABELS.index("neutral")] == 1) & (y.sum(1) == 1)
    out["nev_min_emotion"] = run.settings.nev_min_emotion
    out["nev_excluded_neutral_only"] = float(np.isnan(nev[neutral_only]).mean())
    group = np.zeros((len(y), 3), dtype=bool)
    for j, g in enumerate(SENTIMENT_LABELS):
        group[:, j] = y[:, [GOEMOTIONS_LABELS.index(lb) for lb in SENTIMENT_GROUPS[g]]].any(1)
    amb = y[:, [GOEMOTIONS_LABELS.index(lb) for lb in SENTIMENT_GROUPS["ambiguous"]]].any(1)
    keep = (group.sum(1) == 1) & ~amb
    gold = group[keep].argmax(1)
    polar = keep & ~group[:, 1]
    out["nev_kept_polar"] = float((~np.isnan(nev[polar])).mean())
    signs = np.sign(nev[polar])
    out["nev_sign_agreement"] = float((signs[~np.isnan(signs)] == np.where(group[polar, 2], 1, -1)[~np.isnan(signs)]).mean())
    sprobs, _ = run.sent([t for t, k in zip(texts, keep) if k], "goemotions-dev-sent", emb[keep])
    out["sentiment_macro_f1"] = three_class(gold, sprobs.argmax(1))["macro_f1"]
    out["vader_sentiment_macro_f1"] = three_class(gold, vader_classes(vader_compound([t for t, k in zip(texts, keep) if k])))["macro_f1"]
    return out


def subsample(texts: list[str], y: np.ndarray, n: int, seed: int = 13) -> tuple[list[str], np.ndarray]:
    """A seeded random subset of `n` rows (all rows when n is 0 or larger than the set)."""
    if not n or n >= len(texts):
        return texts, y
    pick = np.sort(np.random.default_rng(seed).permutation(len(texts))[:n])
    return [texts[i] for i in pick], y[pick]


def sentiment_sets(run: Runner, sample: int = 0) -> dict[str, dict[str, float]]:
    """TweetEval test, airline tweets, UCI held-out, EmoBank test, for our model and VADER."""
    out: dict[str, dict[str, float]] = {}
    for name, (texts, y) in {"tweeteval_test": datasets.tweeteval("test"), "airline": datasets.airline()}.items():
        texts, y = subsample(texts, y, sample)
        out[f"{name}_rows"] = {"rows": len(texts)}
        probs, _ = run.sent(texts, f"{name}-{len(texts)}")
        out[name] = three_class(y, probs.argmax(1))
        out[f"{name}_vader"] = three_class(y, vader_classes(vader_compound(texts)))
    _, held = datasets.uci_split()
    texts, y = held["text"].tolist(), held["label"].to_numpy()
    _, score = run.sent(texts, "uci-heldout")
    compound = vader_compound(texts)
    # Binary set: positive when the score leans positive (neutral mass ignored), VADER likewise.
    out["uci_heldout"] = {"accuracy": float(((score > 0).astype(int) == y).mean())}
    out["uci_heldout_vader"] = {"accuracy": float(((compound >= 0).astype(int) == y).mean())}
    emo = datasets.emobank()
    emo = emo[emo["split"] == "test"]
    _, score = run.sent(emo["text"].tolist(), "emobank-test")
    out["emobank_test"] = {"pearson_v": float(np.corrcoef(score, emo["V"])[0, 1])}
    out["emobank_test_vader"] = {"pearson_v": float(np.corrcoef(vader_compound(emo["text"].tolist()), emo["V"])[0, 1])}
    return out


def service_cases(run: Runner) -> list[dict[str, object]]:
    """Predictions on the hand-written customer-service probes, ours and VADER's."""
    texts = [t for _, t, _ in SERVICE_CASES]
    probs = run.sentiment.predict_proba(texts, cached_encode(texts, "service-cases") if run.sentiment.needs_embeddings else None)
    eprobs = run.emotion.predict_proba(texts, cached_encode(texts, "service-cases") if run.emotion.needs_embeddings else None)
    vader = vader_classes(vader_compound(texts))
    rows = []
    for i, (kind, text, gold) in enumerate(SERVICE_CASES):
        top = [GOEMOTIONS_LABELS[j] for j in np.argsort(-eprobs[i])[:2]]
        rows.append({"kind": kind, "text": text, "gold": gold, "ours": SENTIMENT_LABELS[int(probs[i].argmax())],
                     "vader": SENTIMENT_LABELS[int(vader[i])], "top_emotions": top})
    return rows


def throughput(encoder: object, texts: list[str], min_seconds: float = 5.0) -> float:
    """Texts per second of `encoder.encode` on `texts` (repeated until `min_seconds` have passed)."""
    encoder.encode(texts[:64])  # warm-up: first-call allocations are not throughput
    done, start = 0, time.perf_counter()
    while True:
        encoder.encode(texts)
        done += len(texts)
        if time.perf_counter() - start >= min_seconds:
            return done / (time.perf_counter() - start)


# (label, mode result -> value) rows of the full-versus-fast table.
COMPARISON = (
    ("GoEmotions dev macro-F1 (28 labels)", lambda r: r["goemotions_dev"]["emotion_macro_f1"]),
    ("GoEmotions dev Ekman macro-F1 (7)", lambda r: r["goemotions_dev"]["ekman_macro_f1"]),
    ("GoEmotions dev sentiment groups macro-F1", lambda r: r["goemotions_dev"]["sentiment_macro_f1"]),
    ("TweetEval test macro-recall", lambda r: r["sentiment"]["tweeteval_test"]["macro_recall"]),
    ("Airline tweets macro-F1", lambda r: r["sentiment"]["airline"]["macro_f1"]),
    ("Airline tweets accuracy", lambda r: r["sentiment"]["airline"]["accuracy"]),
    ("UCI held-out accuracy", lambda r: r["sentiment"]["uci_heldout"]["accuracy"]),
    ("EmoBank test valence r", lambda r: r["sentiment"]["emobank_test"]["pearson_v"]),
    ("Customer-service probes right (of 15)",
     lambda r: sum(c["ours"] == c["gold"] for c in r["service_cases"])),
)


def compare(results: dict[str, dict]) -> None:
    """Print the modes' headline figures side by side, then each encoder's texts/s."""
    modes = list(results)

    def cell(value: float | int) -> str:
        return f"{value:>10.3f}" if isinstance(value, float) else f"{value:>10d}"

    print("\n" + f"{'Full versus fast mode (same rows)':44s}" + "".join(f"{m:>10s}" for m in modes))
    for label, get in COMPARISON:
        print(f"  {label:42s}" + "".join(cell(get(results[m])) for m in modes))
    rates = "".join(f"{results[m]['throughput']['texts_per_s']:>10,.0f}" for m in modes)
    print(f"  {'embedding throughput (texts/s)':42s}{rates}")
    load = results[modes[-1]]["throughput"]["load_1min"]
    print(f"  (throughput on GoEmotions dev texts, one process; load {load:.1f} on {os.cpu_count()} cores)")


def main(argv: list[str] | None = None) -> dict:
    """Print every figure for each mode; `--json` also writes them (the model card quotes that file).

    With both modes the JSON keeps the full mode's figures at the top level, as before, and adds the
    fast mode's under "fast".
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=0,
                        help="score a seeded random subset of N rows of TweetEval test and airline (0 = all)")
    parser.add_argument("--mode", choices=("full", "fast", "both"), default="both",
                        help="the full encoder's heads, the fast static one's (models/fast), or both")
    parser.add_argument("--throughput-texts", type=int, default=1000,
                        help="GoEmotions dev texts timed per encoder for texts/s (default: %(default)s)")
    parser.add_argument("--no-languages", action="store_true",
                        help="skip the multilingual route's per-language figures and encoder comparison")
    args = parser.parse_args(argv)
    results: dict[str, dict] = {}
    for mode in ("full", "fast") if args.mode == "both" else (args.mode,):
        from pipelines.models import load_encoder
        from pipelines.models.encoder import set_shared_encoder

        settings = dataclasses.replace(load_settings(), mode=mode)
        encoder = load_encoder(settings)
        set_shared_encoder(encoder)  # cached_encode and the heads then use this mode's encoder
        print(f"===== {mode} mode: encoder {encoder.name} =====")
        results[mode] = evaluate_mode(settings, args.sample)
        texts, _ = datasets.goemotions("dev")
        results[mode]["throughput"] = {"texts_per_s": throughput(encoder, texts[: args.throughput_texts]),
                                       "texts": min(len(texts), args.throughput_texts),
                                       "load_1min": os.getloadavg()[0], "encoder": encoder.name}
        print(f"embedding throughput: {results[mode]['throughput']['texts_per_s']:,.0f} texts/s\n")
    if len(results) > 1:
        compare(results)
    if "full" in results:  # a center's own labels (teach) and language detection, once
        from pipelines.models import language_eval, learning_curve
        from pipelines.models.encoder import set_shared_encoder

        set_shared_encoder(load_encoder(dataclasses.replace(load_settings(), mode="full")))
        print()
        results["full"]["learning_curve"] = {str(k): v for k, v in learning_curve.main([]).items()}
        print()
        results["full"]["language"] = language_eval.main([])
    result = results.get("full", results[next(iter(results))])
    if "fast" in results and "full" in results:
        result = {**results["full"], "fast": results["fast"]}
    if not args.no_languages:
        result["languages"] = evaluate_languages()
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return result


def evaluate_mode(settings: ModelSettings, sample: int = 0) -> dict:
    """Every figure of one mode's models, printed as it comes."""
    from pipelines.models.encoder import shared_encoder
    from pipelines.models.fast import check_heads

    run = Runner(settings)
    check_heads(shared_encoder(), run.sentiment, run.emotion)
    print(f"sentiment model: {run.sentiment.version}\nemotion model:   {run.emotion.version}\n")
    ge = goemotions_dev(run)
    print("GoEmotions dev (5,426 Reddit comments; never trained on)")
    print(f"  emotion macro-F1 (28 labels) {ge['emotion_macro_f1']:.3f}   micro-F1 {ge['emotion_micro_f1']:.3f}   [anchor: BERT-base 0.46]")
    print(f"  as the pipeline labels (top label if none passes) {ge['emotion_macro_f1_top1_fallback']:.3f}")
    print(f"  Ekman macro-F1 (7)           {ge['ekman_macro_f1']:.3f}")
    print(f"  sentiment groups macro-F1    {ge['sentiment_macro_f1']:.3f}   VADER {ge['vader_sentiment_macro_f1']:.3f}")
    print(f"  NEV (text proxy) at min_emotion {ge['nev_min_emotion']}: neutral-only rows excluded "
          f"{ge['nev_excluded_neutral_only']:.1%}, positive/negative rows kept {ge['nev_kept_polar']:.1%}, "
          f"sign agrees with gold group {ge['nev_sign_agreement']:.1%}")
    ss = sentiment_sets(run, sample)
    print("\nSentiment                        ours                 VADER")
    for name, title in (("tweeteval_test", "TweetEval test"), ("airline", "Airline tweets (eval only)")):
        a, v = ss[name], ss[f"{name}_vader"]
        title = f"{title} ({ss[f'{name}_rows']['rows']:,})"
        print(f"  {title:36s} macro-recall {a['macro_recall']:.3f} macro-F1 {a['macro_f1']:.3f} acc {a['accuracy']:.3f}"
              f" | macro-recall {v['macro_recall']:.3f} macro-F1 {v['macro_f1']:.3f} acc {v['accuracy']:.3f}")
    print(f"  {'UCI held-out 30% (900; 70% trained)':36s} accuracy {ss['uci_heldout']['accuracy']:.3f}"
          f" | accuracy {ss['uci_heldout_vader']['accuracy']:.3f}")
    print(f"  {'EmoBank test (1,000) valence r':36s} pearson {ss['emobank_test']['pearson_v']:.3f}"
          f" | pearson {ss['emobank_test_vader']['pearson_v']:.3f}")
    print("  anchors: TweetEval macro-recall 0.72 (RoBERTa-base); airline: logistic head 0.43 macro-F1, VADER 0.45")
    cases = service_cases(run)
    ok = sum(r["ours"] == r["gold"] for r in cases)
    okv = sum(r["vader"] == r["gold"] for r in cases)
    print(f"\nCustomer-service probes: ours {ok}/{len(cases)}, VADER {okv}/{len(cases)}")
    for r in cases:
        mark = "ok " if r["ours"] == r["gold"] else "ERR"
        print(f"  {mark} [{r['kind']:12s}] gold {r['gold']:8s} ours {r['ours']:8s} vader {r['vader']:8s} "
              f"{','.join(r['top_emotions']):24s} {r['text'][:70]}")
    return {"sentiment_model": run.sentiment.version, "emotion_model": run.emotion.version,
            "encoder": shared_encoder().name, "goemotions_dev": ge, "sentiment": ss, "service_cases": cases}


def evaluate_languages(throughput_texts: int = 500, heads: Path | None = None) -> dict:
    """The multilingual route (`pipelines.models.multilingual`) per language, and the encoder comparison.

    Chinese: 6,000 reviews (three sources, no stated license: evaluation only, never trained on),
    binary macro-F1 of the sentiment score's sign. Polish: PolEmo's evaluation part (text MD5 0-2,
    never trained or calibrated on), 3-class macro-F1. English: the same rows scored by the English
    path (all-MiniLM-L6-v2 heads, what English texts get, unchanged by the route) and by the
    multilingual heads, and both encoders' texts/s on the same texts in one run. `heads`: another
    multilingual heads directory than the shipped one (the encoder is the one its heads name).
    """
    from pipelines.models import load_encoder
    from pipelines.models.encoder import set_shared_encoder
    from pipelines.models.multilingual import MultilingualModels

    ml = MultilingualModels.load(heads)
    settings = dataclasses.replace(load_settings(), mode="full")
    minilm = load_encoder(settings)
    set_shared_encoder(minilm)  # the English Runner's cached_encode then uses the full encoder
    english = Runner(settings)

    def ml_sent(texts: list[str], name: str) -> tuple[np.ndarray, np.ndarray]:
        probs = ml.sentiment.predict_proba(texts, cached_encode(texts, name, ml.encoder))
        return probs, sentiment_score(probs)

    out: dict = {"encoder": ml.encoder.name, "sentiment_model": ml.sentiment.version,
                 "emotion_model": ml.emotion.version}
    print(f"\n===== multilingual route: encoder {ml.encoder.name} =====")
    print(f"sentiment model: {ml.sentiment.version}\nemotion model:   {ml.emotion.version}\n")
    zh = datasets.chinese_sentiment()
    _, score = ml_sent(zh["text"].tolist(), "chinese-sentiment-sample")
    pred = (score > 0).astype(int)
    out["zh"] = {"rows": len(zh), "macro_f1": float(f1_score(zh["label"], pred, average="macro")),
                 "by_source": {src: float(f1_score(g["label"], pred[g.index], average="macro"))
                               for src, g in zh.groupby("source")}}
    print(f"Chinese reviews ({len(zh):,}; eval only, never trained on)   binary macro-F1 {out['zh']['macro_f1']:.3f}"
          "   [goal 0.85]")
    for src, f1 in out["zh"]["by_source"].items():
        print(f"  {src:38s} {f1:.3f}")
    pl_texts, pl_y = datasets.polemo("eval")
    probs, _ = ml_sent(pl_texts, "polemo-eval")
    out["pl"] = {"rows": len(pl_texts), **three_class(pl_y, probs.argmax(1))}
    print(f"Polish PolEmo eval part ({len(pl_texts):,}; MD5 0-2)           3-class macro-F1 {out['pl']['macro_f1']:.3f}"
          f"   macro-recall {out['pl']['macro_recall']:.3f}   acc {out['pl']['accuracy']:.3f}   [goal 0.75]")

    texts, y = subsample(*datasets.tweeteval("test"), 2000)
    _, held = datasets.uci_split()
    ge_texts, ge_y = datasets.goemotions("dev")
    en_probs, _ = english.sent(texts, f"tweeteval_test-{len(texts)}")
    ml_probs, _ = ml_sent(texts, "tweeteval-test-2000")
    _, en_uci = english.sent(held["text"].tolist(), "uci-heldout")
    _, ml_uci = ml_sent(held["text"].tolist(), "uci-heldout")

    def emotion_f1(model, emb) -> float:
        return float(f1_score(ge_y, (model.predict_proba(ge_texts, emb) >= model.thresholds).astype(int),
                              average="macro", zero_division=0))

    rows = {
        "TweetEval test macro-recall (2,000)": (three_class(y, en_probs.argmax(1))["macro_recall"],
                                                three_class(y, ml_probs.argmax(1))["macro_recall"]),
        "UCI held-out accuracy (900)": (float(((en_uci > 0).astype(int) == held["label"]).mean()),
                                        float(((ml_uci > 0).astype(int) == held["label"]).mean())),
        "GoEmotions dev emotion macro-F1 (28)": (
            emotion_f1(english.emotion, cached_encode(ge_texts, "goemotions-dev", minilm)),
            emotion_f1(ml.emotion, cached_encode(ge_texts, "goemotions-dev", ml.encoder))),
        "embedding throughput (texts/s)": (throughput(minilm, ge_texts[:throughput_texts], 3.0),
                                           throughput(ml.encoder, ge_texts[:throughput_texts], 3.0)),
    }
    short = ml.encoder.name.split("@")[0].replace("multilingual-", "").replace("use-", "USE ")
    short += "-int8" if "-int8" in ml.encoder.name else ""
    out["english"] = {k: {"minilm": a, "multilingual": b} for k, (a, b) in rows.items()}
    print(f"\n{'English: the English path versus the multilingual heads':58s}{'MiniLM':>10s}{short:>16s}")
    for label, (a, b) in rows.items():
        print(f"  {label:56s}{a:>10,.1f}{b:>16,.1f}" if "texts/s" in label else f"  {label:56s}{a:>10.3f}{b:>16.3f}")
    print(f"  (English texts keep the MiniLM heads: English figures before and after this route are the MiniLM "
          f"column; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return out


if __name__ == "__main__":
    main()
