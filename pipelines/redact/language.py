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


@lru_cache(maxsize=64)  # the finders of one text share it; texts can be long
def tokens(text: str) -> frozenset[str]:
    """The lower-cased letter runs of `text` (shared by the finders' word gates)."""
    return frozenset(_TOKEN.findall(text.lower()))


def heads(words: list[str]) -> frozenset[str]:
    """The first letter run of each word, phrase or regex fragment, lower-cased ("avda\\.?" -> "avda")."""
    return frozenset(m.group().lower() for w in words if (m := _TOKEN.search(w.replace("(?-i:", ""))))


def _is_plain_word(word: str) -> bool:
    return len(word) > 1 and bool(_TOKEN.fullmatch(word)) and not any("\u4e00" <= ch <= "\u9fff" for ch in word)


# Per language: plain words (looked up among the text's tokens), letters of its own (ł, ß, ñ) and
# the rest (CJK words, "tel. kom"), looked for as substrings.
_LANG_WORDS = {
    lang: (frozenset(w for w in words if _is_plain_word(w)),
           frozenset(w for w in words if len(w) == 1),
           tuple(w for w in words if len(w) > 1 and not _is_plain_word(w)))
    for lang, words in _LANG.items() if lang != "regions"
}


@lru_cache(maxsize=64)  # the finders of one text share it; texts can be long
def guess_language(text: str) -> str:
    """The language whose cue words the text has most of ("en" when none): only to pick regions."""
    low = text.lower()
    words_in, chars_in = tokens(text), set(low)
    best, best_hits = "en", 0
    for lang, (words, letters, substrings) in _LANG_WORDS.items():
        hits = len(words & words_in) + len(letters & chars_in) + sum(s in low for s in substrings)
        if hits > best_hits:
            best, best_hits = lang, hits
    return best
