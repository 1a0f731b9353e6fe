"""Identifiers are keyed-hashed once per distinct value, and to the same keys as one by one."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from unittest import mock

import phonenumbers
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest import IngestOptions, identity, ingest_paths
from pipelines.ingest.identity import ref_hash
from pipelines.warehouse import connect, mark_function

AUTHORS = ["@Jo", "jo", "al", "", "Jo "]  # "@Jo", "jo" and "Jo " are one handle; "" is none
# extra columns named like the landing's own names (a hashed column joins `value`/`hashed`)
POSTS = [
    {"tweet_id": str(i), "author_id": AUTHORS[i % len(AUTHORS)], "inbound": "True",
     "created_at": "2024-01-02 10:00", "text": f"post {i}", "value": "v", "hashed": "h", "record_no": "r"}
    for i in range(1, 41)
]
TICKETS = [
    {"ticket_id": f"T{i}", "created_at": "2024-01-01", "email": ["Jo@X.com", "jo@x.com", "al@x.org"][i % 3],
     "description": "help"}
    for i in range(12)
]


def _write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _counting(con) -> list[int]:
    """Register voc_keyed_hash on `con` so that it records how many values each call hashes."""
    sizes: list[int] = []

    def udf(kinds: pa.Array, values: pa.Array, regions: pa.Array) -> pa.Array:
        sizes.append(len(values))
        return identity._hash_arrow(kinds, values, regions)

    con.create_function(identity.SQL_FUNCTION, udf, ["VARCHAR", "VARCHAR", "VARCHAR"], "VARCHAR",
                        type="arrow", null_handling="special", side_effects=False)
    mark_function(con, identity.SQL_FUNCTION)
    return sizes


def test_social_keys_equal_per_row_hashes_and_each_author_is_hashed_once(tmp_path: Path) -> None:
    con = connect(tmp_path / "voc.duckdb")
    sizes = _counting(con)
    [report] = ingest_paths(con, "social", [_write(tmp_path / "posts.csv", POSTS)], IngestOptions())
    assert report.error is None and report.rejected == 0, report.line()
    rows = con.execute(
        "SELECT r.payload->>'tweet_id', r.payload->>'author_id', i.customer_ref FROM raw.records r "
        "LEFT JOIN staging.interactions i ON i.source_id = r.payload->>'tweet_id'"
    ).fetchall()
    assert len(rows) == len(POSTS)
    for tweet_id, payload_author, customer_ref in rows:
        author = AUTHORS[int(tweet_id) % len(AUTHORS)].strip() or None
        assert payload_author == (ref_hash("crm", author) if author else None), tweet_id
        if author:
            assert customer_ref == ref_hash("handle", author), tweet_id
    # 4 distinct payload values ("@Jo", "jo", "al", "Jo ") and 4 distinct references: not 40 + 40 rows
    assert sum(sizes) <= 10, sizes


def test_ticket_email_keys_equal_per_row_hashes(tmp_path: Path) -> None:
    con = connect(tmp_path / "voc.duckdb")
    sizes = _counting(con)
    [report] = ingest_paths(con, "emails", [_write(tmp_path / "t.csv", TICKETS)], IngestOptions())
    assert report.error is None and report.rejected == 0, report.line()
    got = con.execute("SELECT source_id, customer_ref, customer_id FROM staging.interactions").fetchall()
    for source_id, customer_ref, customer_id in got:
        email = TICKETS[int(source_id[1:])]["email"]
        assert customer_ref == ref_hash("email", email)
        assert customer_id == identity.pseudonym(ref_hash("email", email))
    payloads = [json.loads(p) for (p,) in con.execute("SELECT payload FROM raw.records").fetchall()]
    assert {p["email"] for p in payloads} == {ref_hash("email", e) for e in ("jo@x.com", "al@x.org")}
    assert sum(sizes) <= 8, sizes


# Phone numbers: normalised (phonenumbers' parse, the costly part) once per distinct number of a load,
# not once per 2048-row batch, and to exactly what the former per-value code gave.

def _phone_reference(text: str, region: str | None = None) -> str:
    """The former `identity._phone`: uncached, its digits taken one character at a time with isdigit()."""
    with mock.patch.object(identity, "_digits", lambda t: "".join(ch for ch in t if ch.isdigit())):
        return identity._phone.__wrapped__(text, region)


REGIONS = [None, "GB", "US", "PL", "DE", "IT", "FR", "RU", "IN", "BR", "JP", "gb"]
PHONE_CHARS = "0123456789+ -().0/x#*" + "٤٥۶२²①０a" + "\u00a0é中"  # other scripts' digits; non-ASCII non-digits


def _real_looking() -> list[str]:
    """Example numbers of every region phonenumbers knows, written as E.164, international and national."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        number = phonenumbers.example_number(region)
        if number is not None:
            for fmt in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                        phonenumbers.PhoneNumberFormat.NATIONAL):
                out.append(phonenumbers.format_number(number, fmt))
    return out


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.text(alphabet=PHONE_CHARS, max_size=22),
                 st.from_regex(r"\A(\+|00)?[0-9]{1,17}\Z"),
                 st.sampled_from(_real_looking())),
       st.sampled_from(REGIONS))
def test_the_memoised_phone_normalisation_equals_the_per_value_library_path(text: str, region) -> None:
    expected = _phone_reference(text, region)
    assert identity._phone(text, region) == expected
    assert identity._phone(text, region) == expected, "a second (memoised) call gives the same"


def test_real_looking_numbers_normalise_as_the_library_does() -> None:
    numbers = _real_looking()
    assert len(numbers) > 600
    for region in REGIONS:
        for text in numbers:
            assert identity._phone(text, region) == _phone_reference(text, region), (text, region)


def test_a_phone_number_repeated_across_batches_is_parsed_once(tmp_path: Path, monkeypatch) -> None:
    phones = [f"+44 7700 9{i:05d}" for i in range(50)]
    rows = [{"customer_id": f"C{i}", "email": "", "phone": phones[i % len(phones)], "handle": ""}
            for i in range(6000)]  # about three of DuckDB's 2048-row batches, each naming all 50 numbers
    parsed: list[str] = []
    real_parse = phonenumbers.parse

    def counting_parse(number, region=None, *args, **kwargs):
        parsed.append(number)
        return real_parse(number, region, *args, **kwargs)

    getattr(identity._phone, "cache_clear", lambda: None)()  # a cold memo
    monkeypatch.setattr(phonenumbers, "parse", counting_parse)
    con = connect(tmp_path / "voc.duckdb")
    [report] = ingest_paths(con, "customers", [_write(tmp_path / "customers.csv", rows)], IngestOptions())
    assert report.error is None and report.loaded == len(rows), report.line()
    assert sorted(parsed) == sorted("+" + "".join(ch for ch in p if ch.isdigit()) for p in phones)
    got = dict(con.execute("SELECT record_no, phone FROM staging.customers").fetchall())
    assert len(set(got.values())) == len(phones)
    assert all(v == ref_hash("phone", phones[(n - 1) % len(phones)]) for n, v in got.items())
