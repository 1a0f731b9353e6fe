"""An email body's new text, wherever it sits, apart from the quoted reply and the signature.

`split_reply(body)` returns `(new, quoted, signature)`. Top-posted, bottom-posted and inline replies
all keep their author's words: every block of unquoted lines is new text, except what follows a
reply header that has no `>` quote under it (Outlook's `From:/Sent:` block, `-----Original
Message-----`, a forwarded-message banner: the original is pasted unquoted below it, so the rest
of the mail is the quote). A reply header followed by `>` lines (`On <date>, <name> wrote:` and its
other-language forms) is only the attribution of that quote and is dropped itself.

Reply headers, signature openers and mobile footers come from `mail-parser-reply`'s language
tables (en, de, cs, da, es, fr, it, ja, ko, nl, pl, sv, zh); `EXTRA_HEADERS` adds the forms it lacks
(Russian `... пользователь ... написал:`, Yahoo's `--- On ..., ... wrote:`, Polish `W dniu ...
napisał(a):`, Spanish `El ... escribió:`, Chinese `... 写道：` without its date form, non-English
`Original Message` banners, forwarded banners). The library itself keeps only the top part of a mail
and leaves `>` quotes in it, so only its patterns are used here, not its splitting.

A signature starts at `-- `, at a mobile footer (`Sent from my iPhone`), at a long rule line
(`_____`, a mailing-list footer), or at a closing line alone on its line (`Best regards,`,
`Pozdrawiam`...) within the last lines of its block; it runs to the end of that block.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

from mailparser_reply.constants import MAIL_LANGUAGES

QUOTE_PREFIX = r"(?:> ?)*"
# Forms mail-parser-reply (1.36) does not recognise; each is matched on whole, stripped lines.
EXTRA_HEADERS = (
    # Android / Gmail Russian: 02.04.2012 14:20 пользователь "bob@x" <\nbob@x> написал:
    r"^[^\n]{0,200}пользователь\s[^\n]{0,200}(?:\n[^\n]{0,200}){0,2}написал(?:\(а\))?\s*:$",
    # German Gmail: Jo Smith <jo@x.org> schrieb am Mo., 4. März 2024, 09:00:
    r"^[^\n]{0,120}<[^\n]+>\s+schrieb am\s[^\n]{0,100}:$",
    # Russian Thunderbird/Outlook: 04.03.2024 9:00, Acme пишет:
    r"^[^\n]{0,200}\sпишет\s*:$",
    # Yahoo: --- On Mon, 4/2/12, bob <bob@x> wrote:
    r"^-{2,}\s*On\s[^\n]{0,300}(?:\n[^\n]{0,200})?\swrote\s*:$",
    # Polish Thunderbird / Gmail: W dniu 4.03.2024 o 09:00, Acme pisze: / napisał(a):
    r"^(?:W dniu|Dnia)\s[^\n]{0,300}(?:\n[^\n]{0,200})?\s(?:pisze|napisał(?:\(a\))?|napisała)\s*:$",
    # Spanish Gmail: El lun, 4 mar 2024 a las 9:00, Acme (<help@acme.com>) escribió:
    r"^El\s[^\n]{0,300}(?:\n[^\n]{0,200})?\sescribió\s*:$",
    # Chinese Gmail / Apple Mail: Acme <x> 于2024年3月4日周一 09:00写道： / 在 2024年3月4日，Acme 写道：
    r"^[^\n]{0,300}写道\s*[:：]$",
    r"^[^\n]{0,200}(?:于|在)\s?\d{4}\s?年[^\n]{0,200}\n[^\n]{0,200}写道\s*[:：]$",
    # Gmail's wrapped English form with "at" and the address on the next line
    r"^On\s[^\n]{0,300}\n[^\n]{0,200}\swrote\s*:$",
    # Banners: Original Message in other languages, forwarded messages, Outlook's rule
    r"^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Oryginalna wiadomość|"
    r"Mensaje original|Messaggio originale|Исходное сообщение)\s*-{2,}",  # Samsung: "--------From: ..." on
    r"^-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré|Wiadomość przekazana|"
    r"Mensaje reenviado|Пересылаемое сообщение)\s*-{2,}",  # the same line in a flattened plain part
    r"^Begin forwarded message:$",
)
EXTRA_CLOSINGS = ("thanks", "thank you", "many thanks", "thanks again", "cheers", "sincerely", "regards",
                  "best", "br", "yours truly", "yours sincerely", "bien à vous", "pozdrowienia",
                  "viele grüße", "liebe grüße", "saludos", "atentamente", "谢谢", "此致", "祝好",
                  "с уважением", "спасибо")
EXTRA_SENT_FROM = ("Sent from (?:Outlook|Mail|Yahoo Mail)", "Von meinem .{1,30} gesendet", "Envoyé de mon",
                   "Wysłane z", "Отправлено с")
RULE_RE = re.compile(r"^[_\-=~*]{20,}$")          # Hotmail's ad rule, a mailing list's footer rule
SIG_DASHES_RE = re.compile(r"^(?:-- ?|--|__)$")
HYPHEN_NAME_RE = re.compile(r"^- ?[\w.' ]{1,40}$")  # "- Debin" alone on the last line
# A closing line is a signature only this close to the end of its block (a "Thanks" that opens a
# mail, or one that thanks for something, is text).
CLOSING_MAX_LINES_AFTER = 6


def _flat(value: object) -> list[str]:
    if not value:
        return []
    return [v for v in value if v] if isinstance(value, list) else [str(value)]


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...], re.Pattern[str],
                         re.Pattern[str]]:
    """(attribution-style headers, header-block headers, closing line, mobile footer), compiled once."""
    flags = re.MULTILINE | re.IGNORECASE
    wrote = [re.compile(spec["wrote_header"], flags) for spec in MAIL_LANGUAGES.values() if spec.get("wrote_header")]
    wrote += [re.compile(p, flags) for p in EXTRA_HEADERS]
    blocks = [re.compile(spec["from_header"], flags) for spec in MAIL_LANGUAGES.values() if spec.get("from_header")]
    blocks.append(re.compile(r"^-{5,} ?Original Message ?-{5,}$", flags))
    closings = [p.rstrip(",") for spec in MAIL_LANGUAGES.values() for p in _flat(spec.get("signatures"))]
    closings += [re.escape(c) for c in EXTRA_CLOSINGS]
    closing = re.compile(rf"^{QUOTE_PREFIX}(?:{'|'.join(closings)})[\s,.!，。]*$", re.IGNORECASE)
    sent = [p for spec in MAIL_LANGUAGES.values() for p in _flat(spec.get("sent_from"))] + list(EXTRA_SENT_FROM)
    footer = re.compile(rf"^{QUOTE_PREFIX}(?:{'|'.join(sent)})\b.{{0,80}}$", re.IGNORECASE)
    return tuple(wrote), tuple(blocks), closing, footer


# A header-block pattern opens with a line `[> ][* ]KEYWORD:` (`(?:From|Sent|To|...):`), repeated.
_BLOCK_KEYWORDS_RE = re.compile(r"\[\* \]\*\(\?:([^()]+?)\):")


@lru_cache(maxsize=1)
def _block_guard() -> tuple[re.Pattern[str], frozenset[re.Pattern[str]]]:
    """(a line any of the guarded header-block patterns needs, those patterns).

    Most mails have no `From:`/`Sent:` block; one scan for its first line spares the dozen block
    patterns (each a scan of the whole text). A pattern whose keywords cannot be read is not guarded.
    """
    _, blocks, _, _ = _patterns()
    keywords = {p: _BLOCK_KEYWORDS_RE.search(p.pattern) for p in blocks}
    guarded = frozenset(p for p, m in keywords.items() if m)
    alternatives = "|".join(f"(?:{keywords[p].group(1)})" for p in blocks if p in guarded)  # type: ignore[union-attr]
    return re.compile(rf"^(?:> ?)*[* ]*(?:{alternatives}):", re.MULTILINE | re.IGNORECASE), guarded


# An attribution pattern that ends in `:$` (`... wrote:`, `... 写道：`) needs a line ending so.
_ENDS_IN_COLON_RE = re.compile(r"(?::|：|\[:：\])\)?\$$")
_COLON_LINE_RE = re.compile(r"[:：]$", re.MULTILINE)


@lru_cache(maxsize=1)
def _colon_ended() -> frozenset[re.Pattern[str]]:
    """The attribution patterns that can only match up to a line ending in a colon."""
    wrote, _, _, _ = _patterns()
    return frozenset(p for p in wrote if _ENDS_IN_COLON_RE.search(p.pattern))


def _header_spans(lines: list[str], starts: list[int]) -> list[tuple[int, int]]:
    """(first line, last line) of every reply header among `lines` (stripped; `starts` = offsets)."""
    wrote, blocks, _, _ = _patterns()
    guard, guarded = _block_guard()
    text = "\n".join(lines)
    if not guard.search(text):
        blocks = tuple(p for p in blocks if p not in guarded)
    if not _COLON_LINE_RE.search(text):  # half of all mails: no attribution line to look for
        ended = _colon_ended()
        wrote = tuple(p for p in wrote if p not in ended)
    spans = []

    def line_of(offset: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:  # last line starting at or before offset
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if starts[mid] <= offset else (lo, mid - 1)
        return lo

    for pattern in wrote + blocks:  # spans are sorted below: the order patterns run in does not matter
        for match in pattern.finditer(text):
            found = match.group(0).strip("\n")
            if not found.strip():
                continue
            begin = match.start() + (len(match.group(0)) - len(match.group(0).lstrip("\n")))
            first, last = line_of(begin), line_of(begin + len(found) - 1)
            while last > first and (not lines[last] or _is_quote(lines[last])):
                last -= 1  # a block pattern's trailing catch-all line is not part of the header
            if pattern in blocks and "Original Message" not in found and found.count(":") < 2:
                continue  # one "Data:" line is text, not Outlook's From/Sent block (pl has {1,})
            spans.append((first, last))
    return sorted(spans)


def _is_quote(line: str) -> bool:
    return line.startswith(">")


def _signature_start(block: list[str], first_of_body: bool) -> int | None:
    """Index in `block` (stripped lines) where its signature starts, else None.

    Hard openers first (`-- `, a mobile footer, a rule line after a blank line: a list footer), then
    a closing line (or a lone `- Name`) among the last lines before that point.
    """
    _, _, closing, footer = _patterns()
    hard = next((i for i, line in enumerate(block)
                 if SIG_DASHES_RE.match(line) or footer.match(line)
                 or (RULE_RE.match(line) and (i == 0 or not block[i - 1]))), None)
    end = len(block) if hard is None else hard
    content = [i for i in range(end) if block[i]]
    for n, i in enumerate(content):
        after = len(content) - n - 1
        if after > CLOSING_MAX_LINES_AFTER or (first_of_body and n == 0):
            continue
        line = block[i]
        previous = block[content[n - 1]] if n else ""
        if closing.match(line) or (after == 0 and previous and not previous.startswith("-")
                                   and HYPHEN_NAME_RE.match(line)):
            return i
    return hard


def split_reply(body: str) -> tuple[str, str, str]:
    """(new text, quoted reply, signature) of a plain-text email body.

    >>> split_reply("Still broken.\\n\\nThanks,\\nJo\\n\\nOn Mon, 4 Mar 2024, Acme wrote:\\n> Fixed!")[0]
    'Still broken.'
    >>> split_reply("On Mon, 4 Mar 2024, Acme wrote:\\n> Fixed?\\nNo, still broken.\\n> Sure?\\nYes.")[0]
    'No, still broken.\\n\\nYes.'
    """
    raw = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [line.strip() for line in raw]
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    kind = ["new"] * len(lines)
    for i, line in enumerate(lines):
        if _is_quote(line):
            kind[i] = "quoted"
    cut = len(lines)
    for first, last in _header_spans(lines, starts):
        if first >= cut or kind[first] == "quoted":
            continue
        nxt = next((j for j in range(last + 1, len(lines)) if lines[j]), None)
        if nxt is not None and kind[nxt] == "quoted":
            for j in range(first, last + 1):
                kind[j] = "quoted"     # the attribution line(s) of a `>` quote
        else:
            cut = first                # the original follows unquoted: the rest is the quote
    for j in range(cut, len(lines)):
        kind[j] = "quoted"

    new_blocks, signature = [], []
    i = 0
    while i < len(lines):
        if kind[i] != "new":
            i += 1
            continue
        j = i
        while j < len(lines) and kind[j] == "new":
            j += 1
        block = lines[i:j]
        sig = _signature_start(block, first_of_body=not new_blocks and all(not x for x in lines[:i]))
        if sig is not None:
            signature.append("\n".join(raw[i + sig:j]).strip())
            j_text = i + sig
        else:
            j_text = j
        text = "\n".join(raw[i:j_text]).strip()
        if text:
            new_blocks.append(text)
        i = j
    quoted = "\n".join(raw[k] for k in range(len(raw)) if kind[k] == "quoted").strip()
    return "\n\n".join(new_blocks), quoted, "\n".join(s for s in signature if s)


class _HTMLText(HTMLParser):
    """HTML to plain text: block tags become line breaks, blockquotes become `>` lines, scripts vanish."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.quote:
            data = "\n".join("> " * self.quote + line if line.strip() else line for line in data.split("\n"))
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML email part (quoted blocks prefixed with `>`)."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_RICH_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)>")


def richtext_to_text(text: str, enriched: bool = False) -> str:
    """Plain text of a `text/richtext` (RFC 1341) or `text/enriched` (RFC 1896) body.

    richtext: line breaks in the source are spaces, `<nl>` is a line break, `<np>` a page break,
    `<lt>` a `<`; enriched: a run of n line breaks is n-1 breaks, `<<` is a `<`. Other formatting
    commands (`<bold>`, `<excerpt>`...) are dropped, and `<comment>`/`<param>` contents with them.

    >>> richtext_to_text("Hello<nl><bold>world</bold> <lt>3")
    'Hello\\nworld <3'
    """
    text = text.replace("\r\n", "\n")
    if enriched:
        text = re.sub(r"\n+", lambda m: "\n" * (len(m.group(0)) - 1) if len(m.group(0)) > 1 else " ", text)
        text = text.replace("<<", "\x00")
    else:
        text = text.replace("\n", " ")
    out, skip = [], 0
    pos = 0
    for match in _RICH_TAG.finditer(text):
        if not skip:
            out.append(text[pos:match.start()])
        closing, name = match.group(1), match.group(2).lower()
        if name in {"comment", "param"}:
            skip = max(0, skip - 1) if closing else skip + 1
        elif not skip and not closing:
            out.append({"nl": "\n", "np": "\n\n", "lt": "<"}.get(name, ""))
        pos = match.end()
    if not skip:
        out.append(text[pos:])
    plain = "".join(out).replace("\x00", "<")
    return "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in plain.split("\n")).strip()
