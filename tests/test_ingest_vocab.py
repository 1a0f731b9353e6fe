"""One vocabulary: a speaker, channel or direction label means the same in every format."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import IngestOptions, ingest_paths, vocab
from pipelines.warehouse import connect

LABELS = [
    *vocab.SPEAKERS, *vocab.CHANNEL_ALIASES, *vocab.DIRECTION_ALIASES,
    "Caller 1", "AGENT_2", "BOT", " Customer ", "end user", "robot", "SMS", "Web form", "Phone call (inbound)",
    "Twitter DM", "E-Mail", "Live Chat", "fax", "carrier pigeon", "", "IN", "Outgoing",
]


@pytest.mark.parametrize(
    ("python", "sql", "values"),
    [
        (vocab.speaker, vocab.speaker_sql, vocab.SPEAKER_ROLES),
        (vocab.channel, vocab.channel_sql, vocab.CHANNELS),
        (vocab.direction, vocab.direction_sql, vocab.DIRECTIONS),
    ],
)
def test_python_and_sql_twins_agree_on_every_label(python, sql, values) -> None:
    con = duckdb.connect()
    for label in LABELS:
        [(got,)] = con.execute(f"SELECT {sql('$x')}", {"x": label}).fetchall()
        expected = python(label)
        if expected is None and got is not None:  # SQL keeps an unknown label to quote it in the reject
            assert got == label.strip().lower() and got not in values, label
        else:
            assert got == expected, label


def _utterances_csv(path: Path, speaker: str, channel: str) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["conversation_id", "turn", "speaker", "text", "started_at", "channel"])
        writer.writerow(["u1", "1", "customer", "my card does not work", "2024-03-01 10:00", channel])
        writer.writerow(["u1", "2", speaker, "let me check that for you", "2024-03-01 10:00", channel])
    return path


def _conversations_json(path: Path, speaker: str, channel: str) -> Path:
    doc = [{"id": "j1", "date": "2024-03-01T10:00:00", "channel": channel,
            "turns": [{"speaker": "customer", "text": "my card does not work"},
                      {"speaker": speaker, "text": "let me check that for you"}]}]
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(("speaker", "channel"), [("bot", "SMS"), ("Chatbot", "webchat"), ("Rep 2", "voice")])
def test_a_label_means_the_same_from_csv_and_from_json(tmp_path: Path, speaker: str, channel: str) -> None:
    con = connect(tmp_path / "w.duckdb")
    csv_path = _utterances_csv(tmp_path / "calls.csv", speaker, channel)
    json_path = _conversations_json(tmp_path / "calls.json", speaker, channel)
    for path, fmt in ((csv_path, "utterances_csv"), (json_path, "conversations_json")):
        [report] = ingest_paths(con, "transcripts", [path], IngestOptions(), fmt=fmt)
        assert (report.rejected, report.error) == (0, None) and report.loaded, report.line()
    got = con.execute(
        "SELECT i.source_id, i.channel, t.speaker FROM staging.interactions i JOIN staging.turns t "
        "USING (interaction_id) WHERE t.turn_no = 2 ORDER BY 1"
    ).fetchall()
    expected = (vocab.channel(channel), vocab.speaker(speaker))
    assert [g[1:] for g in got] == [expected, expected]
    assert expected[1] == "agent" and expected[0] in vocab.CHANNELS


def _text_transcript(path: Path, speaker: str, channel: str) -> Path:
    path.write_text(f"Call ID: t1\nDate: 2024-03-01 10:00\nChannel: {channel}\n\n"
                    f"Customer: my card does not work\n{speaker}: let me check that for you\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("channel", ["SMS", "voice", "Phone call (inbound)", "Web chat", "E-Mail"])
def test_a_channel_label_means_the_same_from_csv_json_and_text(tmp_path: Path, channel: str) -> None:
    """Labels the vocabulary reads by keyword too (`Phone call (inbound)`), not only by exact name."""
    con = connect(tmp_path / "w.duckdb")
    paths = ((_utterances_csv(tmp_path / "calls.csv", "agent", channel), "utterances_csv"),
             (_conversations_json(tmp_path / "calls.json", "agent", channel), "conversations_json"),
             (_text_transcript(tmp_path / "call.txt", "Agent", channel), "text_transcript"))
    for path, fmt in paths:
        [report] = ingest_paths(con, "transcripts", [path], IngestOptions(), fmt=fmt)
        assert (report.rejected, report.error) == (0, None) and report.loaded, report.line()
    got = con.execute("SELECT channel FROM staging.interactions ORDER BY source_id").fetchall()
    assert got == [(vocab.channel(channel),)] * 3


def test_an_unknown_label_is_rejected_with_its_value_from_every_format(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    csv_path = _utterances_csv(tmp_path / "calls.csv", "robot", "chat")
    json_path = _conversations_json(tmp_path / "calls.json", "customer", "carrier pigeon")
    ingest_paths(con, "transcripts", [csv_path], IngestOptions(), fmt="utterances_csv")
    ingest_paths(con, "transcripts", [json_path], IngestOptions(), fmt="conversations_json")
    reasons = [r[0] for r in con.execute("SELECT reason FROM raw.rejects ORDER BY path").fetchall()]
    assert any(r.startswith("unknown speaker: robot") for r in reasons)
    assert con.execute("SELECT count(*) FROM staging.interactions WHERE channel NOT IN ('call', 'chat', 'email', 'social')").fetchone()[0] == 0
