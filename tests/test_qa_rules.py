"""QA scorecards (docs/qa.example.yaml, docs/metrics.md "QA scorecards"): each rule kind, scopes,
evidence and the score, on hand-made agent turns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analytics_fixtures import add_interactions

from analytics import build, qa
from pipelines.warehouse import connect

TURNS = {
    # a call: greeting, recording disclosure, account before verification, a promise, card digits
    "c1": [("agent", 0, 5, "Thank you for calling Acme, this call is recorded for quality"),
           ("customer", 6, 9, "my card was charged twice"),
           ("agent", 10, 14, "I can see your account has two charges"),
           ("agent", 15, 18, "Can you confirm your date of birth?"),
           ("agent", 19, 25, "I guarantee the refund arrives tomorrow, card number is 4111 1111 1111 1111"),
           ("agent", 100, 104, "Is there anything else I can help you with today?")],
    # a chat: verification first, no disclosure needed (calls only), no closing offer
    "h1": [("agent", 1, 1, "Hi there"),
           ("agent", 2, 2, "Please confirm your date of birth first"),
           ("agent", 30, 30, "Thanks, your account is now unlocked")],
    # a call whose greeting only comes after the first 30 s: the greeting item fails
    "c2": [("customer", 0, 20, "hello? anybody there?"),
           ("agent", 40, 45, "Hello, sorry for the wait")],
}
RULES = """
items:
  - {id: greeting, kind: required, weight: 10, first_s: 30, phrases: ["thank you for calling", "hi", "hello"]}
  - {id: disclosure, kind: required, weight: 10, channels: [call], regex: ['call (is|may be) recorded']}
  - {id: account, kind: marker, phrases: ["your account"]}
  - {id: verify, kind: required, weight: 20, before: account, phrases: ["date of birth"]}
  - {id: no_promises, kind: forbidden, weight: 10, phrases: ["i guarantee", "i promise"]}
  - {id: no_card, kind: forbidden, weight: 10, regex: ['\\b(?:\\d[ -]?){13,19}\\b']}
  - {id: further_help, kind: required, weight: 10, last_s: 60, reasons: [billing],
     examples: ["Anything else I can do for you?"], threshold: 0.6}
"""


def _turns(con) -> None:
    rows = [(i, n, *t, "f") for i, turns in TURNS.items() for n, t in enumerate(turns, 1)]
    frame = pd.DataFrame(rows, columns=["interaction_id", "turn_no", "speaker", "begin_s", "end_s", "text", "f"])
    con.register("_t", frame)
    con.execute("INSERT INTO staging.turns SELECT interaction_id, turn_no, speaker, text, begin_s, end_s, f FROM _t")
    con.unregister("_t")


class Words:
    """A stand-in encoder for the similarity test: bag of words over a small vocabulary."""

    name = "test-words"
    vocab = ("anything", "else", "help", "do", "for", "you", "can", "i", "today", "with")

    def encode(self, texts):
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            words = text.lower().replace("?", "").split()
            for col, word in enumerate(self.vocab):
                out[row, col] = words.count(word)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("qa")
    con = connect(path / "voc.duckdb")
    add_interactions(con, [dict(id="c1", customer="A", hours=0, channel="call", agent="ann", reason="billing"),
                           dict(id="h1", customer="B", hours=1, channel="chat", agent="bob", reason="login"),
                           dict(id="c2", customer="C", hours=2, channel="call", agent="ann", reason="billing")])
    _turns(con)
    # c1's agent turns scored: one caring, one remorseful (empathy), three neutral
    con.execute("""INSERT INTO enriched.turn_scores (interaction_id, turn_no, model_version, speaker, is_scored,
                       top_emotion)
                   SELECT 'c1', n, 'm1', CASE WHEN n = 2 THEN 'customer' ELSE 'agent' END, true,
                          CASE n WHEN 1 THEN 'caring' WHEN 5 THEN 'remorse' ELSE 'neutral' END
                   FROM range(1, 7) t(n)""")
    build.run(con)
    encoder = Words()
    texts = [t[3] for turns in TURNS.values() for t in turns]
    frame = pd.DataFrame({"t": texts, "v": list(encoder.encode(texts))})
    con.register("_e", frame)
    con.execute("INSERT INTO enriched.embeddings SELECT DISTINCT ON (md5(t)) md5(t), ?, CAST(v AS FLOAT[384]) "
                "FROM _e", [encoder.name])
    con.unregister("_e")
    rules = path / "qa.yaml"
    rules.write_text(RULES, encoding="utf-8")
    qa.score(con, qa.load_rules(rules), encoder)
    yield con
    con.close()


def result(con, interaction_id: str, item: str) -> tuple:
    return con.execute("SELECT result, evidence_turn_no, evidence_words FROM marts.qa_results "
                       "WHERE interaction_id = ? AND item_id = ?", [interaction_id, item]).fetchall()[0]


def test_required_phrase_with_a_time_window(con):
    assert result(con, "c1", "greeting") == ("pass", 1, "Thank you for calling")
    assert result(con, "c2", "greeting")[0] == "fail"  # "Hello" at 40 s, after the first 30 s


def test_regex_scoped_to_a_channel(con):
    assert result(con, "c1", "disclosure") == ("pass", 1, "call is recorded")
    assert result(con, "h1", "disclosure") == ("n/a", None, None)  # calls only
    assert result(con, "c2", "disclosure")[0] == "fail"


def test_required_before_a_marker(con):
    # c1 spoke of the account (turn 3) before verifying (turn 4): fail, evidence = the account turn
    assert result(con, "c1", "verify") == ("fail", 3, "your account")
    assert result(con, "h1", "verify") == ("pass", 2, "date of birth")
    assert result(con, "c2", "verify")[0] == "n/a"  # no account details: nothing to verify before
    assert result(con, "c1", "account")[0] == "n/a"  # markers are not scored


def test_forbidden_phrases_and_card_numbers_with_evidence(con):
    assert result(con, "c1", "no_promises") == ("fail", 5, "I guarantee")
    assert result(con, "c1", "no_card") == ("fail", 5, "4111 1111 1111 1111")
    assert result(con, "h1", "no_promises") == ("pass", None, None)
    text = con.execute("SELECT evidence_text FROM marts.qa_results WHERE interaction_id = 'c1' "
                       "AND item_id = 'no_card'").fetchall()[0][0]
    assert text.startswith("I guarantee the refund")


def test_similarity_to_examples_scoped_to_a_reason_and_the_last_seconds(con):
    status, turn, words = result(con, "c1", "further_help")
    assert (status, turn) == ("pass", 6) and words.startswith('similar to "Anything else I can do for you?"')
    assert result(con, "h1", "further_help")[0] == "n/a"  # reason login, the item is for billing
    assert result(con, "c2", "further_help")[0] == "fail"


def test_score_is_passed_weight_over_applicable_weight(con):
    scores = dict(con.execute("SELECT interaction_id, any_value(score) FROM marts.qa_results GROUP BY 1").fetchall())
    # c1: greeting 10 + disclosure 10 + help 10 pass; verify 20, promises 10, card 10 fail -> 30/70
    assert scores["c1"] == pytest.approx(100 * 30 / 70)
    # h1: greeting, verify, promises, card pass; disclosure and help n/a -> 50/50
    assert scores["h1"] == pytest.approx(100.0)


def test_agent_scorecard_from_the_build(con):
    build.build_sql_mart(con, "agent_scorecard", build.sql_parameters(con, build.load()))
    ann = con.execute("SELECT sum(contacts), avg(qa_score) FROM marts.agent_scorecard WHERE agent_id = 'ann'"
                      ).fetchall()[0]
    assert ann[0] == 2 and ann[1] is not None
    empathy = con.execute("SELECT sum(empathy_share) FROM marts.agent_scorecard WHERE agent_id = 'ann'"
                          ).fetchall()[0][0]
    assert empathy == pytest.approx(2 / 5)  # c2's turns are unscored: not counted


@pytest.mark.parametrize("text, message", [
    ("items: []", "non-empty 'items:'"),
    ("items: [{id: a, kind: must, weight: 1, phrases: [x]}]", "kind 'must'"),
    ("items: [{id: a, kind: required, phrases: [x]}]", "weight > 0"),
    ("items: [{id: a, kind: required, weight: 1}]", "phrases, regex or examples"),
    ("items: [{id: a, kind: required, weight: 1, regex: ['(']}]", "not valid RE2"),
    ("items: [{id: a, kind: required, weight: 1, phrases: [x], before: b}]", "names no item"),
    ("items: [{id: a, kind: required, weight: 1, phrases: [x], colour: red}]", "unknown key"),
])
def test_bad_rules_name_the_file_and_item(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(qa.QARulesError, match=message) as info:
        qa.load_rules(path)
    assert str(path) in str(info.value)


def test_the_shipped_example_loads():
    items = qa.load_rules(qa.DEFAULT_RULES)
    assert {i.kind for i in items} == {"required", "forbidden", "marker"}
