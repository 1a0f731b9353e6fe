"""Readers of the serving copy while the pipeline writes and publishes (issue 7, "Faults").

Reader threads open the serving file read-only, as `dashboard/data.py` does (a new connection per
build, keyed by the file's inode), and query it continuously while subprocesses ingest new posts
and rebuild + publish several times. Zero errors, the pipeline never blocks on a reader's lock,
and every read sees one complete build: within one connection, marts.build_info's
n_interactions equals the rows of staging.interactions and n_contacts those of marts.interactions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse import serving_path

ROOT = Path(__file__).resolve().parents[1]
READERS = 3
ROUNDS = 3


def _pipelines(db: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


def _posts(path: Path, round_no: int) -> Path:
    lines = ['"tweet_id","author_id","inbound","created_at","text"']
    lines += [f'{900000 + round_no * 100 + i},"reader_{i}","True","2025-06-0{1 + i % 9} 10:00:00",'
              f'"@NorthwindHelp round {round_no} post {i}: my bill is wrong"' for i in range(20)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read_once(path: Path) -> tuple[int, int]:
    """One dashboard-style read: a fresh read-only connection on the current serving file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        info = con.execute("SELECT max(value) FILTER (WHERE key = 'n_interactions'), "
                           "max(value) FILTER (WHERE key = 'n_contacts') FROM marts.build_info").fetchone()
        marts, staged = con.execute("SELECT (SELECT count(*) FROM marts.interactions), "
                                    "(SELECT count(*) FROM staging.interactions)").fetchone()
    finally:
        con.close()
    assert info is not None and info[0] is not None, "build_info has no n_interactions: a half-built warehouse"
    assert (int(info[0]), int(info[1])) == (staged, marts), (
        f"half-built read: build_info {info}, marts {marts}, staging {staged}")
    return os.stat(path).st_ino, marts


@pytest.mark.slow
def test_readers_see_whole_builds_while_the_pipeline_publishes(tmp_path: Path) -> None:
    db = tmp_path / "voc.duckdb"
    _pipelines(db, "demo", "--no-stages", "--customers", "40", "--days", "10", "--out", str(tmp_path / "demo"))
    _pipelines(db, "build")
    serving = serving_path(db)
    first = _read_once(serving)[1]

    stop = threading.Event()
    errors: list[str] = []
    seen: set[int] = set()
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.add(_read_once(serving)[1])
                reads[0] += 1
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.01)

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(READERS)]
    for t in threads:
        t.start()
    try:
        for n in range(1, ROUNDS + 1):
            _pipelines(db, "ingest", "social", str(_posts(tmp_path / f"posts{n}.csv", n)))
            _pipelines(db, "build")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, f"{len(errors)} reader errors, e.g. {errors[:3]}"
    last = _read_once(serving)[1]
    assert last == first + 20 * ROUNDS
    assert reads[0] > 20, f"only {reads[0]} reads happened"
    assert seen <= {first + 20 * n for n in range(ROUNDS + 1)}, f"readers saw partial builds: {sorted(seen)}"
    assert len(seen) >= 2, f"readers never saw a new build: {sorted(seen)}"
