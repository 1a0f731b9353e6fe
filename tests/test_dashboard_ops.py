"""The Agents and quality and Operations pages show the operations marts' own figures, and the
evidence of a QA item is marked in the transcript as plain text."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard import ops_charts

sys.path.insert(0, str(Path(__file__).parent))
import dashboard_fixture  # noqa: E402


def test_evidence_words_are_marked_as_text():
    turns = pd.DataFrame({"turn_no": [1, 2], "speaker": ["agent", "customer"], "begin_s": [0.0, 3.0],
                          "text": ["Thank you for calling <b>Acme</b>", "hi"]})
    evidence = pd.DataFrame({"label": ["Greets", "No blame"], "kind": ["required", "forbidden"],
                             "result": ["pass", "pass"], "evidence_turn_no": [1, None],
                             "evidence_words": ["thank you for calling", None]})
    out = ops_charts.transcript_with_evidence(turns, evidence)
    assert out.loc[0, "text"] == "[[Thank you for calling]] <b>Acme</b>"  # the customer's markup stays text
    assert out.loc[0, "evidence"] == "pass: Greets" and out.loc[1, "evidence"] == ""
    assert ops_charts.highlighted("abc", 'similar to "x" (0.9)') == "abc"


def test_agents_page_shows_the_scorecard_mart(app: AppTest, warehouse: Path) -> None:
    at = dashboard_fixture.open_page(app, "dashboard/pages/agents.py")
    assert at.title[0].value == "Agents and quality"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        agents = con.execute("SELECT count(DISTINCT agent_id) FROM marts.agent_scorecard").fetchone()[0]
        # lowest QA score first; among equal scores the worst sentiment turnaround
        worst = con.execute("SELECT q.interaction_id FROM marts.qa_results q JOIN marts.interactions i "
                            "USING (interaction_id) GROUP BY q.interaction_id ORDER BY any_value(q.score) NULLS LAST, "
                            "any_value(i.sentiment_end - i.sentiment_start) NULLS LAST, q.interaction_id "
                            "LIMIT 1").fetchone()[0]
        turns = con.execute("SELECT count(*) FROM marts.turns WHERE interaction_id = ?", [worst]).fetchone()[0]
    frames = [df.value for df in at.dataframe]
    cards = next(v for v in frames if "qa_score" in v.columns and "agent_id" in v.columns)
    assert len(cards) == agents
    assert at.selectbox(key="ag_contact").value == worst  # the lowest score is offered first
    transcript = next(v for v in frames if "evidence" in v.columns)
    assert len(transcript) == turns
    assert not at.get("plotly_chart")  # the charts are on demand (ui.on_demand): opened, they draw
    for key in ("ag_more", "ag_failed_more"):
        at.session_state[key] = True
    try:
        at.run()
        assert not at.exception
        assert len(at.get("plotly_chart")) >= 2
    finally:
        for key in ("ag_more", "ag_failed_more"):
            at.session_state[key] = False
        at.run()


def test_operations_page_shows_attainment_and_staffing(app: AppTest, warehouse: Path) -> None:
    at = dashboard_fixture.open_page(app, "dashboard/pages/operations.py")
    assert at.title[0].value == "Operations"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM marts.sla_attainment WHERE dimension = 'channel'").fetchone()[0]
    frames = [df.value for df in at.dataframe]
    sla = next(v for v in frames if "attainment" in v.columns)
    assert len(sla) == n
    assert at.selectbox(key="op_channel").value is not None
    assert len(at.get("plotly_chart")) >= 3
