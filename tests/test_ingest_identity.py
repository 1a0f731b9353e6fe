"""Identity stitching: email/phone/handle -> CRM id, whichever of customers or contacts loads first."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines.ingest import IngestOptions, ingest_paths, keys
from pipelines.ingest.identity import normalise, pseudonym, ref_hash
from pipelines.warehouse import connect

CUSTOMERS = [
    {"customer_id": "C1", "email": "Jo@Example.com", "phone": "+48 601-234-567", "handle": "@JoBloggs"},
    {"customer_id": "C2", "email": "al@example.com", "phone": "", "handle": ""},
]
TICKETS = [
    {"ticket_id": "T1", "created_at": "2024-01-01", "email": "jo@example.COM", "description": "help"},
    {"ticket_id": "T2", "created_at": "2024-01-01", "email": "stranger@x.org", "description": "hi"},
]
POSTS = [{"tweet_id": "1", "name": "jobloggs", "tweet_created": "2024-01-02", "text": "where is my parcel"}]
CALLS = [
    {
        "call_id": "K1",
        "speaker": "customer",
        "text": "hello",
        "phone": "0048601234567",
        "started_at": "2024-01-03 10:00",
    }
]


def _pseudo(con, kind: str, value: str) -> str:
    return pseudonym(ref_hash(kind, value))  # with the secret of the warehouse opened last


def _write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("customers_first", [True, False])
def test_contacts_resolve_to_crm_id_in_any_load_order(
    tmp_path: Path, db_path: Path, customers_first: bool
) -> None:
    con = connect(db_path)
    loads = [("customers", _write(tmp_path / "crm.csv", CUSTOMERS))]
    contacts = [
        ("emails", _write(tmp_path / "tickets.csv", TICKETS)),
        ("social", _write(tmp_path / "posts.csv", POSTS)),
        ("transcripts", _write(tmp_path / "calls.csv", CALLS)),
    ]
    loads = loads + contacts if customers_first else contacts + loads
    for kind, path in loads:
        [report] = ingest_paths(con, kind, [path], IngestOptions())
        assert report.error is None and report.rejected == 0, report.line()
    got = dict(con.execute("SELECT source_id, customer_id FROM staging.interactions").fetchall())
    c1 = _pseudo(con, "crm", "C1")
    assert got == {"T1": c1, "T2": _pseudo(con, "email", "stranger@x.org"), "1": c1, "K1": c1}
    assert c1.startswith("cust-") and len(c1) == 21
    assert con.execute("SELECT count(*) FROM staging.identities").fetchall()[0][0] == 4


def test_removing_a_customer_unstitches(tmp_path: Path, db_path: Path) -> None:
    con = connect(db_path)
    crm = _write(tmp_path / "crm.csv", CUSTOMERS)
    ingest_paths(con, "customers", [crm], IngestOptions())
    ingest_paths(con, "emails", [_write(tmp_path / "tickets.csv", TICKETS)], IngestOptions())
    _write(crm, CUSTOMERS[1:])  # the new CRM export no longer has C1
    [report] = ingest_paths(con, "customers", [crm], IngestOptions())
    assert report.replaced
    assert con.execute("SELECT customer_id FROM staging.interactions WHERE source_id = 'T1'").fetchall() == [
        (_pseudo(con, "email", "jo@example.com"),)
    ]


def test_normalise() -> None:
    assert normalise("email", " Jo@X.COM ") == "jo@x.com"
    assert normalise("phone", "+48 (601) 234-567") == normalise("phone", "0048601234567") == "+48601234567"
    assert normalise("phone", "+44 7700 900123") == "+447700900123"
    assert normalise("handle", "@JoBloggs") == normalise("handle", "jobloggs") == "jobloggs"
    assert normalise("handle", "@") is None


def test_phone_region_reads_national_numbers(tmp_path: Path, db_path: Path) -> None:
    assert normalise("phone", "07700 900123", "GB") == normalise("phone", "+44 7700 900123") == "+447700900123"
    assert normalise("phone", "07700 900123") == "07700900123", "no region: the digits as written"
    assert normalise("phone", "12", "GB") == "12", "not a possible number: kept as digits"
    con = connect(db_path)
    crm = [{"customer_id": "C1", "email": "", "phone": "+44 7700 900123", "handle": ""}]
    call = [{**CALLS[0], "phone": "07700 900123"}]
    ingest_paths(con, "customers", [_write(tmp_path / "crm.csv", crm)], IngestOptions())
    ingest_paths(con, "transcripts", [_write(tmp_path / "c.csv", call)], IngestOptions(phone_region="GB"))
    got = con.execute("SELECT customer_id FROM staging.interactions").fetchall()
    assert got == [(_pseudo(con, "crm", "C1"),)]


def test_no_identifier_is_stored_in_clear(tmp_path: Path, db_path: Path) -> None:
    con = connect(db_path)
    for kind, rows, name in (("customers", CUSTOMERS, "crm.csv"), ("emails", TICKETS, "t.csv"),
                             ("social", POSTS, "p.csv"), ("transcripts", CALLS, "c.csv")):
        ingest_paths(con, kind, [_write(tmp_path / name, rows)], IngestOptions())
    cells = {
        str(v).lower() for table in ("staging.customers", "staging.interactions", "staging.identities",
                                     "staging.transactions", "staging.turns")
        for row in con.execute(f"SELECT * FROM {table}").fetchall() for v in row
    }
    staged = " ".join(cells)
    for clear in ("jo@example.com", "al@example.com", "stranger@x.org", "601234567", "601-234-567", "jobloggs"):
        assert clear not in staged, clear
    assert not cells & {"c1", "c2"}
    assert con.execute("SELECT count(*) FROM staging.customers WHERE crm_id IS NOT NULL").fetchall()[0][0] == 0


def test_keep_crm_ids_keeps_the_clear_id_for_callbacks(tmp_path: Path, db_path: Path) -> None:
    con = connect(db_path)
    ingest_paths(con, "customers", [_write(tmp_path / "crm.csv", CUSTOMERS)], IngestOptions(keep_crm_ids=True))
    got = con.execute("SELECT customer_id, crm_id FROM staging.customers ORDER BY crm_id").fetchall()
    assert got == [(_pseudo(con, "crm", "C1"), "C1"), (_pseudo(con, "crm", "C2"), "C2")]


def test_the_key_is_private_and_per_warehouse(tmp_path: Path) -> None:
    a = connect(tmp_path / "a" / "voc.duckdb")
    in_a = _pseudo(a, "email", "jo@example.com")
    b = connect(tmp_path / "b" / "voc.duckdb")
    assert _pseudo(b, "email", "jo@example.com") != in_a
    path = keys.secret_path(tmp_path / "a" / "voc.duckdb")
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600
    again = connect(tmp_path / "a" / "voc.duckdb")
    assert _pseudo(again, "email", "Jo@Example.com") == in_a


def test_keyed_hash_is_hmac_sha256_of_kind_and_value(monkeypatch) -> None:
    import hashlib
    import hmac

    for secret in (b"k" * 32, b"another secret of 32 bytes......"):
        monkeypatch.setattr(keys, "_secret", secret)
        for kind, value in [("customer-email", "jo@example.com"), ("message-id", "<m1@x>"), ("customer-crm", "é")]:
            digest = hmac.new(secret, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
            assert keys.keyed_hash(value, kind) == digest[: keys.KEY_CHARS].translate(keys._LETTERS)
