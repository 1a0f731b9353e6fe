"""Keyed hashes: identifiers kept usable as join keys without being stored in clear.

`keyed_hash(value, kind)` is HMAC-SHA256 over `kind` and `value` with the warehouse's secret, cut
to 128 bits and written in the letters a-p (hex with 0-f shifted to a-p, as browser extension ids
are): no digit and no `@`, so no redaction rule can mistake a key for a phone, card or address.
Equal values of one kind give equal keys within a warehouse (threads still link across files
and runs); without the secret a key cannot be traced back to its value by guessing values.

The secret is 32 random bytes in `<warehouse>.key` beside the warehouse file (mode 0600, made on
first use; keep it with the warehouse's backups: new keys would no longer match old ones).
`pipelines.warehouse.connect` calls `use_warehouse`; a process that opened no warehouse file (an
in-memory one, a parser alone) gets a secret of its own that lives as long as the process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from pipelines.errors import UserError

log = logging.getLogger(__name__)

SECRET_BYTES = 32
KEY_CHARS = 32  # 128 bits
_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_secret: bytes | None = None
_keyed: tuple[bytes, hmac.HMAC] | None = None  # (secret, HMAC keyed with it): copied per value, keyed once


class KeyFileError(UserError, ValueError):
    """The warehouse's secret is unreadable; the message names the file and how to restore it."""


def secret_path(db: Path | str) -> Path:
    """Where the secret of warehouse `db` lives: `data/voc.duckdb` -> `data/voc.duckdb.key`."""
    db = Path(db)
    return db.with_name(db.name + ".key")


def load_secret(db: Path | str) -> bytes:
    """The secret of warehouse `db`, created (0600) when the warehouse has none yet."""
    path = secret_path(db)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = secrets.token_bytes(SECRET_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_bytes()
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    if len(data) < 16:
        raise KeyFileError(f"{path}: the warehouse's key file is damaged (under 16 bytes); restore it from a backup")
    return data


def use_warehouse(db: Path | str) -> None:
    """Make `db`'s secret the one `keyed_hash` uses (`:memory:`: a secret for this process)."""
    global _secret
    _secret = secrets.token_bytes(SECRET_BYTES) if str(db) == ":memory:" else load_secret(db)


def keyed_hash(value: str, kind: str) -> str:
    """A stable, non-reversible key for `value` (32 letters a-p); `kind` separates namespaces.

    >>> len(keyed_hash("<m1@example.org>", "message-id"))
    32
    """
    global _secret, _keyed
    if _secret is None:
        log.debug("no warehouse opened: keyed hashes use a secret of this process")
        _secret = secrets.token_bytes(SECRET_BYTES)
    if _keyed is None or _keyed[0] is not _secret:
        _keyed = (_secret, hmac.new(_secret, digestmod=hashlib.sha256))
    mac = _keyed[1].copy()  # a third of the cost of keying a new HMAC for every value
    mac.update(f"{kind}\x00{value}".encode())
    digest = mac.hexdigest()
    return digest[:KEY_CHARS].translate(_LETTERS)
