"""A cheap guess of a text's language from a few cue words, to pick phone regions and street forms.

Not a language detector (the enrich stage has one): a handful of words and letters per language in
`patterns.toml` [language], counted; English when nothing scores.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipelines.redact.rules import patterns

_LANG = patterns()["language"]
_TOKEN = re.compile(r"[^\W\d_]+")


def _is_plain_word(word: str) -> bool:
    return len(word) > 1 and bool(_TOKEN.fullmatch(word)) and not any("\u4e00" <= ch <= "\u9fff" for ch in word)


# Per language: plain words (looked up among the text's tokens) and the rest (letters of its own,
# CJK words, "tel. kom"), looked for as substrings.
_LANG_WORDS = {
    lang: (frozenset(w for w in words if _is_plain_word(w)), tuple(w for w in words if not _is_plain_word(w)))
    for lang, words in _LANG.items() if lang != "regions"
}


@lru_cache(maxsize=4096)
def guess_language(text: str) -> str:
    """The language whose cue words the text has most of ("en" when none): only to pick regions."""
    low = text.lower()
    tokens = set(_TOKEN.findall(low))
    best, best_hits = "en", 0
    for lang, (words, substrings) in _LANG_WORDS.items():
        hits = len(words & tokens) + sum(s in low for s in substrings)
        if hits > best_hits:
            best, best_hits = lang, hits
    return best
