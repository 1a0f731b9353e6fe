"""`make bench-ray`: enrichment texts/s, local engine vs Ray Data with 1 and 2 local workers.

The same texts (all TWCS tweets in ../shared/datasets, read in place) are scored three times, each
on a fresh warehouse, by `pipelines.enrich.stage.run`: the local engine (torch on `--threads`
threads), then the Ray engine on one local Ray instance with 1 and with 2 actors (1 CPU and 1
torch thread each). Ray's start-up (`ray.init`) is timed on its own; each Ray run includes its
actors loading the models and the Parquet hand-off, as a real run does. The load average is
printed next to every figure: on a shared machine it moves the figures more than the engine does.

Usage: python -m benchmarks.bench_ray [--texts 2000] [--threads 2] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time

import pandas as pd

from benchmarks.bench_enrich import staged_warehouse
from pipelines.enrich import ray_engine, stage
from pipelines.enrich.scoring import Models
from pipelines.enrich.settings import EnrichSettings
from pipelines.models.datasets import shared_dir


def texts(n: int) -> list[str]:
    df = pd.read_csv(shared_dir() / "twcs_first5000" / "twcs_first5000.csv", dtype=str)
    return df["text"].dropna().drop_duplicates().head(n).tolist()


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def run_once(models: Models, settings: EnrichSettings, items: list[str]) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        con = staged_warehouse(tmp, items, "social")
        start = time.perf_counter()
        summary = stage.run(con, settings, models=models, progress=False)
        seconds = time.perf_counter() - start
        con.close()
    return seconds, summary.split(";")[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=2000, help="distinct TWCS tweets (default 2000)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the local engine")
    parser.add_argument("--batch-size", type=int, default=256, help="texts per Ray batch")
    args = parser.parse_args(argv)

    import torch

    ray = ray_engine.import_ray()
    items = texts(args.texts)
    base = EnrichSettings(threads=args.threads)
    torch.set_num_threads(args.threads)
    models = Models.load(base)
    print(f"bench-ray: {len(items)} TWCS texts; {os.cpu_count()} CPUs; {stage.describe(models, models.version)}")

    seconds, summary = run_once(models, base, items)
    print(f"  local engine ({args.threads} threads)  {len(items) / seconds:7.1f} texts/s  ({seconds:5.1f} s)  "
          f"[{load()}]  {summary}")

    ray_settings = dataclasses.replace(base, engine="ray", threads=0, ray_workers=2, ray_batch_size=args.batch_size)
    start = time.perf_counter()
    ray.init(**ray_engine.local_init_args(ray_settings))
    print(f"  ray.init (local instance)      {time.perf_counter() - start:5.1f} s  [{load()}]")
    try:
        for workers in (1, 2):
            settings = dataclasses.replace(ray_settings, ray_workers=workers)
            seconds, summary = run_once(models, settings, items)
            print(f"  ray engine, {workers} worker(s)         {len(items) / seconds:7.1f} texts/s  ({seconds:5.1f} s, "
                  f"actor start-up included)  [{load()}]  {summary}")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
