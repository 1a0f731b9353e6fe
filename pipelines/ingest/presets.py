"""Column-mapping presets for the exports contact centers have, recognised from the header row.

A preset names, for one vendor's export, which column feeds which warehouse field. It is chosen
when every column of its `signature` is in the file's header (names compared loosely: `Ticket ID`
= `ticket_id`); the most specific match wins. A preset sits between the format's generic aliases
(`pipelines.ingest.mapping.DEFAULTS`) and the user's own `--mapping` / `--column`, which still win.

Column names are the vendors' documented ones (sources in `source`). Exports that hold no words
(call detail records from Genesys Cloud, Five9 or Twilio) are not contacts this product can read:
`--list-formats` says so rather than offering a preset that would reject every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.ingest.mapping import norm


@dataclass(frozen=True)
class Preset:
    """One export layout: `columns` maps a warehouse field to candidate header names (first found wins)."""

    name: str
    fmt: str
    title: str
    signature: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    source: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    flags: str = ""  # what the example command adds (`--channel chat`)

    def mapping(self, header: list[str]) -> dict[str, str]:
        """field -> the header's own column name, for the fields whose column the file has."""
        by_norm: dict[str, str] = {}
        for col in header:
            by_norm.setdefault(norm(col), col)
        found = {}
        for fld, candidates in self.columns.items():
            col = next((by_norm[norm(c)] for c in candidates if norm(c) in by_norm), None)
            if col is not None:
                found[fld] = col
        return found


PRESETS: tuple[Preset, ...] = (
    Preset(
        "zendesk_tickets",
        "helpdesk_csv",
        "Zendesk Support ticket CSV export (Admin Center > Reports > Export)",
        ("id", "subject", "requester", "via", "created_at"),
        {
            "source_id": ("Id",),
            "subject": ("Subject",),
            "text": ("Description", "Subject"),
            "customer_email": ("Requester email",),
            "customer_id": ("Requester external id",),
            "occurred_at": ("Created at",),
            "agent_id": ("Assignee",),
            "queue": ("Group",),
            "channel": ("Via",),
            "source_category": ("Ticket type",),
            "brand": ("Brand",),
        },
        "Zendesk help center, 'Exporting data to a JSON, CSV, or XML file'; Zendesk ticket API fields",
        (
            "Zendesk's CSV export has no description or comments: the subject is the text unless a "
            "Description column is present (add it from a view export or the JSON export).",
        ),
    ),
    Preset(
        "freshdesk_tickets",
        "helpdesk_csv",
        "Freshdesk ticket export (Tickets > Export, CSV)",
        ("ticket_id", "subject", "source", "created_time"),
        {
            "source_id": ("Ticket ID",),
            "subject": ("Subject",),
            "text": ("Description", "Subject"),
            "customer_email": ("Email",),
            "customer_id": ("Contact ID",),
            "occurred_at": ("Created time",),
            "agent_id": ("Agent",),
            "queue": ("Group",),
            "channel": ("Source",),
            "source_category": ("Type",),
            "brand": ("Product",),
        },
        "Freshdesk ticket fields (API v2 ticket schema: subject, description, source, created_at, type)",
        ("Pick 'Description' in Freshdesk's export dialog; without it the subject is the text.",),
    ),
    Preset(
        "salesforce_cases_report",
        "helpdesk_csv",
        "Salesforce Service Cloud cases, report export (field labels)",
        ("case_number", "subject", "case_origin"),
        {
            "source_id": ("Case Number", "Case ID"),
            "subject": ("Subject",),
            "text": ("Description", "Subject"),
            "customer_email": ("Contact Email", "Web Email", "Email Address"),
            "customer_id": ("Account ID", "Contact ID", "Account Name"),
            "occurred_at": ("Date/Time Opened", "Created Date", "Opened Date"),
            "agent_id": ("Case Owner",),
            "channel": ("Case Origin",),
            "source_category": ("Case Reason", "Case Type"),
            "brand": ("Company",),
        },
        "Salesforce Field Reference: Case (labels Case Number, Case Origin, Date/Time Opened, "
        "Description...)",
    ),
    Preset(
        "salesforce_cases_api",
        "helpdesk_csv",
        "Salesforce Service Cloud cases, Data Loader / API export (API names)",
        ("casenumber", "subject", "origin", "createddate"),
        {
            "source_id": ("CaseNumber", "Id"),
            "subject": ("Subject",),
            "text": ("Description", "Subject"),
            "customer_email": ("ContactEmail", "SuppliedEmail"),
            "customer_id": ("AccountId", "ContactId"),
            "occurred_at": ("CreatedDate",),
            "agent_id": ("OwnerId",),
            "channel": ("Origin",),
            "source_category": ("Reason", "Type"),
            "brand": ("SuppliedCompany",),
        },
        "Salesforce Object Reference: Case (CaseNumber, Origin, CreatedDate, SuppliedEmail, Description...)",
    ),
    Preset(
        "intercom_messages",
        "utterances_csv",
        "Intercom conversation export, one row per message",
        ("conversation_id", "message_body", "message_author_type"),
        {
            "source_id": ("conversation_id",),
            "text": ("message_body",),
            "speaker": ("message_author_type",),
            "occurred_at": ("conversation_created_at", "message_created_at"),
            "customer_email": ("message_author_email",),
            "channel": ("conversation_channel", "channel"),
        },
        "IntercomExport help: 'What does the Intercom conversation export contain' (message_* columns, UTC)",
        ("Message authors user/lead/contact are the customer, admin/bot/teammate the agent side.",),
        "--channel chat",
    ),
    Preset(
        "customer_support_tickets",
        "helpdesk_csv",
        "Customer Support Ticket Dataset (Kaggle-style ticket export: Ticket Subject, Ticket Description...)",
        ("ticket_id", "ticket_subject", "ticket_description", "ticket_channel"),
        {
            "source_id": ("Ticket ID",),
            "subject": ("Ticket Subject",),
            "text": ("Ticket Description",),
            "customer_email": ("Customer Email",),
            "channel": ("Ticket Channel",),
            "occurred_at": ("Ticket Created", "Created At", "First Response Time"),
            "source_category": ("Ticket Type",),
            "queue": ("Product Purchased",),
        },
        "the public ticket dataset in ../shared/datasets/real_exports/helpdesk (README there)",
        (
            "The export has no creation time: occurred_at is the First Response Time; tickets not yet "
            "answered take the --occurred-at fallback (default: the file's mtime, with a warning).",
        ),
    ),
    Preset(
        "multilang_tickets",
        "helpdesk_csv",
        "Multilingual support tickets (subject, body, answer, queue, priority, language)",
        ("subject", "body", "answer", "queue", "priority", "language"),
        {
            "subject": ("subject",),
            "text": ("body",),
            "agent_text": ("answer",),
            "queue": ("queue",),
            "source_category": ("type",),
        },
        "the public ticket dataset in ../shared/datasets/real_exports/helpdesk (README there)",
        (
            "No id and no date columns: ids are derived from the content (the same ticket keeps its id "
            "across re-exports) and occurred_at takes the --occurred-at fallback.",
        ),
    ),
)
# Documented call exports that carry no words: listed, never guessed into a preset.
NO_TEXT_EXPORTS = (
    ("Genesys Cloud interaction / conversation detail export", "call metadata only (ANI, queue, durations)"),
    ("Five9 call log report", "call metadata only (CALL ID, ANI, DNIS, disposition, talk time)"),
    (
        "Twilio call logs (Calls resource / console CSV)",
        "call metadata only (Sid, From, To, Duration, Status)",
    ),
)


def detect(fmt: str, header: list[str]) -> Preset | None:
    """The preset of format `fmt` whose whole signature is in `header` (the longest signature wins).

    >>> detect("helpdesk_csv", ["Ticket ID", "Subject", "Source", "Created time", "Status"]).name
    'freshdesk_tickets'
    """
    names = {norm(c) for c in header}
    matches = [p for p in PRESETS if p.fmt == fmt and set(p.signature) <= names]
    return max(matches, key=lambda p: len(p.signature), default=None)


def by_name(name: str) -> Preset:
    """The preset called `name`; raises KeyError listing the presets."""
    for preset in PRESETS:
        if preset.name == name:
            return preset
    raise KeyError(f"unknown preset {name!r}; presets: {', '.join(p.name for p in PRESETS)}")
