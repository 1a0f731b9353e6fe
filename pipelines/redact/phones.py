"""Phone numbers, found and checked by libphonenumber (`phonenumbers.PhoneNumberMatcher`).

The matcher runs once per region: the caller's hint (the customer's country) first, then the
regions of the text's language (`patterns.toml` [language]). Numbers written with `+` or `00` are
found whatever the region. What the matcher proposes (leniency POSSIBLE: the right length for the
region) is kept when:

- no identifier cue (order, tracking, contract, customer number...) is nearer before it than a
  phone cue, and it is not glued to a letter, a time or an IP address (`UA857`, `15:13:...`);
- it is international, or follows a phone cue ("call me on", "Handy:", "tel. kom.", "电话"), or is
  a number libphonenumber knows as assigned in its region (`is_valid_number`): typed with
  separators, or a bare run of at least 9 digits.

A bare digit run right after a phone cue that no region's matcher took (a Polish mobile in a text
guessed as English) is kept when it is a possible number in any of the fallback regions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from pipelines.redact.language import guess_language
from pipelines.redact.rules import CueWindow, Span, cue_re, overlaps, patterns

_RULES = patterns()["phone"]
_LANG = patterns()["language"]
CUES = CueWindow(_RULES["cues"] + ["country code"], _RULES["not_cues"], width=30)
_PHONE_CUE = re.compile(cue_re(_RULES["cues"] + ["country code"]), re.IGNORECASE)  # CUES' "cue" words alone
DEFAULT_REGIONS = tuple(_RULES["default_regions"])
FALLBACK_REGIONS = tuple(_RULES["fallback_regions"])
MAX_REGIONS = 3

# Nothing below can match without seven digits close together.
_GATE = re.compile(r"[0-9０-９](?:[^0-9０-９\n]{0,4}[0-9０-９]){6}")
_CUED_RUN = re.compile(r"(?<![0-9A-Za-z+])\+?\(?[0-9](?:(?:[ ./-]|\)[ ]?)?[0-9]){6,14}(?![0-9])")
_DECIMAL = re.compile(r"[0-9]+[.,][0-9]+")  # one dot or comma: a decimal, not a dotted number
# "96430-43691 is my cell": the cue after the number.
_TRAILING_CUE = re.compile(
    r"[ ,]*(?:is|=|-)?[ ]*(?:my|the|our|his|her)?[ ]*" + cue_re(["cell", "phone", "mobile", "number", "tel",
    "handy", "portable", "móvil", "komórka", "whatsapp", "landline", "nummer", "numéro"]),
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(r"(?:19|20)[0-9]{2}[-./][01]?[0-9][-./][0-3]?[0-9]|[0-3]?[0-9][-./][01]?[0-9][-./](?:19|20)[0-9]{2}")
_RUN = re.compile(r"\d+")  # what libphonenumber's matcher reads as digits (Unicode Nd)
# The matcher's candidates: at most two opening brackets or pluses, each with up to four punctuation
# marks, right before the first digit (phonenumbermatcher._PATTERN: _LEAD_LIMIT, _PUNCTUATION_LIMIT).
_LEAD = re.compile(r"[(\[\uff08\uff3b+\uff0b]")
_LEAD_REACH = 10


def _passes_needed(text: str, spans: list[Span]) -> int | None:
    """How many regions' matcher passes can still add a phone: 0, 1 (the first region) or None (all).

    An exact shortcut, not a guess: it answers 0 or 1 only where `_accept` would turn down every
    match of the passes it spares. With every digit run inside a span found already, each match
    overlaps one. With one digit run and no bracket or plus before it, every match lies inside the
    run: bare digits, not international (no "00" in it), with no phone cue after it and, when no
    phone cue lies within reach before it (`CueWindow.width`), none before it either; the later
    regions keep such a match only after a cue, and no region one of fewer than nine digits.
    Such a match starts at the run's start (one starting inside it is glued to the digit before),
    so it is international only when the run starts with "00", and none is kept when the run's
    start is glued (`_glued_before`: "UA857...", "#123...", "@115725...").
    """
    runs = list(_RUN.finditer(text))
    if all(any(s <= m.start() and m.end() <= e for s, e, _ in spans) for m in runs):
        return 0
    if len(runs) != 1:
        return None
    run = runs[0]
    if _LEAD.search(text, max(0, run.start() - _LEAD_REACH), run.start()):
        return None
    if _glued_before(text, run.start()):
        return 0
    if run.group().startswith("00") or _TRAILING_CUE.match(text, run.end()):
        return None
    if _PHONE_CUE.search(text, max(0, run.start() - CUES.width), run.end()):
        return None
    # an uncued bare run is kept only as an assigned number of nine digits or more
    return 0 if len(run.group()) < 9 else 1


def regions_for(text: str, hints: Sequence[str] = ()) -> list[str]:
    """Regions to read national numbers in: the hints, then the text's language's, at most three."""
    out: list[str] = []
    for region in (*hints, *_LANG["regions"].get(guess_language(text), DEFAULT_REGIONS)):
        region = region.upper()
        if region not in out:
            out.append(region)
    return out[:MAX_REGIONS]


def _glued_before(text: str, start: int) -> bool:
    """What comes before `start` makes a number there part of a code, a longer number, a time or a handle."""
    before = text[start - 1] if start else " "
    if (before.isascii() and before.isalpha()) or before in "@#_$€£¥" or before.isdigit() or before == ")":
        return True
    # the tail of a longer number ("7712 3456 7890") or of a time ("15:13:...")
    return before in " .:/-" and start >= 2 and (text[start - 2].isdigit() or text[start - 2] == ")")


def _glued(text: str, start: int, end: int) -> bool:
    """Part of a code, a longer number, a time, an IP address, a price or a handle, not a number of its own."""
    if _glued_before(text, start):
        return True
    after = text[end] if end < len(text) else " "
    if after.isascii() and after.isalpha():
        return True
    return after in " .:/-" and end + 1 < len(text) and text[end + 1].isdigit()


def _accept(text: str, match: phonenumbers.PhoneNumberMatch, primary: bool) -> bool:
    raw, start, end = match.raw_string, match.start, match.end
    digits = sum(ch.isdigit() for ch in raw)
    if digits < 7 or _glued(text, start, end) or _DECIMAL.fullmatch(raw) or text.startswith("%", end):
        return False
    cue = CUES.kind(text, start)
    if cue == "not":
        return False
    if raw.lstrip("(").startswith(("+", "00")) or cue == "cue" or _TRAILING_CUE.match(text, end):
        return True
    if not phonenumbers.is_valid_number(match.number):
        return False
    # an uncued bare digit run is an id as often as a phone: only an assigned number of the
    # text's first region, nine digits or more
    return not raw.isdigit() or (primary and digits >= 9)


def phone_spans(text: str, spans: list[Span], regions: Sequence[str] = ()) -> None:
    """Append the phone numbers of `text`; `regions` are ISO 3166 codes to read national numbers in."""
    if not _GATE.search(text):
        return
    passes = _passes_needed(text, spans)
    for i, region in enumerate(regions_for(text, regions)[:passes] if passes != 0 else ()):
        if i and not any(not overlaps(spans, m.start(), m.end()) for m in _CUED_RUN.finditer(text)):
            break  # every long digit run is taken: the next region's matcher would find nothing new
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE):
            if not overlaps(spans, match.start, match.end) and _accept(text, match, primary=i == 0):
                spans.append((match.start, match.end, "PHONE"))
    for m in _CUED_RUN.finditer(text):
        if overlaps(spans, m.start(), m.end()) or _glued(text, m.start(), m.end()) or _DATE_LIKE.fullmatch(m.group()):
            continue
        near = _PHONE_CUE.search(text, max(0, m.start() - CUES.width), m.start())
        cued = near is not None and CUES.kind(text, m.start()) == "cue"
        if not cued and not _TRAILING_CUE.match(text, m.end()):
            continue
        if any(_possible(m.group(), region) for region in FALLBACK_REGIONS):
            spans.append((m.start(), m.end(), "PHONE"))


def _possible(raw: str, region: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(raw, region))
    except phonenumbers.NumberParseException:
        return False
