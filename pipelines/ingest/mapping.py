"""Column mapping: which source column feeds which warehouse field.

Field names are the warehouse's column names (`staging.interactions`, `staging.customers`, ...)
plus a few structural ones a format needs (`in_reply_to`, `inbound`, `speaker`, `turn_no`,
`begin_s`, `end_s`, `customer_email`, `customer_phone`, `customer_handle`). Each known format has
defaults, matched against the header after normalising names (`Date received`, `Date_received` and
`date_received` are the same column). A mapping file (TOML or YAML) and `--column field=column`
override the defaults, in that order.

Mapping file example (TOML)::

    [columns]
    text = "Message Body"
    occurred_at = "Created (UTC)"
    customer_id = "Author"
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pipelines.errors import UserError

INTERACTION_FIELDS = (
    "source_id",
    "channel",
    "direction",
    "customer_id",
    "customer_email",
    "customer_phone",
    "customer_handle",
    "occurred_at",
    "text",
    "agent_text",
    "subject",
    "agent_id",
    "duration_s",
    "thread_id",
    "brand",
    "queue",
    "source_category",
    "in_reply_to",
    "inbound",
    "speaker",
    "turn_no",
    "begin_s",
    "end_s",
)
CUSTOMER_FIELDS = (
    "customer_id",
    "segment",
    "plan",
    "revenue",
    "margin",
    "tenure_months",
    "churned",
    "churned_at",
    "clv",
    "email",
    "phone",
    "handle",
)
TRANSACTION_FIELDS = ("customer_id", "occurred_at", "amount")

_SOCIAL = {
    "source_id": ("tweet_id", "post_id", "status_id", "message_id", "id"),
    "occurred_at": ("tweet_created", "created_at", "posted_at", "timestamp", "date", "time"),
    "text": ("text", "full_text", "body", "message", "content", "tweet"),
    "customer_id": ("name", "author_id", "author", "screen_name", "username", "user_name", "user", "handle"),
    "in_reply_to": (
        "in_response_to_tweet_id",
        "in_reply_to_status_id",
        "in_reply_to",
        "reply_to",
        "parent_id",
    ),
    "inbound": ("inbound",),
    "brand": ("airline", "brand", "company"),
    "source_category": ("negativereason",),
    "thread_id": ("thread_id",),
}
_UTTERANCES = {
    "source_id": (
        "conversation_id",
        "convo_id",
        "call_id",
        "contact_id",
        "chat_id",
        "session_id",
        "conversation",
    ),
    "turn_no": ("turn_no", "turn_index", "turn", "utterance_no", "seq", "sequence"),
    "speaker": ("speaker", "role", "participant", "participant_role", "party", "speaker_role"),
    "text": ("text", "utterance", "transcript", "message", "content"),
    "begin_s": ("begin_s", "begin_offset_s", "start_s", "begin", "start", "start_time_s"),
    "end_s": ("end_s", "end_offset_s", "stop_s", "end", "stop", "end_time_s"),
    "occurred_at": (
        "occurred_at",
        "started_at",
        "start_time",
        "call_start",
        "created_at",
        "timestamp",
        "date",
    ),
    "customer_id": ("customer_id", "account_id", "customer"),
    "customer_phone": ("phone", "caller_number", "customer_phone", "ani"),
    "customer_email": ("email", "customer_email"),
    "agent_id": ("agent_id", "agent"),
    "channel": ("channel", "media", "medium"),
    "queue": ("queue", "skill"),
    "brand": ("brand",),
    "direction": ("direction",),
    "source_category": ("source_category", "category", "disposition", "flow"),
}
_HELPDESK = {
    "source_id": ("ticket_id", "ticket", "case_id", "case_number", "message_id", "id"),
    "occurred_at": ("created_at", "created", "submitted_at", "opened_at", "date", "timestamp"),
    "text": ("description", "body", "message", "text", "content", "comment"),
    "subject": ("subject", "title"),
    "customer_email": ("requester_email", "customer_email", "email", "from", "sender", "requester"),
    "customer_id": ("customer_id", "account_id"),
    "agent_id": ("assignee", "agent_id", "agent", "owner"),
    "agent_text": ("agent_reply", "response", "reply"),
    "queue": ("group", "queue", "team", "department"),
    "channel": ("channel", "via"),
    "thread_id": ("thread_id",),
    "brand": ("brand",),
    "source_category": ("category", "type", "reason"),
}
_CFPB = {
    "source_id": ("complaint_id",),
    "occurred_at": ("date_received",),
    "text": ("consumer_complaint_narrative",),
    "subject": ("sub_issue",),
    "source_category": ("issue",),
    "brand": ("company",),
    "queue": ("product",),
    "channel": ("submitted_via",),
}
_CUSTOMERS = {f: (f,) for f in CUSTOMER_FIELDS} | {
    "customer_id": ("customer_id", "crm_id", "account_id", "id", "customer"),
    "revenue": ("revenue", "annual_revenue", "arr"),
    "tenure_months": ("tenure_months", "tenure"),
    "churned": ("churned", "churn", "is_churned"),
    "churned_at": ("churned_at", "churn_date", "churned_on"),
    "email": ("email", "email_address"),
    "phone": ("phone", "phone_number", "mobile"),
    "handle": ("handle", "twitter", "twitter_handle", "social_handle"),
}
_TRANSACTIONS = {
    "customer_id": ("customer_id", "crm_id", "account_id", "customer"),
    "occurred_at": ("occurred_at", "transaction_date", "date", "created_at", "timestamp"),
    "amount": ("amount", "value", "total", "revenue"),
}
DEFAULTS: dict[str, dict[str, tuple[str, ...]]] = {
    "social_csv": _SOCIAL,
    "social_jsonl": _SOCIAL,
    "utterances_csv": _UTTERANCES,
    "helpdesk_csv": _HELPDESK,
    "cfpb_csv": _CFPB,
    "customers_csv": _CUSTOMERS,
    "transactions_csv": _TRANSACTIONS,
}
FIELDS = {
    "social_csv": INTERACTION_FIELDS,
    "social_jsonl": INTERACTION_FIELDS,
    "utterances_csv": INTERACTION_FIELDS,
    "helpdesk_csv": INTERACTION_FIELDS,
    "cfpb_csv": INTERACTION_FIELDS,
    "customers_csv": CUSTOMER_FIELDS,
    "transactions_csv": TRANSACTION_FIELDS,
}


class MappingError(UserError, ValueError):
    """A mapping that cannot be used; the message names the field or file and the fix."""


def norm(name: str) -> str:
    """Header names compared loosely: 'Date received' == 'Date_received' == 'date_received'."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def load_mapping_file(path: str | Path) -> dict[str, str]:
    """field -> column from a TOML or YAML file (a `[columns]` table, or a flat table)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise MappingError(f"cannot read mapping file {path}: {exc}") from exc
    table = data.get("columns", data) if isinstance(data, dict) else None
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise MappingError(f'{path}: expected a [columns] table of field = "column name" strings')
    return dict(table)


def parse_column_args(items: list[str] | None) -> dict[str, str]:
    """`['text=Body', 'occurred_at=Created']` -> dict; raises on items without '='."""
    out = {}
    for item in items or []:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise MappingError(f"--column {item!r}: expected FIELD=COLUMN, e.g. --column text=body")
        out[field.strip()] = column.strip()
    return out


def resolve(fmt: str, header: list[str], explicit: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(field -> actual header column, unknown: field -> mapped column not in the header).

    Raises MappingError for a field name the format does not have.
    """
    fields = FIELDS[fmt]
    bad = sorted(set(explicit) - set(fields))
    if bad:
        raise MappingError(f"unknown field(s) {', '.join(bad)} for {fmt}; fields are: {', '.join(fields)}")
    by_norm: dict[str, str] = {}
    for col in header:
        by_norm.setdefault(norm(col), col)
    found: dict[str, str] = {}
    for field, candidates in DEFAULTS[fmt].items():
        for cand in candidates:
            if cand in by_norm:
                found[field] = by_norm[cand]
                break
    unknown: dict[str, str] = {}
    for field, column in explicit.items():
        actual = column if column in header else by_norm.get(norm(column))
        if actual is None:
            unknown[field] = column
            found.pop(field, None)
        else:
            found[field] = actual
    return found, unknown
