"""Street addresses and PO boxes, best effort, in the forms each country's post office prints them.

- US/UK (USPS Pub 28, Royal Mail): house number, name, street type (`350 Fifth Avenue`, `10 Downing
  St`, `500 W Madison St Suite 1200`), or no street type but a city and a state + ZIP / a UK
  postcode after it (`1420 Larkin, San Francisco, CA 94109`);
- German (Deutsche Post): name then number (`Hauptstraße 5`, `Berliner Str. 45`, `Am Markt 3`,
  `Unter den Linden 77`);
- French (La Poste): number, type, name (`12 rue de la Paix`, `5 bis avenue Victor Hugo`);
- Spanish (Correos): type, name, number (`Calle Mayor 5`, `C/ Alcalá 42`, `Avda. Diagonal 640`);
- Polish (Poczta Polska): `ul. Marszałkowska 12/4`, `al. Jerozolimskie 100`, `os. Tysiąclecia 15`;
- Chinese (China Post): road and number (`建国路88号`, `世纪大道100号`);
- PO boxes: `PO Box 4567`, `Postfach 10 02 45`, `BP 1234`, `Apartado de correos 1045`, `skrytka
  pocztowa 123`.

The vocabularies are in `patterns.toml`. Street types that are also ordinary words elsewhere
("place", "route", "Ring") count only in a text that reads as that language.
"""

from __future__ import annotations

import re

from pipelines.redact.language import guess_language, heads, tokens
from pipelines.redact.rules import Span, overlaps, patterns, words_re

_R = patterns()["address"]
_HOUSE = r"(?<![\w.,/-])[0-9]{1,5}[A-Za-z]?(?:-[0-9]{1,5})?"
_UNIT = r"(?:,?[ ]+(?:apt|apartment|unit|suite|ste|flat|fl|floor|room|rm|#)\.?[ ]*#?[0-9A-Za-z-]+)?"
_DIRECTION = r"(?:[ ]+(?-i:N|S|E|W|NE|NW|SE|SW)\b\.?)?"
_US_TAIL = (
    r",?[ ]+[A-Z][A-Za-z.]*(?:[ ][A-Z][A-Za-z.]*){0,3},?[ ]+(?:" + "|".join(_R["us_states"])
    + r")[ ]+[0-9]{5}(?:-[0-9]{4})?(?![0-9])"
)
_UK_POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]?[ ]?[0-9][A-Z]{2}\b"

EN_STREET = re.compile(
    _HOUSE + r"(?P<name>(?:[ ]+[A-Za-z0-9][A-Za-z0-9.'-]*){0,4}?)[ ]+(?P<type>"
    + words_re(_R["en_street_words"]) + r")\b\.?" + _DIRECTION + _UNIT
    # the city, state and ZIP when they follow, as typed ("san mateo, ny 75227")
    + r"(?:,?[ ]+[A-Za-z .]{2,30},?[ ]+[A-Za-z]{2}[ ]+[0-9]{5}(?:-[0-9]{4})?(?![0-9]))?",
    re.IGNORECASE,
)
# No street type: capitalised name words, then city and state + ZIP (or town and UK postcode).
EN_NO_TYPE = re.compile(
    _HOUSE + r"(?:[ ]+[A-Z][\w'.-]*){1,4}(?:" + _US_TAIL
    + r"|,?[ ]+[A-Z][a-z]+,?[ ]+" + _UK_POSTCODE + ")"
)
PO_BOX = re.compile(
    r"(?<![A-Za-z])(?:" + "|".join(_R["po_boxes"]) + r")[ ]*(?:no\.?|nr\.?|n[º°o]\.?)?[ ]*"
    r"[0-9]{1,6}(?:[ ][0-9]{2,3}){0,2}(?![0-9])",
    re.IGNORECASE,
)

_DE_NUMBER = r"[ ]*[0-9]{1,3}[a-zA-Z]?(?:[ ]?[-/][ ]?[0-9]{1,3}[a-zA-Z]?)?(?![\w])"
_DE_NOT = r"(?!(?:" + "|".join(_R["de_not_street"]) + r")\b)"


def _de_compound(suffixes: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])[A-ZÄÖÜ][a-zäöüß-]*(?:" + words_re(suffixes) + r")" + _DE_NUMBER)


DE_COMPOUND = _de_compound(_R["de_street_suffixes"])
DE_COMPOUND_DE_ONLY = _de_compound(_R["de_street_suffixes_de_only"])
DE_ADJECTIVE = re.compile(
    r"(?<![\w-])[A-ZÄÖÜ][a-zäöüß]+(?:er|e|es|en)[ ]+(?:" + words_re(_R["de_street_words"]) + r")" + _DE_NUMBER
)
DE_PREPOSITION = re.compile(
    r"(?<![\w-])(?:" + words_re(_R["de_prepositions"]) + r")[ ]+" + _DE_NOT
    + r"[A-ZÄÖÜ][\wäöüß-]+(?:[ ][A-ZÄÖÜ][\wäöüß-]+)?" + _DE_NUMBER
)


def _fr(types: list[str]) -> re.Pattern[str]:
    article = r"(?:(?:de|du|des|la|le|les|aux?|en|sur)[ ]+|[ldLD]['’])"
    return re.compile(
        r"(?<![\w.,/-])[0-9]{1,4}(?:[ ]?(?:bis|ter|quater))?,?[ ]+(?i:" + words_re(types) + r")[ ]+"
        + article + r"*[^\W\d_][\w'’-]*(?:[ ]+" + article + r"*[A-ZÀ-Ý][\w'’-]*){0,3}"
    )


_FR_ONLY = set(_R["fr_street_types_fr_only"])
FR_STREET = _fr([t for t in _R["fr_street_types"] if t not in _FR_ONLY])
FR_STREET_FR_ONLY = _fr(sorted(_FR_ONLY))
ES_STREET = re.compile(
    r"(?<![\w/.])(?i:" + "|".join(_R["es_street_types"]) + r")[ ]*(?:(?:de|del|la|el|los|las)[ ]+)*"
    r"[^\W\d_][\w'’-]*(?:[ ]+(?:(?:de|del|la|el|los|las|y)[ ]+)*[A-ZÁÉÍÓÚÑ][\w'’-]*){0,3},?[ ]+"
    r"(?:n[º°o]\.?[ ]*)?[0-9]{1,4}[A-Za-z]?(?![\w])"
)
PL_STREET = re.compile(
    r"(?<![\w])(?i:" + "|".join(_R["pl_street_types"]) + r")[ ]*[^\W\d_][\w.-]*(?:[ ][^\W\d_][\w.-]*){0,3}"
    r"[ ]+[0-9]{1,4}[a-zA-Z]?(?:[ ]?/[ ]?[0-9]{1,4}[a-zA-Z]?)?(?:[ ]+(?:m\.|lok\.|mieszk\.)[ ]*[0-9]{1,4})?(?![\w])"
)
ZH_STREET = re.compile(
    r"[\u4e00-\u9fff]{1,5}(?:" + words_re(_R["zh_street_types"]) + r")[0-9０-９]{1,5}(?:号|號)"
    r"(?:[0-9０-９]{1,4}(?:栋|幢|号楼|楼|单元|室|层))*"
)
_NOT_STREET = frozenset(w.lower() for w in _R["en_not_street"])
_STANDALONE = frozenset({"broadway"})


def _en_ok(m: re.Match[str]) -> bool:
    words = m.group("name").split()
    if not words:
        return m.group("type").lower() in _STANDALONE
    return not any(w.lower().strip(".,'") in _NOT_STREET for w in words)


# Which patterns can match at all, told from the text's words (set look-ups, not regex scans).
_GATE_WORDS = {
    "po": heads(_R["po_boxes"]) | {"po"},
    "en": heads(_R["en_street_words"]),
    "fr": heads(_R["fr_street_types"]),
    "es": heads(_R["es_street_types"]),
    "pl": heads(_R["pl_street_types"]),
}
_DE_ENDINGS = tuple({w.lower() for w in _R["de_street_suffixes"] + _R["de_street_suffixes_de_only"]
                     + _R["de_street_words"]})
# Any of them as a substring of the lower-cased text, in one scan (the words are literals).
_DE_ENDING_RE = re.compile("|".join(re.escape(w) for w in _DE_ENDINGS))
_ZH_SUBSTRINGS = tuple(_R["zh_street_types"]) + ("信箱",)
_TAIL = re.compile(r"[0-9]{5}|[0-9][A-Z]{2}\b")


def _gates(text: str) -> set[str]:
    words = tokens(text)
    found = {name for name, gate in _GATE_WORDS.items() if not words.isdisjoint(gate)}
    if _DE_ENDING_RE.search(text.lower()):
        found.add("de")
    if any(w in text for w in _ZH_SUBSTRINGS):
        found.update(("zh", "po"))
    if _TAIL.search(text):
        found.add("tail")
    return found


def _add(pattern: re.Pattern[str], text: str, spans: list[Span], check=None) -> None:
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        if check is not None and not check(m):
            pos = m.start() + 1
            continue
        if not overlaps(spans, m.start(), m.end()):
            spans.append((m.start(), m.end(), "ADDRESS"))
        pos = m.end()


def address_spans(text: str, spans: list[Span]) -> None:
    """Append the street addresses and PO boxes of `text`."""
    found = _gates(text)
    if "po" in found:
        _add(PO_BOX, text, spans)
    if "tail" in found:
        _add(EN_NO_TYPE, text, spans)
    if "en" in found:
        _add(EN_STREET, text, spans, _en_ok)
    if "de" in found:
        _add(DE_COMPOUND, text, spans)
        _add(DE_ADJECTIVE, text, spans)
    if "fr" in found:
        _add(FR_STREET, text, spans)
    if "es" in found:
        _add(ES_STREET, text, spans)
    if "pl" in found:
        _add(PL_STREET, text, spans)
    if "zh" in found:
        _add(ZH_STREET, text, spans)
    # the language is told only once one of these matched: guessing it costs more than the regex
    if "de" in found:
        _add(DE_COMPOUND_DE_ONLY, text, spans, lambda m: guess_language(text) == "de")
    _add(DE_PREPOSITION, text, spans, lambda m: guess_language(text) == "de")
    if "fr" in found:
        _add(FR_STREET_FR_ONLY, text, spans, lambda m: guess_language(text) == "fr")
