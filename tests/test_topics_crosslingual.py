"""Contacts in other languages join the reasons found on English texts (pipelines.topics.crosslingual)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from pipelines import warehouse
from pipelines.topics import crosslingual, stage
from pipelines.topics.model import nearest_topic
from pipelines.topics.settings import TopicSettings
from test_topics_stage import FakeEncoder, corpus, load

# Words of two languages that mean one theme, as a multilingual encoder maps translations together.
CONCEPTS = {
    "card": ("card", "karta", "卡"),
    "refund": ("refund", "zwrot", "退款"),
    "transfer": ("transfer", "przelew", "转账"),
    "password": ("password", "hasło", "密码"),
}


class FakeMultilingual:
    """A real, tiny multilingual encoder (another space than the English one: 64 dimensions): a
    theme's words in any language point to one direction, every text also has its own noise."""

    name = "fake-multilingual@1"
    dim = 64

    def __init__(self) -> None:
        rng = np.random.default_rng(1)
        self.axes = {theme: rng.normal(size=self.dim) for theme in CONCEPTS}
        self.calls = 0

    def encode(self, texts, progress=False):
        self.calls += 1
        out = []
        for text in texts:
            seed = int(hashlib.md5(text.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).normal(size=self.dim) * 0.3
            for theme, words in CONCEPTS.items():
                if any(w in text.lower() for w in words):
                    v = v + self.axes[theme] / np.linalg.norm(self.axes[theme]) * np.sqrt(self.dim) * 0.3
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)


FOREIGN = {  # interaction id -> (language, text, the theme it is about or None)
    "p0": ("pl", "Moja karta nadal nie dotarła", "card"),
    "p1": ("pl", "Gdzie jest mój zwrot pieniędzy?", "refund"),
    "p2": ("pl", "Przelew do znajomego nie przeszedł", "transfer"),
    "z0": ("zh", "我忘记了密码，无法登录", "password"),
    "z1": ("zh", "退款还没有到账", "refund"),
    "x0": ("xx", "karta zwrot", None),          # a language the multilingual route does not handle
}


@pytest.fixture
def settings(tmp_path):
    return TopicSettings(model_dir=str(tmp_path / "models"), min_parents=2, max_parents=3)


def _load_foreign(con) -> None:
    rows = pd.DataFrame({"interaction_id": list(FOREIGN), "source_id": "s", "channel": "email",
                         "direction": "inbound",
                         "occurred_at": pd.Timestamp("2024-02-01"), "text": [v[1] for v in FOREIGN.values()],
                         "file_id": "f", "language": [v[0] for v in FOREIGN.values()]})
    con.register("t_rows", rows)
    columns = "interaction_id, source_id, channel, direction, occurred_at, text, file_id"
    con.execute(f"INSERT INTO staging.interactions ({columns}) SELECT {columns} FROM t_rows")
    con.execute("INSERT INTO enriched.interaction_scores (interaction_id, model_version, language, "
                "is_scored, scored_at) "
                "SELECT interaction_id, 'v', language, true, now()::TIMESTAMP FROM t_rows")
    con.unregister("t_rows")


def test_other_languages_join_the_english_reasons_or_stay_other(db_path, settings, monkeypatch):
    monkeypatch.setattr("pipelines.models.multilingual.scorable", lambda code: code in ("pl", "zh"))
    enc, ml = FakeEncoder(), FakeMultilingual()
    con = warehouse.connect(db_path)
    load(con, corpus(), enc)
    _load_foreign(con)
    stage.assign(con, settings, enc, multilingual=ml)
    got = con.execute("SELECT interaction_id, topic_id, topic_label, topic_source "
                      "FROM enriched.topic_assignments WHERE interaction_id IN (SELECT unnest(?::VARCHAR[]))",
                      [list(FOREIGN)]).df()
    got = got.set_index("interaction_id")
    for iid, (_, _, theme) in FOREIGN.items():
        if theme is None:
            assert got.at[iid, "topic_id"] == -1 and got.at[iid, "topic_source"] == "other", iid
        else:
            assert got.at[iid, "topic_source"] == "crosslingual", iid
            assert theme in got.at[iid, "topic_label"].lower(), (iid, got.at[iid, "topic_label"])
    # English contacts kept the English model's assignment; the multilingual encoder never saw them.
    english = con.execute("SELECT count(*) FILTER (topic_source = 'model') FROM enriched.topic_assignments "
                          "WHERE interaction_id LIKE 'i%'").fetchall()[0][0]
    assert english >= 190
    # The centres are built once per model and encoder, then read back: a second pass encodes the texts only.
    folder = stage.model_folder(con, stage.current_model(con))
    assert list(folder.glob("crosslingual-fake-multilingual_1.safetensors"))
    calls = ml.calls
    con.execute("DELETE FROM enriched.topic_assignments")
    stage.assign(con, settings, enc, multilingual=ml)
    assert ml.calls == calls + 1
    again = con.execute("SELECT interaction_id, topic_id FROM enriched.topic_assignments "
                        "WHERE interaction_id IN (SELECT unnest(?::VARCHAR[]))", [list(FOREIGN)]).df()
    again = again.set_index("interaction_id")
    assert again["topic_id"].to_dict() == got["topic_id"].to_dict()


def test_crosslingual_off_leaves_other_languages_in_other(db_path, settings, monkeypatch):
    monkeypatch.setattr("pipelines.models.multilingual.scorable", lambda code: code in ("pl", "zh"))
    enc, ml = FakeEncoder(), FakeMultilingual()
    con = warehouse.connect(db_path)
    load(con, corpus(), enc)
    _load_foreign(con)
    off = TopicSettings(model_dir=settings.model_dir, min_parents=2, max_parents=3, crosslingual=False)
    stage.assign(con, off, enc, multilingual=ml)
    sources = con.execute("SELECT DISTINCT topic_source FROM enriched.topic_assignments "
                          "WHERE interaction_id IN (SELECT unnest(?::VARCHAR[]))", [list(FOREIGN)]).fetchall()
    assert sources == [("other",)] and ml.calls == 0


def test_threshold_is_calibrated_on_the_encoders_own_similarities():
    """The same reasons through an encoder whose cosines sit higher get a higher threshold (e5 vs USE)."""
    topics = [{"id": i, "label": theme, "anchor_texts": [f"{theme} {words[0]} {j}" for j in range(10)]}
              for i, (theme, words) in enumerate(CONCEPTS.items())]

    class Shifted(FakeMultilingual):
        name = "shifted@1"

        def encode(self, texts, progress=False):  # every vector shares one strong common direction
            x = super().encode(texts) + 1.5 / np.sqrt(self.dim)
            return x / np.linalg.norm(x, axis=1, keepdims=True)

    low, high = crosslingual.build(topics, FakeMultilingual()), crosslingual.build(topics, Shifted())
    assert high.threshold > low.threshold
    unrelated = [f"dzisiaj ładna pogoda {i}" for i in range(200)]  # about none of the reasons
    for index, enc in ((low, FakeMultilingual()), (high, Shifted())):
        texts = ["gdzie jest zwrot", "hasło nie działa", "我的卡还没到", "转账失败"]
        ids, _ = nearest_topic(enc.encode(texts), index.centroids, index.ids, index.threshold)
        assert ids.tolist() == [1, 3, 0, 2]
        # The threshold is the off-topic sentences' 95th percentile: about 5% of unrelated texts pass it.
        ids, _ = nearest_topic(enc.encode(unrelated), index.centroids, index.ids, index.threshold)
        assert (ids != -1).mean() <= 0.15


def test_anchors_spread_from_core_to_edge():
    x = np.eye(3, dtype=np.float32)[[0] * 50 + [1] * 50]
    x[50:] = np.array([0.6, 0.8, 0], dtype=np.float32)
    texts = [f"core {i}" for i in range(50)] + [f"edge {i}" for i in range(50)]
    anchors = crosslingual.anchor_texts(texts, x, np.arange(100), np.array([1, 0, 0], np.float32), k=10)
    assert len(anchors) == 10 and anchors[0].startswith("core") and anchors[-1].startswith("edge")
