"""Small files are loaded in batches (`load.ParsedFiles`) with the outcome of loading them one by one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import IngestOptions, ingest_paths, load
from pipelines.warehouse import connect


def _conv(cid: str, text: str | None = "my bill is wrong", when: str = "2024-03-01T10:00:00") -> dict:
    turns = [{"speaker": "agent", "text": "hello, how can I help?"}]
    if text is not None:
        turns.append({"speaker": "customer", "text": text})
    return {"id": cid, "date": when, "turns": turns}


def _write(folder: Path, name: str, convs: list[dict]) -> Path:
    path = folder / name
    path.write_text(json.dumps(convs), encoding="utf-8")
    return path


@pytest.fixture
def flushes(monkeypatch) -> list[int]:
    """The number of files each `ParsedFiles.flush` that succeeded wrote together."""
    sizes: list[int] = []
    real = load.ParsedFiles.flush

    def spy(self):
        n = len(self.pending)
        real(self)
        if n:
            sizes.append(n)

    monkeypatch.setattr(load.ParsedFiles, "flush", spy)
    return sizes


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    return {
        "files": q("SELECT path, n_read, n_loaded, n_rejected FROM raw.files ORDER BY path"),
        "records": q("SELECT f.path, r.record_no, r.content_hash FROM raw.records r JOIN raw.files f USING (file_id) "
                     "ORDER BY 1, 2"),
        "rejects": q("SELECT path, record_no, reason FROM raw.rejects ORDER BY path, record_no"),
        "interactions": q("SELECT i.interaction_id, i.source_id, f.path, i.record_no, i.text, i.customer_id "
                          "FROM staging.interactions i JOIN raw.files f USING (file_id) ORDER BY 1"),
        "turns": q("SELECT interaction_id, turn_no, speaker, text FROM staging.turns ORDER BY 1, 2"),
    }


def _outcome(reports) -> list[tuple]:
    return [(Path(r.path).name, r.read, r.loaded, r.rejected, r.reasons, r.skipped, r.error) for r in reports]


def test_a_folder_of_small_files_is_written_as_one_batch(tmp_path: Path, flushes: list[int]) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for i in range(5):
        _write(folder, f"call{i}.json", [_conv(f"c{i}")])
    con = connect(tmp_path / "voc.duckdb")
    reports = ingest_paths(con, "transcripts", [folder], IngestOptions())
    assert [(r.read, r.loaded, r.error) for r in reports] == [(1, 1, None)] * 5
    assert flushes == [5]
    assert con.execute("SELECT count(DISTINCT file_id) FROM staging.interactions").fetchone()[0] == 5
    con.close()


def test_a_batch_with_one_bad_file_loads_the_others_and_names_the_bad_one(tmp_path: Path, flushes) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for i in (1, 2, 4, 5):
        _write(folder, f"call{i}.json", [_conv(f"c{i}")])
    bad = folder / "call3.json"
    bad.write_text("[" * 100_000 + "]" * 100_000)  # small, and fails its whole file
    con = connect(tmp_path / "voc.duckdb")
    reports = ingest_paths(con, "transcripts", [folder], IngestOptions())
    by_name = {Path(r.path).name: r for r in reports}
    assert list(by_name) == [f"call{i}.json" for i in range(1, 6)]
    assert by_name["call3.json"].error and str(bad) in by_name["call3.json"].error
    assert [(by_name[f"call{i}.json"].loaded, by_name[f"call{i}.json"].error) for i in (1, 2, 4, 5)] == [(1, None)] * 4
    loaded = con.execute("SELECT source_id FROM staging.interactions ORDER BY 1").fetchall()
    assert loaded == [("c1",), ("c2",), ("c4",), ("c5",)]
    paths = {Path(p).name for (p,) in con.execute("SELECT path FROM raw.files").fetchall()}
    assert paths == {"call1.json", "call2.json", "call4.json", "call5.json"}
    assert flushes == [1, 1, 1, 1], "the batch failed before writing anything; its good files loaded one by one"
    con.close()


def _duplicates_folder(root: Path) -> tuple[Path, Path]:
    """A warehouse file that loads `seen`, and a folder whose files share ids with it and each other."""
    first = root / "first"
    first.mkdir()
    earlier = _write(first, "earlier.json", [_conv("seen")])
    folder = root / "calls"
    folder.mkdir()
    _write(folder, "a.json", [_conv("x"), _conv("seen"), _conv("w", text=None), _conv("y")])
    _write(folder, "b.json", [_conv("x", "again"), _conv("x", "twice"), _conv("z"), _conv("seen"),
                              _conv("w", "now with a customer turn")])
    _write(folder, "c.json", [_conv("z", "later"), _conv("y"), _conv("v", when="not a date")])
    shutil.copy(folder / "a.json", folder / "d.json")  # same content as a.json: skipped
    _write(folder, "e.json", [_conv("v"), _conv("u")])
    return earlier, folder


def test_duplicate_ids_across_files_of_a_batch_resolve_as_loading_one_by_one(tmp_path: Path, flushes) -> None:
    earlier, folder = _duplicates_folder(tmp_path)
    options = IngestOptions()
    outcomes, states = [], []
    for name, batched in (("batched", True), ("one_by_one", False)):
        con = connect(tmp_path / f"{name}.duckdb")
        ingest_paths(con, "transcripts", [earlier], options)
        if batched:
            reports = ingest_paths(con, "transcripts", [folder], options)
        else:
            reports = [r for path in sorted(folder.iterdir()) for r in ingest_paths(con, "transcripts", [path], options)]
        outcomes.append(_outcome(reports))
        states.append(_state(con))
        con.close()
    # earlier.json; then a, b, c together; d (a's content) waits for them and is skipped; e
    assert flushes[:3] == [1, 3, 1]
    assert outcomes[0] == outcomes[1]
    assert states[0] == states[1]
    rejects = {(Path(p).name, n): reason for p, n, reason in states[0]["rejects"]}
    a, earlier_path = str((folder / "a.json").resolve()), str(earlier.resolve())
    assert rejects[("a.json", 2)] == f"duplicate id: seen already loaded from {earlier_path} (record 1)"
    assert rejects[("b.json", 1)] == f"duplicate id: x already loaded from {a} (record 1)"
    assert rejects[("b.json", 2)] == "duplicate id: x is also record 1 of this file"
    assert rejects[("b.json", 4)] == f"duplicate id: seen already loaded from {earlier_path} (record 1)"
    assert rejects[("c.json", 1)].startswith("duplicate id: z already loaded from ")
    assert ("b.json", 5) not in rejects, "a.json's w was rejected, so b.json's w loads"
    assert rejects[("c.json", 3)].startswith("unparseable timestamp")
    assert ("e.json", 1) not in rejects, "c.json's v was rejected, so e.json's v loads"
    assert [o[0] for o in outcomes[0] if o[5]] == ["d.json"]
