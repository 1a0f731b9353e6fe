"""The text a contact reason is found from: what the customer says about the problem, nothing else.

Customers address a brand ("@united", "@AmazonHelp"), paste links, greet, sign off and name the
agent; left in, topics follow the brand tagged instead of the problem (airline tweets: NMI of the
topics against the set's own negative reasons 0.22) and names read "Jetblue thank / thanks" or
"Alex need / maria". `clean_texts` removes, in this order:

- links and redaction placeholders (`[URL]`, `[EMAIL]`, CFPB's `XXXX`), then every @handle;
- brand names and brand accounts, learned from the data (`learn_vocabulary`): the `brand` column,
  the authors of outbound messages, and handles that many different customers address, each also
  without its support suffix ("XboxSupport" -> "xbox", "SouthwestAir" -> "southwest");
- agent and customer names: names agents give ("my name is Sarah", "this is Tom", sign-offs such as
  "^JK" or "- Maria") learned from the agent side of the data, plus a shipped list of common
  first names (`data/first_names.txt`) removed only where capitalised;
- a leading greeting ("Hi there,", "Good morning") and a trailing sign-off ("Thanks!", "Kind
  regards"), only when something else remains (a tweet that only says "thanks" keeps it).

The vocabulary is learned when a model is fitted and stored in it, so assignment cleans new texts
exactly as the fit did. Cleaned texts are embedded through the shared store (keyed by the cleaned
text's hash, so each cleaned text is embedded once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

DATA = Path(__file__).with_name("data")
# A handle counts as a brand account when at least this share of the customers (and 5) address it:
# @united is addressed by thousands of airline customers, @TSA by a few dozen (and "TSA" is a reason).
BRAND_MIN_SHARE = 0.01
# Generic support words that brands append to their accounts; stripped to find the brand's name.
SUPPORT_SUFFIXES = ("support", "help", "helps", "care", "cares", "assist", "service", "services", "team",
                    "tweets", "official", "news", "uk", "us", "air", "airways", "airlines", "app", "hq")
MIN_BRAND_CHARS = 3

# Links, our redaction placeholders ("[EMAIL]") and other sources' masks (CFPB: "XX/XX/XXXX", "{$50.00}").
_LINK = r"(?:https?://\S+|www\.\S+|\[[A-Z][A-Z_]*\]|\b[Xx]{2,}(?:/[Xx]{2,})*\b|\{\$[\d.,]+\})"
_HANDLE = r"(?<![\w@])[@＠]\w+"
_GREETING = (r"^\W*(?:(?:hi|hello|hey|hiya|howdy|greetings|dear|good\s+(?:morning|afternoon|evening|day))"
             r"(?:\s+(?:there|team|all|guys|folks|everyone|support|sir|madam))?\b[\s,.!:;-]*)+")
_SIGN_OFF = (r"[\s,.!;:-]*\b(?:(?:many|kind|best|warm)\s+)?(?:thanks?(?:\s+you)?(?:\s+(?:so|very)\s+much)?"
             r"(?:\s+in\s+advance)?|thx|ty|cheers|regards|sincerely|best)(?:[\s,.!]+[A-Z][a-z]+)?[\s.!)~–-]*$")
# Agent sign-offs on social and e-mail replies: "^JK", "*TM", "- Maria", "~Sam".
_AGENT_SIGNATURE = re.compile(r"(?:[\^*~]\s?([A-Z]{1,3})\b|(?:^|\s)[-–~]\s?([A-Z][a-z]{2,})\s*$)")
_AGENT_INTRO = re.compile(r"\b(?i:my name is|my name's|this is|I am|I'm|it's)\s+([A-Z][a-z]{2,})\b")


@dataclass(frozen=True)
class Vocabulary:
    """What to remove besides the generic patterns: learned from one warehouse, stored in the model."""

    brands: tuple[str, ...] = ()   # lower-case words and phrases ("xbox", "us airways")
    names: tuple[str, ...] = ()    # lower-case names learned from the data (removed in any case)
    fallback_names: bool = True    # also remove the shipped first names, where capitalised

    def as_dict(self) -> dict:
        return {"brands": list(self.brands), "names": list(self.names), "fallback_names": self.fallback_names}

    @classmethod
    def from_dict(cls, data: dict | None) -> Vocabulary:
        data = data or {}
        return cls(tuple(data.get("brands", ())), tuple(data.get("names", ())), bool(data.get("fallback_names", True)))


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """The shipped fallback list: common first names that are not also everyday English words."""
    lines = (DATA / "first_names.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def brand_terms(name: str) -> list[str]:
    """Words to remove for one brand or account name: itself, and without its support suffix.

    >>> brand_terms("XboxSupport")
    ['xboxsupport', 'xbox']
    >>> brand_terms("US Airways")
    ['us airways', 'usairways']
    """
    raw = name.strip().lstrip("@")
    low = raw.lower()
    if len(low) < MIN_BRAND_CHARS or low.isdigit():
        return []
    out = [low]
    if " " in low:
        out.append(low.replace(" ", ""))
    stem = low.replace(" ", "").strip("_")
    if stem.startswith("ask") and len(stem) - 3 >= MIN_BRAND_CHARS:  # AskPlayStation, Ask_Spectrum
        stem = stem[3:].strip("_")
    for suffix in sorted(SUPPORT_SUFFIXES, key=len, reverse=True):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= MIN_BRAND_CHARS:
            stem = stem[: -len(suffix)].strip("_")
            break
    if stem not in out:
        out.append(stem)
    return out


BRANDS_SQL = f"""
WITH addressed AS (
    SELECT lower(h) AS handle, count(DISTINCT coalesce(customer_id, interaction_id)) AS customers
    FROM (SELECT customer_id, interaction_id, unnest(regexp_extract_all(text, '@(\\w+)', 1)) AS h
          FROM staging.interactions WHERE direction = 'inbound' AND text LIKE '%@%')
    GROUP BY 1
)
SELECT brand FROM staging.interactions WHERE brand IS NOT NULL
UNION SELECT agent_id FROM staging.interactions
      WHERE direction = 'outbound' AND agent_id IS NOT NULL AND channel = 'social'
UNION SELECT handle FROM addressed
      WHERE customers >= greatest(5, {BRAND_MIN_SHARE} * (SELECT count(DISTINCT coalesce(customer_id, interaction_id))
                                                        FROM staging.interactions WHERE direction = 'inbound'))
        AND NOT regexp_matches(handle, '^[0-9]+$')
"""

# Agent-side texts that may introduce or sign with a name (a sample is enough to learn the names).
AGENT_TEXT_SQL = """
SELECT text FROM (
    SELECT text FROM staging.turns WHERE speaker = 'agent' AND text IS NOT NULL
    UNION ALL SELECT agent_text FROM staging.interactions WHERE agent_text IS NOT NULL
) WHERE regexp_matches(text, '(?i)my name|this is|i am|i''m|it''s|[\\^*~-] ?[A-Z]') LIMIT 200000
"""


def learn_vocabulary(con: duckdb.DuckDBPyConnection) -> Vocabulary:
    """Brand words and agent names from the warehouse (see the module doc)."""
    brands: set[str] = set()
    for (name,) in con.execute(BRANDS_SQL).fetchall():
        brands.update(brand_terms(str(name)))
    names = learn_names(r[0] for r in con.execute(AGENT_TEXT_SQL).fetchall())
    names |= {n.lower() for (n,) in con.execute(
        "SELECT DISTINCT agent_id FROM staging.interactions WHERE regexp_matches(agent_id, '^[A-Z][a-z]{2,}$')").fetchall()}
    return Vocabulary(tuple(sorted(brands)), tuple(sorted(names - brands)))


def learn_names(agent_texts: Iterable[str], min_count: int = 2) -> set[str]:
    """Names agents introduce themselves or sign with, seen at least `min_count` times.

    >>> sorted(learn_names(["Hi, my name is Sarah.", "This is Sarah, how can I help?", "Done - Tom", "Ok - Tom", "^JK"]))
    ['sarah', 'tom']
    """
    counts: dict[str, int] = {}
    for text in agent_texts:
        # Initials ("^JK") are removed where they sign (the signature pattern), never as words.
        found = [m.group(1) for m in _AGENT_INTRO.finditer(text)]
        found += [m.group(2) for m in _AGENT_SIGNATURE.finditer(text) if m.group(2)]
        for name in found:
            counts[name.lower()] = counts.get(name.lower(), 0) + 1
    common = _common_words()
    return {n for n, c in counts.items() if c >= min_count and n not in common}


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | frozenset(
        (DATA / "not_names.txt").read_text(encoding="utf-8").split())


def _alternation(words: Sequence[str]) -> str:
    # Longest first, so "us airways" wins over "us".
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=lambda w: (-len(w), w)))


@lru_cache(maxsize=8)
def _patterns(vocab: Vocabulary) -> list[tuple[re.Pattern, str]]:
    steps = [(re.compile(_LINK), " "), (re.compile(_HANDLE), " ")]
    if vocab.brands:
        steps.append((re.compile(rf"(?<![\w'])#?(?:{_alternation(vocab.brands)})(?:'s)?(?!\w)", re.IGNORECASE), " "))
    if vocab.names:
        steps.append((re.compile(rf"(?<![\w'])(?:{_alternation(vocab.names)})(?!\w)", re.IGNORECASE), " "))
    if vocab.fallback_names:
        steps.append((re.compile(rf"(?<![\w'])(?:{_alternation([n.title() for n in first_names()])})(?!\w)"), " "))
    steps.append((_AGENT_SIGNATURE, " "))
    return steps


_GREETING_RE = re.compile(_GREETING, re.IGNORECASE)
_SIGN_OFF_RE = re.compile(_SIGN_OFF, re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")
_SIGN_OFF_WORD = re.compile(r"(?i)thank|thx|\bty\b|cheers|regards|sincerely|\bbest\b")
_DANGLING_RE = re.compile(r"^[\s,.;:!?&/|-]+|[\s,;:&/|-]+$")


def clean_texts(texts: Sequence[str] | pd.Series, vocab: Vocabulary = Vocabulary()) -> list[str]:
    """The reason text of each input (see the module doc); blank when nothing is left.

    >>> clean_texts(["@united Hi, my bag never arrived at [URL] thanks!"], Vocabulary(brands=("united",)))
    ['my bag never arrived at']
    >>> clean_texts(["@JetBlue thanks!"], Vocabulary(brands=("jetblue",)))
    ['thanks!']
    """
    s = pd.Series(list(texts), dtype=object).fillna("").astype(str)
    for pattern, repl in _patterns(vocab):
        s = s.str.replace(pattern, repl, regex=True)
    s = s.str.replace(_DANGLING_RE, "", regex=True).str.replace(_SPACE_RE, " ", regex=True).str.strip()
    # Greeting and sign-off go only when something else is left.
    body = s.str.replace(_GREETING_RE, "", regex=True)
    s = body.where(body.str.contains(r"\w", regex=True), s)
    # Only texts that hold a sign-off word are searched: the $-anchored pattern is tried at every
    # position of a text and was half the cleaning time.
    signed = s.str.contains(_SIGN_OFF_WORD, regex=True)
    body = s[signed].str.replace(_SIGN_OFF_RE, "", regex=True)
    s = s.where(~signed, body.where(body.str.contains(r"\w", regex=True), s[signed]))
    s = s.str.replace(_DANGLING_RE, "", regex=True).str.replace(_SPACE_RE, " ", regex=True).str.strip()
    return s.tolist()
