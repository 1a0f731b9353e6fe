"""The redactor's shortcuts (phones._passes_needed, numbers._IBAN_COUNTRIES, numbers._BARE_GATES, the
first-letter lookahead of rules.cue_re) change no result: the same spans with them off. Redacting each
distinct text once (redact_many, the tabular UDF) and in worker processes (redact.pool) gives the
same strings as redacting one text at a time."""

from __future__ import annotations

import re
import string
from pathlib import Path

import duckdb
import pyarrow as pa

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.eval_redaction import CASES, EVAL_SET, HOLDOUT, load_cases
from pipelines.ingest import IngestOptions, ingest_paths, tabular
from pipelines.redact import find_pii, numbers, phones, pool, redact, redact_many, rules
from pipelines.warehouse import connect

# Numbers, the words around them (phone cues, identifier cues, trailing cues) and the marks a
# matcher reads: hypothesis joins them into texts.
_PIECES = [
    "order", "flight", "call me on", "tel.", "phone", "my cell", "is my number", "whatsapp", "电话", "ref",
    " ", " ", ", ", "\n", "(", ")", "[", "+", "＋", "（", "-", ".", "/", "x", "00", "0", "1", "7", "12",
    "44", "48", "020", "7946", "0958", "07700", "900123", "601234567", "2125550147", "91454164", "١٢٣",
    "１３８００１３８０００", "jo@x.com", "user12345678@example.com", "Hauptstraße 5", "CA 94109",
    "bitte", "merci", "gracias", "proszę", "a", "the", "number", "DE89 3704 0044 0532 0130 00", "GB82WEST",
    "12345698765432", "er", "at", "no", "IBAN", "4111 1111 1111 1111", "AB 12 34 56 C", "QQ123456A", "ssn",
    "078-05-1120", "12345678Z", "X1234567L", "DNI", "NINO", "PESEL", "44051401458", "1 84 12 76 451 089 46",
    # what glues a run's start ("@115725", "#704004571", "UA8570"), "00" inside or at the start of a run
    "@", "#", "$", "_", "UA", ":", "15:", "704004571", "0044207946095", "1500700", "9100020", "00491512345678",
]
_EVERY_PAIR = frozenset(a + b for a in string.ascii_uppercase for b in string.ascii_uppercase)
_texts = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join) | st.text(max_size=40)


def _real_texts_with_seven_digits() -> list[str]:
    """The shared sets' texts (eval_redaction's 50k) and bench-ingest's templates that reach the phone matcher."""
    from benchmarks.bench_ingest import TEMPLATES
    from benchmarks.eval_redaction import real_texts

    numbers = ["70400457", "91454164", "051191036", "700400457", "0070400457"]
    texts = real_texts() + [t.replace("{n}", n) for t in TEMPLATES for n in numbers]
    return [t for t in texts if phones._GATE.search(t)]


def _without_shortcut(monkeypatch: pytest.MonkeyPatch, text: str) -> list:
    with monkeypatch.context() as m:
        m.setattr(phones, "_passes_needed", lambda text, spans: None)
        m.setattr(numbers, "_IBAN_COUNTRIES", _EVERY_PAIR)
        m.setattr(numbers, "_BARE_GATES", {})
        return find_pii(text)


@settings(max_examples=600, deadline=None)
@given(_texts)
def test_shortcuts_change_no_span(text: str) -> None:
    with pytest.MonkeyPatch.context() as m:
        full = _without_shortcut(m, text)
    assert find_pii(text) == full, text


@pytest.mark.parametrize("path", [EVAL_SET, HOLDOUT, CASES], ids=lambda p: p.name)
def test_shortcuts_change_no_span_on_the_labelled_sets(path, monkeypatch: pytest.MonkeyPatch) -> None:
    for case in load_cases(path):
        assert find_pii(case["text"]) == _without_shortcut(monkeypatch, case["text"]), case["text"]


def test_shortcuts_change_no_span_on_real_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _real_texts_with_seven_digits()
    if len(texts) < 100:
        pytest.skip("the shared datasets are absent")
    for text in texts:
        assert find_pii(text) == _without_shortcut(monkeypatch, text), text


def test_phone_shortcut_spares_passes() -> None:
    assert phones._passes_needed("order 91454164 still not shipped", []) == 0  # eight digits, no cue
    assert phones._passes_needed("order 914541649 still not shipped", []) == 1
    assert phones._passes_needed("mail user1234567@x.com", [(5, 22, "EMAIL")]) == 0
    assert phones._passes_needed("call me on 601234567", []) is None
    assert phones._passes_needed("ring (020) 7946 0958", []) is None
    assert phones._passes_needed("order 70400457 still not shipped", []) == 0  # "00" inside the run
    assert phones._passes_needed("order 0070400457 still not shipped", []) is None  # "00" starts it
    assert phones._passes_needed("@115725115 thanks", []) == 0  # a handle
    assert phones._passes_needed("ticket #704004571", []) == 0
    assert phones._passes_needed("ticket 704004571", []) == 1


def _cue_re_without_lookahead(words: list[str]) -> str:
    return rf"(?<![{rules.LATIN}])(?:" + rules.words_re(words) + rf")(?![{rules.LATIN}])"


_CUE_LISTS = [
    rules.patterns()["phone"]["cues"], rules.patterns()["phone"]["not_cues"],
    rules.patterns()["card"]["cues"], rules.patterns()["email"]["cues"],
]
_CUE_PIECES = sorted({w for words in _CUE_LISTS for w in words}) + [
    " ", "1", "-", ".", "K", "\u212a", "ſ", "İ", "ı", "É", "é", "ß", "ẞ", "Ł", "电", "x",
    "CALL", "Tel", "PhOnE",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_CUE_PIECES), max_size=8).map("".join) | st.text(max_size=30))
def test_cue_lookahead_changes_no_match(text: str) -> None:
    for words in _CUE_LISTS:
        new = re.compile(rules.cue_re(words), re.IGNORECASE)
        old = re.compile(_cue_re_without_lookahead(words), re.IGNORECASE)
        assert [m.span() for m in new.finditer(text)] == [m.span() for m in old.finditer(text)], text


# --- once per distinct text, and in worker processes: the same strings --------------------------

def _many_texts() -> list[str | None]:
    """Labelled, bench-ingest and (when present) shared-set texts, each twice, with Nones between."""
    from benchmarks.bench_ingest import TEMPLATES
    from benchmarks.eval_redaction import real_texts

    texts = [case["text"] for path in (EVAL_SET, HOLDOUT, CASES) for case in load_cases(path)]
    texts += [t.replace("{n}", str(91454164 + 7919 * i)) for i in range(40) for t in TEMPLATES]
    texts += real_texts(2_000)
    return [t for text in texts for t in (text, None, text)]


def test_redact_many_in_workers_equals_redact_one_by_one() -> None:
    texts = _many_texts()
    assert sum(map(bool, texts)) > 2 * pool.MIN_TEXTS
    one_by_one = [None if t is None else redact(t) for t in texts]
    before = pool.worker_cpu_seconds()
    assert redact_many(texts, workers=2) == one_by_one
    assert pool.worker_cpu_seconds() > before  # the worker process did take its share
    assert redact_many(texts, workers=1) == one_by_one


def test_redact_many_redacts_each_distinct_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.redact as package

    seen: list[str] = []
    real = package.redact
    monkeypatch.setattr(package, "redact", lambda t, regions=(): seen.append(t) or real(t, regions))
    texts = ["call 020 7946 0958", "no digits", None, "call 020 7946 0958", "mail jo@x.com"] * 3
    assert redact_many(texts) == [None if t is None else real(t) for t in texts]
    assert sorted(seen) == ["call 020 7946 0958", "mail jo@x.com"]


def test_tabular_udf_redacts_a_value_once_across_vectors() -> None:
    calls: list[list[str]] = []

    def counting(values: list[str]) -> list[str]:
        calls.append(list(values))
        return redact_many(values)

    con = duckdb.connect()
    tabular._register_udf(con, counting)
    values = [f"call 020 7946 {i % 50:04d}" if i % 7 else None for i in range(10_000)]
    rows = pa.table({"text": values, "i": list(range(len(values)))})  # noqa: F841 (read by DuckDB)
    con.execute("CREATE TABLE t AS SELECT * FROM rows")
    got = [r[0] for r in con.execute("SELECT voc_redact(text) FROM t ORDER BY i").fetchall()]
    expected = {v: redact(v) for v in set(values) - {None}}
    assert got == [None if v is None else expected[v] for v in values]
    passed = [v for call in calls for v in call]
    assert sorted(passed) == sorted({v for v in values if v is not None})  # each distinct value once


def test_ingest_in_workers_lands_the_same_rows(tmp_path: Path) -> None:
    from benchmarks.bench_ingest import generate

    path = tmp_path / "posts.csv"
    generate(path, 3_000)  # a third of the texts carry a number: over MIN_TEXTS per DuckDB vector
    landed = []
    for workers in (1, 2):
        con = connect(tmp_path / f"w{workers}.duckdb")
        [report] = ingest_paths(con, "social", [path], IngestOptions(redact_workers=workers))
        assert report.error is None and report.rejected == 0, report.line()
        landed.append(con.execute(
            # the payload's author is a keyed hash, and each warehouse has its own key
            "SELECT r.record_no, r.payload->>'text', i.text FROM raw.records r "
            "LEFT JOIN staging.interactions i ON i.source_id = r.payload->>'tweet_id' ORDER BY r.record_no"
        ).fetchall())
        con.close()
    assert landed[0] == landed[1]
    assert any("[PHONE]" in (text or "") for _, _, text in landed[0])
