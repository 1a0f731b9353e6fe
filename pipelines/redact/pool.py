"""Redaction in worker processes: the finders are pure Python, so one process redacts on one core.

`apply(func, texts, workers)` splits the texts over `workers` processes, this one and `workers - 1`
of one shared `ProcessPoolExecutor` (kept for the process), and returns `func(text)` for each text,
in order: for `redact` (a pure function), the same strings as redacting them here. `redact_many`
uses it from `MIN_TEXTS` texts that pass the prefilter. The workers are forked (no start-up imports,
and no re-run of the caller's main module as spawn and forkserver do), and `start(workers)` forks
them at a quiet moment: ingest calls it before its statements run, not from inside DuckDB's
threads. A worker that dies (killed, out of memory) costs nothing but speed: the texts are done
here and the pool is not used again. Each worker reports the CPU seconds it spent
(`worker_cpu_seconds()`), which the process's own CPU clock does not count.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

MIN_TEXTS = 256  # texts past the prefilter in one call; fewer are redacted in this process
MAX_AUTO_WORKERS = 4

log = logging.getLogger(__name__)
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_broken = False
_worker_cpu = 0.0


def auto_workers(setting: int = 0) -> int:
    """The worker count for `[ingest] redact_workers`: the setting when positive, else one per CPU this
    process may use (at most MAX_AUTO_WORKERS); 1 means no worker processes."""
    if setting > 0:
        return setting
    return max(1, min(MAX_AUTO_WORKERS, len(os.sched_getaffinity(0))))


def _chunk(func: Callable[[str], str], texts: list[str]) -> tuple[list[str], float]:
    start = time.process_time()
    out = [func(text) for text in texts]
    return out, time.process_time() - start


def _pid() -> int:
    return os.getpid()


def _executor(size: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            _pool = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("fork"))
            _pool_size = size
            # a fork pool forks every worker at its first task: now, not inside a DuckDB statement
            for future in [_pool.submit(_pid) for _ in range(size)]:
                future.result()
        return _pool


def start(workers: int) -> None:
    """Fork the `workers - 1` worker processes now, so that later calls find them ready."""
    if workers > 1 and not _broken:
        try:
            _executor(workers - 1)
        except (BrokenProcessPool, OSError) as exc:
            _give_up(exc)


def _give_up(exc: BaseException) -> None:
    global _broken
    log.warning("redaction worker processes failed (%s); redacting in this process from now on", exc)
    _broken = True
    shutdown()


def shutdown() -> None:
    """Stop the worker processes (the next call starts new ones)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def worker_cpu_seconds() -> float:
    """CPU seconds the worker processes spent so far (benchmarks add it to their own)."""
    return _worker_cpu


def apply(func: Callable[[str], str], texts: Sequence[str], workers: int) -> list[str]:
    """`[func(t) for t in texts]`, computed in `workers` processes (this one included); `func` must be
    picklable (a module's function, or a functools.partial of one)."""
    global _worker_cpu
    if workers < 2 or _broken:
        return [func(text) for text in texts]
    size = -(-len(texts) // workers)
    chunks = [list(texts[i:i + size]) for i in range(0, len(texts), size)]
    try:
        pool = _executor(workers - 1)
        futures = [pool.submit(_chunk, func, chunk) for chunk in chunks[1:]]
        here = [func(text) for text in chunks[0]]  # while the workers do the rest
        results = [future.result() for future in futures]
    except (BrokenProcessPool, OSError) as exc:
        _give_up(exc)
        return [func(text) for text in texts]
    with _lock:
        _worker_cpu += sum(cpu for _, cpu in results)
    return here + [text for out, _ in results for text in out]
