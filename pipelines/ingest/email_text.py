"""An email body's new text, separated from the quoted reply and the signature; HTML to text.

`split_reply(body)` returns `(new, quoted, signature)`. The reply starts at the first quote
header: `On <date>, <name> wrote:` (and its German, French, Polish, Spanish and Chinese forms),
Outlook's `-----Original Message-----` or `From: ... / Sent: ...` block, a forwarded-message
banner, or the first run of `>` lines. The signature starts at `-- `, at a closing line
(`Best regards,`, `Thanks,`, `Pozdrawiam`...) near the end, or at a mobile footer
(`Sent from my iPhone`, `Get Outlook for Android`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

REPLY_HEADER_RES = (
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am\b.{0,300}\bschrieb\b.{0,100}:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*(?:W dniu|Dnia)\b.{0,300}\b(?:pisze|napisał\w*)\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*El\b.{0,300}\bescribió\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*在.{0,300}写道\s*[:：]\s*$"),
    re.compile(r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Oryginalna wiadomość)\s*-{2,}",
               re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above the quoted header
)
# Outlook quotes without a banner: "From: X" then "Sent:"/"Date:" within the next lines.
OUTLOOK_FROM_RE = re.compile(r"^\s*\*?(?:From|Von|De|Od)\s*:\*?\s", re.IGNORECASE)
OUTLOOK_SENT_RE = re.compile(r"^\s*\*?(?:Sent|Date|Gesendet|Envoyé|Wysłano|Data)\s*:", re.IGNORECASE)
# "On Tue, 5 Mar 2024 at 10:01, Jo <jo@x.com>" wrapped before "wrote:"
WROTE_CONT_RE = re.compile(r"^\s*(?:.{0,120}\s)?(?:wrote|schrieb|a écrit|pisze|napisał\w*|escribió)\s*:\s*$",
                           re.IGNORECASE)
SIG_DASHES_RE = re.compile(r"^-- ?$")
CLOSING_RE = re.compile(
    r"^\s*(?:best(?: regards| wishes)?|kind regards|warm regards|regards|many thanks|thanks(?: again| so much)?|"
    r"thank you|cheers|sincerely|yours(?: truly| sincerely)?|br|mit freundlichen grüßen|viele grüße|"
    r"liebe grüße|grüße|cordialement|bien à vous|pozdrawiam|z poważaniem|pozdrowienia|saludos|atentamente|"
    r"此致|谢谢|祝好)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
MOBILE_FOOTER_RE = re.compile(
    r"^\s*(?:sent from my \w+|sent from (?:outlook|mail|yahoo mail)|get outlook for \w+|"
    r"wysłane z (?:mojego )?\w+|von meinem \w+ gesendet|envoyé de mon \w+)", re.IGNORECASE)
# A closing line is a signature only this close to the end (a "Thanks" that opens a mail is text).
CLOSING_MAX_LINES_AFTER = 6


def _reply_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            return i
        if any(r.match(line) for r in REPLY_HEADER_RES):
            return i
        if line.strip().lower().startswith(("on ", "am ", "le ", "w dniu ")) and i + 1 < len(lines) \
                and WROTE_CONT_RE.match(lines[i + 1]):
            return i
        if OUTLOOK_FROM_RE.match(line) and any(OUTLOOK_SENT_RE.match(n) for n in lines[i + 1:i + 5]):
            return i
    return None


def _signature_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if SIG_DASHES_RE.match(line) or MOBILE_FOOTER_RE.match(line):
            return i
    content = [i for i, line in enumerate(lines) if line.strip()]
    for i in content:
        after = sum(1 for j in content if j > i)
        if i > 0 and after <= CLOSING_MAX_LINES_AFTER and CLOSING_RE.match(lines[i]):
            return i
    return None


def split_reply(body: str) -> tuple[str, str, str]:
    """(new text, quoted reply, signature) of a plain-text email body.

    >>> split_reply("Still broken.\\n\\nThanks,\\nJo\\n\\nOn Mon, 4 Mar 2024, Acme wrote:\\n> Fixed!")[0]
    'Still broken.'
    """
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _reply_start(lines)
    head, quoted = (lines, []) if cut is None else (lines[:cut], lines[cut:])
    sig = _signature_start(head)
    new, signature = (head, []) if sig is None else (head[:sig], head[sig:])
    return "\n".join(new).strip(), "\n".join(quoted).strip(), "\n".join(signature).strip()


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
            data = "\n".join("> " + line if line.strip() else line for line in data.split("\n"))
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML email part (quoted blocks prefixed with `>`)."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
