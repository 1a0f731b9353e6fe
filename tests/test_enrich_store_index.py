"""The run's in-memory index of the embedding store: same answers as asking the store, read by rowid."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.embeddings import index as store_index
from pipelines.embeddings.hashing import text_hash
from pipelines.embeddings.index import StoreIndex
from pipelines.embeddings.store import MissingEmbeddings, load_embeddings, stored_hashes
from pipelines.warehouse import connect

ENCODER = "test-encoder"


def _vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _hashes(prefix: str, n: int) -> list[str]:
    return [text_hash(f"{prefix} {i}") for i in range(n)]


@pytest.fixture
def con(db_path):
    con = connect(db_path)
    yield con
    con.close()


def test_stored_vectors_come_back_in_the_order_asked_and_a_new_index_sees_them(con):
    index = StoreIndex.load(con, ENCODER)
    hashes, vectors = _hashes("a", 50), _vectors(50, 1)
    assert index.stored(hashes) == set()
    assert index.store(hashes, vectors) == 50
    asked = [hashes[7], hashes[3], hashes[7], hashes[49]]
    np.testing.assert_array_equal(index.vectors(asked), vectors[[7, 3, 7, 49]])
    # The store itself agrees, and an index loaded afresh (the next run) answers the same.
    assert stored_hashes(con, ENCODER, hashes) == set(hashes)
    np.testing.assert_array_equal(load_embeddings(con, ENCODER, asked), vectors[[7, 3, 7, 49]])
    again = StoreIndex.load(con, ENCODER)
    assert again.stored(hashes + ["0" * 32]) == set(hashes)
    np.testing.assert_array_equal(again.vectors(asked), vectors[[7, 3, 7, 49]])


def test_storing_again_inserts_only_what_is_new(con):
    index = StoreIndex.load(con, ENCODER)
    old, new = _hashes("old", 10), _hashes("new", 5)
    index.store(old, _vectors(10, 2))
    vectors = _vectors(16, 3)
    # Already stored, new, and a new hash twice in one call: 5 rows inserted, the first copy kept.
    assert index.store(old[:5] + new + [new[0]], vectors) == 5
    assert con.execute("SELECT count(*) FROM enriched.embeddings").fetchall()[0][0] == 15
    np.testing.assert_array_equal(index.vectors([new[0]]), vectors[[5]])


def test_other_encoders_rows_are_not_this_encoders(con):
    StoreIndex.load(con, "other").store(_hashes("x", 3), _vectors(3, 4))
    index = StoreIndex.load(con, ENCODER)
    assert index.stored(_hashes("x", 3)) == set()
    assert index.store(_hashes("x", 3), _vectors(3, 5)) == 3


def test_merged_additions_are_still_found(con, monkeypatch):
    monkeypatch.setattr(store_index, "_MERGE_EVERY", 7)
    first = _hashes("first", 20)
    StoreIndex.load(con, ENCODER).store(first, _vectors(20, 6))
    index = StoreIndex.load(con, ENCODER)
    hashes, vectors = _hashes("b", 40), _vectors(40, 7)
    for start in range(0, 40, 5):  # several merges into the loaded arrays
        index.store(hashes[start : start + 5], vectors[start : start + 5])
    assert len(index) == 60 and len(index._added) < 7  # merged, not all buffered
    assert index.stored(first + hashes) == set(first + hashes)
    np.testing.assert_array_equal(index.vectors(hashes[::-1]), vectors[::-1])


def test_rows_moved_under_the_index_are_read_by_hash(con, caplog):
    index = StoreIndex.load(con, ENCODER)
    hashes, vectors = _hashes("c", 30), _vectors(30, 8)
    index.store(hashes, vectors)
    # Another writer deletes and re-inserts a row: its rowid changes behind the index's back.
    con.execute("CREATE TEMP TABLE keep AS FROM enriched.embeddings WHERE text_hash = ?", [hashes[4]])
    con.execute("DELETE FROM enriched.embeddings WHERE text_hash = ?", [hashes[4]])
    con.execute("INSERT INTO enriched.embeddings SELECT * FROM keep")
    with caplog.at_level("WARNING"):
        got = index.vectors([hashes[4], hashes[0]])
    np.testing.assert_array_equal(got, vectors[[4, 0]])
    assert "out of date" in caplog.text


def test_asking_for_a_text_never_embedded_names_it(con):
    index = StoreIndex.load(con, ENCODER)
    index.store(_hashes("d", 3), _vectors(3, 9))
    missing = text_hash("never embedded")
    with pytest.raises(MissingEmbeddings, match=missing):
        index.vectors(_hashes("d", 3) + [missing])
