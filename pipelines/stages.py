"""The pipeline's stages after ingest, wired once, in order.

A stage is `fn(con) -> str`: it reads the layer before it and writes its own tables, only what is
new, and returns a one-line summary. `run` executes them in this order and then publishes.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

import duckdb

log = logging.getLogger(__name__)

STAGES: tuple[tuple[str, str], ...] = (
    ("enrich", "pipelines.enrich.stage:run"),
    ("topics", "pipelines.topics.stage:assign"),
    ("build", "analytics.build:run"),
)


def resolve(target: str) -> Callable[[duckdb.DuckDBPyConnection], str]:
    module_name, func = target.split(":")
    return getattr(importlib.import_module(module_name), func)


def run_all(con: duckdb.DuckDBPyConnection, only: set[str] | None = None) -> list[tuple[str, str]]:
    """Run every stage (or those in `only`) in order; returns (stage, summary) pairs."""
    done = []
    for name, target in STAGES:
        if only and name not in only:
            continue
        summary = resolve(target)(con)
        log.info("%s: %s", name, summary)
        done.append((name, summary))
    return done
