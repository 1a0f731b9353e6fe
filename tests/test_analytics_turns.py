"""marts.turns shows the turn scores of the model version that scored the interaction last."""

from __future__ import annotations

from analytics_fixtures import add_interactions

from analytics import build
from analytics.settings import AnalyticsSettings
from pipelines.warehouse import connect


def test_turns_follow_the_interactions_latest_model_version(tmp_path):
    con = connect(tmp_path / "voc.duckdb")
    add_interactions(con, [dict(id="i1", customer="C1", hours=0)])   # scored by 'm1' on 2024-06-01
    con.execute("INSERT INTO staging.turns (interaction_id, turn_no, speaker, text, file_id) "
                "VALUES ('i1', 0, 'customer', 'my card was charged twice', 'f')")
    # an older fast-mode score whose name sorts after the full model's
    con.execute("""INSERT INTO enriched.interaction_scores (interaction_id, model_version, is_scored,
                       sentiment_label, sentiment_score, scored_at)
                   VALUES ('i1', 'm2v-fast', true, 'positive', 0.5, TIMESTAMP '2024-05-01')""")
    con.execute("""INSERT INTO enriched.turn_scores (interaction_id, turn_no, model_version, speaker,
                       is_scored, sentiment_label, sentiment_score)
                   VALUES ('i1', 0, 'm1', 'customer', true, 'negative', -0.7),
                          ('i1', 0, 'm2v-fast', 'customer', true, 'positive', 0.5)""")
    build.run(con, AnalyticsSettings())
    assert con.execute("SELECT model_version, sentiment_label FROM marts.turns").fetchall() == [("m1", "negative")]
    assert con.execute("SELECT model_version FROM marts.interactions").fetchall() == [("m1",)]
    con.close()
