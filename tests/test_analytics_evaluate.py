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
