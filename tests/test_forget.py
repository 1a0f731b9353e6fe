"""`forget --customer`: a customer's contacts leave every layer, the topic models and the serving copy."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.forget import ForgetError, forget
from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.ingest.identity import pseudonym_of
from pipelines.topics.cleaning import Vocabulary, clean_texts
from pipelines.warehouse import connect, serving_path

CUSTOMERS = [
    {
        "customer_id": "C1",
        "segment": "gold",
        "email": "Jo@Example.com",
        "phone": "+44 7700 900123",
        "handle": "@JoBloggs",
    },
    {"customer_id": "C2", "segment": "basic", "email": "al@example.com", "phone": "", "handle": ""},
]
TICKETS = [
    {
        "ticket_id": "T1",
        "created_at": "2024-01-01",
        "email": "jo@example.com",
        "description": "Hi, my router is broken again, thanks!",
    },
    {
        "ticket_id": "T2",
        "created_at": "2024-01-02",
        "email": "al@example.com",
        "description": "bill too high",
    },
    {"ticket_id": "T3", "created_at": "not a date", "email": "jo@example.com", "description": "still broken"},
]
POSTS = [
    {"tweet_id": "9", "name": "jobloggs", "tweet_created": "2024-01-03", "text": "router dead for a week"},
    {"tweet_id": "10", "name": "JoBloggs", "tweet_created": "2024-01-04", "text": ""},
]  # rejected: no text


def _write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "voc.duckdb"
    con = connect(db)
    for kind, rows, name in (
        ("customers", CUSTOMERS, "crm.csv"),
        ("emails", TICKETS, "tickets.csv"),
        ("social", POSTS, "posts.csv"),
    ):
        ingest_paths(con, kind, [_write(tmp_path / name, rows)], IngestOptions())
    # what enrich and topics would have written, keyed as they key it
    con.execute("""
        INSERT INTO enriched.interaction_scores (interaction_id, model_version, is_scored, scored_at)
        SELECT interaction_id, 'm1', true, now()::TIMESTAMP FROM staging.interactions;
        INSERT INTO enriched.topic_assignments (interaction_id, topic_model_version, topic_id, topic_label, topic_source)
        SELECT interaction_id, 't1', 0, 'router', 'model' FROM staging.interactions;
    """)
    con.execute(
        "INSERT INTO enriched.embeddings SELECT md5(text), 'enc', array_value("
        + ", ".join(["0.0::FLOAT"] * 384)
        + ") FROM staging.interactions"
    )
    models = tmp_path / "topic_models" / "t1"
    models.mkdir(parents=True)
    # topics quotes reason texts (greetings, handles, names removed by its cleaning) and embeds them
    texts = clean_texts(
        [r[0] for r in con.execute("SELECT text FROM staging.interactions ORDER BY source_id").fetchall()],
        Vocabulary(),
    )
    con.execute(
        "INSERT INTO enriched.embeddings SELECT md5(t), 'enc', array_value("
        + ", ".join(["0.0::FLOAT"] * 384)
        + ") FROM (SELECT unnest(?::VARCHAR[]) AS t) "
        "WHERE md5(t) NOT IN (SELECT text_hash FROM enriched.embeddings)",
        [texts],
    )
    meta = {"cleaning": Vocabulary().as_dict(), "topics": [{"id": 0, "representative_texts": texts}]}
    (models / "model.json").write_text(json.dumps(meta))
    con.execute(
        "INSERT INTO enriched.topics (topic_model_version, topic_id, topic_label, representative_texts, size) "
        "VALUES ('t1', 0, 'router', ?, 3)",
        [texts],
    )
    con.execute(
        "INSERT INTO enriched.topic_models (topic_model_version, encoder, path, is_current, fitted_at) "
        "VALUES ('t1', 'enc', ?, true, now()::TIMESTAMP)",
        [str(models)],
    )
    con.close()
    return db


def _every_string(con: duckdb.DuckDBPyConnection) -> str:
    tables = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database()"
    ).fetchall()
    return "\n".join(
        str(row) for (t,) in tables for row in con.execute(f"SELECT * FROM {t}").fetchall()
    ).lower()


@pytest.mark.parametrize("who", ["jo@example.com", "+44 7700 900123", "@jobloggs", "C1", "pseudonym"])
def test_forget_removes_the_customer_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture, who: str
) -> None:
    db = _warehouse(tmp_path)
    con = connect(db)
    jo, al = pseudonym_of("crm", "C1"), pseudonym_of("crm", "C2")
    theirs = [
        r[0]
        for r in con.execute(
            "SELECT interaction_id FROM staging.interactions WHERE customer_id = ?", [jo]
        ).fetchall()
    ]
    assert len(theirs) == 2, "T1 and the post stitched to C1 (T3 was rejected)"
    con.close()
    code = main(["--db", str(db), "forget", "--customer", jo if who == "pseudonym" else who])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"forgot {jo}" in out
    assert "staging.interactions: 2 removed" in out and "raw.rejects: 1 removed" in out
    assert "enriched.topics (representative texts): 2 removed" in out and "published:" in out
    for path in (db, serving_path(db)):
        con = duckdb.connect(str(path), read_only=True)
        everything = _every_string(con)
        # T3's reject stays: its email column is redacted in raw, so nothing links it to anyone
        for trace in (*theirs, jo, "router is broken", "router dead", "jobloggs"):
            assert trace.lower() not in everything, (path, trace)
        assert al in everything and "bill too high" in everything, "the other customer stays"
        kept = con.execute("SELECT count(*) FROM enriched.embeddings").fetchall()[0][0]
        assert kept == 1, "only the other customer's text keeps its vector"
        bad = con.execute("SELECT count(*) FROM raw.files WHERE n_read <> n_loaded + n_rejected").fetchall()[
            0
        ][0]
        assert bad == 0
        con.close()
    model = json.loads((tmp_path / "topic_models" / "t1" / "model.json").read_text())
    assert model["topics"][0]["representative_texts"] == ["bill too high"]


def test_forget_unknown_customer_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = _warehouse(tmp_path)
    assert main(["--db", str(db), "forget", "--customer", "nobody@example.com"]) == 2
    assert "no customer or contact matches 'nobody@example.com'" in capsys.readouterr().err
    con = connect(db)
    with pytest.raises(ForgetError):
        forget(con, "  ")
    assert con.execute("SELECT count(*) FROM staging.interactions").fetchall()[0][0] == 3
    con.close()


def test_callback_list_carries_the_clear_crm_id_only_when_kept(tmp_path: Path) -> None:
    from analytics import build

    for keep in (False, True):
        db = tmp_path / f"keep{keep}" / "voc.duckdb"
        db.parent.mkdir()
        con = connect(db)
        ingest_paths(
            con, "customers", [_write(db.parent / "crm.csv", CUSTOMERS)], IngestOptions(keep_crm_ids=keep)
        )
        tickets = [
            {**t, "created_at": d}
            for t, d in zip(TICKETS[:1] * 3, ("2024-01-01", "2024-01-02", "2024-01-03"), strict=True)
        ]
        tickets = [{**t, "ticket_id": f"T{i}"} for i, t in enumerate(tickets)]
        ingest_paths(con, "emails", [_write(db.parent / "tickets.csv", tickets)], IngestOptions())
        build.run(con)
        rows = con.execute("SELECT customer_id, crm_id FROM marts.callback_list").fetchall()
        con.close()
        assert rows == [(pseudonym_of("crm", "C1"), "C1" if keep else None)], rows
