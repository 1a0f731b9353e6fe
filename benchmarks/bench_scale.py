"""`make bench-scale`: the whole pipeline at a given size, time and peak memory per stage.

Each stage runs in its own process (so its peak RSS is its own, from `os.wait4`):
generate (demo generator, bulk mode: calls/chats as one utterance CSV) -> ingest (all but the
last day of calls/chats) -> enrich -> topics -> build -> publish, then the incremental day: ingest
the held-back last day and run enrich/topics/build/publish again; its cost is printed as a share of
the full run.

    python -m benchmarks.bench_scale                       # ~1,000 interactions, a few minutes
    python -m benchmarks.bench_scale --interactions 100000 # hours here: the encoder does 25-80 texts/s
    python -m benchmarks.bench_scale --full                # 100k then 1M (many hours; run overnight,
                                                           # `nice -n 10`, on a machine with >= 16 GB)

Sizes are approximate: the demo generator is driven by customers x days (about 0.053 contacts per
customer per day); the figures print the real counts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTACTS_PER_CUSTOMER_DAY = 0.053     # measured on the demo generator's default plan
DAYS = 30
STAGES = ("enrich", "topics", "build")

GENERATE = """
import json, sys
from pathlib import Path
from pipelines.demo import generate
files = generate(Path(sys.argv[1]), seed=7, customers=int(sys.argv[2]), days=int(sys.argv[3]), bulk=True)
json.dump({k: [str(p) for p in v] for k, v in files.items()}, open(sys.argv[4], "w"))
"""
# Hold back the last day of calls/chats (the bulk utterance CSV) as the "one more day" batch.
SPLIT = """
import json, sys, duckdb
files = json.load(open(sys.argv[1]))
src = files["transcripts"][0]
con = duckdb.connect()
rel = f"read_csv('{src}', all_varchar = true, header = true)"
cut = con.execute(f"SELECT left(max(started_at), 10) FROM {rel}").fetchone()[0]
base, day = src.replace(".csv", ".base.csv"), src.replace(".csv", ".lastday.csv")
con.execute(f"COPY (SELECT * FROM {rel} WHERE started_at < ?) TO '{base}' (HEADER)", [cut])
con.execute(f"COPY (SELECT * FROM {rel} WHERE started_at >= ?) TO '{day}' (HEADER)", [cut])
import os; os.remove(src)
files["transcripts"] = [base]
json.dump(files, open(sys.argv[1], "w"))
json.dump({"transcripts": [day]}, open(sys.argv[2], "w"))
"""
INGEST = """
import json, sys
from pipelines import warehouse
from pipelines.commands.demo import INGEST_ORDER, ingest_options
from pipelines.ingest import ingest_paths
con = warehouse.connect(sys.argv[1])
files = json.load(open(sys.argv[2]))
for kind in INGEST_ORDER:
    if files.get(kind):
        reports = ingest_paths(con, kind, files[kind], ingest_options())
        failed = [r.line() for r in reports if r.error]
        assert not failed, failed
        print(kind, sum(r.read for r in reports), "read", sum(r.loaded for r in reports), "loaded")
con.close()
"""
STAGE = """
import sys
from pipelines import stages, warehouse
con = warehouse.connect(sys.argv[1])
for name, summary in stages.run_all(con, {sys.argv[2]}):
    print(name, summary)
con.close()
"""
PUBLISH = "import sys; from pipelines import warehouse; print(warehouse.publish(sys.argv[1]))"
COUNT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(*con.execute("SELECT (SELECT count(*) FROM staging.interactions), (SELECT count(*) FROM staging.turns)").fetchone())
"""


def measure(label: str, code: str, *args: str, log: Path) -> tuple[float, float]:
    """Run `code` in a child Python; returns (seconds, peak RSS in MB) of that child alone."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    with open(log, "a") as out:
        out.write(f"\n=== {label}\n")
        out.flush()
        proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        # A broken stage must not hide the others' figures: say so and go on.
        print(f"  {label}: FAILED (exit {proc.returncode}); traceback in {log}", flush=True)
        return math.nan, usage.ru_maxrss / 1024
    return seconds, usage.ru_maxrss / 1024


def run_size(interactions: int, workdir: Path) -> None:
    customers = max(20, math.ceil(interactions / (CONTACTS_PER_CUSTOMER_DAY * DAYS)))
    folder = workdir / f"n{interactions}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db, log = str(folder / "voc.duckdb"), folder / "bench.log"
    files, day = str(folder / "files.json"), str(folder / "lastday.json")
    rows: list[tuple[str, float, float]] = []

    def step(label: str, code: str, *args: str) -> None:
        seconds, peak = measure(label, code, *args, log=log)
        rows.append((label, 0.0 if math.isnan(seconds) else seconds, peak))
        if not math.isnan(seconds):
            print(f"  {label:<22} {seconds:>9.1f} s  {peak:>8.0f} MB peak", flush=True)

    print(f"size ~{interactions:,} interactions ({customers:,} customers x {DAYS} days); log: {log}", flush=True)
    step("generate", GENERATE, str(folder / "demo"), str(customers), str(DAYS), files)
    step("split last day", SPLIT, files, day)
    step("ingest", INGEST, db, files)
    for stage in STAGES:
        step(stage, STAGE, db, stage)
    step("publish", PUBLISH, db)
    base = subprocess.run([sys.executable, "-c", COUNT, db], capture_output=True, text=True, cwd=ROOT).stdout.split()
    full = sum(s for label, s, _ in rows if label not in ("generate", "split last day"))
    n_full = len(rows)
    step("+1 day: ingest", INGEST, db, day)
    for stage in STAGES:
        step(f"+1 day: {stage}", STAGE, db, stage)
    step("+1 day: publish", PUBLISH, db)
    after = subprocess.run([sys.executable, "-c", COUNT, db], capture_output=True, text=True, cwd=ROOT).stdout.split()
    extra = sum(s for _, s, _ in rows[n_full:])
    added = int(after[0]) - int(base[0])
    print(f"  interactions {int(base[0]):,} (+{added:,} in the extra day = {added / max(1, int(base[0])):.1%}), "
          f"turns {int(after[1]):,}")
    print(f"  full run (ingest..publish): {full:.1f} s; peak memory {max(p for _, _, p in rows):.0f} MB; "
          f"incremental day: {extra:.1f} s = {extra / full:.1%} of the full run")
    print(f"  per 1k interactions: " + ", ".join(
        f"{label} {s / max(1, int(base[0])) * 1000:.1f} s" for label, s, _ in rows[2:n_full]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, action="append",
                        help="approximate size (repeatable; default 1000)")
    parser.add_argument("--full", action="store_true", help="run 100,000 and 1,000,000 (hours)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench", help="where files and warehouses go")
    args = parser.parse_args(argv)
    sizes = [100_000, 1_000_000] if args.full else (args.interactions or [1000])
    for size in sizes:
        run_size(size, args.workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
