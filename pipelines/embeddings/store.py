"""The embedding store's table: one encoder forward pass per distinct text, shared by every model stage.

`enriched.embeddings` holds one L2-normalised vector per `(md5(text), encoder name)`; sentiment,
emotion and the topic model read it instead of encoding again. Long texts are stored as the
normalised mean of their chunks' vectors (see `chunking`).

Example (the topics stage; `ensure_embeddings` and the run's index of the store live in
`index`, `text_hash` in `hashing`)::

    ensure_embeddings(con, encoder, {text_hash(t): t for t in texts})
    vectors = load_embeddings(con, encoder, [text_hash(t) for t in texts])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.embeddings.chunking import Units, make_units, pool
from pipelines.embeddings.protocol import Encoder, encoder_name
from pipelines.warehouse import registered

TABLE = "enriched.embeddings"
DIM = 384
# Units per encoder call: small enough for a progress update every few seconds, large enough
# for the encoder to sort by length and batch well.
_SLICE_BATCHES = 8


class MissingEmbeddings(KeyError):
    """`load_embeddings` was asked for texts never embedded; run `index.ensure_embeddings` first."""


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
            [encoder_name(encoder)],
        ).fetchall()
    return {r[0] for r in rows}


def load_embeddings(con: duckdb.DuckDBPyConnection, encoder: Encoder | str, hashes: Sequence[str]) -> np.ndarray:
    """Stored vectors (n, 384) float32 in the order of `hashes` (repeats allowed)."""
    if not len(hashes):
        return np.zeros((0, DIM), dtype=np.float32)
    with registered(con, wanted=_hash_table(sorted(set(hashes)))):
        table = con.sql(
            f"SELECT e.text_hash, e.embedding FROM {TABLE} e JOIN wanted w USING (text_hash) WHERE e.encoder = ?",
            params=[encoder_name(encoder)],
        ).to_arrow_table()
    found = table.column("text_hash").to_pylist()
    index = {h: i for i, h in enumerate(found)}
    missing = [h for h in hashes if h not in index]
    if missing:
        raise MissingEmbeddings(
            f"{len(missing)} text(s) have no stored embedding for encoder {encoder_name(encoder)} "
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
