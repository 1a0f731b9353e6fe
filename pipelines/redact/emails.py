"""E-mail addresses, typed (`jo@x.com`) or spelled to dodge scrapers (`jo dot roe at x dot com`).

The spelled forms are normalised before they are judged: each "at" token (`@`, ` @ `, `[at]`,
`(at)`, `{at}`, `<at>`, `（at）`, ` at `, ` arroba `, ` małpa `...) becomes "@", each "dot" token
(`.`, ` . `, `[dot]`, ` dot `, ` punkt `, ` kropka `, ` punto `...) becomes ".", and the result must
be an RFC 5322 dot-atom address. A spelled-out form also needs a known top-level domain, and a bare
" at " a reason to be read as "@" (an e-mail cue before it, a spelled-out dot, or a local part no
plain word has), so that "I looked at google.com" stays.
"""

from __future__ import annotations

import re

from pipelines.redact.rules import WS, Span, cue_re, overlaps, patterns, words_re

_RULES = patterns()["email"]
_OPEN, _CLOSE = r"[\[({<（【]", r"[\])}>）】]"
_AT_WORDS, _DOT_WORDS = words_re(_RULES["at_words"]), words_re(_RULES["dot_words"])

# The separators, each a named alternative so that the normaliser knows which form it met.
_AT = (
    rf"(?:{WS}*{_OPEN}{WS}*(?:{_AT_WORDS}|@){WS}*{_CLOSE}{WS}*"   # [at] (at) {at} <at> （at）
    rf"|[@＠]|{WS}+[@＠]{WS}+"                                       # @, full-width, " @ "
    rf"|{WS}+(?:{_AT_WORDS}){WS}+)"                                   # " at ", " arroba "
)
_DOT_LOCAL = (
    rf"(?:{WS}*{_OPEN}{WS}*(?:{_DOT_WORDS}|\.){WS}*{_CLOSE}{WS}*"
    rf"|{WS}+(?:{_DOT_WORDS}){WS}+|\.)"
)
_DOT_DOMAIN = (
    rf"(?:{WS}*{_OPEN}{WS}*(?:{_DOT_WORDS}|\.){WS}*{_CLOSE}{WS}*"
    rf"|{WS}+(?:{_DOT_WORDS}){WS}+|{WS}*\.{WS}*)"
)
_LOCAL_ATOM = r"[A-Za-z0-9_%+'-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_RE = re.compile(
    rf"(?<![A-Za-z0-9._%+'@#-]){_LOCAL_ATOM}(?:{_DOT_LOCAL}{_LOCAL_ATOM})*\.?"
    rf"(?P<at>{_AT})"
    rf"{_LABEL}(?:{_DOT_DOMAIN}{_LABEL})*{_DOT_DOMAIN}(?P<tld>[A-Za-z]{{2,24}})(?![A-Za-z0-9-])",
    re.IGNORECASE,
)
# The ordinary typed form, tried first at each "@": the spelled regex may read past the address
# ("jo@x.com. Thanks" as host "com", TLD "Thanks") and would then reject it.
TYPED_RE = re.compile(
    r"(?<![A-Za-z0-9._%+'@#-])[A-Za-z0-9._%+'-]+[@＠][A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_PLAIN_AT = re.compile(r"[@＠]")
_SPELLED_DOT = re.compile(rf"{_OPEN}|{WS}(?:{_DOT_WORDS}){WS}|{WS}\.|\.{WS}", re.IGNORECASE)
_WORD_AT = re.compile(rf"^{WS}+(?:{_AT_WORDS}){WS}+$", re.IGNORECASE)
_CUES = re.compile(cue_re(_RULES["cues"]), re.IGNORECASE)
_TLDS = frozenset(_RULES["tlds"])
_WORD_TLDS = frozenset(_RULES["word_tlds"])
_ODD_LOCAL = re.compile(r"[0-9._%+'-]")
_NOT_WS = r"[^ \t\n\r\f\v]"
# What every address above has, written so that Python `re` and RE2 read it alike (the SQL
# prefilter is built from it): an "@", a bracketed "at" token, or a word "at" followed by a host
# and a dot, spelled or typed.
GATE_PATTERN = (
    rf"[@＠]|(?i:{_OPEN}{WS}*(?:{_AT_WORDS}){WS}*{_CLOSE})"
    rf"|(?i:{WS}(?:{_AT_WORDS}){WS}+{_NOT_WS}+(?:{WS}*{_OPEN}|{WS}+(?:{_DOT_WORDS}){WS}|{WS}*\.))"
)


def _accept(text: str, m: re.Match[str]) -> bool:
    at = m.group("at")
    address = m.group()
    spelled = not _PLAIN_AT.fullmatch(at) or bool(_SPELLED_DOT.search(address))
    if not spelled:
        return True  # typed the ordinary way: user@host.tld
    tld = m.group("tld").lower()
    if tld not in _TLDS:
        return False
    before_tld = text[m.start(): m.start("tld")]
    if tld in _WORD_TLDS and re.search(rf"{WS}(?:{_DOT_WORDS}){WS}*$", before_tld, re.IGNORECASE):
        return False  # "at what point in", "at some point it": an English word after a spelled dot
    if not _WORD_AT.match(at):
        return True  # [at], (at), " @ ": nobody writes these but for an address
    local = address[: m.start("at") - m.start()]
    cue = _CUES.search(text, max(0, m.start() - 40), m.start())
    spelled_local = re.search(rf"{WS}(?:{_DOT_WORDS}){WS}|{_OPEN}", local, re.IGNORECASE)
    return bool(cue or spelled_local or _ODD_LOCAL.search(local))


# The "at" tokens alone, for the scan (no leading whitespace run to try at every position).
_AT_TOKEN = re.compile(
    rf"[@＠]|{_OPEN}{WS}*(?:{_AT_WORDS}|@){WS}*{_CLOSE}|{WS}(?:{_AT_WORDS}){WS}", re.IGNORECASE
)
# After a word "at" or a spaced "@": a host label, then a dot in some form.
_HOST_NEXT = re.compile(rf"{WS}*[A-Za-z0-9-]+(?:{WS}*{_OPEN}|{WS}+(?:{_DOT_WORDS}){WS}|{WS}*\.)", re.IGNORECASE)
_LOCAL_CHAR = re.compile(r"[A-Za-z0-9_%+'.\-\]）)}>】 \t]")


def email_spans(text: str, spans: list[Span]) -> None:
    """Append the e-mail spans of `text` (typed or spelled out) to `spans`.

    The address regex runs only in a window around each "at" token: tried from every word of a
    long text it would cost more than all the other finders together.
    """
    for tok in _AT_TOKEN.finditer(text):
        if overlaps(spans, tok.start(), tok.end()):
            continue
        # cheap rejections first: "@handle" has nothing before the @, " at home" no host after
        if tok.start() == 0 or not _LOCAL_CHAR.match(text[tok.start() - 1]):
            continue
        if tok.group()[0] not in "@＠" and tok.group()[-1].isspace() and not _HOST_NEXT.match(text, tok.end()):
            continue
        pos, end = max(0, tok.start() - 80), min(len(text), tok.end() + 256)
        if tok.group() in ("@", "＠"):
            typed = next((m for m in TYPED_RE.finditer(text, pos, end) if m.start() < tok.start() < m.end()), None)
            if typed is not None:
                if not overlaps(spans, typed.start(), typed.end()):
                    spans.append((typed.start(), typed.end(), "EMAIL"))
                continue
        while (m := EMAIL_RE.search(text, pos, end)) is not None and m.start() <= tok.start():
            if m.start("at") < tok.end() and tok.start() < m.end("at") and _accept(text, m):
                if not overlaps(spans, m.start(), m.end()):
                    spans.append((m.start(), m.end(), "EMAIL"))
                break
            # the match may have started on a word before the address ("me at rob.hale at gmail.com")
            pos = m.start() + 1
