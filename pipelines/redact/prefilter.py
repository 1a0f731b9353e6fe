"""The cheap gate before the finders, as one regex that Python `re` and DuckDB's RE2 both read.

`sql_candidate_pattern()` matches every text in which `find_pii` can find something (a property
test holds it to that): a digit (every number, id and address has one), a link, or what an e-mail
address needs (an "@", `[at]`, `(arroba)`, or a word "at" followed by a host and a dot, spelled or
typed). Texts it does not match need no Python call, so ingest can filter in SQL:
`CASE WHEN regexp_matches(text, $pattern) THEN voc_redact(text) ELSE text END`.
"""

from __future__ import annotations

import re

from pipelines.redact.emails import GATE_PATTERN


def _digit_class() -> str:
    """Every Unicode decimal digit (what Python's `\\d` and RE2's `\\p{Nd}` mean) as literal ranges.

    Spelled out, the one pattern string means the same in Python `re` and in RE2 (whose `\\d` is
    ASCII only), so either engine can run it. All Nd characters lie below U+20000.
    """
    ranges: list[list[int]] = []
    for cp in range(0x20000):
        if chr(cp).isdecimal():
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


_PATTERN = rf"[{_digit_class()}]|://|(?i:www\.)|{GATE_PATTERN}"


def sql_candidate_pattern() -> str:
    """An RE2 regex (DuckDB `regexp_matches`) that every text holding PII matches; also valid Python `re`.

    >>> con.execute("SELECT regexp_matches('mail jo at x dot com', $p)", {"p": sql_candidate_pattern()})  # doctest: +SKIP
    """
    return _PATTERN


# The same string compiled for Python: redact_many's gate.
PREFILTER_RE = re.compile(_PATTERN)
