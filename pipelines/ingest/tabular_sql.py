"""The SQL that types and validates each tabular format (read from `_voc_src`, all VARCHAR).

Each format yields a `Spec`: statements that build `_voc_typed` (one row per source record, with
`reason` NULL for good records), statements run inside the load transaction to reject ids that
other files already loaded, and the inserts into staging. Source column names come from the
file's header and are quoted by `quote`; every value (time zone, brand accounts, reasons) is a
bound `$name` parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.ingest.identity import sql_normalise
from pipelines.ingest.records import IngestOptions
from pipelines.ingest.timeparse import fast_sql, sql_timestamp

TEXT_FIELDS = ("text", "agent_text", "subject")
CHANNEL_SQL = (
    "CASE WHEN {x} IS NULL THEN NULL "
    "WHEN regexp_matches(lower({x}), 'phone|voice|call') THEN 'call' "
    "WHEN regexp_matches(lower({x}), 'chat|messag') THEN 'chat' "
    "WHEN regexp_matches(lower({x}), 'social|twitter|facebook|instagram|tweet') THEN 'social' "
    "WHEN regexp_matches(lower({x}), 'mail|web|fax|referral|letter|form') THEN 'email' "
    "ELSE lower({x}) END"
)
SPEAKER_SQL = (
    "CASE WHEN lower({x}) IN ('customer', 'caller', 'client', 'user', 'cust', 'consumer') THEN 'customer' "
    "WHEN lower({x}) IN ('agent', 'rep', 'representative', 'advisor', 'operator', 'staff') THEN 'agent' "
    "WHEN lower({x}) IN ('system', 'action', 'bot', 'ivr') THEN 'system' END"
)
REF_SQL = (
    "CASE customer_ref_type WHEN 'email' THEN "
    + sql_normalise("email", "ref_raw")
    + " WHEN 'phone' THEN "
    + sql_normalise("phone", "ref_raw")
    + " WHEN 'handle' THEN "
    + sql_normalise("handle", "ref_raw")
    + " ELSE "
    + sql_normalise("crm", "ref_raw")
    + " END"
)
INSERT_INTERACTIONS = (
    "INSERT INTO staging.interactions SELECT interaction_id, source_id, channel, direction, "
    "CASE WHEN customer_ref_type = 'crm' THEN customer_ref ELSE customer_ref_type || ':' || customer_ref END, "
    "CASE WHEN customer_ref IS NOT NULL THEN customer_ref_type END, customer_ref, occurred_at, text, agent_text, "
    "subject, agent_id, duration_s, thread_id, brand, queue, source_category, $file_id, record_no "
    "FROM {src} WHERE reason IS NULL"
)


def _existing_interactions(table: str) -> str:
    return (
        f"UPDATE {table} SET reason = 'duplicate id: ' || {table}.source_id || ' already loaded from ' "
        "|| x.path || ' (record ' || x.record_no || ')' FROM (SELECT i.interaction_id, i.record_no, "
        "COALESCE(f.path, i.file_id) AS path FROM staging.interactions i LEFT JOIN raw.files f "
        f"USING (file_id)) x WHERE {table}.reason IS NULL AND x.interaction_id = {table}.interaction_id"
    )


@dataclass
class Spec:
    """What `tabular.load` runs for one file."""

    prepare: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    inserts: list[str] = field(default_factory=list)


def quote(name: str) -> str:
    """A source column name as a safe SQL identifier (names come from file headers)."""
    return '"' + name.replace('"', '""') + '"'


def used_params(sql: str, params: dict[str, object]) -> dict[str, object]:
    """Only the parameters a statement names (DuckDB rejects unused ones)."""
    names = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return {k: v for k, v in params.items() if k in names}


class _Builder:
    def __init__(
        self,
        fmt: str,
        found: dict[str, str],
        unknown: dict[str, str],
        header: list[str],
        options: IngestOptions,
        path: Path,
        fast: dict[str, str] | None = None,
    ):
        self.fmt, self.found, self.options = fmt, found, options
        self.fast = fast or {}
        self.params: dict[str, object] = {"unknown": None}
        if unknown:
            pairs = ", ".join(f"'{c}' (mapped to {f})" for f, c in sorted(unknown.items()))
            self.params["unknown"] = (
                f"unknown column: {pairs} not in the file; its columns are: " f"{', '.join(header)[:300]}"
            )
        ts, ts_params = sql_timestamp("{x}", options.timezone, named=True)
        self.ts_template = ts
        self.params.update(ts_params)  # type: ignore[arg-type]
        self.params["mtime"] = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
        self.params["channel"] = options.channel
        self.params["brands"] = [b.lstrip("@").lower() for b in options.brand_accounts]

    def v(self, fld: str) -> str:
        col = self.found.get(fld)
        return f"NULLIF(trim({quote(col)}), '')" if col else "NULL::VARCHAR"

    def vid(self, fld: str) -> str:
        """An id: spreadsheets and pandas turn `3` into `3.0`; both are the same id."""
        return f"regexp_replace({self.v(fld)}, '^(-?[0-9]+)\\.0+$', '\\1')"

    def ts(self, fld: str) -> str:
        return self.ts_of(self.v(fld), fld) if fld in self.found else "NULL::TIMESTAMP"

    def ts_of(self, alias: str, fld: str = "occurred_at") -> str:
        """The timestamp expression over an already-trimmed column alias (computed once, not per branch)."""
        general = self.ts_template.replace("{x}", alias)
        fmt = self.fast.get(fld)
        if not fmt:
            return general
        # the file's own format first; the general chain only for rows it does not fit
        self.params[f"ts_fast_{fld}"] = fmt
        return f"COALESCE({fast_sql(alias, fmt, f'ts_fast_{fld}', 'ts_tz')}, {general})"

    def num(self, fld: str) -> str:
        return f"TRY_CAST(regexp_replace({self.v(fld)}, '[\\s$€£,]', '', 'g') AS DOUBLE)"

    def missing(self, fld: str, what: str) -> str:
        """Reason for an empty required field; says which column to map when none is."""
        key = f"missing_{fld}"
        if fld in self.found:
            self.params[key] = f"{what}: column '{self.found[fld]}' is empty"
        else:
            self.params[key] = f"{what}: no column for {fld} (map one with --column {fld}=COLUMN)"
        return f"${key}"

    def stmt(self, sql: str) -> tuple[str, dict[str, object]]:
        return sql, used_params(sql, self.params)


def _finish_interactions(b: _Builder, base: str) -> str:
    """Wrap a format's SELECT (one row per record) into `_voc_typed` with keys and reasons."""
    return f"""CREATE TEMP TABLE _voc_typed AS
    WITH base AS ({base}),
    keyed AS (
        SELECT *, substr(sha1(channel || '|' || source_id), 1, 16) AS interaction_id,
               {REF_SQL} AS customer_ref,
               CASE WHEN $unknown IS NOT NULL THEN $unknown
                    WHEN source_id IS NULL THEN {b.missing('source_id', 'missing id')}
                    WHEN channel NOT IN ('call', 'chat', 'email', 'social') THEN 'unknown channel: ' || channel
                    WHEN direction NOT IN ('inbound', 'outbound') THEN 'unknown direction: ' || direction
                    WHEN any_text IS NULL THEN {b.missing('text', 'missing text')}
                    WHEN occurred_raw IS NULL THEN {b.missing('occurred_at', 'missing timestamp')}
                    WHEN occurred_at IS NULL THEN 'unparseable timestamp: ' || left(occurred_raw, 60)
               END AS reason0
        FROM base),
    firsts AS (
        -- a GROUP BY + join: several times cheaper than a window partitioned by a unique key
        SELECT interaction_id, min(record_no) AS first_no FROM keyed WHERE reason0 IS NULL GROUP BY interaction_id)
    SELECT k.* EXCLUDE (reason0, ref_raw, any_text, occurred_raw),
           CASE WHEN k.reason0 IS NOT NULL THEN k.reason0
                WHEN k.record_no <> f.first_no THEN 'duplicate id: ' || k.source_id || ' is also record ' || f.first_no
                     || ' of this file' END AS reason
    FROM keyed k LEFT JOIN firsts f USING (interaction_id)"""


def _social(b: _Builder) -> Spec:
    source_id = (
        b.vid("source_id")
        if "source_id" in b.found
        # no id column: a content id, stable across re-exports of the same post
        else (
            f"'post:' || substr(md5(concat_ws('|', {b.v('customer_id')}, {b.v('occurred_at')}, {b.v('text')})), 1, 16)"
        )
    )
    base = f"""WITH RECURSIVE
    src AS (
        SELECT record_no, {source_id} AS source_id, {b.v('occurred_at')} AS occurred_raw,
               {b.v('text')} AS body, {b.v('customer_id')} AS author,
               {b.vid('in_reply_to')} AS parent, lower({b.v('inbound')}) AS inbound_raw,
               {b.v('brand')} AS brand_src, {b.v('source_category')} AS source_category,
               {b.v('thread_id')} AS thread_src, {b.v('agent_id')} AS agent_src
        FROM _voc_src),
    dir AS (
        SELECT *, {b.ts_of('occurred_raw', 'occurred_at')} AS occurred_at, CASE WHEN inbound_raw IN ('false', '0', 'no', 'n', 'f')
                         OR lower(ltrim(author, '@')) IN (SELECT unnest($brands::VARCHAR[]))
                       THEN 'outbound' ELSE 'inbound' END AS direction
        FROM src),
    -- one row per post id (the first record wins); GROUP BY is much cheaper than DISTINCT ON here
    ids AS (
        SELECT source_id, arg_min(parent, record_no) AS parent, arg_min(author, record_no) AS author,
               arg_min(direction, record_no) AS direction
        FROM dir WHERE source_id IS NOT NULL GROUP BY source_id),
    walk(source_id, root) AS (
        SELECT i.source_id, COALESCE(prev.thread_id, i.parent, i.source_id)
        FROM ids i LEFT JOIN (SELECT source_id, min(thread_id) AS thread_id FROM staging.interactions
                              WHERE channel = 'social' GROUP BY source_id) prev ON prev.source_id = i.parent
        WHERE i.parent IS NULL OR i.parent NOT IN (SELECT source_id FROM ids)
        UNION
        SELECT c.source_id, w.root FROM ids c JOIN walk w ON c.parent = w.source_id),
    threaded AS (
        SELECT d.*, COALESCE(d.thread_src, w.root, d.source_id) AS thread_id
        FROM dir d LEFT JOIN walk w USING (source_id)),  -- one root per id: each id has one parent
    thread_info AS (
        SELECT thread_id, min(author) FILTER (WHERE direction = 'outbound') AS brand_author,
               arg_min(author, occurred_at) FILTER (WHERE direction = 'inbound' AND author IS NOT NULL) AS customer
        FROM threaded GROUP BY thread_id)
    SELECT t.record_no, t.source_id, 'social' AS channel, t.direction,
           CASE WHEN t.direction = 'inbound' THEN t.author
                ELSE COALESCE(CASE WHEN p.direction = 'inbound' THEN p.author END, ti.customer) END AS ref_raw,
           'handle' AS customer_ref_type, t.occurred_raw, t.occurred_at,
           CASE WHEN t.direction = 'inbound' THEN t.body END AS text,
           CASE WHEN t.direction = 'outbound' THEN t.body END AS agent_text,
           NULL::VARCHAR AS subject,
           COALESCE(t.agent_src, CASE WHEN t.direction = 'outbound' THEN t.author END) AS agent_id,
           NULL::DOUBLE AS duration_s, t.thread_id,
           COALESCE(t.brand_src, CASE WHEN t.direction = 'outbound' THEN t.author END, ti.brand_author) AS brand,
           NULL::VARCHAR AS queue, t.source_category, t.body AS any_text
    FROM threaded t LEFT JOIN thread_info ti USING (thread_id) LEFT JOIN ids p ON p.source_id = t.parent"""
    return Spec(
        [b.stmt(_finish_interactions(b, base))],
        [_existing_interactions("_voc_typed")],
        [INSERT_INTERACTIONS.format(src="_voc_typed")],
    )


def _ref_columns(b: _Builder) -> str:
    crm, email, phone, handle = (
        b.v(f) for f in ("customer_id", "customer_email", "customer_phone", "customer_handle")
    )
    return (
        f"COALESCE({crm}, {email}, {phone}, {handle}) AS ref_raw, "
        f"CASE WHEN {crm} IS NOT NULL THEN 'crm' WHEN {email} IS NOT NULL THEN 'email' "
        f"WHEN {phone} IS NOT NULL THEN 'phone' WHEN {handle} IS NOT NULL THEN 'handle' END AS customer_ref_type"
    )


def _tickets(b: _Builder) -> Spec:
    """Helpdesk tickets and CFPB complaints: one row = one written contact."""
    channel = CHANNEL_SQL.replace("{x}", b.v("channel"))
    base = f"""SELECT *, {b.ts_of('occurred_raw', 'occurred_at')} AS occurred_at FROM (
        SELECT record_no, {b.vid('source_id')} AS source_id,
               COALESCE($channel, {channel}, 'email') AS channel,
               COALESCE(lower({b.v('direction')}), 'inbound') AS direction, {_ref_columns(b)},
               {b.v('occurred_at')} AS occurred_raw,
               {b.v('text')} AS text, {b.v('agent_text')} AS agent_text, {b.v('subject')} AS subject,
               {b.v('agent_id')} AS agent_id, {b.num('duration_s')} AS duration_s,
               COALESCE({b.v('thread_id')}, {b.vid('source_id')}) AS thread_id, {b.v('brand')} AS brand,
               {b.v('queue')} AS queue, {b.v('source_category')} AS source_category, {b.v('text')} AS any_text
        FROM _voc_src)"""
    return Spec(
        [b.stmt(_finish_interactions(b, base))],
        [_existing_interactions("_voc_typed")],
        [INSERT_INTERACTIONS.format(src="_voc_typed")],
    )


def _utterances(b: _Builder) -> Spec:
    """One row per utterance; the rows of a conversation id become one interaction with turns."""
    speaker = SPEAKER_SQL.replace("{x}", b.v("speaker"))
    channel = CHANNEL_SQL.replace("{x}", b.v("channel"))
    no_ts = "$mtime" if "occurred_at" not in b.found else "NULL::TIMESTAMP"
    rows = f"""CREATE TEMP TABLE _voc_typed AS
    WITH u AS (
        SELECT record_no, {b.vid('source_id')} AS source_id, COALESCE($channel, {channel}, 'call') AS channel,
               {speaker} AS speaker, {b.v('speaker')} AS speaker_raw, {b.v('text')} AS body,
               {b.v('turn_no')} AS turn_raw, {b.num('turn_no')} AS turn_num,
               {b.v('begin_s')} AS begin_raw, {b.num('begin_s')} AS begin_s,
               {b.v('end_s')} AS end_raw, {b.num('end_s')} AS end_s,
               {b.v('occurred_at')} AS occurred_raw, {b.ts('occurred_at')} AS occurred_at, {_ref_columns(b)},
               {b.v('agent_id')} AS agent_id, {b.v('queue')} AS queue, {b.v('brand')} AS brand,
               COALESCE(lower({b.v('direction')}), 'inbound') AS direction,
               {b.v('source_category')} AS source_category, {b.num('duration_s')} AS duration_s
        FROM _voc_src),
    checked AS (
        SELECT *, substr(sha1(channel || '|' || source_id), 1, 16) AS interaction_id, {REF_SQL} AS customer_ref,
               CASE WHEN $unknown IS NOT NULL THEN $unknown
                    WHEN source_id IS NULL THEN {b.missing('source_id', 'missing id')}
                    WHEN channel NOT IN ('call', 'chat', 'email', 'social') THEN 'unknown channel: ' || channel
                    WHEN direction NOT IN ('inbound', 'outbound') THEN 'unknown direction: ' || direction
                    WHEN body IS NULL THEN {b.missing('text', 'missing text')}
                    WHEN speaker IS NULL THEN 'unknown speaker: ' || COALESCE(speaker_raw, 'none')
                    WHEN turn_raw IS NOT NULL AND turn_num IS NULL THEN 'bad number: turn ' || turn_raw
                    WHEN begin_raw IS NOT NULL AND begin_s IS NULL THEN 'bad number: begin ' || begin_raw
                    WHEN end_raw IS NOT NULL AND end_s IS NULL THEN 'bad number: end ' || end_raw
                    WHEN occurred_raw IS NOT NULL AND occurred_at IS NULL
                         THEN 'unparseable timestamp: ' || left(occurred_raw, 60)
               END AS reason0
        FROM u)
    SELECT *, CASE WHEN reason0 IS NULL AND turn_num IS NOT NULL AND record_no <> min(record_no)
                        FILTER (WHERE reason0 IS NULL) OVER (PARTITION BY interaction_id, turn_num)
                   THEN 'duplicate turn: ' || source_id || ' turn ' || turn_raw ELSE reason0 END AS reason
    FROM checked"""
    conv = f"""CREATE TEMP TABLE _voc_conv AS
    SELECT interaction_id, any_value(source_id) AS source_id, any_value(channel) AS channel,
           any_value(direction) AS direction, min(customer_ref_type) AS customer_ref_type,
           arg_min(customer_ref, customer_ref_type) AS customer_ref,
           COALESCE(min(occurred_at), {no_ts}) AS occurred_at,
           string_agg(body, chr(10) ORDER BY turn_num, record_no) FILTER (WHERE speaker = 'customer') AS text,
           string_agg(body, chr(10) ORDER BY turn_num, record_no) FILTER (WHERE speaker = 'agent') AS agent_text,
           NULL::VARCHAR AS subject, min(agent_id) AS agent_id,
           COALESCE(max(duration_s), max(end_s) - COALESCE(min(begin_s), 0)) AS duration_s,
           any_value(source_id) AS thread_id, min(brand) AS brand, min(queue) AS queue,
           min(source_category) AS source_category, min(record_no) AS record_no,
           CASE WHEN COALESCE(min(occurred_at), {no_ts}) IS NULL
                THEN {b.missing('occurred_at', 'missing timestamp')}
                WHEN count(*) FILTER (WHERE speaker = 'customer') = 0
                THEN 'missing text: conversation has no customer turns' END AS reason
    FROM _voc_typed WHERE reason IS NULL GROUP BY interaction_id"""
    propagate = (
        "UPDATE _voc_typed SET reason = c.reason FROM _voc_conv c WHERE _voc_typed.reason IS NULL "
        "AND c.interaction_id = _voc_typed.interaction_id AND c.reason IS NOT NULL"
    )
    turns = (
        "INSERT INTO staging.turns SELECT interaction_id, row_number() OVER (PARTITION BY interaction_id "
        "ORDER BY turn_num, record_no), speaker, body, begin_s, end_s, $file_id FROM _voc_typed "
        "WHERE reason IS NULL"
    )
    return Spec(
        [b.stmt(rows), b.stmt(conv), (propagate, {})],
        [_existing_interactions("_voc_conv"), propagate],
        [INSERT_INTERACTIONS.format(src="_voc_conv"), turns],
    )


def _customers(b: _Builder) -> Spec:
    nums = ("revenue", "margin", "tenure_months", "clv")
    checks = " ".join(
        f"WHEN {b.v(n)} IS NOT NULL AND {b.num(n)} IS NULL THEN 'bad number: {n} ' || {b.v(n)}" for n in nums
    )
    churned = (
        f"CASE WHEN lower({b.v('churned')}) IN ('1', 'true', 'yes', 'y', 't') THEN true "
        f"WHEN lower({b.v('churned')}) IN ('0', 'false', 'no', 'n', 'f') THEN false END"
    )
    sql = f"""CREATE TEMP TABLE _voc_typed AS
    WITH c AS (
        SELECT record_no, {b.vid('customer_id')} AS customer_id, {b.v('segment')} AS segment, {b.v('plan')} AS plan,
               {', '.join(f'{b.num(n)} AS {n}' for n in nums)}, {churned} AS churned,
               {b.ts('churned_at')} AS churned_at, {b.v('email')} AS email, {b.v('phone')} AS phone,
               {b.v('handle')} AS handle,
               CASE WHEN $unknown IS NOT NULL THEN $unknown
                    WHEN {b.vid('customer_id')} IS NULL THEN {b.missing('customer_id', 'missing id')}
                    {checks}
                    WHEN {b.v('churned')} IS NOT NULL AND {churned} IS NULL THEN 'bad boolean: churned ' || {b.v('churned')}
                    WHEN {b.v('churned_at')} IS NOT NULL AND {b.ts('churned_at')} IS NULL
                         THEN 'unparseable timestamp: churned_at ' || {b.v('churned_at')}
               END AS reason0
        FROM _voc_src)
    SELECT * EXCLUDE (reason0), CASE WHEN reason0 IS NULL AND record_no <> min(record_no) FILTER (WHERE reason0 IS NULL)
               OVER (PARTITION BY customer_id) THEN 'duplicate id: ' || customer_id || ' is also record '
               || min(record_no) FILTER (WHERE reason0 IS NULL) OVER (PARTITION BY customer_id) || ' of this file'
               ELSE reason0 END AS reason
    FROM c"""
    dup = (
        "UPDATE _voc_typed SET reason = 'duplicate id: ' || _voc_typed.customer_id || ' already loaded from ' "
        "|| x.path FROM (SELECT c.customer_id, COALESCE(f.path, c.file_id) AS path FROM staging.customers c "
        "LEFT JOIN raw.files f USING (file_id)) x WHERE _voc_typed.reason IS NULL "
        "AND x.customer_id = _voc_typed.customer_id"
    )
    insert = (
        "INSERT INTO staging.customers SELECT customer_id, segment, plan, revenue, margin, tenure_months, "
        "churned, churned_at, clv, email, phone, handle, $file_id, record_no FROM _voc_typed "
        "WHERE reason IS NULL ORDER BY record_no"
    )
    return Spec([b.stmt(sql)], [dup], [insert])


def _transactions(b: _Builder) -> Spec:
    sql = f"""CREATE TEMP TABLE _voc_typed AS
    SELECT record_no, {b.vid('customer_id')} AS customer_id, {b.ts('occurred_at')} AS occurred_at,
           {b.num('amount')} AS amount,
           CASE WHEN $unknown IS NOT NULL THEN $unknown
                WHEN {b.vid('customer_id')} IS NULL THEN {b.missing('customer_id', 'missing id')}
                WHEN {b.v('occurred_at')} IS NULL THEN {b.missing('occurred_at', 'missing timestamp')}
                WHEN {b.ts('occurred_at')} IS NULL THEN 'unparseable timestamp: ' || left({b.v('occurred_at')}, 60)
                WHEN {b.v('amount')} IS NULL THEN {b.missing('amount', 'missing amount')}
                WHEN {b.num('amount')} IS NULL THEN 'bad number: amount ' || {b.v('amount')}
           END AS reason
    FROM _voc_src"""
    insert = (
        "INSERT INTO staging.transactions SELECT customer_id, occurred_at, amount, $file_id, record_no "
        "FROM _voc_typed WHERE reason IS NULL ORDER BY record_no"
    )
    return Spec([b.stmt(sql)], [], [insert])


BUILDERS = {
    "social_csv": _social,
    "social_jsonl": _social,
    "helpdesk_csv": _tickets,
    "cfpb_csv": _tickets,
    "utterances_csv": _utterances,
    "customers_csv": _customers,
    "transactions_csv": _transactions,
}


def build(
    fmt: str,
    found: dict[str, str],
    unknown: dict[str, str],
    header: list[str],
    options: IngestOptions,
    path: Path,
    fast: dict[str, str] | None = None,
) -> Spec:
    """The statements that type, check and insert one file of format `fmt`.

    `fast`: field -> the strptime format sniffed from the file (`timeparse.sniff_format`).
    """
    return BUILDERS[fmt](_Builder(fmt, found, unknown, header, options, path, fast))
