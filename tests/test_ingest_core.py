"""`load.land`: what a Python parser yields is landed in one transaction, idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.ingest import core, load
from pipelines.ingest.records import IngestOptions, Parsed
from pipelines.warehouse import connect
from pipelines.ingest.identity import pseudonym_of


def _records() -> list[Parsed]:
    good = {
        "source_id": "conv-1",
        "channel": "chat",
        "occurred_at": "2024-05-01T10:00:00+02:00",
        "customer_ref_type": "email",
        "customer_ref": "Jo@X.com",
        "turns": [
            {"speaker": "AGENT", "text": "Hi, how can I help?", "begin_s": 0, "end_s": 2},
            {"speaker": "Customer", "text": "mail me at jo@x.com", "begin_s": 2, "end_s": 6},
        ],
    }
    return [
        Parsed(1, {"id": "conv-1", "note": "jo@x.com"}, good),
        Parsed(2, {"raw": "{broken"}, None, "malformed JSON: line 2"),
        Parsed(3, {"id": "conv-2"}, {**good, "source_id": "conv-2", "occurred_at": "soon"}),
        Parsed(4, {"id": "conv-3"}, {**good, "source_id": "conv-3", "turns": [good["turns"][0]]}),
        Parsed(5, {"id": "conv-1"}, good),
    ]


def test_land_writes_every_layer_and_rejects_with_reasons(tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "chats.json"
    source.write_text("whatever the parser read")
    con = connect(db_path)
    report = load.land(con, source, "transcripts", "test", _records(), IngestOptions(), "utf-8")
    assert (report.read, report.loaded, report.rejected) == (5, 1, 4)
    assert report.reasons == {
        "malformed JSON": 1,
        "unparseable timestamp": 1,
        "missing text": 1,
        "duplicate id": 1,
    }
    [(iid, channel, customer_id, when, text, agent_text, duration)] = con.execute(
        "SELECT interaction_id, channel, customer_id, occurred_at::VARCHAR, text, agent_text, duration_s "
        "FROM staging.interactions"
    ).fetchall()
    assert iid == core.interaction_id("chat", "conv-1")
    assert (channel, customer_id, when, agent_text, duration) == (
        "chat",
        pseudonym_of("email", "jo@x.com"),
        "2024-05-01 08:00:00",
        "Hi, how can I help?",
        6.0,
    )
    assert con.execute("SELECT turn_no, speaker FROM staging.turns ORDER BY 1").fetchall() == [
        (1, "agent"),
        (2, "customer"),
    ]
    assert "jo@x.com" not in text
    assert (
        "jo@x.com"
        not in con.execute("SELECT string_agg(payload::VARCHAR) FROM raw.records").fetchall()[0][0]
    )
    assert con.execute("SELECT n_read, n_loaded, n_rejected FROM raw.files").fetchall() == [(5, 1, 4)]
    assert con.execute("SELECT count(*) FROM raw.rejects").fetchall()[0][0] == 4

    again = load.land(con, source, "transcripts", "test", _records(), IngestOptions(), "utf-8")
    assert again.skipped
    source.write_text("a new version")
    replaced = load.land(con, source, "transcripts", "test", _records()[:1], IngestOptions(), "utf-8")
    assert replaced.replaced and replaced.loaded == 1
    assert con.execute("SELECT count(*) FROM raw.records").fetchall()[0][0] == 1
    assert con.execute("SELECT count(*) FROM staging.turns").fetchall()[0][0] == 2


def test_a_failure_leaves_nothing_half_loaded(tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "chats.json"
    source.write_text("x")
    con = connect(db_path)

    def exploding():
        yield from _records()[:1]
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        load.land(con, source, "transcripts", "test", exploding(), IngestOptions(), "utf-8")
    for table in ("raw.files", "raw.records", "staging.interactions", "staging.turns"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == 0


def _snapshot(con) -> dict[str, list]:
    return {
        "interactions": con.execute(
            "SELECT interaction_id, record_no, text FROM staging.interactions ORDER BY 1"
        ).fetchall(),
        "turns": con.execute(
            "SELECT interaction_id, turn_no, text FROM staging.turns ORDER BY 1, 2"
        ).fetchall(),
        "records": con.execute("SELECT record_no, content_hash FROM raw.records ORDER BY 1").fetchall(),
        "rejects": con.execute("SELECT record_no, reason FROM raw.rejects ORDER BY 1").fetchall(),
        "files": con.execute("SELECT n_read, n_loaded, n_rejected FROM raw.files").fetchall(),
    }


def test_a_file_landed_in_chunks_equals_one_landed_whole(tmp_path: Path) -> None:
    """Huge files are landed a chunk at a time; a duplicate in a later chunk is still caught."""
    source = tmp_path / "chats.json"
    source.write_text("x")
    whole, chunked = connect(tmp_path / "whole.duckdb"), connect(tmp_path / "chunked.duckdb")
    one = load.land(whole, source, "transcripts", "test", _records(), IngestOptions(), "utf-8")
    two = load.land(
        chunked, source, "transcripts", "test", _records(), IngestOptions(), "utf-8", chunk_size=2
    )
    assert (two.read, two.loaded, two.rejected, two.reasons) == (
        one.read,
        one.loaded,
        one.rejected,
        one.reasons,
    )
    assert _snapshot(chunked) == _snapshot(whole)
    assert ("duplicate id: conv-1 is also record 1 of this file") in dict(
        _snapshot(chunked)["rejects"]
    ).values()


def test_a_failure_after_a_written_chunk_rolls_the_whole_file_back(tmp_path: Path, db_path: Path) -> None:
    source = tmp_path / "chats.json"
    source.write_text("x")
    con = connect(db_path)

    def exploding():
        yield from _records()
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        load.land(con, source, "transcripts", "test", exploding(), IngestOptions(), "utf-8", chunk_size=2)
    for table in ("raw.files", "raw.records", "raw.rejects", "staging.interactions", "staging.turns"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == 0
