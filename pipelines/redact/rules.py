"""The redactor's vocabularies, read once from `patterns.toml`, and the helpers every finder shares."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

PATTERNS_FILE = Path(__file__).with_name("patterns.toml")

Span = tuple[int, int, str]

# ASCII whitespace only, spelled out: the SQL prefilter runs in RE2, whose \s is ASCII, and must
# match every text the Python finders match (see prefilter.py).
WS = r"[ \t\n\r\f\v]"


@lru_cache(maxsize=1)
def patterns() -> dict:
    """The parsed `patterns.toml`."""
    with PATTERNS_FILE.open("rb") as f:
        return tomllib.load(f)


def words_re(words: list[str]) -> str:
    """An alternation of literal words, longest first, so that "tel. kom" wins over "tel"."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# Latin letters (ASCII, Latin-1, Extended-A/B: Polish, German, French, Spanish letters). Cue words
# are whole words among these; Chinese has no spaces, so a CJK cue may touch anything.
LATIN = "A-Za-z\u00c0-\u024f"


def cue_re(words: list[str]) -> str:
    """`words` as whole words: no Latin letter right before or after (digits and CJK may touch).

    The lookahead on the words' first letters changes no match; it spares trying every word at each
    position where none can start (a digit, a space): the alternation was most of a search's time.
    """
    firsts = "".join(sorted({re.escape(w[0]) for w in words if w}))
    return rf"(?<![{LATIN}])(?=[{firsts}])(?:" + words_re(words) + rf")(?![{LATIN}])"


def overlaps(spans: list[Span], start: int, end: int) -> bool:
    """Whether [start, end) overlaps a span already found."""
    return any(start < e and s < end for s, e, _ in spans)


class CueWindow:
    """The nearest cue before a position: the type's own cues against the words that rule it out.

    `kind(text, start)` looks at the `width` characters before `start` and returns "cue", "not" or
    None, whichever of the two word lists has its last match nearest to the number.
    """

    def __init__(self, cues: list[str], not_cues: list[str] = (), width: int = 30) -> None:
        parts = [f"(?P<cue>{cue_re(cues)})"]
        if not_cues:
            parts.append(f"(?P<not>{cue_re(list(not_cues))})")
        self._re = re.compile("|".join(parts), re.IGNORECASE)
        self.width = width

    def kind(self, text: str, start: int) -> str | None:
        """"cue", "not" or None for the number that starts at `start`."""
        last = None
        for m in self._re.finditer(text, max(0, start - self.width), start):
            last = m
        return last.lastgroup if last else None
