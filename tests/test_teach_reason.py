"""`teach reason`: contact-reason labels are stored beside the warehouse and pinned by the topics stage."""

from __future__ import annotations

import pytest
from test_topics_stage import FakeEncoder, corpus, load

from pipelines import warehouse
from pipelines.cli import main
from pipelines.models import reasons, taught
from pipelines.topics import stage
from pipelines.topics.settings import TopicSettings


@pytest.fixture
def settings(tmp_path):
    return TopicSettings(model_dir=str(tmp_path / "models"), min_parents=2, max_parents=3)


def test_reason_labels_pin_assignments_and_seed_new_topics(db_path, settings, tmp_path, capsys):
    enc = FakeEncoder()
    con = warehouse.connect(db_path)
    load(con, corpus(), enc)
    stage.assign(con, settings, enc)
    refund_label = con.execute("SELECT topic_label FROM enriched.topic_assignments "
                               "WHERE interaction_id = 'i00050'").fetchone()[0]  # a refund text
    con.close()
    # i00000 (a card text) corrected to the refund topic (by its name, any case); i00001 to a reason
    # no topic carries; one id matches no interaction.
    labels = tmp_path / "reasons.csv"
    labels.write_text(f"interaction_id,label\ni00000,{refund_label.upper()}\ni00001,Card stolen abroad\n"
                      "i99999,Card stolen abroad\n")
    assert main(["--db", str(db_path), "teach", "reason", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "read 3 labels, stored 2" in out and "1 labels match no interaction" in out and "i99999" in out

    con = warehouse.connect(db_path)
    load(con, ["where is my refund please"], None, start=500)  # the next run assigns what is new ...
    summary = stage.assign(con, settings, enc)
    assert "2 pinned by reason labels" in summary
    rows = dict((r[0], r[1:]) for r in con.execute(
        "SELECT interaction_id, topic_label, topic_source, topic_id FROM enriched.topic_assignments "
        "WHERE interaction_id IN ('i00000', 'i00001', 'i00050')").fetchall())
    assert rows["i00000"][:2] == (refund_label, "label") and rows["i00000"][2] == rows["i00050"][2]
    new_id = reasons.label_topic_id("card stolen abroad")
    assert rows["i00001"] == ("Card stolen abroad", "label", new_id)
    version = con.execute("SELECT topic_model_version FROM enriched.topic_models WHERE is_current").fetchone()[0]
    seeded = con.execute("SELECT topic_label, size FROM enriched.topics WHERE topic_model_version = ? "
                         "AND topic_id = ?", [version, new_id]).fetchone()
    assert seeded == ("Card stolen abroad", 1)
    assert con.execute("SELECT sum(size) FROM enriched.topics WHERE topic_model_version = ?",
                       [version]).fetchone()[0] == 201
    # ... and the pins hold on every later run (the labels live beside the warehouse, not in it)
    assert "2 pinned" in stage.assign(con, settings, enc)
    con.close()
    assert len(taught.current_labels(db_path, "reason")) == 2
