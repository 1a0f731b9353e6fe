"""Conversation metrics and service levels (docs/marts.md "Operations") on hand-computed fixtures."""

from __future__ import annotations

import pandas as pd
import pytest
from analytics_fixtures import add_customers, add_interactions

from analytics import build, operations
from pipelines.settings import SettingsError
from pipelines.warehouse import connect

# (speaker, begin_s, end_s, text): a 30 s call with a 3 s silence, a 1 s pause, a customer
# interruption (2 s over the agent), an agent backchannel ("mhm") and 3 s of silence at the end
CALL = [
    ("agent", 0.0, 4.0, "Hello, thank you for calling"),
    ("customer", 4.5, 10.0, "I have a problem with my bill please"),
    ("agent", 13.0, 20.0, "let me check that for you now"),
    ("customer", 18.0, 22.0, "no wait that is not what I said"),
    ("agent", 20.5, 21.0, "mhm"),
    ("agent", 23.0, 27.0, "is there anything else I can help with"),
]
# a chat: messages are points in time (begin = end); no join event, so greeting counts from the start
CHAT = [
    ("system", 1.0, 1.0, "You are in the queue"),
    ("agent", 5.0, 5.0, "Hi, I'm Ann"),
    ("customer", 10.0, 10.0, "my parcel is late"),
    ("customer", 12.0, 12.0, "order 123"),
    ("agent", 20.0, 20.0, "let me look"),
    ("customer", 30.0, 30.0, "thanks"),
    ("agent", 33.0, 33.0, "it arrives tomorrow"),
]


def _rows() -> list[dict]:
    return [
        dict(id="c1", customer="A", hours=0, channel="call", duration=30.0, agent="ag1"),
        dict(id="h1", customer="B", hours=1, channel="chat", agent="ag2"),
        # an email on Monday 1 January 2024 09:00 UTC (a US public holiday), answered Tuesday 11:00
        dict(id="e1", customer="C", hours=0, channel="email", thread="te1"),
        dict(id="e1r", customer="C", hours=26, channel="email", thread="te1", direction="outbound",
             text=None, agent_text="Sorry about that", reason=None),
        # an email never answered: unanswered once its 24 h target passed
        dict(id="e2", customer="D", hours=2, channel="email", thread="te2"),
        # a repeated issue (call back, but after the unanswered customer)
        dict(id="r1", customer="R", hours=100, reason="delivery", sentiment=-0.9),
        dict(id="r2", customer="R", hours=110, reason="delivery", sentiment=-0.9),
        dict(id="z1", customer="Z", hours=2000, reason="other thing"),
    ]


def _add_turns(con, interaction_id: str, turns: list[tuple]) -> None:
    columns = ["interaction_id", "turn_no", "speaker", "begin_s", "end_s", "text", "file_id"]
    frame = pd.DataFrame([(interaction_id, no, *t, "f") for no, t in enumerate(turns, 1)], columns=columns)
    con.register("_t", frame)
    con.execute("INSERT INTO staging.turns "
                "SELECT interaction_id, turn_no, speaker, text, begin_s, end_s, file_id FROM _t")
    con.unregister("_t")


def _build(path, monkeypatch, **env: str):
    for key, value in env.items():
        monkeypatch.setenv(f"VOC_OPERATIONS_{key.upper()}", value)
    con = connect(path)
    add_interactions(con, _rows())
    add_customers(con, [dict(customer_id=c, segment="S", margin=10.0, clv=100.0) for c in "ABCDRZ"])
    _add_turns(con, "c1", CALL)
    _add_turns(con, "h1", CHAT)
    build.run(con)
    return con


@pytest.fixture()
def con(tmp_path, monkeypatch):
    con = _build(tmp_path / "voc.duckdb", monkeypatch, holidays_country="US")
    yield con
    con.close()


def metrics(con, interaction_id: str) -> dict:
    frame = con.execute("SELECT * FROM marts.conversation_metrics WHERE interaction_id = ?",
                        [interaction_id]).df()
    return frame.iloc[0].to_dict()


def test_call_talk_silence_and_interruptions(con):
    m = metrics(con, "c1")
    assert m["talk_time_agent_s"] == pytest.approx(15.5)       # 4 + 7 + 0.5 + 4
    assert m["talk_time_customer_s"] == pytest.approx(9.5)     # 5.5 + 4
    # 3 s inside + 3 s at the end; the 0.5 s and 1 s pauses are under the 2 s gap
    assert m["non_talk_time_s"] == pytest.approx(6.0)
    assert m["longest_silence_s"] == pytest.approx(3.0)
    assert (m["interruptions_customer"], m["interruptions_agent"]) == (1, 0)  # "mhm" is a backchannel
    assert (m["turns_agent"], m["turns_customer"]) == (4, 2)
    assert m["talk_ratio_agent"] == pytest.approx(15.5 / 25)
    assert pd.isna(m["agent_greeting_s"]) and pd.isna(m["vendor_non_talk_time_s"])  # no vendor figures here


def test_silence_gap_is_a_setting(tmp_path, monkeypatch):
    con = _build(tmp_path / "gap.duckdb", monkeypatch, silence_gap_s="0.5")
    m = metrics(con, "c1")
    assert m["non_talk_time_s"] == pytest.approx(0.5 + 3 + 1 + 3)
    con.close()


def test_chat_greeting_and_response_times(con):
    m = metrics(con, "h1")
    assert m["agent_greeting_s"] == pytest.approx(5.0) and not m["greeting_from_join"]
    assert m["agent_response_avg_s"] == pytest.approx((8 + 3) / 2)  # from the customer's last message
    assert m["agent_response_max_s"] == pytest.approx(8.0)
    assert pd.isna(m["talk_time_agent_s"]) and pd.isna(m["non_talk_time_s"])  # chats have no talk time


def response(con, interaction_id: str) -> dict:
    return con.execute("SELECT * FROM marts.response_times WHERE interaction_id = ?",
                       [interaction_id]).df().iloc[0].to_dict()


def test_first_response_elapsed_and_business_time(con):
    e1 = response(con, "e1")
    assert e1["first_response_s"] == pytest.approx(26 * 3600)
    # Monday 1 January is a US holiday: business time counts Tuesday 09:00-11:00 only
    assert e1["first_response_business_s"] == pytest.approx(2 * 3600)
    assert e1["answered"] and not e1["sla_met"] and e1["sla_target_s"] == 24 * 3600
    call, chat = response(con, "c1"), response(con, "h1")
    assert (call["first_response_s"], call["sla_met"], call["sla_target_s"]) == (0.0, True, 20.0)
    assert (chat["first_response_s"], chat["sla_met"], chat["sla_target_s"]) == (5.0, True, 60.0)


def test_without_holidays_monday_counts(tmp_path, monkeypatch):
    con = _build(tmp_path / "nohol.duckdb", monkeypatch, sla_business_time="true")
    e1 = response(con, "e1")
    assert e1["first_response_business_s"] == pytest.approx(8 * 3600 + 2 * 3600)
    assert e1["sla_met"] and e1["sla_in_business_time"]  # 10 business hours < 24
    con.close()


def test_unanswered_contacts_are_called_back_first(con):
    e2 = response(con, "e2")
    assert e2["answered"] is False and e2["sla_met"] is False and pd.isna(e2["first_response_s"])
    top = con.execute("SELECT customer_id, callback_reason FROM marts.callback_list ORDER BY rank").fetchall()
    # the never-answered email and the one answered after its target come first, then the repeat
    assert set(top[:2]) == {("D", "unanswered"), ("C", "unanswered")}
    assert top[2] == ("R", "repeated")
    # one definition of "answered in time": the callback list's is_answered is the email/social SLA
    differ = con.execute("""SELECT count(*) FROM marts.response_times r JOIN marts.interactions i
                             USING (interaction_id) WHERE r.channel IN ('email', 'social')
                             AND r.sla_met IS DISTINCT FROM i.is_answered""").fetchall()[0][0]
    assert differ == 0


def test_sla_attainment_by_channel(con):
    rows = dict(con.execute("SELECT dim_value, attainment FROM marts.sla_attainment "
                            "WHERE dimension = 'channel'").fetchall())
    assert rows["email"] == 0.0       # e1 late, e2 never answered
    assert rows["chat"] == 1.0
    # c1 greeted at 0 s; r1, r2, z1 have no agent side in the export: unknown, not judged
    assert rows["call"] == 1.0
    call = con.execute("SELECT contacts, judged, unknown_or_pending FROM marts.sla_attainment "
                       "WHERE dimension = 'channel' AND dim_value = 'call'").fetchall()[0]
    assert call == (4, 1, 3)
    weeks = con.execute("SELECT count(*) FROM marts.sla_attainment WHERE dimension = 'week'").fetchall()[0][0]
    assert weeks >= 2


def test_calendar_follows_the_time_zone_and_rejects_bad_settings():
    import datetime as dt
    s = operations.OperationsSettings(timezone="America/New_York")
    cal = operations.calendar_frame(s, dt.date(2024, 3, 8), dt.date(2024, 3, 11))  # DST starts 10 March
    assert [str(t) for t in cal["open_at"]] == ["2024-03-08 14:00:00", "2024-03-11 13:00:00"]
    assert cal["cum_before_s"].tolist() == [0.0, 8 * 3600.0]
    with pytest.raises(SettingsError, match="timezone"):
        operations.OperationsSettings(timezone="Mars/Base")
    with pytest.raises(SettingsError, match="close_time"):
        operations.OperationsSettings(open_time="18:00", close_time="09:00")
    with pytest.raises(SettingsError, match="holidays_country"):
        operations.OperationsSettings(holidays_country="XX")


def test_staffing_forecast_and_volume_profile_build(con):
    profile = con.execute("SELECT sum(contacts) FROM marts.volume_profile").fetchall()[0][0]
    assert profile == con.execute("SELECT count(*) FROM marts.interactions").fetchall()[0][0]
    rows = con.execute("SELECT channel, count(*), min(agents_needed), max(method) FROM marts.staffing_forecast "
                       "GROUP BY channel ORDER BY channel").fetchall()
    assert rows and all(n == 2 * 168 and low >= 0 for _, n, low, _ in rows)  # forecast_weeks = 2


def test_self_service_hours_saved(con):
    weeks = con.execute("SELECT greatest((epoch(max(occurred_at)) - epoch(min(occurred_at))) / (7 * 86400.0), 1) "
                        "FROM marts.interactions").fetchall()[0][0]
    handle = dict(con.execute("SELECT reason, sum(handle_time_s) FROM marts.interactions GROUP BY 1").fetchall())
    rows = con.execute("SELECT reason, hours_saved_per_week FROM marts.self_service_candidates").fetchall()
    assert rows
    for reason, saved in rows:
        assert saved == pytest.approx(0.3 * handle[reason] / weeks / 3600)  # deflection_share 0.3
