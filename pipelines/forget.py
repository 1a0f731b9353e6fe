"""Forget a customer (the right to erasure): every trace of their contacts, in every layer.

`forget(con, who)` takes a pseudonym (`cust-...`), a CRM id, an email, a phone or a handle, finds
the customer it names (identifiers are matched on their keyed hashes, `pipelines.ingest.identity`)
and deletes, in one transaction:
- raw: the records of their contacts and of their CRM/transactions rows, plus any other record or
  reject whose payload or excerpt holds one of their identifiers (a rejected row of theirs never
  reached staging); `raw.files` counts are lowered so `n_read = n_loaded + n_rejected` still holds;
- staging: their contacts, turns, customer row, transactions and identities;
- enriched: every row keyed by one of their interaction ids (scores, topic assignments...), the
  embeddings of texts no remaining contact has, and representative texts quoting them in
  `enriched.topics` and in the saved topic models' `model.json`.
The caller then rebuilds the marts and publishes (`pipelines.commands.forget` does), so the
aggregates and the serving copy no longer count them either.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from pipelines.errors import UserError
from pipelines.ingest import identity
from pipelines.warehouse import table_exists, transaction

LAYERS = ("raw", "staging", "enriched")
_DIGITS = re.compile(r"\D+")


class ForgetError(UserError, ValueError):
    """Nothing to forget under that identifier; the message says what was tried."""


def _customers(con: duckdb.DuckDBPyConnection, who: str, hashes: list[str], region: str | None) -> list[str]:
    """The pseudonyms `who` names: itself, its CRM id's, or those its identifiers stitch to."""
    candidates = {who} if who.startswith(identity.PSEUDONYM_PREFIX) else set()
    candidates.add(identity.pseudonym(identity.ref_hash("crm", who, region)))
    rows = con.execute(
        "SELECT customer_id FROM staging.identities WHERE identifier_value IN (SELECT unnest($h::VARCHAR[])) "
        "UNION SELECT customer_id FROM staging.interactions WHERE customer_ref IN (SELECT unnest($h::VARCHAR[])) "
        "AND customer_id IS NOT NULL",
        {"h": hashes},
    ).fetchall()
    candidates |= {r[0] for r in rows}
    known = con.execute(
        "SELECT customer_id FROM staging.customers WHERE customer_id IN (SELECT unnest($c::VARCHAR[])) "
        "UNION SELECT customer_id FROM staging.interactions WHERE customer_id IN (SELECT unnest($c::VARCHAR[]))",
        {"c": sorted(candidates)},
    ).fetchall()
    return sorted(r[0] for r in known)


def _needles(who: str, hashes: list[str], region: str | None) -> tuple[list[str], list[str]]:
    """(substrings, whole JSON string values) that mark a raw payload or excerpt as theirs."""
    text = who.strip().lower()
    loose = [h for h in hashes]  # 32 letters: never part of anything else
    exact = [text]
    if "@" in text and "." in text:
        loose.append(text)
    digits = _DIGITS.sub("", text)
    if (
        len(digits) >= 7 and len(digits) >= len(text.replace(" ", "")) - 4
    ):  # a phone, as written or digits only
        loose += [text, digits]
        if phone := identity.normalise("phone", who, region):
            loose.append(phone.lower())
    if text.startswith("@"):
        exact.append(text.lstrip("@"))
    return sorted(set(loose)), sorted(set(exact))


def _contains_any(column: str) -> str:
    """SQL: `column` (lower-cased text) holds one of $loose, or one of $exact as a whole JSON string."""
    return (
        f"(list_bool_or([contains(lower({column}), n) FOR n IN $loose::VARCHAR[]]) OR "
        f"list_bool_or([contains(lower({column}), '\"' || n || '\"') FOR n IN $exact::VARCHAR[]]))"
    )


# A rejected row never reached staging: it is theirs when a value in its excerpt hashes to one of
# their identifiers (each quoted value and each bare email tried as every kind of reference).
REJECT_TOKENS_SQL = f"""
    SELECT DISTINCT file_id, record_no FROM (
        SELECT file_id, record_no, unnest(list_concat(
            regexp_extract_all(excerpt, '"([^"\\\\]{{1,80}})"', 1),
            regexp_extract_all(excerpt, '[^\\s"<>(),;]+@[^\\s"<>(),;]+'))) AS token
        FROM raw.rejects) t, (VALUES ('email'), ('phone'), ('handle'), ('crm')) k(kind)
    WHERE {identity.sql_hash("kind", "token")} IN (SELECT unnest($h::VARCHAR[]))
       OR {identity.sql_pseudonym(identity.sql_hash("kind", "token"))} IN (SELECT unnest($c::VARCHAR[]))"""


def _tables_with(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT table_schema || '.' || table_name FROM information_schema.columns "
        "WHERE column_name = ? AND table_schema IN (SELECT unnest(?::VARCHAR[])) "
        "AND table_catalog = current_database() ORDER BY 1",
        [column, list(LAYERS)],
    ).fetchall()
    return [r[0] for r in rows]


def representative(text: str, max_chars: int) -> str:
    """A text as the topic model quotes it (whitespace collapsed, cut): what to look for."""
    return " ".join(text.split())[:max_chars]


def forget(
    con: duckdb.DuckDBPyConnection, who: str, phone_region: str | None = None
) -> tuple[list[str], dict[str, int]]:
    """Delete everything about the customer `who` names; returns (pseudonyms, rows removed per table).

    `phone_region`: the `[ingest] phone_region` the contacts were loaded with (phones are matched as
    they were normalised then)."""
    who = who.strip()
    identity.register(con)
    if not who:
        raise ForgetError("give the customer to forget: --customer ID|EMAIL|PHONE|HANDLE|cust-...")
    hashes = sorted({h for kind in identity.REF_TYPES if (h := identity.ref_hash(kind, who, phone_region))})
    customers = _customers(con, who, hashes, phone_region)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _forget_ix AS SELECT interaction_id, file_id, record_no, text, agent_text "
        "FROM staging.interactions WHERE customer_id IN (SELECT unnest($c::VARCHAR[])) "
        "OR customer_ref IN (SELECT unnest($h::VARCHAR[]))",
        {"c": customers, "h": hashes},
    )
    n_contacts = con.execute("SELECT count(*) FROM _forget_ix").fetchall()[0][0]
    if not customers and not n_contacts:
        raise ForgetError(
            f"no customer or contact matches {who!r} (tried it as a pseudonym, CRM id, email, phone and handle)"
        )
    # every identifier of theirs, so raw rows holding any of them are found too
    hashes = sorted(
        set(hashes)
        | {
            r[0]
            for r in con.execute(
                "SELECT identifier_value FROM staging.identities WHERE customer_id IN (SELECT unnest($c::VARCHAR[])) "
                "UNION SELECT customer_ref FROM staging.interactions WHERE interaction_id IN "
                "(SELECT interaction_id FROM _forget_ix) AND customer_ref IS NOT NULL",
                {"c": customers},
            ).fetchall()
        }
    )
    loose, exact = _needles(who, hashes, phone_region)
    removed: dict[str, int] = {}

    def run(table: str, sql: str, params: dict | None = None) -> None:
        con.execute(sql, params or {})
        n = int(con.fetchall()[0][0])
        removed[table] = removed.get(table, 0) + n

    with transaction(con):
        texts = [
            r[0]
            for r in con.execute(
                "SELECT t FROM (SELECT text AS t FROM _forget_ix UNION ALL SELECT agent_text FROM _forget_ix "
                "UNION ALL SELECT text FROM staging.turns WHERE interaction_id IN (SELECT interaction_id FROM _forget_ix)) "
                "WHERE t IS NOT NULL"
            ).fetchall()
        ]
        # raw: their records (by position and by content), then the rejects among them
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _forget_raw AS
            SELECT file_id, record_no FROM _forget_ix
            UNION SELECT file_id, record_no FROM staging.customers WHERE customer_id IN (SELECT unnest($c::VARCHAR[]))
            UNION SELECT file_id, record_no FROM staging.transactions
                  WHERE customer_id IN (SELECT unnest($c::VARCHAR[]))
            UNION SELECT file_id, record_no FROM raw.records WHERE {_contains_any("payload::VARCHAR")}
            UNION SELECT file_id, record_no FROM raw.rejects WHERE {_contains_any("excerpt")}
            UNION {REJECT_TOKENS_SQL}""",
            {"c": customers, "loose": loose, "exact": exact, "h": hashes, "phone_region": phone_region or None},
        )
        counts = con.execute(
            "SELECT r.file_id, count(DISTINCT r.record_no) FILTER (WHERE x.record_no IS NOT NULL), "
            "count(DISTINCT j.record_no) FILTER (WHERE j.record_no IS NOT NULL) FROM _forget_raw r "
            "LEFT JOIN raw.records x USING (file_id, record_no) LEFT JOIN raw.rejects j USING (file_id, record_no) "
            "GROUP BY 1"
        ).fetchall()
        for file_id, n_records, n_rejects in counts:
            con.execute(
                "UPDATE raw.files SET n_read = n_read - ?, n_loaded = n_loaded - ?, n_rejected = n_rejected - ? "
                "WHERE file_id = ?",
                [n_records, max(n_records - n_rejects, 0), n_rejects, file_id],
            )
        for table in ("raw.records", "raw.rejects"):
            run(
                table,
                f"DELETE FROM {table} t USING _forget_raw f "
                "WHERE t.file_id = f.file_id AND t.record_no = f.record_no",
            )
        # every table keyed by interaction id (staging.turns, scores, topic assignments, others' additions)
        for table in _tables_with(con, "interaction_id"):
            if table != "staging.interactions":
                run(
                    table,
                    f"DELETE FROM {table} WHERE interaction_id IN (SELECT interaction_id FROM _forget_ix)",
                )
        run(
            "staging.interactions",
            "DELETE FROM staging.interactions WHERE interaction_id IN (SELECT interaction_id FROM _forget_ix)",
        )
        for table in ("staging.customers", "staging.transactions", "staging.identities"):
            run(
                table,
                f"DELETE FROM {table} WHERE customer_id IN (SELECT unnest($c::VARCHAR[]))",
                {"c": customers},
            )
        # embeddings of their texts that no remaining contact shares
        run(
            "enriched.embeddings",
            "DELETE FROM enriched.embeddings WHERE text_hash IN (SELECT md5(unnest($t::VARCHAR[]))) "
            "AND text_hash NOT IN (SELECT md5(text) FROM staging.interactions WHERE text IS NOT NULL "
            "UNION SELECT md5(agent_text) FROM staging.interactions WHERE agent_text IS NOT NULL "
            "UNION SELECT md5(text) FROM staging.turns WHERE text IS NOT NULL)",
            {"t": texts},
        )
        removed.update(_forget_representatives(con, texts))
    return customers, removed


def _quotes(texts: list[str], cleaning: dict | None) -> tuple[list[str], list[str]]:
    """How a topic model quotes `texts` (their reason texts by its own cleaning, and the texts as such,
    whitespace collapsed and cut like `pipelines.topics.model` cuts representative texts), and the
    reason texts whole (what topics embeds)."""
    from pipelines.topics.cleaning import Vocabulary, clean_texts
    from pipelines.topics.model import MAX_REPRESENTATIVE_CHARS

    reasons = [r for r in clean_texts(texts, Vocabulary.from_dict(cleaning)) if r] if texts else []
    quotes = {representative(t, MAX_REPRESENTATIVE_CHARS) for t in [*texts, *reasons]} - {""}
    return sorted(quotes), reasons


def _forget_representatives(con: duckdb.DuckDBPyConnection, texts: list[str]) -> dict[str, int]:
    """Drop representative texts quoting `texts` from enriched.topics and the saved models' model.json,
    and the embeddings of their reason texts (the store re-encodes a shared one when it is needed)."""
    if not texts or not table_exists(con, "enriched", "topics"):
        return {}
    models = (
        dict(con.execute("SELECT topic_model_version, path FROM enriched.topic_models").fetchall())
        if (table_exists(con, "enriched", "topic_models"))
        else {}
    )
    versions = [
        r[0] for r in con.execute("SELECT DISTINCT topic_model_version FROM enriched.topics").fetchall()
    ]
    reason_texts: set[str] = set()
    files, n = 0, 0
    for version in sorted(set(versions) | set(models)):
        model = Path(models[version]) / "model.json" if version in models else None
        meta = json.loads(model.read_text(encoding="utf-8")) if model and model.is_file() else None
        quoted, reasons = _quotes(texts, (meta or {}).get("cleaning"))
        reason_texts.update(reasons)
        n += con.execute(
            "SELECT coalesce(sum(len([r FOR r IN representative_texts IF list_contains($q::VARCHAR[], r)])), 0) "
            "FROM enriched.topics WHERE topic_model_version = $v",
            {"q": quoted, "v": version},
        ).fetchall()[0][0]
        con.execute(
            "UPDATE enriched.topics SET representative_texts = "
            "[r FOR r IN representative_texts IF NOT list_contains($q::VARCHAR[], r)] "
            "WHERE topic_model_version = $v AND list_has_any(representative_texts, $q::VARCHAR[])",
            {"q": quoted, "v": version},
        )
        if meta is None:
            continue
        gone, changed = set(quoted), False
        for topic in meta.get("topics", []):
            kept = [r for r in topic.get("representative_texts", []) if r not in gone]
            if len(kept) != len(topic.get("representative_texts", [])):
                topic["representative_texts"], changed = kept, True
        if changed:
            tmp = model.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
            tmp.replace(model)
            files += 1
    reasons = sorted(reason_texts - set(texts))
    con.execute(
        "DELETE FROM enriched.embeddings WHERE text_hash IN (SELECT md5(unnest($t::VARCHAR[]))) "
        "AND text_hash NOT IN (SELECT md5(text) FROM staging.interactions WHERE text IS NOT NULL)",
        {"t": reasons},
    )
    n_vectors = int(con.fetchall()[0][0])
    return {
        "enriched.topics (representative texts)": int(n),
        "topic model files": files,
        "enriched.embeddings (reason texts)": n_vectors,
    }
