"""What the embedding store needs of an encoder.

`models.encoder.Encoder`, `models.fast.FastEncoder`, `models.e5.E5Encoder` and the tests' doubles
all satisfy `Encoder`; the store, enrichment and topics are typed against it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """An encoder the store can key and call.

    `name` keys the stored vectors (name + weights hash, so two encoders never mix); texts longer
    than `max_tokens` tokens of `tokenizer` are chunked first; `encode` returns unit vectors (n, 384).
    """

    name: str
    max_tokens: int
    tokenizer: Any

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


def encoder_name(encoder: Encoder | str) -> str:
    """The name the store keys `encoder`'s vectors by (a name is passed through)."""
    return encoder if isinstance(encoder, str) else encoder.name
