"""Topic stage on a tiny real fit: 4 clear themes, clustered vectors standing in for the encoder."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from pipelines import warehouse
from pipelines.topics import stage
from pipelines.topics.model import TopicsError, fit_topics, load_model
from pipelines.topics.settings import TopicSettings

THEMES = {
    "card": ["my card has not arrived yet", "when will my new card arrive", "card delivery is late",
             "still waiting for the card in the post"],
    "refund": ["refund not showing in my account", "where is my refund", "merchant refund missing",
               "the refund never came back"],
    "transfer": ["bank transfer failed", "my transfer to a friend was declined", "transfer is pending for days",
                 "money transfer did not go through"],
    "password": ["forgot my password", "cannot reset password", "password reset link broken",
                 "locked out after wrong password"],
}
DIM = 384


class FakeEncoder:
    """A real, tiny encoder: each theme's words point to one direction, so texts cluster by theme."""

    name = "fake@1"
    tokenizer = None          # the embedding store only tokenizes texts longer than max_tokens
    max_tokens = 10_000

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.axes = {theme: rng.normal(size=DIM) for theme in THEMES}

    def encode(self, texts, progress=False):
        out = []
        for text in texts:
            seed = int(hashlib.md5(text.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).normal(size=DIM) * 0.35
            for theme, axis in self.axes.items():
                if theme in text:
                    v = v + axis / np.linalg.norm(axis) * np.sqrt(DIM) * 0.3
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)


def corpus(n_per_theme: int = 50) -> list[str]:
    texts = []
    for theme, phrases in THEMES.items():
        for i in range(n_per_theme):
            texts.append(f"{phrases[i % len(phrases)]} please help {i}")
    return texts


def load(con, texts: list[str], encoder: FakeEncoder | None = None, start: int = 0) -> None:
    df = pd.DataFrame({
        "interaction_id": [f"i{start + i:05d}" for i in range(len(texts))], "source_id": "s", "channel": "chat",
        "direction": "inbound", "occurred_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(texts)) % 20, "D"),
        "text": texts, "file_id": "f",
    })
    con.register("t_rows", df)
    con.execute("INSERT INTO staging.interactions (interaction_id, source_id, channel, direction, occurred_at, text, file_id) "
                "SELECT interaction_id, source_id, channel, direction, occurred_at, text, file_id FROM t_rows")
    con.unregister("t_rows")
    if encoder is not None:
        vec = pd.DataFrame({"text_hash": [hashlib.md5(t.encode()).hexdigest() for t in texts], "encoder": encoder.name,
                            "embedding": list(encoder.encode(texts))}).drop_duplicates("text_hash")
        con.register("t_vec", vec)
        con.execute("INSERT INTO enriched.embeddings SELECT text_hash, encoder, embedding::FLOAT[384] FROM t_vec "
                    "ON CONFLICT DO NOTHING")
        con.unregister("t_vec")


@pytest.fixture
def settings(tmp_path):
    return TopicSettings(model_dir=str(tmp_path / "models"), min_parents=2, max_parents=3)


def test_fit_assign_persist_and_reload(db_path, settings):
    enc = FakeEncoder()
    con = warehouse.connect(db_path)
    load(con, corpus(), enc)
    summary = stage.assign(con, settings, enc)
    assert "fitted" in summary and "assigned 200" in summary
    n, other, models = con.execute("SELECT count(*), count(*) FILTER (topic_id = -1), count(DISTINCT topic_id) "
                                   "FROM enriched.topic_assignments").fetchall()[0]
    assert n == 200 and other / n < 0.10 and models >= 4
    # Every theme lands in one topic, and its label names the theme.
    got = con.execute("SELECT topic_label, count(*) FROM enriched.topic_assignments GROUP BY 1 ORDER BY 2 DESC").fetchall()
    assert {label.split()[0].lower() for label, _ in got[:4]} & {"card", "refund", "transfer", "password"}
    path = con.execute("SELECT path FROM enriched.topic_models WHERE is_current").fetchall()[0][0]
    model = load_model(path)
    assert model.centroids.shape[1] == DIM and len(model.ids) == len(model.topics)
    # New interactions are assigned without refitting; their missing vectors get stored.
    load(con, ["where is my refund please", "forgot my password again"], None, start=500)
    summary = stage.assign(con, settings, enc)
    assert "assigned 2 new" in summary and "fitted" not in summary
    labels = dict(con.execute("SELECT interaction_id, topic_label FROM enriched.topic_assignments "
                              "WHERE interaction_id IN ('i00500', 'i00501')").fetchall())
    assert "refund" in labels["i00500"].lower() and "password" in labels["i00501"].lower()
    assert con.execute("SELECT count(*) FROM enriched.embeddings WHERE encoder = 'fake@1'").fetchall()[0][0] >= 202
    sizes = con.execute("SELECT sum(size) FROM enriched.topics WHERE topic_model_version = ?", [model.version]).fetchall()[0][0]
    assert sizes == 202
    assert con.execute("SELECT count(*) FROM enriched.topic_volume WHERE period = 'week'").fetchall()[0][0] > 0



def test_assigning_in_chunks_equals_one_pass(db_path, settings, monkeypatch):
    """Big backlogs are assigned a chunk of vectors at a time; the rows must not depend on it."""
    enc = FakeEncoder()
    con = warehouse.connect(db_path)
    load(con, corpus(), enc)
    stage.assign(con, settings, enc)
    sql = "SELECT * FROM enriched.topic_assignments ORDER BY interaction_id"
    whole = con.execute(sql).fetch_df()
    con.execute("DELETE FROM enriched.topic_assignments")
    monkeypatch.setattr(stage, "ASSIGN_CHUNK", 7)
    assert "assigned 200 new" in stage.assign(con, settings, enc)
    pd.testing.assert_frame_equal(con.execute(sql).fetch_df(), whole)


@pytest.mark.slow  # three fits (~15 s): stability runs in `make test`, not the inner loop
def test_same_seed_same_topics_and_refit_keeps_ids(db_path, settings):
    enc = FakeEncoder()
    texts = corpus()
    x = enc.encode(texts)
    a = fit_topics(texts, x, settings, enc.name)
    b = fit_topics(texts, x, settings, enc.name)
    assert a.version == b.version and a.ids == b.ids
    assert [t["label"] for t in a.topics] == [t["label"] for t in b.topics]
    assert np.allclose(a.centroids, b.centroids)
    # A re-fit on more data of the same themes keeps every id and name.
    more = texts + [f"{t} again" for t in texts[::3]]
    c = fit_topics(more, enc.encode(more), settings, enc.name, previous=a)
    assert c.matching["matched"] >= 4
    old = {t["id"]: t["label"] for t in a.topics}
    assert all(old[t["id"]] == t["label"] for t in c.topics if t["id"] in old)


def test_taxonomy_rename_merge_rules_survive_refit(db_path, settings, tmp_path):
    enc = FakeEncoder()
    con = warehouse.connect(db_path)
    load(con, corpus(), enc)
    stage.assign(con, settings, enc)
    ids = dict(con.execute("SELECT lower(topic_label), topic_id FROM enriched.topics "
                           "WHERE topic_id >= 0").fetchall())
    card = next(v for k, v in ids.items() if "card" in k)
    refund = next(v for k, v in ids.items() if "refund" in k)
    merged = next(v for k, v in ids.items() if "transfer" in k)
    tax = tmp_path / "taxonomy.yaml"
    tax.write_text(f"rename: {{{card}: 'Card delivery'}}\nmerge: {{{refund}: [{merged}]}}\n"
                   "rules:\n  - {id: 10001, label: Security, keywords: [locked]}\n", encoding="utf-8")
    import dataclasses

    s = dataclasses.replace(settings, taxonomy=str(tax))
    for step in ("assign", "refit"):
        if step == "refit":
            load(con, [f"{t} later" for t in corpus(10)], enc, start=1000)
            stage.fit(con, s, enc)
        stage.assign(con, s, enc)
        rows = con.execute("SELECT text, topic_id, topic_label, topic_source FROM enriched.topic_assignments "
                           "JOIN staging.interactions USING (interaction_id)").fetchall()
        for text, tid, label, source in rows:
            if "locked" in text:
                assert (tid, source) == (10001, "rule")
            elif "card" in text:
                assert label == "Card delivery"
            elif "transfer" in text:
                assert tid == refund
        assert not any(tid == merged for _, tid, _, _ in rows)


def test_tiny_and_empty_corpora_have_clear_messages(db_path, settings):
    enc = FakeEncoder()
    con = warehouse.connect(db_path)
    with pytest.raises(TopicsError, match="no customer texts"):
        stage.fit(con, settings, enc)
    load(con, corpus()[:5], enc)
    with pytest.raises(TopicsError, match="only 5 texts.*min_fit_docs"):
        stage.fit(con, settings, enc)
    assert stage.assign(con, settings, enc).startswith("skipped: only 5 texts")
    import dataclasses

    # Five texts still fit when the user lowers the bound; every text ends with a topic or "other".
    model = stage.fit(con, dataclasses.replace(settings, min_fit_docs=5), enc)
    assert len(model.ids) >= 1


def test_cli_show_without_model(db_path):
    warehouse.connect(db_path).close()
    out = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db_path), "topics", "show"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "no topic model yet" in out.stdout


def planted(n_clusters: int = 12, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts and vectors of `n_clusters` planted themes of unequal sizes (30 to 85 texts each)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, DIM))
    sizes = 30 + 5 * np.arange(n_clusters)
    truth = np.repeat(np.arange(n_clusters), sizes)
    x = centres[truth] / np.sqrt(DIM) + rng.normal(size=(len(truth), DIM)) * 0.04
    texts = [f"theme{c} issue number {i}" for i, c in enumerate(truth)]
    return texts, (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


@pytest.mark.slow  # three fits of 12 planted topics (~25 s): stability runs in `make test`
def test_ward_finds_planted_topic_count_and_is_stable(tmp_path):
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from pipelines.topics.model import nearest_topic

    texts, x, truth = planted()
    s = TopicSettings(model_dir=str(tmp_path), min_parents=2, max_parents=3)
    assert s.clustering == "ward" and s.ward_threshold == 0  # the topic count is never given
    a = fit_topics(texts, x, s, "planted")
    assert len(a.ids) == 12 and a.other_share == 0
    got, _ = nearest_topic(x, a.centroids, np.asarray(a.ids), s.min_similarity)
    assert nmi(truth, got) > 0.99
    # Another seed and a shuffled order give the same partition; so does a 90% subsample.
    order = np.random.default_rng(1).permutation(len(texts))
    import dataclasses

    b = fit_topics([texts[i] for i in order], x[order], dataclasses.replace(s, seed=7), "planted")
    again, _ = nearest_topic(x, b.centroids, np.asarray(b.ids), s.min_similarity)
    assert nmi(got, again) == pytest.approx(1.0)
    sub = np.sort(np.random.default_rng(2).choice(len(texts), int(0.9 * len(texts)), replace=False))
    c = fit_topics([texts[i] for i in sub], x[sub], s, "planted")
    part, _ = nearest_topic(x[sub], c.centroids, np.asarray(c.ids), s.min_similarity)
    assert nmi(got[sub], part) > 0.99


def test_unknown_clustering_names_the_setting(tmp_path):
    texts, x, _ = planted(3)
    with pytest.raises(TopicsError, match="clustering 'kmeans'.*ward"):
        fit_topics(texts, x, TopicSettings(clustering="kmeans", model_dir=str(tmp_path)), "planted")


def test_hdbscan_recipe_still_available(tmp_path):
    texts, x, truth = planted(4)
    s = TopicSettings(clustering="hdbscan", model_dir=str(tmp_path), min_parents=2, max_parents=3)
    model = fit_topics(texts, x, s, "planted")
    assert len(model.ids) == 4


def test_the_fit_reads_the_first_distinct_non_blank_texts_in_its_languages(db_path):
    con = warehouse.connect(db_path)
    texts = ["card late", "card late", "\u00a0\u2003\t", "", "où est ma carte", "refund missing",
             "transfer failed", "refund missing", "password reset", "\u3000", "card late again"]
    langs = ["en", "en", None, None, "fr", None, "en", "en", "en", "en", "en"]
    load(con, texts)
    ids = [f"i{i:05d}" for i in range(len(texts))]
    scores = pd.DataFrame({"interaction_id": ids, "language": langs})
    con.register("t_scores", scores)
    con.execute("INSERT INTO enriched.interaction_scores (interaction_id, model_version, language, is_scored, scored_at) "
                "SELECT interaction_id, 'v', language, true, now()::TIMESTAMP FROM t_scores")
    # The rule, as pandas says it: in the fit languages or unknown, not blank (str.strip), the first
    # of each text by interaction id, at most max_fit_docs.
    every = stage._corpus(con, "fake@1")
    for limit in (3, 100):
        expected = every[stage._english(every, ("en",))].drop_duplicates("text_hash").head(limit)
        got = con.execute(stage.FIT_CORPUS_SQL, [["en"], limit]).fetch_df()
        assert got["interaction_id"].tolist() == expected["interaction_id"].tolist()
    assert got["text"].tolist() == ["card late", "refund missing", "transfer failed", "password reset",
                                    "card late again"]


def test_texts_too_short_to_tell_the_language_of_get_a_reason_like_english(db_path, settings):
    # Enrichment scores "und" (too few letters to tell) as English; the topics must read it too, or
    # every short tweet ("refund??") lands in Other. A text in a language the route cannot handle
    # still stays Other.
    enc = FakeEncoder()
    con = warehouse.connect(db_path)
    load(con, corpus(), enc)
    stage.assign(con, settings, enc)
    load(con, ["where is my refund", "forgot my password", "zzz card qqq"], None, start=500)
    scores = pd.DataFrame({"interaction_id": ["i00500", "i00501", "i00502"], "language": ["und", "und", "xx"]})
    with warehouse.registered(con, t_scores=scores):
        con.execute("INSERT INTO enriched.interaction_scores (interaction_id, model_version, language, is_scored, "
                    "scored_at) SELECT interaction_id, 'v', language, true, now()::TIMESTAMP FROM t_scores")
    stage.assign(con, settings, enc)
    got = dict(con.execute("SELECT interaction_id, topic_label || ' ' || topic_source FROM enriched.topic_assignments "
                           "WHERE interaction_id >= 'i00500'").fetchall())
    assert "refund" in got["i00500"].lower() and got["i00500"].endswith("model")
    assert "password" in got["i00501"].lower() and got["i00501"].endswith("model")
    assert got["i00502"].endswith("other")
