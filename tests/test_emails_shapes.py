"""Email shapes real archives hold, each written here as a fixture: replies below and between quotes,
reply headers in other languages, raw 8-bit headers, Outlook Express boundaries, richtext, address
groups, undated mails, `From ` lines in bodies, thread keys, same-named files without Message-ID."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from pipelines.ingest import IngestOptions, identity, ingest_paths
from pipelines.ingest.email_text import richtext_to_text, split_reply
from pipelines.ingest.emails import PARSERS, mbox_messages
from pipelines.ingest.keys import keyed_hash, secret_path
from pipelines.warehouse import connect

HEAD = ("From: Kim Lee <kim@x.org>\nTo: help@acme.com\nSubject: Router\nDate: Tue, 05 Mar 2024 10:01:00 +0000\n"
        "Message-ID: <{mid}@x.org>\n")


def eml(tmp_path: Path, body: str | bytes, mid: str = "a1", head: str | None = None, name: str = "m.eml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (HEAD.format(mid=mid) if head is None else head).encode()
    path.write_bytes(header + b"\n" + (body.encode() if isinstance(body, str) else body))
    return path


def one(path: Path, options: IngestOptions = IngestOptions()):
    [rec] = PARSERS["eml" if path.suffix == ".eml" else "mbox"](path, options)
    return rec


# --- new text wherever it sits -----------------------------------------------------------------

def test_bottom_posted_reply_keeps_text_below_the_quote() -> None:
    body = "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi \nHello"  # Thunderbird, bottom-posted
    assert split_reply(body)[0] == "Hello"


def test_inline_replies_keep_every_unquoted_block_and_drop_signature() -> None:
    body = ("On Mon, 4 Mar 2024 at 09:00, Acme Support <help@acme.com> wrote:\n"
            "> Which model is it?\nThe R7000, bought in May.\n>\n> Did you restart it?\n\n"
            "Twice, it still drops every hour.\n\n> Anything else?\nNo.\n\nThanks,\nKim\n\n-- \nKim Lee\n+44 20 7946 0958")
    new, quoted, signature = split_reply(body)
    assert new == "The R7000, bought in May.\n\nTwice, it still drops every hour.\n\nNo."
    assert "Did you restart it?" in quoted and "wrote:" in quoted
    assert "+44 20 7946 0958" in signature and "Kim Lee" not in new


def test_trailer_below_a_quoted_patch_is_kept() -> None:
    body = "Jo Smith <jo@x.org> writes:\n\n> --- a/x.c\n> +++ b/x.c\n> +fix();\n\nReviewed-by: Ann Bo <ann@y.org>\n"
    assert split_reply(body)[0].endswith("Reviewed-by: Ann Bo <ann@y.org>")


@pytest.mark.parametrize("header", [
    '02.04.2012 14:20 пользователь "bob@xxx.mailgun.org" <\nbob@xxx.mailgun.org> написал:',  # Android, Russian
    "--- On Mon, 4/2/12, bob <bob@example.com> wrote:",                                      # Yahoo
    "W dniu 4.03.2024 o 09:00, Acme <help@acme.com> napisał(a):",                            # Polish
    "Dnia 4.03.2024 o 09:00 Acme <help@acme.com> napisał(a):",
    "Am 04.03.2024 um 09:00 schrieb Acme <help@acme.com>:",                                  # German
    "Jo Smith <jo@x.org> schrieb am Mo., 4. März 2024, 09:00:",
    "Le lun. 4 mars 2024 à 09:00, Acme <help@acme.com> a écrit :",                           # French
    "Acme <help@acme.com> 于2024年3月4日周一 09:00写道：",                                      # Chinese
    "在 2024年3月4日，上午9:00，Acme <help@acme.com> 写道：",
    "El lun, 4 mar 2024 a las 9:00, Acme (<help@acme.com>) escribió:",                       # Spanish
])
def test_reply_headers_in_other_languages_leave_the_customer_text(header: str) -> None:
    top = split_reply(f"Still broken.\n\n{header}\n\n> Fixed now?\n")
    bottom = split_reply(f"{header}\n> Fixed now?\n\nStill broken.")
    assert top[0] == "Still broken." and bottom[0] == "Still broken."


def test_outlook_block_cuts_the_unquoted_original() -> None:
    body = "Hello\n\nFrom: x@acme.com [mailto:x@acme.com]\nSent: March-09-12 4:22 PM\nTo: Dan\nSubject: Loop\n\nHi dan"
    assert split_reply(body)[0] == "Hello"


def test_text_that_looks_like_a_header_or_a_list_is_kept() -> None:
    assert split_reply("Data: 2024-03-01\nmy meter reading is 123")[0] == "Data: 2024-03-01\nmy meter reading is 123"
    assert split_reply("Hi,\n\n- step one\n- step two")[0] == "Hi,\n\n- step one\n- step two"
    assert split_reply("Thanks, that fixed it!\n\n> try a reboot")[0] == "Thanks, that fixed it!"


def test_mailing_list_footer_and_hyphen_signoff_are_signature() -> None:
    body = ("some entries show a negative %D.  what does that mean?\n\n- Debin\n\n\n"
            + "-" * 69 + "\nThe official User-To-User support forum.\nTo unsubscribe, e-mail: u@httpd.example\n")
    new, _, signature = split_reply(body)
    assert new == "some entries show a negative %D.  what does that mean?"
    assert "- Debin" in signature and "unsubscribe" in signature


# --- parsing edge cases ------------------------------------------------------------------------

def test_raw_8bit_headers_are_decoded_per_header(tmp_path: Path) -> None:
    head = (b"From: " + "José Müller".encode("latin-1") + b" <jose@x.org>\nTo: help@acme.com\nSubject: "
            + "关于退款的问题".encode("gb2312") + b"\nDate: Tue, 05 Mar 2024 10:01:00 +0000\nMessage-ID: <g1@x.org>\n"
            b"Content-Type: text/plain; charset=utf-8\n\n")
    path = tmp_path / "raw8.eml"
    path.write_bytes(head + "Bitte um Rückerstattung".encode())
    rec = one(path)
    assert rec.value["subject"] == "关于退款的问题" and "\ufffd" not in json.dumps(rec.payload, ensure_ascii=False)
    assert rec.payload["from"] == [identity.ref_hash("email", "jose@x.org")]     # no display name kept
    kept = one(path, IngestOptions(keep_originals=True))
    assert kept.payload["from"] == "José Müller <jose@x.org>"                     # decoded, not U+FFFD
    assert rec.value["text"] == "Bitte um Rückerstattung"


def test_rfc2047_subject_in_legacy_charset(tmp_path: Path) -> None:
    head = HEAD.format(mid="e1").replace("Subject: Router", "Subject: =?gb2312?b?ztK1xNXLtaU=?=")
    assert one(eml(tmp_path, "hello", head=head)).value["subject"] == "我的账单"


def test_outlook_express_unquoted_boundary(tmp_path: Path) -> None:
    head = HEAD.format(mid="oe1") + ("MIME-Version: 1.0\nX-Mailer: Microsoft Outlook Express 6.00.2800.1106\n"
                                     "Content-Type: multipart/alternative;\n\tboundary=----=_NextPart_000_0007_01C2A9A6.1B2C3D40\n")
    body = ("This is a multi-part message in MIME format.\n\n------=_NextPart_000_0007_01C2A9A6.1B2C3D40\n"
            "Content-Type: text/plain;\n\tcharset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n"
            "My invoice is wrong, caf=E9 charged twice.\n\n------=_NextPart_000_0007_01C2A9A6.1B2C3D40\n"
            "Content-Type: text/html;\n\tcharset=\"iso-8859-1\"\n\n<p>My invoice is wrong</p>\n\n"
            "------=_NextPart_000_0007_01C2A9A6.1B2C3D40--\n")
    assert one(eml(tmp_path, body, head=head)).value["text"] == "My invoice is wrong, café charged twice."


def test_richtext_and_enriched_bodies_become_text(tmp_path: Path) -> None:
    head = HEAD.format(mid="r1") + "MIME-Version: 1.0\nContent-Type: text/richtext\n"
    rec = one(eml(tmp_path, "My <bold>modem</bold> is dead<nl>since <lt>Monday>.<nl><nl>Kim<nl>", head=head))
    assert rec.value["text"] == "My modem is dead\nsince <Monday>.\n\nKim"
    assert richtext_to_text("Line one\nstill one\n\nTwo <<3", enriched=True) == "Line one still one\nTwo <3"


def test_bounce_with_address_group_loads(tmp_path: Path) -> None:
    head = ("From: MAILER-DAEMON@mx.acme.com\nTo: unlisted-recipients:; (no To-header on input)\n"
            "Subject: Undelivered Mail\nDate: Tue, 05 Mar 2024 10:01:00 +0000\nMessage-ID: <b1@mx.acme.com>\n")
    rec = one(eml(tmp_path, "Your message could not be delivered.", head=head))
    assert rec.error is None and rec.value["text"] == "Your message could not be delivered."
    assert rec.value["customer_ref"] == "mailer-daemon@mx.acme.com"


def test_undated_eml_rejected_with_fix_then_dated_as_asked(tmp_path: Path) -> None:
    head = "From: kim@x.org\nTo: help@acme.com\nSubject: hi\nMessage-ID: <d1@x.org>\n"
    path = eml(tmp_path, "No date on me", head=head)
    assert one(path).error.startswith("missing timestamp:") and "--occurred-at mtime" in one(path).error
    os.utime(path, (1_709_632_800, 1_709_632_800))  # 2024-03-05 10:00 UTC
    rec = one(path, IngestOptions(occurred_at="mtime"))
    assert rec.value["occurred_at"] == datetime(2024, 3, 5, 10, 0)
    named = eml(tmp_path, "No date on me", head=head, name="saved-2023-01-02T03-04-00.eml")
    rec = one(named)
    assert rec.value["occurred_at"] == datetime(2023, 1, 2, 3, 4) and "file name" in rec.warning
    x_date = eml(tmp_path, "No date on me", head=head + "X-Original-Date: Mon, 01 Jan 2024 08:00:00 +0100\n",
                 name="x.eml")
    assert one(x_date, IngestOptions(occurred_at="column:X-Original-Date")).value["occurred_at"] == datetime(2024, 1, 1, 7)
    assert "expected column:NAME" in one(path, IngestOptions(occurred_at="someday")).error


def test_from_line_inside_a_body_does_not_split_the_message(tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(
        b"From kim@x.org Tue Mar  5 10:01:00 2024\n" + HEAD.format(mid="f1").encode()
        + b"\nMy router drops.\n\nFrom what I can see it happens hourly.\n\n"
        b"From ann@y.org Tue Mar  5 11:00:00 2024\n" + HEAD.format(mid="f2").encode() + b"\nSame here.\n")
    assert [m.record_no for m in mbox_messages(path)] == [1, 2]
    first, second = PARSERS["mbox"](path, IngestOptions())
    assert first.value["text"] == "My router drops.\n\nFrom what I can see it happens hourly."
    assert second.value["text"] == "Same here."


def test_mboxrd_from_escape_is_undone_outside_quotes(tmp_path: Path) -> None:
    path = tmp_path / "rd.mbox"
    path.write_bytes(b"From kim@x.org Tue Mar  5 10:01:00 2024\n" + HEAD.format(mid="q1").encode()
                     + b"\nHello\n>From now on it works.\n\n>From: Acme\n>Subject: x\n")
    [rec] = PARSERS["mbox"](path, IngestOptions())
    assert rec.value["text"] == "Hello\nFrom now on it works."


# --- keys, ids, landing ------------------------------------------------------------------------

def test_thread_keys_are_keyed_hashes_that_survive_redaction(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    root = eml(tmp_path, "My bill is wrong.", mid="t1", name="a/root.eml")
    head = HEAD.format(mid="t2") + "In-Reply-To: <t1@x.org>\nReferences: <t1@x.org>\n"
    eml(tmp_path, "Any news?\n\nOn Tue, Kim <kim@x.org> wrote:\n> My bill is wrong.", head=head, name="b/reply.eml")
    reports = ingest_paths(con, "emails", [tmp_path / "a", tmp_path / "b"], IngestOptions())
    assert [r.loaded for r in reports] == [1, 1]
    assert con.execute("SELECT count(DISTINCT thread_id) FROM staging.interactions").fetchone()[0] == 1
    keys = con.execute("SELECT payload->>'message_id', payload->>'in_reply_to', payload->'references'->>0 "
                       "FROM raw.records ORDER BY payload->>'in_reply_to' NULLS FIRST").fetchall()
    t1 = keyed_hash("t1@x.org", "message-id")
    assert keys == [(t1, None, None), (keyed_hash("t2@x.org", "message-id"), t1, t1)]
    everything = con.execute("SELECT string_agg(payload::VARCHAR, ' ') FROM raw.records").fetchone()[0]
    assert "t1@x.org" not in everything and "[EMAIL]>" not in everything.split('"from"')[0]
    secret = secret_path(tmp_path / "w.duckdb")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and root.exists()
    con.close()
    connect(tmp_path / "w.duckdb").close()               # the same warehouse keeps its secret
    assert keyed_hash("t1@x.org", "message-id") == t1
    connect(tmp_path / "other.duckdb").close()           # another warehouse has its own
    assert keyed_hash("t1@x.org", "message-id") != t1


def test_same_named_emls_without_message_id_in_two_folders_both_load(tmp_path: Path) -> None:
    head = "From: kim@x.org\nTo: help@acme.com\nSubject: hi\nDate: Tue, 05 Mar 2024 10:01:00 +0000\n"
    eml(tmp_path, "First complaint", head=head, name="mail/jan/message.eml")
    eml(tmp_path, "Second complaint", head=head, name="mail/feb/message.eml")
    con = connect(tmp_path / "w.duckdb")
    reports = ingest_paths(con, "emails", [tmp_path / "mail"], IngestOptions())
    assert [(r.loaded, r.rejected) for r in reports] == [(1, 0), (1, 0)]
    texts = sorted(r[0] for r in con.execute("SELECT text FROM staging.interactions").fetchall())
    assert texts == ["First complaint", "Second complaint"]
    con.close()


def test_report_says_which_messages_were_dated_by_a_fallback(tmp_path: Path) -> None:
    path = tmp_path / "undated.mbox"
    path.write_bytes(b"From kim@x.org Tue Mar  5 10:01:00 2024\nFrom: kim@x.org\nTo: help@acme.com\n"
                     b"Subject: hi\nMessage-ID: <u1@x.org>\n\nNo date header here\n")
    con = connect(tmp_path / "w.duckdb")
    [report] = ingest_paths(con, "emails", [path], IngestOptions())
    assert report.loaded == 1 and "1 record(s): no Date or Received header: dated by the mbox From_ line" in report.line()
    con.close()


def test_boundary_the_stdlib_unquotes_twice_is_still_split(tmp_path: Path) -> None:
    head = HEAD.format(mid="x1") + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="<<001-3e1d-119e>>"\n'
    body = ("--<<001-3e1d-119e>>\nContent-type: text/plain\n\nthis should definitely help, thanks\n\n"
            "--<<001-3e1d-119e>>\nContent-Type: text/plain\n\nCompany disclaimer\n--<<001-3e1d-119e>>--\n")
    assert one(eml(tmp_path, body, head=head)).value["text"] == "this should definitely help, thanks"


def test_unmarked_plain_quote_is_read_from_the_html_alternative(tmp_path: Path) -> None:
    head = HEAD.format(mid="h2") + 'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="b"\n'
    body = ("--b\nContent-Type: text/plain; charset=utf-8\n\n"
            "Le 27 nov. 2017 23:02, \"Acme\" <help@acme.com> a écrit :\n\nDid a reboot help?\n\nNo, it did not.\n"
            "--b\nContent-Type: text/html; charset=utf-8\n\n"
            "<div>Le 27 nov. 2017 23:02, \"Acme\" &lt;help@acme.com&gt; a écrit :<blockquote>Did a reboot help?"
            "</blockquote></div><div>No, it did not.</div>\n--b--\n")
    assert one(eml(tmp_path, body, head=head)).value["text"] == "No, it did not."
