"""The multilingual route on a machine that has never run the project: an empty HOME, no caches, no hub.

multilingual-e5-small is converted from the installed packages' files into the empty HOME's cache on
first use, and a Polish and a Chinese text are scored through it (not marked not_english).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.test_fast_fresh_home import ROOT, _fresh_env
from tests.test_multilingual import PL_ANGRY, ZH_THANKS

import pytest

pytestmark = pytest.mark.slow

SCRIPT = """
import json, sys
from pipelines import warehouse
from pipelines.enrich import stage
from pipelines.enrich.settings import EnrichSettings

con = warehouse.connect(sys.argv[1])
rows = json.loads(sys.argv[2])
for i, text in enumerate(rows):
    con.execute("INSERT INTO staging.interactions (interaction_id, source_id, channel, direction, occurred_at, "
                "text, file_id) VALUES (?, ?, 'email', 'inbound', TIMESTAMP '2024-01-01', ?, 'test')",
                [f"i{i}", f"i{i}", text])
stage.run(con, EnrichSettings(), progress=False)
out = con.execute("SELECT interaction_id, language, is_scored, sentiment_label, model_version "
                  "FROM enriched.interaction_scores ORDER BY interaction_id").fetchall()
print(json.dumps(out))
"""


def test_polish_and_chinese_scored_by_e5_with_an_empty_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    texts = [PL_ANGRY, ZH_THANKS, "Thank you so much for sorting out my refund"]
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "voc.duckdb"), json.dumps(texts)],
                         cwd=tmp_path, env=_fresh_env(home), capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads(run.stdout.strip().splitlines()[-1])
    assert [(r[1], r[2]) for r in rows] == [("pl", True), ("zh", True), ("en", True)]
    assert rows[0][3] == "negative" and rows[1][3] == "positive"
    assert "ml:multilingual-e5-small@" in rows[0][4]
    converted = list((home / ".cache" / "voc" / "e5").glob("multilingual-e5-small-*/model.safetensors"))
    assert len(converted) == 1  # converted into the empty HOME, from the installed packages only
