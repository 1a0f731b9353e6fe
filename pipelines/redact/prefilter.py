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


def _pattern(digit: str) -> str:
    return rf"[{digit}]|://|(?i:www\.)|{GATE_PATTERN}"


def sql_candidate_pattern() -> str:
    """An RE2 regex (DuckDB `regexp_matches`) that every text holding PII matches.

    >>> con.execute("SELECT regexp_matches('mail jo at x dot com', $p)", {"p": sql_candidate_pattern()})  # doctest: +SKIP
    """
    return _pattern(r"\p{Nd}")


# The same gate for Python: `\d` is any Unicode decimal digit there, as `\p{Nd}` is in RE2.
PREFILTER_RE = re.compile(_pattern(r"\d"))
