"""Helpdesk exports load as they are: presets from the header row, blank rows, content ids, CSV dates."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.warehouse import connect
from pipelines.ingest.identity import ref_hash

MTIME = datetime(2024, 1, 2, 3, 4, 5)


@pytest.fixture
def con(db_path: Path):
    con = connect(db_path)
    yield con
    con.close()


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    stamp = (MTIME - datetime(1970, 1, 1)).total_seconds()
    os.utime(path, (stamp, stamp))
    return path


def _load(con, kind: str, path: Path, **options):
    [report] = ingest_paths(con, kind, [path], IngestOptions(keep_originals=True, **options))
    assert report.error is None, report.line()
    assert report.read == report.loaded + report.rejected
    return report


def _rows(con, cols: str) -> list[tuple]:
    return con.execute(f"SELECT {cols} FROM staging.interactions ORDER BY record_no").fetchall()


def test_zendesk_csv_export(con, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "zendesk.csv",
        (
            "Id,Requester,Requester email,Requester external id,Assignee,Group,Subject,Tags,Status,"
            "Priority,Via,"
            "Ticket type,Created at,Updated at\n"
            "4711,Jo Bloggs,jo@example.com,,Dana,Billing,Charged twice for March,billing,open,high,Web form,"
            "problem,2024-03-05 14:30:00,2024-03-05 15:00:00\n"
            "4712,Al,al@example.com,C-9,Sam,Tech,Router keeps dropping,,solved,normal,Voice,incident,"
            "2024-03-06 09:00:00,2024-03-06 10:00:00\n"
        ),
    )
    report = _load(con, "emails", path)
    assert (report.preset, report.loaded, report.warnings) == ("zendesk_tickets", 2, {})
    assert _rows(
        con,
        "source_id, channel, occurred_at, text, customer_ref_type, customer_ref, queue, "
        "agent_id, source_category",
    ) == [
        (
            "4711",
            "email",
            datetime(2024, 3, 5, 14, 30),
            "Charged twice for March",
            "email",
            ref_hash("email", "jo@example.com"),  # references are stored as keyed hashes
            "Billing",
            "Dana",
            "problem",
        ),
        (
            "4712",
            "call",
            datetime(2024, 3, 6, 9),
            "Router keeps dropping",
            "crm",
            ref_hash("crm", "C-9"),
            "Tech",
            "Sam",
            "incident",
        ),
    ]


def test_freshdesk_export_with_description(con, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "freshdesk.csv",
        (
            "Ticket ID,Subject,Description,Status,Priority,Source,Type,Agent,Group,Created time,"
            "Full name,Email\n"
            '101,Refund,"Please refund my order, it never came",Open,High,Email,Question,Kim,Billing,'
            "2024-04-01 08:15:00,Eva,eva@example.com\n"
            "102,Chat issue,The chat widget froze,Open,Low,Chat,Incident,Kim,Web,2024-04-01 09:00:00,"
            "Bo,bo@example.com\n"
        ),
    )
    report = _load(con, "emails", path)
    assert report.preset == "freshdesk_tickets"
    assert _rows(con, "source_id, channel, subject, text, customer_ref") == [
        ("101", "email", "Refund", "Please refund my order, it never came", ref_hash("email", "eva@example.com")),
        ("102", "chat", "Chat issue", "The chat widget froze", ref_hash("email", "bo@example.com")),
    ]


def test_salesforce_cases_both_header_styles(con, tmp_path: Path) -> None:
    report_export = _csv(
        tmp_path / "cases_report.csv",
        (
            "Case Number,Subject,Description,Case Origin,Date/Time Opened,Contact Email,Case Owner,"
            "Case Reason\n"
            "00001001,Cannot log in,Password reset mail never arrives,Web,2024-05-02 10:00:00,li@example.net,"
            "Ann,Login\n"
        ),
    )
    api_export = _csv(
        tmp_path / "cases_api.csv",
        (
            "Id,CaseNumber,Subject,Description,Origin,CreatedDate,SuppliedEmail,OwnerId,Reason\n"
            "5003000000D8cuI,00001002,Bill wrong,I was billed twice,Phone,2024-05-03T11:00:00.000Z,"
            "kate@example.net,005A,Billing\n"
        ),
    )
    assert _load(con, "emails", report_export).preset == "salesforce_cases_report"
    assert _load(con, "emails", api_export).preset == "salesforce_cases_api"
    assert _rows(con, "source_id, channel, occurred_at, text, source_category, agent_id") == [
        ("00001001", "email", datetime(2024, 5, 2, 10), "Password reset mail never arrives", "Login", "Ann"),
        ("00001002", "call", datetime(2024, 5, 3, 11), "I was billed twice", "Billing", "005A"),
    ]


def test_intercom_message_rows_are_one_chat(con, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "intercom.csv",
        (
            "message_id,message_body,message_type,message_created_at,message_author_type,message_author_email,"
            "conversation_id,conversation_created_at\n"
            "m1,My card was declined,conversation_message,2024-06-01 10:00:00,user,ian@example.com,c77,"
            "2024-06-01 10:00:00\n"
            "m2,Sorry about that - checking now,comment,2024-06-01 10:02:00,admin,,c77,2024-06-01 10:00:00\n"
            "m3,Thanks!,comment,2024-06-01 10:05:00,lead,ian@example.com,c77,2024-06-01 10:00:00\n"
        ),
    )
    report = _load(con, "transcripts", path, channel="chat")
    assert (report.preset, report.read, report.loaded) == ("intercom_messages", 3, 3)
    assert _rows(con, "source_id, channel, occurred_at, text, agent_text, customer_ref") == [
        (
            "c77",
            "chat",
            datetime(2024, 6, 1, 10),
            "My card was declined\nThanks!",
            "Sorry about that - checking now",
            ref_hash("email", "ian@example.com"),
        )
    ]
    assert con.execute("SELECT speaker FROM staging.turns ORDER BY turn_no").fetchall() == [
        ("customer",),
        ("agent",),
        ("customer",),
    ]


def test_blank_rows_are_counted_not_rejected_and_content_ids_are_stable(con, tmp_path: Path) -> None:
    body = (
        "subject,body,answer,type,queue,priority,language\n"
        "Login,I cannot log in,Reset it here,Incident,IT,high,en\n"
        ",,,,,,\n"
        "Rechnung,Die Rechnung ist falsch,Wir prüfen das,Request,Billing,low,de\n"
        ",,,,,,\n,,,,,,\n"
    )
    first = _load(con, "emails", _csv(tmp_path / "a.csv", body))
    assert (first.read, first.loaded, first.rejected, first.skipped_records) == (2, 2, 0, {"blank row": 3})
    assert con.execute("SELECT count(*) FROM raw.records").fetchall() == [(5,)]  # blank rows kept as read
    ids = dict(con.execute("SELECT subject, source_id FROM staging.interactions").fetchall())
    # the same tickets in another export, in another order: the same ids, so they are duplicates
    lines = body.splitlines()
    second = _load(con, "emails", _csv(tmp_path / "b.csv", "\n".join([lines[0], lines[3], lines[1]]) + "\n"))
    assert second.reasons == {"duplicate id": 2}
    assert all(i.startswith("ticket:") for i in ids.values()) and len(set(ids.values())) == 2


def test_csv_dates_from_the_occurred_at_choice(con, tmp_path: Path) -> None:
    text = (
        "ticket_id,description,opened,closed\nT1,Broken,,2024-02-02 10:00:00\nT2,Late,2024-02-01 09:00:00,\n"
    )
    report = _load(con, "emails", _csv(tmp_path / "t.csv", text), columns={"occurred_at": "opened"})
    [(message, n)] = report.warnings.items()
    assert n == 1 and "modification time 2024-01-02 03:04:05" in message
    assert _rows(con, "source_id, occurred_at") == [("T1", MTIME), ("T2", datetime(2024, 2, 1, 9))]
    # the user's column for the undated ones
    report = _load(
        con,
        "emails",
        _csv(tmp_path / "t2.csv", text.replace("T1", "T3").replace("T2", "T4")),
        columns={"occurred_at": "opened"},
        occurred_at="column:closed",
    )
    assert report.warnings == {}
    assert con.execute("SELECT occurred_at FROM staging.interactions WHERE source_id = 'T3'").fetchall() == [
        (datetime(2024, 2, 2, 10),)
    ]
    # asked for a date in the file name, there is none: rejected with the reason
    report = _load(
        con,
        "emails",
        _csv(tmp_path / "t3.csv", text.replace("T1", "T5").replace("T2", "T6")),
        columns={"occurred_at": "opened"},
        occurred_at="filename",
    )
    assert (report.loaded, report.reasons) == (1, {"missing timestamp": 1})
    # a column the file lacks is an error before anything loads
    [bad] = ingest_paths(
        con,
        "emails",
        [_csv(tmp_path / "t4.csv", text.replace("T1", "T7"))],
        IngestOptions(occurred_at="column:nope"),
    )
    assert bad.error and "its columns are" in bad.error


def test_user_mapping_wins_over_the_preset(con, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "fd.csv",
        (
            "Ticket ID,Subject,Description,Source,Created time,Notes\n"
            "9,Refund,Long description,Email,2024-04-01 08:15:00,What the customer really said\n"
        ),
    )
    report = _load(con, "emails", path, columns={"text": "Notes"})
    assert report.preset == "freshdesk_tickets"
    assert _rows(con, "text") == [("What the customer really said",)]
