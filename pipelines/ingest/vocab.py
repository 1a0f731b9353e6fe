"""The ingest vocabularies, defined once: channels, directions, speakers and how exports spell them.

Every load path reads these: Python parsers through `speaker()` / `channel()`, the bulk SQL
through `speaker_sql()` / `channel_sql()`, which are generated from the same tables. So `bot`,
`SMS` or `Caller 1` mean the same thing whichever format a file is in.

>>> speaker("Caller 1"), speaker("BOT"), channel("SMS"), channel("Web form")
('customer', 'agent', 'chat', 'email')
"""

from __future__ import annotations

import re

CHANNELS = ("call", "chat", "email", "social")
DIRECTIONS = ("inbound", "outbound")
SPEAKER_ROLES = ("customer", "agent", "system")

# Exact speaker labels (lower-case, a trailing number such as `Caller 1` dropped, spaces as `_`).
# A bot answers for the company, so its turns are on the agent side (agent_text, agent sentiment).
SPEAKERS = {
    **dict.fromkeys(
        ("customer", "caller", "client", "user", "cust", "visitor", "consumer", "human", "end_user",
         "enduser", "buyer", "contact", "guest", "lead"),
        "customer",
    ),
    **dict.fromkeys(
        ("agent", "rep", "representative", "advisor", "adviser", "operator", "assistant", "support",
         "staff", "csr", "supervisor", "custom_bot", "bot", "chatbot", "virtual_agent", "consultant",
         "admin", "teammate"),  # Intercom's message authors: user / lead / admin / bot
        "agent",
    ),
    **dict.fromkeys(("system", "action", "event", "ivr", "note"), "system"),
}

# Exact channel labels first, then keywords found anywhere in the label (first match wins):
# `Phone call (inbound)` -> call, `Web form` -> email. Anything else is rejected with its value.
CHANNEL_ALIASES = {
    **dict.fromkeys(("call", "voice", "phone", "telephone", "ivr"), "call"),
    **dict.fromkeys(("chat", "messaging", "webchat", "sms", "text", "whatsapp", "livechat"), "chat"),
    **dict.fromkeys(("email", "e-mail", "mail"), "email"),
    **dict.fromkeys(("social", "twitter", "facebook", "instagram"), "social"),
}
CHANNEL_KEYWORDS = (
    ("phone|voice|call", "call"),
    ("chat|messag|sms|whatsapp", "chat"),
    ("social|twitter|facebook|instagram|tweet", "social"),
    ("mail|web|fax|referral|letter|form|portal", "email"),
)
DIRECTION_ALIASES = {
    **dict.fromkeys(("inbound", "in", "incoming", "received"), "inbound"),
    **dict.fromkeys(("outbound", "out", "outgoing", "sent"), "outbound"),
}

_TRAILING_NUMBER = re.compile(r"[\s_-]*\d+$")


def speaker_key(label: object) -> str:
    """A speaker label as looked up in SPEAKERS: `'Caller 1'` -> `'caller'`."""
    return _TRAILING_NUMBER.sub("", str(label or "").strip().lower()).strip().replace(" ", "_")


def speaker(label: object) -> str | None:
    """`customer`, `agent` or `system` for a label as exports write it; None when unknown."""
    return SPEAKERS.get(speaker_key(label))


def channel(label: object) -> str | None:
    """One of CHANNELS for a label as exports write it; None when unknown (or empty)."""
    low = str(label or "").strip().lower()
    if not low:
        return None
    if low in CHANNEL_ALIASES:
        return CHANNEL_ALIASES[low]
    for pattern, name in CHANNEL_KEYWORDS:
        if re.search(pattern, low):
            return name
    return None


def direction(label: object) -> str | None:
    """`inbound` or `outbound`; None when unknown. An empty label is inbound (customers write in)."""
    low = str(label or "").strip().lower()
    return DIRECTION_ALIASES.get(low or "inbound")


def _sql_in(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _sql_map(key: str, table: dict[str, str], roles: tuple[str, ...]) -> str:
    return " ".join(
        f"WHEN {key} IN ({_sql_in([k for k, v in table.items() if v == role])}) THEN '{role}'" for role in roles
    )


def speaker_sql(expr: str) -> str:
    """The SQL twin of `speaker()` over VARCHAR `expr` (an identifier or constant-built expression)."""
    key = f"replace(trim(regexp_replace(lower(trim({expr})), '[\\s_-]*[0-9]+$', '')), ' ', '_')"
    return f"CASE {_sql_map(key, SPEAKERS, SPEAKER_ROLES)} END"


def channel_sql(expr: str) -> str:
    """The SQL twin of `channel()`: NULL for an empty label, the lower-cased label when unknown.

    Callers test the result against CHANNELS and reject with the label the file had.
    """
    low = f"lower(trim({expr}))"
    keywords = " ".join(f"WHEN regexp_matches({low}, '{p}') THEN '{c}'" for p, c in CHANNEL_KEYWORDS)
    return (
        f"CASE WHEN NULLIF({low}, '') IS NULL THEN NULL {_sql_map(low, CHANNEL_ALIASES, CHANNELS)} "
        f"{keywords} ELSE {low} END"
    )


def direction_sql(expr: str) -> str:
    """The SQL twin of `direction()`: the lower-cased label when unknown (callers reject it)."""
    low = f"lower(trim({expr}))"
    return (
        f"CASE WHEN NULLIF({low}, '') IS NULL THEN 'inbound' "
        f"{_sql_map(low, DIRECTION_ALIASES, DIRECTIONS)} ELSE {low} END"
    )
