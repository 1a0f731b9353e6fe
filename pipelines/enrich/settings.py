"""Settings of the enrichment stage: section `[enrich]` of `voc.toml`, env `VOC_ENRICH_*`.

Example `voc.toml`::

    [enrich]
    batch_size = 64       # texts per encoder forward pass; 0 = [models] batch_size
    threads = 2           # torch intra-op threads; 0 = [models] threads
    commit_rows = 2000    # interactions per committed transaction (resume point)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import SettingsError, load_section


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
    top_emotions: int = 3
    # Customer turns averaged for the start and the end of a call's sentiment trajectory.
    trajectory_turns: int = 2
    # Empty = derived from the loaded models (encoder + sentiment + emotion versions).
    model_version: str = ""

    def __post_init__(self) -> None:
        for name in ("commit_rows", "max_chars", "top_emotions", "trajectory_turns"):
            if int(getattr(self, name)) < 1:
                raise SettingsError(f"[enrich] {name} must be at least 1, got {getattr(self, name)!r}")
        for name in ("batch_size", "threads"):
            if int(getattr(self, name)) < 0:
                raise SettingsError(f"[enrich] {name} must be 0 (as in [models]) or more, got {getattr(self, name)!r}")


def load(path: Path | None = None) -> EnrichSettings:
    """The `[enrich]` settings in force (file, then env vars)."""
    return load_section("enrich", EnrichSettings, path)
