"""PII redaction: typed placeholders for the personal data customers type into contacts.

`redact("mail me at jo@x.com")` -> `"mail me at [EMAIL]"`. Types, found in this order (an earlier
type's span wins where two overlap):

- `[EMAIL]` addresses, typed or spelled to dodge scrapers (`jo dot roe at x dot com`, `jo[at]x.com`,
  `jo arroba x punto es`): `emails.py`;
- `[URL]` http(s)/www links (they carry account tokens, tracking ids and e-mail addresses in their
  query strings; bare domains such as `acme.com` stay, they name a company, not a person);
- `[IBAN]` validated by python-stdnum (mod 97 and each country's format), spaces or dashes anywhere;
- `[CARD]` Luhn-valid numbers in a card issuer's range and length, any separators;
- `[SSN]` national ids: US SSN, UK NINO, PESEL, NIP, Chinese resident id, DNI/NIE, NIR, German IdNr
  (checksums by python-stdnum; any number of the right shape right after its cue): `numbers.py`;
- `[PHONE]` numbers libphonenumber finds and judges, read in the regions of the text's language
  or the caller's hint (`regions=("PL",)`): `phones.py`;
- `[ADDRESS]` street addresses and PO boxes of US/UK/DE/FR/ES/PL/CN forms, best effort:
  `addresses.py`.

Identifier cues keep order, tracking, contract and customer numbers readable; times, dates, IP
addresses, EANs and IMEIs stay too. The vocabularies live in `patterns.toml`, with examples that
the tests check. Names are not redacted: that needs a NER model and the project ships none for it.

`redact_many` is the bulk path: texts that `PREFILTER_RE` does not match skip every finder (and
`sql_candidate_pattern()` is the same gate for DuckDB SQL), each distinct text is redacted once,
and many texts can be split over worker processes (`pool.py`). `register_udf(con)` exposes `redact` to
DuckDB SQL as `voc_redact(VARCHAR)`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence

import duckdb
import pyarrow as pa

from pipelines.redact import pool
from pipelines.redact.addresses import address_spans
from pipelines.redact.emails import email_spans
from pipelines.redact.numbers import card_spans, iban_ok, iban_spans, luhn_ok, national_id_spans
from pipelines.redact.phones import phone_spans
from pipelines.redact.prefilter import PREFILTER_RE, sql_candidate_pattern
from pipelines.redact.rules import Span, overlaps

__all__ = [
    "PREFILTER_RE", "TYPES", "find_pii", "iban_ok", "luhn_ok", "redact", "redact_many", "register_udf",
    "sql_candidate_pattern",
]

# Parentheses inside a link are part of it when balanced (`utmcsr=(direct)|...`, Wikipedia's
# `Foo_(bar)`); an unbalanced one (a link in parentheses) ends it.
URL_RE = re.compile(r"(?:\bhttps?://|\bwww\.)(?:[^\s<>\"'()\[\]]|\([^\s<>\"'()\[\]]*\))+", re.IGNORECASE)


def _url_spans(text: str, spans: list[Span]) -> None:
    if "://" not in text and "www." not in text.lower():
        return
    for m in URL_RE.finditer(text):
        if not overlaps(spans, m.start(), m.end()):
            spans.append((m.start(), m.end(), "URL"))


FINDERS: tuple[Callable[[str, list[Span]], None], ...] = (
    email_spans, _url_spans, iban_spans, card_spans, national_id_spans,
)
TYPES = ("EMAIL", "URL", "IBAN", "CARD", "SSN", "ADDRESS", "PHONE")


def find_pii(text: str, regions: Sequence[str] = ()) -> list[Span]:
    """The PII spans in `text` as sorted, non-overlapping `(start, end, type)` triples.

    `regions` are ISO 3166 country codes to read national phone numbers in (the customer's
    country), tried before the regions of the text's language.
    """
    spans: list[Span] = []
    if not text or not PREFILTER_RE.search(text):
        return spans
    for find in FINDERS:
        find(text, spans)
    phone_spans(text, spans, regions)
    address_spans(text, spans)
    return sorted(spans)


def redact(text: str, regions: Sequence[str] = ()) -> str:
    """`text` with every PII span replaced by its typed placeholder.

    >>> redact("Card 4111 1111 1111 1111, call +44 20 7946 0958")
    'Card [CARD], call [PHONE]'
    """
    spans = find_pii(text, regions)
    if not spans:
        return text
    out, pos = [], 0
    for start, end, kind in spans:
        out.append(text[pos:start])
        out.append(f"[{kind}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact_many(
    texts: Iterable[str | None], regions: Sequence[str] = (), workers: int = 1
) -> list[str | None]:
    """`redact` over many texts; None stays None, texts the prefilter rules out pass untouched.

    Each distinct text is redacted once. With `workers` > 1 and at least `pool.MIN_TEXTS` distinct
    texts past the prefilter, they are redacted in that many worker processes (`pool.py`); the
    result is the same.
    """
    texts = list(texts)
    gate = PREFILTER_RE.search
    todo = list(dict.fromkeys(t for t in texts if t is not None and gate(t)))
    if not todo:
        return texts
    if workers > 1 and len(todo) >= pool.MIN_TEXTS:
        one = functools.partial(redact, regions=tuple(regions))
        done = dict(zip(todo, pool.apply(one, todo, workers), strict=True))
    else:
        done = {t: redact(t, regions) for t in todo}
    return [done.get(t, t) if t is not None else None for t in texts]


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
