"""Twitter (X) API v2 exports: raw response pages and twarc2's flattened tweets, one parser for both.

- a response page (`twarc2 search` output, the API's own JSON), one per line or one per file:
  `{"data": [tweet, ...], "includes": {"users": [...], "tweets": [...]}, "meta": {...}}`;
- flattened (`twarc2 flatten`): one tweet per line, its `author` (and `in_reply_to_user`) inline.

Every tweet of `data` is a record (a page of 100 tweets is 100 records). The customer is the author's
`username` (a handle, `@name`, which `customers.handle` stitches to a CRM id); the numeric
`author_id` stays in raw.records as read. `conversation_id` is the thread: replies thread on the
tweet that started the conversation even when that tweet is not in the file. Posts by a
`--brand-account` are the company's side (outbound, agent text), replies or not; a brand reply's
customer is the user it answers.

Retweets are not contacts (docs/metrics.md, Contacts): they land in raw.records and are counted as
`skipped, not contacts: retweet` in the ingest summary, never in staging, so no mart counts them.
Quote tweets and replies carry the author's own words and are contacts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipelines.ingest.encoding import read_text
from pipelines.ingest.records import IngestOptions, Parsed

SNIFF_BYTES = 64 * 1024
RETWEET = "retweet"
NO_AUTHOR = "the author's username is not in the file (no includes.users / author): loaded without a customer"
# The parser module's formats are sniffed before the bulk social_jsonl reader (see __init__.detect_format).
SNIFFS_CONTENT = True


def detect_format(path: Path) -> str | None:
    """`twitter_v2` when the file's first bytes are an API v2 page or a v2 tweet; else None."""
    if path.suffix.lower() not in {".json", ".jsonl", ".ndjson"}:
        return None
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n[")
    if not head.startswith(b"{") or b'"author_id"' not in head:
        return None
    page = head[:40].replace(b" ", b"").startswith(b'{"data":[')
    if page or b'"conversation_id"' in head or b'"__twarc"' in head or b'"edit_history_tweet_ids"' in head:
        return "twitter_v2"
    return None


def _values(text: str) -> Iterator[tuple[int, Any, str | None]]:
    """(line, JSON value, error) for a whole-file JSON value or one value per line."""
    try:
        yield 1, json.loads(text), None
        return
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            if "\n" not in text.strip():
                yield 1, None, f"malformed JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
                return
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield line_no, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield line_no, line[:200], f"malformed JSON: line {line_no} column {exc.colno}: {exc.msg}"


def _tweets(value: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]]:
    """(tweet, author, replied-to user) for every tweet in a page, a flat tweet or a list of either."""
    if isinstance(value, list):
        for item in value:
            yield from _tweets(item)
        return
    if not isinstance(value, dict):
        return
    if isinstance(value.get("data"), list):  # a response page
        users = {
            u.get("id"): u for u in (value.get("includes") or {}).get("users") or [] if isinstance(u, dict)
        }
        for tweet in value["data"]:
            if isinstance(tweet, dict):
                yield tweet, users.get(tweet.get("author_id")), users.get(tweet.get("in_reply_to_user_id"))
    elif isinstance(value.get("data"), dict):  # a single-tweet lookup
        yield from _tweets({**value, "data": [value["data"]]})
    else:  # a flattened tweet
        author = value.get("author") if isinstance(value.get("author"), dict) else None
        replied = value.get("in_reply_to_user") if isinstance(value.get("in_reply_to_user"), dict) else None
        yield value, author, replied


def _refs(tweet: dict[str, Any], kind: str) -> list[str]:
    return [
        str(r.get("id"))
        for r in tweet.get("referenced_tweets") or []
        if isinstance(r, dict) and r.get("type") == kind and r.get("id") is not None
    ]


def tweet_value(
    tweet: dict[str, Any], author: dict[str, Any] | None, replied: dict[str, Any] | None, brands: set[str]
) -> dict[str, Any]:
    """The staging value of one v2 tweet (not a retweet); raises ValueError with the reject reason."""
    if tweet.get("id") in (None, ""):
        raise ValueError("missing id: tweet has no 'id'")
    handle = (author or {}).get("username")
    replied_handle = (replied or {}).get("username")
    outbound = bool(handle) and handle.lower() in brands
    mentions = [
        m.get("username") for m in (tweet.get("entities") or {}).get("mentions") or [] if isinstance(m, dict)
    ]
    brand_mentioned = next((m for m in [replied_handle, *mentions] if m and m.lower() in brands), None)
    parent = next(iter(_refs(tweet, "replied_to")), None)
    customer = (
        replied_handle if outbound and replied_handle and replied_handle.lower() not in brands else None
    )
    text = tweet.get("text")
    return {
        "source_id": str(tweet["id"]),
        "channel": "social",
        "direction": "outbound" if outbound else "inbound",
        "customer_ref_type": "handle" if (customer if outbound else handle) else None,
        "customer_ref": customer if outbound else handle,
        "occurred_at": tweet.get("created_at"),
        "text": None if outbound else text,
        "agent_text": text if outbound else None,
        "agent_id": handle if outbound else None,
        "thread_id": str(tweet.get("conversation_id") or parent or tweet["id"]),
        "brand": handle if outbound else brand_mentioned,
    }


def parse_twitter_v2(path: Path, options: IngestOptions) -> Iterator[Parsed]:
    """One Parsed per tweet of the file (record_no from 1, across pages); retweets are `skip`ped."""
    text, _ = read_text(path, options.encoding)
    if not text.strip():
        return
    brands = {b.lstrip("@").lower() for b in options.brand_accounts}
    no = 0
    for _line, value, error in _values(text):
        if error is not None:
            no += 1
            yield Parsed(no, {"excerpt": value}, error=error)
            continue
        for tweet, author, replied in _tweets(value):
            no += 1
            if _refs(tweet, "retweeted"):
                yield Parsed(no, tweet, skip=RETWEET)
                continue
            try:
                row = tweet_value(tweet, author, replied, brands)
            except ValueError as exc:
                yield Parsed(no, tweet, error=str(exc))
                continue
            warning = NO_AUTHOR if author is None else None
            yield Parsed(no, tweet, value=row, warning=warning)


PARSERS = {"twitter_v2": parse_twitter_v2}
