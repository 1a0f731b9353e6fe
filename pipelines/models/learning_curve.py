"""How far a center's own labels go: the taught head's learning curve on the shared airline tweets.

    python -m pipelines.models.learning_curve [--seeds 3]
    python -m pipelines.models.learning_curve --end-to-end [--labels 600]


The users are split in two (seeded): labels are drawn from one half's tweets, macro-F1 is measured
on the other half's (split by user, not by tweet, as a center's new customers would be). For each
label count: the taught head (`pipelines.models.teach`, what `teach sentiment` fits), a plain probe
(`teach.fit_probe`, the probe `teach.fit_mix` mixes in: L2 softmax regression on the embeddings
alone), their logit mix with the weight chosen by cross-validation grouped by user on the drawn
labels (`teach.fit_mix`) and the shipped head, averaged over seeds. `--end-to-end` runs the real
path once instead: a scratch warehouse holding the drawn label-pool tweets and the held-out users'
tweets (each user a customer), `enrich`, `teach sentiment` on a labels CSV, `enrich` again, and the
macro-F1 of the held-out users' stored sentiment labels before and after. The airline tweets are
CC BY-NC: this measures only, nothing trained here ships.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from pipelines.models import datasets, load_sentiment, load_settings
from pipelines.models import teach as fit
from pipelines.models.encoder import cached_encode
from pipelines.models.labels import SENTIMENT_LABELS

SIZES = (100, 300, 600, 1000, 3000)


def airline_split(seed: int = 0, encoder=None) -> tuple[np.ndarray, ...]:
    """Embeddings (`encoder`'s, default the shared one), labels, masks of the label-pool users' and
    the held-out users' tweets, and each tweet's user."""
    df = pd.read_csv(datasets._path("twitter_us_airline_sentiment", "Tweets_shared.csv"))
    texts = df["text"].fillna("").tolist()
    y = df["airline_sentiment"].map(SENTIMENT_LABELS.index).to_numpy()
    x = cached_encode(texts, f"airline-{len(texts)}", encoder)
    users = df["name"].fillna("?").to_numpy()
    unique = np.unique(users)
    held = set(np.random.default_rng(seed).permutation(unique)[: len(unique) // 2])
    test = np.array([u in held for u in users])
    return x, y, ~test, test, users


def draw_scores(offset: np.ndarray, x: np.ndarray, y: np.ndarray, users: np.ndarray, idx: np.ndarray,
                test: np.ndarray) -> dict[str, float]:
    """Macro-F1 on the `test` rows of the three heads fitted on the `idx` rows, each fitted the way
    `teach` fits it: taught (`fit_correction`), probe (`fit_probe`), mix (`fit_mix`, the weight chosen
    by cross-validation grouped by user on the drawn labels only)."""
    taught = fit.fit_correction(offset[idx], x[idx], y[idx], 3)
    probe = fit.fit_probe(x[idx], y[idx], 3)
    mix = fit.fit_mix(offset[idx], x[idx], y[idx], users[idx], 3)[0]
    return {name: fit.macro_f1(y[test], f.logits(offset[test], x[test]).argmax(1), 3)
            for name, f in (("taught", taught), ("probe", probe), ("mix", mix))}


def curve(sizes: tuple[int, ...] = SIZES, seeds: int = 3, settings=None, head=None,
          encoder=None) -> dict[int, dict[str, float]]:
    """Mean macro-F1 on the held-out users per label count: taught, probe, mix, shipped. `head` and
    `encoder` (default: the shipped English ones) measure another encoder's head, e.g. the
    multilingual route's (`python -m pipelines.models.learning_curve --multilingual`)."""
    head = head or load_sentiment(settings or load_settings())
    x, y, pool, test, users = airline_split(encoder=encoder)
    offset = fit.class_offsets("sentiment", head.head.layers, head.head.config, x)
    shipped = fit.macro_f1(y[test], offset[test].argmax(1), 3)
    out = {}
    for n in sizes:
        draws = []
        for seed in range(seeds):
            idx = np.random.default_rng(seed).choice(np.flatnonzero(pool), min(n, int(pool.sum())), replace=False)
            draws.append(draw_scores(offset, x, y, users, idx, test))
        out[n] = {name: float(np.mean([d[name] for d in draws])) for name in ("taught", "probe", "mix")}
        out[n]["shipped"] = shipped
    return out


def end_to_end(n_labels: int = 600, seed: int = 0, model_settings=None) -> dict[str, object]:
    """Held-out users' macro-F1 of the warehouse's sentiment before and after `teach sentiment` with
    `n_labels` labels drawn from the label-pool users' tweets (the split and draw of `curve`)."""
    import tempfile
    from pathlib import Path

    from pipelines import warehouse
    from pipelines.enrich import stage
    from pipelines.enrich.settings import EnrichSettings
    from pipelines.models import teacher

    df = pd.read_csv(datasets._path("twitter_us_airline_sentiment", "Tweets_shared.csv"))
    df["text"] = df["text"].fillna("")
    users = df["name"].fillna("?").to_numpy()
    unique = np.unique(users)
    held = set(np.random.default_rng(seed).permutation(unique)[: len(unique) // 2])
    test = np.array([u in held for u in users])
    idx = np.random.default_rng(seed).choice(np.flatnonzero(~test), n_labels, replace=False)
    rows = df.iloc[np.concatenate([idx, np.flatnonzero(test)])]
    frame = pd.DataFrame({"interaction_id": [f"t{i}" for i in rows.index], "customer_id": rows["name"].fillna("?"),
                          "text": rows["text"], "label": rows["airline_sentiment"]})
    out: dict[str, object] = {"labels": n_labels, "held_out": int(test.sum())}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "voc.duckdb"
        con = warehouse.connect(db)
        with warehouse.registered(con, df=frame):
            con.execute("""INSERT INTO staging.interactions (interaction_id, source_id, customer_id, channel,
                           direction, occurred_at, text, file_id)
                           SELECT interaction_id, interaction_id, customer_id, 'social', 'inbound',
                                  TIMESTAMP '2024-01-01', text, 'airline' FROM df""")
        held_ids = frame["interaction_id"].iloc[n_labels:]
        truth = dict(zip(held_ids, frame["label"].iloc[n_labels:]))

        def scored() -> float:
            got = dict(con.execute("""SELECT interaction_id, sentiment_label FROM enriched.interaction_scores
                                      WHERE model_version = (SELECT model_version FROM enriched.interaction_scores
                                                             ORDER BY scored_at DESC LIMIT 1)""").fetchall())
            ids = [i for i in held_ids if got.get(i) in SENTIMENT_LABELS]
            out.setdefault("scored_held_out", len(ids))
            return fit.macro_f1(np.array([SENTIMENT_LABELS.index(truth[i]) for i in ids]),
                                np.array([SENTIMENT_LABELS.index(got[i]) for i in ids]), 3)

        out["enrich_shipped"] = stage.run(con, EnrichSettings(), model_settings=model_settings, progress=False)
        out["shipped_macro_f1"] = scored()
        con.close()
        labels = Path(tmp) / "labels.csv"
        frame.iloc[:n_labels][["interaction_id", "label"]].to_csv(labels, index=False)
        report = teacher.teach(db, "sentiment", labels, model_settings=model_settings)
        out["teach"] = report.lines()[-1]
        out["teach_seconds"] = report.seconds
        con = warehouse.connect(db)
        out["enrich_taught"] = stage.run(con, EnrichSettings(), model_settings=model_settings, progress=False)
        out["taught_macro_f1"] = scored()
        con.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    """Print the learning curve (also part of `make eval`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--multilingual", action="store_true",
                        help="the multilingual route's encoder and sentiment head instead of the English ones")
    parser.add_argument("--end-to-end", action="store_true",
                        help="once through a scratch warehouse: enrich, teach sentiment, enrich (see the doc)")
    parser.add_argument("--labels", type=int, default=600, help="labels for --end-to-end (default 600)")
    args = parser.parse_args(argv)
    if args.end_to_end:
        result = end_to_end(args.labels)
        for key, value in result.items():
            print(f"  {key}: {value:.3f}" if isinstance(value, float) else f"  {key}: {value}", flush=True)
        return result
    head = encoder = None
    if args.multilingual:
        from pipelines.models.multilingual import MultilingualModels

        ml = MultilingualModels.load()
        head, encoder = ml.sentiment, ml.encoder
    x, _, pool, test, _ = airline_split(encoder=encoder)
    print(f"Taught sentiment head{' on ' + encoder.name if encoder else ''}: airline tweets, labels from "
          f"{int(pool.sum()):,} tweets of half the users, macro-F1 on the other half's {int(test.sum()):,} "
          f"(mean of {args.seeds} draws)")
    result = curve(seeds=args.seeds, head=head, encoder=encoder)
    print(f"  {'labels':>7s} {'taught':>7s} {'probe':>7s} {'mix':>7s} {'shipped':>8s}")
    for n, r in result.items():
        print(f"  {n:7d} {r['taught']:7.3f} {r['probe']:7.3f} {r['mix']:7.3f} {r['shipped']:8.3f}", flush=True)
    return result


if __name__ == "__main__":
    main()
