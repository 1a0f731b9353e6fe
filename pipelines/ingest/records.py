"""The shapes every loader shares: what a parser yields and what a file load reports.

A parser turns one source file into `Parsed` records, one per record read (a CSV row, a JSON
object, an email, a transcript file). `pipelines.ingest.core` lands them: raw.records for all,
staging for the good ones, raw.rejects (with the reason) for the rest, in one transaction per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IngestOptions:
    """How to read a file; every field has a CLI flag of the same name."""

    encoding: str | None = None          # None: detect (BOM, UTF-8, UTF-16, GB18030, cp1250, Latin-1)
    timezone: str = "UTC"                # for naive timestamps
    columns: dict[str, str] = field(default_factory=dict)  # target field -> source column
    mapping_file: str | None = None      # TOML/YAML column mapping
    brand_accounts: tuple[str, ...] = ()  # social: authors that are the company (agent turns)
    channel: str | None = None           # override the channel a format implies (e.g. chat vs call)
    keep_originals: bool = False         # keep unredacted text in raw.records (off: redacted)


@dataclass
class Parsed:
    """One record read from a source file.

    `payload` is the record as read (landed in raw.records); `value` is the normalised record for
    staging (for interactions: the `staging.interactions` fields plus `turns`, a list of dicts with
    `speaker`, `text`, `begin_s`, `end_s`), or None when `error` says why it was rejected.
    """

    record_no: int
    payload: dict[str, Any]
    value: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class FileReport:
    """What one file's load did; `read == loaded + rejected` always holds."""

    path: str
    kind: str
    format: str
    encoding: str | None = None
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: bool = False                # same content already loaded: nothing to do
    replaced: bool = False               # the path had other content before: replaced
    reasons: dict[str, int] = field(default_factory=dict)
    error: str | None = None             # the file could not be read at all (nothing was loaded)

    def line(self) -> str:
        """One line for the CLI: `path: read N, loaded N, rejected N (reason: n, ...)`."""
        if self.error:
            return f"{self.path}: not loaded: {self.error}"
        if self.skipped:
            return f"{self.path}: already loaded (same content), nothing to do"
        text = f"{self.path}: read {self.read}, loaded {self.loaded}, rejected {self.rejected}"
        if self.reasons:
            text += " (" + ", ".join(f"{r}: {n}" for r, n in sorted(self.reasons.items())) + ")"
        return text + (" [replaced the earlier version]" if self.replaced else "")
