"""`make bench-enrich`: texts/s of the whole enrichment next to the bare encoder and a naive baseline.

Sets (real, from ../shared/datasets, evaluation use): airline tweets (short) and CFPB complaint
narratives (long). Rows printed per set:

- bare forward pass: `Encoder.encode` over the very chunks the enrichment encodes (the physical
  limit: the encoder's work and nothing else);
- enrichment: `pipelines.enrich.stage.run` on a fresh warehouse holding the texts: language
  detection, chunking, one forward pass per distinct text, both heads, NEV, embedding store and
  bulk writes;
- naive baseline: one `transformers` pipeline per task, as a team without a shared encoder would
  build it: `pipeline("feature-extraction")` loaded twice (sentiment, emotion) on the same model,
  same batch size and threads, each truncating at 256 tokens, mean pooling + normalising, then the
  same heads. It does two forward passes and skips the long texts' tails, so it does *less* work
  than the enrichment on long texts;
- int8: the encoder with dynamic int8 quantisation of its Linear layers (torch), speed and the
  airline sentiment accuracy / macro-F1 against fp32 on the same tweets (adopt only under 1 point).

- multilingual route: the same tweets plus Polish and Chinese texts (PolEmo's evaluation part and the
  Chinese reviews: evaluation use), enriched with the route off (those texts marked not_english, as
  before) and on (scored by the route's encoder and heads) in one run: the extra pass's cost;
- taught sentiment route: the same tweets enriched with the shipped heads and with a sentiment head
  taught on the route's encoder (`teach sentiment`, `[models] teach_encoder = "multilingual"`; a head of
  the taught shape, the correction zero) in one run: the cost of the e5 pass on every English text;
- demo mix: the same off/on on the demo's own contacts (`--demo` customers over 30 days, generated and
  ingested first: calls, chats, emails and social posts, 3% / 2% of email and social customers
  writing Polish / Chinese): the route's cost on the mix the dashboard shows.

Usage: python -m benchmarks.bench_enrich [--short 10000] [--long 1000] [--threads 2] [--foreign 1000]
       [--demo 300] [--route 1000]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines import warehouse
from pipelines.enrich import stage
from pipelines.embeddings.chunking import make_units
from pipelines.enrich.scoring import Models
from pipelines.enrich.settings import EnrichSettings
from pipelines.models import SENTIMENT_LABELS
from pipelines.models.datasets import shared_dir
from pipelines.models.nev import nev_text


def short_texts(n: int) -> tuple[list[str], np.ndarray]:
    df = pd.read_csv(shared_dir() / "twitter_us_airline_sentiment" / "Tweets_shared.csv")
    df = df[df["text"].fillna("").str.strip() != ""].head(n)
    return df["text"].tolist(), df["airline_sentiment"].map(SENTIMENT_LABELS.index).to_numpy()


def long_texts(n: int) -> list[str]:
    df = pd.read_csv(shared_dir() / "cfpb_complaints_sample" / "complaints_sample.csv", dtype=str)
    narratives = df["Consumer complaint narrative"].fillna("")
    return narratives[narratives.str.strip() != ""].head(n).tolist()


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def cpu_timed(fn) -> tuple[float, object]:
    """CPU seconds of this process (all its threads): steadier than wall time on a shared machine."""
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def bare_forward(models: Models, texts: list[str]) -> float:
    units = make_units(texts, models.encoder.tokenizer, models.encoder.max_tokens)
    seconds, _ = timed(lambda: models.encoder.encode(units.texts))
    return seconds


def staged_warehouse(directory: str, texts: list[str], channel: str):
    """A scratch warehouse in `directory` whose staging holds one inbound interaction per text."""
    con = warehouse.connect(Path(directory) / "bench.duckdb")
    df = pd.DataFrame({"interaction_id": [f"b{i:07d}" for i in range(len(texts))], "text": texts,
                       "channel": channel})
    with warehouse.registered(con, df=df):
        con.execute("""INSERT INTO staging.interactions (interaction_id, source_id, channel, direction,
                       occurred_at, text, file_id)
                       SELECT interaction_id, interaction_id, channel, 'inbound', TIMESTAMP '2024-01-01', text,
                              'bench'
                       FROM df""")
    return con


def enrichment(models: Models, texts: list[str], settings: EnrichSettings, clock=timed) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        con = staged_warehouse(tmp, texts, "email")
        seconds, summary = clock(lambda: stage.run(con, settings, models=models, progress=False))
        print(f"    ({summary.split(';')[0]})")
        con.close()
    return seconds


def naive(models: Models, texts: list[str]) -> float:
    from transformers import pipeline

    path = str(models.encoder.path)
    size = models.encoder.batch_size

    def embed(extractor) -> np.ndarray:
        out = extractor(texts, batch_size=size, tokenize_kwargs={"truncation": True, "max_length": 256})
        vecs = np.stack([np.asarray(o)[0].mean(axis=0) for o in out])
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    def run() -> None:
        sentiment_pipe = pipeline("feature-extraction", model=path, tokenizer=path, device="cpu")
        emotion_pipe = pipeline("feature-extraction", model=path, tokenizer=path, device="cpu")
        models.sentiment.predict_proba(texts, embed(sentiment_pipe).astype(np.float32))
        emo = models.emotion.predict_proba(texts, embed(emotion_pipe).astype(np.float32))
        nev_text(emo, models.settings.nev_min_emotion)

    seconds, _ = timed(run)
    return seconds


def int8_check(models: Models, texts: list[str], labels: np.ndarray) -> None:
    import torch
    from sklearn.metrics import accuracy_score, f1_score

    fp32_s, fp32 = timed(lambda: models.encoder.encode(texts))
    quantised = copy.copy(models.encoder)
    quantised.model = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(models.encoder.model), {torch.nn.Linear}, dtype=torch.qint8
    )
    int8_s, int8 = timed(lambda: quantised.encode(texts))
    rows = []
    for name, vecs, secs in (("fp32", fp32, fp32_s), ("int8", int8, int8_s)):
        pred = models.sentiment.predict_proba(texts, vecs).argmax(axis=1)
        rows.append((name, len(texts) / secs, accuracy_score(labels, pred), f1_score(labels, pred, average="macro")))
    for name, rate, acc, f1 in rows:
        print(f"  {name:<5} encoder {rate:8.1f} texts/s   airline accuracy {acc:.4f}   macro-F1 {f1:.4f}")
    drop = 100 * (rows[0][3] - rows[1][3])
    verdict = "adoptable" if drop < 1.0 else "not adopted (drop >= 1 point)"
    print(f"  int8: {rows[1][1] / rows[0][1]:.2f}x speed, macro-F1 drop {drop:.2f} points -> {verdict}")


def foreign_texts(n: int) -> list[str]:
    """`n` Polish and Chinese texts, half each (evaluation sets, used here only to time the route)."""
    from pipelines.models.datasets import chinese_sentiment, polemo

    pl, _ = polemo("eval")
    zh = chinese_sentiment(per_file=max(1, n // 6 + 1))["text"].tolist()
    return pl[: n - n // 2] + zh[: n // 2]


def multilingual_cost(models: Models, tweets: list[str], foreign: list[str], settings: EnrichSettings) -> None:
    """Enrich tweets + foreign texts with the route off, then on; print both and the ratio."""
    texts = tweets + foreign
    print(f"\nmultilingual route: {len(tweets)} tweets + {len(foreign)} Polish/Chinese texts")
    off = enrichment(dataclasses.replace(models, multilingual=None), texts, settings, cpu_timed)
    print(f"  route off (marked)  {len(texts) / off:8.1f} texts per CPU s  ({off:.1f} CPU s)")
    on = enrichment(models, texts, settings, cpu_timed)
    print(f"  route on (scored)   {len(texts) / on:8.1f} texts per CPU s  ({on:.1f} CPU s)  = {on / off:.2f}x route off; "
          f"{(on - off) / max(len(foreign), 1) * 1000:.1f} CPU s more per 1,000 Polish/Chinese texts")


def register_taught_route(models: Models, db: Path) -> str:
    """Activate, beside the warehouse `db`, a sentiment head of the taught shape on the multilingual
    route's encoder (the shipped route head plus a zero correction, `teach.taught_layers`), registered
    as `teach sentiment` registers an accepted head; returns its version."""
    from pipelines.models import taught, teach
    from pipelines.models.heads import Head, save_head

    shipped = models.multilingual.sentiment
    zero = teach.Fit(np.zeros((3, models.multilingual.encoder.dim), np.float32), np.zeros(3, np.float32), 1.0)
    layers, changes = teach.taught_layers("sentiment", shipped.head.layers, shipped.head.config, zero)
    out = taught.heads_root(db) / "sentiment" / "v1"
    save_head(out, layers, {**shipped.head.config, **changes, "name": "sentiment-taught-v1"})
    version = Head.load(out).version
    taught.register_head(db, {"task": "sentiment", "encoder": shipped.encoder_name, "version": 1,
                              "path": str(out), "head_version": version, "base_version": shipped.version,
                              "n_labels": 0, "labels_batch": 0, "cv_macro_f1": None, "shipped_macro_f1": None,
                              "mix_weight": 1.0, "accepted": True})
    return version


def route_cost(models: Models, tweets: list[str], settings: EnrichSettings) -> None:
    """Enrich the tweets with the shipped heads, then with a taught sentiment head on the route's encoder
    (each on a fresh warehouse; a few tweets first, so lazy loads stay out of the timings)."""
    print(f"\ntaught sentiment route: {len(tweets)} tweets, shipped heads vs a head taught on "
          f"{models.multilingual.encoder.name}")
    seconds = {}
    for name in ("warm", "shipped", "taught"):
        with tempfile.TemporaryDirectory() as tmp:
            texts = tweets[:50] if name == "warm" else tweets
            con = staged_warehouse(tmp, texts, "social")
            if name != "shipped":
                register_taught_route(models, Path(tmp) / "bench.duckdb")
            seconds[name], summary = cpu_timed(lambda: stage.run(con, settings, models=models, progress=False))
            con.close()
        if name != "warm":
            print(f"  {name:7s} {len(tweets) / seconds[name]:8.1f} texts per CPU s  ({seconds[name]:.1f} CPU s; "
                  f"{summary.split(';')[0]}" + "".join(f";{part}" for part in summary.split(";") if "sentiment on" in part) + ")")
    print(f"  taught sentiment route = {seconds['taught'] / seconds['shipped']:.2f}x the shipped heads")


def demo_mix_cost(models: Models, settings: EnrichSettings, customers: int) -> None:
    """Enrich the demo's ingested contacts with the route off, then on (each on its own copy)."""
    import shutil

    from pipelines.commands.demo import ingest_all
    from pipelines.demo.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp) / "demo", customers=customers, days=30)
        con = warehouse.connect(Path(tmp) / "off.duckdb")
        ingest_all(con, files)
        con.close()
        shutil.copyfile(Path(tmp) / "off.duckdb", Path(tmp) / "on.duckdb")
        seconds = {}
        for name, route in (("off", None), ("on", models.multilingual)):
            con = warehouse.connect(Path(tmp) / f"{name}.duckdb")
            seconds[name], summary = cpu_timed(lambda: stage.run(con, settings, models=dataclasses.replace(
                models, multilingual=route), progress=False))
            counts = con.execute("SELECT count(*) FILTER (WHERE language IN ('pl', 'zh')), count(*) FILTER "
                                 "(WHERE is_scored), count(*) FROM enriched.interaction_scores").fetchone()
            con.close()
            print(f"  route {name:3s} {seconds[name]:7.1f} CPU s  ({summary.split(';')[0]}; interactions pl/zh "
                  f"{counts[0]:,}, scored {counts[1]:,} of {counts[2]:,})")
    print(f"  demo mix: route on = {seconds['on'] / seconds['off']:.2f}x route off")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", type=int, default=10_000, help="tweets (default 10000)")
    parser.add_argument("--long", type=int, default=1_000, help="complaint narratives (default 1000)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--foreign", type=int, default=1_000, help="Polish/Chinese texts for the route (0 = skip)")
    parser.add_argument("--only-multilingual", action="store_true", help="time the multilingual route only")
    parser.add_argument("--demo", type=int, default=300, help="demo customers for the demo-mix timing (0 = skip)")
    parser.add_argument("--route", type=int, default=1_000,
                        help="tweets for the taught sentiment route's timing (0 = skip)")
    parser.add_argument("--only-route", action="store_true", help="time the taught sentiment route only")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    settings = dataclasses.replace(EnrichSettings(), threads=args.threads)
    models = Models.load(settings)
    print(f"bench-enrich: {stage.describe(models, models.version)}; batch size {models.encoder.batch_size}")
    tweets, labels = short_texts(args.short)
    if args.route and models.multilingual is not None:
        route_cost(models, tweets[: args.route], settings)
    if args.only_route:
        return
    if args.foreign and models.multilingual is not None:
        multilingual_cost(models, tweets, foreign_texts(args.foreign), settings)
    if args.demo and models.multilingual is not None:
        print(f"\ndemo mix: {args.demo} customers, 30 days")
        demo_mix_cost(models, settings, args.demo)
    if args.only_multilingual:
        return
    sets = (("short: airline tweets", tweets), ("long: CFPB narratives", long_texts(args.long)))
    for title, texts in sets:
        units = make_units(texts, models.encoder.tokenizer, models.encoder.max_tokens)
        print(f"\n{title}: {len(texts)} texts, {len(units.texts)} chunks of <= {models.encoder.max_tokens} tokens")
        bare = bare_forward(models, texts)
        print(f"  bare forward pass   {len(texts) / bare:8.1f} texts/s  ({bare:.1f} s)")
        full = enrichment(models, texts, settings)
        print(f"  enrichment          {len(texts) / full:8.1f} texts/s  ({full:.1f} s)  = {full / bare:.2f}x the bare pass")
        if not args.skip_naive:
            base = naive(models, texts)
            print(f"  naive (2 pipelines) {len(texts) / base:8.1f} texts/s  ({base:.1f} s)  = {base / bare:.2f}x the bare pass"
                  + ("; truncates at 256 tokens" if len(units.texts) > len(texts) else ""))
    print("\nint8 dynamic quantisation, airline tweets:")
    int8_check(models, tweets[: min(len(tweets), 2000)], labels[: min(len(tweets), 2000)])


if __name__ == "__main__":
    main()
