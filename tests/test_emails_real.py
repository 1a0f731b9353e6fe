"""The real email files in ../shared/datasets/real_exports/emails: what each loads, its threads and the
customer's own words (quotes, reply headers and signatures out, nothing of the author's text lost)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.warehouse import connect

# file -> (read, loaded, rejected) without --occurred-at
EXPECTED = {
    "flanker_outlook-express.eml": (1, 0, 1),   # only an octet-stream attachment, no text part
    "flanker_quoted-printable.eml": (1, 1, 0),
    "mail_japanese_iso_2022.eml": (1, 0, 1),    # no Date, no Received
    "mail_japanese_shift_jis.eml": (1, 1, 0),
    "mail_ks_c_5601-1987.eml": (1, 1, 0),
    "mail_raw_email2.eml": (1, 1, 0),
    "talon_outlook.eml": (1, 0, 1),             # no Date, no Received
    **{f"talon_{n}.eml": (1, 1, 0) for n in ("android", "aol", "apple_mail", "apple_mail_2", "comcast", "gmail",
                                              "hotmail", "iphone", "sparrow", "thunderbird", "yahoo")},
    "ponymail_httpd-users-200606-part.mbox": (12, 12, 0),
    "ponymail_nexus-html-only.mbox": (3, 3, 0),
}


@pytest.fixture(scope="module")
def emails(shared_datasets: Path) -> Path:
    return shared_datasets / "real_exports" / "emails"


@pytest.fixture(scope="module")
def loaded(emails: Path, tmp_path_factory: pytest.TempPathFactory):
    con = connect(tmp_path_factory.mktemp("real_emails") / "voc.duckdb")
    reports = ingest_paths(con, "emails", [emails], IngestOptions())
    yield con, {Path(r.path).name: r for r in reports}
    con.close()


def texts(con, name: str) -> dict[int, str]:
    rows = con.execute(
        "SELECT i.record_no, coalesce(i.text, i.agent_text) FROM staging.interactions i JOIN raw.files f "
        "USING (file_id) WHERE f.path LIKE ?", [f"%/{name}"]).fetchall()
    return dict(rows)


def test_read_loaded_rejected_per_file(loaded) -> None:
    con, reports = loaded
    assert {name: (r.read, r.loaded, r.rejected) for name, r in reports.items()} == EXPECTED
    reasons = dict(con.execute("SELECT regexp_extract(path, '[^/]+$'), reason FROM raw.rejects").fetchall())
    assert reasons["flanker_outlook-express.eml"] == "missing text: no text part, only 1 attachment(s)"
    assert reasons["talon_outlook.eml"].startswith("missing timestamp:") and "--occurred-at" in reasons["talon_outlook.eml"]


def test_undated_files_load_when_the_user_says_how_to_date_them(emails: Path, tmp_path: Path) -> None:
    con = connect(tmp_path / "voc.duckdb")
    files = [emails / "eml" / "talon_outlook.eml", emails / "eml" / "mail_japanese_iso_2022.eml"]
    reports = ingest_paths(con, "emails", files, IngestOptions(occurred_at="mtime"))
    assert [(r.read, r.loaded) for r in reports] == [(1, 1)] * 2
    assert sorted(texts(con, "talon_outlook.eml").values()) == ["Hello"]
    assert sorted(texts(con, "mail_japanese_iso_2022.eml").values()) == ["すみません。"]
    subject = con.execute("SELECT subject FROM staging.interactions WHERE text = 'すみません。'").fetchone()[0]
    assert subject == "まみむめも"
    con.close()


def test_every_client_reply_is_its_new_text_only(loaded) -> None:
    con, _ = loaded
    for client in ("android", "aol", "apple_mail", "apple_mail_2", "comcast", "gmail", "hotmail", "iphone",
                   "sparrow", "thunderbird", "yahoo"):
        assert texts(con, f"talon_{client}.eml") == {1: "Hello"}, client   # thunderbird: below the quote
    assert texts(con, "mail_raw_email2.eml") == {1: "We should not include these files or vcards as attachments."}
    assert texts(con, "mail_ks_c_5601-1987.eml") == {1: "스티해"}
    assert texts(con, "mail_japanese_shift_jis.eml")[1].startswith("あいうえお")
    qp = texts(con, "flanker_quoted-printable.eml")[1]
    # Its soft-broken tracking link (`utmcsr=(direct)|...&__utmk=216038998`) decodes whole and is
    # one link, redacted whole: no tail of it is left to be read as a phone number.
    assert qp.startswith("Hello Bob,") and qp.endswith("links:\n\n[URL]\n\n\n[URL]") and "Thanks," not in qp


def test_mailing_list_threads_link_through_hashed_ids(loaded) -> None:
    con, _ = loaded
    rows = con.execute(
        "SELECT i.record_no, i.source_id, i.thread_id FROM staging.interactions i JOIN raw.files f USING (file_id) "
        "WHERE f.path LIKE '%httpd-users%' ORDER BY 1").fetchall()
    by_no = {no: (sid, tid) for no, sid, tid in rows}
    assert by_no[3][1] == by_no[1][0] == by_no[1][1]        # "RE: bug? LogFormat" answers message 1
    assert by_no[8][1] == by_no[9][1] != by_no[8][0]         # two replies in one thread rooted outside the file
    assert len({tid for _, tid in by_no.values()}) == 10
    assert all(re.fullmatch("[a-p]{32}", sid) for sid, _ in by_no.values())
    damaged = con.execute(
        "SELECT count(*) FROM raw.records WHERE coalesce(payload->>'message_id', '') LIKE '%[EMAIL]%' "
        "OR coalesce(payload->>'in_reply_to', '') LIKE '%[EMAIL]%' "
        "OR coalesce(payload->>'references', '') LIKE '%[EMAIL]%'").fetchone()[0]
    assert damaged == 0
    keyed = con.execute("SELECT count(*) FROM raw.records WHERE regexp_full_match(payload->>'message_id', '[a-p]{32}')"
                        ).fetchone()[0]
    assert keyed == 31  # every record that has a Message-ID (two of the 33 have none)


def test_mailing_list_texts_keep_the_authors_words_only(loaded) -> None:
    con, _ = loaded
    got = texts(con, "ponymail_httpd-users-200606-part.mbox")
    assert got[11] == ("Hi,\n\nsome entried in my log file shows a negative number for %D (time spent in \n"
                       "microsoft).  what does that mean?  Thanks.")          # "- Debin" and the list footer cut
    assert got[3].startswith("Anyone?  Could it be") and got[3].endswith("they all have the same \nproblem.")
    assert got[2].startswith("attempting to compile") and got[2].endswith("how to resolve this?   THANKS")
    assert got[12].endswith("better than using syslog utility.\n\nKhai") and "Charlie Davis" not in got[12]
    assert all(got[n] == "Please remove me from your mailing list immediately. Thank you." for n in range(4, 11))
    for text in got.values():
        assert "unsubscribe" not in text and "MSN" not in text and not re.search(r"^>", text, re.MULTILINE)


def test_nothing_of_the_new_text_is_invented_or_reordered(loaded, emails: Path) -> None:
    """Every loaded text is made of the body's own lines, in order (nothing added, nothing moved)."""
    con, _ = loaded
    rows = con.execute("SELECT r.payload->>'body', coalesce(i.text, i.agent_text) FROM staging.interactions i "
                       "JOIN raw.records r ON r.file_id = i.file_id AND r.record_no = i.record_no").fetchall()
    assert len(rows) == 30
    for body, text in rows:
        body_lines = [line.strip() for line in body.replace("\r\n", "\n").split("\n")]
        at = 0
        for line in (t.strip() for t in text.split("\n") if t.strip()):
            at = body_lines.index(line, at) + 1     # raises if a line is not in the body after the last one
