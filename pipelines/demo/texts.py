"""Words for the schedule: call/chat turns (vectorised), email bodies and social posts.

A normal call or chat runs greeting, the customer's problem, empathy, detail, the agent's action,
0-6 follow-up pairs, then a resolution (or an escalation) and the customer's closing line, so the
customer's mood can turn around (negative start, resolved, positive close) or sour. A transfer leg is
4 turns: greeting, problem, "I'll transfer you", "OK".
"""

from __future__ import annotations

import numpy as np

from pipelines.demo.contacts import CHAT, R
from pipelines.demo.phrases import SLOT, Pools

AGENT_SLOTS = {SLOT[s] for s in ("greet_call", "greet_chat", "empathy", "ask", "action", "a_follow", "resolve",
                                 "unresolved", "transfer")}
NEGATIVE_SLOTS = {SLOT[s] for s in ("open_neg", "open_rep", "close_neg")}
POSITIVE_SLOTS = {SLOT["close_pos"]}


def turns(contacts: dict[str, np.ndarray], idx: np.ndarray, pools: Pools, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Columns of one row per turn of the call/chat contacts `idx`.

    conv (contact index), turn_no (1-based), agent (bool), text_idx (into `pools.texts`), begin_s, end_s,
    sentiment (0 negative, 1 neutral, 2 positive: the per-turn label Transcribe files carry).
    """
    transfer = contacts["kind"][idx] == 1
    n_turns = np.where(transfer, 4, 7 + 2 * contacts["extra"][idx])
    conv = np.repeat(idx, n_turns)
    start = np.cumsum(n_turns) - n_turns
    pos = np.arange(n_turns.sum()) - np.repeat(start, n_turns)
    n = np.repeat(n_turns, n_turns)
    reason = contacts["reason"][conv]
    chat = contacts["channel"][conv] == CHAT
    negative = contacts["negative"][conv]
    resolved = contacts["resolved"][conv]
    opener = np.where(contacts["repeat"][conv], SLOT["open_rep"], np.where(negative, SLOT["open_neg"], SLOT["open_neu"]))
    leg = np.repeat(transfer, n_turns)
    slot = np.select(
        [pos == 0, pos == 1, leg & (pos == 2), leg & (pos == 3), pos == 2, pos == 3, pos == 4,
         pos == n - 2, pos == n - 1, (pos - 5) % 2 == 0],
        [np.where(chat, SLOT["greet_chat"], SLOT["greet_call"]), opener, SLOT["transfer"], SLOT["transfer_ok"],
         np.where(rng.random(len(conv)) < 0.3, SLOT["ask"], SLOT["empathy"]), SLOT["detail"], SLOT["action"],
         np.where(resolved, SLOT["resolve"], SLOT["unresolved"]), np.where(resolved, SLOT["close_pos"], SLOT["close_neg"]),
         SLOT["follow"]],
        SLOT["a_follow"],
    )
    text_idx = pools.pick(reason, slot, rng)
    # Speaking time ~ 15 characters a second on calls; chats add typing and reading pauses.
    dur = pools.lengths[text_idx] / np.where(chat, 6.0, 15.0) + rng.uniform(0.3, 2.5, len(conv)) + chat * 8.0
    end = np.cumsum(dur)
    conv_start = np.repeat(end[start] - dur[start], n_turns)
    end_s = np.round(end - conv_start, 2)
    begin_s = np.round(end_s - dur + np.minimum(0.3, dur / 4), 2)
    agent = np.isin(slot, list(AGENT_SLOTS))
    sentiment = np.where(np.isin(slot, list(NEGATIVE_SLOTS)), 0, np.where(np.isin(slot, list(POSITIVE_SLOTS)), 2, 1))
    return {"conv": conv, "turn_no": pos + 1, "agent": agent, "text_idx": text_idx,
            "begin_s": begin_s, "end_s": end_s, "sentiment": sentiment}


def email_parts(contacts: dict[str, np.ndarray], idx: np.ndarray, pools: Pools, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The phrase pieces of each email thread: subject, customer body, agent reply, optional follow-up."""
    reason = contacts["reason"][idx]
    opener = np.where(contacts["repeat"][idx], "open_rep", "open_neu")
    neg = contacts["negative"][idx]
    pick = lambda slot: pools.texts[pools.pick(reason, slot, rng)]  # noqa: E731
    resolved = contacts["resolved"][idx]
    return {
        "subject": pick("subject"),
        "open": np.where(opener == "open_rep", pick("open_rep"), np.where(neg, pick("open_neg"), pick("open_neu"))),
        "detail": pick("detail"),
        "close": np.where(neg, pick("close_neg"), "Thanks in advance."),
        "empathy": pick("empathy"), "action": pick("action"),
        "outcome": np.where(resolved, pick("resolve"), pick("unresolved")),
        "follow": pick("follow"), "follow_close": pick("close_neg"),
        "has_follow": ~resolved & (rng.random(len(idx)) < 0.5),
    }


SOCIAL_REPLY = (
    "Sorry to hear this! Please DM us your account number and we'll take a look.",
    "We're sorry for the trouble. Can you send us a DM with more details?",
    "Thanks for reaching out. We'd like to help, please check your DMs.",
    "Really sorry about this. Our team is on it, please DM us your order or account number.",
    "Hi, that's not the experience we want for you. Drop us a DM and we'll sort it.",
)
SOCIAL_THANKS = ("Thanks so much for the kind words! We'll pass this on to the team.",
                 "That's lovely to hear, thanks for letting us know!")
HASHTAGS = ("", "", "", " #fail", " #customerservice", " #notimpressed", " #help", " #northwind")


def social_parts(contacts: dict[str, np.ndarray], idx: np.ndarray, pools: Pools, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Customer post, brand reply and optional customer follow-up for each social contact."""
    reason = contacts["reason"][idx]
    neg = contacts["negative"][idx]
    rep = contacts["repeat"][idx]
    pick = lambda slot: pools.texts[pools.pick(reason, slot, rng)]  # noqa: E731
    post = np.where(rep, pick("open_rep"), np.where(neg, pick("open_neg"), pick("open_neu")))
    tags = np.asarray(HASHTAGS, dtype=object)[rng.integers(len(HASHTAGS), size=len(idx))]
    praise = reason == R["praise"]
    reply = np.where(praise, np.asarray(SOCIAL_THANKS, dtype=object)[rng.integers(len(SOCIAL_THANKS), size=len(idx))],
                     np.asarray(SOCIAL_REPLY, dtype=object)[rng.integers(len(SOCIAL_REPLY), size=len(idx))])
    resolved = contacts["resolved"][idx]
    return {"post": post + np.where(neg, tags, ""), "reply": reply, "follow": pick("close_neg"),
            "has_follow": ~resolved & (rng.random(len(idx)) < 0.4)}

