"""Enrichment stage end to end on a temp warehouse: the real encoder, tiny heads built here."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipelines import warehouse
from pipelines.enrich import batches, stage
from pipelines.embeddings.hashing import text_hash
from pipelines.enrich.scoring import Models
from pipelines.enrich.settings import EnrichSettings
from pipelines.models import GOEMOTIONS_LABELS, SENTIMENT_LABELS, ModelSettings, load_emotion, load_sentiment
from pipelines.models.encoder import Encoder
from pipelines.models.heads import save_head

ANCHORS = {
    "negative": "this is terrible, I am angry and very disappointed",
    "neutral": "the parcel is scheduled for delivery on tuesday",
    "positive": "thank you so much, this is great, I am happy",
    "anger": "I am furious and angry with you",
    "annoyance": "this is so annoying",
    "disappointment": "I am really disappointed",
    "gratitude": "thank you so much for your help",
    "joy": "I am so happy and delighted",
}


def build_tiny_heads(directory, encoder: Encoder) -> ModelSettings:
    """Linear heads whose weights are embeddings of anchor phrases: a real, tiny model."""
    vec = dict(zip(ANCHORS, encoder.encode(list(ANCHORS.values()))))
    save_head(directory / "sentiment", [(np.stack([vec[x] for x in SENTIMENT_LABELS]) * 10.0, np.zeros(3))],
              {"kind": "sentiment", "name": "tiny-sentiment", "labels": list(SENTIMENT_LABELS), "encoder": encoder.name})
    emo_w = np.stack([vec.get(x, vec["neutral"]) for x in GOEMOTIONS_LABELS]) * 10.0
    save_head(directory / "emotion", [(emo_w, np.full(28, -5.0))],
              {"kind": "emotion", "name": "tiny-emotion", "labels": list(GOEMOTIONS_LABELS),
               "encoder": encoder.name, "thresholds": [0.5] * 28})
    return ModelSettings(models_dir=str(directory), batch_size=16)


class CountingEncoder:
    """The real encoder, counting the texts it is asked to encode."""

    def __init__(self, inner: Encoder) -> None:
        self.inner, self.calls, self.texts = inner, 0, 0
        self.name, self.tokenizer, self.max_tokens = inner.name, inner.tokenizer, inner.max_tokens
        self.batch_size, self.model = inner.batch_size, inner.model

    def encode(self, texts, progress=False):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.encode(texts, progress)


@pytest.fixture(scope="session")
def real_encoder() -> Encoder:
    return Encoder(batch_size=16)


@pytest.fixture(scope="session")
def model_settings(tmp_path_factory, real_encoder) -> ModelSettings:
    return build_tiny_heads(tmp_path_factory.mktemp("heads"), real_encoder)


@pytest.fixture
def models(real_encoder, model_settings) -> Models:
    return Models(CountingEncoder(real_encoder), load_sentiment(model_settings), load_emotion(model_settings), model_settings)


@pytest.fixture
def con(db_path):
    c = warehouse.connect(db_path)
    yield c
    c.close()


SETTINGS = EnrichSettings(commit_rows=3)


def insert_interactions(con, rows: list[dict]) -> None:
    df = pd.DataFrame([{
        "interaction_id": r["id"], "channel": r.get("channel", "email"), "text": r.get("text"),
        "agent_text": r.get("agent_text")} for r in rows])
    with warehouse.registered(con, df=df):
        con.execute("""INSERT INTO staging.interactions (interaction_id, source_id, channel, direction,
                       occurred_at, text, agent_text, file_id)
                       SELECT interaction_id, interaction_id, channel, 'inbound', TIMESTAMP '2024-01-01', text,
                              agent_text, 'test' FROM df""")


def insert_turns(con, interaction_id: str, turns: list[tuple[str, str]]) -> None:
    t = pa.table({"interaction_id": [interaction_id] * len(turns), "turn_no": list(range(1, len(turns) + 1)),
                  "speaker": [s for s, _ in turns], "text": [x for _, x in turns]})
    with warehouse.registered(con, t=t):
        con.execute("INSERT INTO staging.turns (interaction_id, turn_no, speaker, text, file_id) "
                    "SELECT interaction_id, turn_no, speaker, text, 'test' FROM t")


def scores(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM enriched.interaction_scores ORDER BY interaction_id").fetch_df().set_index("interaction_id")


BASIC = [
    {"id": "a1", "text": "I am furious, you charged my card twice and nobody calls me back"},
    {"id": "a2", "text": "Thank you so much for your help, the refund arrived today"},
    {"id": "a3", "text": "Thank you so much for your help, the refund arrived today"},  # same text as a2
    {"id": "a4", "text": "   "},
    {"id": "a5", "text": "Karta została obciążona dwa razy i nikt do mnie nie oddzwania, jestem bardzo zła"},
    {"id": "a6", "text": None},
    {"id": "a7", "text": "@united 😡😡 https://t.co/x"},
]


def test_scores_every_interaction_once_and_tags_the_version(con, models):
    insert_interactions(con, BASIC)
    summary = stage.run(con, SETTINGS, models=models, progress=False)
    assert "scored 7 interactions" in summary
    s = scores(con)
    assert set(s.index) == {r["id"] for r in BASIC}
    assert (s["model_version"] == models.version).all()
    assert models.encoder.name in models.version and models.sentiment.version in models.version
    assert s.loc["a1", "sentiment_label"] == "negative" and s.loc["a1", "sentiment_score"] < 0
    assert s.loc["a2", "sentiment_label"] == "positive" and "gratitude" in list(s.loc["a2", "top_emotions"])
    assert len(s.loc["a1", "emotion_probs"]) == 28 and s.loc["a1", "ekman"] in {"anger", "sadness", "joy", "neutral", "disgust", "fear", "surprise"}
    # NEV (text proxy) is in range, or NULL when there is too little emotion.
    nev = s.loc[["a1", "a2"], "nev_text"].dropna()
    assert ((nev >= -100) & (nev <= 100)).all()
    # Empty, no-words and Polish texts are marked, not scored.
    assert s.loc["a4", "is_scored"] == False and s.loc["a4", "skip_reason"] == "empty"  # noqa: E712
    assert s.loc["a6", "skip_reason"] == "empty"
    assert s.loc["a7", "skip_reason"] == "no_words" and pd.isna(s.loc["a7", "sentiment_label"])
    assert s.loc["a5", "language"] == "pl" and s.loc["a5", "skip_reason"] == "not_english"
    assert pd.isna(s.loc["a5", "sentiment_score"])
    # The NEV mapping is loaded as data.
    assert con.execute("SELECT count(*) FROM enriched.nev_mapping").fetchall()[0][0] == 28


def test_embeddings_stored_once_per_distinct_text(con, models):
    insert_interactions(con, BASIC)
    stage.run(con, SETTINGS, models=models, progress=False)
    rows = con.execute("SELECT text_hash, encoder FROM enriched.embeddings").fetchall()
    # a1, a2 (= a3): two distinct English texts, one vector each, keyed by md5(text) and encoder.
    assert sorted(rows) == sorted([(text_hash(BASIC[0]["text"]), models.encoder.name),
                                   (text_hash(BASIC[1]["text"]), models.encoder.name)])
    assert models.encoder.texts == 2
    same = con.execute("SELECT count(*) FROM enriched.embeddings e JOIN staging.interactions i "
                       "ON e.text_hash = md5(i.text)").fetchall()[0][0]
    assert same == 3  # DuckDB's md5 matches Python's: a2 and a3 both find the shared vector


def test_rerun_does_no_model_work_and_scores_only_new(con, models):
    insert_interactions(con, BASIC)
    stage.run(con, SETTINGS, models=models, progress=False)
    calls = models.encoder.calls
    assert stage.run(con, SETTINGS, models=models, progress=False).startswith("nothing new")
    assert models.encoder.calls == calls
    insert_interactions(con, [{"id": "b1", "text": "The app keeps crashing when I try to pay my bill"},
                              {"id": "b2", "text": BASIC[0]["text"]}])
    summary = stage.run(con, SETTINGS, models=models, progress=False)
    assert "scored 2 interactions" in summary
    assert models.encoder.texts == 3  # only b1 is new text; b2 reuses a1's stored vector
    assert len(scores(con)) == 9


def test_rescore_all_rescores_everything_under_the_version(con, models):
    insert_interactions(con, BASIC[:3])
    stage.run(con, SETTINGS, models=models, progress=False)
    first = scores(con)["scored_at"]
    summary = stage.run(con, dataclasses.replace(SETTINGS, rescore_all=True), models=models, progress=False)
    assert "scored 3 interactions" in summary
    again = scores(con)
    assert len(again) == 3 and (again["scored_at"] >= first).all()
    other = stage.run(con, dataclasses.replace(SETTINGS, model_version="v-next"), models=models, progress=False)
    assert "scored 3 interactions" in other
    assert con.execute("SELECT count(DISTINCT model_version) FROM enriched.interaction_scores").fetchall()[0][0] == 2


def test_long_text_is_chunked_not_truncated(con, models):
    calm = "The statement for March lists the payments in the order they were received. " * 12
    angry = "I am furious and angry, this is terrible and I am very disappointed with you. " * 12
    insert_interactions(con, [{"id": "c1", "text": calm + angry}, {"id": "c2", "text": calm}])
    stage.run(con, SETTINGS, models=models, progress=False)
    s = scores(con)
    assert s.loc["c1", "n_chunks"] >= 2 and s.loc["c2", "n_chunks"] >= 1
    # The angry half lies beyond the first 256 tokens: truncation would score c1 like c2.
    assert s.loc["c1", "sentiment_score"] < s.loc["c2", "sentiment_score"] - 0.2
    vec = con.execute("SELECT embedding FROM enriched.embeddings WHERE text_hash = ?",
                      [text_hash(calm + angry)]).fetchall()[0][0]
    assert abs(np.linalg.norm(np.asarray(vec)) - 1.0) < 1e-4


def test_huge_text_is_marked_too_long(con, models):
    insert_interactions(con, [{"id": "h1", "text": "my bill is wrong again. " * 50}])
    stage.run(con, dataclasses.replace(SETTINGS, max_chars=500), models=models, progress=False)
    s = scores(con)
    assert s.loc["h1", "skip_reason"] == "too_long" and not s.loc["h1", "is_scored"]
    assert models.encoder.texts == 0


def test_turns_trajectory_and_agent_kept_apart(con, models):
    insert_interactions(con, [{"id": "call1", "channel": "call", "text": "joined customer turns"},
                              {"id": "mail1", "text": "Where is my refund?", "agent_text": "Thank you so much, we are happy to help"}])
    insert_turns(con, "call1", [
        ("customer", "I am furious, this is terrible, you charged me twice"),
        ("agent", "I am really sorry, this is so annoying for you"),
        ("customer", "I am angry and very disappointed"),
        ("system", "call transferred"),
        ("customer", "ok"),
        ("agent", "Thank you so much for your patience, the refund is done"),
        ("customer", "Thank you so much, this is great, I am happy"),
        ("customer", "Thank you so much for your help"),
    ])
    summary = stage.run(con, SETTINGS, models=models, progress=False)
    assert "and 7 turns" in summary  # the system turn is not scored
    t = con.execute("SELECT turn_no, speaker, sentiment_score FROM enriched.turn_scores ORDER BY turn_no").fetch_df()
    assert list(t["speaker"]) == ["customer", "agent", "customer", "customer", "agent", "customer", "customer"]
    s = scores(con)
    customer = t[t["speaker"] == "customer"]["sentiment_score"].tolist()
    assert s.loc["call1", "sentiment_start"] == pytest.approx(np.mean(customer[:2]), abs=1e-6)
    assert s.loc["call1", "sentiment_end"] == pytest.approx(np.mean(customer[-2:]), abs=1e-6)
    assert s.loc["call1", "sentiment_start"] < 0 < s.loc["call1", "sentiment_end"]
    agent = t[t["speaker"] == "agent"]["sentiment_score"].mean()
    assert s.loc["call1", "agent_sentiment_score"] == pytest.approx(agent, abs=1e-6)
    # An email's agent reply is scored on its own, never mixed into the customer's score.
    assert s.loc["mail1", "agent_sentiment_score"] > 0
    assert pd.isna(s.loc["mail1", "sentiment_start"])
    # Re-run: turns are not scored twice.
    assert stage.run(con, SETTINGS, models=models, progress=False).startswith("nothing new")
    assert con.execute("SELECT count(*) FROM enriched.turn_scores").fetchall()[0][0] == 7


def test_interrupted_run_resumes_after_last_committed_batch(con, models, monkeypatch):
    insert_interactions(con, [{"id": f"r{i}", "text": f"my order number {i} never arrived, this is terrible"} for i in range(7)])
    real = batches.score_round  # the local engine's round is one committed batch
    seen = []

    def failing(*args, **kwargs):
        if len(seen) == 1:
            raise KeyboardInterrupt
        seen.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(batches, "score_round", failing)
    with pytest.raises(KeyboardInterrupt):
        stage.run(con, SETTINGS, models=models, progress=False)
    assert len(scores(con)) == 3  # the first batch (commit_rows = 3) is kept
    monkeypatch.setattr(batches, "score_round", real)
    assert "scored 4 interactions" in stage.run(con, SETTINGS, models=models, progress=False)


def test_cli_enrich_prints_device_and_version_and_is_incremental(db_path, model_settings, monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.setenv("VOC_MODELS_MODELS_DIR", model_settings.models_dir)
    con = warehouse.connect(db_path)
    insert_interactions(con, BASIC[:2])
    con.close()
    assert main(["--db", str(db_path), "enrich", "--no-progress", "--batch-size", "8"]) == 0
    out = capsys.readouterr().out
    assert "device cpu" in out and "model version" in out and "scored 2 interactions" in out
    assert main(["--db", str(db_path), "enrich", "--no-progress"]) == 0
    assert "nothing new" in capsys.readouterr().out
    assert main(["--db", str(db_path), "enrich", "--no-progress", "--rescore-all"]) == 0
    assert "scored 2 interactions" in capsys.readouterr().out
