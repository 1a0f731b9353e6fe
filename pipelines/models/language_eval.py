"""Language detection on the shared sets: the pipeline's `detect` with each backend, and each alone.

    python -m pipelines.models.language_eval [--rows 2000]

Accuracy: on English sets the share the English models may score (`is_english`; that is what
decides whether a contact is scored); on Polish and Chinese the share given the right code. Speed:
texts/s over the set's distinct texts (noisy on a shared machine: compare within one run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from pipelines.enrich import language
from pipelines.models import datasets


def sets(rows: int, seed: int = 13) -> dict[str, tuple[str, list[str]]]:
    """name -> (expected language, texts); each a seeded sample of at most `rows` texts."""
    def sample(texts: list[str]) -> list[str]:
        texts = [t for t in texts if isinstance(t, str) and t.strip()]
        if len(texts) <= rows:
            return texts
        pick = np.random.default_rng(seed).choice(len(texts), rows, replace=False)
        return [texts[i] for i in sorted(pick)]

    twcs = pd.read_csv(datasets._path("twcs_first5000", "twcs_first5000.csv"))
    twcs = twcs[twcs["inbound"].astype(str) == "True"]
    return {
        "airline tweets (en)": ("en", datasets.airline()[0]),  # every row: the 5 of 2,908
        "TWCS customer tweets (en)": ("en", sample(twcs["text"].tolist())),
        "PolEmo2 medicine (pl)": ("pl", sample(pd.read_csv(datasets._path(
            "polemo2_medicine_sentences", "medicine_sentence_train.csv"))["text"].tolist())),
        "waimai reviews (zh)": ("zh", sample(pd.read_csv(datasets._path(
            "chinese_sentiment", "waimai_10k.csv"))["review"].tolist())),
    }


def _pipeline(backend: str):
    return lambda texts: [(d.code, d.is_english) for d in language.detect_many(texts, backend=backend)]


def _alone(backend: str):
    fn = language.BACKENDS[backend]
    return lambda texts: [(code, code == "en") for code, _ in (fn(t) for t in texts)]


DETECTORS = {
    "pipeline + langdetect": _pipeline("langdetect"),
    "pipeline + py3langid": _pipeline("py3langid"),
    "langdetect alone": _alone("langdetect"),
    "py3langid alone": _alone("py3langid"),
}


def evaluate(rows: int = 2000) -> dict[str, dict[str, dict[str, float]]]:
    """Accuracy, errors and texts/s per set and detector, printed as they come."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, (lang, texts) in sets(rows).items():
        distinct = list(dict.fromkeys(texts))
        out[name] = {}
        print(f"  {name} ({len(distinct):,} distinct texts)")
        for det, fn in DETECTORS.items():
            fn(distinct[:20])  # load the model outside the timing
            start = time.perf_counter()
            got = fn(distinct)
            seconds = time.perf_counter() - start
            ok = [is_en if lang == "en" else code == lang for code, is_en in got]
            wrong = [c for (c, _), good in zip(got, ok) if not good]
            out[name][det] = {"accuracy": float(np.mean(ok)), "errors": len(wrong),
                              "texts_per_s": len(distinct) / max(seconds, 1e-9)}
            common = pd.Series(wrong).value_counts().head(4).to_dict() if wrong else {}
            print(f"    {det:22s} right {np.mean(ok):6.1%}  wrong {len(wrong):5d} {common!s:40.40s} "
                  f"{len(distinct) / max(seconds, 1e-9):9,.0f} texts/s", flush=True)
    return out


def main(argv: list[str] | None = None) -> dict:
    """Print the language-detection figures (also part of `make eval`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="texts per set (airline: all)")
    args = parser.parse_args(argv)
    print(f"Language detection (pipelines.enrich.language, default backend {language.DEFAULT_BACKEND})")
    return evaluate(args.rows)


if __name__ == "__main__":
    main()
