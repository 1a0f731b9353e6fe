"""The pipeline's stages after ingest, wired once, in order.

A stage is `fn(con, settings) -> str`: it reads the layer before it and writes its own tables, only
what is new, and returns a one-line summary. `settings` is the run's `pipelines.config.Settings`
(built once by the CLI); each stage hands its sections to the library function doing the work.
`run` executes them in this order and then publishes. The stage modules import torch, BERTopic and
statsmodels only inside the functions that need them, so importing this module stays cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb

from analytics import build as build_marts
from pipelines.config import Settings
from pipelines.enrich import stage as enrich_stage
from pipelines.topics import stage as topics_stage

log = logging.getLogger(__name__)


def enrich(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Score new interactions and turns: sentiment, emotion, NEV (`[enrich]`, `[models]`)."""
    return enrich_stage.run(con, settings.enrich, model_settings=settings.models)


def topics(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Assign new interactions to the current topic model, fitting one if none (`[topics]`, `[models]`)."""
    return topics_stage.assign(con, settings.topics, model_settings=settings.models)


def build(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Rebuild every mart from staging and enriched, in one transaction (`[analytics]`, `[operations]`)."""
    return build_marts.run(con, settings.analytics, settings.operations)


Stage = Callable[[duckdb.DuckDBPyConnection, Settings], str]
STAGES: tuple[tuple[str, Stage], ...] = (("enrich", enrich), ("topics", topics), ("build", build))


def run_all(
    con: duckdb.DuckDBPyConnection, settings: Settings, only: set[str] | None = None
) -> list[tuple[str, str]]:
    """Run every stage (or those in `only`) in order; returns (stage, summary) pairs."""
    done = []
    for name, stage in STAGES:
        if only and name not in only:
            continue
        summary = stage(con, settings)
        log.info("%s: %s", name, summary)
        done.append((name, summary))
    return done
