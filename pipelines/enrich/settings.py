"""Settings of the enrichment stage: section `[enrich]` of `voc.toml`, env `VOC_ENRICH_*`.

Example `voc.toml`::

    [enrich]
    batch_size = 64       # at most this many texts per encoder forward pass (which also holds at most
                          # encoder.BATCH_TOKENS tokens, padding included); 0 = [models] batch_size
    threads = 2           # torch intra-op threads; 0 = [models] threads
    commit_rows = 2000    # interactions per committed transaction (resume point)
    engine = "local"      # "ray": model work on Ray Data actors (pip install "ray[data]"), see README
    ray_address = ""      # "" = start a local Ray instance; "auto" or "ray://head:10001" = a cluster
    ray_workers = 2       # actors, each loading the models once
    ray_work_dir = ""     # Parquet hand-off; "" = a local temp dir; a cluster needs shared storage (s3://...)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import SettingsError, load_section

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class EnrichSettings:
    """How `python -m pipelines enrich` runs; which models it loads is `[models]`."""

    # 0 = as in `[models]` (batch_size, threads), which builds the encoder.
    batch_size: int = 0
    threads: int = 0
    commit_rows: int = 2000
    rescore_all: bool = False
    # Texts longer than this many characters are marked `too_long` instead of being chunked into
    # thousands of forward passes (100k chars is about 100 chunks of 256 tokens).
    max_chars: int = 100_000
    # Below this many letters the language cannot be told; such texts are treated as English.
    min_letters_for_language: int = 12
    # Score texts in Chinese, Polish and the other languages of multilingual USE v3 on its own encoder
    # and heads (pipelines.models.multilingual); false: they are marked not_english and not scored.
    multilingual: bool = True
    top_emotions: int = 3
    # Customer turns averaged for the start and the end of a call's sentiment trajectory.
    trajectory_turns: int = 2
    # Empty = derived from the loaded models (encoder + sentiment + emotion versions).
    model_version: str = ""
    # Where the model work runs: "local" (this process) or "ray" (Ray Data actors; the driver stays
    # the single DuckDB writer and hands texts and results over as Parquet under ray_work_dir).
    engine: str = "local"
    ray_address: str = ""
    ray_workers: int = 2
    ray_batch_size: int = 256        # texts per map_batches call (and per input Parquet file)
    ray_cpus_per_worker: float = 1.0  # Ray CPUs each actor reserves; also its torch threads
    ray_work_dir: str = ""           # local path or pyarrow/fsspec URI (s3://bucket/voc-work)
    ray_round_rows: int = 100_000    # interactions handed to Ray per round (driver memory bound)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise SettingsError(f"[enrich] engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        for name in ("ray_workers", "ray_batch_size", "ray_round_rows"):
            if int(getattr(self, name)) < 1:
                raise SettingsError(f"[enrich] {name} must be at least 1, got {getattr(self, name)!r}")
        if float(self.ray_cpus_per_worker) <= 0:
            raise SettingsError(f"[enrich] ray_cpus_per_worker must be above 0, got {self.ray_cpus_per_worker!r}")
        for name in ("commit_rows", "max_chars", "top_emotions", "trajectory_turns"):
            if int(getattr(self, name)) < 1:
                raise SettingsError(f"[enrich] {name} must be at least 1, got {getattr(self, name)!r}")
        for name in ("batch_size", "threads"):
            if int(getattr(self, name)) < 0:
                raise SettingsError(f"[enrich] {name} must be 0 (as in [models]) or more, got {getattr(self, name)!r}")


def load(path: Path | None = None) -> EnrichSettings:
    """The `[enrich]` settings in force (file, then env vars)."""
    return load_section("enrich", EnrichSettings, path)
