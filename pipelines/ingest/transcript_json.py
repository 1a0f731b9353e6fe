"""JSON transcripts: Amazon Transcribe Call Analytics / Contact Lens output, and generic conversations.

Generic conversations come as a JSON array (or `{"conversations": [...]}`, or one object) or as
JSONL, one conversation per line. Keys are found by their common names (`turns`/`messages`/
`utterances`/`original`; `speaker`/`role`; `text`/`content`; `start`/`BeginOffsetMillis`...) and
`--column field=key` (a dotted path such as `scenario.flow`) names any other. A truncated or broken
array keeps the conversations before the break and rejects the rest as one record.

A JSON array of utterances rather than of conversations (the Gridspace-Stanford Harper Valley Bank
layout: `[{"speaker_role", "start_ms", "duration_ms", "start_timestamp_ms", "transcript"}, ...]`)
is one conversation: the file's name is its id, the first utterance's absolute time less its
offset is its start. A Genesys Cloud speech and text analytics transcript (`conversationId`,
`conversationStartTime`, `transcripts[].phrases[]` with `participantPurpose`, `startTimeMs`,
`duration.milliseconds`) is one conversation too.

Contact Lens chat analysis files hold `EVENT` items (participant joined / left, chat ended) between
the messages: they are not turns, but their `AbsoluteTime` counts for the contact's start and end.
Each message's `AbsoluteTime` gives its turn's offset from the start (`begin_s` = `end_s`: a chat
message is an instant), and the last item's time the contact's duration.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipelines.ingest import vocab
from pipelines.ingest.encoding import read_text
from pipelines.ingest.file_dates import time_in_name
from pipelines.ingest.records import IngestOptions, Parsed
from pipelines.ingest.timeparse import parse_timestamp
from pipelines.ingest.transcript_common import (
    conversation_value,
    number,
    occurred_at,
    speaker_role,
)

EXCERPT = 200
ID_KEYS = ("id", "conversation_id", "conversationId", "convo_id", "contact_id", "ContactId", "session_id",
           "call_id", "chat_id", "ticket_id", "source_id")
TIME_KEYS = ("started_at", "start_time", "startTime", "occurred_at", "timestamp", "created_at", "createdAt",
             "date", "datetime", "InitiationTimestamp", "StartTime", "conversationStartTime")
# Genesys Cloud speech & text analytics transcripts: who a phrase's participantPurpose is
GENESYS_PURPOSES = {"external": "customer", "customer": "customer", "internal": "agent", "agent": "agent",
                    "acd": "system", "ivr": "system", "workflow": "system"}
CUSTOMER_ID_KEYS = ("customer_id", "customerId", "client_id", "crm_id", "CustomerId")
EMAIL_KEYS = ("customer_email", "email")
PHONE_KEYS = ("customer_phone", "phone", "phone_number", "ani")
AGENT_KEYS = ("agent_id", "agentId", "AgentId", "agent")
TURN_KEYS = ("turns", "messages", "utterances", "original", "transcript", "Transcript", "dialog", "dialogue")
SPEAKER_KEYS = ("speaker", "role", "participant", "from", "author", "sender", "ParticipantRole", "who",
                "speaker_role")
TURN_TEXT_KEYS = ("text", "content", "message", "body", "utterance", "Content", "value", "transcript")
TURN_TIME_KEYS = ("timestamp", "time", "created_at", "sent_at", "start_timestamp_ms", "AbsoluteTime")
BEGIN_KEYS = (("begin_s", 1), ("start_s", 1), ("start", 1), ("begin", 1), ("offset", 1),
              ("BeginOffsetMillis", 1000), ("begin_ms", 1000), ("start_ms", 1000))
END_KEYS = (("end_s", 1), ("end", 1), ("EndOffsetMillis", 1000), ("end_ms", 1000))
DURATION_KEYS = (("duration_s", 1), ("duration_ms", 1000), ("DurationMillis", 1000))
CATEGORY_KEYS = ("source_category", "category", "intent", "reason", "topic", "flow")
# Where metadata hides in real exports: top level, a metadata block, the customer block, ABCD's scenario.
CONTAINERS = ((), ("metadata",), ("meta",), ("customer",), ("scenario",), ("scenario", "personal"),
              ("CustomerMetadata",))


def _get_path(doc: Any, path: tuple[str, ...] | list[str]) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _pick(doc: dict[str, Any], field: str, keys: tuple[str, ...], options: IngestOptions) -> Any:
    """The first non-empty value of `keys` in `doc` or its metadata blocks; `--column field=key` first."""
    if field in options.columns:
        return _get_path(doc, options.columns[field].split("."))
    for container in CONTAINERS:
        block = _get_path(doc, container)
        if not isinstance(block, dict):
            continue
        for key in keys:
            value = block.get(key)
            if value not in (None, "") and not isinstance(value, dict | list):
                return value
    return None


def _seconds(turn: dict[str, Any], keys: tuple[tuple[str, int], ...]) -> float | None:
    for key, per_second in keys:
        value = number(turn.get(key))
        if value is not None:
            return value / per_second
    return None


def _turns(raw_turns: list[Any], timezone: str) -> tuple[list[dict[str, Any]], Any]:
    """Turns in order, and the conversation's start when turns carry an absolute time (chat logs,
    Harper Valley's `start_timestamp_ms`): the first turn's time less its offset."""
    turns, first_time = [], None
    for no, raw in enumerate(raw_turns, start=1):
        if isinstance(raw, list | tuple) and len(raw) >= 2:   # ABCD: [speaker, text]
            label, text, begin, end = raw[0], raw[1], None, None
        elif isinstance(raw, dict):
            label = next((raw[k] for k in SPEAKER_KEYS if raw.get(k) not in (None, "")), None)
            text = next((raw[k] for k in TURN_TEXT_KEYS if isinstance(raw.get(k), str)), "")
            begin, end = _seconds(raw, BEGIN_KEYS), _seconds(raw, END_KEYS)
            length = _seconds(raw, DURATION_KEYS)
            if end is None and begin is not None and length is not None:
                end = begin + length
            stamp = next((raw[k] for k in TURN_TIME_KEYS if raw.get(k) not in (None, "")), None)
            if stamp is not None:
                try:
                    moment = parse_timestamp(stamp, timezone)
                except ValueError as exc:
                    raise ValueError(f"unparseable timestamp: turn {no}: {exc}") from exc
                if first_time is None:
                    first_time = moment - timedelta(seconds=begin or 0)
                if begin is None:
                    begin = (moment - first_time).total_seconds()
        else:
            raise ValueError(f"malformed turn: turn {no} is neither an object nor a [speaker, text] pair")
        speaker = speaker_role(label)
        if speaker is None:
            raise ValueError(f"unknown speaker: {str(label)[:40]!r} in turn {no} (expected customer/agent/system)")
        turns.append({"speaker": speaker, "text": str(text or "").strip(), "begin_s": begin, "end_s": end})
    return turns, first_time


def conversation(doc: Any, path: Path, record_no: int, options: IngestOptions) -> dict[str, Any]:
    """The staging value of one generic conversation object; raises ValueError with the reason."""
    if not isinstance(doc, dict):
        raise ValueError(f"not a conversation: expected a JSON object, got {type(doc).__name__}")
    raw_turns = _get_path(doc, options.columns["turns"].split(".")) if "turns" in options.columns else next(
        (doc[k] for k in TURN_KEYS if isinstance(doc.get(k), list)), None)
    if raw_turns is None and _genesys(doc):
        raw_turns = _genesys_phrases(doc)
    if raw_turns is None:
        raise ValueError(f"missing turns: no list under {', '.join(TURN_KEYS)} (or --column turns=KEY)")
    turns, first_time = _turns(raw_turns, options.timezone)
    when = _pick(doc, "occurred_at", TIME_KEYS, options)
    moment, origin, warning = occurred_at(when if when is not None else first_time, path, options,
                                          _fallback_column(doc, options))
    customer_id = _pick(doc, "customer_id", CUSTOMER_ID_KEYS, options)
    if customer_id is None and isinstance(doc.get("customer"), str | int):
        customer_id = doc["customer"]
    ref_type, ref = ("crm", customer_id) if customer_id is not None else (None, None)
    if ref is None:
        email, phone = _pick(doc, "email", EMAIL_KEYS, options), _pick(doc, "phone", PHONE_KEYS, options)
        ref_type, ref = ("email", email) if email else ("phone", phone) if phone else (None, None)
    source_id = _pick(doc, "source_id", ID_KEYS, options)
    label = _pick(doc, "channel", ("channel", "Channel", "mediaType"), options)
    channel = vocab.channel(label)
    if channel is None:  # no label, or one the vocabulary does not know: the turns' timing decides
        channel = "call" if any(t["end_s"] is not None for t in turns) else "chat"
    return conversation_value(
        turns,
        source_id=str(source_id) if source_id is not None else f"{path.name}#{record_no}",
        channel=options.channel or channel,
        customer_id=str(customer_id) if customer_id is not None else None,
        customer_ref_type=ref_type,
        customer_ref=str(ref) if ref is not None else None,
        occurred_at=moment,
        agent_id=_str(_pick(doc, "agent_id", AGENT_KEYS, options)),
        subject=_str(_pick(doc, "subject", ("subject", "title"), options)),
        duration_s=number(_pick(doc, "duration_s", ("duration_s", "duration"), options)),
        brand=_str(_pick(doc, "brand", ("brand",), options)),
        queue=_str(_pick(doc, "queue", ("queue", "Queue"), options)),
        source_category=_str(_pick(doc, "source_category", CATEGORY_KEYS, options)),
        thread_id=_str(_pick(doc, "thread_id", ("thread_id",), options)),
        occurred_at_source=origin,
        warning=warning,
    )


def _genesys(doc: dict[str, Any]) -> bool:
    transcripts = doc.get("transcripts")
    return isinstance(transcripts, list) and any(isinstance(t, dict) and "phrases" in t for t in transcripts)


def _ms(value: Any) -> float | None:
    """Genesys durations and offsets: `{"milliseconds": n}` or a bare number of milliseconds."""
    return number(value.get("milliseconds")) if isinstance(value, dict) else number(value)


def _genesys_phrases(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A Genesys Cloud transcript (`transcripts[].phrases[]`) as turns: `participantPurpose`
    external = customer, internal = agent, acd/ivr = system; offsets from `conversationStartTime`."""
    start = number(doc.get("conversationStartTime"))
    turns = []
    for transcript in doc["transcripts"]:
        for phrase in (transcript or {}).get("phrases") or []:
            if not isinstance(phrase, dict):
                continue
            at = number(phrase.get("startTimeMs"))
            begin = (at - start) if at is not None and start is not None else _ms(phrase.get("offset"))
            length = _ms(phrase.get("duration"))
            purpose = str(phrase.get("participantPurpose") or "").lower()
            end = begin + length if begin is not None and length else None
            turns.append({"speaker": GENESYS_PURPOSES.get(purpose, purpose), "text": phrase.get("text") or "",
                          "begin_ms": begin, "end_ms": end})
    return sorted(turns, key=lambda t: t["begin_ms"] if t["begin_ms"] is not None else 0)


def _fallback_column(doc: dict[str, Any], options: IngestOptions) -> Any:
    """The value of `--occurred-at column:KEY` (a dotted key path) in `doc`, if that is the choice."""
    how, _, key = (options.occurred_at or "").partition(":")
    return _get_path(doc, key.strip().split(".")) if how.strip().lower() == "column" and key.strip() else None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _parsed(doc: Any, path: Path, record_no: int, options: IngestOptions) -> Parsed:
    payload = doc if isinstance(doc, dict) else {"value": doc}
    try:
        value = conversation(doc, path, record_no, options)
    except ValueError as exc:
        return Parsed(record_no, payload, error=str(exc))
    return Parsed(record_no, payload, value=value, warning=value.pop("warning", None))


def _is_utterance(item: Any) -> bool:
    """An utterance (speaker + text, no turn list of its own), not a conversation."""
    return (isinstance(item, dict) and not any(isinstance(item.get(k), list) for k in TURN_KEYS)
            and any(item.get(k) not in (None, "") for k in SPEAKER_KEYS)
            and any(isinstance(item.get(k), str) for k in TURN_TEXT_KEYS))


def _malformed(exc: json.JSONDecodeError, line_offset: int = 0) -> str:
    return f"malformed JSON: line {exc.lineno + line_offset} column {exc.colno}: {exc.msg}"


def iter_json_values(text: str) -> Iterator[tuple[Any, json.JSONDecodeError | None, int]]:
    """Items of a JSON array (or the one value, or `{"conversations": [...]}`), as (item, error, line).

    Items before a break are kept; the break itself yields (excerpt, error, line) and ends the walk.
    """
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    if not text.startswith("[", pos):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            yield text[:EXCERPT], exc, exc.lineno
            return
        items = doc.get("conversations") if isinstance(doc, dict) else None
        if isinstance(items, list):
            yield from ((item, None, 0) for item in items)
        else:
            yield doc, None, 1
        return
    pos += 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if text.startswith("]", pos):
            return
        line = text.count("\n", 0, pos) + 1
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield text[pos:pos + EXCERPT], exc, line
            return
        yield item, None, line


def parse_conversations_json(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """Conversations from a JSON array / object file; one Parsed per conversation (record_no from 1)."""
    text, _ = read_text(path, options.encoding)
    if not text.strip():
        return
    values = iter_json_values(text)
    for no, (item, error, _line) in enumerate(values, start=1):
        if error is not None:
            yield Parsed(no, {"excerpt": item}, error=_malformed(error))
        elif no == 1 and text.lstrip().startswith("[") and _is_utterance(item):
            yield from _utterance_list(item, values, path, options)
            return
        else:
            yield _parsed(item, path, no, options)


UTTERANCE_GROUP_KEYS = tuple(k for k in ID_KEYS if k not in ("id", "source_id"))


def _utterance_list(first: dict[str, Any], rest: Iterator[tuple[Any, Any, int]], path: Path,
                    options: IngestOptions) -> Iterator[Parsed]:
    """A file that is a list of utterances: one conversation (Harper Valley, id = the file's name),
    or one per conversation id when the utterances carry one (`conversation_id`, `call_id`...)."""
    utterances = [first]
    for item, error, _line in rest:
        if error is not None:
            yield Parsed(1, {"excerpt": item}, error=_malformed(error))
            return
        utterances.append(item)
    key = next((k for k in UTTERANCE_GROUP_KEYS if first.get(k) not in (None, "")), None)
    groups: dict[str, list[Any]] = {}
    for u in utterances:
        value = u.get(key) if key and isinstance(u, dict) else None
        groups.setdefault(path.stem if value in (None, "") else str(value), []).append(u)
    for no, (source_id, turns) in enumerate(groups.items(), start=1):
        yield _parsed({"source_id": source_id, "turns": turns}, path, no, options)


def parse_conversations_jsonl(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """One conversation per line; record_no is the line number; blank lines are not records."""
    text, _ = read_text(path, options.encoding)
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Parsed(line_no, {"excerpt": line[:EXCERPT]},
                         error=f"malformed JSON: line {line_no} column {exc.colno}: {exc.msg}")
            continue
        yield _parsed(doc, path, line_no, options)


# --- Amazon Transcribe Call Analytics / Amazon Connect Contact Lens ----------------------------

TRANSCRIBE_ROLES = {"CUSTOMER": "customer", "AGENT": "agent", "SUPERVISOR": "agent", "CUSTOM_BOT": "agent",
                    "SYSTEM": "system"}


CONNECT_EVENT = "application/vnd.amazonaws.connect.event."


def _is_event(seg: dict[str, Any]) -> bool:
    """A Contact Lens chat EVENT item (participant joined / left, chat ended): not a turn."""
    return str(seg.get("Type") or "").upper() == "EVENT" or (
        seg.get("Content") in (None, "") and str(seg.get("ContentType") or "").startswith(CONNECT_EVENT))


def _absolute(seg: dict[str, Any], no: int) -> datetime | None:
    stamp = seg.get("AbsoluteTime")
    if stamp in (None, ""):
        return None
    try:
        return parse_timestamp(stamp)
    except ValueError as exc:
        raise ValueError(f"unparseable timestamp: Transcript item {no}: {exc}") from exc


def transcribe_value(doc: dict[str, Any], path: Path, options: IngestOptions) -> dict[str, Any]:
    """The staging value of one Call Analytics / Contact Lens document; raises ValueError."""
    segments = doc.get("Transcript")
    if not isinstance(segments, list):
        raise ValueError("not Call Analytics output: no 'Transcript' list (plain Transcribe output is not supported)")
    roles = {p.get("ParticipantId"): p.get("ParticipantRole")
             for p in doc.get("Participants") or [] if isinstance(p, dict)}
    turns, times = [], []  # times: every item's AbsoluteTime (events too), in order
    for no, seg in enumerate(segments, start=1):
        if not isinstance(seg, dict):
            raise ValueError(f"malformed turn: Transcript item {no} is not an object")
        moment = _absolute(seg, no)
        if moment is not None:
            times.append(moment)
        if _is_event(seg):
            continue
        role = seg.get("ParticipantRole") or roles.get(seg.get("ParticipantId")) or seg.get("ParticipantId")
        speaker = TRANSCRIBE_ROLES.get(str(role).upper())
        if speaker is None:
            raise ValueError(f"unknown speaker: participant {role!r} in turn {no}")
        turns.append({"speaker": speaker, "text": str(seg.get("Content") or "").strip(),
                      "begin_s": _seconds(seg, BEGIN_KEYS), "end_s": _seconds(seg, END_KEYS), "at": moment})
    meta = doc.get("CustomerMetadata") if isinstance(doc.get("CustomerMetadata"), dict) else {}

    def field(*keys: str) -> Any:
        return next((src[k] for k in keys for src in (doc, meta) if src.get(k) not in (None, "")), None)

    start = min(times) if times else None
    for turn in turns:  # a chat message's offset is its time from the contact's first item
        at = turn.pop("at")
        if turn["begin_s"] is None and at is not None and start is not None:
            turn["begin_s"] = turn["end_s"] = (at - start).total_seconds()
    own = field("InitiationTimestamp", "ContactStartTime", "StartTime", "CreationTime", "occurred_at",
                "started_at")
    recording = time_in_name(str(meta.get("InputS3Uri") or "")) if meta.get("InputS3Uri") else None
    origin = None
    if own is None and start is not None:
        own, origin = start, "message time"
    elif own is None and recording is not None:
        own, origin = recording.replace(tzinfo=UTC), "CustomerMetadata.InputS3Uri"
    moment, file_origin, warning = occurred_at(own, path, options, _fallback_column(doc, options))
    total = number(_get_path(doc, ("ConversationCharacteristics", "TotalConversationDurationMillis")))
    duration = total / 1000 if total is not None else (max(times) - start).total_seconds() if times else None
    customer_id = field("CustomerId", "customer_id")
    categories = _get_path(doc, ("Categories", "MatchedCategories")) or []
    value = conversation_value(
        turns,
        source_id=str(field("ContactId", "JobName") or path.stem),
        channel=options.channel or vocab.channel(doc.get("Channel")) or "call",
        customer_id=_str(customer_id),
        customer_ref_type="crm" if customer_id is not None else None,
        customer_ref=_str(customer_id),
        occurred_at=moment,
        agent_id=_str(field("AgentId", "agent_id")),
        queue=_str(field("Queue", "QueueName")),
        duration_s=duration,
        source_category=",".join(map(str, categories)) or None,
    )
    value.update(occurred_at_source=origin or file_origin, warning=warning)
    return value


def parse_transcribe(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """One call per file: Amazon Transcribe Call Analytics or Contact Lens analysis JSON."""
    text, _ = read_text(path, options.encoding)
    if not text.strip():
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Parsed(1, {"excerpt": text[:EXCERPT]}, error=_malformed(exc))
        return
    if not isinstance(doc, dict):
        yield Parsed(1, {"value": doc}, error="not Call Analytics output: expected one JSON object per file")
        return
    try:
        value = transcribe_value(doc, path, options)
    except ValueError as exc:
        yield Parsed(1, doc, error=str(exc))
        return
    yield Parsed(1, doc, value=value, warning=value.pop("warning", None))
