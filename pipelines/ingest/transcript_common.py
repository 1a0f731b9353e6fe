"""What every transcript parser shares: speaker roles, the conversation's time, the staging value.

A conversation that carries no time of its own (the ABCD sample, many plain-text exports) is dated
by its file: a timestamp in the file name (`call-123_2024-03-05T14-30-00.txt`, Contact Lens'
`<contact>_analysis_2024-03-05T14:30:00Z.json`), else the file's modification time. JSON payloads
stay as read; the plain-text payload records which one was used (`occurred_at_source`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.ingest.timeparse import parse_timestamp

SPEAKERS = {
    "customer": "customer", "caller": "customer", "client": "customer", "user": "customer",
    "cust": "customer", "visitor": "customer", "consumer": "customer", "human": "customer",
    "end_user": "customer", "enduser": "customer", "buyer": "customer",
    "agent": "agent", "rep": "agent", "representative": "agent", "advisor": "agent", "adviser": "agent",
    "operator": "agent", "assistant": "agent", "support": "agent", "staff": "agent", "csr": "agent",
    "supervisor": "agent", "custom_bot": "agent", "bot": "agent", "chatbot": "agent", "consultant": "agent",
    "system": "system", "action": "system", "event": "system", "ivr": "system", "note": "system",
}
CHANNEL_ALIASES = {"call": "call", "voice": "call", "phone": "call", "chat": "chat", "messaging": "chat",
                   "webchat": "chat", "sms": "chat", "email": "email", "social": "social"}

# 2024-03-05, 20240305, optionally followed by a time 14-30-00 / 14:30:00 / 143000 and a Z.
FILENAME_TIME_RE = re.compile(
    r"(?<![0-9])(\d{4})-?(\d{2})-?(\d{2})(?:[T_ -]?(\d{2})[-:]?(\d{2})(?:[-:]?(\d{2}))?)?(Z)?(?![0-9])"
)


def speaker_role(name: object) -> str | None:
    """`customer`, `agent` or `system` for a speaker label as exports write it; None when unknown.

    >>> speaker_role("AGENT"), speaker_role("Caller 1"), speaker_role("action")
    ('agent', 'customer', 'system')
    """
    key = re.sub(r"[\s_-]*\d+$", "", str(name or "").strip().lower()).replace(" ", "_")
    return SPEAKERS.get(key)


def time_from_filename(path: Path) -> datetime | None:
    """A naive UTC datetime from a timestamp in the file name, or None."""
    for m in FILENAME_TIME_RE.finditer(path.name):
        year, month, day, hour, minute, second, _z = m.groups()
        try:
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
        except ValueError:
            continue
    return None


def fallback_time(path: Path) -> tuple[datetime, str]:
    """The file's time when a record has none: (timestamp, 'filename' | 'file mtime')."""
    named = time_from_filename(path)
    if named is not None:
        return named, "filename"
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    return mtime, "file mtime"


def occurred_at(value: object, path: Path, timezone: str) -> tuple[datetime, str]:
    """The record's own time (naive UTC) when it has one, else the file's; raises ValueError if unparseable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return fallback_time(path)
    try:
        return parse_timestamp(value, timezone), "record"
    except ValueError as exc:
        raise ValueError(f"unparseable timestamp: {exc}") from exc


def number(value: object) -> float | None:
    """A float from a number or numeric string; None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def conversation_value(turns: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """The staging value of a conversation: `fields` plus texts joined by side, and the turns.

    Raises ValueError("missing text: ...") when no customer turn has text, so the core rejects it.
    """
    customer = [t["text"] for t in turns if t["speaker"] == "customer" and t["text"]]
    agent = [t["text"] for t in turns if t["speaker"] == "agent" and t["text"]]
    if not customer:
        raise ValueError("missing text: no customer turn with text")
    if fields.get("duration_s") is None:
        # offsets count from the start of the contact, so the last end is its length
        ends = [t["end_s"] for t in turns if t.get("end_s") is not None]
        if ends:
            fields["duration_s"] = max(ends)
    value = {"direction": "inbound", **fields}
    value.update(text="\n".join(customer), agent_text="\n".join(agent) or None, turns=turns)
    return value
