"""The third-party exports in ../shared/datasets/real_exports load as what they are (issue 13).

Transcripts (Transcribe Call Analytics, Contact Lens chat), social (twarc2 flat and raw API v2
pages) and helpdesk tickets; each file into its own warehouse, so the two Twitter files (the same
100 tweets in two shapes) do not collide.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.warehouse import connect
from pipelines.ingest.identity import ref_hash


@pytest.fixture(scope="module")
def real(shared_datasets: Path) -> Path:
    folder = shared_datasets / "real_exports"
    if not folder.exists():
        pytest.skip(f"real exports absent: {folder}")
    return folder


@pytest.fixture
def load(tmp_path: Path):
    cons = []

    def _load(kind: str, path: Path, **options):
        con = connect(tmp_path / f"voc{len(cons)}.duckdb")
        cons.append(con)
        [report] = ingest_paths(con, kind, [path], IngestOptions(**options))
        assert report.error is None, report.line()
        assert report.read == report.loaded + report.rejected
        return con, report

    yield _load
    for con in cons:
        con.close()


def test_contact_lens_chat(real: Path, load) -> None:
    path = real / "transcripts/contactlens_chat_b49644f6_analysis.json"
    con, report = load("transcripts", path)
    assert (report.format, report.read, report.loaded, report.rejected, report.warnings) == (
        "transcribe_json",
        1,
        1,
        0,
        {},
    )
    [(source_id, channel, occurred, duration, text)] = con.execute(
        "SELECT source_id, channel, occurred_at, duration_s, text FROM staging.interactions"
    ).fetchall()
    assert (source_id, channel) == ("b49644f6-672f-445c-b209-f76b36482830", "chat")
    assert occurred == datetime(2022, 10, 27, 3, 31, 50, 735000)  # the customer joining: the first item
    assert duration == pytest.approx(172.457)  # to the chat.ended event
    doc = json.loads(path.read_text(encoding="utf-8"))
    messages = [t for t in doc["Transcript"] if t["Type"] == "MESSAGE"]
    turns = con.execute("SELECT speaker, text, begin_s FROM staging.turns ORDER BY turn_no").fetchall()
    assert len(turns) == len(messages) == len(doc["Transcript"]) - 4  # 4 EVENT items, none a turn
    assert [s for s, _, _ in turns] == [
        {"CUSTOMER": "customer", "AGENT": "agent", "SYSTEM": "system"}[m["ParticipantRole"]] for m in messages
    ]
    assert turns[0][:2] == ("system", messages[0]["Content"])
    assert turns[0][2] == pytest.approx(2.655)  # 03:31:53.390 - 03:31:50.735
    begins = [b for _, _, b in turns]
    assert begins == sorted(begins) and all(b is not None for b in begins)
    assert text.startswith([m["Content"] for m in messages if m["ParticipantRole"] == "CUSTOMER"][0])


def test_transcribe_call_analytics_call_is_undated_and_says_so(real: Path, load) -> None:
    path = real / "transcripts/tca_example-call.json"
    con, report = load("transcripts", path)
    assert (report.read, report.loaded) == (1, 1)
    [(message, n)] = report.warnings.items()
    assert n == 1 and "modification time" in message and "--occurred-at" in message
    turns = con.execute("SELECT speaker, begin_s, end_s FROM staging.turns ORDER BY turn_no").fetchall()
    assert len(turns) == 37 and turns[0] == ("agent", 0.04, 5.05)
    assert {s for s, _, _ in turns} == {"agent", "customer"}
    assert con.execute("SELECT duration_s, source_category FROM staging.interactions").fetchall() == [
        (182.89, "No_Closing_Remark")
    ]
    # the user dates it explicitly: no warning
    con2, report2 = load("transcripts", path, occurred_at="mtime")
    assert report2.warnings == {}


@pytest.mark.parametrize("name", ["twarc2_flat.jsonl", "twarc2_noflat.jsonl"])
def test_twitter_v2_both_shapes(real: Path, load, name: str) -> None:
    con, report = load("social", real / "social" / name)
    assert report.format == "twitter_v2"
    # 100 tweets: 47 retweets are not contacts, the other 53 load
    assert (report.read, report.loaded, report.rejected) == (53, 53, 0)
    assert report.skipped_records == {"retweet": 47}
    assert con.execute("SELECT count(*) FROM raw.records").fetchall() == [(100,)]
    rows = con.execute(
        "SELECT count(*), count(DISTINCT customer_ref), count(*) FILTER (customer_ref IN (SELECT "
        "voc_keyed_hash('handle', payload->>'author_id', NULL) FROM raw.records)), "
        "count(*) FILTER (thread_id <> source_id), min(occurred_at)::VARCHAR FROM staging.interactions"
    ).fetchall()
    # handles are usernames (never the numeric author_id); the 31 replies thread on conversation_id
    assert rows == [(53, 51, 0, 31, "2021-04-08 19:31:31")]
    assert con.execute(
        "SELECT customer_ref, thread_id FROM staging.interactions WHERE source_id = '1380242586288328707'"
    ).fetchall() == [(ref_hash("handle", "pdxpapag"), "1380220754978086917")]


def test_helpdesk_ticket_export_loads_with_its_preset(real: Path, load) -> None:
    path = real / "helpdesk/customer_support_tickets_first300.csv"
    con, report = load("emails", path)
    assert (report.preset, report.read, report.loaded, report.rejected) == (
        "customer_support_tickets",
        300,
        300,
        0,
    )
    # 88 tickets were never answered: no First Response Time, so the file's date, said once
    [(message, n)] = report.warnings.items()
    assert n == 88 and "modification time" in message
    rows = con.execute(
        "SELECT source_id, channel, occurred_at, subject, customer_ref, text LIKE 'I''m having an issue%' "
        "FROM staging.interactions WHERE source_id IN ('1', '2') ORDER BY source_id"
    ).fetchall()
    assert rows == [
        ("1", "social", datetime(2023, 6, 1, 12, 15), "Product setup",
         ref_hash("email", "carrollallison@example.com"), True),
        (
            "2",
            "chat",
            datetime(2023, 6, 1, 16, 45),
            "Peripheral compatibility",
            ref_hash("email", "clarkeashley@example.com"),
            True,
        ),
    ]
    assert dict(con.execute("SELECT channel, count(*) FROM staging.interactions GROUP BY 1").fetchall()) == {
        "social": 77,
        "chat": 87,
        "email": 65,
        "call": 71,
    }
    # the user picks another column for the unanswered ones: no file date, no warning
    con2, report2 = load("emails", path, occurred_at="column:Date of Purchase")
    assert (report2.loaded, report2.warnings) == (300, {})
    assert con2.execute("SELECT occurred_at FROM staging.interactions WHERE source_id = '1'").fetchall() == [
        (datetime(2023, 6, 1, 12, 15),)
    ]


def test_multilingual_tickets_blank_rows_and_content_ids(real: Path, load) -> None:
    path = real / "helpdesk/tickets-multi-lang-5-2-50-version.csv"
    con, report = load("emails", path)
    assert (report.preset, report.read, report.loaded, report.rejected) == ("multilang_tickets", 99, 99, 0)
    assert report.skipped_records == {"blank row": 2543}
    assert sorted(n for n in report.warnings.values()) == [99, 99]
    assert any(m.startswith("no id column") for m in report.warnings)
    rows = con.execute(
        "SELECT count(*), count(DISTINCT source_id), count(*) FILTER (source_id LIKE 'ticket:%'), "
        "count(agent_text), count(DISTINCT queue), count(subject) FROM staging.interactions"
    ).fetchall()
    assert rows == [(99, 99, 99, 99, rows[0][4], 99)] and rows[0][4] >= 5
    first = con.execute(
        "SELECT subject, text LIKE 'Sehr geehrtes Support-Team,%' FROM staging.interactions i "
        "WHERE record_no = 1"
    ).fetchall()
    assert first == [("Wesentlicher Sicherheitsvorfall", True)]
