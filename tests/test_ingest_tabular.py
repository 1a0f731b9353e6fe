"""Tabular loaders: each format, rejects with reasons, read = loaded + rejected, idempotency."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.ingest.core import interaction_id
from pipelines.warehouse import connect
from pipelines.ingest.identity import pseudonym_of


@pytest.fixture
def con(db_path: Path) -> duckdb.DuckDBPyConnection:
    c = connect(db_path)
    yield c
    c.close()


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def assert_invariant(con: duckdb.DuckDBPyConnection) -> None:
    """raw.files counts add up and match the rows actually stored."""
    for file_id, n_read, n_loaded, n_rejected in rows(
        con, "SELECT file_id, n_read, n_loaded, n_rejected FROM raw.files"
    ):
        assert n_read == n_loaded + n_rejected
        assert rows(con, "SELECT count(*) FROM raw.records WHERE file_id = ?", [file_id])[0][0] == n_read
        assert rows(con, "SELECT count(*) FROM raw.rejects WHERE file_id = ?", [file_id])[0][0] == n_rejected


SOCIAL = [
    {
        "id": "10",
        "user": "JoBloggs",
        "created": "2/24/2015 10:48",
        "body": "my bag is lost, call +48 601 234 567",
        "reply_to": "",
        "company": "Acme",
    },
    {
        "id": "11",
        "user": "AcmeHelp",
        "created": "2/24/2015 10:50",
        "body": "@JoBloggs sorry, DM us",
        "reply_to": "10",
        "company": "Acme",
    },
    {
        "id": "12",
        "user": "JoBloggs",
        "created": "2/24/2015 11:00",
        "body": "done",
        "reply_to": "11.0",
        "company": "Acme",
    },
    {
        "id": "13",
        "user": "Ann",
        "created": "yesterday-ish",
        "body": "hello",
        "reply_to": "",
        "company": "Acme",
    },
    {"id": "14", "user": "Ann", "created": "2/24/2015 12:00", "body": "", "reply_to": "", "company": "Acme"},
    {
        "id": "10",
        "user": "JoBloggs",
        "created": "2/24/2015 10:48",
        "body": "again",
        "reply_to": "",
        "company": "Acme",
    },
]
SOCIAL_MAP = {
    "source_id": "id",
    "customer_id": "user",
    "occurred_at": "created",
    "text": "body",
    "in_reply_to": "reply_to",
    "brand": "company",
}


def test_social_csv_threads_brand_replies_and_rejects(con, tmp_path):
    path = write_csv(tmp_path / "posts.csv", SOCIAL)
    options = IngestOptions(columns=SOCIAL_MAP, brand_accounts=("@acmehelp",), timezone="America/Los_Angeles")
    [report] = ingest_paths(con, "social", [path], options)
    assert (report.read, report.loaded, report.rejected) == (6, 3, 3)
    assert report.reasons == {"unparseable timestamp": 1, "missing text": 1, "duplicate id": 1}
    got = rows(
        con,
        "SELECT source_id, direction, customer_id, thread_id, text IS NULL, agent_text IS NULL, agent_id, "
        "occurred_at::VARCHAR FROM staging.interactions ORDER BY source_id",
    )
    jo = pseudonym_of("handle", "jobloggs")
    assert got == [
        ("10", "inbound", jo, "10", False, True, None, "2015-02-24 18:48:00"),
        ("11", "outbound", jo, "10", True, False, "AcmeHelp", "2015-02-24 18:50:00"),
        ("12", "inbound", jo, "10", False, True, None, "2015-02-24 19:00:00"),
    ]
    assert rows(con, "SELECT interaction_id FROM staging.interactions WHERE source_id = '10'")[0][
        0
    ] == interaction_id("social", "10")
    reasons = dict(rows(con, "SELECT record_no, reason FROM raw.rejects"))
    assert reasons[4].startswith("unparseable timestamp: yesterday-ish")
    assert reasons[5].startswith("missing text")
    assert reasons[6] == "duplicate id: 10 is also record 1 of this file"
    assert_invariant(con)


def test_social_text_is_redacted_in_staging_and_raw(con, tmp_path):
    path = write_csv(tmp_path / "posts.csv", SOCIAL[:1])
    ingest_paths(con, "social", [path], IngestOptions(columns=SOCIAL_MAP))
    text = rows(con, "SELECT text FROM staging.interactions")[0][0]
    payload = rows(con, "SELECT payload::VARCHAR FROM raw.records")[0][0]
    assert "601 234 567" not in text and "[PHONE]" in text
    assert "601 234 567" not in payload
    con2_path = tmp_path / "keep.csv"
    write_csv(con2_path, [{**SOCIAL[0], "id": "99"}])
    ingest_paths(con, "social", [con2_path], IngestOptions(columns=SOCIAL_MAP, keep_originals=True))
    assert "601 234 567" in rows(con, "SELECT text FROM staging.interactions WHERE source_id = '99'")[0][0]


def test_same_file_twice_adds_nothing_and_changed_file_replaces(con, tmp_path):
    path = write_csv(tmp_path / "posts.csv", SOCIAL[:3])
    options = IngestOptions(columns=SOCIAL_MAP)
    ingest_paths(con, "social", [path], options)
    [again] = ingest_paths(con, "social", [path], options)
    assert again.skipped
    assert rows(con, "SELECT count(*) FROM staging.interactions")[0][0] == 3
    assert rows(con, "SELECT count(*) FROM raw.records")[0][0] == 3
    write_csv(path, SOCIAL[:2])
    [changed] = ingest_paths(con, "social", [path], options)
    assert changed.replaced and changed.loaded == 2
    assert rows(con, "SELECT count(*) FROM staging.interactions")[0][0] == 2
    assert rows(con, "SELECT count(*) FROM raw.files")[0][0] == 1
    assert_invariant(con)


def test_duplicate_id_from_another_file_names_it(con, tmp_path):
    first = write_csv(tmp_path / "a.csv", SOCIAL[:1])
    second = write_csv(tmp_path / "b.csv", SOCIAL[:2])
    options = IngestOptions(columns=SOCIAL_MAP)
    ingest_paths(con, "social", [first], options)
    [report] = ingest_paths(con, "social", [second], options)
    assert (report.loaded, report.rejected) == (1, 1)
    reason = rows(con, "SELECT reason FROM raw.rejects")[0][0]
    assert reason.startswith("duplicate id: 10 already loaded from") and "a.csv" in reason


def test_a_column_the_file_lacks_is_an_error_before_loading_and_the_fix_then_loads(con, tmp_path):
    path = write_csv(tmp_path / "posts.csv", SOCIAL[:2])
    [report] = ingest_paths(con, "social", [path], IngestOptions(columns={**SOCIAL_MAP, "text": "message"}))
    assert report.error and "--column text=message: no such column" in report.error
    assert "its columns are: id, user, created, body, reply_to, company" in report.error
    for table in ("raw.files", "raw.records", "raw.rejects", "staging.interactions"):
        assert rows(con, f"SELECT count(*) FROM {table}")[0][0] == 0
    [fixed] = ingest_paths(con, "social", [path], IngestOptions(columns=SOCIAL_MAP))
    assert not fixed.skipped and fixed.loaded == 2


def test_unknown_field_is_a_clear_error(con, tmp_path):
    path = write_csv(tmp_path / "posts.csv", SOCIAL[:2])
    [report] = ingest_paths(con, "social", [path], IngestOptions(columns={"txet": "body"}))
    assert report.error and "unknown field(s) txet" in report.error


def test_mapping_file_toml_and_yaml(con, tmp_path):
    path = write_csv(tmp_path / "posts.csv", SOCIAL[:3])
    toml = tmp_path / "map.toml"
    toml.write_text("[columns]\n" + "".join(f'{k} = "{v}"\n' for k, v in SOCIAL_MAP.items()))
    [report] = ingest_paths(con, "social", [path], IngestOptions(mapping_file=str(toml)))
    assert report.loaded == 3
    yaml_file = tmp_path / "map.yaml"
    yaml_file.write_text("columns:\n" + "".join(f"  {k}: {v}\n" for k, v in SOCIAL_MAP.items()))
    other = write_csv(tmp_path / "more.csv", [{**r, "id": r["id"] + "0"} for r in SOCIAL[:3]])
    [report] = ingest_paths(con, "social", [other], IngestOptions(mapping_file=str(yaml_file)))
    assert report.loaded == 3


def test_social_jsonl_with_malformed_line(con, tmp_path):
    path = tmp_path / "posts.jsonl"
    lines = [
        json.dumps({"tweet_id": 1, "author_id": "u1", "created_at": "2020-01-01T10:00:00Z", "text": "hi"}),
        "{not json",
        "",
        json.dumps(
            {"tweet_id": 2, "author_id": "u2", "created_at": 1577872800, "text": "yo", "extra": {"a": 1}}
        ),
    ]
    path.write_text("\n".join(lines) + "\n")
    [report] = ingest_paths(con, "social", [path], IngestOptions())
    assert (report.read, report.loaded, report.rejected) == (3, 2, 1)
    assert rows(con, "SELECT record_no, reason FROM raw.rejects") == [
        (2, "malformed JSON: line 2 does not parse")
    ]
    assert rows(con, "SELECT occurred_at::VARCHAR FROM staging.interactions ORDER BY source_id") == [
        ("2020-01-01 10:00:00",),
        ("2020-01-01 10:00:00",),
    ]
    assert_invariant(con)


def test_malformed_csv_row_is_rejected_with_its_record_number(con, tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text(
        "id,user,created,body\n1,a,2020-01-01,hello\n2,b,2020-01-01,too,many,fields\n3,c,2020-01-01,ok\n"
    )
    [report] = ingest_paths(
        con,
        "social",
        [path],
        IngestOptions(
            columns={"text": "body", "occurred_at": "created", "source_id": "id", "customer_id": "user"}
        ),
    )
    assert (report.read, report.loaded, report.rejected) == (3, 2, 1)
    [(record_no, reason)] = rows(con, "SELECT record_no, reason FROM raw.rejects")
    assert record_no == 2 and reason.startswith("malformed CSV: line 3")
    assert rows(con, "SELECT source_id, record_no FROM staging.interactions ORDER BY 1") == [
        ("1", 1),
        ("3", 3),
    ]
    assert_invariant(con)


def test_empty_file_and_header_only_file(con, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = tmp_path / "header.csv"
    header_only.write_text("tweet_id,text,created_at\n")
    reports = ingest_paths(con, "social", [empty, header_only], IngestOptions())
    assert [(r.read, r.loaded, r.rejected, r.error) for r in reports] == [(0, 0, 0, None), (0, 0, 0, None)]
    assert rows(con, "SELECT count(*) FROM raw.files")[0][0] == 2
    assert ingest_paths(con, "social", [empty], IngestOptions())[0].skipped


def test_huge_field_is_loaded_whole(con, tmp_path):
    big = "word " * 400_000  # 2 MB in one cell
    path = write_csv(tmp_path / "big.csv", [{"tweet_id": "1", "text": big, "created_at": "2020-01-01"}])
    [report] = ingest_paths(con, "social", [path], IngestOptions(keep_originals=True))
    assert report.loaded == 1
    assert rows(con, "SELECT length(text) FROM staging.interactions")[0][0] == len(big.strip())


def test_utterance_csv_becomes_interactions_with_turns(con, tmp_path):
    utt = [
        {
            "call_id": "c1",
            "turn": "1",
            "speaker": "Agent",
            "text": "Hello, how can I help?",
            "start": "0",
            "end": "2.5",
            "started_at": "2024-03-01 09:00:00",
            "customer_id": "CRM-1",
            "agent": "a7",
        },
        {
            "call_id": "c1",
            "turn": "2",
            "speaker": "Customer",
            "text": "My bill is wrong",
            "start": "2.5",
            "end": "5",
            "started_at": "2024-03-01 09:00:00",
            "customer_id": "CRM-1",
            "agent": "a7",
        },
        {
            "call_id": "c1",
            "turn": "3",
            "speaker": "customer",
            "text": "again",
            "start": "5",
            "end": "7.5",
            "started_at": "2024-03-01 09:00:00",
            "customer_id": "CRM-1",
            "agent": "a7",
        },
        {
            "call_id": "c2",
            "turn": "1",
            "speaker": "robot",
            "text": "beep",
            "start": "0",
            "end": "1",
            "started_at": "2024-03-01 10:00:00",
            "customer_id": "",
            "agent": "",
        },
        {
            "call_id": "c3",
            "turn": "1",
            "speaker": "agent",
            "text": "anyone there?",
            "start": "0",
            "end": "1",
            "started_at": "2024-03-01 11:00:00",
            "customer_id": "",
            "agent": "a1",
        },
    ]
    path = write_csv(tmp_path / "calls.csv", utt)
    [report] = ingest_paths(con, "transcripts", [path], IngestOptions(timezone="Europe/Warsaw"))
    assert (report.read, report.loaded, report.rejected) == (5, 3, 2)
    assert report.reasons == {"unknown speaker": 1, "missing text": 1}
    assert rows(
        con,
        "SELECT source_id, channel, customer_id, text, agent_text, duration_s, agent_id, "
        "occurred_at::VARCHAR FROM staging.interactions",
    ) == [
        (
            "c1",
            "call",
            pseudonym_of("crm", "CRM-1"),
            "My bill is wrong\nagain",
            "Hello, how can I help?",
            7.5,
            "a7",
            "2024-03-01 08:00:00",
        )
    ]
    assert rows(con, "SELECT turn_no, speaker, begin_s FROM staging.turns ORDER BY turn_no") == [
        (1, "agent", 0.0),
        (2, "customer", 2.5),
        (3, "customer", 5.0),
    ]
    assert_invariant(con)


def test_helpdesk_csv(con, tmp_path):
    tickets = [
        {
            "Ticket ID": "T-1",
            "Created": "2024-01-05T08:00:00+01:00",
            "Requester Email": " Jo@X.com ",
            "Subject": "Login broken",
            "Description": "I cannot log in",
            "Channel": "Web form",
            "Group": "IT",
        },
        {
            "Ticket ID": "T-2",
            "Created": "2024-01-05T09:00:00Z",
            "Requester Email": "",
            "Subject": "Call me",
            "Description": "phone me",
            "Channel": "Phone",
            "Group": "IT",
        },
    ]
    path = write_csv(tmp_path / "tickets.csv", tickets)
    [report] = ingest_paths(con, "emails", [path], IngestOptions())
    assert report.format == "helpdesk_csv" and report.loaded == 2
    assert rows(
        con,
        "SELECT source_id, channel, customer_id, subject, queue, occurred_at::VARCHAR "
        "FROM staging.interactions ORDER BY 1",
    ) == [
        ("T-1", "email", pseudonym_of("email", "jo@x.com"), "Login broken", "IT", "2024-01-05 07:00:00"),
        ("T-2", "call", None, "Call me", "IT", "2024-01-05 09:00:00"),
    ]


def test_customers_and_transactions(con, tmp_path):
    customers = write_csv(
        tmp_path / "crm.csv",
        [
            {
                "customer_id": "C1",
                "segment": "gold",
                "revenue": "1200.50",
                "churned": "yes",
                "churned_at": "2024-02-01",
                "email": "jo@x.com",
                "phone": "+48 601-234-567",
                "handle": "JoBloggs",
            },
            {
                "customer_id": "C2",
                "segment": "silver",
                "revenue": "lots",
                "churned": "no",
                "churned_at": "",
                "email": "",
                "phone": "",
                "handle": "",
            },
            {
                "customer_id": "C1",
                "segment": "gold",
                "revenue": "1",
                "churned": "no",
                "churned_at": "",
                "email": "",
                "phone": "",
                "handle": "",
            },
        ],
    )
    [report] = ingest_paths(con, "customers", [customers], IngestOptions())
    assert (report.loaded, report.rejected) == (1, 2)
    assert report.reasons == {"bad number": 1, "duplicate id": 1}
    assert rows(con, "SELECT customer_id, revenue, churned, churned_at::VARCHAR FROM staging.customers") == [
        (pseudonym_of("crm", "C1"), 1200.5, True, "2024-02-01 00:00:00")
    ]
    tx = write_csv(
        tmp_path / "tx.csv",
        [
            {"customer": "C1", "date": "2024-01-01", "amount": "19.99"},
            {"customer": "C1", "date": "nope", "amount": "5"},
            {"customer": "", "date": "2024-01-01", "amount": "5"},
        ],
    )
    [report] = ingest_paths(con, "transactions", [tx], IngestOptions())
    assert (report.loaded, report.rejected) == (1, 2)
    assert rows(con, "SELECT customer_id, amount FROM staging.transactions") == [(pseudonym_of("crm", "C1"), 19.99)]
    assert_invariant(con)


def test_directory_expands_and_bad_format_is_per_file(con, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "a.csv", SOCIAL[:1])
    (folder / "notes.pdf").write_bytes(b"%PDF")
    reports = ingest_paths(con, "social", [folder], IngestOptions(columns=SOCIAL_MAP))
    assert [Path(r.path).name for r in reports] == ["a.csv", "notes.pdf"]
    assert reports[0].loaded == 1 and "cannot tell its format" in reports[1].error


def test_social_jsonl_nested_fields_map_with_dotted_paths(con, tmp_path):
    path = tmp_path / "api.jsonl"
    post = {
        "id_str": "77",
        "created_at": "Tue Oct 31 22:10:47 +0000 2017",
        "full_text": "where is my refund",
        "user": {"screen_name": "JoBloggs"},
    }
    path.write_text(json.dumps(post) + "\n")
    options = IngestOptions(columns={"source_id": "id_str", "customer_id": "user.screen_name"})
    [report] = ingest_paths(con, "social", [path], options)
    assert report.loaded == 1, report.line()
    assert rows(con, "SELECT source_id, customer_id, text FROM staging.interactions") == [
        ("77", pseudonym_of("handle", "JoBloggs"), "where is my refund")
    ]



def test_a_turn_number_given_twice_in_a_conversation_rejects_the_later_record(con, tmp_path):
    # "2.0" is turn 2 again; the rejected "robot" turn 3 does not make the next turn 3 a duplicate;
    # blank turn numbers never repeat; c2's turn 1 is another call's; "-0" is turn 0 and "NaN" is "nan"
    utt = [("c1", "1", "agent"), ("c1", "2", "customer"), ("c1", "2.0", "customer"), ("c1", "3", "robot"),
           ("c1", "3", "customer"), ("c1", "", "customer"), ("c1", "", "agent"), ("c2", "1", "customer"),
           ("c2", "0", "customer"), ("c2", "-0", "agent"), ("c2", "nan", "customer"), ("c2", "NaN", "agent"),
           ("c2", "2", "agent"), ("c2", "2", "agent"), ("c2", "2", "customer"), ("c3", "1", "customer")]
    path = write_csv(tmp_path / "calls.csv", [
        {"call_id": c, "turn": t, "speaker": s, "text": f"text {i}", "started_at": "2024-03-01 09:00:00"}
        for i, (c, t, s) in enumerate(utt, 1)
    ])
    [report] = ingest_paths(con, "transcripts", [path], IngestOptions())
    assert (report.read, report.loaded, report.rejected) == (16, 10, 6), report.line()
    assert rows(con, "SELECT record_no, reason FROM raw.rejects ORDER BY record_no") == [
        (3, "duplicate turn: c1 turn 2.0"), (4, "unknown speaker: robot"), (10, "duplicate turn: c2 turn -0"),
        (12, "duplicate turn: c2 turn NaN"), (14, "duplicate turn: c2 turn 2"), (15, "duplicate turn: c2 turn 2"),
    ]
    # the first record of each turn number is the one kept
    assert rows(con, "SELECT i.source_id, t.text FROM staging.turns t JOIN staging.interactions i "
                     "USING (interaction_id) ORDER BY i.source_id, t.turn_no") == [
        ("c1", "text 1"), ("c1", "text 2"), ("c1", "text 5"), ("c1", "text 6"), ("c1", "text 7"),
        ("c2", "text 9"), ("c2", "text 8"), ("c2", "text 13"), ("c2", "text 11"), ("c3", "text 16"),
    ]
    assert_invariant(con)
