"""Readers of the serving copy while the pipeline writes and publishes (issue 7, "Faults").

Reader threads open the serving file read-only, as `dashboard/data.py` does (a new connection per
build, keyed by the file's inode), and query it continuously while subprocesses ingest new posts
and rebuild + publish several times. Zero errors, the pipeline never blocks on a reader's lock,
and every read sees one complete build: within one connection, marts.build_info's
n_interactions equals the rows of staging.interactions and n_contacts those of marts.interactions.
After each publish the test waits until a reader has seen that build, so every build is read
whatever the machine's speed; how fast reads are is measured by `make bench-readers`, not asserted.
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
SEEN_WAIT_S = 120  # a loaded machine; the wait ends as soon as a reader has read the build


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
    read = threading.Condition()

    def reader() -> None:
        while not stop.is_set():
            try:
                count = _read_once(serving)[1]
                with read:
                    seen.add(count)
                    read.notify_all()
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
            # readers are still reading: wait (a condition, not a sleep) until one has seen this build
            with read:
                read.wait_for(lambda n=n: first + 20 * n in seen or bool(errors), timeout=SEEN_WAIT_S)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, f"{len(errors)} reader errors, e.g. {errors[:3]}"
    last = _read_once(serving)[1]
    assert last == first + 20 * ROUNDS
    builds = {first + 20 * n for n in range(ROUNDS + 1)}
    assert seen <= builds, f"readers saw partial builds: {sorted(seen)}"
    assert seen >= builds - {first}, f"readers missed published builds: saw {sorted(seen)} of {sorted(builds)}"
