"""Redaction quality and speed: per-type precision/recall on tests/data/pii_cases.jsonl, texts/s.

Run: `python -m benchmarks.eval_redaction`. A gold entity counts as found when a predicted span of
the same type covers it; a predicted span is correct when it overlaps a gold entity of its type.
The labelled set is synthetic (seeded generator + hand-written negatives: order numbers failing
Luhn, dates, amounts, versions), several countries' phone formats and five languages.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

from pipelines.redact import TYPES, find_pii, redact_many

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_cases.jsonl"


def load_cases(path: Path = CASES) -> list[dict]:
    """The labelled cases, each with gold spans `(start, end, type)` located in its text."""
    cases = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        case = json.loads(line)
        gold = []
        for ent in case["entities"]:
            start = case["text"].find(ent["value"])
            if start < 0:
                raise ValueError(f"{path}:{line_no}: entity {ent['value']!r} is not in the text")
            gold.append((start, start + len(ent["value"]), ent["type"]))
        cases.append({"text": case["text"], "gold": gold})
    return cases


def score(cases: list[dict]) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Per-type precision/recall/support, and a few mistakes to look at."""
    tp_gold, n_gold, tp_pred, n_pred = Counter(), Counter(), Counter(), Counter()
    mistakes = []
    for case in cases:
        pred = find_pii(case["text"])
        for start, end, kind in case["gold"]:
            n_gold[kind] += 1
            if any(s <= start and end <= e and k == kind for s, e, k in pred):
                tp_gold[kind] += 1
            elif len(mistakes) < 25:
                mistakes.append(f"missed {kind}: {case['text'][start:end]!r} in {case['text']!r}")
        for start, end, kind in pred:
            n_pred[kind] += 1
            if any(start < e and s < end and k == kind for s, e, k in case["gold"]):
                tp_pred[kind] += 1
            elif len(mistakes) < 25:
                mistakes.append(f"false {kind}: {case['text'][start:end]!r} in {case['text']!r}")
    table = {}
    for kind in TYPES:
        if n_gold[kind] or n_pred[kind]:
            table[kind] = {
                "precision": tp_pred[kind] / n_pred[kind] if n_pred[kind] else float("nan"),
                "recall": tp_gold[kind] / n_gold[kind] if n_gold[kind] else float("nan"),
                "gold": n_gold[kind], "predicted": n_pred[kind],
            }
    return table, mistakes


def throughput(cases: list[dict], n: int = 200_000) -> tuple[float, float]:
    """texts/s of `redact_many` on a realistic mix: 85% contact texts with no digits, 15% from the set."""
    rng = random.Random(7)
    plain = ["I have been waiting for my refund for weeks and nobody answers.",
             "The app logs me out every time I open the billing page, please fix it!",
             "Thanks, that solved it.", "Why was I charged twice this month?"]
    texts = [rng.choice(cases)["text"] if rng.random() < 0.15 else rng.choice(plain) for _ in range(n)]
    start = time.perf_counter()
    redact_many(texts)
    mixed = n / (time.perf_counter() - start)
    with_pii = [c["text"] for c in cases] * 40
    start = time.perf_counter()
    redact_many(with_pii)
    return mixed, len(with_pii) / (time.perf_counter() - start)


def main() -> None:
    """Print the table, throughput and the first mistakes."""
    cases = load_cases()
    table, mistakes = score(cases)
    print(f"redaction on {CASES.relative_to(CASES.parents[2])}: {len(cases)} texts")
    print(f"{'type':<8} {'precision':>9} {'recall':>7} {'gold':>5} {'pred':>5}")
    for kind, row in table.items():
        print(f"{kind:<8} {row['precision']:>9.3f} {row['recall']:>7.3f} {row['gold']:>5} {row['predicted']:>5}")
    mixed, pii_only = throughput(cases)
    print(f"redact_many: {mixed:,.0f} texts/s on a 15%-PII mix, {pii_only:,.0f} texts/s when every text has PII")
    if mistakes:
        print("first mistakes:")
        for line in mistakes:
            print("  " + line)


if __name__ == "__main__":
    main()
