"""Repeat-contact rules on hand-computed fixtures (docs/metrics.md 'Repeat contacts')."""

from __future__ import annotations

import pytest
from analytics_fixtures import add_customers, add_interactions

from analytics import build
from analytics.settings import AnalyticsSettings
from pipelines.warehouse import connect

END = 2000.0  # hours: the data ends here, so everything before END - 720 is judged in every window


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("repeats") / "voc.duckdb")
    add_interactions(con, [
        # window edge: exactly 7 days later is a repeat, a minute later is not
        dict(id="a1", customer="A", hours=0, reason="billing"),
        dict(id="a2", customer="A", hours=168, reason="billing"),
        dict(id="b1", customer="B", hours=0, reason="billing"),
        dict(id="b2", customer="B", hours=168 + 1 / 60, reason="billing"),
        # transfer: same channel within 15 minutes; a channel switch in 12 minutes is a repeat
        dict(id="c1", customer="C", hours=0, channel="call", reason="login"),
        dict(id="c2", customer="C", hours=0.2, channel="call", reason="login"),
        dict(id="d1", customer="D", hours=0, channel="chat", reason="login"),
        dict(id="d2", customer="D", hours=0.2, channel="call", reason="delivery"),
        # anonymous contacts are never chained
        dict(id="n1", customer=None, hours=0, reason="billing"),
        dict(id="n2", customer=None, hours=1, reason="billing"),
        # censored: younger than 7 days at the end of the data
        dict(id="e1", customer="E", hours=END - 100, reason="billing"),
        dict(id="e2", customer="E", hours=END - 90, reason="billing"),
        dict(id="z1", customer="Z", hours=END, reason="delivery"),
    ])
    add_customers(con, [dict(customer_id=c, segment="S", revenue=100.0, margin=20.0) for c in "ABCDEZ"])
    build.run(con, AnalyticsSettings())
    yield con
    con.close()


def row(con, iid):
    return con.execute(
        "SELECT is_repeat, is_transfer, in_sequence, is_provisional, has_recontact, has_same_issue_recontact, "
        "chain_id, hours_since_prev FROM marts.interactions WHERE interaction_id = ?", [iid]).fetchall()[0]


def test_window_edge_exactly_seven_days_is_a_repeat(con):
    assert row(con, "a2")[0] is True and row(con, "a2")[6] == "a1"
    assert row(con, "a1")[4] is True and row(con, "a1")[5] is True
    assert row(con, "b2")[0] is False and row(con, "b2")[6] == "b2"
    assert row(con, "b1")[4] is False


def test_transfer_on_same_channel_is_not_a_repeat(con):
    assert row(con, "c2")[1] is True and row(con, "c2")[2] is False
    assert row(con, "c1")[4] is False          # the transfer is not a recontact
    assert row(con, "d2")[1] is False and row(con, "d2")[0] is True  # other channel: a repeat
    assert row(con, "d1")[4] is True and row(con, "d1")[5] is False  # any-issue yes, same-issue no


def test_anonymous_never_chained(con):
    for iid in ("n1", "n2"):
        is_repeat, _, in_seq, _, has_re, _, chain, _ = row(con, iid)
        assert (is_repeat, in_seq, has_re, chain) == (False, False, None, None)


def test_censored_contacts_are_provisional_and_out_of_rates(con):
    assert row(con, "e1")[3] is True and row(con, "e1")[4] is None
    assert row(con, "a1")[3] is False


def test_denominators_and_rates(con):
    rates = {(r[0], r[1], r[2]): r[3:] for r in con.execute(
        "SELECT window_hours, scope, denominator_kind, numerator, denominator, provisional_excluded, fcr_proxy "
        "FROM marts.repeat_rates WHERE dimension = 'overall'").fetchall()}
    # judged sequenced contacts at 168 h: a1 a2 b1 b2 c1 d1 d2 (e1 e2 z1 provisional) = 7
    assert rates[(168, "any_issue", "judged_contacts")][:3] == (2, 7, 3)   # a1 -> a2, d1 -> d2
    assert rates[(168, "same_issue", "judged_contacts")][:2] == (1, 7)    # only a1 -> a2
    assert rates[(168, "same_issue", "judged_contacts")][3] == pytest.approx(6 / 7)
    # customers: A and D recontacted, of A B C D with a judged contact
    assert rates[(168, "any_issue", "customers")][:2] == (2, 4)
    # 24 h: a1 -> a2 is no longer a repeat, d1 -> d2 still is, and e1 e2 are now judged (e1 -> e2)
    assert rates[(24, "any_issue", "judged_contacts")][:2] == (2, 9)
    # all_contacts: repeats (a2, d2, e2) over every sequenced contact (10)
    assert rates[(168, "any_issue", "all_contacts")][:2] == (3, 10)


def test_attribution_to_trigger_reason(con):
    got = con.execute(
        "SELECT dim_value, numerator, denominator FROM marts.repeat_rates WHERE window_hours = 168 AND "
        "scope = 'any_issue' AND denominator_kind = 'judged_contacts' AND dimension = 'reason' ORDER BY 1").fetchall()
    # d1 (login) -> d2 (delivery): blamed on login, the trigger's reason
    assert got == [("billing", 1, 4), ("delivery", 0, 1), ("login", 1, 2)]


def test_channel_switch_matrix(con):
    got = con.execute(
        "SELECT from_channel, to_channel, switches, from_contacts, is_digital_to_call FROM marts.channel_switch "
        "WHERE window_hours = 168 AND reason = '(all)' ORDER BY 1, 2").fetchall()
    assert got == [("call", "call", 1, 6, False), ("chat", "call", 1, 1, True)]


def test_build_info_records_conventions(con):
    info = dict(con.execute("SELECT key, value FROM marts.build_info").fetchall())
    assert info["default_window_hours"] == "168" and info["transfer_gap_minutes"] == "15.0"
    assert info["topic_model_version"] == "t1"
