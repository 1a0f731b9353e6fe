"""Dashboard-style reads of the serving copy while the pipeline ingests and publishes.

Prints reads/s and read latency (p50, p95, max) with and without a publish under way; the fault
test `tests/test_faults_readers.py` asserts the property (no error, whole builds only), this
measures the speed. Usage: python -m benchmarks.bench_readers [ROUNDS] [READERS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_faults_readers import _pipelines, _posts, _read_once  # noqa: E402

from pipelines.warehouse import serving_path  # noqa: E402


def _read_for(serving: Path, stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        try:
            _read_once(serving)
        except Exception as exc:  # noqa: BLE001 - counted and printed
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - start)


def _measure(serving: Path, readers: int, work) -> tuple[list[float], list[str], float]:
    stop, latencies, errors = threading.Event(), [], []
    threads = [threading.Thread(target=_read_for, args=(serving, stop, latencies, errors), daemon=True)
               for _ in range(readers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    try:
        work()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    return latencies, errors, time.perf_counter() - start


def _line(label: str, latencies: list[float], errors: list[str], seconds: float) -> str:
    if not latencies:
        return f"{label}: no read finished in {seconds:.1f}s, {len(errors)} errors"
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (f"{label}: {len(ms)} reads in {seconds:.1f}s ({len(ms) / seconds:.1f}/s), latency ms p50 "
            f"{statistics.median(ms):.1f} p95 {p95:.1f} max {ms[-1]:.1f}, {len(errors)} errors")


def main(rounds: int = 3, readers: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "voc.duckdb"
        _pipelines(db, "demo", "--no-stages", "--customers", "40", "--days", "10", "--out", str(folder / "demo"))
        _pipelines(db, "build")
        serving = serving_path(db)
        print(_line("idle      ", *_measure(serving, readers, lambda: time.sleep(5))))

        def publishes() -> None:
            for n in range(1, rounds + 1):
                _pipelines(db, "ingest", "social", str(_posts(folder / f"posts{n}.csv", n)))
                _pipelines(db, "build")

        print(_line("publishing", *_measure(serving, readers, publishes)))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
