"""The SQL prefilter: every text in which find_pii finds something matches it, in DuckDB's RE2."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.redact import PREFILTER_RE, find_pii, redact_many, sql_candidate_pattern

# Pieces PII is made of, and the words around it: hypothesis joins them into texts.
_PIECES = [
    "jo", "roe", "x", "com", "de", "pl", "gmail", ".", " . ", "@", " @ ", "＠", " at ", " AT ", "[at]", "(at)",
    "（at）", " dot ", " punkt ", " arroba ", " małpa ", "[dot]", " ", "\n", "\t", "\u00a0", "\u3000",
    "4111", "1111", "-", "/", "(", ")", "+48", "600", "123", "456", "0151", "DE89", "3704", "0044",
    "Hauptstraße", "ul.", "rue", "Calle", "Box", "PO", "路", "号", "88", "电话", "١٢٣٤٥٦٧٨٩٠",
    "１３８００１３８０００", "call me", "order", "www.", "https://", "é", "ß", "Straße", "Am", "Markt",
]
_texts = st.lists(st.sampled_from(_PIECES), max_size=14).map("".join) | st.text(max_size=40)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_texts)
def test_sql_pattern_is_a_superset_of_find_pii(con: duckdb.DuckDBPyConnection, text: str) -> None:
    in_sql = con.execute("SELECT regexp_matches($t, $p)", {"t": text, "p": sql_candidate_pattern()}).fetchone()[0]
    if find_pii(text):
        assert in_sql, text
        assert PREFILTER_RE.search(text), text
    assert bool(PREFILTER_RE.search(text)) == in_sql, text  # one gate, two engines


@pytest.mark.parametrize("text", [
    "mail jo dot roe at example dot com", "jo [at] example.org", "card 4111 1111 1111 1111", "电话１３８００１３８０００",
])
def test_sql_pattern_passes_pii(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert con.execute("SELECT regexp_matches($t, $p)", {"t": text, "p": sql_candidate_pattern()}).fetchone()[0]


@pytest.mark.parametrize("text", ["Thanks, that solved it.", "I am at home, please call back", "why was I charged twice?"])
def test_sql_pattern_rules_out_plain_text(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert not con.execute("SELECT regexp_matches($t, $p)", {"t": text, "p": sql_candidate_pattern()}).fetchone()[0]
    assert redact_many([text]) == [text]


def test_python_and_sql_gates_are_one_string() -> None:
    # ingest passes PREFILTER_RE.pattern to DuckDB: it must mean the same in RE2
    assert PREFILTER_RE.pattern == sql_candidate_pattern() and PREFILTER_RE.flags & 2 == 0


@pytest.mark.parametrize("digit", ["٣", "۵", "३", "৭", "９", "𝟗"])
def test_any_decimal_digit_passes_both_gates(con: duckdb.DuckDBPyConnection, digit: str) -> None:
    assert PREFILTER_RE.search(digit)
    assert con.execute("SELECT regexp_matches($t, $p)", {"t": digit, "p": sql_candidate_pattern()}).fetchone()[0]


def test_sql_gated_udf_redacts_a_spelled_out_email() -> None:
    from pipelines.redact import register_udf

    con = duckdb.connect()
    register_udf(con)
    rows = con.execute(
        "SELECT CASE WHEN regexp_matches(x, $p) THEN voc_redact(x) ELSE x END FROM (VALUES "
        "('write to jo dot roe at example dot com'), ('no personal data here'), (NULL)) t(x)",
        {"p": sql_candidate_pattern()},
    ).fetchall()
    assert rows == [("write to [EMAIL]",), ("no personal data here",), (None,)]


@pytest.mark.parametrize("name", ["redaction_eval.jsonl", "redaction_holdout.jsonl", "pii_cases.jsonl"])
def test_sql_pattern_passes_every_labelled_text_with_pii(con: duckdb.DuckDBPyConnection, name: str) -> None:
    from benchmarks.eval_redaction import CASES, EVAL_SET, HOLDOUT, load_cases

    path = {p.name: p for p in (EVAL_SET, HOLDOUT, CASES)}[name]
    texts = [c["text"] for c in load_cases(path) if find_pii(c["text"])]
    assert texts
    passed = con.execute(
        "SELECT count(*) FROM (SELECT unnest($t) AS t) WHERE regexp_matches(t, $p)",
        {"t": texts, "p": sql_candidate_pattern()},
    ).fetchone()[0]
    assert passed == len(texts)
