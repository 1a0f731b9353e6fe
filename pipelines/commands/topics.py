"""`topics`: fit the contact-reason model, assign interactions to it, show its topics."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines import warehouse
from pipelines.commands.enrich import add_fast_argument, fast_flag
from pipelines.config import Settings
from pipelines.errors import MissingPathError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("topics", help="contact reasons: fit, assign, show",
                       description="Contact reasons (BERTopic on stored embeddings of customer-side text).\n"
                       "Example: python -m pipelines topics fit --taxonomy docs/taxonomy.example.yaml",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (("fit", "fit a new model version (ids matched to the previous one), then assign all"),
                       ("assign", "assign new interactions to the current model without refitting"),
                       ("show", "print the current model's reasons, sub-reasons and sizes")):
        a = actions.add_parser(name, help=text, description=text)
        a.add_argument("--taxonomy", help="taxonomy file (YAML/TOML) overriding [topics] taxonomy")
        a.add_argument("--seed", type=int, help="random seed of the fit (default [topics] seed)")
        add_fast_argument(a)
        a.set_defaults(func=handle, flags=flags)


def flags(settings: Settings, args: argparse.Namespace) -> Settings:
    """`[topics]` and `[models]` as `--taxonomy`, `--seed` and `--fast` set them."""
    return settings.replace(topics={"taxonomy": args.taxonomy, "seed": args.seed}, models=fast_flag(args))


def handle(args: argparse.Namespace, run: Settings) -> int:
    from pipelines.topics import stage

    settings, models = run.topics, run.models
    db = Path(args.db)
    if args.action == "show" and not db.exists():
        raise MissingPathError(f"no warehouse at {db}; build one with: python -m pipelines demo")
    con = warehouse.connect(db, settings=run.warehouse)
    try:
        if args.action == "fit":
            model = stage.fit(con, settings, model_settings=models)
            m = model.matching
            print(f"fitted {model.version}: {len(model.ids)} topics on {model.n_docs} texts, "
                  f"other {model.other_share:.1%}; vs previous: {m.get('matched', 0)} kept, "
                  f"{m.get('new', 0)} new, {m.get('retired', 0)} retired")
            print(stage.assign(con, settings, model_settings=models))
        elif args.action == "assign":
            print(stage.assign(con, settings, model_settings=models))
        else:
            show(con)
    finally:
        con.close()
    return 0


def show(con) -> None:
    rows = con.execute("""
        SELECT parent_topic_label, topic_id, topic_label, size, keywords[1:5]
        FROM enriched.topics JOIN enriched.topic_models m USING (topic_model_version)
        WHERE m.is_current ORDER BY sum(size) OVER (PARTITION BY parent_topic_id) DESC, parent_topic_id, size DESC""").fetchall()
    if not rows:
        print("no topic model yet; fit one with: python -m pipelines topics fit")
    parent = None
    for parent_label, tid, label, size, words in rows:
        if parent_label != parent:
            print(parent_label)
            parent = parent_label
        print(f"  {tid:>6}  {size:>7}  {label}  [{', '.join(words or [])}]")
