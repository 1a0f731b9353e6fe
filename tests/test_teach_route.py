"""`teach sentiment` on the multilingual route's encoder (e5): a taught head mixed with a probe,
gated by nested cross-validation, scored by enrich's `SentimentRoute` on vectors stored under the
route encoder's own name.

Runs on the shipped fast-mode English models and a fake route (a tiny deterministic 384-d encoder
named as e5 and a shipped route head that is confidently wrong on this center's labels), so no e5
is loaded.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
from test_enrich_pipeline import insert_interactions
from test_teach import _fast_env, corpus, enriched_db, fast_models, write_labels  # noqa: F401 (fixtures)

from pipelines import warehouse
from pipelines.enrich import stage
from pipelines.enrich.settings import EnrichSettings
from pipelines.models import taught
from pipelines.models import teach as fit
from pipelines.models.heads import HeadSentimentModel, save_head
from pipelines.models.labels import SENTIMENT_LABELS
from pipelines.models.multilingual import MultilingualModels

pytest.importorskip("model2vec")

E5_NAME = "multilingual-e5-small-int8@fake0000"
DIM = 384
CUES = {"negative": ("technician", "engineer"), "neutral": ("billing", "store"), "positive": ("thank", "happy")}


class FakeE5:
    """Deterministic unit vectors: a text's cue words point to its label's direction, plus its own noise."""

    name = E5_NAME
    dim = DIM
    max_tokens = 512
    tokenizer = None
    batch_size = 64

    def __init__(self) -> None:
        rng = np.random.default_rng(5)
        self.axes = {label: rng.normal(size=DIM) for label in CUES}
        self.encoded: list[str] = []

    def encode(self, texts, progress=False):
        self.encoded.extend(texts)
        out = []
        for text in texts:
            seed = int(hashlib.md5(text.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).normal(size=DIM)
            for label, words in CUES.items():
                if any(w in text.lower() for w in words):
                    v = v + 0.3 * self.axes[label]
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)


def wrong_route_head(tmp: Path, encoder: FakeE5) -> HeadSentimentModel:
    """A shipped route head on the fake e5 that reads every label as the next one, confidently."""
    axes = np.stack([encoder.axes[label] / np.linalg.norm(encoder.axes[label]) for label in SENTIMENT_LABELS])
    w2 = 40.0 * np.roll(np.eye(3), 1, axis=0)  # hidden unit of label j -> logit of label j + 1
    save_head(tmp / "sentiment", [(axes.astype(np.float32), np.zeros(3, np.float32)),
                                   (w2.astype(np.float32), np.zeros(3, np.float32))],
              {"name": "route-sentiment-fake", "encoder": E5_NAME, "labels": list(SENTIMENT_LABELS)})
    return HeadSentimentModel.load(tmp / "sentiment")


@pytest.fixture
def route_models(fast_models, tmp_path):
    encoder = FakeE5()
    head = wrong_route_head(tmp_path / "route", encoder)
    multilingual = MultilingualModels(encoder, head, fast_models.emotion)
    settings = dataclasses.replace(fast_models.settings, teach_encoder="multilingual")
    return dataclasses.replace(fast_models, settings=settings, multilingual=multilingual)


def test_a_wrong_route_head_and_informative_vectors_give_an_accepted_mix_on_e5(enriched_db, route_models, tmp_path):
    from pipelines.models import teacher

    rows = [(r["id"], r["label"]) for r in corpus()]
    report = teacher.teach(enriched_db, "sentiment", write_labels(tmp_path / "qa.csv", rows), models=route_models)
    assert report.accepted, report.lines()
    attempt = taught.history(enriched_db, "sentiment").iloc[0]
    assert attempt["encoder"] == E5_NAME and attempt["active"]
    assert attempt["base_version"] == route_models.multilingual.sentiment.version
    assert attempt["shipped_macro_f1"] < 0.1 < 0.9 < attempt["cv_macro_f1"]
    assert attempt["mix_weight"] < 1.0
    assert "mix weight" in report.message and E5_NAME in report.message
    head = HeadSentimentModel.load(Path(attempt["path"]))
    assert head.encoder_name == E5_NAME and head.head.config["taught"]["mix_weight"] == attempt["mix_weight"]


def test_the_reported_cv_is_the_nested_one_not_the_weight_picking_one(enriched_db, route_models, tmp_path):
    from pipelines.models import teacher

    rows = [(r["id"], r["label"]) for r in corpus()]
    report = teacher.teach(enriched_db, "sentiment", write_labels(tmp_path / "qa.csv", rows), models=route_models)
    con = warehouse.connect(enriched_db, read_only=True)
    _, y, groups, _ = teacher.training_set(con, taught.current_labels(enriched_db, "sentiment"),
                                           route_models.encoder.name, fit.classes("sentiment"))
    x = teacher.route_vectors(con, taught.current_labels(enriched_db, "sentiment"), route_models.encoder.name,
                              fit.classes("sentiment"), route_models.multilingual.encoder, writable=False)
    con.close()
    head = route_models.multilingual.sentiment.head
    offset = fit.class_offsets("sentiment", head.layers, head.config, x)
    nested = fit.nested_cross_validate(offset, x, y, groups, 3)
    _, _, picked, _ = fit.fit_mix(offset, x, y, groups, 3)
    assert nested.mix_macro_f1 < picked  # on these labels the weight-picking score flatters the mix
    assert len(nested.weights) == fit.FOLDS
    assert report.cv_macro_f1 == pytest.approx(nested.mix_macro_f1)
    assert report.shipped_macro_f1 == pytest.approx(nested.shipped_macro_f1)


def test_after_teach_enrich_scores_english_sentiment_on_the_route_incrementally(enriched_db, route_models, tmp_path):
    from pipelines.models import teacher

    rows = [(r["id"], r["label"]) for r in corpus()]
    con = warehouse.connect(enriched_db)
    taught.add_labels(enriched_db, "sentiment", __import__("pandas").DataFrame(rows, columns=["interaction_id", "label"]),
                      "dashboard")
    summary = stage.run(con, EnrichSettings(), models=route_models, progress=False)  # teaches, then rescores
    assert summary.startswith("teach sentiment: taught sentiment-taught-v1@"), summary
    assert "scored 72 interactions" in summary and "encoded 0 distinct texts" in summary, summary
    # teach stored the labelled texts' e5 vectors under e5's name: the route re-encodes none of them
    assert f"sentiment on {E5_NAME}: encoded 0, reused 72" in summary, summary
    n_e5 = con.execute("SELECT count(*) FROM enriched.embeddings WHERE encoder = ?", [E5_NAME]).fetchone()[0]
    assert n_e5 == 72
    version = con.execute("SELECT max(model_version) FROM enriched.interaction_scores "
                          "WHERE model_version LIKE '%sentiment-taught-v1@%'").fetchone()[0]
    predicted = dict(con.execute("SELECT interaction_id, sentiment_label FROM enriched.interaction_scores "
                                 "WHERE model_version = ?", [version]).fetchall())
    # the route head's labels (the shared fast head never learnt this center's technician convention)
    assert np.mean([predicted[r["id"]] == r["label"] for r in corpus()]) > 0.9
    # nothing new: no new attempt, nothing rescored; new contacts: only they are scored, on the route
    assert stage.run(con, EnrichSettings(), models=route_models, progress=False).startswith("nothing new to score")
    insert_interactions(con, [{"id": "new1", "text": "the technician came back a third time on sunday"},
                              {"id": "new2", "text": "thank you, happy with the fix"}])
    again = stage.run(con, EnrichSettings(), models=route_models, progress=False)
    assert "scored 2 interactions" in again and f"sentiment on {E5_NAME}: encoded 2, reused 0" in again, again
    new = dict(con.execute("SELECT interaction_id, sentiment_label FROM enriched.interaction_scores "
                           "WHERE model_version = ? AND interaction_id LIKE 'new%'", [version]).fetchall())
    assert new == {"new1": "negative", "new2": "positive"}
    con.close()
    assert len(taught.history(enriched_db, "sentiment")) == 1
    assert teacher.pending_tasks(enriched_db, {"sentiment": E5_NAME, "emotion": route_models.encoder.name}) == []
