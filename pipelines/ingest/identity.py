"""Cross-channel identity: normalised email/phone/handle -> CRM customer id.

`staging.identities` is rebuilt from `staging.customers` after every customers load, and
interactions are (re-)resolved against it after every load of either kind, so load order does
not matter. An interaction keeps its own reference (`customer_ref_type`, `customer_ref`, normalised)
and gets `customer_id` = the CRM id when an identifier matches, else the pseudo-id `'<type>:<value>'`.
"""

from __future__ import annotations

import re

import duckdb

REF_TYPES = ("crm", "email", "phone", "handle")
_NON_DIGITS = re.compile(r"\D+")

# SQL twins of the Python normalisers below; `{}` is a VARCHAR expression from constants.
SQL_NORMALISE = {
    "crm": "NULLIF(trim({}), '')",
    "email": "NULLIF(lower(trim({})), '')",
    # digits only, an international 00 prefix dropped: '+48 601-234-567' and '0048601234567' agree
    "phone": "NULLIF(regexp_replace(regexp_replace({}, '\\D', '', 'g'), '^00', ''), '')",
    "handle": "CASE WHEN NULLIF(trim(ltrim(trim({}), '@')), '') IS NULL THEN NULL "
    "ELSE '@' || lower(trim(ltrim(trim({}), '@'))) END",
}


def normalise(ref_type: str, value: object) -> str | None:
    """The identifier as stored in `staging.identities` (None when empty).

    >>> normalise("handle", "JoBloggs"), normalise("phone", "+48 601-234-567")
    ('@jobloggs', '48601234567')
    """
    if value is None:
        return None
    text = str(value).strip()
    if ref_type == "email":
        text = text.lower()
    elif ref_type == "phone":
        text = _NON_DIGITS.sub("", text)
        text = text[2:] if text.startswith("00") else text
    elif ref_type == "handle":
        text = text.lstrip("@").strip().lower()
        text = "@" + text if text else ""
    elif ref_type != "crm":
        raise ValueError(f"unknown customer reference type {ref_type!r}; use one of {', '.join(REF_TYPES)}")
    return text or None


def sql_normalise(ref_type: str, expr: str) -> str:
    """The SQL expression normalising VARCHAR `expr` (an identifier or constant-built expression)."""
    return SQL_NORMALISE[ref_type].replace("{}", f"({expr})")


def pseudo_id(ref_type: str | None, ref: str | None) -> str | None:
    """`customer_id` when no CRM match: the CRM id itself, or `'<type>:<value>'`."""
    if not ref_type or not ref:
        return None
    return ref if ref_type == "crm" else f"{ref_type}:{ref}"


def rebuild_identities(con: duckdb.DuckDBPyConnection) -> int:
    """Recreate `staging.identities` from `staging.customers` (small: one row per identifier)."""
    con.execute("DELETE FROM staging.identities")
    parts = [
        f"SELECT '{kind}' AS identifier_type, {sql_normalise(kind, kind)} AS identifier_value, customer_id "
        "FROM staging.customers"
        for kind in ("email", "phone", "handle")
    ]
    con.execute(
        "INSERT INTO staging.identities SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ") "
        "WHERE identifier_value IS NOT NULL"
    )
    return con.execute("SELECT count(*) FROM staging.identities").fetchall()[0][0]


def resolve_interactions(con: duckdb.DuckDBPyConnection, file_id: str | None = None) -> int:
    """Set `customer_id` from each interaction's reference (all rows, or one file's); returns rows changed.

    An identifier shared by several CRM customers resolves to the smallest id, deterministically.
    """
    where = "AND i.file_id = ?" if file_id else ""
    params = [file_id] if file_id else []
    con.execute(
        f"""
        UPDATE staging.interactions AS i
        SET customer_id = r.resolved
        FROM (
            SELECT i.interaction_id,
                   COALESCE(
                       CASE WHEN i.customer_ref_type = 'crm' THEN i.customer_ref END,
                       min(d.customer_id),
                       i.customer_ref_type || ':' || i.customer_ref) AS resolved
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
