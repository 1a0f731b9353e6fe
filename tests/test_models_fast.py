"""Fast mode: the static (model2vec) encoder, enrichment keyed apart from the full encoder, mismatches.

The static model here is a real, tiny one built in the test (a word-level tokenizer over the test
phrases and a seeded random table), so no test waits for a distillation.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from test_enrich_pipeline import ANCHORS, BASIC, build_tiny_heads, insert_interactions

from pipelines import warehouse
from pipelines.enrich import stage
from pipelines.enrich.scoring import Models
from pipelines.enrich.settings import EnrichSettings
from pipelines.models import ModelSettings, load_emotion, load_encoder, load_sentiment, load_settings
from pipelines.models.encoder import Encoder, ModelPathError
from pipelines.models.fast import PREFIX, FastEncoder, check_heads
from pipelines.settings import SettingsError

pytest.importorskip("model2vec")

WORDS = " ".join(ANCHORS.values()) + " " + " ".join(r["text"] or "" for r in BASIC)


def build_tiny_static_model(directory, seed: int = 0):
    """A real model2vec StaticModel: lower-cased words of the test phrases, one random 384-d row each."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    words = sorted(set(re.findall(r"[a-z]+", WORDS.lower())))
    vocab = {"[UNK]": 0, "[PAD]": 1, **{w: i + 2 for i, w in enumerate(words)}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    table = np.random.default_rng(seed).normal(size=(len(vocab), 384)).astype(np.float32)
    StaticModel(table, tokenizer, normalize=True).save_pretrained(str(directory))
    return directory


@pytest.fixture(scope="session")
def static_dir(tmp_path_factory):
    return build_tiny_static_model(tmp_path_factory.mktemp("m2v"))


@pytest.fixture(scope="session")
def fast_encoder(static_dir) -> FastEncoder:
    return FastEncoder(static_dir)


@pytest.fixture(scope="session")
def heads_dir(tmp_path_factory, fast_encoder):
    """Tiny full heads in <dir>/ and tiny fast heads (on the static model) in <dir>/fast/."""
    directory = tmp_path_factory.mktemp("heads")
    build_tiny_heads(directory, Encoder(batch_size=16))
    build_tiny_heads(directory / "fast", fast_encoder)
    return directory


def test_fast_encoder_shape_normalisation_and_determinism(fast_encoder):
    texts = ["Thank you so much for your help", "I am furious and angry with you", "qqq zzz", ""]
    a = fast_encoder.encode(texts)
    assert a.shape == (4, 384) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a[:2], axis=1), 1.0, atol=1e-5)
    assert not np.isnan(a).any() and not a[2:].any()  # no known word: a zero vector, never NaN
    np.testing.assert_array_equal(a, fast_encoder.encode(texts))
    np.testing.assert_allclose(fast_encoder.encode(texts[1:2])[0], a[1], atol=1e-6)  # batch-independent
    assert fast_encoder.encode([]).shape == (0, 384)


def test_name_is_keyed_by_the_table(fast_encoder, tmp_path):
    assert fast_encoder.name.startswith(PREFIX) and "@" in fast_encoder.name
    other = FastEncoder(build_tiny_static_model(tmp_path / fast_encoder.path.name, seed=1))
    assert other.name != fast_encoder.name  # another distillation, another name


def test_mode_setting_env_and_validation(monkeypatch, static_dir):
    monkeypatch.setenv("VOC_MODELS_MODE", "fast")
    monkeypatch.setenv("VOC_MODELS_FAST_MODEL_PATH", str(static_dir))
    s = load_settings()
    assert s.mode == "fast"
    assert isinstance(load_encoder(s), FastEncoder)
    with pytest.raises(SettingsError, match="full.*fast"):
        ModelSettings(mode="turbo")
    with pytest.raises(ModelPathError, match="holds no model2vec model"):
        load_encoder(ModelSettings(mode="fast", fast_model_path=str(static_dir.parent / "missing")))


def test_enrich_in_fast_mode_is_keyed_apart_from_full(db_path, heads_dir, static_dir):
    full = ModelSettings(models_dir=str(heads_dir), batch_size=16)
    fast = dataclasses.replace(full, mode="fast", fast_model_path=str(static_dir))
    con = warehouse.connect(db_path)
    try:
        insert_interactions(con, BASIC[:3])
        fast_models = Models.load(EnrichSettings(), fast)
        assert isinstance(fast_models.encoder, FastEncoder)
        assert fast_models.encoder.name in fast_models.version
        done = stage.run(con, EnrichSettings(commit_rows=2), models=fast_models, progress=False)
        assert "scored 3 interactions" in done
        full_models = Models.load(EnrichSettings(), full)
        done = stage.run(con, EnrichSettings(), models=full_models, progress=False)
        assert "scored 3 interactions" in done
        rows = dict(con.sql("SELECT encoder, count(*) FROM enriched.embeddings GROUP BY ALL").fetchall())
        # a2 = a3: two distinct texts, one vector each per encoder
        assert rows == {fast_models.encoder.name: 2, full_models.encoder.name: 2}
        versions = dict(con.sql("SELECT model_version, count(*) FROM enriched.interaction_scores "
                                "GROUP BY ALL").fetchall())
        assert versions == {fast_models.version: 3, full_models.version: 3}
        label = con.execute("SELECT sentiment_label FROM enriched.interaction_scores "
                            "WHERE interaction_id = 'a2' AND model_version = ?",
                            [fast_models.version]).fetchall()[0][0]
        assert label == "positive"  # the tiny fast heads read the static vectors they were built on
        # A re-run in fast mode reuses the stored fast vectors and does no model work.
        assert "nothing new" in stage.run(con, EnrichSettings(), models=fast_models, progress=False)
    finally:
        con.close()


def test_heads_of_another_distillation_are_refused(tmp_path, heads_dir, static_dir):
    other = build_tiny_static_model(tmp_path / "other", seed=1)
    with pytest.raises(ModelPathError, match="different distillation.*--mode fast"):
        Models.load(EnrichSettings(),
                    ModelSettings(models_dir=str(heads_dir), mode="fast", fast_model_path=str(other)))
    # Full-mode heads put where fast heads belong are refused too.
    build_tiny_heads(tmp_path / "wrong" / "fast", Encoder(batch_size=16))
    fast = ModelSettings(models_dir=str(tmp_path / "wrong"), mode="fast", fast_model_path=str(static_dir))
    with pytest.raises(ModelPathError, match="trained on all-MiniLM"):
        check_heads(load_encoder(fast), load_sentiment(fast), load_emotion(fast))


def test_cli_enrich_fast_flag(db_path, heads_dir, static_dir, monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.setenv("VOC_MODELS_MODE", "full")  # --fast wins over the environment
    monkeypatch.setenv("VOC_MODELS_MODELS_DIR", str(heads_dir))
    monkeypatch.setenv("VOC_MODELS_FAST_MODEL_PATH", str(static_dir))
    con = warehouse.connect(db_path)
    insert_interactions(con, BASIC[:2])
    con.close()
    assert main(["--db", str(db_path), "enrich", "--no-progress", "--fast"]) == 0
    out = capsys.readouterr().out
    assert "scored 2 interactions" in out and f"model version {PREFIX}" in out


def test_topic_model_of_the_other_mode_is_refused(fast_encoder):
    from pipelines.topics.model import TopicModel
    from pipelines.topics.stage import mode_mismatch

    full_model = TopicModel(version="t1", encoder="all-MiniLM-L6-v2@ee79b87d", seed=42, ids=[0],
                            centroids=np.zeros((1, 384), np.float32), topics=[])
    message = mode_mismatch(full_model, fast_encoder)
    assert "fitted on all-MiniLM" in message and "topics fit" in message
    assert mode_mismatch(dataclasses.replace(full_model, encoder=fast_encoder.name), fast_encoder) == ""


def test_distilled_once_into_the_cache(tmp_path, monkeypatch):
    from pipelines.models import fast

    monkeypatch.setattr(fast, "CACHE_DIR", tmp_path)
    calls = []

    def tiny_distil(encoder_path, out):  # the real one takes 1-2 minutes
        calls.append(out)
        return build_tiny_static_model(out)

    monkeypatch.setattr(fast, "distil", tiny_distil)
    custom = tmp_path / "my-encoder"  # a custom [models] encoder_path has no shipped table: distilled once
    custom.mkdir()
    settings = ModelSettings(mode="fast", encoder_path=str(custom))
    first, again = fast.fast_model_path(settings), fast.fast_model_path(settings)
    assert first == again and len(calls) == 1 and first.parent == tmp_path
    assert FastEncoder(first).name.startswith(f"{PREFIX}all-MiniLM-L6-v2@")


def test_the_shipped_table_is_the_default_and_fits_the_shipped_fast_heads(monkeypatch, tmp_path):
    from pipelines.models import fast

    monkeypatch.setattr(fast, "distil", lambda *a: pytest.fail("the packaged encoder must not be distilled"))
    monkeypatch.setattr(fast, "CACHE_DIR", tmp_path / "empty-cache")
    settings = ModelSettings(mode="fast")
    assert fast.fast_model_path(settings) == fast.SHIPPED_DIR
    encoder = load_encoder(settings)
    assert encoder.model.embedding.dtype == np.float32  # float16 on disk, means in float32
    sentiment, emotion = load_sentiment(settings), load_emotion(settings)
    check_heads(encoder, sentiment, emotion)  # raises on another table
    assert sentiment.encoder_name == emotion.encoder_name == encoder.name
    probs = sentiment.predict_proba(["thank you so much, great help", "charged twice, furious"])
    assert probs[0].argmax() == 2 and probs[1].argmax() == 0
