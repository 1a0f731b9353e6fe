"""Email formats: `.eml` files (one message) and `.mbox` archives (many), read with the stdlib.

Each message becomes one interaction on channel `email`:
- `direction` is outbound when From is the company: an address in `brand_accounts`
  (`support@acme.com`) or an address at a company domain given there (`acme.com` or `@acme.com`,
  subdomains included); else inbound. `customer_ref` is the customer's address (the sender of an
  inbound mail, the first non-company recipient of an outbound one).
- `text` (inbound) or `agent_text` (outbound) is the author's own text wherever it sits (above,
  below or between quotes); quotes, reply headers and signatures are cut
  (`pipelines.ingest.email_text`). HTML-only mails are converted to text, so are `text/richtext`
  and `text/enriched` bodies.
- Thread keys are keyed hashes (`pipelines.ingest.keys.keyed_hash`, kind `message-id`), never the
  ids in clear (a Message-ID often holds its author's address): `source_id` is the key of the
  Message-ID (a message without one: a digest of its bytes, so two such files with the same name in
  two folders are two messages), `thread_id` the key of the root Message-ID: the first `References`
  entry, else the `In-Reply-To` chain followed inside the file, else the message's own id. The raw
  payload holds the same keys for `message_id`, `in_reply_to` and `references`.
- `occurred_at` is the `Date` header (RFC 2822), else the newest `Received` stamp, else what
  `--occurred-at` chooses (`mtime`, `filename[:PATTERN]`, `column:HEADER`), else the mbox `From `
  line's date or a time in the file name (said in the file's report as a warning), else the message
  is rejected naming those choices (an undated mail is never silently given the file's mtime).

Messages are parsed with the `compat32` policy (it reads what real archives hold: Outlook Express's
unquoted `boundary=----=_NextPart_...`, address groups such as `unlisted-recipients:;`); headers
are decoded here: RFC 2047 words by their charset, raw 8-bit bytes by detection per header.
An mbox is split only at `From ` lines after a blank line and before a header line (a `From ` line
inside a body does not start a message); a body's `>From ` escape is undone where it is not a quote.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines.ingest import file_dates, identity
from pipelines.ingest.email_text import html_to_text, richtext_to_text, split_reply
from pipelines.ingest.encoding import decode_legacy, mail_codec
from pipelines.ingest.keys import keyed_hash
from pipelines.ingest.records import IngestOptions, Parsed
from pipelines.ingest.timeparse import parse_timestamp

# What a broken message can raise from the stdlib email package while headers/bodies are decoded.
MESSAGE_ERRORS = (ValueError, LookupError, TypeError, IndexError, AttributeError, email.errors.MessageError)
HEADER_START = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"received:", b"return-path:",
                b"mime-version:", b"delivered-to:", b"x-", b"reply-to:", b"cc:")
ID_KIND = "message-id"
AGENT_PREFIX, AGENT_CHARS = "agent-", 16
BODY_TYPES = ("plain", "html", "enriched", "richtext")
HEADER_LINE_RE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
FROM_LINE_RE = re.compile(rb"^From (\S+)(?: +(.*?))?\s*$")
_PARSER = BytesParser(_class=EmailMessage, policy=policy.compat32)
_HEADERS_ONLY = BytesParser(_class=EmailMessage, policy=policy.compat32)


def detect_format(path: Path) -> str | None:
    """`eml` or `mbox` from the extension, else from the first bytes; None when not an email file."""
    suffix = path.suffix.lower()
    if suffix == ".eml":
        return "eml"
    if suffix in {".mbox", ".mbx"}:
        return "mbox"
    with open(path, "rb") as fh:
        head = fh.read(512).lstrip()
    if head.startswith(b"From "):
        return "mbox"
    if head.lower().startswith(HEADER_START):
        return "eml"
    return None


# --- raw messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawMessage:
    """One message's bytes as stored, with the date of its mbox `From ` line (None in an .eml)."""

    record_no: int
    data: bytes
    envelope_date: str | None = None
    in_mbox: bool = False


def mbox_messages(path: Path) -> Iterator[RawMessage]:
    """The messages of an mbox archive, streamed; record_no = position from 1.

    A `From ` line separates messages only at the start of the file or after a blank line, and
    only when a header line follows it (mboxo/mboxrd writers quote body lines as `>From `, but
    many archives hold unquoted ones).
    """
    record_no, current, envelope = 0, bytearray(), None
    held: bytes | None = None  # a candidate separator, decided by the line after it
    previous_blank, started = True, False

    def finish() -> RawMessage | None:
        if not started:
            return None
        data = bytes(current)
        if data.endswith(b"\r\n\r\n"):
            data = data[:-2]  # the blank line before the next From_ line
        elif data.endswith(b"\n\n"):
            data = data[:-1]
        return RawMessage(record_no, data, envelope, in_mbox=True)

    with open(path, "rb") as fh:
        for line in fh:
            if held is not None:
                if HEADER_LINE_RE.match(line):
                    message = finish()
                    if message is not None and message.data.strip():
                        yield message
                    match = FROM_LINE_RE.match(held)
                    record_no += 1
                    current, started = bytearray(), True
                    envelope = match.group(2).decode("latin-1") if match and match.group(2) else None
                else:
                    current += held
                held = None
            if line.startswith(b"From ") and previous_blank:
                held = line
            elif started or line.strip():
                if not started:  # an mbox that does not start with a From_ line: one message
                    record_no, started = 1, True
                current += line
            previous_blank = not line.strip()
        if held is not None:
            current += held
    message = finish()
    if message is not None and message.data.strip():
        yield message


def _unescape_from(body: str) -> str:
    """Undo mbox `>From ` quoting on lines that are not part of a `>` quote (mboxo/mboxrd)."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(">From "):
            before = lines[i - 1] if i else ""
            after = lines[i + 1] if i + 1 < len(lines) else ""
            if not before.startswith(">") and not after.startswith(">"):
                lines[i] = line[1:]
    return "\n".join(lines)


# --- headers -------------------------------------------------------------------------------------


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).strip()


def header_text(value: str | None, fallback: str | None = None) -> str:
    """A header as readable text: RFC 2047 words decoded by their charset, raw 8-bit bytes by
    detection (`fallback`, the message's body charset, tried first).

    >>> header_text("=?gb2312?b?ztK1xNXLtaU=?= 2024")
    '我的账单 2024'
    """
    if value is None:
        return ""
    value = _unfold(str(value))
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = decode_legacy(value.encode("ascii", "surrogateescape"), fallback)
    if "=?" not in value:
        return value
    try:
        parts = email.header.decode_header(value)
    except (ValueError, email.errors.HeaderParseError):
        return value
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        try:
            out.append(chunk.decode(mail_codec(charset)) if charset and charset != "unknown-8bit" else
                       decode_legacy(chunk, fallback))
        except (UnicodeDecodeError, ValueError, LookupError):
            out.append(decode_legacy(chunk, fallback))
    # decode_header drops the blanks between an encoded word and plain text; keep one
    text = ""
    for piece in out:
        text += piece if not text or text.endswith(" ") or piece.startswith(" ") else " " + piece
    return re.sub(r"\s+", " ", text).strip()


class Headers:
    """A message's headers: raw (for ids, addresses, dates) and decoded (for text), each once."""

    def __init__(self, msg: EmailMessage, fallback: str | None = None) -> None:
        self.msg = msg
        self.fallback = fallback
        self._raw: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self._raw.setdefault(name.lower(), []).append(_unfold(str(value)))

    def raw(self, name: str) -> str | None:
        """The first such header unfolded but undecoded, None when absent."""
        values = self._raw.get(name.lower())
        return values[0] if values else None

    def raw_all(self, name: str) -> list[str]:
        """Every such header, unfolded, undecoded."""
        return list(self._raw.get(name.lower(), ()))

    def text(self, name: str) -> str:
        """The first such header as readable text ('' when absent)."""
        return header_text(self.raw(name), self.fallback)


def _ids(value: str | None) -> list[str]:
    return [token.strip("<>") for token in str(value or "").replace(",", " ").split() if "@" in token]


def _addresses(msg: Headers, *headers: str) -> list[str]:
    """The addresses of the given headers (groups such as `unlisted-recipients:;` hold none)."""
    return list(_addresses_of(tuple(v for h in headers for v in msg.raw_all(h))))


@lru_cache(maxsize=8192)
def _addresses_of(values: tuple[str, ...]) -> tuple[str, ...]:
    # a mailbox repeats its From/To lines (the support address, each customer's): parsed once each
    return tuple(addr.lower() for _, addr in email.utils.getaddresses(list(values)) if "@" in addr)


def company_match(address: str, accounts: tuple[str, ...]) -> str | None:
    """The `brand_accounts` entry `address` belongs to (an exact address or a domain), else None.

    >>> company_match("dana@help.acme.com", ("acme.com",))
    'acme.com'
    """
    address = address.lower()
    domain = address.rsplit("@", 1)[-1]
    for account in accounts:
        account = account.strip().lower()
        if "@" in account.lstrip("@"):
            if address == account:
                return account
        elif domain == account.lstrip("@") or domain.endswith("." + account.lstrip("@")):
            return account.lstrip("@")
    return None


# --- body ----------------------------------------------------------------------------------------


def decode_bytes(data: bytes, declared: str | None, override: str | None = None) -> str:
    """Text of a MIME part: `--encoding` wins, then the part's charset, then UTF-8, then legacy code pages."""
    if override:
        try:
            return data.decode(mail_codec(override))
        except (UnicodeDecodeError, ValueError):
            pass
    return decode_legacy(data, declared)


def _leaves(msg: EmailMessage) -> Iterator[EmailMessage]:
    """The message's own leaf parts (not those of a message/rfc822 it carries), in order."""
    if msg.is_multipart():
        for part in msg.get_payload():
            if isinstance(part, EmailMessage) and part.get_content_type() != "message/rfc822":
                yield from _leaves(part)
    else:
        yield msg


def _is_attachment(part: EmailMessage) -> bool:
    return part.get_content_disposition() == "attachment"


def _body_part(msg: EmailMessage) -> EmailMessage | None:
    """The part to read the text from: plain first, then HTML, enriched, richtext (not attachments).

    (`EmailMessage.get_body` needs the `default` policy's header objects; compat32 gives strings.)
    """
    texts = [p for p in _leaves(msg) if p.get_content_maintype() == "text" and not _is_attachment(p)]
    for subtype in BODY_TYPES:
        for part in texts:
            if part.get_content_subtype() == subtype:
                return part
    return None


def body_charset(msg: EmailMessage) -> str | None:
    """The declared charset of the message's body part (headers in raw 8-bit usually share it)."""
    part = _body_part(msg)
    return part.get_content_charset() if part is not None else None


def _part_text(part: EmailMessage, override: str | None) -> str:
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        return decode_bytes(raw, part.get_content_charset(), override)
    return str(part.get_payload())


def body_text(msg: EmailMessage, override: str | None = None) -> str:
    """The message's readable body: its text/plain part, else its HTML, enriched or richtext part as text.

    When the plain part marks no quote (`>`) but an HTML alternative has a `<blockquote>`, the HTML
    is read instead: mobile clients paste the quote unmarked into the plain part, and only the
    HTML then tells the author's words from the quote.
    """
    part = _body_part(msg)
    if part is None:
        return ""
    text = _part_text(part, override)
    subtype = part.get_content_subtype()
    if subtype == "plain" and not re.search(r"^\s*>", text, re.MULTILINE):
        html = next((p for p in _leaves(msg) if p.get_content_type() == "text/html" and not _is_attachment(p)), None)
        if html is not None:
            markup = _part_text(html, override)
            if "<blockquote" in markup.lower():
                return html_to_text(markup)
    if subtype == "html":
        return html_to_text(text)
    if subtype in ("richtext", "enriched"):
        return richtext_to_text(text, enriched=subtype == "enriched")
    return text


def _attachments(msg: Headers) -> list[str]:
    """The file names of the message's attachments (decoded like headers)."""
    names = []
    for part in _leaves(msg.msg):
        if not _is_attachment(part) and part.get_content_maintype() == "text":
            continue
        name = _param(part, "content-disposition", "filename", msg.fallback) or _param(
            part, "content-type", "name", msg.fallback)
        if name:
            names.append(name)
    return names


def _param(part: EmailMessage, header: str, name: str, fallback: str | None) -> str | None:
    """A header parameter decoded like a header (compat32's get_param turns raw 8-bit into U+FFFD)."""
    raw = next((str(v) for k, v in part.raw_items() if k.lower() == header), None)
    if raw is None:
        return None
    decoded = Message()
    decoded[header] = header_text(raw, fallback)
    value = decoded.get_param(name, header=header)
    return header_text(email.utils.collapse_rfc2231_value(value), fallback) if value else None


# --- records -------------------------------------------------------------------------------------


def _key(mid: str | None) -> str | None:
    return keyed_hash(mid, ID_KIND) if mid else None


def _hashed(msg: Headers, header: str) -> list[str] | None:
    """The addresses of `header` as keyed email hashes (`identity.ref_hash`), None when it has none."""
    return [identity.ref_hash("email", a) for a in _addresses(msg, header)] or None


def agent_pseudonym(address: str) -> str:
    """`agent-khdpaejf...`: how an agent who wrote from `address` is shown (an address is personal data)."""
    return AGENT_PREFIX + keyed_hash(address.lower(), "agent-email")[:AGENT_CHARS]


def _payload(msg: Headers, body: str, keep_originals: bool = False) -> dict[str, Any]:
    mid, parent = _ids(msg.raw("Message-ID")), _ids(msg.raw("In-Reply-To"))
    return {
        "message_id": _key(mid[0]) if mid else None,
        "in_reply_to": _key(parent[0]) if parent else None,
        "references": [_key(r) for r in _ids(msg.raw("References"))] or None,
        # Who wrote to whom, as the keyed hashes staging stitches on: display names and addresses
        # are personal data, and raw keeps them only as keys (with --keep-originals as read).
        **({"from": msg.text("From"), "to": msg.text("To"), "cc": msg.text("Cc")} if keep_originals else
           {"from": _hashed(msg, "From"), "to": _hashed(msg, "To"), "cc": _hashed(msg, "Cc")}),
        "date": msg.text("Date"), "subject": msg.text("Subject"),
        "body": body,
        "attachments": _attachments(msg),
    }


def thread_roots(headers: dict[str, tuple[str | None, list[str]]]) -> dict[str, str]:
    """Message-ID -> root Message-ID, from (In-Reply-To, References) per message of one file."""
    roots: dict[str, str] = {}

    def root(mid: str, seen: set[str]) -> str:
        if mid in roots:
            return roots[mid]
        parent, refs = headers.get(mid, (None, []))
        if refs:
            found = refs[0]
        elif parent and parent in headers and parent not in seen:
            found = root(parent, seen | {mid})
        else:
            found = parent or mid
        roots[mid] = found
        return found

    for mid in headers:
        root(mid, set())
    return roots


def _received_stamp(msg: Headers) -> str | None:
    stamps = [r.rsplit(";", 1)[-1].strip() for r in msg.raw_all("Received") if ";" in r]
    return stamps[0] if stamps else None


def _envelope_time(stamp: str, timezone: str) -> datetime | None:
    """The date of an mbox From_ line (`Fri Jun 02 20:26:01 2006`, sometimes with a zone)."""
    words = stamp.split()
    for fmt, n in (("%a %b %d %H:%M:%S %Y", 5), ("%a %b %d %H:%M:%S %Y %z", 6), ("%a %b %d %H:%M:%S %z %Y", 6)):
        try:
            moment = datetime.strptime(" ".join(words[:n]), fmt)
        except ValueError:
            continue
        return parse_timestamp(moment.isoformat(), timezone)
    return None


MISSING_DATE = ("missing timestamp: no Date or Received header, and no time in the file name; date the "
                "file's undated messages with --occurred-at mtime (the file's modification time), "
                "filename:PATTERN or column:HEADER")


def _when(msg: Headers, path: Path, raw: RawMessage, options: IngestOptions) -> tuple[Any, str | None]:
    """(occurred_at, a warning for the file's report when it came from a fallback).

    The Date header, else the newest Received stamp; else `--occurred-at` (`column:HEADER` reads
    another header, `mtime`, `filename[:PATTERN]`, as `pipelines.ingest.file_dates`); without it the
    mbox From_ line's date, else a time in the file name. The file's mtime only when asked for.
    """
    date = msg.raw("Date") or _received_stamp(msg)
    if date is not None:
        try:
            return parse_timestamp(date, options.timezone), None
        except ValueError as exc:
            raise ValueError(f"unparseable timestamp: Date {date[:60]!r}") from exc
    fallback = file_dates.parse_fallback(getattr(options, "occurred_at", None))
    if fallback.how == "column":
        value = msg.raw(fallback.arg or "")
        if not value:
            raise ValueError(f"missing timestamp: no Date, Received or {fallback.arg} header (--occurred-at)")
        try:
            return parse_timestamp(value, options.timezone), None
        except ValueError as exc:
            raise ValueError(f"unparseable timestamp: {fallback.arg} {value[:60]!r}") from exc
    if fallback.how == "auto" and raw.envelope_date:
        moment = _envelope_time(raw.envelope_date, options.timezone)
        if moment is not None:
            return moment, "no Date or Received header: dated by the mbox From_ line"
    if fallback.how == "auto":
        named = file_dates.time_in_name(path.name)
        if named is not None:
            return named, "no Date or Received header: dated by the time in the file name"
        raise ValueError(MISSING_DATE)
    moment, origin, _warning = file_dates.file_date(path, fallback)
    if moment is None:
        raise ValueError(origin)
    return moment, None


def _message_value(msg: Headers, body: str, path: Path, raw: RawMessage, thread_id: str | None,
                   options: IngestOptions) -> tuple[dict[str, Any], str | None]:
    accounts = tuple(options.brand_accounts) + tuple(getattr(options, "company_domains", ()) or ())
    sender = next(iter(_addresses(msg, "From")), None)
    recipients = _addresses(msg, "To", "Cc")
    brand = company_match(sender, accounts) if sender else None
    outbound = brand is not None
    customer = next((a for a in recipients if not company_match(a, accounts)), None) if outbound else sender
    if not outbound:
        brand = next((m for m in (company_match(a, accounts) for a in recipients) if m), None)
    new, _quoted, _signature = split_reply(_unescape_from(body) if raw.in_mbox else body)
    if not new:
        attached = _attachments(msg)
        if not body.strip() and attached:
            raise ValueError(f"missing text: no text part, only {len(attached)} attachment(s)")
        raise ValueError("missing text: no new text (only a quoted reply or a signature)")
    occurred, warning = _when(msg, path, raw, options)
    mid = _ids(msg.raw("Message-ID"))
    value = {
        "source_id": _key(mid[0]) if mid else "sha256:" + hashlib.sha256(raw.data).hexdigest()[:32],
        "channel": "email",
        "direction": "outbound" if outbound else "inbound",
        "customer_ref_type": "email" if customer else None,
        "customer_ref": customer,
        "occurred_at": occurred,
        "text": None if outbound else new,
        "agent_text": new if outbound else None,
        "subject": msg.text("Subject") or None,
        "agent_id": agent_pseudonym(sender) if outbound else None,
        "thread_id": thread_id,
        "brand": brand,
        "turns": [{"speaker": "agent" if outbound else "customer", "text": new, "begin_s": None, "end_s": None}],
    }
    return value, warning


BOUNDARY_RE = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))', re.IGNORECASE)


def _fix_boundary(data: bytes) -> bytes | None:
    """`data` with its top-level boundary renamed to a plain token, when the stdlib mangles it.

    The stdlib unquotes a boundary twice, so `boundary="<<001-3e1d>>"` (Exchange 2003) becomes
    `<001-3e1d>` and no part is found; a plain token is read as written.
    """
    head_end = data.find(b"\n\n") if b"\n\n" in data else len(data)
    match = BOUNDARY_RE.search(data, 0, head_end)
    if match is None:
        return None
    raw = match.group(1) or match.group(2)
    token = b"voc-boundary-" + hashlib.sha1(raw).hexdigest()[:16].encode()
    if b"--" + raw not in data[head_end:]:
        return None
    head = data[: match.start()] + b'boundary="' + token + b'"' + data[match.end(): head_end]
    return head + data[head_end:].replace(b"--" + raw, b"--" + token)


def _parse(data: bytes, headersonly: bool = False) -> Headers:
    msg = (_HEADERS_ONLY if headersonly else _PARSER).parsebytes(data, headersonly=headersonly)
    if not headersonly and any(isinstance(d, email.errors.StartBoundaryNotFoundDefect) for d in msg.defects):
        fixed = _fix_boundary(data)
        if fixed is not None:
            msg = _PARSER.parsebytes(fixed)
    return Headers(msg, None if headersonly else body_charset(msg))


def parse_messages(path: Path, read: Callable[[], Iterable[RawMessage]], options: IngestOptions) -> Iterator[Parsed]:
    """Parsed records for raw RFC 5322 messages of one file; threads resolved across the file.

    Two passes over `read()`, so memory stays flat on a large mbox: the first parses headers only to
    build the file's thread map; the second parses one message at a time and yields it.
    """
    failed: dict[int, str] = {}
    headers: dict[str, tuple[str | None, list[str]]] = {}
    for raw in read():
        try:
            msg = _parse(raw.data, headersonly=True)
            mid = _ids(msg.raw("Message-ID"))
            if mid:
                parent = _ids(msg.raw("In-Reply-To"))
                headers[mid[0]] = (parent[0] if parent else None, _ids(msg.raw("References")))
        except MESSAGE_ERRORS as exc:
            failed[raw.record_no] = f"malformed message: {exc}"
    roots = thread_roots(headers)
    for raw in read():
        error = failed.get(raw.record_no)
        if error is None:
            try:
                msg = _parse(raw.data)
            except MESSAGE_ERRORS as exc:
                error = f"malformed message: {exc}"
        if error is not None:
            yield Parsed(raw.record_no, {"excerpt": raw.data[:200].decode("latin-1")}, error=error)
            continue
        try:
            body = body_text(msg.msg, options.encoding)
            payload = _payload(msg, body, options.keep_originals)
        except MESSAGE_ERRORS as exc:
            yield Parsed(raw.record_no, {"excerpt": msg.text("Subject")}, error=f"malformed message: {exc}")
            continue
        mid = _ids(msg.raw("Message-ID"))
        root = roots.get(mid[0]) if mid else None
        try:
            value, warning = _message_value(msg, body, path, raw, _key(root), options)
        except MESSAGE_ERRORS as exc:
            yield Parsed(raw.record_no, payload, error=str(exc) if ":" in str(exc) else f"malformed message: {exc}")
            continue
        yield Parsed(raw.record_no, payload, value=value, warning=warning)


def parse_eml(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """One message per `.eml` file; an empty file yields nothing."""
    data = path.read_bytes()
    if not data.strip():
        return
    yield from parse_messages(path, lambda: [RawMessage(1, data)], options)


def parse_mbox(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """Every message of an mbox archive, record_no = its position (from 1)."""
    yield from parse_messages(path, lambda: mbox_messages(path), options)


PARSERS: dict[str, Callable[[Path, IngestOptions], Iterator[Parsed]]] = {"eml": parse_eml, "mbox": parse_mbox}
