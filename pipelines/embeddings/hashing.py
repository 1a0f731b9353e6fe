"""The embedding store's key for a text."""

from __future__ import annotations

import hashlib


def text_hash(text: str) -> str:
    """`md5(text)` as hex: equals DuckDB's `md5(text)`."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()
