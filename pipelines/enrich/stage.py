"""The enrichment stage: score every interaction and turn not yet scored by the current models.

`run` teaches heads on new labels, reloads the NEV mapping, stages the pending work and hands it to
`batches.score_pending` on the configured engine (local, or Ray: `ray_engine`), with a progress bar.
Per committed batch of `commit_rows` interactions (one transaction each, so an interrupted run
resumes at the first unfinished batch): detect language, embed each distinct English text once
(reusing the embedding store), run the sentiment and emotion heads on the shared embeddings, and
bulk-insert turn scores, then interaction scores joined with the call trajectory computed in SQL
(`pipelines.enrich.batches`).
"""

from __future__ import annotations

import contextlib
import logging
import time

import duckdb

from pipelines.embeddings.index import StoreIndex
from pipelines.enrich.batches import LocalEngine, Stats, score_pending, staged_pending
from pipelines.enrich.scoring import Models
from pipelines.enrich.settings import EnrichSettings, load
from pipelines.models import ModelSettings
from pipelines.models.nev import load_mapping
from pipelines.models.taught import warehouse_file
from pipelines.models.teacher import teach_pending
from pipelines.warehouse import registered, transaction

log = logging.getLogger(__name__)


def device_of(models: Models) -> str:
    """The torch device the encoder runs on."""
    model = getattr(models.encoder, "model", None)
    try:
        return str(next(model.parameters()).device)  # type: ignore[union-attr]
    except (AttributeError, StopIteration, TypeError):
        return "cpu"


def describe(models: Models, version: str) -> str:
    """One line naming device, threads and model version (printed by the CLI)."""
    import torch

    return f"device {device_of(models)}, {torch.get_num_threads()} threads, model version {version}"


def load_nev_mapping(con: duckdb.DuckDBPyConnection) -> int:
    """Replace `enriched.nev_mapping` with the mapping file's rows (it is data, shown on the dashboard)."""
    mapping = load_mapping()
    with transaction(con), registered(con, mapping=mapping):
        con.execute("DELETE FROM enriched.nev_mapping")
        con.execute("INSERT INTO enriched.nev_mapping SELECT goemotions_label, shaw_emotion, shaw_cluster, valence FROM mapping")
    return len(mapping)


def run(
    con: duckdb.DuckDBPyConnection,
    settings: EnrichSettings | None = None,
    *,
    models: Models | None = None,
    model_settings: ModelSettings | None = None,
    progress: bool = True,
) -> str:
    """Score what the current model version has not scored yet; returns a one-line summary.

    `models` (already loaded) wins over `model_settings` (`[models]`, to load them from).
    """
    settings = settings or load()
    if settings.threads:
        import torch

        torch.set_num_threads(settings.threads)
    db = warehouse_file(con)
    models = models or Models.load(settings, model_settings, db=db)
    taught_lines, _ = teach_pending(con, db, models)  # labels added since (dashboard corrections)
    for line in taught_lines:
        log.info("enrich: %s", line)
    # The active taught heads (just taught or earlier) replace the given ones; none = unchanged.
    models = models.with_taught(db)
    version = settings.model_version or models.version
    log.info("enrich: %s", describe(models, version))
    load_nev_mapping(con)
    if settings.rescore_all:
        with transaction(con):
            con.execute("DELETE FROM enriched.turn_scores WHERE model_version = ?", [version])
            con.execute("DELETE FROM enriched.interaction_scores WHERE model_version = ?", [version])
    with staged_pending(con, version) as (n_interactions, n_turns):
        if n_interactions == 0:
            return "; ".join([*taught_lines, f"nothing new to score (model version {version})"])
        stats = _score_pending(con, models, settings, version, n_interactions + n_turns, progress)
    log.info("enrich: time by phase: %s", stats.phase_line())
    rate = (stats.interactions + stats.turns) / max(stats.seconds, 1e-9)
    return "; ".join(taught_lines) + ("; " if taught_lines else "") + (
        f"scored {stats.interactions} interactions ({stats.not_scored} not scored: empty, no words, "
        f"in no language the models score, or too long) and {stats.turns} turns; encoded {stats.encoded} distinct texts, "
        f"reused {stats.reused} stored embeddings; "
        + (f"sentiment on {models.sentiment_route.encoder_name}: encoded {stats.route_encoded}, reused "
           f"{stats.route_reused}; " if models.sentiment_route is not None else "")
        + f"{rate:.1f} texts/s; model version {version}"
        + (f"; engine ray ({settings.ray_workers} workers)" if settings.engine == "ray" else "")
    )


def engine(settings: EnrichSettings, models: Models, version: str) -> contextlib.AbstractContextManager:
    """The configured engine, for the block: this process, or Ray actors (`[enrich] engine`)."""
    if settings.engine == "ray":
        from pipelines.enrich import ray_engine  # Ray is optional and imported only when chosen

        return ray_engine.engine(settings, models, version)
    return contextlib.nullcontext(LocalEngine(models, settings))


def _score_pending(
    con, models: Models, settings: EnrichSettings, version: str, n_items: int, progress: bool
) -> Stats:
    """Score the staged interactions and turns on the configured engine, with a progress bar."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_items, desc="enrich", unit="text", smoothing=0.1)
    start = time.perf_counter()
    stats = Stats()
    try:
        with stats.phase("index"):
            store = StoreIndex.load(con, models.encoder)
            route = models.sentiment_route
            route_store = StoreIndex.load(con, route.encoder_name) if route is not None else None
        with engine(settings, models, version) as chosen:
            stats.add(score_pending(con, store, models, settings, version, chosen, bar, route_store))
    finally:
        if bar is not None:
            bar.close()
    stats.seconds = time.perf_counter() - start
    return stats
