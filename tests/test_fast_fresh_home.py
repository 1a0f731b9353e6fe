"""`run --fast` on a machine that has never run the project: an empty HOME, no caches, no hub.

The shipped static table (models/fast/static) must be what the shipped fast heads were trained on,
so nothing is distilled on first use and the run neither stops nor reaches the network.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _fresh_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("XDG_CACHE_HOME", "HF_HOME", "VOC_FAST_MODEL_CACHE", "VOC_EMBEDDING_CACHE")
           and not k.startswith("VOC_")}
    env.update(HOME=str(home), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(ROOT))
    return env


def test_run_fast_with_an_empty_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = tmp_path / "voc.duckdb"
    env = _fresh_env(home)
    cli = [sys.executable, "-m", "pipelines", "--db", str(db)]
    demo = subprocess.run([*cli, "demo", "--out", str(tmp_path / "demo"), "--customers", "30", "--days", "5",
                           "--no-stages"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stderr[-2000:]
    run = subprocess.run([*cli, "run", "--fast"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "different distillation" not in run.stderr and "distilling" not in run.stderr
    assert "published:" in run.stdout
    con = duckdb.connect(str(db), read_only=True)
    scored, versions = con.execute(
        "SELECT count(*) FILTER (WHERE is_scored), list(DISTINCT model_version) FROM enriched.interaction_scores"
    ).fetchone()
    con.close()
    assert scored > 0
    assert all(v.startswith("m2v-all-MiniLM-L6-v2@") for v in versions)
    assert not (home / ".cache" / "voc" / "model2vec").exists()  # nothing distilled
