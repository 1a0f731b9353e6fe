"""The enrichment's batch machinery: stage the pending work, plan, score, write, one loop.

`score_pending` walks the staged interactions (`staged_pending`) a round at a time. Per round it
plans each committed batch of `commit_rows` interactions (`plan_batch`: languages, the distinct texts
to score), scores the round's distinct texts once (`compute_results`: stored vectors reused, the rest
handed to the engine), and writes each batch in its own transaction (`write_batch`), so an
interrupted run resumes at the first unfinished batch. The engines differ only in how a batch of
texts is scored (`Engine.score`) and in how many interactions a round holds: the local engine runs
`scoring.score_texts` here, one batch a round; the Ray engine (`ray_engine`) runs it on actors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.embeddings.hashing import text_hash
from pipelines.embeddings.index import StoreIndex
from pipelines.enrich import language as lang
from pipelines.enrich.scoring import (
    RESULT_SCHEMA, Models, score_multilingual, score_route, score_stored, score_texts, with_route_sentiment,
)
from pipelines.enrich.settings import EnrichSettings
from pipelines.models.multilingual import scorable as multilingual_scorable
from pipelines.warehouse import registered, transaction

log = logging.getLogger(__name__)

_SKIP = {lang.EMPTY: "empty", lang.NO_WORDS: "no_words"}

# The run's work, staged once into two temp tables sorted by interaction id: each batch (a run of
# consecutive ids) then reads only the row groups holding its rows. Joining each batch to
# staging.* and anti-joining the scores instead scanned tables that grow with the warehouse (and
# the scores with the run): per batch, so the stage grew faster than its data.
_STAGE_PENDING = ("""
    CREATE OR REPLACE TEMP TABLE pending_interactions AS
    SELECT i.interaction_id, i.text, i.agent_text,
           EXISTS (SELECT 1 FROM staging.turns t
                   WHERE t.interaction_id = i.interaction_id AND t.speaker = 'agent') AS has_agent_turns
    FROM staging.interactions i
    WHERE NOT EXISTS (SELECT 1 FROM enriched.interaction_scores s
                      WHERE s.interaction_id = i.interaction_id AND s.model_version = ?)
    ORDER BY i.interaction_id""", """
    CREATE OR REPLACE TEMP TABLE pending_turns AS
    SELECT t.interaction_id, t.turn_no, t.speaker, t.text
    FROM staging.turns t JOIN pending_interactions p USING (interaction_id)
    WHERE t.speaker IN ('customer', 'agent')
      AND NOT EXISTS (SELECT 1 FROM enriched.turn_scores s WHERE s.interaction_id = t.interaction_id
                      AND s.turn_no = t.turn_no AND s.model_version = ?)
    ORDER BY t.interaction_id, t.turn_no""")

_BATCH_TURNS = """
    SELECT t.interaction_id, t.turn_no, t.speaker, t.text
    FROM temp.pending_turns t JOIN batch_ids b USING (interaction_id)
    ORDER BY t.interaction_id, t.turn_no"""

_INSERT_TURNS = """
    INSERT INTO enriched.turn_scores (interaction_id, turn_no, model_version, speaker, language,
        is_scored, skip_reason, sentiment_label, sentiment_score, top_emotion)
    SELECT interaction_id, turn_no, ?, speaker, language, is_scored, skip_reason, sentiment_label,
           sentiment_score, top_emotion
    FROM turn_rows"""

# Trajectory: mean customer sentiment over the first and the last k scored customer turns, with k
# at most half of them so that start and end do not overlap (a single turn is both).
_INSERT_INTERACTIONS = """
    INSERT INTO enriched.interaction_scores (interaction_id, model_version, language, is_scored,
        skip_reason, n_chunks, sentiment_label, sentiment_score, emotion_probs, top_emotions, ekman,
        nev_positive, nev_negative, nev_text, sentiment_start, sentiment_end, agent_sentiment_score,
        scored_at)
    WITH customer AS (
        SELECT s.interaction_id, s.sentiment_score,
               row_number() OVER (PARTITION BY s.interaction_id ORDER BY s.turn_no) AS k_first,
               row_number() OVER (PARTITION BY s.interaction_id ORDER BY s.turn_no DESC) AS k_last,
               count(*) OVER (PARTITION BY s.interaction_id) AS n
        FROM turn_rows s
        WHERE s.speaker = 'customer' AND s.is_scored
    ), trajectory AS (
        SELECT interaction_id,
               avg(sentiment_score) FILTER (WHERE k_first <= greatest(1, least(?, n // 2))) AS sentiment_start,
               avg(sentiment_score) FILTER (WHERE k_last <= greatest(1, least(?, n // 2))) AS sentiment_end
        FROM customer GROUP BY interaction_id
    ), agent AS (
        SELECT s.interaction_id, avg(s.sentiment_score) AS agent_sentiment_score
        FROM turn_rows s
        WHERE s.speaker = 'agent' AND s.is_scored
        GROUP BY s.interaction_id
    ), final AS (
        SELECT r.interaction_id, ? AS model_version, r.language, r.is_scored, r.skip_reason, r.n_chunks,
               r.sentiment_label, r.sentiment_score, r.emotion_probs::FLOAT[28] AS emotion_probs,
               r.top_emotions, r.ekman, r.nev_positive, r.nev_negative, r.nev_text,
               t.sentiment_start, t.sentiment_end,
               coalesce(a.agent_sentiment_score, r.agent_text_score) AS agent_sentiment_score,
               now()::TIMESTAMP AS scored_at
        FROM interaction_rows r
        LEFT JOIN trajectory t USING (interaction_id)
        LEFT JOIN agent a USING (interaction_id)
    )
    SELECT * FROM final"""


@dataclasses.dataclass
class Stats:
    """What a run did, for the summary line."""

    interactions: int = 0
    turns: int = 0
    not_scored: int = 0
    encoded: int = 0
    reused: int = 0
    route_encoded: int = 0  # texts the taught sentiment head's own encoder (e5) encoded / reused
    route_reused: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = dataclasses.field(default_factory=lambda: defaultdict(float))

    def add(self, other: Stats) -> None:
        """Add another batch's counts and phase times to these."""
        for field in ("interactions", "turns", "not_scored", "encoded", "reused", "route_encoded", "route_reused"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        for name, seconds in other.phases.items():
            self.phases[name] += seconds

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Add the time spent in the block to phase `name` (the run logs where its time went)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] += time.perf_counter() - start

    def phase_line(self, digits: int = 1) -> str:
        """`turns 12.1 s, language 3.0 s, ...` in the order the phases ran."""
        return ", ".join(f"{name} {seconds:.{digits}f} s" for name, seconds in self.phases.items())


@contextmanager
def staged_pending(con: duckdb.DuckDBPyConnection, version: str) -> Iterator[tuple[int, int]]:
    """Stage what `version` has not scored into the temp tables (`_STAGE_PENDING`) for the block;
    yields (interactions, turns) to score. `pending_batches` and `plan_batch` read the tables."""
    for statement in _STAGE_PENDING:
        con.execute(statement, [version])
    try:
        yield con.execute(
            "SELECT (SELECT count(*) FROM temp.pending_interactions), (SELECT count(*) FROM temp.pending_turns)"
        ).fetchall()[0]
    finally:
        with contextlib.suppress(duckdb.ConnectionException):  # a closed connection took them along
            con.execute("DROP TABLE IF EXISTS temp.pending_turns; DROP TABLE IF EXISTS temp.pending_interactions")


def pending_batches(con: duckdb.DuckDBPyConnection, size: int) -> Iterator[pd.DataFrame]:
    """The staged interactions (`staged_pending`), `size` at a time by id: id, text, agent_text,
    has_agent_turns."""
    ids = con.sql("SELECT interaction_id FROM temp.pending_interactions ORDER BY interaction_id").to_arrow_table()
    for start in range(0, ids.num_rows, size):
        with registered(con, batch_ids=ids.slice(start, size)):
            batch = con.execute(
                "SELECT p.interaction_id, p.text, p.agent_text, p.has_agent_turns FROM temp.pending_interactions p "
                "JOIN batch_ids USING (interaction_id) ORDER BY p.interaction_id"
            ).fetch_df()
        yield batch


def compute_results(
    store: StoreIndex, models: Models, settings: EnrichSettings, texts: dict[str, str], encode,
    timer: Stats | None = None, multilingual: set[str] | frozenset[str] = frozenset(),
    route_store: StoreIndex | None = None,
) -> tuple[pa.Table, int, int]:
    """`RESULT_SCHEMA` rows for every distinct text: stored vectors reused, the rest encoded and stored.

    `encode(hashes, texts) -> pa.Table` runs `scoring.score_texts`, here (local engine) or on Ray
    actors (`ray_engine`); either way the new vectors are stored here, by the single writer. The
    hashes in `multilingual` are scored here by the multilingual route (`scoring.score_multilingual`).
    With a taught sentiment head on another encoder (`models.sentiment_route`), the English texts'
    sentiment is then read from that encoder's vectors, here too (`scoring.score_route`, its vectors in
    `route_store`). Returns (results, texts encoded, texts reused); `timer` collects the time of each
    phase (and the route's counts).
    """
    timer = timer or Stats()
    with timer.phase("multilingual"):
        routed = [h for h in texts if h in multilingual]
        other = score_multilingual(models, routed, [texts[h] for h in routed], settings.top_emotions)
    if routed:
        texts = {h: t for h, t in texts.items() if h not in multilingual}
    budget = models.encoder.max_tokens - 2
    with timer.phase("lookup"):
        stored = store.stored(list(texts))
    # Long texts are re-encoded even when stored: the heads need their per-chunk vectors.
    fresh = [h for h in texts if h not in stored or len(texts[h]) > budget]
    reuse = [h for h in texts if h in stored and len(texts[h]) <= budget]
    if reuse and not (models.sentiment.needs_embeddings and models.emotion.needs_embeddings):
        fresh, reuse = list(texts), []  # text-based models need the unit texts
    with timer.phase("encode"):
        new = encode(fresh, [texts[h] for h in fresh]) if fresh else RESULT_SCHEMA.empty_table()
        new = new.select(RESULT_SCHEMA.names).cast(RESULT_SCHEMA)
    with timer.phase("store"):
        unseen = pa.array([h not in stored for h in new.column("text_hash").to_pylist()], pa.bool_())
        to_store = new.filter(unseen)
        store.store(to_store.column("text_hash").to_pylist(), _matrix(to_store.column("embedding")))
    with timer.phase("reuse"):
        vectors = store.vectors(reuse)
        old = score_stored(models, reuse, [texts[h] for h in reuse], vectors, settings.top_emotions)
    english = pa.concat_tables([new, old])
    if models.sentiment_route is not None and route_store is not None:
        with timer.phase("sentiment route"):
            hashes = english.column("text_hash").to_pylist()
            probs, n_encoded, n_reused = score_route(models, route_store, hashes, [texts[h] for h in hashes])
            english = with_route_sentiment(english, probs, tuple(models.sentiment_route.head.labels))
        timer.route_encoded += n_encoded
        timer.route_reused += n_reused
    return pa.concat_tables([english, other.cast(RESULT_SCHEMA)]), len(fresh) + len(routed), len(reuse)


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    """A fixed-size list column as an (n, d) float32 matrix."""
    flat = column.combine_chunks()
    if not len(flat):
        return np.zeros((0, flat.type.list_size), dtype=np.float32)
    return flat.flatten().to_numpy(zero_copy_only=False).reshape(len(flat), -1).astype(np.float32, copy=False)


def _languages(
    texts: list[str | None], inherited: list[str | None], settings: EnrichSettings, multilingual: bool = False
) -> list[tuple[str, str | None]]:
    """(language, skip_reason) per text; a turn inherits its interaction's language when known.
    With `multilingual`, a language of the multilingual route is scored, not skipped."""
    out = []
    detected = lang.detect_many(
        [t for t, parent in zip(texts, inherited) if parent is None], settings.min_letters_for_language
    )
    it = iter(detected)
    for text, parent in zip(texts, inherited):
        own = next(it) if parent is None else None
        if not (text or "").strip():
            out.append((lang.EMPTY, "empty"))
            continue
        if own is not None:
            code, english = own.code, own.is_english
        else:
            code, english = parent, parent in (lang.ENGLISH, lang.UNDETERMINED)
            if english or multilingual:  # the call's language is known; this turn may still be empty of words
                empty = lang.wordless(text)
                if empty is not None:
                    code, english = empty, False
        if not english and not (multilingual and multilingual_scorable(code)):
            out.append((code, _SKIP.get(code, "not_english")))
        elif len(text) > settings.max_chars:
            out.append((code, "too_long"))
        else:
            out.append((code, None))
    return out


def _texts(values) -> list[str | None]:
    """Column values as str or None (pandas hands NULL text over as NaN)."""
    return [v if isinstance(v, str) else None for v in values]


@dataclasses.dataclass
class Plan:
    """One committed batch before any model work: languages, and the distinct texts to score."""

    batch: pd.DataFrame
    turns: pd.DataFrame
    inter_lang: list[tuple[str, str | None]]
    turn_lang: list[tuple[str, str | None]]
    inter_keys: list[str | None]  # text_hash of each row's scored text, None = not scored
    agent_keys: list[str | None]
    turn_keys: list[str | None]
    distinct: dict[str, str]      # text_hash -> text, each distinct text once
    multilingual: set[str] = dataclasses.field(default_factory=set)  # hashes for the multilingual route

    @property
    def n_items(self) -> int:
        """Interactions and turns in the batch (what the progress bar counts)."""
        return len(self.batch) + len(self.turns)


def plan_batch(
    con, settings: EnrichSettings, version: str, batch: pd.DataFrame, timer: Stats | None = None,
    multilingual: bool = False,
) -> Plan:
    """Read the batch's turns (staged by `staged_pending`), detect languages and collect each
    distinct text to score once; with `multilingual` (the models have that route), texts in its
    languages are scored too and their hashes listed in `Plan.multilingual`."""
    timer = timer or Stats()
    texts, agent_texts = _texts(batch["text"]), _texts(batch["agent_text"])
    batch_ids = pa.table({"interaction_id": pa.array(batch["interaction_id"].tolist(), pa.string())})
    with timer.phase("turns"), registered(con, batch_ids=batch_ids):
        turns = con.execute(_BATCH_TURNS).fetch_df()
    with timer.phase("language"):
        turn_texts = _texts(turns["text"])
        inter_lang = _languages(texts, [None] * len(batch), settings, multilingual)
        parent = {iid: code for iid, (code, _) in zip(batch["interaction_id"], inter_lang) if code not in _SKIP}
        agent_text = [t if not has_turns else None for t, has_turns in zip(agent_texts, batch["has_agent_turns"])]
        agent_lang = _languages(agent_text, [parent.get(i) for i in batch["interaction_id"]], settings, multilingual)
        turn_lang = _languages(turn_texts, [parent.get(i) for i in turns["interaction_id"]], settings, multilingual)

    # One vector and one score per distinct text, however many rows share it.
    distinct: dict[str, str] = {}
    routed: set[str] = set()

    def keys(texts, langs):
        out = []
        for text, (code, skip) in zip(texts, langs):
            h = text_hash(text) if skip is None else None
            if h is not None:
                distinct.setdefault(h, text)
                if multilingual_scorable(code):
                    routed.add(h)
            out.append(h)
        return out

    with timer.phase("hash"):
        return Plan(batch, turns, inter_lang, turn_lang, keys(texts, inter_lang), keys(agent_text, agent_lang),
                    keys(turn_texts, turn_lang), distinct, routed)


def _take(results: pa.Table, index: dict[str, int], hashes: list[str | None]) -> pa.Table:
    """Result rows in the order of `hashes`; a NULL row where the hash is None (not scored)."""
    return results.take(pa.array([None if h is None else index[h] for h in hashes], pa.int64()))


def write_batch(
    con, settings: EnrichSettings, version: str, plan: Plan, results: pa.Table, timer: Stats | None = None
) -> Stats:
    """Insert the batch's turn and interaction scores, looked up in `results` by text hash, in one transaction.

    Returns the batch's counts, with `timer`'s phase times plus this write's.
    """
    timer = timer or Stats()
    with timer.phase("rows"):
        turn_rows, interaction_rows = _score_rows(plan, results)
    k = settings.trajectory_turns
    with transaction(con), registered(con, turn_rows=turn_rows, interaction_rows=interaction_rows):
        with timer.phase("write"):
            con.execute(_INSERT_TURNS, [version])
            con.execute(_INSERT_INTERACTIONS, [k, k, version])
        committing = time.perf_counter()
    timer.phases["commit"] += time.perf_counter() - committing
    batch = plan.batch
    return dataclasses.replace(timer, interactions=len(batch), turns=len(plan.turns),
                               not_scored=sum(h is None for h in plan.inter_keys))


def _score_rows(plan: Plan, results: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The batch's turn rows and interaction rows as Arrow tables (what `write_batch` inserts)."""
    index = {h: i for i, h in enumerate(results.column("text_hash").to_pylist())}
    batch, turns = plan.batch, plan.turns
    t = _take(results, index, plan.turn_keys)
    turn_rows = pa.table({
        "interaction_id": pa.array(turns["interaction_id"].tolist(), pa.string()),
        "turn_no": pa.array(turns["turn_no"].astype("int64").tolist(), pa.int64()),
        "speaker": pa.array(turns["speaker"].tolist(), pa.string()),
        "language": pa.array([code for code, _ in plan.turn_lang], pa.string()),
        "is_scored": pa.array([h is not None for h in plan.turn_keys], pa.bool_()),
        "skip_reason": pa.array([skip for _, skip in plan.turn_lang], pa.string()),
        "sentiment_label": t.column("sentiment_label"),
        "sentiment_score": t.column("sentiment_score"),
        "top_emotion": pc.list_element(t.column("top_emotions"), 0) if len(t) else pa.array([], pa.string()),
    })
    r = _take(results, index, plan.inter_keys)
    interaction_rows = pa.table({
        "interaction_id": pa.array(batch["interaction_id"].tolist(), pa.string()),
        "language": pa.array([code for code, _ in plan.inter_lang], pa.string()),
        "is_scored": pa.array([h is not None for h in plan.inter_keys], pa.bool_()),
        "skip_reason": pa.array([skip for _, skip in plan.inter_lang], pa.string()),
        **{name: r.column(name) for name in ("n_chunks", "sentiment_label", "sentiment_score", "emotion_probs",
                                             "top_emotions", "ekman", "nev_positive", "nev_negative", "nev_text")},
        "agent_text_score": _take(results, index, plan.agent_keys).column("sentiment_score"),
    })
    return turn_rows, interaction_rows



class _Progress:
    """Advance a texts bar while the encoder works through a batch's units."""

    def __init__(self, bar, n_items: int) -> None:
        self.bar, self.n_items, self.done, self.total_units = bar, n_items, 0, None
        self.units = 0

    def units_done(self, n: int, total_units: int) -> None:
        # The bar counts texts; units are chunks, so advance in proportion until the batch ends.
        self.units += n
        self.total_units = total_units
        if self.bar is not None and self.total_units:
            target = min(self.n_items, int(self.n_items * self.units / self.total_units))
            self.bar.update(target - self.done)
            self.done = target

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.update(self.n_items - self.done)
            self.done = self.n_items


Progress = Callable[[int, int], None]  # (units just encoded, units in the batch)


class Engine(Protocol):
    """Where a batch of texts is scored; everything else is `score_pending`'s, the same for every engine."""

    round_rows: int  # interactions planned and scored together, in batches of `commit_rows`

    def score(self, hashes: list[str], texts: list[str], progress: Progress) -> pa.Table:
        """`RESULT_SCHEMA` rows for the texts (new vectors included); may report encoder progress."""
        ...


@dataclasses.dataclass
class LocalEngine:
    """Score in this process with `scoring.score_texts`, one committed batch per round."""

    models: Models
    settings: EnrichSettings

    @property
    def round_rows(self) -> int:
        """One committed batch a round."""
        return self.settings.commit_rows

    def score(self, hashes: list[str], texts: list[str], progress: Progress) -> pa.Table:
        """`scoring.score_texts` here, advancing the bar as the encoder works through the units."""
        return score_texts(self.models, hashes, texts, self.settings.top_emotions, progress)


def score_round(
    con, store: StoreIndex, models: Models, settings: EnrichSettings, version: str, engine: Engine,
    frame: pd.DataFrame, bar=None, route_store: StoreIndex | None = None,
) -> Stats:
    """One round: plan each committed batch of `frame`, score their distinct texts once, write each batch."""
    timer = Stats()
    step = settings.commit_rows
    plans = [plan_batch(con, settings, version, frame.iloc[i : i + step], timer,
                        multilingual=models.multilingual is not None)
             for i in range(0, len(frame), step)]
    distinct = {h: t for plan in plans for h, t in plan.distinct.items()}
    routed = {h for plan in plans for h in plan.multilingual}
    progress = _Progress(bar, sum(plan.n_items for plan in plans))

    def encode(hashes, texts):
        return engine.score(hashes, texts, progress.units_done)

    results, timer.encoded, timer.reused = compute_results(store, models, settings, distinct, encode, timer, routed,
                                                           route_store)
    progress.finish()
    for plan in plans:
        timer.add(write_batch(con, settings, version, plan, results))
    log.debug("enrich round of %d interactions: %s", timer.interactions, timer.phase_line(3))
    return timer


def score_pending(
    con, store: StoreIndex, models: Models, settings: EnrichSettings, version: str, engine: Engine, bar=None,
    route_store: StoreIndex | None = None,
) -> Stats:
    """Score the staged interactions and turns (`staged_pending`) on `engine`; returns the counts.
    `route_store`: the embedding store's index for `models.sentiment_route`'s encoder, when it is set."""
    stats = Stats()
    for frame in pending_batches(con, engine.round_rows):
        stats.add(score_round(con, store, models, settings, version, engine, frame, bar, route_store))
    return stats
