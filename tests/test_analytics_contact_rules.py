"""What counts as a contact and the repeat rules of docs/metrics.md, on hand-computed fixtures."""

from __future__ import annotations

import dataclasses

import pytest
from analytics_fixtures import add_customers, add_interactions

from analytics import build
from analytics.settings import AnalyticsSettings
from pipelines.warehouse import connect

END = 2000.0
MIN = 1 / 60


def _rows() -> list[dict]:
    return [
        # a social thread: customer post, brand reply 30 min later, a retweet, brand outreach
        dict(id="s1", customer="S", hours=0, channel="social", thread="t1", reason="delivery"),
        dict(id="s1r", customer="S", hours=0.5, channel="social", thread="t1", direction="outbound",
             text=None, agent_text="@S sorry, DM us", reason=None),
        dict(id="s2", customer="S", hours=3, channel="social", thread="t2", text="RT @brand: new plans",
             reason=None),
        dict(id="o1", customer="S", hours=4, channel="social", thread="t3", direction="outbound",
             text=None, agent_text="Our new plans are out", reason=None),
        # sibling sub-reasons of one parent: the same issue at the default (parent) level
        dict(id="p1", customer="P", hours=0, reason="double charge", parent="billing"),
        dict(id="p2", customer="P", hours=24, reason="refund request", parent="billing"),
        # two "Other" contacts: never the same issue as each other
        dict(id="q1", customer="Q", hours=0, reason="Other", other=True),
        dict(id="q2", customer="Q", hours=24, reason="Other", other=True),
        # two contacts of one mixed topic (its texts share no phrase): no known issue either
        dict(id="m1", customer="M", hours=0, reason="Mixed reasons / god", parent="Mixed reasons"),
        dict(id="m2", customer="M", hours=24, reason="Mixed reasons / god", parent="Mixed reasons"),
        # a burst of four posts 10 min apart: 0 and 20 min start contacts, 10 and 30 are transfers
        *[dict(id=f"b{i}", customer="B", hours=i * 10 * MIN, channel="chat", reason="login") for i in range(4)],
        # email, then chat, then call within the window: the email ends on the phone
        dict(id="w1", customer="W", hours=0, channel="email", reason="login", thread="tw"),
        dict(id="w2", customer="W", hours=5, channel="chat", reason="login"),
        dict(id="w3", customer="W", hours=10, channel="call", reason="login"),
        # repeats blamed on the trigger: billing then delivery then delivery
        dict(id="r1", customer="R", hours=100, reason="billing"),
        dict(id="r2", customer="R", hours=110, reason="delivery"),
        dict(id="r3", customer="R", hours=120, reason="delivery"),
        dict(id="z1", customer="Z", hours=END, reason="delivery"),
    ]


def _build(tmp_path, settings: AnalyticsSettings):
    con = connect(tmp_path / "voc.duckdb")
    add_interactions(con, _rows())
    add_customers(con, [dict(customer_id=c, segment="S", margin=10.0) for c in "SPQMBWRZ"])
    build.run(con, settings)
    return con


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = _build(tmp_path_factory.mktemp("rules"), AnalyticsSettings())
    yield con
    con.close()


def one(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def test_contacts_are_what_customers_send(con):
    ids = {r[0] for r in one(con, "SELECT interaction_id FROM marts.interactions")}
    assert not ids & {"s1r", "s2", "o1"}  # brand reply, retweet, brand outreach
    assert len(ids) == len(_rows()) - 3
    assert one(con, "SELECT sum(contacts) FROM marts.daily_volume")[0][0] == len(ids)
    assert one(con, "SELECT sum(volume) FROM marts.reason_pareto")[0][0] == len(ids)
    value = dict(one(con, "SELECT metric, value FROM marts.executive_summary"))
    assert value["contact_volume"] == one(con, "SELECT count(*) FROM marts.interactions "
                                                "WHERE occurred_at > TIMESTAMP '2024-01-01 09:00' + "
                                                "INTERVAL 2000 HOUR - INTERVAL 28 DAY")[0][0]


def test_agent_turns_attach_to_their_thread(con):
    reply = one(con, "SELECT replies_to_interaction_id, seconds_after_contact, is_outreach FROM "
                     "marts.thread_messages WHERE interaction_id = 's1r'")[0]
    assert reply == ("s1", 1800.0, False)
    assert one(con, "SELECT is_outreach, is_contact FROM marts.thread_messages WHERE interaction_id = 'o1'")[0] \
        == (True, False)
    assert one(con, "SELECT is_repost, is_contact FROM marts.thread_messages WHERE interaction_id = 's2'")[0] \
        == (True, False)
    # the post got its reply within the 1 h social target; the email never got one
    assert one(con, "SELECT first_response_s, is_answered FROM marts.interactions WHERE interaction_id = 's1'")[0] \
        == (1800.0, True)
    assert one(con, "SELECT first_response_s, is_answered FROM marts.interactions WHERE interaction_id = 'w1'")[0] \
        == (None, False)
    kinds = dict(one(con, "SELECT kind, sum(messages) FROM marts.outbound_volume GROUP BY kind"))
    assert kinds == {"reply": 1, "outreach": 1}


def test_same_issue_is_the_parent_reason_and_other_never_matches(con):
    assert one(con, "SELECT is_same_issue_repeat, issue_key FROM marts.interactions WHERE interaction_id = 'p2'")[0] \
        == (True, "billing")
    q2 = one(con, "SELECT is_repeat, is_same_issue_repeat, issue_key FROM marts.interactions "
                  "WHERE interaction_id = 'q2'")[0]
    assert q2 == (True, False, None)  # a repeat about anything, never "the same issue"
    assert one(con, "SELECT has_same_issue_recontact FROM marts.interactions WHERE interaction_id = 'q1'")[0][0] \
        is False
    m2 = one(con, "SELECT is_repeat, is_same_issue_repeat, issue_key FROM marts.interactions "
                  "WHERE interaction_id = 'm2'")[0]
    assert m2 == (True, False, None)
    action = one(con, "SELECT action FROM marts.value_irritant WHERE reason = 'Mixed reasons / god'")[0][0]
    assert action == "Review: no reason found"  # never "Automate" a reason nobody can name


def test_sub_reason_level_is_a_setting(tmp_path):
    con = _build(tmp_path, dataclasses.replace(AnalyticsSettings(), same_issue_level="reason"))
    try:
        assert one(con, "SELECT is_same_issue_repeat FROM marts.interactions WHERE interaction_id = 'p2'")[0][0] \
            is False
    finally:
        con.close()


def test_a_transfer_is_judged_by_its_gap_to_the_contact_it_joins(con):
    got = one(con, "SELECT interaction_id, is_transfer, merged_into_interaction_id, in_sequence, is_repeat "
                   "FROM marts.interactions WHERE customer_id = 'B' ORDER BY occurred_at")
    assert got == [
        ("b0", False, None, True, False),
        ("b1", True, "b0", False, False),   # 10 min after b0
        ("b2", False, None, True, True),    # 20 min after b0: past the 15-min gap, a repeat
        ("b3", True, "b2", False, False),   # 10 min after b2
    ]


def test_channel_switch_counts_a_call_anywhere_in_the_window(con):
    got = one(con, "SELECT switches, from_contacts, share FROM marts.channel_switch WHERE window_hours = 168 "
                   "AND reason = '(all)' AND from_channel = 'email' AND to_channel = 'call'")
    assert got == [(1, 1, 1.0)]  # email -> chat -> call: the email ends on the phone


def test_repeats_are_blamed_on_the_trigger(con):
    got = dict(one(con, "SELECT reason, sum(repeats) FROM marts.daily_volume "
                        "WHERE day = DATE '2024-01-05' GROUP BY reason"))
    # r1 (billing, day 5) triggered r2 and r3 (delivery): both repeats land on billing
    assert got == {"billing": 2, "delivery": 0}
    top = one(con, "SELECT repeat_trigger_reason FROM marts.customer_value WHERE customer_id = 'R'")[0][0]
    assert top == "billing"


def test_customers_denominator_as_documented(con):
    got = one(con, "SELECT numerator, denominator, denominator_definition FROM marts.repeat_rates "
                   "WHERE window_hours = 168 AND scope = 'any_issue' AND denominator_kind = 'customers_multi'")
    # P, Q, M, B, W, R have more than one contact within 7 days; S and Z one each
    assert got[0][:2] == (6, 8) and "more than one contact" in got[0][2]
