"""The embedding store: one encoder forward pass per distinct text, shared by every model stage.

`enriched.embeddings` holds one L2-normalised vector per `(md5(text), encoder name)`; sentiment,
emotion and the topic model read it instead of encoding again. Long texts are stored as the
normalised mean of their chunks' vectors (see `chunking`).

Example (the topics stage; `ensure_embeddings` and the run's index of the store live in
`store_index`)::

    ensure_embeddings(con, encoder, {text_hash(t): t for t in texts})
    vectors = load_embeddings(con, encoder, [text_hash(t) for t in texts])
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.enrich.chunking import Units, make_units, pool
from pipelines.warehouse import registered

TABLE = "enriched.embeddings"
DIM = 384
# Units per encoder call: small enough for a progress update every few seconds, large enough
# for the encoder to sort by length and batch well.
_SLICE_BATCHES = 8


@runtime_checkable
class Encoder(Protocol):
    """What the store needs of an encoder (`models.encoder.Encoder`, `models.fast.FastEncoder`, test doubles).

    `name` keys the stored vectors (name + weights hash, so two encoders never mix); texts longer
    than `max_tokens` tokens of `tokenizer` are chunked first; `encode` returns unit vectors (n, 384).
    """

    name: str
    max_tokens: int
    tokenizer: Any

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class MissingEmbeddings(KeyError):
    """`load_embeddings` was asked for texts never embedded; run `store_index.ensure_embeddings` first."""


def text_hash(text: str) -> str:
    """`md5(text)` as hex: equals DuckDB's `md5(text)`."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _name(encoder: Encoder | str) -> str:
    return encoder if isinstance(encoder, str) else encoder.name


def _hash_table(hashes: Sequence[str]) -> pa.Table:
    return pa.table({"text_hash": pa.array(list(hashes), pa.string())})


def vectors_to_arrow(vectors: np.ndarray) -> pa.FixedSizeListArray:
    """(n, d) float32 -> an Arrow fixed-size list column (DuckDB reads it as FLOAT[d])."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])


def stored_hashes(con: duckdb.DuckDBPyConnection, encoder: Encoder | str, hashes: Sequence[str]) -> set[str]:
    """The subset of `hashes` already in the store for this encoder."""
    if not hashes:
        return set()
    with registered(con, wanted=_hash_table(hashes)):
        rows = con.execute(
            f"SELECT DISTINCT e.text_hash FROM {TABLE} e JOIN wanted w USING (text_hash) WHERE e.encoder = ?",
            [_name(encoder)],
        ).fetchall()
    return {r[0] for r in rows}


def load_embeddings(con: duckdb.DuckDBPyConnection, encoder: Encoder | str, hashes: Sequence[str]) -> np.ndarray:
    """Stored vectors (n, 384) float32 in the order of `hashes` (repeats allowed)."""
    if not len(hashes):
        return np.zeros((0, DIM), dtype=np.float32)
    with registered(con, wanted=_hash_table(sorted(set(hashes)))):
        table = con.sql(
            f"SELECT e.text_hash, e.embedding FROM {TABLE} e JOIN wanted w USING (text_hash) WHERE e.encoder = ?",
            params=[_name(encoder)],
        ).to_arrow_table()
    found = table.column("text_hash").to_pylist()
    index = {h: i for i, h in enumerate(found)}
    missing = [h for h in hashes if h not in index]
    if missing:
        raise MissingEmbeddings(
            f"{len(missing)} text(s) have no stored embedding for encoder {_name(encoder)} "
            f"(first: {missing[0]}); call ensure_embeddings first"
        )
    flat = table.column("embedding").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    matrix = flat.reshape(len(found), -1).astype(np.float32, copy=False)
    return matrix[[index[h] for h in hashes]]


@dataclass(frozen=True)
class Encoded:
    """Encoder output for a list of texts: per-text vectors plus the per-unit (chunk) vectors."""

    vectors: np.ndarray       # (n, 384), normalised mean of each text's units
    units: Units
    unit_vectors: np.ndarray  # (U, 384)


def encode_units(
    encoder: Encoder, texts: Sequence[str], on_progress: Callable[[int, int], None] | None = None
) -> Encoded:
    """Chunk `texts` (see `chunking`) and run the encoder once over all the chunks.

    Chunks are sorted by length before slicing so every encoder batch holds similar lengths;
    `on_progress(units_done_now, units_total)` is called after each slice.
    """
    units = make_units(list(texts), encoder.tokenizer, encoder.max_tokens)
    unit_vectors = np.zeros((len(units.texts), DIM), dtype=np.float32)
    order = np.argsort([len(t) for t in units.texts], kind="stable")
    step = max(1, int(getattr(encoder, "batch_size", 64)) * _SLICE_BATCHES)
    for start in range(0, len(order), step):
        idx = order[start : start + step]
        unit_vectors[idx] = encoder.encode([units.texts[i] for i in idx])
        if on_progress:
            on_progress(len(idx), len(order))
    vectors = pool(unit_vectors, units, normalise=True) if len(texts) else unit_vectors[:0]
    return Encoded(vectors, units, unit_vectors)
