"""QA and compliance scorecards: a business-owned rules file (docs/qa.example.yaml) scored on the
agent turns of calls and chats -> `marts.qa_results` (one row per contact x item, pass / fail / n/a
with the evidence: the turn and the words).

An item is required (pass when matched), forbidden (fail when matched) or a marker (scored by
nothing, named by another item's `before`). It matches by phrases (whole words, case-insensitive),
regexes (RE2, case-insensitive) or similarity of the turn's stored embedding (enriched.embeddings) to
example sentences, optionally only on some channels or reasons or in the first / last N seconds.
Matching runs in DuckDB over all turns at once: one query per pattern, never a loop over turns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from analytics.settings import AnalyticsSettings
from pipelines.errors import UserError

log = logging.getLogger(__name__)
DEFAULT_RULES = Path(__file__).resolve().parents[1] / "docs" / "qa.example.yaml"
KINDS = ("required", "forbidden", "marker")
_META = set("\\.^$*+?()[]{}|")


class QARulesError(UserError, ValueError):
    """A rules file that cannot be used; the message names the file, the item and the fix."""


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    kind: str
    weight: float = 0.0
    phrases: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    threshold: float = 0.8
    channels: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    first_s: float | None = None
    last_s: float | None = None
    before: str | None = None
    patterns: tuple[str, ...] = field(default=(), compare=False)


def _escape(phrase: str) -> str:
    return "".join("\\" + ch if ch in _META else ch for ch in phrase)


def phrase_pattern(phrases: tuple[str, ...]) -> str:
    """One case-insensitive RE2 pattern matching any phrase as whole words."""
    return r"(?i)\b(?:" + "|".join(_escape(p.strip()) for p in phrases) + r")\b"


def load_rules(path: Path) -> list[Item]:
    """Parse and check a rules file; every problem names the file and the item."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise QARulesError(f"QA rules file {path}: cannot read it ({exc})") from exc
    raw = data.get("items") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise QARulesError(f"QA rules file {path}: needs a non-empty 'items:' list (see docs/qa.example.yaml)")
    known = {f for f in Item.__dataclass_fields__ if f != "patterns"}
    items: list[Item] = []
    for no, entry in enumerate(raw, 1):
        where = f"QA rules file {path}, item {no}"
        if not isinstance(entry, dict) or not entry.get("id"):
            raise QARulesError(f"{where}: each item is a mapping with an 'id'")
        where += f" ({entry['id']})"
        unknown = set(entry) - known
        if unknown:
            raise QARulesError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
        values.setdefault("label", str(entry["id"]))
        item = Item(**values)
        if item.kind not in KINDS:
            raise QARulesError(f"{where}: kind {item.kind!r} must be one of {KINDS}")
        if not (item.phrases or item.regex or item.examples):
            raise QARulesError(f"{where}: give phrases, regex or examples to match")
        if item.kind != "marker" and not float(item.weight) > 0:
            raise QARulesError(f"{where}: a {item.kind} item needs a weight > 0")
        if item.examples and not 0 < float(item.threshold) <= 1:
            raise QARulesError(f"{where}: threshold {item.threshold} must be a cosine similarity in (0, 1]")
        for pattern in item.regex:
            try:
                # a private connection: the process-wide default one may hold another caller's result
                with duckdb.connect() as check:
                    check.execute("SELECT regexp_matches('', ?)", [f"(?i){pattern}"]).fetchall()
            except duckdb.Error as exc:
                raise QARulesError(f"{where}: regex {pattern!r} is not valid RE2: {exc}") from exc
        patterns = tuple(f"(?i){p}" for p in item.regex) + ((phrase_pattern(item.phrases),) if item.phrases else ())
        items.append(Item(**{**vars(item), "patterns": patterns}))
    ids = [i.id for i in items]
    for item in items:
        if ids.count(item.id) > 1:
            raise QARulesError(f"QA rules file {path}: item id {item.id!r} is used twice")
        if item.before and item.before not in ids:
            raise QARulesError(f"QA rules file {path}, item {item.id}: before: {item.before!r} names no item")
    return items


def rules_path(settings: object | None = None) -> Path | None:
    """The configured rules file ([operations] qa_rules), else the shipped example; None when absent."""
    from analytics import operations

    configured = (settings or operations.load()).qa_rules
    path = Path(configured) if configured else DEFAULT_RULES
    if configured and not path.exists():
        raise QARulesError(f"[operations] qa_rules = {configured!r}: no such file")
    return path if path.exists() else None


def _stage_turns(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _qa_turns AS
        SELECT t.interaction_id, t.turn_no, t.text, t.begin_s, coalesce(t.end_s, t.begin_s) AS end_s,
               max(coalesce(t.end_s, t.begin_s)) OVER (PARTITION BY t.interaction_id) AS duration_s,
               i.channel, i.reason, i.agent_id, i.occurred_at, i.week
        FROM marts.turns AS t
        JOIN marts.interactions AS i USING (interaction_id)
        WHERE t.speaker = 'agent' AND t.text IS NOT NULL""")


def _scope(item: Item) -> tuple[str, list[object]]:
    sql, params = "", []
    if item.first_s is not None:
        sql += " AND begin_s <= ?"
        params.append(float(item.first_s))
    if item.last_s is not None:
        sql += " AND begin_s >= duration_s - ?"
        params.append(float(item.last_s))
    return sql, params


def _encoder_for(con: duckdb.DuckDBPyConnection):
    """The encoder whose vectors the warehouse holds most of (fast or full), or None when none."""
    row = con.execute("SELECT encoder FROM enriched.embeddings GROUP BY encoder ORDER BY count(*) DESC LIMIT 1"
                      ).fetchall()
    if not row:
        return None
    from pipelines.models import fast
    from pipelines.models.encoder import Encoder

    encoder = fast.FastEncoder.from_settings() if row[0][0].startswith(fast.PREFIX) else Encoder.from_settings()
    if encoder.name != row[0][0]:
        log.warning("QA examples: the stored embeddings are of %s, the configured encoder is %s: "
                    "similarity items match nothing until the turns are re-embedded", row[0][0], encoder.name)
    return encoder


def match(con: duckdb.DuckDBPyConnection, items: list[Item], encoder=None) -> None:
    """Fill temp table _qa_matches(item_id, interaction_id, turn_no, begin_s, words, turn_text)."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _qa_matches (item_id VARCHAR, interaction_id VARCHAR,
                   turn_no INTEGER, begin_s DOUBLE, words VARCHAR, turn_text VARCHAR)""")
    for item in items:
        scope, params = _scope(item)
        for pattern in item.patterns:
            con.execute(f"""
                INSERT INTO _qa_matches
                SELECT ?, interaction_id, turn_no, begin_s, regexp_extract(text, ?, 0), text
                FROM _qa_turns WHERE regexp_matches(text, ?){scope}""", [item.id, pattern, pattern, *params])
    examples = [(item, text) for item in items for text in item.examples]
    if not examples:
        return
    encoder = encoder if encoder is not None else _encoder_for(con)
    if encoder is None:
        log.info("QA examples skipped: no stored embeddings")
        return
    vectors = np.asarray(encoder.encode([text for _, text in examples]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    frame = pd.DataFrame({"item_id": [i.id for i, _ in examples], "example": [t for _, t in examples],
                          "threshold": [float(i.threshold) for i, _ in examples],
                          "vec": list(vectors)})
    con.register("_qa_examples_df", frame)
    dim = vectors.shape[1]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _qa_examples AS
                    SELECT item_id, example, threshold, CAST(vec AS FLOAT[{dim}]) AS vec FROM _qa_examples_df""")
    con.unregister("_qa_examples_df")
    for item in {i.id: i for i, _ in examples}.values():
        scope, params = _scope(item)
        con.execute(f"""
            INSERT INTO _qa_matches
            SELECT x.item_id, t.interaction_id, t.turn_no, t.begin_s,
                   printf('similar to "%s" (%.2f)', arg_max(x.example, s), max(s)), t.text
            FROM (SELECT * FROM _qa_turns WHERE true{scope}) AS t
            JOIN enriched.embeddings AS e ON e.text_hash = md5(t.text) AND e.encoder = ?
            CROSS JOIN LATERAL (SELECT x.*, array_cosine_similarity(e.embedding, x.vec) AS s
                                FROM _qa_examples AS x WHERE x.item_id = ?) AS x
            WHERE x.s >= x.threshold
            GROUP BY x.item_id, t.interaction_id, t.turn_no, t.begin_s, t.text""",
                    [*params, encoder.name, item.id])


RESULTS_SQL = """
CREATE OR REPLACE TABLE marts.qa_results AS
WITH conv AS (
    SELECT DISTINCT interaction_id, channel, reason, agent_id, occurred_at, week FROM _qa_turns
),
grid AS (
    SELECT c.*, i.* FROM conv AS c CROSS JOIN _qa_items AS i
),
first_match AS (
    SELECT item_id, interaction_id, min(begin_s) AS first_s,
           arg_min(turn_no, (begin_s, turn_no)) AS turn_no, arg_min(words, (begin_s, turn_no)) AS words,
           arg_min(turn_text, (begin_s, turn_no)) AS turn_text
    FROM _qa_matches GROUP BY item_id, interaction_id
),
judged AS (
    SELECT g.*, m.first_s, m.turn_no, m.words, m.turn_text,
           b.first_s AS before_s, b.turn_no AS before_turn_no, b.words AS before_words, b.turn_text AS before_text,
           CASE WHEN g.kind = 'marker' THEN 'n/a'
                WHEN len(g.channels) > 0 AND NOT list_contains(g.channels, g.channel) THEN 'n/a'
                WHEN len(g.reasons) > 0 AND NOT list_contains(g.reasons, g.reason) THEN 'n/a'
                WHEN g.before IS NOT NULL AND b.first_s IS NULL THEN 'n/a'
                WHEN g.kind = 'required' AND g.before IS NOT NULL
                     THEN CASE WHEN m.first_s IS NOT NULL AND m.first_s <= b.first_s THEN 'pass' ELSE 'fail' END
                WHEN g.kind = 'required' THEN CASE WHEN m.first_s IS NOT NULL THEN 'pass' ELSE 'fail' END
                ELSE CASE WHEN m.first_s IS NOT NULL THEN 'fail' ELSE 'pass' END END AS result
    FROM grid AS g
    LEFT JOIN first_match AS m USING (item_id, interaction_id)
    LEFT JOIN first_match AS b ON b.item_id = g.before AND b.interaction_id = g.interaction_id
),
final AS (
    SELECT interaction_id, channel, reason, agent_id, occurred_at, week, item_id, label, kind, weight, result,
           -- evidence: the matched turn; a verification that came too late shows the account turn first
           CASE WHEN result = 'n/a' THEN NULL
                WHEN kind = 'required' AND before IS NOT NULL AND result = 'fail' THEN before_turn_no
                ELSE turn_no END AS evidence_turn_no,
           CASE WHEN result = 'n/a' THEN NULL
                WHEN kind = 'required' AND before IS NOT NULL AND result = 'fail' THEN before_words
                ELSE words END AS evidence_words,
           CASE WHEN result = 'n/a' THEN NULL
                WHEN kind = 'required' AND before IS NOT NULL AND result = 'fail' THEN before_text
                ELSE turn_text END AS evidence_text
    FROM judged
)
SELECT f.*,
       100.0 * sum(weight) FILTER (WHERE result = 'pass') OVER (PARTITION BY interaction_id)
           / nullif(sum(weight) FILTER (WHERE result IN ('pass', 'fail')) OVER (PARTITION BY interaction_id), 0)
           AS score
FROM final AS f
ORDER BY interaction_id, item_id
"""


def score(con: duckdb.DuckDBPyConnection, items: list[Item], encoder=None) -> None:
    """Build marts.qa_results for `items` (the temp tables stay for the connection's session)."""
    _stage_turns(con)
    match(con, items, encoder)
    frame = pd.DataFrame([{"item_id": i.id, "label": i.label, "kind": i.kind, "weight": float(i.weight),
                           "channels": list(i.channels), "reasons": list(i.reasons), "before": i.before}
                          for i in items])
    con.register("_qa_items_df", frame)
    con.execute("""CREATE OR REPLACE TEMP TABLE _qa_items AS
                   SELECT item_id, label, kind, weight, CAST(channels AS VARCHAR[]) AS channels,
                          CAST(reasons AS VARCHAR[]) AS reasons, CAST(before AS VARCHAR) AS before
                   FROM _qa_items_df""")
    con.unregister("_qa_items_df")
    con.execute(RESULTS_SQL)


def build(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings, ops: object | None = None) -> str:
    """The `qa_results` step of the build: the rules `ops` (`[operations]`) names, or an empty mart without any."""
    path = rules_path(ops)
    items = load_rules(path) if path else []
    if not items:
        _stage_turns(con)
        con.execute("CREATE OR REPLACE TEMP TABLE _qa_matches (item_id VARCHAR, interaction_id VARCHAR, "
                    "turn_no INTEGER, begin_s DOUBLE, words VARCHAR, turn_text VARCHAR)")
        con.execute("CREATE OR REPLACE TEMP TABLE _qa_items (item_id VARCHAR, label VARCHAR, kind VARCHAR, "
                    "weight DOUBLE, channels VARCHAR[], reasons VARCHAR[], before VARCHAR)")
        con.execute(RESULTS_SQL)
        return "no QA rules"
    score(con, items)
    return f"{len(items)} QA items from {path}"
