"""Email formats: `.eml` files (one message) and `.mbox` archives (many), read with the stdlib.

Each message becomes one interaction on channel `email`:
- `direction` is outbound when From is the company: an address in `brand_accounts`
  (`support@acme.com`) or an address at a company domain given there (`acme.com` or `@acme.com`,
  subdomains included); else inbound. `customer_ref` is the customer's address (the sender of an
  inbound mail, the first non-company recipient of an outbound one).
- `text` (inbound) or `agent_text` (outbound) is the new text only: quoted replies and signatures
  are cut (`pipelines.ingest.email_text`); HTML-only mails are converted to text.
- `thread_id` is the root Message-ID: the first `References` entry, else the `In-Reply-To` chain
  followed inside the file, else the message's own id. Across separate `.eml` files a reply that
  carries only `In-Reply-To` gets its parent's id (mail clients send `References`, so this is rare).
- `occurred_at` is the `Date` header (RFC 2822), else the newest `Received` stamp.
"""

from __future__ import annotations

import email.errors
import email.utils
import mailbox
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from pipelines.ingest.email_text import html_to_text, split_reply
from pipelines.ingest.encoding import LEGACY_CANDIDATES, normalise_encoding
from pipelines.ingest.records import IngestOptions, Parsed
from pipelines.ingest.timeparse import parse_timestamp

# What a broken message can raise from the stdlib email package while headers/bodies are decoded.
MESSAGE_ERRORS = (ValueError, LookupError, TypeError, IndexError, AttributeError, email.errors.MessageError)
HEADER_START = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"received:", b"return-path:",
                b"mime-version:", b"delivered-to:", b"x-", b"reply-to:", b"cc:")


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


def decode_bytes(data: bytes, declared: str | None, override: str | None = None) -> str:
    """Text of a MIME part: `--encoding` wins, then the part's charset, then UTF-8, then legacy code pages."""
    for name in (override, declared):
        if name:
            try:
                return data.decode(normalise_encoding(name))
            except (UnicodeDecodeError, ValueError):
                continue
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only undeclared legacy bodies need it

    best = from_bytes(data, cp_isolation=list(LEGACY_CANDIDATES)).best()
    return data.decode(best.encoding if best else "latin-1", errors="replace")


def body_text(msg: EmailMessage, override: str | None = None) -> str:
    """The message's readable body: its text/plain part, else its text/html part as text."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        text = decode_bytes(raw, part.get_content_charset(), override)
    else:
        text = str(part.get_payload())
    return html_to_text(text) if part.get_content_type() == "text/html" else text


class _Headers:
    """A message's header values, each parsed once: policy.default parses a header on every access,
    which made the address and id headers most of an mbox's ingest time."""

    def __init__(self, msg: EmailMessage) -> None:
        self.msg = msg
        self._raw: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self._raw.setdefault(name.lower(), []).append(value)
        self._parsed: dict[tuple[str, int], str] = {}

    def _value(self, name: str, index: int) -> str:
        key = (name.lower(), index)
        if key not in self._parsed:
            # str(): the parsed header object keeps its parse tree, several KB a message
            self._parsed[key] = str(self.msg.policy.header_fetch_parse(name, self._raw[key[0]][index]))
        return self._parsed[key]

    def get(self, name: str) -> str | None:
        """As `msg.get(name)`: the first such header, None when absent."""
        return self._value(name, 0) if name.lower() in self._raw else None

    def get_all(self, name: str) -> list[str]:
        """As `msg.get_all(name) or []`."""
        return [self._value(name, i) for i in range(len(self._raw.get(name.lower(), ())))]


def _ids(value: object) -> list[str]:
    return [token.strip("<>") for token in str(value or "").replace(",", " ").split() if "@" in token]


def _addresses(msg: _Headers, *headers: str) -> list[str]:
    values = [str(v) for h in headers for v in msg.get_all(h)]
    return [addr.lower() for _, addr in email.utils.getaddresses(values) if "@" in addr]


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


def _when(msg: _Headers, timezone: str) -> Any:
    date = msg.get("Date")
    if date is None:
        received = msg.get_all("Received")
        stamps = [str(r).rsplit(";", 1)[-1].strip() for r in received if ";" in str(r)]
        if not stamps:
            raise ValueError("missing timestamp: no Date or Received header")
        date = stamps[0]
    try:
        return parse_timestamp(str(date), timezone)
    except ValueError as exc:
        raise ValueError(f"unparseable timestamp: Date {str(date)[:60]!r}") from exc


def _payload(msg: _Headers, body: str) -> dict[str, Any]:
    return {
        "message_id": str(msg.get("Message-ID") or "").strip() or None,
        "in_reply_to": str(msg.get("In-Reply-To") or "").strip() or None,
        "references": str(msg.get("References") or "").strip() or None,
        "from": str(msg.get("From") or ""), "to": str(msg.get("To") or ""), "cc": str(msg.get("Cc") or ""),
        "date": str(msg.get("Date") or ""), "subject": str(msg.get("Subject") or ""),
        "body": body,
        "attachments": [p.get_filename() for p in msg.msg.iter_attachments() if p.get_filename()],
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


def _message_value(msg: _Headers, body: str, path: Path, record_no: int, thread_id: str | None,
                   options: IngestOptions) -> dict[str, Any]:
    accounts = tuple(options.brand_accounts) + tuple(getattr(options, "company_domains", ()) or ())
    sender = next(iter(_addresses(msg, "From")), None)
    recipients = _addresses(msg, "To", "Cc")
    brand = company_match(sender, accounts) if sender else None
    outbound = brand is not None
    customer = next((a for a in recipients if not company_match(a, accounts)), None) if outbound else sender
    if not outbound:
        brand = next((m for m in (company_match(a, accounts) for a in recipients) if m), None)
    new, _quoted, _signature = split_reply(body)
    if not new:
        raise ValueError("missing text: no new text (only a quoted reply or a signature)")
    mid = _ids(msg.get("Message-ID"))
    return {
        "source_id": mid[0] if mid else f"{path.name}#{record_no}",
        "channel": "email",
        "direction": "outbound" if outbound else "inbound",
        "customer_ref_type": "email" if customer else None,
        "customer_ref": customer,
        "occurred_at": _when(msg, options.timezone),
        "text": None if outbound else new,
        "agent_text": new if outbound else None,
        "subject": str(msg.get("Subject") or "").strip() or None,
        "agent_id": sender if outbound else None,
        "thread_id": thread_id,
        "brand": brand,
        "turns": [{"speaker": "agent" if outbound else "customer", "text": new, "begin_s": None, "end_s": None}],
    }


def parse_messages(path: Path, messages: list[tuple[int, bytes]], options: IngestOptions) -> Iterator[Parsed]:
    """Parsed records for raw RFC 5322 messages of one file; threads resolved across the file.

    Two passes, so memory stays flat on a large mbox: the first parses headers only to build the
    file's thread map; the second parses one message at a time and yields it (keeping every parsed
    message of a 375k-message archive took several GB).
    """
    parser = BytesParser(policy=policy.default)
    failed: dict[int, str] = {}
    headers: dict[str, tuple[str | None, list[str]]] = {}
    for record_no, data in messages:
        try:
            msg = _Headers(parser.parsebytes(data, headersonly=True))
            mid = _ids(msg.get("Message-ID"))
            if mid:
                parent = _ids(msg.get("In-Reply-To"))
                headers[mid[0]] = (parent[0] if parent else None, _ids(msg.get("References")))
        except MESSAGE_ERRORS as exc:
            failed[record_no] = f"malformed message: {exc}"
    roots = thread_roots(headers)
    for record_no, data in messages:
        error = failed.get(record_no)
        if error is None:
            try:
                msg = _Headers(parser.parsebytes(data))
            except MESSAGE_ERRORS as exc:
                error = f"malformed message: {exc}"
        if error is not None:
            yield Parsed(record_no, {"excerpt": data[:200].decode("latin-1")}, error=error)
            continue
        try:
            body = body_text(msg.msg, options.encoding)
            payload = _payload(msg, body)
        except MESSAGE_ERRORS as exc:
            yield Parsed(record_no, {"excerpt": str(msg.get("Subject") or "")}, error=f"malformed message: {exc}")
            continue
        mid = _ids(msg.get("Message-ID"))
        try:
            value = _message_value(msg, body, path, record_no, roots.get(mid[0]) if mid else None, options)
        except MESSAGE_ERRORS as exc:
            yield Parsed(record_no, payload, error=str(exc) if ":" in str(exc) else f"malformed message: {exc}")
            continue
        yield Parsed(record_no, payload, value=value)


def parse_eml(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """One message per `.eml` file; an empty file yields nothing."""
    data = path.read_bytes()
    if not data.strip():
        return
    yield from parse_messages(path, [(1, data)], options)


def parse_mbox(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """Every message of an mbox archive, record_no = its position (from 1)."""
    box = mailbox.mbox(path, create=False)
    try:
        messages = [(no, box.get_bytes(key)) for no, key in enumerate(box.iterkeys(), start=1)]
    finally:
        box.close()
    yield from parse_messages(path, messages, options)


PARSERS: dict[str, Callable[[Path, IngestOptions], Iterator[Parsed]]] = {"eml": parse_eml, "mbox": parse_mbox}
