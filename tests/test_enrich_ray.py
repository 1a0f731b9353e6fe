"""The Ray engine on a local Ray instance: the same warehouse as the local engine, within float tolerance."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pandas as pd
import pytest
from test_enrich_pipeline import (  # noqa: F401 - fixtures
    BASIC,
    SETTINGS,
    CountingEncoder,
    insert_interactions,
    insert_turns,
    real_encoder,
)

from pipelines import warehouse
from pipelines.enrich import ray_engine, stage
from pipelines.enrich.scoring import Models
from pipelines.enrich.settings import EnrichSettings, load
from pipelines.models import GOEMOTIONS_LABELS, SENTIMENT_LABELS, ModelSettings, load_emotion, load_sentiment
from pipelines.models.heads import save_head
from pipelines.settings import SettingsError

RAY = dataclasses.replace(SETTINGS, engine="ray", ray_workers=2, ray_batch_size=4)
CALM = "The statement for March lists the payments in the order they were received. " * 12
ANGRY = "I am furious and angry, this is terrible and I am very disappointed with you. " * 12


@pytest.fixture(scope="module")
def model_settings(tmp_path_factory, real_encoder) -> ModelSettings:  # noqa: F811
    """Tiny heads whose rows are the label names' embeddings: no two labels tie, so the top emotion
    does not hang on float noise (the shared tiny heads give 20 labels the same weights)."""
    directory = tmp_path_factory.mktemp("ray-heads")
    sent, emo = real_encoder.encode(list(SENTIMENT_LABELS)), real_encoder.encode(list(GOEMOTIONS_LABELS))
    save_head(directory / "sentiment", [(sent * 10.0, np.zeros(3))],
              {"kind": "sentiment", "name": "ray-sentiment", "labels": list(SENTIMENT_LABELS), "encoder": real_encoder.name})
    save_head(directory / "emotion", [(emo * 10.0, np.full(28, -5.0))],
              {"kind": "emotion", "name": "ray-emotion", "labels": list(GOEMOTIONS_LABELS),
               "encoder": real_encoder.name, "thresholds": [0.5] * 28})
    return ModelSettings(models_dir=str(directory), batch_size=16)


@pytest.fixture
def models(real_encoder, model_settings) -> Models:  # noqa: F811
    return Models(CountingEncoder(real_encoder), load_sentiment(model_settings), load_emotion(model_settings),
                  model_settings)


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    args = ray_engine.local_init_args(RAY) | {"object_store_memory": 200 * 1024**2}
    ray.init(**args)
    yield ray
    ray.shutdown()


def _fill(con) -> None:
    insert_interactions(con, BASIC + [
        {"id": "c1", "text": CALM + ANGRY},  # long: several chunks
        {"id": "call1", "channel": "call", "text": "joined customer turns"},
        {"id": "mail1", "text": "Where is my refund?", "agent_text": "Thank you so much, we are happy to help"},
    ] + [{"id": f"r{i}", "text": f"my order number {i} never arrived, this is terrible"} for i in range(9)])
    insert_turns(con, "call1", [("customer", "I am furious, you charged me twice"), ("agent", "I am so sorry"),
                                ("customer", "Thank you so much, this is great")])


def _tables(con) -> dict[str, pd.DataFrame]:
    return {
        "interactions": con.execute("SELECT * EXCLUDE (scored_at) FROM enriched.interaction_scores "
                                    "ORDER BY interaction_id").fetch_df(),
        "turns": con.execute("SELECT * FROM enriched.turn_scores ORDER BY interaction_id, turn_no").fetch_df(),
        "embeddings": con.execute("SELECT * FROM enriched.embeddings ORDER BY text_hash").fetch_df(),
    }


def _same(u, v) -> bool:
    if isinstance(u, np.ndarray) or isinstance(v, np.ndarray):
        u, v = np.asarray(u), np.asarray(v)
        return u.shape == v.shape and (np.allclose(u, v, atol=1e-5) if u.dtype.kind == "f" else (u == v).all())
    if pd.isna(u) or pd.isna(v):
        return bool(pd.isna(u) and pd.isna(v))
    if isinstance(u, float):
        return abs(u - v) <= 1e-5
    return u == v


def _assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for column in a.columns:
        bad = [(u, v) for u, v in zip(a[column], b[column]) if not _same(u, v)]
        assert not bad, f"{column}: {bad[:2]}"


@pytest.mark.slow  # starts Ray actors that each load the encoder: ~30 s on two idle cores
def test_ray_engine_matches_local_engine_and_is_incremental(tmp_path, models, ray_local):  # noqa: F811
    runs, encoded_here = {}, {}
    work = tmp_path / "ray-work"
    for engine, settings in (("local", SETTINGS), ("ray", dataclasses.replace(RAY, ray_work_dir=str(work)))):
        con = warehouse.connect(tmp_path / f"{engine}.duckdb")
        _fill(con)
        runs[engine] = (con, stage.run(con, settings, models=models, progress=False))
        encoded_here[engine] = models.encoder.texts
    assert 0 < encoded_here["local"] == encoded_here["ray"]  # the Ray run's model work ran on the actors
    assert work.is_dir() and not any(work.iterdir())  # the Parquet hand-off is cleaned up
    local, ray = (_tables(runs[e][0]) for e in ("local", "ray"))
    assert "scored 19 interactions" in runs["ray"][1] and "engine ray (2 workers)" in runs["ray"][1]
    assert runs["ray"][1].split(";")[0] == runs["local"][1].split(";")[0]
    for name in local:
        _assert_same(local[name], ray[name])
    texts = models.encoder.texts
    con = runs["ray"][0]
    assert stage.run(con, RAY, models=models, progress=False).startswith("nothing new")
    # Texts already embedded are reused by the driver: no Ray job at all (and no actor start-up).
    insert_interactions(con, [{"id": "b1", "text": BASIC[0]["text"]}, {"id": "b2", "text": BASIC[1]["text"]}])
    summary = stage.run(con, RAY, models=models, progress=False)
    assert "scored 2 interactions" in summary and "encoded 0 distinct texts, reused 2" in summary
    assert models.encoder.texts == texts
    for c, _ in runs.values():
        c.close()


def test_missing_ray_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ray_engine.RayUnavailable, match=r'pip install "ray\[data\]==\d'):
        ray_engine.import_ray()


def test_engine_settings_from_env_and_validation(monkeypatch):
    monkeypatch.setenv("VOC_ENRICH_ENGINE", "ray")
    monkeypatch.setenv("VOC_ENRICH_RAY_WORKERS", "3")
    monkeypatch.setenv("VOC_ENRICH_RAY_WORK_DIR", "s3://bucket/voc-work")
    s = load()
    assert (s.engine, s.ray_workers, s.ray_work_dir) == ("ray", 3, "s3://bucket/voc-work")
    with pytest.raises(SettingsError, match="engine must be one of local, ray"):
        EnrichSettings(engine="spark")
    with pytest.raises(SettingsError, match="ray_workers"):
        EnrichSettings(ray_workers=0)


def test_cli_engine_flags_reach_the_settings(monkeypatch):
    from pipelines.cli import build_parser
    from pipelines.commands.enrich import engine_overrides

    argv = ["enrich", "--engine", "ray", "--ray-address", "auto", "--ray-workers", "2"]
    args = build_parser().parse_args(argv)
    assert engine_overrides(args) == {"engine": "ray", "ray_address": "auto", "ray_workers": 2}
    assert engine_overrides(build_parser().parse_args(["run"])) == {}
