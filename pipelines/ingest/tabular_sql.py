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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.ingest import file_dates, vocab
from pipelines.ingest.identity import REF_TYPES, sql_hash, sql_pseudonym
from pipelines.ingest.records import IngestOptions
from pipelines.ingest.timeparse import fast_sql, sniff_format, sql_timestamp

TEXT_FIELDS = ("text", "agent_text", "subject")
CHANNEL_SQL = vocab.channel_sql("{x}")
SPEAKER_SQL = vocab.speaker_sql("{x}")
DIRECTION_SQL = vocab.direction_sql("{x}")
CHANNELS_SQL = ", ".join(f"'{c}'" for c in vocab.CHANNELS)
DIRECTIONS_SQL = ", ".join(f"'{d}'" for d in vocab.DIRECTIONS)
REF_TYPES_SQL = ", ".join(f"'{t}'" for t in REF_TYPES)
# the reference's keyed hash (normalised per type first): no identifier is stored in clear. A
# customer's references repeat across their contacts: each distinct one is hashed once, joined back.
REF_SQL = sql_hash("customer_ref_type", "ref_raw")
REFS_CTE = (
    "refs AS (SELECT customer_ref_type AS ref_type_key, ref_raw AS ref_raw_key, "
    + REF_SQL
    + " AS customer_ref FROM (SELECT DISTINCT customer_ref_type, ref_raw FROM {src}))"
)
REFS_JOIN = (
    "LEFT JOIN refs ON refs.ref_type_key IS NOT DISTINCT FROM {src}.customer_ref_type "
    "AND refs.ref_raw_key IS NOT DISTINCT FROM {src}.ref_raw"
)
INSERT_INTERACTIONS = (
    "INSERT INTO staging.interactions SELECT interaction_id, source_id, channel, direction, "
    + sql_pseudonym("customer_ref")
    + ", "
    "CASE WHEN customer_ref IS NOT NULL THEN customer_ref_type END, customer_ref, occurred_at, text, agent_text, "
    "subject, agent_id, duration_s, thread_id, brand, queue, source_category, {file_id}, record_no "
    "FROM {src} WHERE reason IS NULL"
)


def existing_interactions(table: str, source: str = "staging.interactions") -> str:
    """Reject rows of `table` whose interaction id another file already loaded (`source`: the ids to check)."""
    return (
        f"UPDATE {table} SET reason = 'duplicate id: ' || {table}.source_id || ' already loaded from ' "
        "|| x.path || ' (record ' || x.record_no || ')' FROM (SELECT i.interaction_id, i.record_no, "
        f"COALESCE(f.path, i.file_id) AS path FROM {source} i LEFT JOIN raw.files f "
        f"USING (file_id)) x WHERE {table}.reason IS NULL AND x.interaction_id = {table}.interaction_id"
    )


def batch_duplicates(table: str) -> str:
    """Reject rows of `table` whose id an earlier file of the same batch loads (`_voc_files`: the
    batch's files), worded as `existing_interactions` words it: as if the files loaded one by one."""
    return (
        f"UPDATE {table} SET reason = 'duplicate id: ' || {table}.source_id || ' already loaded from ' "
        "|| w.path || ' (record ' || w.record_no || ')' FROM (SELECT d.*, f.path FROM (SELECT interaction_id, "
        f"min(file_no) AS file_no, arg_min(record_no, file_no) AS record_no FROM {table} WHERE reason IS NULL "
        "GROUP BY interaction_id HAVING count(*) > 1) d JOIN _voc_files f USING (file_no)) w "
        f"WHERE {table}.reason IS NULL AND {table}.interaction_id = w.interaction_id AND {table}.file_no > w.file_no"
    )


@dataclass
class Spec:
    """What `tabular.load` runs for one file."""

    prepare: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    existing: str | None = None  # the table whose interaction ids must not be loaded already
    duplicates: list[str] = field(default_factory=list)  # run after `existing`
    inserts: list[str] = field(default_factory=list)


def quote(name: str) -> str:
    """A source column name as a safe SQL identifier (names come from file headers)."""
    return '"' + name.replace('"', '""') + '"'


def used_params(sql: str, params: dict[str, object]) -> dict[str, object]:
    """Only the parameters a statement names (DuckDB rejects unused ones)."""
    names = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return {k: v for k, v in params.items() if k in names}


def plausible_range(options: IngestOptions) -> tuple[datetime, datetime]:
    """(earliest, latest) timestamps accepted: `[ingest] earliest_date`, now + `latest_days_ahead` days."""
    earliest = datetime.fromisoformat(str(options.earliest_date))
    now = datetime.now(UTC).replace(tzinfo=None)
    latest = now + timedelta(days=min(options.latest_days_ahead, (datetime.max - now).days - 1))
    return earliest, latest


class _Builder:
    def __init__(
        self,
        fmt: str,
        found: dict[str, str],
        header: list[str],
        options: IngestOptions,
        path: Path,
        fast: dict[str, str] | None = None,
    ):
        self.fmt, self.found, self.options = fmt, found, options
        self.fast = fast or {}
        self.params: dict[str, object] = {}
        ts, ts_params = sql_timestamp("{x}", options.timezone, named=True)
        self.ts_template = ts
        self.params.update(ts_params)  # type: ignore[arg-type]
        # a record without a date takes the file's (--occurred-at; pipelines.ingest.file_dates)
        fallback = file_dates.parse_fallback(options.occurred_at)
        file_time, origin, _warning = file_dates.file_date(path, fallback)
        self.params["file_time"] = file_time
        self.no_file_time = origin if file_time is None and origin.startswith("missing timestamp") else None
        self.params["channel"] = vocab.channel(options.channel) if options.channel else None
        self.params["keep_crm_ids"] = options.keep_crm_ids
        self.params["phone_region"] = options.phone_region or None
        self.params["brands"] = [b.lstrip("@").lower() for b in options.brand_accounts]
        earliest, latest = plausible_range(options)
        self.params["ts_min"], self.params["ts_max"] = earliest, latest
        self.params["implausible"] = (
            f"(before {earliest:%Y-%m-%d} or after {latest:%Y-%m-%d}; a 'no date' placeholder? "
            "change [ingest] earliest_date / latest_days_ahead if it is real)"
        )

    def implausible(self, ts: str, raw: str, label: str = "") -> str:
        """A CASE branch rejecting a timestamp outside the plausible range, with its value."""
        prefix = f"'implausible timestamp: {label}' || " if label else "'implausible timestamp: ' || "
        return (
            f"WHEN {ts} < $ts_min OR {ts} > $ts_max THEN {prefix}left({raw}, 40) || ' ' || $implausible"
        )

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
        if fld == "occurred_at" and self.no_file_time:
            self.params[key] = self.no_file_time
        elif self.fmt == "parsed":
            side = "customer-side text" if fld == "text" else fld
            self.params[key] = f"{what}: no {side}"
        elif fld in self.found:
            self.params[key] = f"{what}: column '{self.found[fld]}' is empty"
        else:
            self.params[key] = f"{what}: no column for {fld} (map one with --column {fld}=COLUMN)"
        return f"${key}"

    def stmt(self, sql: str) -> tuple[str, dict[str, object]]:
        return sql, used_params(sql, self.params)


def _finish_interactions(b: _Builder, base: str) -> str:
    """Wrap a format's SELECT (one row per record) into `_voc_typed` with keys and reasons.

    Parsed records come from a batch of files (`file_no`): "of this file" means of its own file.
    """
    key = "file_no, interaction_id" if b.fmt == "parsed" else "interaction_id"
    return f"""CREATE TEMP TABLE _voc_typed AS
    WITH base AS ({base}),
    {REFS_CTE.format(src="base")},
    keyed AS (
        SELECT base.*, substr(sha1(channel || '|' || source_id), 1, 16) AS interaction_id,
               refs.customer_ref,
               CASE WHEN parse_error IS NOT NULL THEN parse_error
                    WHEN source_id IS NULL THEN {b.missing('source_id', 'missing id')}
                    WHEN channel NOT IN ({CHANNELS_SQL}) THEN 'unknown channel: ' || channel
                    WHEN direction NOT IN ({DIRECTIONS_SQL}) THEN 'unknown direction: ' || direction
                    WHEN customer_ref_type NOT IN ({REF_TYPES_SQL})
                         THEN 'unknown reference type: ' || customer_ref_type
                    WHEN COALESCE(any_text, CASE WHEN direction = 'outbound' THEN agent_text END) IS NULL
                         THEN {b.missing('text', 'missing text')}
                    WHEN occurred_raw IS NULL AND occurred_at IS NULL
                         THEN {b.missing('occurred_at', 'missing timestamp')}
                    WHEN occurred_at IS NULL THEN 'unparseable timestamp: ' || left(occurred_raw, 60)
                    {b.implausible('occurred_at', "COALESCE(occurred_raw, 'the file date')")}
               END AS reason0
        FROM base {REFS_JOIN.format(src="base")}),
    firsts AS (
        -- a GROUP BY + join: several times cheaper than a window partitioned by a unique key
        SELECT {key}, min(record_no) AS first_no FROM keyed WHERE reason0 IS NULL GROUP BY {key})
    SELECT k.* EXCLUDE (reason0, ref_raw, any_text, occurred_raw, parse_error),
           CASE WHEN k.reason0 IS NOT NULL THEN k.reason0
                WHEN k.record_no <> f.first_no THEN 'duplicate id: ' || k.source_id || ' is also record ' || f.first_no
                     || ' of this file' END AS reason
    FROM keyed k LEFT JOIN firsts f USING ({key})"""


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
           NULL::VARCHAR AS queue, t.source_category, t.body AS any_text, NULL::VARCHAR AS parse_error
    FROM threaded t LEFT JOIN thread_info ti USING (thread_id) LEFT JOIN ids p ON p.source_id = t.parent"""
    return Spec(
        [b.stmt(_finish_interactions(b, base))],
        "_voc_typed",
        [],
        [INSERT_INTERACTIONS.format(src="_voc_typed", file_id="$file_id")],
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
    source_id = (
        b.vid("source_id")
        if "source_id" in b.found
        # no id column (pipelines.ingest.tabular_notes says so): an id from the ticket's own content
        else "'ticket:' || substr(md5(concat_ws('|', "
        + ", ".join(b.v(f) for f in ("subject", "text", "customer_email", "customer_id", "occurred_at"))
        + ")), 1, 16)"
    )
    base = f"""SELECT *, COALESCE({b.ts_of('occurred_raw', 'occurred_at')},
                          CASE WHEN occurred_raw IS NULL THEN $file_time::TIMESTAMP END) AS occurred_at FROM (
        SELECT record_no, {source_id} AS source_id,
               COALESCE($channel, {channel}, 'email') AS channel,
               {DIRECTION_SQL.replace('{x}', b.v('direction'))} AS direction, {_ref_columns(b)},
               COALESCE({b.v('occurred_at')}, {b.v('occurred_at_fallback')}) AS occurred_raw,
               {b.v('text')} AS text, {b.v('agent_text')} AS agent_text, {b.v('subject')} AS subject,
               {b.v('agent_id')} AS agent_id, {b.num('duration_s')} AS duration_s,
               COALESCE({b.v('thread_id')}, {source_id}) AS thread_id, {b.v('brand')} AS brand,
               {b.v('queue')} AS queue, {b.v('source_category')} AS source_category,
               {b.v('text')} AS any_text, NULL::VARCHAR AS parse_error
        FROM _voc_src)"""
    return Spec(
        [b.stmt(_finish_interactions(b, base))],
        "_voc_typed",
        [],
        [INSERT_INTERACTIONS.format(src="_voc_typed", file_id="$file_id")],
    )


def _utterances(b: _Builder) -> Spec:
    """One row per utterance; the rows of a conversation id become one interaction with turns."""
    speaker = SPEAKER_SQL.replace("{x}", b.v("speaker"))
    channel = CHANNEL_SQL.replace("{x}", b.v("channel"))
    no_ts = "$file_time::TIMESTAMP"  # --occurred-at: the file's date for conversations without one
    rows = f"""CREATE TEMP TABLE _voc_typed AS
    WITH u AS (
        SELECT record_no, {b.vid('source_id')} AS source_id, COALESCE($channel, {channel}, 'call') AS channel,
               {speaker} AS speaker, {b.v('speaker')} AS speaker_raw, {b.v('text')} AS body,
               {b.v('turn_no')} AS turn_raw, {b.num('turn_no')} AS turn_num,
               {b.v('begin_s')} AS begin_raw, {b.num('begin_s')} AS begin_s,
               {b.v('end_s')} AS end_raw, {b.num('end_s')} AS end_s,
               COALESCE({b.v('occurred_at')}, {b.v('occurred_at_fallback')}) AS occurred_raw,
               COALESCE({b.ts('occurred_at')}, {b.ts('occurred_at_fallback')}) AS occurred_at, {_ref_columns(b)},
               {b.v('agent_id')} AS agent_id, {b.v('queue')} AS queue, {b.v('brand')} AS brand,
               {DIRECTION_SQL.replace('{x}', b.v('direction'))} AS direction,
               {b.v('source_category')} AS source_category, {b.num('duration_s')} AS duration_s
        FROM _voc_src),
    {REFS_CTE.format(src="u")},
    checked AS (
        SELECT u.*, substr(sha1(channel || '|' || source_id), 1, 16) AS interaction_id, refs.customer_ref,
               CASE WHEN source_id IS NULL THEN {b.missing('source_id', 'missing id')}
                    WHEN channel NOT IN ({CHANNELS_SQL}) THEN 'unknown channel: ' || channel
                    WHEN direction NOT IN ({DIRECTIONS_SQL}) THEN 'unknown direction: ' || direction
                    WHEN body IS NULL THEN {b.missing('text', 'missing text')}
                    WHEN speaker IS NULL THEN 'unknown speaker: ' || COALESCE(speaker_raw, 'none')
                    WHEN turn_raw IS NOT NULL AND turn_num IS NULL THEN 'bad number: turn ' || turn_raw
                    WHEN begin_raw IS NOT NULL AND begin_s IS NULL THEN 'bad number: begin ' || begin_raw
                    WHEN end_raw IS NOT NULL AND end_s IS NULL THEN 'bad number: end ' || end_raw
                    WHEN occurred_raw IS NOT NULL AND occurred_at IS NULL
                         THEN 'unparseable timestamp: ' || left(occurred_raw, 60)
                    {b.implausible('occurred_at', 'occurred_raw')}
               END AS reason0
        FROM u {REFS_JOIN.format(src="u")}),
    -- a turn number given twice in a conversation: the later records are duplicates. Only repeated
    -- (conversation, turn) pairs are kept and joined back: a window over every turn costs more
    dup_turns AS (
        SELECT interaction_id, turn_num, min(record_no) AS first_no FROM checked
        WHERE reason0 IS NULL AND turn_num IS NOT NULL GROUP BY interaction_id, turn_num HAVING count(*) > 1)
    SELECT c.*, CASE WHEN c.reason0 IS NULL AND c.record_no <> d.first_no
                     THEN 'duplicate turn: ' || c.source_id || ' turn ' || c.turn_raw ELSE c.reason0 END AS reason
    FROM checked c LEFT JOIN dup_turns d ON d.interaction_id = c.interaction_id AND d.turn_num = c.turn_num"""
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
        "_voc_conv",
        [propagate],
        [INSERT_INTERACTIONS.format(src="_voc_conv", file_id="$file_id"), turns],
    )


def customer_pseudonym(b: _Builder) -> str:
    """A CRM id column as the customer's pseudonym (`cust-...`), the same in customers, transactions
    and contacts."""
    return sql_pseudonym(sql_hash("'crm'", b.vid("customer_id")))


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
        SELECT record_no, {customer_pseudonym(b)} AS customer_id,
               CASE WHEN $keep_crm_ids THEN {b.vid('customer_id')} END AS crm_id,
               {b.v('segment')} AS segment, {b.v('plan')} AS plan,
               {', '.join(f'{b.num(n)} AS {n}' for n in nums)}, {churned} AS churned,
               {b.ts('churned_at')} AS churned_at, {sql_hash("'email'", b.v('email'))} AS email,
               {sql_hash("'phone'", b.v('phone'))} AS phone, {sql_hash("'handle'", b.v('handle'))} AS handle,
               CASE WHEN {b.vid('customer_id')} IS NULL THEN {b.missing('customer_id', 'missing id')}
                    {checks}
                    WHEN {b.v('churned')} IS NOT NULL AND {churned} IS NULL THEN 'bad boolean: churned ' || {b.v('churned')}
                    WHEN {b.v('churned_at')} IS NOT NULL AND {b.ts('churned_at')} IS NULL
                         THEN 'unparseable timestamp: churned_at ' || {b.v('churned_at')}
                    {b.implausible(b.ts('churned_at'), b.v('churned_at'), 'churned_at ')}
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
        "churned, churned_at, clv, email, phone, handle, $file_id, record_no, crm_id FROM _voc_typed "
        "WHERE reason IS NULL ORDER BY record_no"
    )
    return Spec([b.stmt(sql)], None, [dup], [insert])


def _transactions(b: _Builder) -> Spec:
    sql = f"""CREATE TEMP TABLE _voc_typed AS
    SELECT record_no, {customer_pseudonym(b)} AS customer_id, {b.ts('occurred_at')} AS occurred_at,
           {b.num('amount')} AS amount,
           CASE WHEN {b.vid('customer_id')} IS NULL THEN {b.missing('customer_id', 'missing id')}
                WHEN {b.v('occurred_at')} IS NULL THEN {b.missing('occurred_at', 'missing timestamp')}
                WHEN {b.ts('occurred_at')} IS NULL THEN 'unparseable timestamp: ' || left({b.v('occurred_at')}, 60)
                {b.implausible(b.ts('occurred_at'), b.v('occurred_at'))}
                WHEN {b.v('amount')} IS NULL THEN {b.missing('amount', 'missing amount')}
                WHEN {b.num('amount')} IS NULL THEN 'bad number: amount ' || {b.v('amount')}
           END AS reason
    FROM _voc_src"""
    insert = (
        "INSERT INTO staging.transactions SELECT customer_id, occurred_at, amount, $file_id, record_no "
        "FROM _voc_typed WHERE reason IS NULL ORDER BY record_no"
    )
    return Spec([b.stmt(sql)], None, [], [insert])


BUILDERS = {
    "social_csv": _social,
    "social_jsonl": _social,
    "helpdesk_csv": _tickets,
    "cfpb_csv": _tickets,
    "utterances_csv": _utterances,
    "customers_csv": _customers,
    "transactions_csv": _transactions,
}


def _parsed(b: _Builder) -> Spec:
    """What a Python parser yielded (`pipelines.ingest.load.land`): staging field names already.

    `_voc_src` holds one row per record of a batch of files (`file_no` in batch order, `file_id`;
    `record_no` within its file; `parse_error` set when the parser rejected it, `occurred_ts`
    when it read a typed time) and `_voc_turns` the turns; speakers are mapped here, with the
    vocabulary every other format uses.
    """
    speaker = SPEAKER_SQL.replace("{x}", "t.speaker")
    turns = f"""CREATE TEMP TABLE _voc_turns_typed AS
    SELECT t.file_no, t.record_no, t.turn_no, {speaker} AS speaker, t.speaker AS speaker_raw, t.text, t.begin_s, t.end_s
    FROM _voc_turns t"""
    per_record = """CREATE TEMP TABLE _voc_turn_sums AS
    SELECT file_no, record_no,
           string_agg(text, chr(10) ORDER BY turn_no) FILTER (WHERE speaker = 'customer' AND NULLIF(trim(text), '') IS NOT NULL) AS customer_text,
           string_agg(text, chr(10) ORDER BY turn_no) FILTER (WHERE speaker = 'agent' AND NULLIF(trim(text), '') IS NOT NULL) AS agent_text,
           max(end_s) AS last_end,
           arg_min('unknown speaker: ' || COALESCE(left(speaker_raw, 40), 'none') || ' in turn ' || turn_no, turn_no)
               FILTER (WHERE speaker IS NULL) AS bad_speaker
    FROM _voc_turns_typed GROUP BY file_no, record_no"""
    channel = CHANNEL_SQL.replace("{x}", "s.channel")
    base = f"""SELECT s.file_no, s.file_id, s.record_no, NULLIF(trim(s.source_id), '') AS source_id,
               COALESCE($channel, {channel}) AS channel,
               {DIRECTION_SQL.replace('{x}', 's.direction')} AS direction,
               COALESCE(NULLIF(trim(s.customer_ref), ''), NULLIF(trim(s.customer_id), '')) AS ref_raw,
               COALESCE(NULLIF(lower(trim(s.customer_ref_type)), ''),
                        CASE WHEN NULLIF(trim(s.customer_id), '') IS NOT NULL THEN 'crm' END) AS customer_ref_type,
               NULLIF(trim(s.occurred_at), '') AS occurred_raw,
               -- read by timeparse.parse_timestamp, the Python twin of the SQL parser (tests hold them equal):
               -- planning the SQL chain again costs more than a small file's whole load
               s.occurred_ts AS occurred_at,
               COALESCE(NULLIF(trim(s.text), ''), u.customer_text) AS text,
               COALESCE(NULLIF(trim(s.agent_text), ''), u.agent_text) AS agent_text,
               s.subject, s.agent_id, COALESCE(s.duration_s, u.last_end) AS duration_s, s.thread_id, s.brand,
               s.queue, s.source_category, COALESCE(NULLIF(trim(s.text), ''), u.customer_text) AS any_text,
               COALESCE(s.parse_error, u.bad_speaker) AS parse_error
        FROM _voc_src s LEFT JOIN _voc_turn_sums u USING (file_no, record_no)"""
    insert_turns = (
        "INSERT INTO staging.turns SELECT t.interaction_id, u.turn_no, u.speaker, u.text, u.begin_s, u.end_s, t.file_id "
        "FROM _voc_turns_typed u JOIN _voc_typed t USING (file_no, record_no) WHERE t.reason IS NULL"
    )
    return Spec(
        [(turns, {}), (per_record, {}), b.stmt(_finish_interactions(b, base))],
        "_voc_typed",
        [batch_duplicates("_voc_typed")],
        [INSERT_INTERACTIONS.format(src="_voc_typed", file_id="file_id"), insert_turns],
    )


BUILDERS["parsed"] = _parsed


def _sniff_times(con: duckdb.DuckDBPyConnection, found: dict[str, str]) -> dict[str, str]:
    """field -> the one timestamp format a sample of its column fits (a fast path for bulk parsing)."""
    fast = {}
    for fld in ("occurred_at", "churned_at"):
        if fld in found:
            col = quote(found[fld])
            sample = [
                r[0]
                for r in con.execute(
                    f"SELECT {col} FROM _voc_src WHERE {col} IS NOT NULL AND trim({col}) <> '' LIMIT 200"
                ).fetchall()
            ]
            fmt = sniff_format(sample)
            if fmt:
                fast[fld] = fmt
    return fast


def build(
    spec: str,
    found: dict[str, str],
    header: list[str],
    options: IngestOptions,
    path: Path,
    con: duckdb.DuckDBPyConnection,
) -> Spec:
    """The statements that type, check and insert one landed file (`_voc_src`) with validation `spec`."""
    fast = _sniff_times(con, found) if spec != "parsed" else {}
    return BUILDERS[spec](_Builder(spec, found, header, options, path, fast))
