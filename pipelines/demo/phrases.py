"""Phrase pools: every wording the demo can say, rendered once per run and then picked by index.

Rendering templates per interaction in Python would not reach a million interactions in minutes,
so each (reason, slot) gets a pool of pre-rendered variants (template x slot values x opener x
closer x typo), and the generator picks pool indices with numpy. Whole interactions stay varied
because each one combines 4-12 independently drawn pieces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pipelines.demo.reasons import CATALOGUE, SLOTS, Reason

# Mood-bearing customer openers: polite anger, plain anger, sarcasm, and neutral greetings.
OPEN_NEG = (
    "This is ridiculous.", "I'm really not happy.", "Honestly, I'm fuming.", "Not impressed at all.",
    "I'm sorry but this is unacceptable.", "With respect, this is a joke.", "Great, just great.",
    "Third time lucky, maybe?", "I'm so frustrated right now.", "I've had it with this.",
    "Absolutely useless.", "I'm beyond annoyed.", "Why is nothing ever simple with you?", "",
)
OPEN_REPEAT = (
    "This is the second time I'm contacting you about this.", "I called about this last week and it's still not fixed.",
    "I'm getting in touch again because nothing has happened.", "Me again.", "Yet again.",
    "I already explained this to your colleague.", "Still waiting on this one.",
)
OPEN_NEU = ("Hi.", "Hello.", "Hi there.", "Good morning.", "Good afternoon.", "Hiya.", "Hello, hope you're well.", "")
OPEN_SUFFIX_NEG = (
    "", "", "Sort it out please.", "This keeps happening.", "I expect better.", "Fantastic service as always, not.",
    "Can someone actually help me?", "I've wasted enough time on this.",
)
CLOSE_POS = (
    "Thank you so much, that's sorted it.", "Brilliant, thanks for your help.", "Perfect, thanks a lot.",
    "That's great, really appreciate it.", "Lovely, you've been really helpful.", "Thanks, that's a relief.",
    "Ok great, thank you.", "Cheers, have a good day.", "Amazing, thanks for sorting that so quickly.",
)
CLOSE_NEG = (
    "Fine. I'm not holding my breath.", "This is ridiculous, I'll be looking elsewhere.", "Whatever. I've heard that before.",
    "Great, another week of waiting, just what I needed.", "So nothing is actually fixed then.", "I'm very disappointed.",
    "Right. I'll be calling back if it isn't done.", "I can't believe how hard this is.", "Useless. Absolutely useless.",
    "Thanks for nothing.", "OK but I'm not happy about it.",
)
FOLLOW_GENERIC = ("how long will that take", "is there anything I need to do", "can you put that in writing",
                  "will I get an email confirming it", "and what if it doesn't work")
GREET_CALL = (
    "Thank you for calling Northwind Connect, my name is {agent}, how can I help?",
    "Good morning, you're through to Northwind Connect, {agent} speaking.",
    "Hello, Northwind Connect customer care, this is {agent}, how can I help you today?",
    "Hi, thanks for holding, you're speaking with {agent}. What can I do for you?",
)
GREET_CHAT = (
    "Hi, you're chatting with {agent} from Northwind Connect. How can I help?",
    "Hello! {agent} here. What can I help you with today?",
    "Welcome to Northwind Connect chat, I'm {agent}. How can I help?",
)
EMPATHY = (
    "I'm sorry to hear that, let me look into it for you.", "I completely understand, that's frustrating.",
    "I'm really sorry about that, let's get it sorted.", "Thanks for explaining, I can see why you're upset.",
    "I apologise for the trouble this has caused.", "Oh no, I'm sorry. Let me help you with that.",
    "Right, I understand. Can I take your account number please?",
)
ASK = ("Can you confirm your postcode for me?", "Could I have your account number please?",
       "Just to confirm, is that the account ending 482?", "Let me just pull up your account.")
AGENT_FOLLOW = ("Let me check that for you.", "One moment while I look at that.", "That's a good question, let me confirm.",
                "I'll add a note so everyone can see it.", "Bear with me a second.")
UNRESOLVED = (
    "I've escalated this to the specialist team and they'll be in touch within 48 hours.",
    "I'm afraid I can't fix that from here, I've raised a ticket for you.",
    "I've logged it and someone will call you back.", "Unfortunately the system won't let me do that today, I've passed it on.",
)
TRANSFER = ("I'll need to transfer you to the right team, please hold.", "Let me put you through to my colleague in that team.",
            "That's handled by another department, I'm transferring you now.")
TRANSFER_OK = ("Ok.", "Fine, thanks.", "Again? OK.", "Alright.")
AGENTS_FIRST = ("Sarah", "James", "Priya", "Tom", "Aisha", "Mark", "Chloe", "Daniel", "Emma", "Ravi", "Lucy", "Ben")

GENERIC_SLOTS = ("greet_call", "greet_chat", "empathy", "ask", "a_follow", "unresolved", "close_pos", "close_neg",
                 "transfer", "transfer_ok")
REASON_SLOTS = ("open_rep", "open_neg", "open_neu", "detail", "follow", "action", "resolve", "subject")
SLOT_NAMES = REASON_SLOTS + GENERIC_SLOTS
SLOT = {name: i for i, name in enumerate(SLOT_NAMES)}

_SLOT_RE = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: np.random.Generator) -> str:
    """Fill every `{slot}` of a template with a random value of that slot."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "agent":
            return AGENTS_FIRST[rng.integers(len(AGENTS_FIRST))]
        options = SLOTS[name]
        return options[rng.integers(len(options))]
    return _SLOT_RE.sub(value, template)


def typo(text: str, rng: np.random.Generator) -> str:
    """A human slip: swap two letters, drop one, or type it all in lower case."""
    kind = rng.integers(3)
    if kind == 2 or len(text) < 8:
        return text.lower()
    i = int(rng.integers(1, len(text) - 2))
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + text[i + 1:]


_QUESTION = ("how ", "why ", "when ", "where ", "what ", "is ", "can ", "could ", "will ", "do ", "does ", "should ")


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    end = "?" if text.lower().startswith(_QUESTION) else "."
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + end


def _render(templates: tuple[str, ...], n: int, rng: np.random.Generator, *, prefix: tuple[str, ...] = ("",),
            suffix: tuple[str, ...] = ("",), p_typo: float = 0.0, sentence: bool = True) -> list[str]:
    out = []
    for _ in range(n):
        core = fill(templates[rng.integers(len(templates))], rng)
        core = _sentence(core) if sentence else core
        text = " ".join(p for p in (prefix[rng.integers(len(prefix))], core, suffix[rng.integers(len(suffix))]) if p)
        out.append(typo(text, rng) if rng.random() < p_typo else text)
    return out


def _reason_pools(reason: Reason, n: int, rng: np.random.Generator) -> dict[str, list[str]]:
    return {
        "open_rep": _render(reason.opens, n // 2, rng, prefix=OPEN_REPEAT, suffix=OPEN_SUFFIX_NEG, p_typo=0.1),
        "open_neg": _render(reason.opens, n, rng, prefix=OPEN_NEG, suffix=OPEN_SUFFIX_NEG, p_typo=0.12),
        "open_neu": _render(reason.opens, n, rng, prefix=OPEN_NEU, p_typo=0.08),
        "detail": _render(reason.details, n, rng, p_typo=0.08),
        "follow": _render(reason.follows + FOLLOW_GENERIC[:2], n, rng, p_typo=0.05),
        "action": _render(reason.actions, n // 2, rng),
        "resolve": _render(reason.resolves, n // 2, rng),
        "subject": _render(reason.subjects, n // 4, rng, sentence=False),
    }


def _generic_pools(n: int, rng: np.random.Generator) -> dict[str, list[str]]:
    return {
        "greet_call": _render(GREET_CALL, n // 4, rng), "greet_chat": _render(GREET_CHAT, n // 4, rng),
        "empathy": list(EMPATHY), "ask": list(ASK), "a_follow": list(AGENT_FOLLOW), "unresolved": list(UNRESOLVED),
        "close_pos": _render(CLOSE_POS, n // 2, rng, p_typo=0.05),
        "close_neg": _render(CLOSE_NEG, n // 2, rng, p_typo=0.1),
        "transfer": list(TRANSFER), "transfer_ok": list(TRANSFER_OK),
    }


@dataclass
class Pools:
    """All rendered phrases in one array, addressed by (reason index, slot index)."""

    texts: np.ndarray          # object array of str
    lengths: np.ndarray        # len() of each text, for turn durations
    offset: np.ndarray         # int64 [n_reasons, n_slots]
    size: np.ndarray           # int64 [n_reasons, n_slots]

    def pick(self, reason: np.ndarray, slot: str | np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random pool index per row for the given reasons and slot(s)."""
        s = SLOT[slot] if isinstance(slot, str) else slot
        size = self.size[reason, s]
        return self.offset[reason, s] + (rng.random(len(reason)) * size).astype(np.int64)


def build_pools(rng: np.random.Generator, per_pool: int = 240) -> Pools:
    """Render every pool once; `per_pool` variants for each reason's customer slots."""
    texts: list[str] = []
    offset = np.zeros((len(CATALOGUE), len(SLOT_NAMES)), dtype=np.int64)
    size = np.zeros_like(offset)
    generic = _generic_pools(per_pool, rng)
    generic_at: dict[str, tuple[int, int]] = {}
    for name in GENERIC_SLOTS:
        generic_at[name] = (len(texts), len(generic[name]))
        texts.extend(generic[name])
    for r, reason in enumerate(CATALOGUE):
        pools = _reason_pools(reason, per_pool, rng)
        for name in REASON_SLOTS:
            offset[r, SLOT[name]], size[r, SLOT[name]] = len(texts), len(pools[name])
            texts.extend(pools[name])
        for name in GENERIC_SLOTS:
            offset[r, SLOT[name]], size[r, SLOT[name]] = generic_at[name]
    arr = np.array(texts, dtype=object)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return Pools(arr, lengths, offset, size)
