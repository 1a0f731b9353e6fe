"""Identity stitching: email/phone/handle -> CRM id, whichever of customers or contacts loads first."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.ingest.identity import normalise
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
    assert got == {"T1": "C1", "T2": "email:stranger@x.org", "1": "C1", "K1": "C1"}
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
        ("email:jo@example.com",)
    ]


def test_normalise() -> None:
    assert normalise("email", " Jo@X.COM ") == "jo@x.com"
    assert normalise("phone", "+48 (601) 234-567") == normalise("phone", "0048601234567") == "48601234567"
    assert normalise("handle", "@JoBloggs") == normalise("handle", "jobloggs") == "@jobloggs"
    assert normalise("handle", "@") is None
