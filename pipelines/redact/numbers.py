"""Numbers with a checksum: IBANs (ISO 13616), payment cards (ISO/IEC 7812) and national ids.

Candidates are found by shape (any mix of spaces, dashes and dots between the digits) and kept
only when python-stdnum validates them: `stdnum.iban` (mod 97 and each country's BBAN format),
`stdnum.luhn` plus the issuer ranges below for cards, and the national-id modules named in
`patterns.toml` (PESEL, NIP, SSN, the Chinese resident id, DNI/NIE, NIR, the German IdNr). A cue
right before a national id ("PESEL:", "SSN", "身份证") is enough on its own: the customer said what
the number is, and a mistyped check digit does not make it less personal.
"""

from __future__ import annotations

import importlib
import re
import string
from dataclasses import dataclass
from types import ModuleType

from stdnum import ean as std_ean
from stdnum import iban as std_iban
from stdnum import luhn

from pipelines.redact.language import guess_language, heads, tokens
from pipelines.redact.rules import CueWindow, Span, overlaps, patterns

_NOT_DIGIT_AFTER = r"(?![0-9])"
# Eight digits in a row, single spaces or dashes between: every IBAN, card and national id but the
# NINO has such a run, and most texts have none.
_LONG_RUN = re.compile(r"[0-9](?:[ .-]?[0-9]){7}")
# Six digits in a row: what the shortest national id (the NINO) has.
_SIX_RUN = re.compile(r"[0-9](?:[ .-]?[0-9]){5}")

# -- IBAN ------------------------------------------------------------------------------------------
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[ -]?[0-9]{2}(?:[ -]?[A-Za-z0-9]){10,32}")


def iban_ok(iban: str) -> bool:
    """ISO 13616: the country's BBAN format and length, and mod 97 == 1 (python-stdnum)."""
    return std_iban.is_valid(iban)


# The countries python-stdnum knows an IBAN format for: any other prefix is never valid.
_IBAN_COUNTRIES = frozenset(
    a + b
    for a in string.ascii_uppercase
    for b in string.ascii_uppercase
    if std_iban._ibandb.info(a + b)[0][1]
)


def iban_spans(text: str, spans: list[Span]) -> None:
    """Append IBANs; a candidate that runs into the next word is cut back to its longest valid prefix."""
    if not _LONG_RUN.search(text):
        return  # every BBAN has eight digits in a row (in groups of four at most)
    for m in IBAN_RE.finditer(text):
        raw = m.group()
        if raw[:2].upper() not in _IBAN_COUNTRIES:
            continue
        ends = [i + 1 for i, ch in enumerate(raw) if ch.isalnum()]
        for end in reversed(ends[14:]):  # the shortest IBAN (Norway) has 15 characters
            nxt = raw[end] if end < len(raw) else text[m.end()] if m.end() < len(text) else " "
            if nxt.isalnum():
                continue  # would cut a word or a number in two
            if std_iban.is_valid(raw[:end]) and not overlaps(spans, m.start(), m.start() + end):
                spans.append((m.start(), m.start() + end, "IBAN"))
                break


# -- cards -----------------------------------------------------------------------------------------
CARD_RE = re.compile(r"(?<![0-9+.,/-])[0-9](?:(?:[ .-]|[ ]-[ ])?[0-9]){12,18}" + _NOT_DIGIT_AFTER)
_CARD_CUES = CueWindow(patterns()["card"]["cues"], patterns()["phone"]["not_cues"])


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment cards."""
    return luhn.is_valid(digits)


def _issuer_ok(digits: str) -> bool:
    """A major industry identifier of a card network (ISO/IEC 7812: 2 Mastercard, 3 Amex/Diners/JCB,
    4 Visa, 5 Mastercard/Maestro, 6 Discover/UnionPay/Maestro)."""
    return digits[0] in "23456"


def card_spans(text: str, spans: list[Span]) -> None:
    """Append card numbers: Luhn-valid, an issuer range of that length, no identifier cue before."""
    if not _LONG_RUN.search(text):
        return
    for m in CARD_RE.finditer(text):
        raw = m.group()
        digits = re.sub(r"[^0-9]", "", raw)
        if not 13 <= len(digits) <= 19 or not luhn.is_valid(digits) or not _issuer_ok(digits):
            continue
        if "." in raw and len(re.findall(r"[0-9]+", raw)) < 4:
            continue  # a dot or two between digits is a decimal or a version, not a card
        cue = _CARD_CUES.kind(text, m.start())
        if cue == "not":
            continue
        if len(digits) == 13 and cue != "cue" and raw.isdigit() and std_ean.is_valid(digits):
            continue  # an EAN-13 barcode passes Luhn one time in ten: a bare one needs a card cue
        if len(digits) == 15 and digits[:2] in ("35", "86") and cue != "cue":
            continue  # the type allocation code of nearly every IMEI; no 15-digit card range is there
        if not overlaps(spans, m.start(), m.end()):
            spans.append((m.start(), m.end(), "CARD"))


# -- national ids ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class IdFamily:
    """One national-id format from `patterns.toml`."""

    name: str
    cues: tuple[str, ...]
    after_cue: re.Pattern[str]
    bare: re.Pattern[str] | None
    validator: ModuleType | None

    def valid(self, raw: str) -> bool:
        """The format's checksum (python-stdnum), or the shape alone where no validator is named."""
        if self.validator is None:
            return True
        try:
            return bool(self.validator.is_valid(raw))
        except Exception:  # noqa: BLE001 - a validator must say no, never break redaction
            return False


def _id_families() -> tuple[IdFamily, ...]:
    families = []
    for fam in patterns()["national_id"]:
        cues = "|".join(re.escape(c) for c in sorted(fam["cues"], key=len, reverse=True))
        # the cue, a few joining words ("is", "no.", "number", ":", "是"), then the number
        after_cue = re.compile(
            rf"(?<![^\W\d_])(?:{cues})(?![^\W\d_])[^\w\n]{{0,4}}"
            rf"(?:(?:is|no|nr|number|numer|num|to|es|est|ist|lautet|号码?|是|为)\.?[^\w\n]{{0,4}}){{0,3}}"
            rf"(?:[^\W\d_]{{1,12}}[^\w\n]{{1,4}}){{0,2}}"
            rf"(?P<id>(?<![0-9A-Za-z])(?:{fam['shape']})(?![0-9A-Za-z]))",
            re.IGNORECASE,
        )
        bare = None
        if fam.get("bare"):
            shape = fam.get("bare_shape", fam["shape"])
            bare = re.compile(rf"(?<![0-9A-Za-z])(?:{shape})(?![0-9A-Za-z])", re.IGNORECASE)
        validator = importlib.import_module(fam["validator"]) if fam.get("validator") else None
        families.append(IdFamily(fam["name"], tuple(c.lower() for c in fam["cues"]), after_cue, bare, validator))
    return tuple(families)


ID_FAMILIES = _id_families()
_ID_NOT_CUES = CueWindow(["ssn"], patterns()["phone"]["not_cues"], width=25)


# Each family's cue words (first word of each), to skip its regex in texts that name no such id.
_CUE_HEADS = {fam.name: heads([c for c in fam.cues if c.isascii()]) for fam in ID_FAMILIES}
_CUE_CJK = {fam.name: tuple(c for c in fam.cues if not c.isascii()) for fam in ID_FAMILIES}
# All families' cues together: most texts name none, and skip every family's cue check at once.
_ANY_CUE_HEAD = frozenset().union(*_CUE_HEADS.values())
_ANY_CUE_CJK = tuple(c for cues in _CUE_CJK.values() for c in cues)


# What every bare match of a family's shape holds (patterns.toml: bare_shape / shape), found faster
# than the shape itself: a text without it skips that family's scan.
_BARE_GATES = {
    "us_ssn": re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}"),
    "gb_nino": re.compile(r"[A-Z]{2} ?[0-9]{2}"),
    "es_dni": re.compile(r"[0-9]{7}"),
}
# (family, gate) of the families found bare: all of them next to a long digit run, else the NINO alone
_BARE_SCANS = tuple((fam, _BARE_GATES.get(fam.name)) for fam in ID_FAMILIES if fam.bare is not None)
_BARE_SCANS_SHORT = tuple(scan for scan in _BARE_SCANS if scan[0].name == "gb_nino")


def national_id_spans(text: str, spans: list[Span]) -> None:
    """Append national ids: any number of the right shape right after its cue, a valid one anywhere."""
    if not _SIX_RUN.search(text):
        return
    words = tokens(text)
    if not words.isdisjoint(_ANY_CUE_HEAD) or any(c in text for c in _ANY_CUE_CJK):
        for fam in ID_FAMILIES:
            if words.isdisjoint(_CUE_HEADS[fam.name]) and not any(c in text for c in _CUE_CJK[fam.name]):
                continue
            for m in fam.after_cue.finditer(text):
                if not overlaps(spans, m.start("id"), m.end("id")):
                    spans.append((m.start("id"), m.end("id"), "SSN"))
    for fam, gate in _BARE_SCANS if _LONG_RUN.search(text) else _BARE_SCANS_SHORT:
        if gate is not None and not gate.search(text):
            continue
        for m in fam.bare.finditer(text):
            if overlaps(spans, m.start(), m.end()) or not fam.valid(m.group()):
                continue
            if _ID_NOT_CUES.kind(text, m.start()) == "not":
                continue
            if fam.name == "pl_pesel" and guess_language(text) != "pl":
                continue  # 11 digits pass the PESEL check one time in fifty: without its cue, only in Polish
            spans.append((m.start(), m.end(), "SSN"))
