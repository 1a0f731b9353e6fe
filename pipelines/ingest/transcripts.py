"""Call and chat transcript formats: the parsers and how a file's format is recognised.

| format                | file                                                               |
|-----------------------|--------------------------------------------------------------------|
| `transcribe_json`     | Amazon Transcribe Call Analytics / Contact Lens output, one call   |
| `conversations_json`  | a JSON array of conversations with turns (or one conversation)     |
| `conversations_jsonl` | one conversation per line (the ABCD sample's layout)               |
| `text_transcript`     | plain text with `Agent:` / `Customer:` prefixes, one conversation  |

Each parser yields one `Parsed` per conversation; PII redaction and ids are the core's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from pipelines.ingest.records import IngestOptions, Parsed
from pipelines.ingest.transcript_json import parse_conversations_json, parse_conversations_jsonl, parse_transcribe
from pipelines.ingest.transcript_text import parse_text_transcript

PARSERS: dict[str, Callable[[Path, IngestOptions], Iterator[Parsed]]] = {
    "transcribe_json": parse_transcribe,
    "conversations_json": parse_conversations_json,
    "conversations_jsonl": parse_conversations_jsonl,
    "text_transcript": parse_text_transcript,
}
SNIFF_BYTES = 64 * 1024
# Keys only Call Analytics / Contact Lens documents have at their top level.
TRANSCRIBE_MARKERS = (b'"Participants"', b'"ParticipantRole"', b'"CustomerMetadata"', b'"ConversationCharacteristics"')


def _sniff(path: Path) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:2] == b"\x00":
        # UTF-16: drop the NULs so the ASCII markers below still match
        head = head.replace(b"\x00", b"")
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")


def detect_format(path: Path) -> str | None:
    """The transcript format of `path` from its extension and first bytes; None when not a transcript."""
    suffix = path.suffix.lower()
    if suffix in {".txt", ".text", ".transcript"}:
        return "text_transcript"
    if suffix in {".jsonl", ".ndjson"}:
        return "conversations_jsonl"
    if suffix != ".json":
        return None
    head = _sniff(path)
    if any(marker in head for marker in TRANSCRIBE_MARKERS) and head.startswith(b"{"):
        return "transcribe_json"
    first_line = head.split(b"\n", 1)[0].strip()
    if head.startswith(b"{") and first_line.endswith(b"}") and b"\n{" in head:
        return "conversations_jsonl"  # JSON lines saved as .json
    return "conversations_json"
