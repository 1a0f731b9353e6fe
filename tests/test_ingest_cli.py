"""`python -m pipelines ingest`: prints per-file counts and a total; asserts on the warehouse rows."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.cli import main
from pipelines.ingest.identity import pseudonym_of


def test_cli_ingest_prints_counts_and_loads(tmp_path: Path, db_path: Path, capsys) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "tweet_id,name,tweet_created,text,airline\n1,jo,2/24/2015 10:48,late again,United\n"
        "2,al,2/24/2015 11:00,,United\n"
    )
    argv = [
        "--db",
        str(db_path),
        "ingest",
        "social",
        str(posts),
        "--column",
        "customer_id=name",
        "--timezone",
        "America/Los_Angeles",
        "--keep-originals",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "read 2, loaded 1, rejected 1 (missing text: 1)" in out
    assert "total: 1 file(s), read 2, loaded 1, rejected 1" in out
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute(
        "SELECT source_id, customer_id, occurred_at::VARCHAR, brand FROM staging.interactions"
    ).fetchall() == [("1", pseudonym_of("handle", "jo"), "2015-02-24 18:48:00", "United")]
    con.close()
    assert main(argv) == 0
    assert "already loaded" in capsys.readouterr().out


def test_cli_exit_code_when_nothing_can_be_read(tmp_path: Path, db_path: Path, capsys) -> None:
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF-1.4")
    assert main(["--db", str(db_path), "ingest", "social", str(bad)]) == 1
    assert "cannot tell its format" in capsys.readouterr().out
    assert main(["--db", str(db_path), "ingest", "social", str(tmp_path / "missing.csv")]) == 2
    assert main(["--db", str(db_path), "ingest", "social", str(bad), "--column", "oops"]) == 2
