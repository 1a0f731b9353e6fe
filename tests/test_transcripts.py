"""Transcript parsers: Transcribe/Contact Lens JSON, generic JSON/JSONL, plain text; landed via the core."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.ingest.records import IngestOptions
from pipelines.ingest.transcripts import PARSERS, detect_format

OPTS = IngestOptions()


def parse(path: Path, options: IngestOptions = OPTS) -> list:
    fmt = detect_format(path)
    assert fmt is not None, path
    return list(PARSERS[fmt](path, options))


def transcribe_doc(**extra) -> dict:
    return {
        "JobName": "job-1", "Channel": "VOICE", "LanguageCode": "en-US",
        "CustomerMetadata": {"ContactId": "c-42", "InstanceId": "i-1", "InputS3Uri": "s3://b/a.wav"},
        "Participants": [{"ParticipantId": "A1", "ParticipantRole": "AGENT"},
                         {"ParticipantId": "C1", "ParticipantRole": "CUSTOMER"}],
        "Transcript": [
            {"ParticipantId": "A1", "Content": "Thanks for calling.", "BeginOffsetMillis": 0,
             "EndOffsetMillis": 1500, "Sentiment": "NEUTRAL"},
            {"ParticipantId": "C1", "Content": "My bill is wrong.", "BeginOffsetMillis": 1600,
             "EndOffsetMillis": 3200, "Sentiment": "NEGATIVE"},
            {"ParticipantId": "C1", "Content": "Again.", "BeginOffsetMillis": 3300, "EndOffsetMillis": 4000},
        ],
        "Categories": {"MatchedCategories": ["billing"], "MatchedDetails": {}},
        "ConversationCharacteristics": {"TotalConversationDurationMillis": 65000},
        **extra,
    }


def test_transcribe_contact_lens(tmp_path: Path) -> None:
    path = tmp_path / "c-42_analysis_2024-03-05T14:30:00Z.json"
    path.write_text(json.dumps(transcribe_doc()), encoding="utf-8")
    assert detect_format(path) == "transcribe_json"
    [rec] = parse(path)
    assert rec.error is None
    v = rec.value
    assert v["source_id"] == "c-42" and v["channel"] == "call"
    assert v["occurred_at"] == datetime(2024, 3, 5, 14, 30)        # from the Contact Lens file name
    assert v["duration_s"] == 65.0 and v["source_category"] == "billing"
    assert v["text"] == "My bill is wrong.\nAgain." and v["agent_text"] == "Thanks for calling."
    assert [t["speaker"] for t in v["turns"]] == ["agent", "customer", "customer"]
    assert v["turns"][1]["begin_s"] == 1.6 and v["turns"][1]["end_s"] == 3.2
    assert rec.payload["JobName"] == "job-1"                          # payload is the document as read


def test_transcribe_call_analytics_roles_on_turns_and_time_in_metadata(tmp_path: Path) -> None:
    doc = transcribe_doc(StartTime="2024-03-05T15:30:00+01:00")
    for seg in doc["Transcript"]:
        seg["ParticipantRole"] = "CUSTOMER" if seg.pop("ParticipantId") == "C1" else "AGENT"
    del doc["Participants"]
    path = tmp_path / "call.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    [rec] = parse(path)
    assert rec.value["occurred_at"] == datetime(2024, 3, 5, 14, 30)
    assert rec.value["text"].startswith("My bill")


@pytest.mark.parametrize("content, reason", [
    ('{"JobName": "x", "Participants": [], "Transcript": [', "malformed JSON"),
    (json.dumps({"Participants": [], "Transcript": [{"ParticipantRole": "AGENT", "Content": "hi"}]}), "missing text"),
    (json.dumps({"Participants": [], "Transcript": [{"ParticipantRole": "ALIEN", "Content": "hi"}]}), "unknown speaker"),
    (json.dumps({"Participants": [], "Transcript": [{"ParticipantRole": "CUSTOMER", "Content": "hi"}],
                 "StartTime": "yesterday-ish"}), "unparseable timestamp"),
])
def test_transcribe_rejects_with_reason(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    [rec] = list(PARSERS["transcribe_json"](path, OPTS))
    assert rec.value is None and rec.error.startswith(reason + ":"), rec.error


def test_empty_files_yield_nothing(tmp_path: Path) -> None:
    for name in ("empty.json", "empty.jsonl", "empty.txt"):
        path = tmp_path / name
        path.write_bytes(b"")
        assert parse(path) == []


def test_generic_json_array_with_truncation_keeps_good_records(tmp_path: Path) -> None:
    convs = [
        {"id": "a1", "customer_id": "C-1", "started_at": "2024-01-02T10:00:00Z", "agent_id": "ag7", "channel": "chat",
         "messages": [{"role": "user", "content": "Where is my parcel?"}, {"role": "assistant", "content": "Checking."}]},
        {"conversation_id": "a2", "timestamp": 1704189600, "utterances": [
            {"speaker": "Customer", "text": "Hello", "start": 0.5, "end": 1.5},
            {"speaker": "Agent", "text": "Hi", "start": 1.6, "end": 2.0}]},
    ]
    text = json.dumps(convs, indent=1)
    path = tmp_path / "convs.json"
    path.write_text(text[:-1] + ', {"id": "a3", "turns": [["customer", "tru', encoding="utf-8")
    recs = parse(path)
    assert [r.record_no for r in recs] == [1, 2, 3]
    a1, a2, broken = recs
    assert a1.value["customer_id"] == "C-1" and a1.value["customer_ref_type"] == "crm"
    assert a1.value["channel"] == "chat" and a1.value["agent_id"] == "ag7"
    assert a1.value["occurred_at"] == datetime(2024, 1, 2, 10, 0)
    assert a2.value["channel"] == "call" and a2.value["duration_s"] == 2.0
    assert a2.value["occurred_at"] == datetime(2024, 1, 2, 10, 0)
    assert broken.value is None and broken.error.startswith("malformed JSON: line")


def test_jsonl_bad_line_does_not_stop_file(tmp_path: Path) -> None:
    good = {"id": "x1", "date": "2024-02-01 09:00", "turns": [{"speaker": "customer", "text": "hi"}]}
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([json.dumps(good), "{not json", "", json.dumps({**good, "id": "x2"}),
                               json.dumps({"id": "x3", "turns": [{"speaker": "agent", "text": "hello?"}]})]),
                    encoding="utf-8")
    recs = parse(path)
    assert [r.record_no for r in recs] == [1, 2, 4, 5]
    assert recs[1].error.startswith("malformed JSON: line 2")
    assert recs[2].value["source_id"] == "x2"
    assert recs[3].error.startswith("missing text")


def test_huge_field(tmp_path: Path) -> None:
    big = "word " * 1_000_000
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "h", "date": "2024-02-01", "turns": [["customer", big]]}), encoding="utf-8")
    [rec] = parse(path)
    assert len(rec.value["text"]) == len(big.strip())


def test_abcd_sample_loads(shared_datasets: Path) -> None:
    path = shared_datasets / "abcd_sample" / "abcd_sample_conversations.jsonl"
    recs = parse(path)
    assert len(recs) == 3 and all(r.error is None for r in recs)
    first = recs[0].value
    assert first["source_id"] == "3592" and first["channel"] == "chat"
    assert first["customer_ref"] == "cminh730@email.com" and first["source_category"] == "product_defect"
    speakers = {t["speaker"] for r in recs for t in r.value["turns"]}
    assert speakers == {"agent", "customer", "system"}              # action -> system
    assert sum(len(r.value["turns"]) for r in recs) == 72             # same as abcd_sample_turns.csv


TEXT = """Call ID: T-100
Date: 2024-03-05 14:30:00
Customer ID: C-9
Agent ID: dana
Queue: billing

[00:00:02] Agent: Thank you for calling, this is Dana.
[00:00:05] Customer: Hi, my bill is wrong
again this month.
[00:01:10] AGENT (Dana): Let me check.
Caller: ok
REP 2: anything else?
"""


def test_plain_text_transcript(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_text(TEXT, encoding="utf-8")
    [rec] = parse(path, IngestOptions(timezone="Europe/Warsaw"))
    v = rec.value
    assert v["source_id"] == "T-100" and v["customer_id"] == "C-9" and v["agent_id"] == "dana"
    assert v["occurred_at"] == datetime(2024, 3, 5, 13, 30)           # Warsaw -> UTC
    assert [t["speaker"] for t in v["turns"]] == ["agent", "customer", "agent", "customer", "agent"]
    assert v["turns"][1]["text"] == "Hi, my bill is wrong again this month."
    assert v["turns"][1]["begin_s"] == 5 and v["turns"][1]["end_s"] == 70
    assert v["text"] == "Hi, my bill is wrong again this month.\nok" and v["queue"] == "billing"


def test_plain_text_metadata_from_filename_and_no_turns(tmp_path: Path) -> None:
    path = tmp_path / "call-77_20240305T143000.txt"
    path.write_text("Customer: hello\nAgent: hi\n", encoding="utf-8")
    [rec] = parse(path)
    assert rec.value["source_id"].startswith("call-77_20240305T143000#")  # stem + content digest
    assert rec.value["occurred_at"] == datetime(2024, 3, 5, 14, 30)
    nothing = tmp_path / "notes.txt"
    nothing.write_text("just some notes\nno speakers here\n", encoding="utf-8")
    [bad] = parse(nothing)
    assert bad.error.startswith("no turns:")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "gb18030", "cp1250", "latin-1"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    words = {"gb18030": "我的账单错了", "cp1250": "Dzień dobry, mój rachunek za grudzień jest zły. Płaciłem już dwa razy, proszę o zwrot "
                                                       "pieniędzy, bo to już trzecia reklamacja w tym miesiącu.", "latin-1": "Ma facture est erronée"}
    said = words.get(encoding, "Ünïcödé bill – wrong ✓" if encoding != "latin-1" else "")
    path = tmp_path / f"call_{encoding}.txt"
    path.write_bytes(f"Date: 2024-01-01\n\nAgent: Hello\nCustomer: {said}\n".encode(encoding))
    [rec] = parse(path)
    assert rec.value["text"] == said


def test_explicit_encoding_option(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(json.dumps({"id": 1, "date": "2024-01-01", "turns": [["customer", "Zażółć gęślą"]]},
                                ensure_ascii=False).encode("cp1250"))
    [rec] = parse(path, IngestOptions(encoding="cp1250"))
    assert rec.value["text"] == "Zażółć gęślą"


def test_land_through_core(tmp_path: Path) -> None:
    from pipelines.ingest import load
    from pipelines.warehouse import connect

    path = tmp_path / "convs.jsonl"
    lines = [{"id": "k1", "date": "2024-01-01", "turns": [["customer", "call me on +44 20 7946 0958"], ["agent", "ok"]]},
             {"id": "k2", "date": "2024-01-01", "turns": [["agent", "no customer here"]]}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{bad\n", encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    report = load.land(con, path, "transcripts", "conversations_jsonl", PARSERS["conversations_jsonl"](path, OPTS),
                       OPTS, "utf-8")
    assert (report.read, report.loaded, report.rejected) == (3, 1, 2)
    text, = con.execute("SELECT text FROM staging.interactions").fetchone()
    assert text == "call me on [PHONE]"
    assert con.execute("SELECT count(*) FROM staging.turns").fetchone()[0] == 2
    reasons = [r[0] for r in con.execute("SELECT reason FROM raw.rejects ORDER BY record_no").fetchall()]
    assert reasons[0].startswith("missing text") and reasons[1].startswith("malformed JSON: line 3")
