"""Plain-text transcripts: one file is one conversation, one `Speaker: text` line per turn.

    Call ID: 8812
    Date: 2024-03-05 14:30
    Customer ID: C-1001

    [00:00:02] Agent: Thank you for calling, this is Dana.
    [00:00:05] Customer: Hi, my bill is wrong
    again this month.                       <- a line without a prefix continues the turn

Speakers: Agent/AGENT/Rep/Representative/Operator/Advisor, Customer/Caller/Client/User, System,
with an optional number or name in parentheses (`Agent (Dana):`). A timestamp (`[00:01:23]`,
`00:01:23`, `[1:23]`) before or after the speaker sets the turn's start; its end is the next
turn's start. The header block (lines `Key: value` before the first turn) gives the metadata;
what it lacks comes from the file name (id = file stem, time = a timestamp in the name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipelines.ingest import vocab
from pipelines.ingest.core import file_source_id
from pipelines.ingest.encoding import read_text
from pipelines.ingest.records import IngestOptions, Parsed
from pipelines.ingest.transcript_common import conversation_value, number, occurred_at, speaker_role

_STAMP = r"\[?(?P<{name}>(?:\d{{1,2}}:)?\d{{1,2}}:\d{{2}}(?:[.,]\d+)?)\]?"
_SPEAKER_WORDS = (r"agent|rep|representative|operator|advisor|adviser|consultant|support|customer|caller|client|"
                  r"user|visitor|system|bot|ivr")
TURN_RE = re.compile(
    r"^\s*(?:" + _STAMP.format(name="t1") + r"\s*(?:-\s*)?)?"
    r"(?P<speaker>(?:" + _SPEAKER_WORDS + r")(?:[ _-]?\d+)?)(?:\s*\((?P<name>[^)]{1,40})\))?"
    r"\s*(?:" + _STAMP.format(name="t2") + r"\s*)?:\s?(?P<text>.*)$",
    re.IGNORECASE,
)
HEADER_RE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z _-]{1,30}?)\s*[:=]\s*(?P<value>.+?)\s*$")
HEADER_FIELDS = {
    "id": "source_id", "call id": "source_id", "call_id": "source_id", "conversation id": "source_id",
    "conversation_id": "source_id", "contact id": "source_id", "chat id": "source_id", "ticket": "source_id",
    "date": "occurred_at", "time": "occurred_at", "datetime": "occurred_at", "started at": "occurred_at",
    "started_at": "occurred_at", "start time": "occurred_at", "timestamp": "occurred_at",
    "customer id": "customer_id", "customer_id": "customer_id", "account": "customer_id",
    "customer email": "email", "email": "email", "customer phone": "phone", "phone": "phone",
    "agent id": "agent_id", "agent_id": "agent_id", "agent name": "agent_id",
    "channel": "channel", "queue": "queue", "brand": "brand", "duration": "duration_s",
    "duration_s": "duration_s", "subject": "subject", "category": "source_category", "reason": "source_category",
}


def _seconds(stamp: str | None) -> float | None:
    if not stamp:
        return None
    parts = [float(p.replace(",", ".")) for p in stamp.split(":")]
    total = 0.0
    for part in parts:
        total = total * 60 + part
    return total


def split_transcript(text: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(header fields, turns) of a plain-text transcript; turns have speaker, text, begin_s, end_s."""
    header: dict[str, str] = {}
    turns: list[dict[str, Any]] = []
    for line in text.splitlines():
        m = TURN_RE.match(line)
        speaker = speaker_role(m.group("speaker")) if m else None
        if m and speaker:
            turns.append({"speaker": speaker, "text": m.group("text").strip(),
                          "begin_s": _seconds(m.group("t1") or m.group("t2")), "end_s": None})
            continue
        if not turns:
            h = HEADER_RE.match(line)
            field = HEADER_FIELDS.get(h.group("key").strip().lower()) if h else None
            if field and h:
                header.setdefault(field, h.group("value"))
            continue
        if line.strip():  # a wrapped line continues the turn before it
            turns[-1]["text"] = (turns[-1]["text"] + " " + line.strip()).strip()
    for turn, following in zip(turns, turns[1:], strict=False):
        turn["end_s"] = following["begin_s"]
    return header, turns


def parse_text_transcript(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """One conversation per file (record_no 1); an empty file yields nothing."""
    text, _ = read_text(path, options.encoding)
    if not text.strip():
        return
    header, turns = split_transcript(text)
    payload: dict[str, Any] = {"file": path.name, "header": header, "text": text}
    if not turns:
        yield Parsed(1, payload, error="no turns: no line starts with a speaker such as 'Agent:' or 'Customer:'")
        return
    try:
        fallback_field = (options.occurred_at or "").partition(":")[2].strip().lower()
        moment, origin, warning = occurred_at(header.get("occurred_at"), path, options,
                                              header.get(HEADER_FIELDS.get(fallback_field, fallback_field)))
        payload["occurred_at_source"] = origin
        customer_id = header.get("customer_id")
        ref_type, ref = ("crm", customer_id) if customer_id else \
            ("email", header["email"]) if header.get("email") else \
            ("phone", header["phone"]) if header.get("phone") else (None, None)
        channel = vocab.channel(header.get("channel")) or "call"
        value = conversation_value(
            turns,
            source_id=header.get("source_id") or file_source_id(path),
            channel=options.channel or channel,
            customer_id=customer_id,
            customer_ref_type=ref_type,
            customer_ref=ref,
            occurred_at=moment,
            agent_id=header.get("agent_id"),
            queue=header.get("queue"),
            brand=header.get("brand"),
            subject=header.get("subject"),
            source_category=header.get("source_category"),
            duration_s=number(header.get("duration_s")),
        )
    except ValueError as exc:
        yield Parsed(1, payload, error=str(exc))
        return
    yield Parsed(1, payload, value=value, warning=warning)
