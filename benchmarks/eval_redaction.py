"""Redaction quality and speed: per-type precision/recall, decoy survival, texts/s on real text.

Run: `python -m benchmarks.eval_redaction` (or `make eval-redaction`). Three labelled sets:

- `benchmarks/data/redaction_eval.jsonl`: sentences written by hand from the public descriptions of
  the formats (RFC 5322 and the obfuscations people use, E.164/E.123 and the national numbering
  plans of US/UK/DE/PL/FR/ES/CN/IN, ISO/IEC 7812, ISO 13616, SSA/HMRC/PESEL/NIP/GB 11643/DNI/NIR/IdNr,
  USPS Pub 28 / Royal Mail / Deutsche Post / La Poste / Correos / Poczta Polska / China Post
  addressing) in en, de, fr, es, pl and zh, plus decoys that must stay readable (order, tracking,
  flight, contract and customer numbers, EANs, dates, times, prices, IP addresses, versions). The
  rules were refined while it was scored, so it measures coverage of the forms it names;
- `benchmarks/data/redaction_holdout.jsonl`: 77 more sentences of the same kinds, written after
  the rules were frozen: the closer figure for text the rules were not written for;
- `tests/data/pii_cases.jsonl`: the older seeded set.

A gold entity counts as found when one predicted span of its type covers it; a predicted span is
correct when it overlaps a gold entity of its type; a decoy survives when no predicted span
overlaps it. `--redactor MODULE` scores another implementation with the same API (e.g. a copy of
an older `pipelines/redact.py`) on the same sets, for before/after figures.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT / "benchmarks" / "data" / "redaction_eval.jsonl"
HOLDOUT = ROOT / "benchmarks" / "data" / "redaction_holdout.jsonl"
CASES = ROOT / "tests" / "data" / "pii_cases.jsonl"
DATASETS = ROOT.parent / "shared" / "datasets"
TYPES_SCORED = ("EMAIL", "PHONE", "CARD", "IBAN", "SSN", "ADDRESS", "URL")

# Real texts for the speed run: (file, text column, at most this many), read in this order up to the
# total asked: the contact-center sets first, Polish and Chinese reviews, GoEmotions' comments to fill.
REAL_TEXTS = (
    ("twcs_first5000/twcs_first5000.csv", "text", 5_000),
    ("cfpb_complaints_sample/complaints_sample.csv", "Consumer complaint narrative", 5_000),
    ("twitter_us_airline_sentiment/Tweets_shared.csv", "text", 12_000),
    ("banking77/train.csv", "text", 10_000),
    ("polemo2_medicine_sentences/medicine_sentence_train.csv", "text", 4_000),
    ("chinese_sentiment/waimai_10k.csv", "review", 4_000),
    ("goemotions/train.csv", "text", 50_000),
)


def _locate(text: str, value: str, path: Path, line_no: int, used: set[int]) -> int:
    start = text.find(value)
    while start in used:  # the same value twice in one text: the next occurrence
        start = text.find(value, start + 1)
    if start < 0:
        raise ValueError(f"{path}:{line_no}: {value!r} is not in the text; fix the entity's value")
    used.add(start)
    return start


def load_cases(path: Path = EVAL_SET) -> list[dict]:
    """The labelled cases: text, language, gold spans `(start, end, type)` and decoy spans `(start, end, kind)`."""
    cases = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        case = json.loads(line)
        text, used = case["text"], set()
        gold = []
        for ent in case["entities"]:
            start = _locate(text, ent["value"], path, line_no, used)
            gold.append((start, start + len(ent["value"]), ent["type"]))
        decoys = []
        for dec in case.get("decoys", ()):
            start = _locate(text, dec["value"], path, line_no, used)
            decoys.append((start, start + len(dec["value"]), dec["kind"]))
        cases.append({"text": text, "lang": case.get("lang", "en"), "gold": gold, "decoys": decoys})
    return cases


def score(cases: list[dict], find: Callable[[str], list] | None = None) -> tuple[dict, dict, list[str]]:
    """Per-type precision/recall, per-kind decoy survival, and the mistakes (all of them)."""
    if find is None:
        from pipelines.redact import find_pii as find
    tp_gold, n_gold, tp_pred, n_pred = Counter(), Counter(), Counter(), Counter()
    kept, n_decoys = Counter(), Counter()
    mistakes = []
    for case in cases:
        text = case["text"]
        pred = find(text)
        for start, end, kind in case["gold"]:
            n_gold[kind] += 1
            if any(s <= start and end <= e and k == kind for s, e, k in pred):
                tp_gold[kind] += 1
            else:
                got = [f"{k}:{text[s:e]!r}" for s, e, k in pred if s < end and start < e]
                mistakes.append(f"missed {kind}: {text[start:end]!r} (got {got or 'nothing'}) in {text!r}")
        for start, end, kind in pred:
            n_pred[kind] += 1
            if any(start < e and s < end and k == kind for s, e, k in case["gold"]):
                tp_pred[kind] += 1
            elif not any(start < e and s < end for s, e, _ in case["decoys"]):
                mistakes.append(f"false {kind}: {text[start:end]!r} in {text!r}")
        for start, end, kind in case["decoys"]:
            n_decoys[kind] += 1
            hit = [f"{k}:{text[s:e]!r}" for s, e, k in pred if s < end and start < e]
            if hit:
                mistakes.append(f"decoy {kind} {text[start:end]!r} became {hit} in {text!r}")
            else:
                kept[kind] += 1
    table = {}
    for kind in TYPES_SCORED:
        if n_gold[kind] or n_pred[kind]:
            table[kind] = {
                "precision": tp_pred[kind] / n_pred[kind] if n_pred[kind] else float("nan"),
                "recall": tp_gold[kind] / n_gold[kind] if n_gold[kind] else float("nan"),
                "found": tp_gold[kind], "gold": n_gold[kind], "predicted": n_pred[kind],
            }
    decoys = {kind: (kept[kind], n_decoys[kind]) for kind in sorted(n_decoys)}
    return table, decoys, mistakes


def real_texts(limit: int = 50_000, root: Path = DATASETS) -> list[str]:
    """Up to `limit` real customer texts from the shared datasets (none if they are absent)."""
    texts: list[str] = []
    for name, column, most in REAL_TEXTS:
        path = root / name
        if not path.exists() or len(texts) >= limit:
            continue
        with path.open(encoding="utf-8-sig", newline="") as f:
            got = [row[column] for row in csv.DictReader(f) if row.get(column)]
        texts.extend(got[: min(most, limit - len(texts))])
    return texts


def throughput(redact_many: Callable, texts: list[str], repeat: int = 1) -> float:
    """texts/s of `redact_many` over `texts` (best of `repeat` runs)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        redact_many(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def _print_table(title: str, table: dict, decoys: dict) -> None:
    print(title)
    print(f"  {'type':<8} {'precision':>9} {'recall':>7} {'found':>6} {'gold':>5} {'pred':>5}")
    for kind, row in table.items():
        print(f"  {kind:<8} {row['precision']:>9.3f} {row['recall']:>7.3f} {row['found']:>6} {row['gold']:>5} "
              f"{row['predicted']:>5}")
    if decoys:
        kept = sum(k for k, _ in decoys.values())
        total = sum(n for _, n in decoys.values())
        print(f"  decoys intact: {kept}/{total} ({kept / total:.1%}): "
              + ", ".join(f"{kind} {k}/{n}" for kind, (k, n) in decoys.items()))


def main(argv: list[str] | None = None) -> None:
    """Print the per-type tables of both sets, decoy survival, throughput and the mistakes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redactor", default="pipelines.redact", help="module with find_pii/redact_many")
    parser.add_argument("--texts", type=int, default=50_000, help="real texts for the speed run (0: skip)")
    parser.add_argument("--baseline", help="another redactor module to time in the same run (ratio)")
    parser.add_argument("--mistakes", type=int, default=40, help="how many mistakes to print")
    args = parser.parse_args(argv)
    module = importlib.import_module(args.redactor)

    mistakes: list[str] = []
    for path in (EVAL_SET, HOLDOUT, CASES):
        cases = load_cases(path)
        table, decoys, wrong = score(cases, module.find_pii)
        langs = Counter(c["lang"] for c in cases)
        _print_table(f"{args.redactor} on {path.relative_to(ROOT)}: {len(cases)} texts "
                     f"({', '.join(f'{k} {v}' for k, v in langs.most_common())})", table, decoys)
        mistakes += wrong
    if args.texts:
        texts = real_texts(args.texts)
        if texts:
            rate = throughput(module.redact_many, texts, repeat=2)
            changed = sum(a != b for a, b in zip(texts, module.redact_many(texts)))
            gate = sum(bool(module.PREFILTER_RE.search(t)) for t in texts)
            print(f"redact_many on {len(texts):,} real texts (twcs, cfpb, airline, banking77, polemo, waimai, goemotions): "
                  f"{rate:,.0f} texts/s, {gate:,} pass the prefilter, {changed:,} texts changed")
            if args.baseline:
                base = importlib.import_module(args.baseline)
                base_rate = throughput(base.redact_many, texts, repeat=2)
                print(f"  {args.baseline}: {base_rate:,.0f} texts/s in the same run; ratio {rate / base_rate:.2f}")
        else:
            print(f"speed run skipped: no datasets under {DATASETS}")
    if mistakes:
        print(f"mistakes ({len(mistakes)}, first {args.mistakes}):")
        for line in mistakes[: args.mistakes]:
            print("  " + line)


if __name__ == "__main__":
    main()
