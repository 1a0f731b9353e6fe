"""What every transcript parser shares: speaker roles, the conversation's time, the staging value.

A conversation that carries no time of its own (the ABCD sample, many plain-text exports) is dated
as `--occurred-at` says (`pipelines.ingest.file_dates`): by default a timestamp in the file name
(`call-123_2024-03-05T14-30-00.txt`, Contact Lens' `<contact>_analysis_2024-03-05T14:30:00Z.json`),
else the file's modification time with a warning in the ingest summary. Every value records which
one was used (`occurred_at_source`, kept in the plain-text payload).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.ingest import vocab
from pipelines.ingest.file_dates import file_date, parse_fallback
from pipelines.ingest.records import IngestOptions
from pipelines.ingest.timeparse import parse_timestamp

def speaker_role(name: object) -> str | None:
    """`customer`, `agent` or `system` for a speaker label as exports write it; None when unknown.

    >>> speaker_role("AGENT"), speaker_role("Caller 1"), speaker_role("action")
    ('agent', 'customer', 'system')
    """
    return vocab.speaker(name)


def occurred_at(
    value: object, path: Path, options: IngestOptions, column_value: object = None
) -> tuple[datetime, str, str | None]:
    """(naive UTC time, origin, warning): the record's own time, else what `--occurred-at` chooses.

    `column_value` is the value of the `--occurred-at column:NAME` field when the caller read one.
    Raises ValueError (the reject reason) when the value is unparseable or the choice finds nothing.
    """
    if not _empty(value):
        return _parse(value, options.timezone), "record", None
    fallback = parse_fallback(options.occurred_at)
    if fallback.how == "column":
        if _empty(column_value):
            raise ValueError(f"missing timestamp: no value for --occurred-at column:{fallback.arg}")
        return _parse(column_value, options.timezone), f"column {fallback.arg}", None
    when, origin, warning = file_date(path, fallback)
    if when is None:
        raise ValueError(origin)
    return when, origin, warning


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse(value: object, timezone: str) -> datetime:
    try:
        return parse_timestamp(value, timezone)
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
