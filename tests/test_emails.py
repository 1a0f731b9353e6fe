"""Email parsers: .eml and .mbox, threading, quote/signature stripping, HTML bodies, encodings."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipelines.ingest.email_text import html_to_text, split_reply
from pipelines.ingest.emails import PARSERS, agent_pseudonym, company_match, detect_format, thread_roots
from pipelines.ingest.keys import keyed_hash
from pipelines.ingest.records import IngestOptions


def key(mid: str) -> str:
    return keyed_hash(mid, "message-id")

ACME = IngestOptions(brand_accounts=("acme.com",))


def message(mid: str, frm: str, to: str, body: str, date: str = "Tue, 05 Mar 2024 10:01:00 +0100",
            reply_to: str | None = None, refs: str | None = None, html: str | None = None,
            charset: str = "utf-8") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = frm, to, "Bill problem", f"<{mid}>"
    if date:
        msg["Date"] = date
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to}>"
    if refs:
        msg["References"] = refs
    if html is not None and not body:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body, charset=charset)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    return msg


def write_mbox(path: Path, messages: list[EmailMessage]) -> None:
    chunks = []
    for msg in messages:
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\n"))
        data = data.replace(b"\nFrom ", b"\n>From ")
        chunks.append(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + data + b"\n")
    path.write_bytes(b"".join(chunks))


THREAD = [
    message("m1@jo.example", "Jo Smith <Jo@Example.org>", "support@acme.com",
            "My bill is wrong, I was charged twice.\n\nBest regards,\nJo Smith\n+44 20 7946 0958"),
    message("m2@acme.com", "Dana <dana@help.acme.com>", "Jo Smith <jo@example.org>",
            "Sorry Jo, refund issued.\n\n-- \nDana, Acme Support\n\nOn Tue, 5 Mar 2024 at 10:01, Jo Smith "
            "<jo@example.org> wrote:\n> My bill is wrong, I was charged twice.",
            date="Tue, 05 Mar 2024 12:00:00 +0000", reply_to="m1@jo.example"),
    message("m3@jo.example", "jo@example.org", "support@acme.com",
            "Still not refunded!\n\nSent from my iPhone\n\n-----Original Message-----\nFrom: Dana\n"
            "Sent: Tuesday\n\nSorry Jo, refund issued.",
            date="Wed, 06 Mar 2024 09:00:00 -0500", reply_to="m2@acme.com"),
]


def test_mbox_thread_direction_and_stripping(tmp_path: Path) -> None:
    path = tmp_path / "inbox.mbox"
    write_mbox(path, THREAD)
    assert detect_format(path) == "mbox"
    recs = list(PARSERS["mbox"](path, ACME))
    assert [r.record_no for r in recs] == [1, 2, 3] and all(r.error is None for r in recs)
    m1, m2, m3 = (r.value for r in recs)
    assert {m["thread_id"] for m in (m1, m2, m3)} == {key("m1@jo.example")}
    assert m1["direction"] == "inbound" and m1["customer_ref"] == "jo@example.org" and m1["brand"] == "acme.com"
    assert m1["text"] == "My bill is wrong, I was charged twice."     # signature (with phone) cut
    assert m1["occurred_at"] == datetime(2024, 3, 5, 9, 1)
    assert m2["direction"] == "outbound" and m2["text"] is None and m2["agent_text"] == "Sorry Jo, refund issued."
    assert m2["customer_ref"] == "jo@example.org" and m2["agent_id"] == agent_pseudonym("Dana@help.acme.com")
    assert m3["text"] == "Still not refunded!" and m3["occurred_at"] == datetime(2024, 3, 6, 14, 0)
    assert m3["turns"] == [{"speaker": "customer", "text": "Still not refunded!", "begin_s": None, "end_s": None}]
    assert "Original Message" in recs[2].payload["body"]              # payload keeps the body as read


def test_eml_references_give_root_across_files(tmp_path: Path) -> None:
    path = tmp_path / "reply.eml"
    msg = message("m9@jo.example", "jo@example.org", "support@acme.com", "Any news?",
                  reply_to="m8@acme.com", refs="<m1@jo.example> <m8@acme.com>")
    path.write_bytes(bytes(msg))
    assert detect_format(path) == "eml"
    [rec] = PARSERS["eml"](path, ACME)
    assert rec.value["thread_id"] == key("m1@jo.example") and rec.value["source_id"] == key("m9@jo.example")
    assert rec.payload["message_id"] == key("m9@jo.example") and rec.payload["in_reply_to"] == key("m8@acme.com")
    assert rec.payload["references"] == [key("m1@jo.example"), key("m8@acme.com")]


def test_thread_roots_follow_in_reply_to_chain() -> None:
    roots = thread_roots({"a": (None, []), "b": ("a", []), "c": ("b", []), "x": ("gone", []), "l1": ("l2", []),
                          "l2": ("l1", [])})
    assert roots["c"] == "a" and roots["b"] == "a" and roots["x"] == "gone"
    assert roots["l1"] in {"l1", "l2"}                                 # a loop ends, it does not hang


def test_html_only_body(tmp_path: Path) -> None:
    html = ("<html><head><style>p{color:red}</style></head><body><p>My router&nbsp;is <b>dead</b>.</p>"
            "<div>Please help</div><blockquote>old text we sent</blockquote></body></html>")
    path = tmp_path / "h.eml"
    path.write_bytes(bytes(message("h1@x.org", "kim@x.org", "help@acme.com", "", html=html)))
    [rec] = PARSERS["eml"](path, ACME)
    assert rec.value["text"] == "My router is dead.\n\nPlease help"
    assert "color" not in html_to_text(html) and "> old text we sent" in html_to_text(html)


@pytest.mark.parametrize("body, new", [
    ("Hello\n\nOn Mon, Mar 4, 2024 at 9:00 AM Acme Support <help@acme.com>\nwrote:\n> hi", "Hello"),
    ("Hallo\n\nAm 04.03.2024 um 09:00 schrieb Acme <help@acme.com>:\n> hi", "Hallo"),
    ("Bonjour\n\nLe lun. 4 mars 2024 à 09:00, Acme <help@acme.com> a écrit :\n> hi", "Bonjour"),
    ("Dzień dobry\n\nW dniu 4.03.2024 o 09:00 Acme pisze:\n> hi", "Dzień dobry"),
    ("Top\n\nFrom: Acme Support\nSent: Monday, March 4, 2024 9:00 AM\nTo: me\nSubject: x\n\nold", "Top"),
    ("Thanks for the fast help yesterday, but it broke again.\n\nCheers,\nKim", 
     "Thanks for the fast help yesterday, but it broke again."),
    ("Thanks,\nthe app still crashes when I open it\nand I cannot log in\nat all\nsince Monday\nplease\nfix\nit\nnow",
     "Thanks,\nthe app still crashes when I open it\nand I cannot log in\nat all\nsince Monday\nplease\nfix\nit\nnow"),
    ("Where is my order?\nSent from my Galaxy", "Where is my order?"),
    ("> quoted only\n> more", ""),
])
def test_split_reply(body: str, new: str) -> None:
    assert split_reply(body)[0] == new


def test_rejects_quote_only_and_dates_undated_mbox_by_from_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.mbox"
    write_mbox(path, [message("q1@x.org", "kim@x.org", "help@acme.com", "> only quoted text"),
                      message("q2@x.org", "kim@x.org", "help@acme.com", "no date here", date="")])
    recs = list(PARSERS["mbox"](path, ACME))
    assert recs[0].error.startswith("missing text:")
    assert recs[1].error is None and recs[1].value["occurred_at"] == datetime(2024, 1, 1)  # its From_ line
    assert recs[1].warning == "no Date or Received header: dated by the mbox From_ line"


def test_empty_eml_and_mbox(tmp_path: Path) -> None:
    for name, fmt in (("e.eml", "eml"), ("e.mbox", "mbox")):
        path = tmp_path / name
        path.write_bytes(b"")
        assert list(PARSERS[fmt](path, ACME)) == []


@pytest.mark.parametrize("charset, text", [("gb18030", "我的账单错了，请退款"), ("cp1250", "Zażółć gęślą jaźń"),
                                           ("utf-8", "Ünïcödé ✓"), ("latin-1", "facture erronée")])
def test_body_charsets(tmp_path: Path, charset: str, text: str) -> None:
    path = tmp_path / "c.eml"
    path.write_bytes(bytes(message("c1@x.org", "kim@x.org", "help@acme.com", text, charset=charset)))
    [rec] = PARSERS["eml"](path, ACME)
    assert rec.value["text"] == text


def test_undeclared_8bit_body_uses_encoding_option(tmp_path: Path) -> None:
    raw = ("From: kim@x.org\nTo: help@acme.com\nDate: Tue, 05 Mar 2024 10:01:00 +0000\nMessage-ID: <u1@x.org>\n"
           "Subject: hi\n\nReklamacja: zły rachunek, proszę o zwrot\n").encode("cp1250")
    path = tmp_path / "u.eml"
    path.write_bytes(raw)
    [rec] = PARSERS["eml"](path, IngestOptions(encoding="cp1250"))
    assert rec.value["text"] == "Reklamacja: zły rachunek, proszę o zwrot"


def test_company_match() -> None:
    assert company_match("support@acme.com", ("support@acme.com",)) == "support@acme.com"
    assert company_match("other@acme.com", ("support@acme.com",)) is None
    assert company_match("a@mail.acme.com", ("@acme.com",)) == "acme.com"
    assert company_match("a@notacme.com", ("acme.com",)) is None


def test_land_mbox_through_core(tmp_path: Path) -> None:
    from pipelines.ingest import load
    from pipelines.warehouse import connect

    path = tmp_path / "inbox.mbox"
    write_mbox(path, THREAD)
    con = connect(tmp_path / "w.duckdb")
    report = load.land(con, path, "emails", "mbox", PARSERS["mbox"](path, ACME), ACME, None)
    assert (report.read, report.loaded, report.rejected) == (3, 3, 0)
    rows = con.execute("SELECT direction, count(DISTINCT thread_id) FROM staging.interactions GROUP BY 1 ORDER BY 1"
                       ).fetchall()
    assert rows == [("inbound", 1), ("outbound", 1)]
    payload = con.execute("SELECT payload::VARCHAR FROM raw.records WHERE record_no = 1").fetchone()[0]
    assert "+44 20 7946 0958" not in payload and "[PHONE]" in payload
