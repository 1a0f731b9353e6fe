"""An in-memory index of one encoder's rows in the embedding store, kept for the length of a run.

Each enrichment batch asks the store which of its texts are stored, inserts the vectors of the
others and reads back the vectors it reuses. Asked of DuckDB, each question is a scan of the store
(it is keyed by a random hash, so no zone map prunes it): a cost per batch that grows with the store,
which made the stage quadratic (at 1M interactions: 0.2 s and 0.4 s per 5,000 texts, every batch).

`StoreIndex` reads the store's `(text_hash, rowid)` once, answers "is it stored?" from memory and
fetches reused vectors by rowid, which DuckDB pushes into the scan (only the row groups holding
those rows are read). Memory: 24 bytes per stored text (a 16-byte digest and a rowid; 8M texts =
192 MB) plus the run's own additions until they are merged in.

It assumes what the pipeline guarantees: one writer at a time (the stage holds the warehouse's
write lock) and no deletes from the store during the run. Every vector fetched by rowid is checked
against its hash; a mismatch (rows moved under the index) falls back to a lookup by hash.

`ensure_embeddings` (used by the topics stage) embeds and stores whatever a set of texts lacks
through the same index.

Example::

    index = StoreIndex.load(con, encoder)
    fresh = [h for h in hashes if h not in index.stored(hashes)]
    index.store(fresh, vectors)          # bulk insert, index updated
    old = index.vectors(reused_hashes)   # (n, 384) float32 in the order asked
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.embeddings.protocol import Encoder, encoder_name
from pipelines.embeddings.store import DIM, TABLE, encode_units, load_embeddings, vectors_to_arrow
from pipelines.warehouse import registered

log = logging.getLogger(__name__)

# Additions buffered in a dict before they are merged into the sorted arrays (one O(n) merge each).
_MERGE_EVERY = 100_000


def _digests(hashes: Sequence[str]) -> np.ndarray:
    """Hex md5 strings -> a (n,) array of 16-byte digests (numpy 'S16', sortable)."""
    if not len(hashes):
        return np.zeros(0, dtype="S16")
    return np.frombuffer(bytes.fromhex("".join(hashes)), dtype="S16")


class StoreIndex:
    """Which texts one encoder has stored, and where (rowid): see the module doc."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, encoder: Encoder | str, keys: np.ndarray, rowids: np.ndarray
    ) -> None:
        self.con, self.encoder = con, encoder_name(encoder)
        order = np.argsort(keys, kind="stable")
        self._keys, self._rowids = keys[order], rowids[order]
        self._added: dict[str, int] = {}

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, encoder: Encoder | str) -> StoreIndex:
        """Read the encoder's stored hashes and rowids (one scan of the hash column)."""
        table = con.sql(
            f"SELECT unhex(text_hash) AS digest, rowid FROM {TABLE} WHERE encoder = ?",
            params=[encoder_name(encoder)],
        ).to_arrow_table()
        try:
            digests = table.column("digest").combine_chunks().cast(pa.binary(16))
        except pa.ArrowInvalid as exc:
            raise ValueError(f"{TABLE} holds a text_hash that is not an md5 hex digest ({exc})") from exc
        keys = np.zeros(0, dtype="S16")
        if len(digests):
            start = digests.offset
            keys = np.frombuffer(digests.buffers()[1], dtype="S16")[start : start + len(digests)]
        rowids = table.column("rowid").to_numpy().astype(np.int64)
        return cls(con, encoder, keys, rowids)

    def __len__(self) -> int:
        return len(self._keys) + len(self._added)

    def _find(self, hashes: Sequence[str]) -> np.ndarray:
        """Rowid of each hash, -1 where not stored."""
        out = np.full(len(hashes), -1, dtype=np.int64)
        if not len(hashes):
            return out
        if len(self._keys):
            wanted = _digests(hashes)
            pos = np.searchsorted(self._keys, wanted).clip(max=len(self._keys) - 1)
            hit = self._keys[pos] == wanted
            out[hit] = self._rowids[pos[hit]]
        if self._added:
            for i, h in enumerate(hashes):
                if out[i] < 0:
                    out[i] = self._added.get(h, -1)
        return out

    def stored(self, hashes: Sequence[str]) -> set[str]:
        """The subset of `hashes` already in the store."""
        found = self._find(hashes)
        return {h for h, rowid in zip(hashes, found, strict=True) if rowid >= 0}

    def store(self, hashes: Sequence[str], vectors: np.ndarray) -> int:
        """Insert vectors for hashes not stored yet (the caller's duplicates dropped); returns how many."""
        keep: dict[str, int] = {}
        for i, (h, rowid) in enumerate(zip(hashes, self._find(hashes), strict=True)):
            if rowid < 0:
                keep.setdefault(h, i)
        if not keep:
            return 0
        rows = list(keep.values())
        batch = pa.table({
            "text_hash": pa.array(list(keep), pa.string()),
            "embedding": vectors_to_arrow(np.asarray(vectors)[rows]),
        })
        start = self.con.execute(f"SELECT coalesce(max(rowid) + 1, 0) FROM {TABLE}").fetchall()[0][0]
        with registered(self.con, batch=batch):
            self.con.execute(
                f"INSERT INTO {TABLE} (text_hash, encoder, embedding) "
                f"SELECT text_hash, ?, embedding::FLOAT[{DIM}] FROM batch",
                [self.encoder],
            )
        new = self.con.execute(
            f"SELECT text_hash, rowid FROM {TABLE} WHERE rowid >= ? AND encoder = ?", [start, self.encoder]
        ).fetchall()
        self._added.update(dict(new))
        if len(self._added) >= _MERGE_EVERY:
            self._merge()
        return len(keep)

    def _merge(self) -> None:
        """Fold the run's additions into the sorted arrays."""
        hashes = list(self._added)
        keys, rowids = _digests(hashes), np.fromiter(self._added.values(), dtype=np.int64, count=len(hashes))
        order = np.argsort(keys, kind="stable")
        keys, rowids = keys[order], rowids[order]
        pos = np.searchsorted(self._keys, keys)
        self._keys, self._rowids = np.insert(self._keys, pos, keys), np.insert(self._rowids, pos, rowids)
        self._added = {}

    def vectors(self, hashes: Sequence[str]) -> np.ndarray:
        """Stored vectors (n, 384) float32 in the order of `hashes` (repeats allowed), read by rowid."""
        if not len(hashes):
            return np.zeros((0, DIM), dtype=np.float32)
        found = self._find(hashes)
        if (found < 0).any():
            return load_embeddings(self.con, self.encoder, hashes)  # raises MissingEmbeddings, naming one
        wanted = np.unique(found)
        table = self.con.sql(
            f"SELECT e.rowid AS r, e.text_hash, e.embedding FROM {TABLE} e "
            "JOIN (SELECT unnest(?::BIGINT[]) AS r) w ON e.rowid = w.r",
            params=[wanted.tolist()],
        ).to_arrow_table()
        got = table.column("r").to_numpy()
        order = np.argsort(got)
        got_hashes = np.asarray(table.column("text_hash").to_pylist(), dtype=object)[order]
        if len(got) != len(wanted) or not np.array_equal(got[order], wanted):
            return self._fallback(hashes, "rows missing")
        at = np.searchsorted(wanted, found)
        if not all(got_hashes[at] == np.asarray(hashes, dtype=object)):
            return self._fallback(hashes, "rows moved")
        flat = table.column("embedding").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        matrix = flat.reshape(len(got), -1).astype(np.float32, copy=False)[order]
        return matrix[at]

    def _fallback(self, hashes: Sequence[str], why: str) -> np.ndarray:
        log.warning("embedding store index out of date (%s); reloading it and reading by hash", why)
        fresh = StoreIndex.load(self.con, self.encoder)
        self._keys, self._rowids, self._added = fresh._keys, fresh._rowids, fresh._added
        return load_embeddings(self.con, self.encoder, hashes)


def ensure_embeddings(
    con: duckdb.DuckDBPyConnection,
    encoder: Encoder,
    texts_by_hash: Mapping[str, str],
    batch_rows: int = 5000,
    progress: bool = False,
) -> int:
    """Embed and store every text not in the store yet; returns how many were encoded.

    Works in batches of `batch_rows` texts, each stored before the next is encoded, so memory
    stays flat and an interrupted run keeps what it finished.
    """
    index = StoreIndex.load(con, encoder)
    stored = index.stored(list(texts_by_hash))
    missing_all = [h for h in texts_by_hash if h not in stored]
    bar = None
    if progress and missing_all:
        from tqdm import tqdm

        bar = tqdm(total=len(missing_all), desc="embed", unit="text")
    for start in range(0, len(missing_all), batch_rows):
        hashes = missing_all[start : start + batch_rows]
        encoded = encode_units(encoder, [texts_by_hash[h] for h in hashes])
        index.store(hashes, encoded.vectors)
        if bar is not None:
            bar.update(len(hashes))
    if bar is not None:
        bar.close()
    return len(missing_all)
