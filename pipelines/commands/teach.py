"""`teach`: train sentiment / emotion heads on a center's own labels; store contact-reason labels."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.commands.enrich import add_fast_argument, fast_flag
from pipelines.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "teach",
        help="learn a center's own labels (sentiment, emotion, contact reason)",
        description="Store labels beside the warehouse (<db>.labels.duckdb) and train a head on the stored "
        "embeddings, warm-started from the shipped head. It becomes active only when its cross-validated "
        "macro-F1 beats the shipped head's on the same labels; the next `run` rescores with it.\n"
        "LABELS.csv: a `label` column and `interaction_id` or `source_id`. Labels: sentiment = negative, "
        "neutral, positive; emotion = anger, disgust, fear, joy, neutral, sadness, surprise; reason = any "
        "contact-reason name (pinned by the topics stage).\n"
        "Example: python -m pipelines teach sentiment qa_labels.csv\n"
        "Dashboard corrections only: python -m pipelines teach sentiment\n"
        "Back to the shipped head: python -m pipelines teach sentiment --reset",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("task", choices=("sentiment", "emotion", "reason", "status"),
                   help="what the labels are (status: list stored labels and teach attempts)")
    p.add_argument("labels", nargs="?", type=Path, help="CSV of labels (omit: teach on the stored labels)")
    p.add_argument("--reset", action="store_true", help="deactivate the taught head; the shipped one is used")
    add_fast_argument(p)
    p.set_defaults(func=handle, flags=lambda settings, args: settings.replace(models=fast_flag(args)))


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.models import teacher

    db = Path(args.db)
    if args.task == "status":
        print(teacher.summary(db))
        return 0
    if args.reset:
        print(teacher.reset(db, args.task))
        return 0
    report = teacher.teach(db, args.task, args.labels, model_settings=settings.models)
    for line in report.lines():
        print(line)
    # 3 = labels stored but the head was refused (scripts can tell it from success and from errors)
    return 0 if report.accepted or args.task == "reason" else 3
