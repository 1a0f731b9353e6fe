"""PII redaction: typed placeholders for the personal data customers type into contacts.

`redact("mail me at jo@x.com")` -> `"mail me at [EMAIL]"`. Types, found in this order (an earlier
type's span wins where two overlap):

- `[EMAIL]` addresses; `[URL]` http(s)/www links (they carry account tokens, tracking ids and
  e-mail addresses in their query strings; bare domains such as `acme.com` stay, they name a
  company, not a person);
- `[IBAN]` checked with ISO 13616 mod-97 and the country's length;
- `[CARD]` 13-19 digits (spaces or dashes allowed) that pass the Luhn check and start like a card
  (2-6): order numbers that fail Luhn stay readable;
- `[SSN]` US social security numbers (valid area/group/serial), UK National Insurance numbers, and
  9-11 digit numbers right after an `SSN`/`PESEL`/`national id` cue;
- `[PHONE]` international numbers (`+48 600 123 456`, `0044 20 7946 0958`), national numbers
  written with separators (US `(977) 625-2661`, UK `020 7946 0958`, DE `030/12345678`, FR
  `06 12 34 56 78`, IN `98765 43210`, CN `138 0013 8000`), and bare digit runs only next to a
  phone cue (`call me on 9876543210`) or shaped like a Chinese mobile, so ids stay readable;
- `[ADDRESS]` street addresses, best effort (`6821 1st ave`, `221B Baker Street`,
  `Hauptstraße 5`, `ul. Marszałkowska 12/4`, `12 rue de la Paix`).

Names are not redacted: that needs a NER model and the project ships none for it.

`redact_many` is the bulk path: texts with no digit, `@` or link skip every pattern.
`register_udf(con)` exposes the same function to DuckDB SQL as `voc_redact(VARCHAR)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import duckdb
import pyarrow as pa

Span = tuple[int, int, str]

# Digit boundaries by lookaround, not \b: in Chinese text a digit touches a letter-class CJK
# character ("电话13800138000") and \b would never fire there.
_NOT_DIGIT_BEFORE = r"(?<![0-9])"
_NOT_DIGIT_AFTER = r"(?![0-9])"

EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
URL_RE = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"'()\[\]]+", re.IGNORECASE)

# ISO 13616 lengths for the countries contact centers meet most; others: 15-34 and mod-97 alone.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IT": 27,
    "LT": 20, "LU": 20, "LV": 21, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "UA": 29, "TR": 26, "SA": 24, "AE": 23,
}
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]){11,30}")

CARD_RE = re.compile(r"(?<![0-9+])[0-9](?:[ -]?[0-9]){12,18}" + _NOT_DIGIT_AFTER)

SSN_RE = re.compile(_NOT_DIGIT_BEFORE + r"([0-9]{3})-([0-9]{2})-([0-9]{4})" + _NOT_DIGIT_AFTER)
ID_CUES = ("ssn", "social security", "pesel", "national id", "nir")
NINO_RE = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b")
ID_CUE_RE = re.compile(
    r"(?:\bssn|social security(?: number)?|\bpesel|national id(?: number)?|\bnir)\b\W{0,3}(?:is|no\.?|nr\.?|number)?\W{0,3}"
    r"([0-9][0-9 -]{7,13}[0-9])" + _NOT_DIGIT_AFTER,
    re.IGNORECASE,
)

# A phone candidate: optional + / 00 prefix, then digit groups split by one space, dash, dot or
# slash, a group optionally in parentheses. Validation (digit count, shape, cues) is in Python.
PHONE_RE = re.compile(
    r"(?<![0-9A-Za-z+/.-])(?:\+|00)?(?:\(?[0-9]{1,5}\)?)(?:(?:[ .-]|/|\) ?)?\(?[0-9]{1,8}\)?){0,6}"
    r"(?![0-9]|[.,][0-9]|:[0-9]|/[0-9])"
)
PHONE_CUE_RE = re.compile(
    r"(?:phone|tel|mobile|cell|call|ring|reach|contact|whatsapp|text|sms|fax|number|nummer|numer|"
    r"telefon|handy|portable|téléphone|电话|手机|号码|联系)\w{0,3}\W{0,3}"
    r"(?:(?:me|us|at|on|is|nr|no|number|numer|nummer|under|to|back)\W{1,3}){0,3}$",
    re.IGNORECASE,
)
NOT_PHONE_CUE_RE = re.compile(
    r"(?:order|invoice|tracking|account|acct|ref|reference|ticket|case|id|policy|booking|confirmation|"
    r"zamówieni\w*|bestell\w*|commande|订单)\W{0,6}(?:number|no|nr|#|id)?\W{0,4}$",
    re.IGNORECASE,
)
CN_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# Dates: ISO, US slashes, day-first dots/dashes with a 19xx/20xx year (FR phones are 01.23.45.67.89).
DATE_LIKE_RE = re.compile(
    r"^(?:[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}"
    r"|[0-3]?[0-9][-.][01]?[0-9][-.](?:19|20)[0-9]{2})"
)

_STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
    r"circle|cir|parkway|pkwy|highway|hwy|square|sq|close|crescent|gardens"
)
ADDRESS_RES = (
    # French: 12 rue de la Paix, 5 bis avenue Victor Hugo.
    re.compile(
        r"(?<![0-9])[0-9]{1,4}(?:[ ]?(?:bis|ter))?,?[ ]+(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai)"
        r"(?:[ ]+(?:(?:de|du|des|la|le)[ ]+|[ld]')*[A-ZÉÈ][\w'-]*){1,4}",
    ),
    # US/UK: house number, up to four words, street type, optional unit, city, state/postcode.
    re.compile(
        r"(?<![0-9A-Za-z])[0-9]{1,5}[A-Za-z]?(?:[ ]+[A-Za-z0-9.'-]+){1,4}?[ ]+(?:" + _STREET_WORDS + r")\b\.?"
        r"(?:,?[ ]+(?:apt|apartment|unit|suite|flat|#)\.?[ ]*[0-9A-Za-z-]+)?"
        r"(?:,?[ ]+[A-Za-z .]{2,30},?[ ]+[A-Za-z]{2}[ ]+[0-9]{5}(?:-[0-9]{4})?)?",
        re.IGNORECASE,
    ),
    # German/Austrian/Swiss: Hauptstraße 5, Lindenweg 12a.
    re.compile(
        r"\b[A-ZÄÖÜ][a-zäöüß-]*(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm)[ ]+[0-9]{1,4}[a-z]?\b"
    ),
    # Polish: ul. Marszałkowska 12/4, al. Jerozolimskie 100.
    re.compile(r"\b(?:ul\.|ulica|al\.|aleja|os\.)[ ]*[^\W\d_][\w.-]*(?:[ ][^\W\d_][\w.-]*){0,3}[ ]+[0-9]{1,4}[a-zA-Z]?(?:/[0-9]{1,4})?"),

)

# The cheap gate of the bulk path: nothing below can match a text without one of these.
PREFILTER_RE = re.compile(r"[0-9@]|://|www\.", re.IGNORECASE)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    iban = iban.upper()
    if not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    moved = iban[4:] + iban[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1
    except ValueError:
        return False


def _overlaps(spans: list[Span], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e, _ in spans)


def _iban_spans(text: str, spans: list[Span]) -> None:
    for m in IBAN_RE.finditer(text):
        raw = m.group()
        country = raw[:2].upper()
        # the candidate may run into the next word: take the country's exact length when known
        lengths = [IBAN_LENGTHS[country]] if country in IBAN_LENGTHS else range(34, 14, -1)
        for length in lengths:
            taken, end = 0, m.start()
            for i, ch in enumerate(raw):
                if ch != " ":
                    taken += 1
                if taken == length:
                    end = m.start() + i + 1
                    break
            if taken < length:
                continue
            if (end >= len(text) or not text[end].isalnum()) and iban_ok(text[m.start():end].replace(" ", "")):
                if not _overlaps(spans, m.start(), end):
                    spans.append((m.start(), end, "IBAN"))
                break


def _card_spans(text: str, spans: list[Span]) -> None:
    for m in CARD_RE.finditer(text):
        raw = m.group()
        digits = raw.replace(" ", "").replace("-", "")
        if not 13 <= len(digits) <= 19 or digits[0] not in "23456" or not luhn_ok(digits):
            continue
        # mixed separators ("1234-5678 9012 3456") are two numbers side by side, not one card
        if " " in raw and "-" in raw:
            continue
        if not _overlaps(spans, m.start(), m.end()):
            spans.append((m.start(), m.end(), "CARD"))


def _ssn_spans(text: str, spans: list[Span]) -> None:
    for m in SSN_RE.finditer(text):
        area, group, serial = m.groups()
        if area in {"000", "666"} or area[0] == "9" or group == "00" or serial == "0000":
            continue
        if not _overlaps(spans, m.start(), m.end()):
            spans.append((m.start(), m.end(), "SSN"))
    for m in NINO_RE.finditer(text):
        if not _overlaps(spans, m.start(), m.end()):
            spans.append((m.start(), m.end(), "SSN"))
    low = text.lower()
    if not any(cue in low for cue in ID_CUES):  # substring checks are far cheaper than the cue regex
        return
    for m in ID_CUE_RE.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(1))
        if 9 <= len(digits) <= 11 and not _overlaps(spans, m.start(1), m.end(1)):
            spans.append((m.start(1), m.end(1), "SSN"))


def _is_phone(text: str, start: int, raw: str) -> bool:
    digits = re.sub(r"[^0-9]", "", raw)
    groups = re.findall(r"[0-9]+", raw)
    # "00" dials abroad only when the number is written out; a bare 00... run is an id
    international = raw.startswith("+") or (raw.startswith("00") and not raw.startswith("000") and len(groups) > 1)
    if international:
        return 8 <= len(digits) <= 15 and (raw.startswith("+") or len(digits) >= 10)
    if not 9 <= len(digits) <= 12 or DATE_LIKE_RE.match(raw) or raw.startswith("000"):
        return False
    if re.fullmatch(r"[0-9]{3}-[0-9]{2}-[0-9]{4}", raw):
        return False  # SSN-shaped: left to the SSN rule, which knows the invalid areas
    before = text[max(0, start - 40):start]
    if NOT_PHONE_CUE_RE.search(before):
        return False
    if len(groups) == 1:
        # a bare digit run is an id as often as a phone: a cue or the Chinese mobile shape decides
        return bool(PHONE_CUE_RE.search(before)) or (len(digits) == 11 and bool(CN_MOBILE_RE.fullmatch(digits)))
    if "." in raw and len(groups) < 3:
        return False  # a decimal number, e.g. 3.14159265
    if any(len(g) > 8 for g in groups) or any(len(g) == 1 for g in groups[1:]):
        return False
    return True


def _phone_spans(text: str, spans: list[Span]) -> None:
    for m in PHONE_RE.finditer(text):
        raw = m.group()
        start, end = m.start(), m.end()
        # a trailing ")" or separator is not part of the number
        while raw and not raw[-1].isdigit():
            raw, end = raw[:-1], end - 1
        if raw.startswith("(") and ")" not in raw:
            raw, start = raw[1:], start + 1
        if raw and _is_phone(text, start, raw) and not _overlaps(spans, start, end):
            spans.append((start, end, "PHONE"))


def _regex_spans(pattern: re.Pattern[str], kind: str) -> Callable[[str, list[Span]], None]:
    def find(text: str, spans: list[Span]) -> None:
        for m in pattern.finditer(text):
            if not _overlaps(spans, m.start(), m.end()):
                spans.append((m.start(), m.end(), kind))

    return find


def _address_spans(text: str, spans: list[Span]) -> None:
    for pattern in ADDRESS_RES:
        _regex_spans(pattern, "ADDRESS")(text, spans)


FINDERS: tuple[Callable[[str, list[Span]], None], ...] = (
    _regex_spans(EMAIL_RE, "EMAIL"),
    _regex_spans(URL_RE, "URL"),
    _iban_spans,
    _card_spans,
    _ssn_spans,
    _address_spans,
    _phone_spans,
)
TYPES = ("EMAIL", "URL", "IBAN", "CARD", "SSN", "ADDRESS", "PHONE")


def find_pii(text: str) -> list[Span]:
    """The PII spans in `text` as sorted, non-overlapping `(start, end, type)` triples."""
    spans: list[Span] = []
    if not text or not PREFILTER_RE.search(text):
        return spans
    for find in FINDERS:
        find(text, spans)
    return sorted(spans)


def redact(text: str) -> str:
    """`text` with every PII span replaced by its typed placeholder.

    >>> redact("Card 4111 1111 1111 1111, call +44 20 7946 0958")
    'Card [CARD], call [PHONE]'
    """
    spans = find_pii(text)
    if not spans:
        return text
    out, pos = [], 0
    for start, end, kind in spans:
        out.append(text[pos:start])
        out.append(f"[{kind}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact_many(texts: Iterable[str | None]) -> list[str | None]:
    """`redact` over many texts; None stays None, texts without digits, `@` or links pass untouched."""
    gate = PREFILTER_RE.search
    return [t if t is None or not gate(t) else redact(t) for t in texts]


def register_udf(con: duckdb.DuckDBPyConnection) -> None:
    """Register `voc_redact(VARCHAR) -> VARCHAR` on `con` (vectorised: one Python call per chunk).

    >>> con.sql("SELECT voc_redact('mail jo@x.com')").fetchone()  # doctest: +SKIP
    ('mail [EMAIL]',)
    """
    def _udf(values: pa.Array) -> pa.Array:
        return pa.array(redact_many(values.to_pylist()), type=pa.string())

    try:
        con.remove_function("voc_redact")
    except (duckdb.InvalidInputException, duckdb.CatalogException):
        pass
    con.create_function(
        "voc_redact",
        _udf,
        [duckdb.sqltypes.VARCHAR],
        duckdb.sqltypes.VARCHAR,
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
