"""`python -m pipelines demo`: generate, ingest through the ordinary path, count what landed."""

from __future__ import annotations

import csv
import json
import mailbox
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main


def test_demo_ingests_every_generated_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, out = tmp_path / "voc.duckdb", tmp_path / "demo"
    assert main(["--db", str(db), "demo", "--out", str(out), "--customers", "120", "--days", "20", "--no-stages"]) == 0
    printed = capsys.readouterr().out
    assert "rejected 0" in printed.split("total:")[1].splitlines()[0]

    calls = list((out / "transcripts" / "calls").glob("*.json"))
    chats = (out / "transcripts" / "chats.jsonl").read_text(encoding="utf-8").splitlines()
    emails = list(mailbox.mbox(str(out / "emails" / "inbox.mbox")))
    posts = list(csv.DictReader((out / "social" / "posts.csv").open(encoding="utf-8", newline="")))
    anonymous = sum(json.loads(p.read_text())["VocMetadata"]["customer_id"] is None for p in calls) \
        + sum(json.loads(line)["customer_id"] is None for line in chats)

    con = duckdb.connect(str(db), read_only=True)
    counts = dict(con.execute("SELECT channel, count(*) FROM staging.interactions GROUP BY ALL").fetchall())
    assert counts == {"call": len(calls), "chat": len(chats), "email": len(emails), "social": len(posts)}
    assert con.execute("SELECT count(*) FROM staging.customers").fetchone()[0] == 120
    assert con.execute("SELECT count(*) FROM staging.interactions WHERE channel IN ('call', 'chat') "
                       "AND customer_id IS NULL").fetchone()[0] == anonymous
    # Identity stitching: inbound emails from customers' addresses resolve to CRM ids.
    stitched = con.execute("SELECT avg((customer_id IN (SELECT customer_id FROM staging.customers))::INT) "
                           "FROM staging.interactions WHERE channel = 'email' AND direction = 'inbound'").fetchone()[0]
    assert stitched > 0.8
    outbound = con.execute("SELECT count(*) FROM staging.interactions WHERE direction = 'outbound'").fetchone()[0]
    assert outbound == sum("northwind-connect.example" in m["From"] for m in emails) \
        + sum(p["inbound"] == "False" for p in posts)
    con.close()
    assert "warehouse (staging.interactions)" in printed
