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
    occurred_at: str | None = None       # when a record has no date: column:NAME, filename[:PATTERN], mtime
    replace: bool = False                # load again even when the same content is already loaded
    earliest_date: str = "1990-01-01"    # timestamps before this are rejected as implausible
    latest_days_ahead: int = 1           # ... and those more than this many days after now
    # voc.toml only: keep the clear CRM id in staging.customers.crm_id (for callbacks); customers are
    # otherwise known only by their pseudonym (pipelines.ingest.identity)
    keep_crm_ids: bool = False
    # phones without a country code (`07700 900123`) are read in this country (ISO code, e.g. "GB") so
    # they stitch with `+44 7700 900123`; "" = no default (such numbers are kept as their digits)
    phone_region: str = ""
    # processes that redact a big file's texts (pipelines.redact.pool): 1 = none (all in this process),
    # 0 = one per CPU (at most 4); the redacted text is the same either way. Default 1 until a gain is
    # measured on an idle machine: on a shared 2-core one, 2 workers showed none (issue 13 note).
    redact_workers: int = 1


@dataclass
class Parsed:
    """One record read from a source file.

    `payload` is the record as read (landed in raw.records); `value` is the normalised record for
    staging (for interactions: the `staging.interactions` fields plus `turns`, a list of dicts with
    `speaker`, `text`, `begin_s`, `end_s`), or None when `error` says why it was rejected.
    `skip` says why a record read is not a contact (a retweet): it lands in raw.records only and
    is counted apart, never as loaded or rejected. `warning` is said once per file with its count
    (a record dated by the file's modification time).
    """

    record_no: int
    payload: dict[str, Any]
    value: dict[str, Any] | None = None
    error: str | None = None
    skip: str | None = None
    warning: str | None = None


@dataclass
class FileReport:
    """What one file's load did; `read == loaded + rejected` always holds.

    Records that are not contacts (`skipped_records`: retweets, blank spreadsheet rows) are not
    in `read`; they are counted by reason. `warnings` are per-file notes with their record count.
    """

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
    skipped_records: dict[str, int] = field(default_factory=dict)  # reason -> records not contacts
    warnings: dict[str, int] = field(default_factory=dict)         # message -> records it concerns
    preset: str | None = None            # the export preset its header matched (pipelines.ingest.presets)

    def skip(self, reason: str, n: int = 1) -> None:
        """Count `n` records that are not contacts (`reason`: 'retweet', 'blank row')."""
        if n:
            self.skipped_records[reason] = self.skipped_records.get(reason, 0) + n

    def warn(self, message: str, n: int = 1) -> None:
        """Note `message` for `n` records of this file (said once, with the count)."""
        if n:
            self.warnings[message] = self.warnings.get(message, 0) + n

    def line(self) -> str:
        """One line for the CLI: `path: read N, loaded N, rejected N (reason: n, ...)`."""
        if self.error:
            return f"{self.path}: not loaded: {self.error}"
        if self.skipped:
            return f"{self.path}: already loaded (same content), nothing to do"
        text = f"{self.path}: read {self.read}, loaded {self.loaded}, rejected {self.rejected}"
        if self.reasons:
            text += " (" + ", ".join(f"{r}: {n}" for r, n in sorted(self.reasons.items())) + ")"
        if self.skipped_records:
            text += "; skipped (not contacts): " + ", ".join(
                f"{r}: {n}" for r, n in sorted(self.skipped_records.items())
            )
        text += f" [preset {self.preset}]" if self.preset else ""
        text += " [replaced the earlier version]" if self.replaced else ""
        for message, n in sorted(self.warnings.items()):
            text += f"\n  warning: {n} record(s): {message}"
        return text
