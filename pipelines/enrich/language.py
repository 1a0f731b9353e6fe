"""Tell English from other languages fast, so non-English text is marked instead of mis-scored.

The models are trained on English only. Scoring Polish or Chinese text with them yields confident
nonsense, so such texts get their language code and `is_scored = false`.

Most customer text is English and a word list settles it in microseconds; only texts that the word
list cannot settle go to `py3langid` (its model ships in the wheel; deterministic, about 1 ms a
text). `langdetect` is kept as a backend for comparison: slower (10x here) and unstable on short
texts (it called 26 of 11,532 English airline tweets fr/af/it/so; py3langid none; `make eval`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

EMPTY = "empty"          # nothing but whitespace, handles, links or redaction marks
NO_WORDS = "zxx"         # emoji, digits, punctuation only (ISO 639-2 "no linguistic content")
UNDETERMINED = "und"     # too few letters to tell: scored as English (ISO 639 'und')
ENGLISH = "en"

# Handles, links, hashtag marks, CFPB's XXXX redactions and bracketed PII placeholders carry no
# language and would drag a short tweet towards "unknown".
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|#|\bX{2,}\b|\[[A-Z_]+\]|<[A-Z_]+>|&amp;|&gt;|&lt;")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

# Frequent English function words and contact-center words; at 20%+ of the words a text is English
# with near certainty (other Latin-script languages share very few of these).
_ENGLISH_WORDS = frozenset(
    """a about after again all also am an and any are as at back be because been before being but by
    can can't cannot could did didn't do does doesn't don't down even ever for from get got had has
    have haven't having he her here him his how i i'm i've if in into is isn't it it's its just know
    last let like made make me more most much my need never new no not now of off on one only or our
    out over please really said same see she should so some still than thank thanks that that's the
    their them then there these they this those through time to today too two up us very was wasn't
    way we we're were what when where which while who why will with won't would yes yet you your
    you're account agent bank call called card charge customer day days email help hold hour hours
    issue letter money month number order pay payment phone refund said service told week""".split()
)

_SCRIPT_LANG = {"HAN": "zh", "CJK": "zh", "HIRAGANA": "ja", "KATAKANA": "ja", "HANGUL": "ko",
                "CYRILLIC": "ru", "ARABIC": "ar", "HEBREW": "he", "GREEK": "el", "THAI": "th",
                "DEVANAGARI": "hi"}


@dataclass(frozen=True)
class Language:
    """The detected language of a text and whether the English models may score it."""

    code: str
    is_english: bool


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else ""


def _langdetect(text: str) -> tuple[str, float]:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect is randomised; the seed makes re-runs agree
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return UNDETERMINED, 0.0
    return best.lang, best.prob


_LANGID: list = []


def _py3langid(text: str) -> tuple[str, float]:
    """py3langid (the model ships in the wheel), probabilities normalised; loaded once per process."""
    if not _LANGID:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _LANGID.append(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
    code, prob = _LANGID[0].classify(text)
    return str(code), float(prob)


# The detector behind `detect` for what the word list cannot settle (`make eval` measures both).
BACKENDS = {"langdetect": _langdetect, "py3langid": _py3langid}
DEFAULT_BACKEND = "py3langid"
# Below this probability a non-English call is not trusted (the text is scored as English).
MIN_PROB = {"langdetect": 0.8, "py3langid": 0.5}


def wordless(text: str | None) -> str | None:
    """EMPTY or NO_WORDS when a text has no letters once handles, links and PII marks are gone, else None.

    The cheap check for turns of a call already known to be English: they need no language of their
    own, only to be told apart from noise such as "..." or "12345".

    >>> wordless("@jo https://t.co/x"), wordless("123 !!"), wordless("ok")
    ('empty', 'zxx', None)
    """
    clean = _NOISE.sub(" ", text if isinstance(text, str) else "")
    if any(ch.isalpha() for ch in clean):
        return None
    return EMPTY if not clean.strip() else NO_WORDS


def detect(text: str | None, min_letters: int = 12, backend: str = DEFAULT_BACKEND) -> Language:
    """Detect the language of one text.

    >>> detect("My card was charged twice and nobody calls me back").code
    'en'
    >>> detect("Karta została obciążona dwa razy, nikt nie oddzwania").is_english
    False
    """
    clean = _NOISE.sub(" ", text if isinstance(text, str) else "")
    letters = [ch for ch in clean if ch.isalpha()]
    if not letters:
        return Language(EMPTY if not clean.strip() else NO_WORDS, False)
    non_latin = [] if clean.isascii() else [
        ch for ch in letters if not ("LATIN" in unicodedata.name(ch, "") or ch.isascii())]
    if len(non_latin) > len(letters) / 2:
        scripts = [_script(ch) for ch in non_latin]
        code = _SCRIPT_LANG.get(max(set(scripts), key=scripts.count), "")
        return Language(code or BACKENDS[backend](clean)[0], False)
    words = [w.lower() for w in _WORD.findall(clean)]
    # Two-letter words ("a", "i", "to", "no", "me") are common in Romance and Slavic languages too.
    english = sum(1 for w in words if len(w) > 2 and w.replace("’", "'") in _ENGLISH_WORDS)
    if words and english / len(words) >= 0.2:
        return Language(ENGLISH, True)
    if len(letters) < min_letters:
        # "Thx!!", "ok", "Wow": too short for any detector; the English default is the safe one.
        return Language(UNDETERMINED, True)
    # Lower case: detectors read shouted English ("BEST SONG EVER") as German or Danish.
    code, prob = BACKENDS[backend](clean.lower())
    if code == ENGLISH or prob < MIN_PROB[backend] or english / len(words) >= 0.1:
        return Language(ENGLISH if code == ENGLISH else UNDETERMINED, True)
    return Language(code, False)


def detect_many(texts: list[str | None], min_letters: int = 12, backend: str = DEFAULT_BACKEND) -> list[Language]:
    """`detect` over a list, once per distinct text."""
    seen: dict[str | None, Language] = {}
    return [seen[t] if t in seen else seen.setdefault(t, detect(t, min_letters, backend)) for t in texts]
