"""The topic stage: read customer texts and stored embeddings, fit or load the model, assign.

`assign(con)` is what `python -m pipelines run` calls: it fits first when no model exists, then
assigns only interactions without an assignment for the current version (all of them again when
the taxonomy file changed). Topics are found from each text's reason text (`cleaning`: no handles,
brands, links, greetings, names), embedded through the shared store under its own hash; the fit
reads customer (inbound) texts only. Only English texts (per enriched.interaction_scores.language; not yet
scored, or "und", too short to tell, counts as English: `TopicSettings.model_languages`) are fitted and assigned by the model: the packaged encoder is
English-only. Texts in a language of the multilingual route (Polish, Chinese...) join those
reasons across languages (`crosslingual`, topic_source 'crosslingual'); the rest, and empty texts,
go to "other" unless a taxonomy rule matches them.
enriched.topic_assignments holds the current version only, so readers never double count.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.models import ModelSettings, reasons
from pipelines.topics import crosslingual
from pipelines.topics import model as tm
from pipelines.topics.cleaning import Vocabulary, clean_texts, learn_vocabulary
from pipelines.topics.labels import OTHER_ID, OTHER_LABEL
from pipelines.topics.settings import TopicSettings, load_topic_settings
from pipelines.topics.taxonomy import Taxonomy, apply_rules, carry_pins, load_taxonomy, topic_rows

log = logging.getLogger(__name__)
DIM = 384

# Each interaction's language as its newest score says (NULL: not scored yet).
LANGUAGE_CTE = """lang AS (
    SELECT interaction_id, arg_max(language, scored_at) AS language
    FROM enriched.interaction_scores GROUP BY interaction_id
)"""

CORPUS_SQL = f"""
WITH {LANGUAGE_CTE}
SELECT i.interaction_id, coalesce(i.text, '') AS text, md5(coalesce(i.text, '')) AS text_hash,
       lang.language
FROM staging.interactions i
LEFT JOIN lang USING (interaction_id)
{{where}}
ORDER BY i.interaction_id
"""


# Python's str.isspace() as an RE2 class (checked over every code point): a text with none of these
# characters is blank, as `text.strip() == ""` says.
NOT_SPACE = r"[^\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"

# What a fit reads: the first `max_fit_docs` distinct non-blank texts in the fit languages (or of
# unknown language), by interaction id. Filtered, deduplicated and cut in DuckDB: reading the whole
# corpus to keep 50k texts held every transcript of a 1M-contact warehouse in pandas.
FIT_CORPUS_SQL = f"""
WITH {LANGUAGE_CTE}, eligible AS (
    SELECT i.interaction_id, md5(i.text) AS text_hash, lang.language
    FROM staging.interactions i LEFT JOIN lang USING (interaction_id)
    WHERE i.direction = 'inbound'
      AND (lang.language IS NULL OR list_contains(?::VARCHAR[], lang.language))
      AND regexp_matches(i.text, '{NOT_SPACE}')
    QUALIFY row_number() OVER (PARTITION BY md5(i.text) ORDER BY i.interaction_id) = 1
    ORDER BY i.interaction_id LIMIT ?
)
SELECT e.interaction_id, i.text, e.text_hash, e.language
FROM eligible e JOIN staging.interactions i USING (interaction_id)
ORDER BY e.interaction_id
"""

OTHER_SHARE_SQL = """
SELECT count(*), count(*) FILTER (a.topic_id = -1),
       count(*) FILTER (i.direction = 'inbound' AND regexp_matches(coalesce(i.text, ''), '[[:alpha:]]')),
       count(*) FILTER (i.direction = 'inbound' AND regexp_matches(coalesce(i.text, ''), '[[:alpha:]]')
                        AND a.topic_id = -1)
FROM enriched.topic_assignments a JOIN staging.interactions i USING (interaction_id)
"""


def model_root(con: duckdb.DuckDBPyConnection, settings: TopicSettings) -> Path:
    """`[topics] model_dir`, else `<warehouse folder>/topic_models`."""
    if settings.model_dir:
        return Path(settings.model_dir)
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0]
    base = Path(row[0]).parent if row and row[0] else Path("data")
    return base / "topic_models"


def current_model(con: duckdb.DuckDBPyConnection) -> tm.TopicModel | None:
    rows = con.execute("SELECT path FROM enriched.topic_models WHERE is_current").fetchall()
    return tm.load_model(Path(rows[0][0])) if rows else None


def previous_model(con: duckdb.DuckDBPyConnection, encoder_name: str) -> tm.TopicModel | None:
    """The model to match ids against: the current one, or the latest fitted on the same encoder.

    Centroids from another encoder (full versus fast mode) live in another space, so matching them
    would pair unrelated topics.
    """
    current = current_model(con)
    if current is None or current.encoder == encoder_name:
        return current
    rows = con.execute("SELECT path FROM enriched.topic_models WHERE encoder = ? "
                       "ORDER BY fitted_at DESC LIMIT 1", [encoder_name]).fetchall()
    return tm.load_model(Path(rows[0][0])) if rows and Path(rows[0][0]).exists() else None


def _fast_mode(model_settings: ModelSettings | None = None) -> bool:
    from pipelines.models import load_settings

    return (model_settings or load_settings()).mode == "fast"


def _encoder_name(con: duckdb.DuckDBPyConnection, encoder, model_settings: ModelSettings | None = None) -> str:
    """The encoder whose stored vectors to use; loading the encoder only when it cannot be inferred.

    Only vectors of the `[models] mode` in force count: full and fast embeddings live in different
    spaces, and a topic model is fitted on one of them.
    """
    if encoder is not None:
        return encoder.name
    from pipelines.models.fast import PREFIX

    fast = _fast_mode(model_settings)
    names = [r[0] for r in con.execute("SELECT DISTINCT encoder FROM enriched.embeddings").fetchall()]
    names = [n for n in names if n.startswith(PREFIX) == fast]
    if len(names) == 1:
        return names[0]
    from pipelines.models import load_encoder

    return load_encoder(model_settings).name


def mode_mismatch(model: tm.TopicModel, encoder=None, model_settings: ModelSettings | None = None) -> str:
    """Why `model` cannot assign with the encoder in force ("" when it can): fast and full vectors differ."""
    from pipelines.models.fast import PREFIX

    fast = encoder.name.startswith(PREFIX) if encoder is not None else _fast_mode(model_settings)
    if model.encoder.startswith(PREFIX) == fast:
        return ""
    mode, flag = ("fast", " --fast") if fast else ("full", "")
    return (f"the current topic model {model.version} was fitted on {model.encoder} embeddings, but [models] "
            f"mode is {mode}; refit it on {mode} embeddings with `python -m pipelines topics fit{flag}` "
            "(topic ids are re-matched only within one mode), or run in the other mode")


ASSIGN_CHUNK = 100_000  # interactions whose vectors are held at once while assigning


def _corpus(con, encoder_name: str, where: str = "", params: list | None = None) -> pd.DataFrame:
    # Vectors are read separately through Arrow: DuckDB 2.0's pandas conversion of a NULL
    # FLOAT[384] (a LEFT JOIN miss) yields garbage list lengths.
    del encoder_name
    return con.execute(CORPUS_SQL.format(where=where), params or []).fetch_df()


def _vectors(con, df: pd.DataFrame, encoder_name: str, encoder, model_settings: ModelSettings | None = None) -> np.ndarray:
    """(n, 384) stored vectors of `df`; texts without one are encoded once and stored (shared store)."""
    from pipelines.embeddings.index import ensure_embeddings
    from pipelines.embeddings.store import load_embeddings, stored_hashes

    texts_by_hash = dict(zip(df["text_hash"], df["text"]))
    if len(stored_hashes(con, encoder_name, list(texts_by_hash))) < len(texts_by_hash):
        if encoder is None:
            from pipelines.models import load_encoder

            encoder = load_encoder(model_settings)
        if encoder.name != encoder_name:
            raise tm.TopicsError(f"stored vectors are from {encoder_name} but the encoder is {encoder.name}; "
                                 "refit the topic model on this encoder: python -m pipelines topics fit")
        n = ensure_embeddings(con, encoder, texts_by_hash, progress=len(texts_by_hash) > 500)
        log.info("encoded %d texts without a stored embedding", n)
    return load_embeddings(con, encoder_name, df["text_hash"].tolist())


def reason_frame(df: pd.DataFrame, vocab: Vocabulary) -> pd.DataFrame:
    """`df` with `text` replaced by its reason text (see `cleaning`) and `text_hash` by that text's md5."""
    from pipelines.embeddings.hashing import text_hash

    out = df.copy()
    out["text"] = pd.Series(clean_texts(df["text"].fillna("").tolist(), vocab), index=df.index, dtype=object)
    out["text_hash"] = pd.Series([text_hash(t) for t in out["text"]], index=df.index, dtype=object)
    return out


def embedder(con, encoder_name: str, encoder=None, model_settings: ModelSettings | None = None):
    """texts -> vectors through the embedding store (name phrases and library descriptions)."""
    from pipelines.embeddings.hashing import text_hash

    def embed(texts: list[str]) -> np.ndarray:
        frame = pd.DataFrame({"text": list(texts), "text_hash": [text_hash(t) for t in texts]})
        return _vectors(con, frame, encoder_name, encoder, model_settings)

    return embed


def _english(df: pd.DataFrame, languages: tuple[str, ...]) -> np.ndarray:
    lang = df["language"]
    return (lang.isna() | lang.isin(list(languages))).to_numpy() & (df["text"].str.strip().str.len() > 0).to_numpy()


def _other_language(df: pd.DataFrame, languages: tuple[str, ...]) -> np.ndarray:
    """Texts in a known language outside `languages` that the multilingual route handles."""
    from pipelines.models.multilingual import scorable

    lang = df["language"]
    said = df["text"].fillna("").str.strip().str.len() > 0
    other = (lang.notna() & ~lang.isin(list(languages)) & said).to_numpy()
    return other & np.array([bool(code) and scorable(str(code)) for code in lang.fillna("")], dtype=bool)


def multilingual_encoder():
    """The multilingual route's encoder (whichever model its heads were trained on)."""
    from pipelines.models.multilingual import MultilingualModels

    return MultilingualModels.load().encoder


def model_folder(con: duckdb.DuckDBPyConnection, model: tm.TopicModel) -> Path:
    """Where `model` is saved (its registered path)."""
    rows = con.execute("SELECT path FROM enriched.topic_models WHERE topic_model_version = ?",
                       [model.version]).fetchall()
    if not rows:
        raise tm.TopicsError(f"topic model {model.version} is not registered; "
                             "refit: python -m pipelines topics fit")
    return Path(rows[0][0])


def fit(
    con: duckdb.DuckDBPyConnection, settings: TopicSettings | None = None, encoder=None,
    model_settings: ModelSettings | None = None,
) -> tm.TopicModel:
    """Fit on distinct English customer texts (sorted by interaction id), save, register, re-assign.

    `encoder` (already loaded) wins over `model_settings` (`[models]`, to load it from when needed).
    """
    s = settings or load_topic_settings()
    tax = load_taxonomy(s.taxonomy)
    name = _encoder_name(con, encoder, model_settings)
    vocab = learn_vocabulary(con)
    df = reason_frame(con.execute(FIT_CORPUS_SQL, [list(s.model_languages), s.max_fit_docs]).fetch_df(), vocab)
    df = df[df["text"].str.len() > 0].drop_duplicates("text_hash").reset_index(drop=True)
    previous = previous_model(con, name)
    x = _vectors(con, df, name, encoder, model_settings) if len(df) else np.zeros((0, DIM), np.float32)
    model = tm.fit_topics(df["text"].tolist(), x, s, name, previous, embed=embedder(con, name, encoder, model_settings),
                          cleaning=vocab.as_dict())
    carry_pins(model, previous, tax)
    folder = tm.save_model(model, model_root(con, s))
    con.execute("UPDATE enriched.topic_models SET is_current = false")
    con.execute("DELETE FROM enriched.topic_models WHERE topic_model_version = ?", [model.version])
    con.execute(
        "INSERT INTO enriched.topic_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, true, now()::TIMESTAMP)",
        [model.version, model.previous_version, name, str(folder.resolve()), model.n_docs, len(model.ids),
         model.other_share, model.matching.get("matched", 0), model.matching.get("changed", 0)],
    )
    con.execute("DELETE FROM enriched.topic_assignments")  # current version only (see module doc)
    return model


def assign(
    con: duckdb.DuckDBPyConnection, settings: TopicSettings | None = None, encoder=None,
    model_settings: ModelSettings | None = None, multilingual=None,
) -> str:
    """Assign every interaction without a topic for the current model; fit first when none exists.

    `multilingual` (an `Encoder`) embeds texts in other languages; by default the multilingual
    route's, loaded only when such texts are waiting."""
    s = settings or load_topic_settings()
    tax = load_taxonomy(s.taxonomy)
    model = current_model(con)
    fitted = ""
    if model is None:
        try:
            model = fit(con, s, encoder, model_settings)
        except tm.TopicsError as exc:
            return f"skipped: {exc}"
        fitted = f"fitted {model.version} ({len(model.ids)} topics on {model.n_docs} texts); "
    mismatch = mode_mismatch(model, encoder, model_settings)
    if mismatch:
        log.warning("topics: %s", mismatch)
        return f"skipped: {mismatch}"
    digest = con.execute("SELECT taxonomy_digest FROM enriched.topic_models WHERE is_current").fetchall()[0][0]
    if digest != tax.digest:  # taxonomy edited: its renames, merges and rules apply to every row again
        con.execute("DELETE FROM enriched.topic_assignments")
        con.execute("UPDATE enriched.topic_models SET taxonomy_digest = ? WHERE is_current", [tax.digest])
    df = _corpus(con, model.encoder, "WHERE i.interaction_id NOT IN (SELECT interaction_id FROM enriched.topic_assignments "
                 "WHERE topic_model_version = ?)", [model.version])
    rows = assign_frame(con, df, model, tax, s, encoder, model_settings, multilingual)
    con.register("topics_new_rows", rows)
    con.execute("INSERT INTO enriched.topic_assignments SELECT * FROM topics_new_rows")
    con.unregister("topics_new_rows")
    write_topics(con, model, tax)
    pinned = reasons.apply(con, model.version)  # analysts' reason labels (`teach reason`) win over the model
    write_volume(con, model.version)
    # The outlier share that matters is over customer texts with words: outbound messages and
    # empty texts have no contact reason of their own and land in "other" by construction.
    total, other, texts, texts_other = con.execute(OTHER_SHARE_SQL).fetchall()[0]
    share = texts_other / texts if texts else 0.0
    return (f"{fitted}assigned {len(rows)} new interactions to {model.version}; other: {texts_other}/{texts} "
            f"inbound customer texts ({share:.1%}); {other}/{total} of all interactions"
            + (f"; {pinned} pinned by reason labels" if pinned else ""))


def assign_frame(
    con, df: pd.DataFrame, model: tm.TopicModel, tax: Taxonomy, s: TopicSettings, encoder=None,
    model_settings: ModelSettings | None = None, multilingual=None,
) -> pd.DataFrame:
    """Rows of enriched.topic_assignments for `df`: rules first, then the model (across languages
    for the multilingual route's languages), else other."""
    n = len(df)
    topic = np.full(n, OTHER_ID, dtype=np.int64)
    conf = np.full(n, np.nan)
    source = np.full(n, "other", dtype=object)
    ok = _english(df, s.model_languages) if n else np.zeros(0, bool)
    rows = np.flatnonzero(ok)
    vocab = Vocabulary.from_dict(model.cleaning)
    for start in range(0, len(rows), ASSIGN_CHUNK):  # vectors a chunk at a time: 1M x 384 floats is 1.5 GB
        at = rows[start : start + ASSIGN_CHUNK]
        reason = reason_frame(df.iloc[at].reset_index(drop=True), vocab)
        said = (reason["text"].str.len() > 0).to_numpy()  # only a handle and a link: no reason to find
        at, reason = at[said], reason[said].reset_index(drop=True)
        x = _vectors(con, reason, model.encoder, encoder, model_settings)
        t, c = tm.nearest_topic(x, model.centroids, np.asarray(model.ids), s.min_similarity)
        topic[at], conf[at] = [tax.topic_id(int(v)) for v in t], c
        source[at] = np.where(t == OTHER_ID, "other", "model")
    foreign = np.flatnonzero(_other_language(df, s.model_languages)) if s.crosslingual and n else np.zeros(0, int)
    if len(foreign):
        reason = reason_frame(df.iloc[foreign].reset_index(drop=True), vocab)
        said = (reason["text"].str.len() > 0).to_numpy()
        if said.any():
            multilingual = multilingual or multilingual_encoder()
            index = crosslingual.load_or_build(model_folder(con, model), model.topics, multilingual)
            x = multilingual.encode(reason["text"][said].tolist())
            t, c = tm.nearest_topic(x, index.centroids, index.ids, index.threshold)
            at = foreign[said]
            topic[at], conf[at] = [tax.topic_id(int(v)) for v in t], c
            source[at] = np.where(t == OTHER_ID, "other", "crosslingual")
    ruled = apply_rules(tax, df["text"].tolist()) if tax.rules and n else np.zeros(n, np.int64)
    hit = ruled > 0
    topic[hit], conf[hit], source[hit] = ruled[hit], 1.0, "rule"
    meta = {r["id"]: r for r in topic_rows(model, tax)}
    other = {"label": OTHER_LABEL, "parent_id": OTHER_ID, "parent_label": OTHER_LABEL}
    info = [meta.get(int(t), other) for t in topic]
    return pd.DataFrame({
        "interaction_id": df["interaction_id"].to_numpy(), "topic_model_version": model.version,
        "topic_id": topic.astype(np.int32), "topic_label": [r["label"] for r in info],
        "parent_topic_id": [int(r["parent_id"]) for r in info], "parent_topic_label": [r["parent_label"] for r in info],
        "topic_confidence": conf, "topic_source": source,
    })


def write_topics(con, model: tm.TopicModel, tax: Taxonomy) -> None:
    """enriched.topics for the current version, sizes counted from the assignments in DuckDB."""
    rows = topic_rows(model, tax) + [{"id": OTHER_ID, "label": OTHER_LABEL, "parent_id": OTHER_ID,
                                      "parent_label": OTHER_LABEL, "keywords": [], "representative_texts": []}]
    frame = pd.DataFrame({
        "topic_model_version": model.version, "topic_id": [r["id"] for r in rows], "topic_label": [r["label"] for r in rows],
        "parent_topic_id": [r["parent_id"] for r in rows], "parent_topic_label": [r["parent_label"] for r in rows],
        "keywords": [list(r["keywords"]) for r in rows], "representative_texts": [list(r["representative_texts"]) for r in rows],
    })
    con.register("topics_rows", frame)
    con.execute("DELETE FROM enriched.topics WHERE topic_model_version = ?", [model.version])
    con.execute("""
        INSERT INTO enriched.topics
        SELECT r.topic_model_version, r.topic_id, r.topic_label, r.parent_topic_id, r.parent_topic_label,
               r.keywords, r.representative_texts, coalesce(a.n, 0)
        FROM topics_rows r
        LEFT JOIN (SELECT topic_id, count(*) AS n FROM enriched.topic_assignments
                   WHERE topic_model_version = ? GROUP BY topic_id) a USING (topic_id)""", [model.version])
    con.unregister("topics_rows")


def write_volume(con, version: str) -> None:
    """Volume per reason per day and week, aggregated in DuckDB (input of marts.topic_trends)."""
    con.execute("DELETE FROM enriched.topic_volume")
    for period in ("day", "week"):
        con.execute("""
            INSERT INTO enriched.topic_volume
            SELECT a.topic_model_version, ?, date_trunc(?, i.occurred_at)::DATE, a.topic_id, a.topic_label,
                   a.parent_topic_id, a.parent_topic_label, count(*)
            FROM enriched.topic_assignments a JOIN staging.interactions i USING (interaction_id)
            WHERE a.topic_model_version = ? AND i.occurred_at IS NOT NULL
            GROUP BY ALL""", [period, period, version])
