"""File writers: the demo's contacts in the real export formats the ingest loaders read.

Formats are described in `pipelines.demo.generate`'s docstring. Every writer is deterministic
(no wall-clock time, no unseeded ids) so the same seed gives the same bytes. Dates are formatted
with numpy (locale-independent English names) and CSVs written by Arrow, so a million
interactions write in seconds.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BRAND_HANDLE = "NorthwindHelp"
COMPANY_NAME = "Northwind Connect"
COMPANY_DOMAIN = "northwind-connect.example"
SUPPORT_ADDRESS = f"support@{COMPANY_DOMAIN}"
_DAYS = np.array(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), dtype=object)
_MONTHS = np.array(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), dtype=object)
_PAD2 = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_SPACE2 = np.array([f"{i:2d}" for i in range(100)], dtype=object)
CALL_NAMESPACE = uuid.UUID("5f1d6c1e-8a51-4c3e-9f55-7d2b3c4a9e10")   # ContactId = uuid5(this, call id)


def _parts(ts: np.ndarray) -> dict[str, np.ndarray]:
    ts = np.asarray(ts, dtype=np.int64)
    t = ts.astype("datetime64[s]")
    month_start = t.astype("datetime64[M]")
    sec = ts % 86_400
    return {
        "wd": _DAYS[(ts // 86_400 + 3) % 7], "mon": _MONTHS[month_start.astype(np.int64) % 12],
        "day": (t.astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(np.int64) + 1,
        "year": (t.astype("datetime64[Y]").astype(np.int64) + 1970).astype(str).astype(object),
        "hms": _PAD2[sec // 3600] + ":" + _PAD2[sec % 3600 // 60] + ":" + _PAD2[sec % 60],
    }


def iso(ts: np.ndarray) -> np.ndarray:
    """Epoch seconds -> ISO 8601 UTC strings (`2025-05-12T09:30:00Z`)."""
    return np.char.add(np.datetime_as_string(np.asarray(ts, dtype="datetime64[s]"), unit="s"), "Z").astype(object)


def rfc2822(ts: np.ndarray) -> np.ndarray:
    """Epoch seconds -> RFC 2822 dates in UTC (`Mon, 12 May 2025 09:30:00 +0000`)."""
    p = _parts(ts)
    return p["wd"] + ", " + _PAD2[p["day"]] + " " + p["mon"] + " " + p["year"] + " " + p["hms"] + " +0000"


def twitter_time(ts: np.ndarray) -> np.ndarray:
    """Epoch seconds -> TWCS `created_at` (`Tue Oct 31 22:10:47 +0000 2017`)."""
    p = _parts(ts)
    return p["wd"] + " " + p["mon"] + " " + _PAD2[p["day"]] + " " + p["hms"] + " +0000 " + p["year"]


def asctime(ts: np.ndarray) -> np.ndarray:
    """Epoch seconds -> the asctime of an mbox `From ` line (`Mon May  5 09:30:00 2025`)."""
    p = _parts(ts)
    return p["wd"] + " " + p["mon"] + " " + _SPACE2[p["day"]] + " " + p["hms"] + " " + p["year"]


def _write_csv(columns: dict[str, object], path: Path) -> Path:
    pacsv.write_csv(pa.table(columns), path, pacsv.WriteOptions(quoting_style="needed"))
    return path


def _str(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string(), from_pandas=True)


def write_customers(customers: pd.DataFrame, path: Path) -> Path:
    """customers.csv: customer_id,segment,plan,annual_revenue,margin,tenure_months,churned,churned_at,clv,email,phone,handle."""
    churned_at = customers["churned_at"].to_numpy()
    dates = np.datetime_as_string(churned_at.astype("datetime64[s]"), unit="D").astype(object)
    return _write_csv({
        "customer_id": _str(customers["customer_id"].to_numpy()), "segment": _str(customers["segment"].to_numpy()),
        "plan": _str(customers["plan"].to_numpy()), "annual_revenue": customers["annual_revenue"].to_numpy(),
        "margin": customers["margin"].to_numpy(), "tenure_months": customers["tenure_months"].to_numpy(),
        "churned": pa.array(customers["churned"].to_numpy(dtype=bool)),
        "churned_at": _str(np.where(churned_at >= 0, dates, None)),
        "clv": pa.array(customers["clv"].to_numpy(), from_pandas=True),
        "email": _str(customers["email"].to_numpy()), "phone": _str(customers["phone"].to_numpy()),
        "handle": _str(customers["handle"].to_numpy()),
    }, path)


def write_transactions(tx: pd.DataFrame, path: Path) -> Path:
    """transactions.csv: customer_id,date,amount (one row per payment or purchase)."""
    dates = np.datetime_as_string(tx["ts"].to_numpy().astype("datetime64[s]"), unit="D")
    return _write_csv({"customer_id": _str(tx["customer_id"].to_numpy()), "date": pa.array(dates, pa.string()),
                       "amount": tx["amount"].to_numpy()}, path)


def _bounds(conv: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, conv[1:] != conv[:-1], True])


def write_call_json(folder: Path, conv: dict[str, np.ndarray], turns: dict[str, np.ndarray], texts: np.ndarray) -> list[Path]:
    """One Amazon Transcribe Call Analytics / Contact Lens JSON per call (see generate's docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    bounds = _bounds(turns["conv"])
    speaker = np.where(turns["agent"], "AGENT", "CUSTOMER")
    sentiment = np.array(("NEGATIVE", "NEUTRAL", "POSITIVE"))[turns["sentiment"]]
    begin = np.round(turns["begin_s"] * 1000).astype(np.int64)
    end = np.round(turns["end_s"] * 1000).astype(np.int64)
    text = texts[turns["text_idx"]]
    for i in range(len(conv["id"])):
        call_id = conv["id"][i]
        contact = str(uuid.uuid5(CALL_NAMESPACE, call_id))
        lo, hi = bounds[i], bounds[i + 1]
        transcript = [
            {"Id": f"{contact[:8]}-{j - lo:03d}", "ParticipantId": str(speaker[j]), "Content": text[j],
             "BeginOffsetMillis": int(begin[j]), "EndOffsetMillis": int(end[j]), "Sentiment": str(sentiment[j])}
            for j in range(lo, hi)
        ]
        doc = {
            "Version": "1.1.0", "AccountId": "000000000000", "Channel": "VOICE", "LanguageCode": "en-GB",
            "JobName": call_id, "JobStatus": "COMPLETED",
            # Amazon Connect names (InitiationTimestamp, CustomerId, AgentId, Queue) mirror VocMetadata so
            # loaders that only know Connect's metadata still find the start time, customer and agent.
            "CustomerMetadata": {"ContactId": contact, "InstanceId": "northwind-demo-instance",
                                 "InputS3Uri": f"s3://northwind-voc-demo/recordings/{call_id}.wav",
                                 "InitiationTimestamp": conv["started_at"][i], "CustomerId": conv["customer_id"][i],
                                 "AgentId": conv["agent_id"][i], "Queue": conv["queue"][i]},
            "Participants": [{"ParticipantId": "AGENT", "ParticipantRole": "AGENT"},
                             {"ParticipantId": "CUSTOMER", "ParticipantRole": "CUSTOMER"}],
            "ConversationCharacteristics": {"TotalConversationDurationMillis": int(end[hi - 1])},
            "Transcript": transcript,
            "VocMetadata": {"started_at": conv["started_at"][i], "customer_id": conv["customer_id"][i],
                            "agent_id": conv["agent_id"][i], "queue": conv["queue"][i]},
        }
        path = folder / f"{call_id}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def write_chats_jsonl(path: Path, conv: dict[str, np.ndarray], turns: dict[str, np.ndarray], texts: np.ndarray) -> Path:
    """chats.jsonl: {"id","channel":"chat","customer_id","agent_id","started_at","turns":[...]} per line."""
    bounds = _bounds(turns["conv"])
    speaker = np.where(turns["agent"], "agent", "customer")
    text = texts[turns["text_idx"]]
    begin, end = turns["begin_s"].tolist(), turns["end_s"].tolist()
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for i in range(len(conv["id"])):
            doc = {"id": conv["id"][i], "channel": "chat", "customer_id": conv["customer_id"][i],
                   "agent_id": conv["agent_id"][i], "started_at": conv["started_at"][i],
                   "turns": [{"speaker": str(speaker[j]), "text": text[j], "begin_s": begin[j], "end_s": end[j]}
                             for j in range(bounds[i], bounds[i + 1])]}
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def write_utterances_csv(path: Path, conv: dict[str, np.ndarray], turns: dict[str, np.ndarray], texts: np.ndarray) -> Path:
    """Bulk mode: one row per utterance of every call and chat (columns in generate's docstring)."""
    pos = pa.array(turns["conv_pos"])
    per_conv = {k: _str(conv[k]) for k in ("id", "started_at", "customer_id", "agent_id", "channel")}
    take = {k: pc.take(v, pos) for k, v in per_conv.items()}   # Arrow's take: C speed for millions of rows
    return _write_csv({
        "conversation_id": take["id"], "turn_no": turns["turn_no"],
        "speaker": pc.take(pa.array(["customer", "agent"]), pa.array(turns["agent"].astype(np.int8))),
        "text": pc.take(_str(texts), pa.array(turns["text_idx"])),
        "begin_s": turns["begin_s"], "end_s": turns["end_s"], "started_at": take["started_at"],
        "customer_id": take["customer_id"], "agent_id": take["agent_id"], "channel": take["channel"],
    }, path)


def quote(header: np.ndarray, body: np.ndarray) -> np.ndarray:
    """`On <date>, <who> wrote:` followed by the body with every line prefixed by `> `."""
    quoted = np.array([b.replace("\n", "\n> ") for b in body], dtype=object)
    return header + "\n> " + quoted


def mbox_entries(*, sender: np.ndarray, to: np.ndarray, subject: np.ndarray, ts: np.ndarray, message_id: np.ndarray,
                 body: np.ndarray, in_reply_to: np.ndarray | None = None, references: np.ndarray | None = None) -> np.ndarray:
    """mbox entries (the `From ` separator line, RFC 2822 headers, a UTF-8 text body), one per row."""
    address = np.array([s.rsplit("<", 1)[-1].rstrip(">") for s in sender], dtype=object)
    head = ("From " + address + " " + asctime(ts) + "\nFrom: " + sender + "\nTo: " + to + "\nSubject: " + subject
            + "\nDate: " + rfc2822(ts) + "\nMessage-ID: " + message_id)
    if in_reply_to is not None:
        head = head + "\nIn-Reply-To: " + in_reply_to + "\nReferences: " + references
    return (head + '\nMIME-Version: 1.0\nContent-Type: text/plain; charset="utf-8"\n'
            "Content-Transfer-Encoding: 8bit\n\n" + body + "\n\n")


def write_mbox(path: Path, ts: np.ndarray, entries: np.ndarray) -> Path:
    """Write mbox entries in time order to one `.mbox` archive."""
    order = np.argsort(ts, kind="stable")
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("".join(entries[order].tolist()))
    return path


def write_social_csv(path: Path, posts: dict[str, np.ndarray]) -> Path:
    """TWCS-like CSV: tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id."""
    def ids(values: np.ndarray) -> pa.Array:
        return pa.array(values, pa.int64(), mask=values < 0)
    return _write_csv({
        "tweet_id": posts["tweet_id"], "author_id": _str(posts["author_id"]),
        "inbound": pa.array(np.where(posts["inbound"], "True", "False"), pa.string()),
        "created_at": _str(posts["created_at"]), "text": _str(posts["text"]),
        "response_tweet_id": ids(posts["response_tweet_id"]), "in_response_to_tweet_id": ids(posts["in_response_to_tweet_id"]),
    }, path)
