"""Settings travel with the run: the CLI builds one `Settings` (file, env, flags) and every stage gets it."""

from __future__ import annotations

import os

import pytest

from analytics import build as build_marts
from pipelines import cli, stages
from pipelines.config import Settings
from pipelines.enrich import stage as enrich_stage
from pipelines.topics import stage as topics_stage

FLAGGED = ("VOC_MODELS_MODE", "VOC_ENRICH_ENGINE", "VOC_ENRICH_RAY_WORKERS")


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch, tmp_path) -> dict:
    """Each stage's library function replaced by one that records what it was given."""
    calls: dict = {}
    for name in FLAGGED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("VOC_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./voc.toml

    def recorder(stage: str):
        def record(con, *args, **kwargs):
            calls[stage] = (args, kwargs, {name: os.environ.get(name) for name in FLAGGED})
            return f"{stage} recorded"
        return record

    monkeypatch.setattr(enrich_stage, "run", recorder("enrich"))
    monkeypatch.setattr(topics_stage, "assign", recorder("topics"))
    monkeypatch.setattr(build_marts, "run", recorder("build"))
    return calls


def test_run_flags_reach_every_stage_without_the_environment(seen, tmp_path, capsys) -> None:
    db = tmp_path / "voc.duckdb"
    assert cli.main(["--db", str(db), "run", "--fast", "--engine", "ray", "--ray-workers", "3"]) == 0
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == [
        "enrich", "topics", "build", "published"]
    (enrich, enrich_kw, env), (_, topics_kw, _), (build_args, _, _) = (
        seen[stage] for stage in ("enrich", "topics", "build"))
    assert (enrich[0].engine, enrich[0].ray_workers) == ("ray", 3)
    assert enrich_kw["model_settings"].mode == "fast"
    assert topics_kw["model_settings"].mode == "fast"
    assert build_args == (Settings().analytics, Settings().operations)
    assert env == dict.fromkeys(FLAGGED)  # the flags travelled in Settings, not in os.environ
    assert all(os.environ.get(name) is None for name in FLAGGED)


def test_environment_is_read_once_and_flags_win(seen, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VOC_ENRICH_RAY_WORKERS", "5")
    monkeypatch.setenv("VOC_MODELS_MODE", "full")
    assert cli.main(["--db", str(tmp_path / "voc.duckdb"), "run", "--only", "enrich", "--fast"]) == 0
    (settings,), kwargs, _ = seen["enrich"]
    assert settings.ray_workers == 5            # environment over the file's default
    assert kwargs["model_settings"].mode == "fast"  # the flag over the environment
    assert set(seen) == {"enrich"}


def test_file_then_environment(tmp_path, monkeypatch) -> None:
    config = tmp_path / "voc.toml"
    config.write_text('[enrich]\nbatch_size = 16\nthreads = 2\n[models]\nmode = "fast"\n', encoding="utf-8")
    monkeypatch.setenv("VOC_ENRICH_THREADS", "4")
    settings = Settings.load(config)
    assert (settings.enrich.batch_size, settings.enrich.threads, settings.models.mode) == (16, 4, "fast")
    assert settings.replace(enrich={"threads": None, "batch_size": 8}).enrich == (
        settings.enrich.__class__(**{**vars(settings.enrich), "batch_size": 8}))


def test_a_bug_in_a_stage_keeps_its_traceback(seen, tmp_path, monkeypatch) -> None:
    def broken(con, settings):
        raise ValueError("a bug, not a user error")

    monkeypatch.setattr(stages, "STAGES", (("enrich", broken),))
    with pytest.raises(ValueError, match="a bug"):
        cli.main(["--db", str(tmp_path / "voc.duckdb"), "run"])
