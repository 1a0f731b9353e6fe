"""What `ingest --list-formats` prints: every format and preset, whether it loads as it is, an example.

The list is built from the formats the loaders register (`pipelines.ingest.formats`), so a format
without a line here shows up as such (and `tests/test_ingest_catalog.py` fails).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.ingest import KINDS, formats
from pipelines.ingest.presets import NO_TEXT_EXPORTS, PRESETS


@dataclass(frozen=True)
class FormatDoc:
    """One format: what files it reads, whether they load without a mapping, an example command."""

    reads: str
    as_is: bool
    example: str


FORMATS: dict[tuple[str, str], FormatDoc] = {
    ("transcripts", "transcribe_json"): FormatDoc(
        "Amazon Transcribe Call Analytics and Amazon Connect Contact Lens (voice and chat) analysis JSON, "
        "one contact per file; dated by its own time, a chat's messages, the recording's S3 name or the "
        "`<contact>_analysis_<time>.json` object name",
        True,
        "ingest transcripts exports/contact-lens/",
    ),
    ("transcripts", "conversations_json"): FormatDoc(
        "a JSON array of conversations with turns (or one conversation), or one conversation's list of "
        "utterances (Gridspace-Stanford Harper Valley), or a Genesys Cloud speech and text analytics "
        "transcript (transcripts[].phrases[])",
        True,
        "ingest transcripts harper_valley/transcript/",
    ),
    ("transcripts", "conversations_jsonl"): FormatDoc(
        "one conversation per line (the ABCD sample's layout)", True, "ingest transcripts chats.jsonl"
    ),
    ("transcripts", "text_transcript"): FormatDoc(
        "plain text, `Agent:` / `Customer:` lines, an optional `Key: value` header",
        True,
        "ingest transcripts calls/*.txt",
    ),
    ("transcripts", "utterances_csv"): FormatDoc(
        "CSV, one row per utterance (conversation id, speaker, text...)",
        True,
        "ingest transcripts utterances.csv --column source_id=call",
    ),
    ("emails", "eml"): FormatDoc("one RFC 822 message per file", True, "ingest emails inbox/"),
    ("emails", "mbox"): FormatDoc(
        "an mbox mailbox (Thunderbird, Google Takeout, list archives)", True, "ingest emails archive.mbox"
    ),
    ("emails", "helpdesk_csv"): FormatDoc(
        "a helpdesk ticket CSV: as it is for the presets below, else map text/id/date columns",
        False,
        "ingest emails tickets.csv --column text=Body --column occurred_at=Opened",
    ),
    ("emails", "cfpb_csv"): FormatDoc(
        "CFPB consumer complaint database CSV", True, "ingest emails complaints.csv"
    ),
    ("social", "twitter_v2"): FormatDoc(
        "Twitter (X) API v2 response pages and twarc2-flattened tweets (JSON / JSONL); retweets are "
        "skipped as not contacts",
        True,
        "ingest social tweets.jsonl --brand-account ShopHelp",
    ),
    ("social", "social_csv"): FormatDoc(
        "a post per row (Customer Support on Twitter, airline tweets...)",
        True,
        "ingest social twcs.csv --brand-account AmazonHelp",
    ),
    ("social", "social_jsonl"): FormatDoc(
        "a post per line, other JSON layouts: map nested keys with dotted paths",
        False,
        "ingest social posts.jsonl --column customer_id=user.screen_name",
    ),
    ("customers", "customers_csv"): FormatDoc("CRM customers, one per row", True, "ingest customers crm.csv"),
    ("transactions", "transactions_csv"): FormatDoc(
        "purchases: customer, date, amount", True, "ingest transactions orders.csv"
    ),
}
KIND_OF_FORMAT = {"helpdesk_csv": "emails", "utterances_csv": "transcripts"}


def describe(kind: str | None = None) -> str:
    """The text of `ingest --list-formats` (for one kind, or all)."""
    lines = []
    for k in KINDS if kind is None else (kind,):
        available = formats(k)
        if not available:
            continue
        lines.append(f"{k}:")
        for fmt in sorted(available):
            doc = FORMATS.get((k, fmt))
            if doc is None:
                lines.append(f"  {fmt:<20} (not described yet)")
                continue
            lines.append(f"  {fmt:<20} [{'loads as it is' if doc.as_is else 'needs a mapping'}] {doc.reads}")
            lines.append(f"  {'':<20} e.g. python -m pipelines {doc.example}")
        presets = [p for p in PRESETS if KIND_OF_FORMAT.get(p.fmt) == k]
        if presets:
            lines.append(
                f"  presets ({', '.join(sorted({p.fmt for p in presets}))}, recognised from the header row, "
                "load as they are):"
            )
            for p in presets:
                lines.append(f"    {p.name:<26} {p.title}")
                lines.append(f"    {'':<26} header has: {', '.join(p.signature)}")
                lines.append(
                    f"    {'':<26} e.g. python -m pipelines ingest {k} export.csv {p.flags}".rstrip()
                )
                lines.extend(f"    {'':<26} note: {n}" for n in p.notes)
        if k == "transcripts":
            lines.append("  not loadable (no words in them; export the calls' transcripts instead):")
            lines.extend(f"    {name}: {why}" for name, why in NO_TEXT_EXPORTS)
    lines.append("")
    lines.append(
        "Dates: a record without one takes --occurred-at (column:NAME, filename[:PATTERN], mtime); "
        "by default a time in the file name, else the file's mtime with a warning."
    )
    lines.append(
        "Any column can be mapped: --column FIELD=COLUMN or --mapping file.toml (README, 'Your own data')."
    )
    return "\n".join(lines)
