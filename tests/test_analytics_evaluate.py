"""The evaluation's link from staging ids back to the demo generator's contacts."""

import uuid

from analytics.evaluate import _CALL_NS, contact_index, verdict


def test_contact_index_follows_the_demo_writers_ids():
    calls = {str(uuid.uuid5(_CALL_NS, "CALL-0000005")): 4}
    assert contact_index(str(uuid.uuid5(_CALL_NS, "CALL-0000005")), None, calls) == 4
    assert contact_index("CHAT-0000220", None, calls) == 219
    # an outbound e-mail reply: its own id is the company's, the thread root carries the serial
    assert contact_index("m0000262.r@northwind-connect.example", "m0000262.c@example.net", calls) == 261
    assert contact_index("1001", "1001", calls) is None          # social: no generator id
    assert verdict(True) == "PASS" and verdict(False) == "FAIL"


def test_email_index_links_hashed_message_ids_to_demo_contacts(tmp_path):
    from analytics.evaluate import email_index
    from pipelines.ingest.keys import keyed_hash

    mbox = tmp_path / "inbox.mbox"
    mbox.write_bytes(b"From x Mon May  5 09:30:00 2025\nMessage-ID: <m0000262.c@example.net>\n\nhi\n\n"
                     b"From x Mon May  5 10:30:00 2025\nMessage-ID: <m0000262.r@northwind-connect.example>\n\nok\n")
    index = email_index(mbox)
    assert index == {keyed_hash("m0000262.c@example.net", "message-id"): 261,
                     keyed_hash("m0000262.r@northwind-connect.example", "message-id"): 261}
    assert contact_index(keyed_hash("m0000262.r@northwind-connect.example", "message-id"), None, index) == 261


def test_call_namespace_matches_the_demo_writers():
    from pipelines.demo import writers

    assert _CALL_NS == writers.CALL_NAMESPACE


def test_risk_by_planted_reason_is_the_marts_sql_with_topics_merged(tmp_path):
    """Each topic mapped to itself gives marts.revenue_at_risk's reason rows; two topics mapped to one
    planted reason count their exposed customers once (the union), not once per topic."""
    import sys
    from pathlib import Path

    import duckdb
    import pandas as pd

    from analytics.evaluate import _risk_by_planted

    sys.path.insert(0, str(Path(__file__).parent))
    import dashboard_fixture

    db = dashboard_fixture.build(tmp_path / "voc.duckdb")
    with duckdb.connect(str(db), read_only=True) as con:
        built = con.execute("SELECT key, revenue_at_risk, exposed_customers FROM marts.revenue_at_risk "
                            "WHERE scope = 'reason'").df().set_index("key").sort_index()
        topics = [r[0] for r in con.execute("SELECT DISTINCT reason FROM marts.interactions").fetchall()]
        same = _risk_by_planted(con, pd.DataFrame({"planted": topics}, index=topics))
        a, b = built["exposed_customers"].nlargest(2).index
        merged = _risk_by_planted(con, pd.DataFrame({"planted": ["ab" if t in (a, b) else t for t in topics]},
                                                    index=topics))
        union = con.execute(
            "SELECT count(DISTINCT customer_id) FROM marts.interactions AS i "
            "JOIN marts.customer_value USING (customer_id) WHERE in_sequence AND ("
            "(reason IN (?, ?) AND (is_negative OR coalesce(has_same_issue_recontact, false))) OR "
            "(is_same_issue_repeat AND prev_same_reason IN (?, ?)))", [a, b, a, b]).fetchone()[0]
    pd.testing.assert_frame_equal(same[["revenue_at_risk", "exposed_customers"]].sort_index(), built,
                                  check_names=False)
    assert merged.loc["ab", "exposed_customers"] == union
    assert union < built.loc[a, "exposed_customers"] + built.loc[b, "exposed_customers"]
