"""Our conversation metrics against the vendor's own figures on the real Amazon exports in
../shared/datasets/real_exports/transcripts (Transcribe Call Analytics call, Contact Lens chat)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics import build
from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.warehouse import connect


@pytest.fixture(scope="module")
def metrics(shared_datasets: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = shared_datasets / "real_exports/transcripts"
    con = connect(tmp_path_factory.mktemp("vendor") / "voc.duckdb")
    ingest_paths(con, "transcripts", sorted(folder.glob("*.json")), IngestOptions())
    build.run(con)
    frame = con.execute("SELECT * FROM marts.conversation_metrics").df().set_index("channel")
    con.close()
    return frame


def within(ours: float, vendor: float, share: float = 0.05) -> bool:
    return abs(ours - vendor) <= share * abs(vendor)


def test_call_non_talk_time_matches_transcribe(metrics):
    call = metrics.loc["call"]
    assert call["vendor_non_talk_time_s"] == 0.0  # every pause of this call is under 2 s
    assert within(call["non_talk_time_s"], call["vendor_non_talk_time_s"])
    assert call["non_talk_time_diff_s"] == call["non_talk_time_s"] - call["vendor_non_talk_time_s"]
    # the vendor's other figures are kept beside ours: talk time from turn spans vs word timings
    assert call["vendor_talk_time_agent_s"] == pytest.approx(104.349)
    assert within(call["talk_time_customer_s"], call["vendor_talk_time_customer_s"])
    assert call["vendor_interruptions_agent"] == 2 and call["interruptions_agent"] >= 2


def test_chat_greeting_and_response_match_contact_lens(metrics):
    chat = metrics.loc["chat"]
    assert chat["greeting_from_join"]  # measured from the agent's participant.joined event
    assert within(chat["agent_greeting_s"], chat["vendor_agent_greeting_s"])
    assert within(chat["agent_response_avg_s"], chat["vendor_agent_response_avg_s"])
    assert within(chat["agent_response_max_s"], chat["vendor_agent_response_max_s"])
    assert chat["vendor_agent_greeting_s"] == pytest.approx(2.511)
