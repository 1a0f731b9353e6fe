"""`enrich`: sentiment, emotion and NEV (text proxy) for every interaction and turn not yet scored."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import warehouse
from pipelines.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "enrich",
        help="score new interactions and turns (sentiment, emotion, NEV text proxy)",
        description="Score every interaction and customer/agent turn that the current model version has "
        "not scored yet; a re-run with nothing new does no model work.\n"
        "Example: python -m pipelines enrich --batch-size 64 --threads 2\n"
        "Large backlog: python -m pipelines enrich --fast   (static encoder: far faster, lower quality)\n"
        "On Ray:  python -m pipelines enrich --engine ray --ray-address auto --ray-workers 2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--rescore-all", action="store_true",
                   help="drop this model version's scores and score everything again")
    p.add_argument("--batch-size", type=int, help="texts per encoder forward pass ([enrich] batch_size)")
    p.add_argument("--threads", type=int, help="torch threads ([enrich] threads)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    add_fast_argument(p)
    add_engine_arguments(p)
    p.set_defaults(func=handle, flags=flags)


def add_fast_argument(p: argparse.ArgumentParser) -> None:
    """`--fast`, shared by `enrich`, `run`, `topics` and `demo`: sets `[models] mode = "fast"`."""
    p.add_argument("--fast", action="store_true",
                   help="fast mode for large backlogs: a static model2vec encoder distilled from the "
                   "full one, far faster, lower quality (models/MODEL_CARD.md, 'Fast mode') ([models] mode)")


def fast_flag(args: argparse.Namespace) -> dict:
    """The `[models]` field `--fast` sets (every stage, and each Ray worker, gets `[models]` from the run)."""
    return {"mode": "fast"} if getattr(args, "fast", False) else {}


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    """`--engine` and the Ray flags, shared by `enrich` and `run`."""
    p.add_argument("--engine", choices=("local", "ray"), help="where the model work runs ([enrich] engine)")
    p.add_argument("--ray-address", help='Ray cluster to join, e.g. "auto"; empty = a local instance ([enrich] ray_address)')
    p.add_argument("--ray-workers", type=int, help="Ray actors, each loading the models once ([enrich] ray_workers)")
    p.add_argument("--ray-batch-size", type=int, help="texts per Ray batch ([enrich] ray_batch_size)")
    p.add_argument("--ray-work-dir", help="Parquet hand-off folder or URI, shared by every node ([enrich] ray_work_dir)")


def engine_overrides(args: argparse.Namespace) -> dict:
    """The `[enrich]` fields the engine flags set."""
    names = ("engine", "ray_address", "ray_workers", "ray_batch_size", "ray_work_dir")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """`[enrich]` and `[models]` as this command's flags set them."""
    return settings.replace(
        models=fast_flag(args),
        enrich={"rescore_all": True if args.rescore_all else None, "batch_size": args.batch_size,
                "threads": args.threads, **engine_overrides(args)},
    )


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.enrich import stage
    from pipelines.enrich.scoring import Models

    enrich = settings.enrich
    if enrich.threads:
        import torch

        torch.set_num_threads(enrich.threads)
    models = Models.load(enrich, settings.models, db=Path(args.db))
    print(stage.describe(models, enrich.model_version or models.version), flush=True)
    con = warehouse.connect(Path(args.db), settings=settings.warehouse)
    try:
        print(stage.run(con, enrich, models=models, progress=not args.no_progress))
    finally:
        con.close()
    return 0
