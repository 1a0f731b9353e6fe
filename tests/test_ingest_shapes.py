"""Real export shapes, written here as fixtures: Contact Lens chat events, dates from what a file
holds, `--occurred-at`, flat utterance lists (Harper Valley), Twitter API v2 pages and twarc2 lines."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.ingest import IngestError, IngestOptions, detect_format, ingest_paths
from pipelines.ingest.file_dates import DateFallbackError, parse_fallback, time_in_name
from pipelines.ingest.identity import ref_hash
from pipelines.warehouse import connect

MTIME = datetime(2021, 1, 2, 3, 4, 5)  # in the past: later than tomorrow is rejected as implausible


def _write(path: Path, doc: object, mtime: datetime = MTIME) -> Path:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    stamp = (mtime - datetime(1970, 1, 1)).total_seconds()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def con(db_path: Path):
    con = connect(db_path)
    yield con
    con.close()


def _one(con, kind: str, path: Path, **options):
    [report] = ingest_paths(con, kind, [path], IngestOptions(**options))
    assert report.error is None, report.line()
    return report


def _rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


# --- Contact Lens chat -------------------------------------------------------------------------


def chat_doc(input_uri: str = "s3://bucket/chat.json") -> dict:
    def item(t: str, kind: str, role: str | None, content: str | None = None) -> dict:
        d = {
            "AbsoluteTime": t,
            "Id": t,
            "Type": kind,
            "ContentType": "text/plain"
            if content
            else "application/vnd.amazonaws.connect.event.participant.joined",
        }
        if role:
            d["ParticipantRole"] = role
        if content:
            d["Content"] = content
        return d

    return {
        "Channel": "CHAT",
        "CustomerMetadata": {"ContactId": "chat-1", "InputS3Uri": input_uri},
        "Participants": [{"ParticipantId": "c", "ParticipantRole": "CUSTOMER"}],
        "Transcript": [
            item("2022-10-27T03:31:50.000Z", "EVENT", "CUSTOMER"),
            item("2022-10-27T03:31:53.000Z", "MESSAGE", "SYSTEM", "You are in the queue."),
            item("2022-10-27T03:32:00.000Z", "EVENT", "AGENT"),
            item("2022-10-27T03:32:03.500Z", "MESSAGE", "AGENT", "Hello, how may I help?"),
            item("2022-10-27T03:32:10.000Z", "MESSAGE", "CUSTOMER", "My order never came."),
            {
                "AbsoluteTime": "2022-10-27T03:34:43.000Z",
                "Id": "end",
                "Type": "EVENT",
                "ContentType": "application/vnd.amazonaws.connect.event.chat.ended",
            },
        ],
    }


def test_contact_lens_chat_events_are_not_turns_and_times_come_from_messages(con, tmp_path: Path) -> None:
    path = _write(tmp_path / "chat-1.json", chat_doc())
    report = _one(con, "transcripts", path)
    assert (report.read, report.loaded, report.warnings) == (1, 1, {})
    [(channel, occurred, duration)] = _rows(
        con, "SELECT channel, occurred_at, duration_s FROM staging.interactions"
    )
    assert channel == "chat"
    assert occurred == datetime(2022, 10, 27, 3, 31, 50)  # the first item (the customer joining)
    assert duration == 173.0  # to the chat.ended event
    turns = _rows(con, "SELECT speaker, text, begin_s, end_s FROM staging.turns ORDER BY turn_no")
    assert turns == [
        ("system", "You are in the queue.", 3.0, 3.0),
        ("agent", "Hello, how may I help?", 13.5, 13.5),
        ("customer", "My order never came.", 20.0, 20.0),
    ]


def test_contact_lens_voice_dated_by_its_recording_name(con, tmp_path: Path) -> None:
    doc = {
        "Channel": "VOICE",
        "CustomerMetadata": {
            "ContactId": "v-1",
            "InputS3Uri": "s3://b/connect/i/CallRecordings/2022/06/22/v-1_20220622T16:55_UTC.wav",
        },
        "Participants": [{"ParticipantId": "C", "ParticipantRole": "CUSTOMER"}],
        "Transcript": [
            {"ParticipantId": "C", "Content": "Hi there", "BeginOffsetMillis": 10, "EndOffsetMillis": 900}
        ],
    }
    report = _one(con, "transcripts", _write(tmp_path / "v-1.json", doc), timezone="Europe/Warsaw")
    assert report.warnings == {}
    assert _rows(con, "SELECT occurred_at FROM staging.interactions") == [(datetime(2022, 6, 22, 16, 55),)]


def test_undated_call_warns_once_per_file_and_the_user_chooses(con, tmp_path: Path) -> None:
    doc = {
        "JobName": "call.wav",
        "Participants": [{"ParticipantRole": "CUSTOMER"}],
        "Transcript": [
            {
                "ParticipantRole": "CUSTOMER",
                "Content": "Hello",
                "BeginOffsetMillis": 0,
                "EndOffsetMillis": 500,
            }
        ],
        "ConversationCharacteristics": {"TotalConversationDurationMillis": 500},
    }
    path = _write(tmp_path / "call.json", doc)
    report = _one(con, "transcripts", path)
    [(message, n)] = report.warnings.items()
    assert n == 1 and "modification time 2021-01-02 03:04:05" in message and "--occurred-at" in message
    assert "warning: 1 record(s)" in report.line()
    assert _rows(con, "SELECT occurred_at FROM staging.interactions") == [(MTIME,)]
    # mtime chosen explicitly: same date, no warning
    other = _write(tmp_path / "call2.json", {**doc, "JobName": "call2.wav"})
    assert _one(con, "transcripts", other, occurred_at="mtime").warnings == {}
    # a file-name pattern the user gives
    named = _write(tmp_path / "export-05.03.2024-call3.json", {**doc, "JobName": "call3.wav"})
    _one(con, "transcripts", named, occurred_at="filename:%d.%m.%Y")
    assert _rows(con, "SELECT occurred_at FROM staging.interactions WHERE source_id = 'call3.wav'") == [
        (datetime(2024, 3, 5),)
    ]
    # a key of the document: column:KEY (dotted)
    keyed = _write(
        tmp_path / "call4.json", {**doc, "JobName": "call4.wav", "meta": {"at": "2023-01-01T10:00:00Z"}}
    )
    _one(con, "transcripts", keyed, occurred_at="column:meta.at")
    assert _rows(con, "SELECT occurred_at FROM staging.interactions WHERE source_id = 'call4.wav'") == [
        (datetime(2023, 1, 1, 10),)
    ]
    # asked for the file name, none there: rejected with the reason, not dated by mtime
    plain = _write(tmp_path / "call5.json", {**doc, "JobName": "call5.wav"})
    report = _one(con, "transcripts", plain, occurred_at="filename")
    assert report.rejected == 1 and report.reasons == {"missing timestamp": 1}


def test_occurred_at_values_are_checked_before_loading(con, tmp_path: Path) -> None:
    assert parse_fallback("filename:%Y%m%d").arg == "%Y%m%d"
    for bad in ("yesterday", "column:", "filename:abc", "mtime:x"):
        with pytest.raises(DateFallbackError, match="--occurred-at"):
            parse_fallback(bad)
    path = _write(tmp_path / "c.json", chat_doc())
    with pytest.raises(ValueError, match="column:NAME"):
        ingest_paths(con, "transcripts", [path], IngestOptions(occurred_at="sometime"))
    assert _rows(con, "SELECT count(*) FROM raw.files") == [(0,)]
    assert isinstance(IngestError("x"), ValueError)


def test_time_in_name_conventions_and_uuid_digits() -> None:
    assert time_in_name(
        "b49644f6-672f-445c-b209-f76b36482830_analysis_2022-10-27T03_31_50Z.json"
    ) == datetime(2022, 10, 27, 3, 31, 50)
    # hex digits inside a contact id are not a date
    assert time_in_name("b49644f6-672f-445c-b209-f76b20220101.json") is None
    assert time_in_name("call-123_2024-03-05T14-30-00.txt") == datetime(2024, 3, 5, 14, 30)
    # a user pattern matches whole numbers only, never digits inside an id
    assert time_in_name("contactlens_chat_b49644f6_analysis.json", "%Y") is None
    assert time_in_name("calls20240305.json", "calls%Y%m%d") == datetime(2024, 3, 5)


# --- flat utterance lists (Gridspace-Stanford Harper Valley) ---------------------------------


def test_flat_utterance_list_is_one_conversation(con, tmp_path: Path) -> None:
    start = 1591056064136
    utterances = [
        {
            "index": 1,
            "channel_index": 2,
            "speaker_role": "agent",
            "start_ms": 3990,
            "duration_ms": 2280,
            "start_timestamp_ms": start,
            "transcript": "hello this is harper valley national bank",
            "emotion": {"neutral": 0.3},
        },
        {
            "index": 2,
            "channel_index": 1,
            "speaker_role": "caller",
            "start_ms": 7000,
            "duration_ms": 3000,
            "start_timestamp_ms": start + 3010,
            "transcript": "hi i need to reset my password",
        },
        {
            "index": 3,
            "channel_index": 2,
            "speaker_role": "agent",
            "start_ms": 10500,
            "duration_ms": 1500,
            "start_timestamp_ms": start + 6510,
            "transcript": "sure i can help",
        },
    ]
    path = _write(tmp_path / "0a1b2c3d4e5f.json", utterances)
    assert detect_format("transcripts", path) == "conversations_json"
    report = _one(con, "transcripts", path)
    assert (report.read, report.loaded, report.rejected, report.warnings) == (1, 1, 0, {})
    [(source_id, channel, occurred, text)] = _rows(
        con, "SELECT source_id, channel, occurred_at, text FROM staging.interactions"
    )
    assert (source_id, channel, text) == ("0a1b2c3d4e5f", "call", "hi i need to reset my password")
    # the first utterance's absolute time less its offset into the call
    assert occurred == datetime.utcfromtimestamp((start - 3990) / 1000)
    assert _rows(con, "SELECT speaker, begin_s, end_s FROM staging.turns ORDER BY turn_no") == [
        ("agent", 3.99, 6.27),
        ("customer", 7.0, 10.0),
        ("agent", 10.5, 12.0),
    ]


def test_utterance_list_with_conversation_ids_is_one_conversation_each(con, tmp_path: Path) -> None:
    messages = [
        {
            "conversation_id": "c1",
            "role": "customer",
            "text": "hi, my card is blocked",
            "timestamp": "2024-05-01T09:00:00Z",
        },
        {
            "conversation_id": "c2",
            "role": "customer",
            "text": "where is my parcel",
            "timestamp": "2024-05-01T09:01:00Z",
        },
        {
            "conversation_id": "c1",
            "role": "agent",
            "text": "let me check",
            "timestamp": "2024-05-01T09:00:30Z",
        },
    ]
    report = _one(con, "transcripts", _write(tmp_path / "messages.json", messages))
    assert (report.read, report.loaded) == (2, 2)
    assert _rows(
        con, "SELECT source_id, occurred_at, text, agent_text FROM staging.interactions ORDER BY 1"
    ) == [
        ("c1", datetime(2024, 5, 1, 9), "hi, my card is blocked", "let me check"),
        ("c2", datetime(2024, 5, 1, 9, 1), "where is my parcel", None),
    ]


def test_genesys_cloud_transcript_is_one_call(con, tmp_path: Path) -> None:
    start = 1717236000000  # 2024-06-01T10:00:00Z
    doc = {
        "organizationId": "o-1",
        "conversationId": "g-42",
        "communicationId": "m-1",
        "mediaType": "call",
        "conversationStartTime": start,
        "transcripts": [
            {
                "transcriptId": "t-1",
                "language": "en-us",
                "phrases": [
                    {
                        "text": "thank you for calling",
                        "participantPurpose": "internal",
                        "startTimeMs": start + 1000,
                        "duration": {"milliseconds": 1500},
                    },
                    {
                        "text": "my router is down again",
                        "participantPurpose": "external",
                        "startTimeMs": start + 3000,
                        "duration": {"milliseconds": 2000},
                    },
                    {
                        "text": "please hold",
                        "participantPurpose": "acd",
                        "startTimeMs": start + 200,
                        "duration": {"milliseconds": 500},
                    },
                ],
            }
        ],
    }
    report = _one(con, "transcripts", _write(tmp_path / "g-42.json", doc))
    assert (report.format, report.loaded, report.warnings) == ("conversations_json", 1, {})
    assert _rows(con, "SELECT source_id, channel, occurred_at, text FROM staging.interactions") == [
        ("g-42", "call", datetime(2024, 6, 1, 10), "my router is down again")
    ]
    assert _rows(con, "SELECT speaker, begin_s, end_s FROM staging.turns ORDER BY turn_no") == [
        ("system", 0.2, 0.7),
        ("agent", 1.0, 2.5),
        ("customer", 3.0, 5.0),
    ]


# --- Twitter API v2 ----------------------------------------------------------------------------

USERS = [
    {"id": "11", "username": "ShopHelp", "name": "Shop"},
    {"id": "22", "username": "alice_w", "name": "A"},
    {"id": "33", "username": "bob", "name": "B"},
]


def tweets() -> list[dict]:
    return [
        {
            "id": "100",
            "author_id": "22",
            "conversation_id": "100",
            "created_at": "2021-04-08T19:00:00.000Z",
            "text": "@ShopHelp my parcel is late",
            "entities": {"mentions": [{"username": "ShopHelp"}]},
        },
        {
            "id": "101",
            "author_id": "11",
            "conversation_id": "100",
            "created_at": "2021-04-08T19:05:00.000Z",
            "in_reply_to_user_id": "22",
            "referenced_tweets": [{"type": "replied_to", "id": "100"}],
            "text": "@alice_w sorry, DM us your order number",
        },
        {
            "id": "102",
            "author_id": "22",
            "conversation_id": "100",
            "created_at": "2021-04-08T19:07:00.000Z",
            "in_reply_to_user_id": "11",
            "referenced_tweets": [{"type": "replied_to", "id": "101"}],
            "text": "@ShopHelp done",
        },
        {
            "id": "103",
            "author_id": "33",
            "conversation_id": "103",
            "created_at": "2021-04-08T19:08:00.000Z",
            "referenced_tweets": [{"type": "retweeted", "id": "100"}],
            "text": "RT @alice_w: @ShopHelp my parcel",
        },
        {
            "id": "104",
            "author_id": "11",
            "conversation_id": "104",
            "created_at": "2021-04-08T19:09:00.000Z",
            "text": "Our spring sale starts today",
        },
        {
            "id": "105",
            "author_id": "33",
            "conversation_id": "90",
            "created_at": "2021-04-08T19:10:00.000Z",
            "in_reply_to_user_id": "44",
            "referenced_tweets": [{"type": "replied_to", "id": "95"}],
            "text": "@carol same here",
        },
    ]


def _check_twitter(con, report) -> None:
    assert (report.read, report.loaded, report.rejected) == (5, 5, 0)
    assert report.skipped_records == {"retweet": 1}
    rows = _rows(
        con,
        "SELECT source_id, direction, customer_ref, thread_id, brand, text IS NOT NULL, "
        "agent_text IS NOT NULL FROM staging.interactions ORDER BY source_id",
    )
    alice, bob = ref_hash("handle", "alice_w"), ref_hash("handle", "bob")  # references are keyed hashes
    assert rows == [
        ("100", "inbound", alice, "100", "ShopHelp", True, False),
        ("101", "outbound", alice, "100", "ShopHelp", False, True),  # the brand answers alice
        ("102", "inbound", alice, "100", "ShopHelp", True, False),
        ("104", "outbound", None, "104", "ShopHelp", False, True),  # a brand post, not a reply
        ("105", "inbound", bob, "90", None, True, False),  # threads on conversation_id
    ]
    # the retweet is kept as read in raw, never in staging
    assert _rows(con, "SELECT count(*) FROM raw.records WHERE payload->>'id' = '103'") == [(1,)]


def test_twitter_v2_response_page_is_expanded(con, tmp_path: Path) -> None:
    page = {
        "data": tweets(),
        "includes": {"users": USERS, "tweets": [{"id": "95", "text": "x"}]},
        "meta": {"result_count": 6},
    }
    path = _write(tmp_path / "page.jsonl", page)
    assert detect_format("social", path) == "twitter_v2"
    _check_twitter(con, _one(con, "social", path, brand_accounts=("shophelp",)))


def test_twarc2_flattened_lines(con, tmp_path: Path) -> None:
    users = {u["id"]: u for u in USERS}
    lines = []
    for t in tweets():
        flat = {**t, "author": users[t["author_id"]], "__twarc": {"version": "2.0.3"}}
        if t.get("in_reply_to_user_id") in users:
            flat["in_reply_to_user"] = users[t["in_reply_to_user_id"]]
        lines.append(json.dumps(flat))
    path = _write(tmp_path / "flat.jsonl", "\n".join(lines) + "\n")
    assert detect_format("social", path) == "twitter_v2"
    _check_twitter(con, _one(con, "social", path, brand_accounts=("@ShopHelp",)))


def test_other_social_jsonl_still_goes_to_the_bulk_reader(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "posts.jsonl", '{"id": 1, "text": "hi", "author": "x", "created_at": "2024-01-01"}\n'
    )
    assert detect_format("social", path) == "social_jsonl"
