"""The demo generator: determinism, real formats (parsed with the stdlib), planted patterns."""

from __future__ import annotations

import csv
import hashlib
import json
import mailbox
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.demo import build, generate, planted_truth
from pipelines.demo.contacts import CALL, CHAT, ORIGIN, R
from pipelines.demo.phrases import build_pools
from pipelines.demo.reasons import CATALOGUE

SMALL = {"customers": 300, "days": 45}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return generate(tmp_path_factory.mktemp("demo"), seed=7, **SMALL)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The default-size data set before writing: customers and contacts as a DataFrame."""
    people, contacts, _ = build(seed=7)
    frame = pd.DataFrame(contacts)
    frame["reason_key"] = np.asarray([r.key for r in CATALOGUE], dtype=object)[frame["reason"]]
    return people, frame


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=3, customers=120, days=20)
    b = generate(tmp_path / "b", seed=3, customers=120, days=20)
    c = generate(tmp_path / "c", seed=4, customers=120, days=20)
    for kind in a:
        assert [p.name for p in a[kind]] == [p.name for p in b[kind]]
        assert _digest(a[kind]) == _digest(b[kind]), kind
    assert _digest(a["emails"]) != _digest(c["emails"])


def test_rerun_into_same_folder_leaves_no_stale_calls(tmp_path: Path) -> None:
    big = generate(tmp_path, seed=1, customers=150, days=20)
    small = generate(tmp_path, seed=1, customers=60, days=10)
    on_disk = sorted((tmp_path / "transcripts" / "calls").glob("*.json"))
    assert len(small["transcripts"]) < len(big["transcripts"])
    assert on_disk == sorted(p for p in small["transcripts"] if p.suffix == ".json")


def test_calls_are_transcribe_call_analytics_json(files: dict[str, list[Path]]) -> None:
    calls = [p for p in files["transcripts"] if p.suffix == ".json"]
    assert len(calls) > 100
    for path in calls[:50]:
        doc = json.loads(path.read_text(encoding="utf-8"))
        roles = {p["ParticipantId"]: p["ParticipantRole"] for p in doc["Participants"]}
        assert roles == {"AGENT": "AGENT", "CUSTOMER": "CUSTOMER"}
        turns = doc["Transcript"]
        assert 4 <= len(turns) <= 20
        assert {t["ParticipantId"] for t in turns} == {"AGENT", "CUSTOMER"}
        begins = [t["BeginOffsetMillis"] for t in turns]
        assert begins == sorted(begins) and all(t["EndOffsetMillis"] > t["BeginOffsetMillis"] for t in turns)
        meta = doc["VocMetadata"]
        assert meta["started_at"].endswith("Z") and meta["agent_id"].startswith("A")
        assert doc["JobName"] == path.stem and doc["CustomerMetadata"]["ContactId"]
        assert doc["CustomerMetadata"]["CustomerId"] == meta["customer_id"]


def test_chats_are_conversation_jsonl(files: dict[str, list[Path]]) -> None:
    (path,) = [p for p in files["transcripts"] if p.suffix == ".jsonl"]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows and all(set(r) == {"id", "channel", "customer_id", "agent_id", "started_at", "turns"} for r in rows)
    assert {r["channel"] for r in rows} == {"chat"}
    assert {t["speaker"] for r in rows for t in r["turns"]} == {"customer", "agent"}
    assert any(r["customer_id"] is None for r in rows) or len(rows) < 50   # anonymous chats exist


def test_emails_are_threaded_mbox(files: dict[str, list[Path]]) -> None:
    box = mailbox.mbox(str(files["emails"][0]))
    messages = list(box)
    assert len(messages) > 100
    ids = {m["Message-ID"] for m in messages}
    assert len(ids) == len(messages)
    replies = [m for m in messages if m["In-Reply-To"]]
    assert replies and all(m["In-Reply-To"] in ids for m in replies)
    company = [m for m in messages if "northwind-connect.example" in m["From"]]
    assert company and all(">" in m.get_payload(decode=True).decode("utf-8") for m in company)  # quoted originals
    customers = {r["email"] for r in csv.DictReader(files["customers"][0].open(encoding="utf-8"))}
    senders = [m["From"].split("<")[1].rstrip(">") for m in messages if m not in company]
    assert np.mean([s in customers for s in senders]) > 0.8                     # identity stitching works
    assert all(m["Date"].endswith("+0000") for m in messages)


def test_social_is_twcs_like(files: dict[str, list[Path]]) -> None:
    rows = list(csv.DictReader(files["social"][0].open(encoding="utf-8", newline="")))
    assert list(rows[0]) == ["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id",
                             "in_response_to_tweet_id"]
    by_id = {r["tweet_id"]: r for r in rows}
    for r in rows:
        if r["in_response_to_tweet_id"]:
            assert by_id[r["in_response_to_tweet_id"]]["response_tweet_id"] == r["tweet_id"]
        if r["inbound"] == "False":
            assert r["author_id"] == "NorthwindHelp"
    pd.to_datetime(pd.Series([r["created_at"] for r in rows]), format="%a %b %d %H:%M:%S %z %Y")
    handles = {r["handle"] for r in csv.DictReader(files["customers"][0].open(encoding="utf-8")) if r["handle"]}
    assert any(r["author_id"] in handles for r in rows if r["inbound"] == "True")


def test_customers_and_transactions(files: dict[str, list[Path]]) -> None:
    people = pd.read_csv(files["customers"][0])
    assert list(people.columns) == ["customer_id", "segment", "plan", "annual_revenue", "margin", "tenure_months",
                                    "churned", "churned_at", "clv", "email", "phone", "handle"]
    assert len(people) == SMALL["customers"] and people["customer_id"].is_unique
    assert set(people["segment"]) == {"Consumer", "SMB", "Premium"}
    assert people["clv"].isna().mean() > 0.8
    assert (people["churned"] == people["churned_at"].notna()).all()
    tx = pd.read_csv(files["transactions"][0], parse_dates=["date"])
    assert set(tx["customer_id"]) <= set(people["customer_id"]) and (tx["amount"] > 0).all()


def test_reason_catalogue_and_pools() -> None:
    assert 15 <= len(CATALOGUE) <= 25
    pools = build_pools(np.random.default_rng(0))
    assert not any(t.startswith("From ") for t in pools.texts)   # would break mbox separators
    opens = pools.texts[pools.offset[R["billing_double_charge"], 1]:][:240]
    assert len(set(opens)) > 100                                  # many distinct phrasings per reason


def test_spike_week_has_four_times_the_volume(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, c = data
    truth = planted_truth()["delivery_spike"]
    assert date.fromisoformat(truth["week_start"]).weekday() == 0
    late = c[c["reason_key"] == "delivery_late"]
    week = pd.to_datetime(late["ts"], unit="s").dt.to_period("W-SUN").dt.start_time
    counts = week.value_counts()
    spike = counts[pd.Timestamp(truth["week_start"])]
    normal = counts.drop(pd.Timestamp(truth["week_start"])).iloc[1:-1].median()
    assert 3.0 <= spike / normal <= 5.5
    assert counts.idxmax() == pd.Timestamp(truth["week_start"])


def _same_reason_repeat_share(c: pd.DataFrame, window_s: int) -> pd.Series:
    known = c[c["customer"] >= 0].sort_values(["customer", "reason", "ts"])
    gap = known.groupby(["customer", "reason"])["ts"].diff()
    known = known.assign(repeat=(gap <= window_s) & (gap > 15 * 60))
    return known.groupby("reason_key")["repeat"].mean()


def test_billing_defect_leads_repeats_and_premium_churn(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    people, c = data
    share = _same_reason_repeat_share(c, 7 * 86_400)
    assert share.idxmax() == "billing_double_charge" and share.max() > 0.3
    affected = people[people["dc_affected"]]
    assert (affected["segment"] == "Premium").mean() > 2 * (people["segment"] == "Premium").mean()
    premium = people[people["segment"] == "Premium"]
    assert premium[premium["dc_affected"]]["churned"].mean() > premium[~premium["dc_affected"]]["churned"].mean() + 0.25


def test_login_failure_pushes_chat_to_phone(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, c = data
    known = c[c["customer"] >= 0]
    chats = known[known["channel"] == CHAT][["customer", "reason_key", "ts"]]
    calls = known[known["channel"] == CALL][["customer", "reason_key", "ts"]]
    pairs = chats.merge(calls, on=["customer", "reason_key"], suffixes=("_chat", "_call"))
    hit = pairs[(pairs["ts_call"] > pairs["ts_chat"]) & (pairs["ts_call"] - pairs["ts_chat"] <= 48 * 3600)]
    switched = hit.drop_duplicates(["customer", "reason_key", "ts_chat"]).groupby("reason_key").size()
    rate = (switched / chats.groupby("reason_key").size()).fillna(0)
    assert rate.idxmax() == "account_login_failure" and rate.max() > 0.4


def test_anonymous_transfers_censoring_and_monthly(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    people, c = data
    assert 0.01 < (c["customer"] < 0).mean() < 0.06
    legs = c[c["kind"] == 1]
    assert len(legs) > 50
    nxt = c[(c["channel"] == CALL) & (c["kind"] == 0)][["customer", "ts"]]
    leg = legs[legs["customer"] >= 0].merge(nxt, on="customer", suffixes=("", "_next"))
    followed = leg[(leg["ts_next"] > leg["ts"]) & (leg["ts_next"] - leg["ts"] <= 600)]["ts"].nunique()
    assert followed >= 0.95 * legs[legs["customer"] >= 0]["ts"].nunique()
    end = pd.Timestamp(planted_truth()["end_date"]) + pd.Timedelta(days=1)
    assert (pd.to_datetime(c["ts"], unit="s") >= end - pd.Timedelta(days=7)).sum() > 100
    monthly = c[c["origin"] == ORIGIN["monthly"]]
    per_customer = monthly.groupby("customer").size()
    assert per_customer.median() >= 3 and people["irregular_payer"].sum() == len(per_customer)
