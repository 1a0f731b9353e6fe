"""`teach`: a center's labels train a head on the stored embeddings; worse heads are refused.

Runs on the shipped fast-mode models (static encoder: milliseconds), on a warehouse whose center
labels a repeat technician visit as negative (the shipped head does not), so a taught head has
something real to learn.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from test_enrich_pipeline import insert_interactions

from pipelines import warehouse
from pipelines.cli import main
from pipelines.enrich import stage
from pipelines.enrich.scoring import Models
from pipelines.enrich.settings import EnrichSettings
from pipelines.models import ModelSettings, taught

pytest.importorskip("model2vec")

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
CENTER = {  # this center's convention: a technician visit means the first fix failed
    "negative": ["the technician came on {d} to look at the router again, visit {n}",
                 "an engineer visited on {d} and replaced the modem, ticket {n}"],
    "neutral": ["please change the billing address on account {n} before {d}",
                "what time does the store on {d} street open, order {n}"],
    "positive": ["thank you, the support team sorted my account {n} on {d}, great service",
                 "really happy with the quick help on {d}, case {n} closed"],
}


def corpus() -> list[dict]:
    rows = []
    for label, templates in CENTER.items():
        for i in range(24):
            text = templates[i % 2].format(d=DAYS[i % len(DAYS)], n=1000 + 7 * i)
            rows.append({"id": f"{label[:3]}{i:02d}", "text": text, "label": label})
    return rows


@pytest.fixture(autouse=True)
def _fast_env(monkeypatch):
    # fast mode from the environment, as a user would set it (the CLI's --fast travels in Settings)
    monkeypatch.setenv("VOC_MODELS_MODE", "fast")


@pytest.fixture(scope="module")
def fast_models() -> Models:
    return Models.load(EnrichSettings(), ModelSettings(mode="fast"))


@pytest.fixture
def enriched_db(tmp_path, fast_models) -> Path:
    db = tmp_path / "voc.duckdb"
    con = warehouse.connect(db)
    insert_interactions(con, corpus())
    stage.run(con, EnrichSettings(), models=fast_models, progress=False)
    con.close()
    return db


def write_labels(path: Path, rows: list[tuple[str, str]], key: str = "source_id") -> Path:
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow([key, "label"])
        w.writerows(rows)
    return path


def labels_of(con) -> dict[str, str]:
    return dict(con.execute("SELECT interaction_id, sentiment_label FROM enriched.interaction_scores "
                            "WHERE model_version = (SELECT max(model_version) FROM enriched.interaction_scores "
                            "WHERE model_version LIKE '%taught%')").fetchall())


def test_taught_head_is_activated_and_rescoring_is_incremental(enriched_db, fast_models, tmp_path, capsys):
    rows = [(r["id"], r["label"]) for r in corpus()]
    rows += [("no-such-contact", "negative"), ("neg03", "furious"), ("nor-this-one", "positive")]
    path = write_labels(tmp_path / "qa.csv", rows)

    assert main(["--db", str(enriched_db), "teach", "sentiment", str(path), "--fast"]) == 0
    out = capsys.readouterr().out
    assert "read 75 labels, stored 72" in out
    assert "2 labels match no interaction" in out and "no-such-contact" in out and "nor-this-one" in out
    assert "1 rows with an unknown label" in out and "row 75: 'furious'" in out
    attempt = taught.history(enriched_db, "sentiment").iloc[0]
    assert attempt["accepted"] and attempt["active"] and attempt["cv_macro_f1"] > attempt["shipped_macro_f1"]
    assert Path(attempt["path"]).parent == taught.heads_root(enriched_db) / "sentiment"

    models = Models.load(EnrichSettings(), ModelSettings(mode="fast"), db=enriched_db)
    assert models.sentiment.version.startswith("sentiment-taught-v1@")
    assert models.emotion.version == fast_models.emotion.version  # only the taught task changes
    con = warehouse.connect(enriched_db)
    first = stage.run(con, EnrichSettings(), progress=False)  # loads the taught head from beside the warehouse
    assert "scored 72 interactions" in first and "encoded 0 distinct texts" in first, first
    assert "sentiment-taught-v1@" in first
    predicted = labels_of(con)
    technician = [r["id"] for r in corpus() if r["label"] == "negative"]
    assert np.mean([predicted[i] == "negative" for i in technician]) > 0.9
    assert stage.run(con, EnrichSettings(), progress=False).startswith("nothing new to score")
    # the shipped version's rows stay: the new version's are added beside them
    assert con.execute("SELECT count(DISTINCT model_version) FROM enriched.interaction_scores").fetchone()[0] == 2
    con.close()


def test_a_head_no_better_than_the_shipped_one_is_refused(enriched_db, fast_models, tmp_path, capsys):
    con = warehouse.connect(enriched_db, read_only=True)
    shipped = dict(con.execute("SELECT interaction_id, sentiment_label FROM enriched.interaction_scores").fetchall())
    con.close()
    # Labels that agree with the shipped head everywhere: nothing to gain, so the head is refused.
    path = write_labels(tmp_path / "same.csv", sorted(shipped.items()), key="interaction_id")

    assert main(["--db", str(enriched_db), "teach", "sentiment", str(path), "--fast"]) == 3
    out = capsys.readouterr().out
    assert "refused: cross-validated macro-F1" in out and "vs the shipped head's 1.000" in out
    attempt = taught.history(enriched_db, "sentiment").iloc[0]
    assert not attempt["accepted"] and not attempt["active"] and attempt["path"] is None
    assert taught.active_head(enriched_db, "sentiment", fast_models.encoder.name) is None
    assert Models.load(EnrichSettings(), ModelSettings(mode="fast"), db=enriched_db).version == fast_models.version
    con = warehouse.connect(enriched_db)
    assert stage.run(con, EnrichSettings(), progress=False).startswith("nothing new to score")
    con.close()


def test_labels_are_versioned_and_reset_restores_the_shipped_head(enriched_db, fast_models, tmp_path):
    from pipelines.models import teacher

    rows = [(r["id"], r["label"]) for r in corpus()]
    teacher.teach(enriched_db, "sentiment", write_labels(tmp_path / "a.csv", rows), models=fast_models)
    # a correction is a newer label for the same contact; the older one stays in the history
    teacher.teach(enriched_db, "sentiment", write_labels(tmp_path / "b.csv", [("pos00", "neutral")]), models=fast_models)
    current = taught.current_labels(enriched_db, "sentiment").set_index("interaction_id")
    assert current.loc["pos00", "label"] == "neutral" and current.loc["pos00", "origin"] == "b.csv"
    assert len(current) == 72
    assert list(taught.history(enriched_db, "sentiment")["version"]) == [2, 1]
    assert "deactivated" in teacher.reset(enriched_db, "sentiment")
    assert Models.load(EnrichSettings(), ModelSettings(mode="fast"), db=enriched_db).version == fast_models.version


def test_a_missing_labels_column_is_a_clear_error(enriched_db, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("ticket,sentiment\n1,negative\n")
    assert main(["--db", str(enriched_db), "teach", "sentiment", str(path), "--fast"]) == 2
    err = capsys.readouterr().err
    assert "needs a `label` column and `interaction_id` or `source_id`" in err and "bad.csv" in err


def test_stored_corrections_are_taught_by_the_next_enrich(enriched_db, fast_models):
    import pandas as pd

    # what the dashboard's Explore page writes: labels beside the warehouse, no CSV, no teach command
    frame = pd.DataFrame([(r["id"], r["label"]) for r in corpus()], columns=["interaction_id", "label"])
    taught.add_labels(enriched_db, "sentiment", frame, "dashboard")
    con = warehouse.connect(enriched_db)
    summary = stage.run(con, EnrichSettings(), models=fast_models, progress=False)
    assert summary.startswith("teach sentiment: taught sentiment-taught-v1@"), summary
    assert "scored 72 interactions" in summary and "encoded 0 distinct texts" in summary
    # nothing new labelled: no new attempt, nothing to rescore
    again = stage.run(con, EnrichSettings(), models=fast_models, progress=False)
    assert again.startswith("nothing new to score") and "sentiment-taught-v1@" in again
    con.close()
    assert len(taught.history(enriched_db, "sentiment")) == 1


def test_teach_emotion_learns_ekman_labels_through_the_28_label_head(enriched_db, fast_models, tmp_path):
    from pipelines.models import teacher
    from pipelines.models.labels import top_ekman

    # this center reads a repeat technician visit as anger, a billing request as neutral
    ekman_of = {"negative": "anger", "neutral": "neutral", "positive": "joy"}
    rows = [(r["id"], ekman_of[r["label"]]) for r in corpus()]
    report = teacher.teach(enriched_db, "emotion", write_labels(tmp_path / "e.csv", rows), models=fast_models)
    assert report.stored == 72 and report.accepted, report.lines()
    models = Models.load(EnrichSettings(), ModelSettings(mode="fast"), db=enriched_db)
    assert models.emotion.version.startswith("emotion-taught-v1@")
    assert models.sentiment.version == fast_models.sentiment.version
    texts = [r["text"] for r in corpus() if r["label"] == "negative"]
    probs = models.emotion.predict_proba(texts, models.encoder.encode(texts))
    assert probs.shape == (len(texts), 28)
    assert np.mean([e == "anger" for e in top_ekman(probs)]) > 0.9
