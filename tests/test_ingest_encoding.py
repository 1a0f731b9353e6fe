"""Encodings seen in exports: detected (or given with --encoding), decoded, loaded by the bulk path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.ingest.encoding import EncodingError, detect_encoding, read_text, utf8_copy
from pipelines.warehouse import connect

SAMPLES = {
    "utf-8-sig": "Zażółć gęślą jaźń — świetna obsługa",
    "utf-16": "Bardzo długo czekałem na połączenie",
    "gb18030": "客服态度很差，退款一直没有到账，等了两个星期",
    "cp1250": "Źle obsłużony klient, żądam zwrotu pieniędzy za usługę",
    "latin-1": "Très déçu, le colis est arrivé cassé, où est mon remboursement?",
}


def _csv(text: str) -> str:
    return f'tweet_id,author,created_at,text\r\n1,jo,2024-01-02 10:00,"{text}"\r\n2,al,2024-01-02 11:00,"{text} 2"\r\n'


@pytest.mark.parametrize("encoding", list(SAMPLES))
def test_detect_and_load(tmp_path: Path, db_path: Path, encoding: str) -> None:
    text = SAMPLES[encoding]
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(_csv(text).encode(encoding))
    detected = detect_encoding(path)
    assert read_text(path)[0].replace("\r\n", "\n") == _csv(text).replace("\r\n", "\n")
    assert detected.replace("_", "-") in {
        encoding,
        "utf-16",
        "iso8859-1",
        "latin-1",
        "cp1250",
        "gb18030",
        "utf-8-sig",
    }
    con = connect(db_path)
    [report] = ingest_paths(con, "social", [path], IngestOptions(keep_originals=True))
    assert (report.read, report.loaded) == (2, 2), report.line()
    assert con.execute("SELECT text FROM staging.interactions ORDER BY source_id").fetchall() == [
        (text,),
        (text + " 2",),
    ]


def test_explicit_encoding_wins_and_bad_one_names_the_fix(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "pl.csv"
    path.write_bytes(_csv(SAMPLES["cp1250"]).encode("cp1250"))
    with pytest.raises(EncodingError, match="--encoding") as err:
        read_text(path, "utf-8")
    assert str(path) in str(err.value) and "line 2" in str(err.value)
    con = connect(db_path)
    [report] = ingest_paths(con, "social", [path], IngestOptions(encoding="utf-8"))
    assert report.error and "--encoding" in report.error
    [report] = ingest_paths(con, "social", [path], IngestOptions(encoding="cp1250", keep_originals=True))
    assert report.loaded == 2 and report.encoding == "cp1250"


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n")
    with pytest.raises(EncodingError, match="unknown encoding"):
        detect_encoding(path, "klingon-8")


def test_bare_carriage_returns_survive(tmp_path: Path, db_path: Path) -> None:
    """TWCS tweets hold unquoted CRs; DuckDB alone would split the row there."""
    path = tmp_path / "cr.csv"
    path.write_bytes(
        b"tweet_id,author,created_at,text\n1,jo,2024-01-02,first\r\rsecond\n2,al,2024-01-02,ok\n"
    )
    with utf8_copy(path, "utf-8", bare_cr=True) as copy:
        assert b"\r" not in copy.read_bytes()
    con = connect(db_path)
    [report] = ingest_paths(con, "social", [path], IngestOptions(keep_originals=True))
    assert (report.read, report.loaded) == (2, 2)
    assert con.execute("SELECT text FROM staging.interactions WHERE source_id = '1'").fetchall() == [
        ("first\r\rsecond",)
    ]
