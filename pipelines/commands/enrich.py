"""`enrich`: sentiment, emotion and NEV (text proxy) for every interaction and turn not yet scored."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from pipelines import warehouse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "enrich",
        help="score new interactions and turns (sentiment, emotion, NEV text proxy)",
        description="Score every interaction and customer/agent turn that the current model version has "
        "not scored yet; a re-run with nothing new does no model work.\n"
        "Example: python -m pipelines enrich --batch-size 64 --threads 2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--rescore-all", action="store_true",
                   help="drop this model version's scores and score everything again")
    p.add_argument("--batch-size", type=int, help="texts per encoder forward pass ([enrich] batch_size)")
    p.add_argument("--threads", type=int, help="torch threads ([enrich] threads)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from pipelines.enrich import stage
    from pipelines.enrich.scoring import Models
    from pipelines.enrich.settings import load

    settings = load()
    overrides = {"rescore_all": True} if args.rescore_all else {}
    if args.batch_size is not None:
        overrides["batch_size"] = args.batch_size
    if args.threads is not None:
        overrides["threads"] = args.threads
    settings = dataclasses.replace(settings, **overrides)
    if settings.threads:
        import torch

        torch.set_num_threads(settings.threads)
    models = Models.load(settings)
    print(stage.describe(models, settings.model_version or models.version), flush=True)
    con = warehouse.connect(Path(args.db))
    try:
        print(stage.run(con, settings, models=models, progress=not args.no_progress))
    finally:
        con.close()
    return 0
