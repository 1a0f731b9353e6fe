"""The real exports in ../shared/datasets load with their documented shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.ingest import IngestOptions, ingest_paths
from pipelines.warehouse import connect


@pytest.fixture(scope="module")
def loaded(shared_datasets: Path, tmp_path_factory: pytest.TempPathFactory):
    con = connect(tmp_path_factory.mktemp("real") / "voc.duckdb")
    reports = {
        "twcs": ingest_paths(
            con, "social", [shared_datasets / "twcs_first5000/twcs_first5000.csv"], IngestOptions()
        ),
        "airline": ingest_paths(
            con,
            "social",
            [shared_datasets / "twitter_us_airline_sentiment/Tweets_shared.csv"],
            IngestOptions(timezone="America/Los_Angeles"),
        ),
        "cfpb": ingest_paths(
            con, "emails", sorted((shared_datasets / "cfpb_complaints_sample").glob("*.csv")), IngestOptions()
        ),
    }
    yield con, reports
    con.close()


def test_invariant_holds_for_every_real_file(loaded) -> None:
    con, reports = loaded
    for group in reports.values():
        for report in group:
            assert report.error is None and report.read == report.loaded + report.rejected, report.line()
    assert (
        con.execute("SELECT count(*) FROM raw.files WHERE n_read <> n_loaded + n_rejected").fetchall()[0][0]
        == 0
    )


def test_twcs_threads_and_brand_replies(loaded) -> None:
    con, reports = loaded
    [twcs] = reports["twcs"]
    assert (twcs.read, twcs.loaded) == (5000, 5000)  # including tweets with bare CRs inside
    rows = dict(
        con.execute(
            "SELECT direction, count(*) FROM staging.interactions WHERE source_id IN "
            "(SELECT source_id FROM staging.interactions i JOIN raw.files f USING (file_id) "
            "WHERE f.path LIKE '%twcs%') GROUP BY 1"
        ).fetchall()
    )
    assert rows == {"inbound": 2778, "outbound": 2222}  # README: 2,778 inbound / 2,222 outbound
    threads = con.execute(
        "SELECT count(DISTINCT thread_id) FROM staging.interactions i JOIN raw.files f "
        "USING (file_id) WHERE f.path LIKE '%twcs%' GROUP BY thread_id HAVING count(*) >= 2"
    ).fetchall()
    assert len(threads) == 1312  # README: 1,312 reconstructable threads
    # brand replies are agent text, never customer text
    assert (
        con.execute(
            "SELECT count(*) FROM staging.interactions WHERE direction = 'outbound' "
            "AND (text IS NOT NULL OR agent_text IS NULL)"
        ).fetchall()[0][0]
        == 0
    )
    assert con.execute(
        "SELECT brand FROM staging.interactions WHERE source_id = '2' AND channel = 'social' "
        "AND file_id IN (SELECT file_id FROM raw.files WHERE path LIKE '%twcs%')"
    ).fetchall() == [("sprintcare",)]


def test_airline_tweets(loaded) -> None:
    con, reports = loaded
    [airline] = reports["airline"]
    assert airline.read == 11696
    assert airline.reasons == {"duplicate id": airline.rejected}  # the dataset's known duplicate tweet ids
    got = con.execute(
        "SELECT min(occurred_at)::VARCHAR, count(DISTINCT brand), count(source_category) "
        "FROM staging.interactions i JOIN raw.files f USING (file_id) WHERE f.path LIKE '%Tweets%'"
    ).fetchall()
    assert got[0][1] == 6 and got[0][2] > 6000
    assert got[0][0] >= "2015-02-16 08:00:00"  # Pacific time moved to UTC


def test_cfpb_complaints(loaded) -> None:
    con, reports = loaded
    by_name = {Path(r.path).name: r for r in reports["cfpb"]}
    sample = by_name["complaints_sample.csv"]
    assert (sample.read, sample.loaded) == (6623, 1532)  # README: 1,532 with narratives
    assert sample.reasons == {"missing text": 6623 - 1532}
    extract = by_name["complaints_2023-03_04_extract.csv"]
    assert (extract.read, extract.loaded) == (3999, 141)
    rows = con.execute(
        "SELECT count(*), count(source_category), min(occurred_at)::VARCHAR FROM staging.interactions "
        "WHERE channel IN ('email', 'call') AND source_id IN (SELECT source_id FROM staging.interactions)"
    ).fetchall()
    assert rows[0][0] == 1532 + 141 and rows[0][1] == rows[0][0]
