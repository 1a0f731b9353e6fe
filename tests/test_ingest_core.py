"""`core.land`: what a Python parser yields is landed in one transaction, idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.ingest import core
from pipelines.ingest.records import IngestOptions, Parsed
from pipelines.warehouse import connect


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
    report = core.land(con, source, "transcripts", "test", _records(), IngestOptions(), "utf-8")
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
        "email:jo@x.com",
        "2024-05-01 08:00:00",
        "Hi, how can I help?",
        6.0,
    )
    assert con.execute("SELECT turn_no, speaker FROM staging.turns ORDER BY 1").fetchall() == [
        (1, "agent"),
        (2, "customer"),
    ]
    if pytest.importorskip("pipelines.redact"):
        assert "jo@x.com" not in text
        assert (
            "jo@x.com"
            not in con.execute("SELECT string_agg(payload::VARCHAR) FROM raw.records").fetchall()[0][0]
        )
    assert con.execute("SELECT n_read, n_loaded, n_rejected FROM raw.files").fetchall() == [(5, 1, 4)]
    assert con.execute("SELECT count(*) FROM raw.rejects").fetchall()[0][0] == 4

    again = core.land(con, source, "transcripts", "test", _records(), IngestOptions(), "utf-8")
    assert again.skipped
    source.write_text("a new version")
    replaced = core.land(con, source, "transcripts", "test", _records()[:1], IngestOptions(), "utf-8")
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
        core.land(con, source, "transcripts", "test", exploding(), IngestOptions(), "utf-8")
    for table in ("raw.files", "raw.records", "staging.interactions", "staging.turns"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == 0
