"""The seeded demo data set: a telecom/e-commerce contact center's exports, with planted patterns.

`generate(out_dir, seed=7)` writes the same bytes for the same arguments. The business is the
fictional "Northwind Connect" (brand account `@NorthwindHelp`, company domain
`northwind-connect.example`); customers are in three segments (Consumer 70%, SMB 20%, Premium 10%)
and contact it about 18 reasons under 9 parents (`pipelines.demo.reasons.CATALOGUE`).

Files (KIND -> files, as `generate` returns them):

- `transcripts`: calls as Amazon Transcribe Call Analytics / Contact Lens JSON, one file per call
  (`transcripts/calls/CALL-0000001.json`): `Participants` [{ParticipantId, ParticipantRole: AGENT |
  CUSTOMER}], `Transcript` [{Id, ParticipantId, Content, BeginOffsetMillis, EndOffsetMillis,
  Sentiment}], `JobName` (= the call id), `CustomerMetadata.ContactId` (a UUID5 of the call id), and
  a top-level `VocMetadata` {started_at (ISO 8601 UTC, `...Z`), customer_id (CRM id or null =
  anonymous), agent_id, queue}, mirrored in `CustomerMetadata` under Amazon Connect's names
  (InitiationTimestamp, CustomerId, AgentId, Queue). Chats as `transcripts/chats.jsonl`, one conversation a line:
  {"id", "channel": "chat", "customer_id", "agent_id", "started_at", "turns": [{"speaker":
  "customer|agent", "text", "begin_s", "end_s"}]}. With `bulk=True` calls and chats instead go to
  one utterance CSV `transcripts/utterances.csv`: conversation_id,turn_no,speaker,text,begin_s,end_s,
  started_at,customer_id,agent_id,channel.
- `emails`: `emails/inbox.mbox`, threads of customer message -> company reply (from
  `support@northwind-connect.example`, quoting the customer) -> sometimes a customer follow-up
  quoting the reply; headers Message-ID, In-Reply-To, References, From, To, Date (RFC 2822), Subject.
  Customers write from the address in the customers file (identity stitching); ~6% from unknown addresses.
- `social`: `social/posts.csv` like TWCS: tweet_id,author_id,inbound,created_at
  (`Tue Oct 31 22:10:47 +0000 2017`),text,response_tweet_id,in_response_to_tweet_id. Customers post
  under the `handle` of the customers file (same string, no `@`); the brand replies as `NorthwindHelp`.
- `customers`: `customers.csv`: customer_id,segment,plan,annual_revenue,margin,tenure_months,
  churned (true/false),churned_at (date or empty),clv (empty for 95%),email,phone,handle.
- `transactions`: `transactions.csv`: customer_id,date,amount (monthly bills and shop purchases over
  the last 365 days).

Planted patterns (ground truth: `planted_truth()`; also written to `planted_truth.json`):

1. Billing defect: ~5% of customers (Premium six times as likely) are double charged and contact
   about `billing_double_charge` 2-5 times, 0.4-5.5 days apart (same reason within 7 days); their
   churn probability rises (+45 points for Premium): the top repeat driver and revenue-at-risk reason.
2. Delivery spike: `delivery_late` volume in the week starting `spike_week_start` (a Monday) is
   ~4x a normal week's.
3. Web-login failure: 50% of `account_login_failure` chats are followed by a call on the same
   reason 1-40 hours later (chat -> phone switching).
Also: ~4% anonymous calls/chats (customer_id null), transfers (a 4-turn call leg 2-9 minutes before
6% of calls, same customer), contacts up to the last day (censoring), ~3% irregular payers who
contact about `payment_arrangement` around the same day every month (proactive candidates, late or
missed payments in transactions), three weak agents (ids in the truth) whose contacts are resolved
less often, churn rising with unresolved contacts and cancellation requests.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.demo import contacts as ct
from pipelines.demo import customers as cu
from pipelines.demo import languages, texts, writers
from pipelines.demo.phrases import Pools, build_pools
from pipelines.demo.reasons import CATALOGUE, CHANNELS

DEFAULT_END = date(2025, 6, 30)
KINDS = ("customers", "transactions", "transcripts", "emails", "social")


def _window(end_date: date, days: int) -> tuple[int, int]:
    end_ts = int(datetime.combine(end_date + timedelta(days=1), datetime.min.time(), timezone.utc).timestamp())
    return end_ts - days * ct.DAY, end_ts


def _spike_start(end_date: date, days: int) -> date:
    """The Monday on or after 55% of the way through the period (never inside the last 8 days)."""
    start = end_date - timedelta(days=days - 1)
    d = start + timedelta(days=int(days * 0.55))
    d += timedelta(days=(7 - d.weekday()) % 7)
    latest = end_date - timedelta(days=14)
    return min(d, latest - timedelta(days=latest.weekday()))


def planted_truth(*, end_date: date = DEFAULT_END, days: int = 120, plan: ct.Plan = ct.Plan()) -> dict[str, Any]:
    """What the generator planted, for tests and evaluations of the later views to check against."""
    spike = _spike_start(end_date, days)
    return {
        "company": writers.COMPANY_NAME, "brand_accounts": [writers.BRAND_HANDLE], "company_domain": writers.COMPANY_DOMAIN,
        "start_date": (end_date - timedelta(days=days - 1)).isoformat(), "end_date": end_date.isoformat(),
        "reasons": [{"key": r.key, "parent": r.parent, "label": r.label} for r in CATALOGUE],
        "billing_defect": {"reason": "billing_double_charge", "label": "Double charge", "parent": "Billing",
                           "segment": "Premium", "customer_share": plan.defect_share, "repeat_window_days": 7},
        "delivery_spike": {"reason": "delivery_late", "label": "Late delivery", "parent": "Delivery",
                           "week_start": spike.isoformat(), "week_end": (spike + timedelta(days=6)).isoformat(),
                           "factor": plan.spike_factor},
        "login_switch": {"reason": "account_login_failure", "label": "Login failure", "parent": "Account",
                         "from_channel": "chat", "to_channel": "call", "within_hours": 48,
                         "share": plan.login_switch_share},
        "monthly_reason": "payment_arrangement",
        "weak_agents": [f"A{a:03d}" for a in ct.WEAK_AGENTS],
        "anonymous_share": plan.anonymous_share, "transfer_minutes": [2, 9],
    }


def _conversations(c: dict[str, np.ndarray], idx: np.ndarray, cust_ids: np.ndarray) -> dict[str, np.ndarray]:
    prefix = np.where(c["channel"][idx] == ct.CALL, "CALL-", "CHAT-").astype(object)
    queue = np.asarray([r.queue for r in CATALOGUE], dtype=object)
    return {
        "id": prefix + np.char.zfill((idx + 1).astype(str), 7).astype(object),
        "started_at": writers.iso(c["ts"][idx]),
        "customer_id": np.where(c["customer"][idx] >= 0, cust_ids[np.maximum(c["customer"][idx], 0)], None),
        "agent_id": np.char.add("A", np.char.zfill(c["agent"][idx].astype(str), 3)).astype(object),
        "queue": queue[c["reason"][idx]],
        "channel": np.asarray(CHANNELS, dtype=object)[c["channel"][idx]],
    }


def _emails(c: dict[str, np.ndarray], idx: np.ndarray, customers: pd.DataFrame, pools: Pools, rng: np.random.Generator,
            end_ts: int, lang_rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Email threads (customer message, company reply, optional follow-up) as (ts, mbox entry) arrays;
    with `lang_rng`, a share of the customers write in Polish or Chinese (`languages`)."""
    n = len(idx)
    parts = texts.email_parts(c, idx, pools, rng)
    cust = c["customer"][idx]
    unknown = c["unknown_ref"][idx] | (cust < 0)
    k = np.maximum(cust, 0)
    first = np.where(unknown, np.asarray(cu.FIRST, dtype=object)[rng.integers(len(cu.FIRST), size=n)],
                     customers["first"].to_numpy()[k])
    first = np.array([f.title() for f in first], dtype=object)
    last = np.array([x.title() for x in customers["last"].to_numpy()[k]], dtype=object)
    stranger = np.char.add(np.char.lower(first.astype(str)), np.char.add(".", rng.integers(10_000, 99_999, n).astype(str)))
    addr = np.where(unknown, stranger.astype(object) + "@example.org", customers["email"].to_numpy()[k])
    name = np.where(unknown, first, first + " " + last)
    sender = name + " <" + addr + ">"
    domain = np.array([a.split("@", 1)[1] for a in addr], dtype=object)
    serial = np.char.zfill((idx + 1).astype(str), 7).astype(object)
    support = np.full(n, f"{writers.COMPANY_NAME} Care <{writers.SUPPORT_ADDRESS}>", dtype=object)
    sig = (np.where(rng.random(n) < 0.3, "-- \n", "") + first
           + np.where(rng.random(n) < 0.2, "\n\nSent from my iPhone", ""))
    body = "Hello,\n\n" + parts["open"] + " " + parts["detail"] + "\n\n" + parts["close"] + "\n\n" + sig
    if lang_rng is not None:
        lang = languages.pick_languages(n, lang_rng)
        mood = languages.moods(c["negative"][idx], c["reason"][idx] == ct.R["praise"])
        own = languages.phrases(lang, c["reason"][idx], mood, lang_rng)
        foreign = lang != "en"
        greeting = np.array([languages.GREETING.get(x, "") for x in lang], dtype=object)
        body = np.where(foreign, greeting + "\n\n" + own + "\n\n" + first, body)
        parts["has_follow"] = parts["has_follow"] & ~foreign
    mid = "<m" + serial + ".c@" + domain + ">"
    ts = c["ts"][idx]
    all_ts, entries = [ts], [writers.mbox_entries(sender=sender, to=support, subject=parts["subject"], ts=ts,
                                                  message_id=mid, body=body)]

    agent_first = np.asarray(("Sarah", "James", "Priya", "Tom", "Aisha", "Mark"), dtype=object)[c["agent"][idx] % 6]
    reply_ts = ts + rng.integers(2 * 3600, 30 * 3600, size=n)
    follow_ts = reply_ts + rng.integers(12 * 3600, 72 * 3600, size=n)
    rid = "<m" + serial + ".r@" + writers.COMPANY_DOMAIN + ">"
    reply = ("Dear " + first + ",\n\n" + parts["empathy"] + " " + parts["action"] + " " + parts["outcome"]
             + "\n\nKind regards,\n" + agent_first + f"\n{writers.COMPANY_NAME} Customer Care\n\n"
             + writers.quote("On " + writers.rfc2822(ts) + ", " + sender + " wrote:", body))
    r = reply_ts < end_ts
    all_ts.append(reply_ts[r])
    entries.append(writers.mbox_entries(sender=support[r], to=sender[r], subject="Re: " + parts["subject"][r],
                                        ts=reply_ts[r], message_id=rid[r], body=reply[r], in_reply_to=mid[r],
                                        references=mid[r]))
    f = r & parts["has_follow"] & (follow_ts < end_ts)
    follow = (parts["follow"][f] + " " + parts["follow_close"][f] + "\n\n" + first[f] + "\n\n"
              + writers.quote("On " + writers.rfc2822(reply_ts[f]) + ", " + support[f] + " wrote:", reply[f]))
    all_ts.append(follow_ts[f])
    entries.append(writers.mbox_entries(sender=sender[f], to=support[f], subject="Re: " + parts["subject"][f],
                                        ts=follow_ts[f], message_id="<m" + serial[f] + ".f@" + domain[f] + ">",
                                        body=follow, in_reply_to=rid[f], references=mid[f] + " " + rid[f]))
    return np.concatenate(all_ts), np.concatenate(entries)


def _social(c: dict[str, np.ndarray], idx: np.ndarray, customers: pd.DataFrame, pools: Pools, rng: np.random.Generator,
            end_ts: int, lang_rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """Social threads (customer post, brand reply, optional follow-up) as TWCS-like columns; with
    `lang_rng`, a share of the customers post in Polish or Chinese (`languages`)."""
    n = len(idx)
    parts = texts.social_parts(c, idx, pools, rng)
    if lang_rng is not None:
        lang = languages.pick_languages(n, lang_rng)
        mood = languages.moods(c["negative"][idx], c["reason"][idx] == ct.R["praise"])
        own = languages.phrases(lang, c["reason"][idx], mood, lang_rng)
        parts["post"] = np.where(lang != "en", own, parts["post"])
        parts["has_follow"] = parts["has_follow"] & (lang == "en")
    cust = c["customer"][idx]
    unknown = c["unknown_ref"][idx] | (cust < 0)
    stranger = np.char.add("user", rng.integers(100_000, 999_999, n).astype(str)).astype(object)
    author = np.where(unknown, stranger, customers["handle"].to_numpy()[np.maximum(cust, 0)])
    ts_post = c["ts"][idx]
    ts_reply = ts_post + rng.integers(300, 3 * 3600, n)
    ts_follow = ts_reply + rng.integers(600, 24 * 3600, n)
    has_reply = ts_reply < end_ts
    has_follow = has_reply & parts["has_follow"] & (ts_follow < end_ts)
    thread = np.concatenate([np.arange(n), np.flatnonzero(has_reply), np.flatnonzero(has_follow)])
    step = np.concatenate([np.zeros(n, int), np.ones(has_reply.sum(), int), np.full(has_follow.sum(), 2)])
    ts = np.concatenate([ts_post, ts_reply[has_reply], ts_follow[has_follow]])
    order = np.lexsort((step, thread, ts))
    thread, step, ts = thread[order], step[order], ts[order]
    tweet_id = np.arange(len(ts), dtype=np.int64) + 1001
    tid = np.full((n, 3), -1, dtype=np.int64)
    tid[thread, step] = tweet_id
    brand = "@" + writers.BRAND_HANDLE + " "
    text = np.where(step == 0, brand + parts["post"][thread],
                    np.where(step == 1, "@" + author[thread] + " " + parts["reply"][thread], brand + parts["follow"][thread]))
    return {
        "tweet_id": tweet_id, "author_id": np.where(step == 1, writers.BRAND_HANDLE, author[thread]),
        "inbound": step != 1, "created_at": writers.twitter_time(ts), "text": text,
        "response_tweet_id": np.where(step < 2, tid[thread, np.minimum(step + 1, 2)], -1),
        "in_response_to_tweet_id": np.where(step > 0, tid[thread, np.maximum(step - 1, 0)], -1),
    }


def build(*, seed: int = 7, customers: int = 3000, days: int = 120, end_date: date = DEFAULT_END, scale: float = 1.0,
          plan: ct.Plan = ct.Plan()) -> tuple[pd.DataFrame, dict[str, np.ndarray], pd.DataFrame]:
    """The data before it is written: customers (with churn), contacts (numpy columns), transactions."""
    rng = np.random.default_rng(seed)
    start_ts, end_ts = _window(end_date, days)
    spike = int(datetime.combine(_spike_start(end_date, days), datetime.min.time(), timezone.utc).timestamp())
    people = cu.make_customers(rng, customers)
    contacts = ct.schedule(rng, people, start_ts, end_ts, spike, scale, plan)
    people = cu.assign_churn(people, contacts, rng, start_ts, end_ts)
    clv = np.round(people["margin"].to_numpy() * rng.uniform(3, 8, customers), 2)
    people["clv"] = np.where(rng.random(customers) < 0.05, clv, np.nan)
    return people, contacts, cu.make_transactions(people, rng, start_ts, end_ts)


def generate(out_dir: Path, *, seed: int = 7, customers: int = 3000, days: int = 120, end_date: date = DEFAULT_END,
             scale: float = 1.0, bulk: bool = False, plan: ct.Plan = ct.Plan()) -> dict[str, list[Path]]:
    """Write the demo files under `out_dir`; returns {KIND: [paths]} for `pipelines.ingest.ingest_paths`.

    >>> files = generate(Path("data/demo"), seed=7, customers=500, days=60)
    """
    out_dir = Path(out_dir)
    for sub in ("transcripts", "emails", "social"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    # A previous run with other settings must not leave its own calls behind to be ingested.
    for stale in [*(out_dir / "transcripts" / "calls").glob("CALL-*.json"),
                  out_dir / "transcripts" / "chats.jsonl", out_dir / "transcripts" / "utterances.csv"]:
        stale.unlink(missing_ok=True)
    people, c, tx = build(seed=seed, customers=customers, days=days, end_date=end_date, scale=scale, plan=plan)
    rng = np.random.default_rng([seed, 1])
    pools = build_pools(rng)
    _, end_ts = _window(end_date, days)
    cust_ids = people["customer_id"].to_numpy()

    files: dict[str, list[Path]] = {k: [] for k in KINDS}
    files["customers"].append(writers.write_customers(people, out_dir / "customers.csv"))
    files["transactions"].append(writers.write_transactions(tx, out_dir / "transactions.csv"))

    spoken = np.flatnonzero(np.isin(c["channel"], (ct.CALL, ct.CHAT)))
    conv = _conversations(c, spoken, cust_ids)
    turns = texts.turns(c, spoken, pools, rng)
    turns["conv_pos"] = np.searchsorted(spoken, turns["conv"])
    folder = out_dir / "transcripts"
    if bulk:
        files["transcripts"].append(writers.write_utterances_csv(folder / "utterances.csv", conv, turns, pools.texts))
    else:
        is_call = conv["channel"] == "call"
        turn_is_call = is_call[turns["conv_pos"]]
        calls = {k: v[is_call] for k, v in conv.items()}
        chats = {k: v[~is_call] for k, v in conv.items()}
        files["transcripts"] += writers.write_call_json(folder / "calls", calls,
                                                        {k: v[turn_is_call] for k, v in turns.items()}, pools.texts)
        files["transcripts"].append(writers.write_chats_jsonl(folder / "chats.jsonl", chats,
                                                              {k: v[~turn_is_call] for k, v in turns.items()}, pools.texts))

    lang_rng = np.random.default_rng([seed, 2])  # its own stream: the English texts stay as they were
    email_ts, entries = _emails(c, np.flatnonzero(c["channel"] == ct.EMAIL), people, pools, rng, end_ts, lang_rng)
    files["emails"].append(writers.write_mbox(out_dir / "emails" / "inbox.mbox", email_ts, entries))
    posts = _social(c, np.flatnonzero(c["channel"] == ct.SOCIAL), people, pools, rng, end_ts, lang_rng)
    files["social"].append(writers.write_social_csv(out_dir / "social" / "posts.csv", posts))
    truth = planted_truth(end_date=end_date, days=days, plan=plan)
    (out_dir / "planted_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return files
