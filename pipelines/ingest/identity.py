"""Cross-channel identity on keyed hashes: normalised email/phone/handle -> the customer's pseudonym.

Nothing here stores an identifier in clear. Each reference is normalised (`normalise`), then
keyed-hashed (`keys.keyed_hash`, HMAC with the warehouse's secret; in SQL `voc_keyed_hash(kind,
value)`, registered by `register`): `customer_ref` and
`staging.identities.identifier_value` hold those hashes, `staging.customers.email/phone/handle`
too. A customer is shown as a pseudonym, `cust-` + 16 hex chars of its CRM id's hash (or, with no
CRM match, of the reference's own hash), the same in every table. The clear CRM id is kept only in
`staging.customers.crm_id` and only when `[ingest] keep_crm_ids = true` (callbacks need it).

`staging.identities` is rebuilt from `staging.customers` after every customers load, and
interactions are (re-)resolved against it after every load of either kind, so load order does
not matter.
"""

from __future__ import annotations

import functools

import duckdb
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingest import keys
from pipelines.warehouse import has_function, mark_function

REF_TYPES = ("crm", "email", "phone", "handle")
PSEUDONYM_PREFIX = "cust-"
PSEUDONYM_CHARS = 16
KIND_PREFIX = "customer-"  # keyed_hash namespaces: customer-email, -phone, -handle, -crm
SQL_FUNCTION = "voc_keyed_hash"  # voc_keyed_hash(kind, raw value, phone region) -> VARCHAR


_NOT_ASCII_DIGITS = dict.fromkeys(ch for ch in range(128) if not 48 <= ch <= 57)  # str.translate: delete


def _digits(text: str) -> str:
    """The characters of `text` for which str.isdigit() holds; on ASCII text that is exactly 0-9, which
    translate keeps much faster than a generator."""
    return text.translate(_NOT_ASCII_DIGITS) if text.isascii() else "".join(ch for ch in text if ch.isdigit())


@functools.lru_cache(maxsize=1 << 17)
def _phone(text: str, region: str | None = None) -> str:
    """E.164 (`+48601234567`) when the number carries its country (`+` or `00`) or a default `region`
    (`[ingest] phone_region`, e.g. "GB": `07700 900123` -> `+447700900123`) reads it; else its digits.

    Memoised (a pure function of its arguments: phonenumbers' parse is the costly part, about 15 us a
    number, and a customers file or an e-mail archive names the same numbers again and again)."""
    digits = _digits(text)
    international = text.lstrip().startswith("+") or digits.startswith("00")
    if not (international or region):
        return digits
    try:
        number = phonenumbers.parse("+" + digits.removeprefix("00"), None) if international else (
            phonenumbers.parse(digits, region.upper()))
    except phonenumbers.NumberParseException:
        return digits
    if not international and not phonenumbers.is_possible_number(number):
        return digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise(ref_type: str, value: object, region: str | None = None) -> str | None:
    """The identifier as it is hashed (None when empty); `region`: phones' default country.

    >>> normalise("handle", "@JoBloggs"), normalise("phone", "0048 601-234-567")
    ('jobloggs', '+48601234567')
    """
    if value is None:
        return None
    text = str(value).strip()
    if ref_type == "email":
        text = text.lower()
    elif ref_type == "phone":
        text = _phone(text, region)
    elif ref_type == "handle":
        text = text.lstrip("@").strip().lower()
    elif ref_type != "crm":
        raise ValueError(f"unknown customer reference type {ref_type!r}; use one of {', '.join(REF_TYPES)}")
    return text or None


def ref_hash(ref_type: str, value: object, region: str | None = None) -> str | None:
    """The keyed hash stored for a reference (None when the value is empty)."""
    text = normalise(ref_type, value, region)
    return keys.keyed_hash(text, KIND_PREFIX + ref_type) if text else None


def pseudonym(hashed: str | None) -> str | None:
    """`cust-khdpaejf...`: how a customer is shown, from the keyed hash of its CRM id or reference."""
    return PSEUDONYM_PREFIX + hashed[:PSEUDONYM_CHARS] if hashed else None


def pseudonym_of(ref_type: str, value: object, region: str | None = None) -> str | None:
    """The pseudonym a raw identifier gets in the open warehouse (before stitching to a CRM id)."""
    return pseudonym(ref_hash(ref_type, value, region))


def _hash_arrow(kinds: pa.Array, values: pa.Array, regions: pa.Array) -> pa.Array:
    # each distinct (kind, value, region) of the batch is normalised and hashed once
    kinds = pc.fill_null(kinds.cast(pa.string()), "")
    regions = pc.fill_null(regions.cast(pa.string()), "")
    pairs = pc.binary_join_element_wise(kinds, regions, values.cast(pa.string()), "\x1f")
    if isinstance(pairs, pa.ChunkedArray):
        pairs = pairs.combine_chunks()
    encoded = pc.dictionary_encode(pairs)
    hashed = []
    for pair in encoded.dictionary.to_pylist():
        kind, region, value = pair.split("\x1f", 2)
        hashed.append(ref_hash(kind, value, region or None))
    return pc.take(pa.array(hashed, pa.string()), encoded.indices)


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make `voc_keyed_hash(kind, raw_value, phone_region)` (normalise, then `ref_hash`) callable in SQL."""
    if not has_function(con, SQL_FUNCTION):
        con.create_function(
            SQL_FUNCTION, _hash_arrow, ["VARCHAR", "VARCHAR", "VARCHAR"], "VARCHAR",
            type="arrow", null_handling="special", side_effects=False,
        )
        mark_function(con, SQL_FUNCTION)


def sql_hash(kind_sql: str, value_sql: str) -> str:
    """SQL for the keyed hash of a raw value (expressions built from constants); see `register`.

    The statement binds `$phone_region` (`[ingest] phone_region`, NULL for none)."""
    return f"{SQL_FUNCTION}({kind_sql}, {value_sql}, CAST($phone_region AS VARCHAR))"


def sql_pseudonym(hash_sql: str) -> str:
    """SQL twin of `pseudonym`."""
    return f"'{PSEUDONYM_PREFIX}' || left({hash_sql}, {PSEUDONYM_CHARS})"


def rebuild_identities(con: duckdb.DuckDBPyConnection) -> int:
    """Recreate `staging.identities` from `staging.customers` (small: one row per identifier)."""
    con.execute("DELETE FROM staging.identities")
    parts = [
        f"SELECT '{kind}' AS identifier_type, {kind} AS identifier_value, customer_id FROM staging.customers"
        for kind in ("email", "phone", "handle")
    ]
    con.execute(
        "INSERT INTO staging.identities SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ") "
        "WHERE identifier_value IS NOT NULL"
    )
    return con.execute("SELECT count(*) FROM staging.identities").fetchall()[0][0]


def resolve_interactions(con: duckdb.DuckDBPyConnection, file_ids: list[str] | None = None) -> int:
    """Set `customer_id` from each interaction's reference (all rows, or those of `file_ids`); returns rows changed.

    An identifier shared by several CRM customers resolves to the smallest id, deterministically.
    """
    where = "AND i.file_id IN (SELECT unnest(?::VARCHAR[]))" if file_ids else ""
    params = [list(file_ids)] if file_ids else []
    con.execute(
        f"""
        UPDATE staging.interactions AS i
        SET customer_id = r.resolved
        FROM (
            SELECT i.interaction_id,
                   COALESCE(min(d.customer_id), {sql_pseudonym('i.customer_ref')}) AS resolved
            FROM staging.interactions AS i
            LEFT JOIN staging.identities AS d
              ON d.identifier_type = i.customer_ref_type AND d.identifier_value = i.customer_ref
            WHERE i.customer_ref IS NOT NULL {where}
            GROUP BY i.interaction_id, i.customer_ref_type, i.customer_ref
        ) AS r
        WHERE i.interaction_id = r.interaction_id AND i.customer_id IS DISTINCT FROM r.resolved
        """,
        params,
    )
    rows = con.fetchall()
    return int(rows[0][0]) if rows else 0
