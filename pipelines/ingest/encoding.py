"""Text encodings seen in contact-center exports: detect them, decode strictly, hand UTF-8 to DuckDB.

Detection order: a byte-order mark; strict UTF-8 over the whole file (the common case, and a
strict check is the only reliable one); UTF-16 without a BOM (NUL bytes in every other position);
then charset-normalizer restricted to the legacy code pages exports really use (GB18030 for
Chinese, cp1250 for Central European, Latin-1 for Western). An explicit `--encoding` always wins.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.errors import UserError

CHUNK = 1 << 20
SAMPLE = 256 * 1024
# Code pages tried when a file is not Unicode; order breaks ties (charset-normalizer scores them).
LEGACY_CANDIDATES = ("gb18030", "cp1250", "latin_1")
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class EncodingError(UserError, ValueError):
    """A file cannot be decoded; the message names the file, the position and the `--encoding` fix."""


def normalise_encoding(name: str) -> str:
    """The codec's canonical Python name (`UTF8` -> `utf-8`, `GBK` -> `gbk`); raises on unknown names."""
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise EncodingError(
            f"unknown encoding {name!r}; use a Python codec name such as utf-8, utf-16, gb18030, cp1250, latin-1"
        ) from exc


def _looks_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The encoding to read `path` with: `declared` when given, else detected.

    >>> detect_encoding(Path("tweets.csv"))  # doctest: +SKIP
    'utf-8'
    """
    if declared:
        return normalise_encoding(declared)
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE)
    for bom, name in BOMS:
        if sample.startswith(bom):
            return name
    utf16 = _looks_utf16(sample)
    if utf16:
        return utf16
    if _decodes(path, "utf-8"):
        return "utf-8"
    from charset_normalizer import from_bytes  # imported late: only legacy files need it

    best = from_bytes(sample, cp_isolation=list(LEGACY_CANDIDATES)).best()
    if best is not None and normalise_encoding(best.encoding) == "gb18030" and _decodes(path, "gb18030"):
        return "gb18030"
    return _cp1250_or_latin1(sample)


# Letters only one of the two single-byte code pages has at a given byte: charset-normalizer
# often mistakes French or Spanish Latin-1 for cp1250 (è/č and ù/ů share bytes).
_CP1250_ONLY = set("ąćęłńśźżĄĆĘŁŃŚŹŻčďěňřšťůžČĎĚŇŘŠŤŮŽőűŐŰ")
_LATIN1_ONLY = set("àâæçèêëîïôùûüÿÀÂÆÇÈÊËÎÏÔÙÛÜñÑãõÃÕìòÌÒøØåÅ")


def _cp1250_or_latin1(sample: bytes) -> str:
    as_cp1250 = sample.decode("cp1250", errors="replace")
    as_latin1 = sample.decode("latin-1")
    cp_score = sum(ch in _CP1250_ONLY for ch in as_cp1250) - 5 * as_cp1250.count("\ufffd")
    # C1 control characters (0x80-0x9F) never appear in real Latin-1 text
    latin_score = sum(ch in _LATIN1_ONLY for ch in as_latin1) - 5 * sum(
        "\x80" <= ch <= "\x9f" for ch in as_latin1
    )
    return "cp1250" if cp_score > latin_score else "iso8859-1"


# Charsets mail clients declare for text written in a larger code page (Outlook labels cp1252
# text iso-8859-1, GB2312 mail holds GBK characters...): decode with the superset.
MAIL_CHARSET_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949", "ks_c_5601-1987": "cp949",
                          "shift_jis": "cp932", "iso8859-1": "cp1252", "ascii": "cp1252"}


def mail_codec(declared: str) -> str:
    """The codec to decode a MIME part or header declared as `declared` with; raises on unknown names."""
    name = normalise_encoding(declared)
    return MAIL_CHARSET_SUPERSETS.get(name, MAIL_CHARSET_SUPERSETS.get(declared.strip().lower(), name))


def decode_legacy(data: bytes, declared: str | None = None) -> str:
    """Text of bytes whose charset is undeclared or wrong (raw 8-bit mail headers, bodies).

    `declared` first, then UTF-8, then GB18030 when charset-normalizer says so, else cp1250 or
    Latin-1 by the letters each gives (as `detect_encoding` does for files).

    >>> decode_legacy("José Müller".encode("latin-1"))
    'José Müller'
    """
    for name in (declared, "utf-8"):
        if name:
            try:
                return data.decode(mail_codec(name))
            except (UnicodeDecodeError, ValueError):
                continue
    from charset_normalizer import from_bytes  # only legacy bytes need it

    best = from_bytes(data, cp_isolation=list(LEGACY_CANDIDATES)).best()
    if best is not None and normalise_encoding(best.encoding) == "gb18030":
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    return data.decode(_cp1250_or_latin1(data), errors="replace")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def check_decodes(path: Path, encoding: str) -> None:
    """Raise `EncodingError` (file, byte, line, fix) unless the whole file decodes as `encoding`."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                exc.start += offset
                raise _decode_error(path, encoding, Path(path).read_bytes()[: exc.start + 1], exc) from exc
            offset += len(chunk)
            if not chunk:
                return


def _decode_error(path: Path, encoding: str, data: bytes, exc: UnicodeDecodeError) -> EncodingError:
    line = data[: exc.start].count(b"\n") + 1
    return EncodingError(
        f"{path}: cannot decode as {encoding} at byte {exc.start} (line {line}): {exc.reason}; "
        "pass the right one with --encoding (e.g. --encoding cp1250, gb18030, latin-1, utf-16)"
    )


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The whole file as text and the encoding used (BOM stripped); raises `EncodingError`."""
    path = Path(path)
    used = detect_encoding(path, encoding)
    data = path.read_bytes()
    try:
        return data.decode(used), used
    except UnicodeDecodeError as exc:
        raise _decode_error(path, used, data, exc) from exc


def mostly_utf8(path: Path) -> bool:
    """True when a file that is not valid UTF-8 throughout still is UTF-8 on most of its lines.

    Exports appended to by two systems mix UTF-8 rows with a few Latin-1 ones; reading them as
    UTF-8 rejects only the bad rows (DuckDB reports them), where a single-byte code page would
    garble every good one. Requires UTF-8 multi-byte text on more lines than there are bad ones.
    """
    good = bad = 0
    with open(path, "rb") as fh:
        for line in fh:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                good += 1
            except UnicodeDecodeError:
                bad += 1
    return good > bad > 0


def needs_transcoding(encoding: str) -> bool:
    """DuckDB's CSV/JSON readers take UTF-8 only (a UTF-8 BOM is fine)."""
    return normalise_encoding(encoding) not in {"utf-8", "utf-8-sig"}


# Stands in for a bare carriage return while DuckDB reads a CSV (its reader ends a row at any
# CR, even inside an unquoted field, as TWCS tweets have); loaders turn it back into '\r'.
CR_PLACEHOLDER = "\ue000"
_BARE_CR = re.compile("\r(?!\n)")


def has_bare_cr(path: Path) -> bool:
    """True when the file holds a CR that does not end a CRLF line (cheap byte scan)."""
    with open(path, "rb") as fh:
        tail = b""
        while chunk := fh.read(CHUNK):
            data = tail + chunk
            start = 0
            while (i := data.find(b"\r", start)) != -1:
                if i + 1 < len(data) and data[i + 1] not in (0x0A, 0x00):
                    return True
                start = i + 1
            tail = data[-1:]
    return False


@contextmanager
def utf8_copy(path: Path, encoding: str, bare_cr: bool = False) -> Iterator[Path]:
    """`path` itself when it is UTF-8, else a temporary UTF-8 copy (streamed), removed afterwards.

    With `bare_cr`, CRs that do not end a line become `CR_PLACEHOLDER` in the copy.
    """
    path = Path(path)
    if not needs_transcoding(encoding) and not bare_cr:
        yield path
        return
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    fd, tmp = tempfile.mkstemp(prefix="voc-utf8-", suffix=path.suffix)
    offset, carry = 0, ""
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            while True:
                chunk = src.read(CHUNK)
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    exc.start += offset
                    raise _decode_error(path, encoding, path.read_bytes(), exc) from exc
                if offset == 0:
                    text = text.lstrip("\ufeff")
                offset += len(chunk)
                text, carry = carry + text, ""
                if bare_cr and chunk and text.endswith("\r"):
                    text, carry = text[:-1], "\r"  # may be the CR of a CRLF split across chunks
                if bare_cr:
                    text = _BARE_CR.sub(CR_PLACEHOLDER, text)
                out.write(text.encode("utf-8"))
                if not chunk:
                    break
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
