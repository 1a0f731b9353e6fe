"""`make bench-scale`: the whole pipeline at 100k and 1M interactions, time and peak memory per stage.

Each stage runs in its own process, so its peak RSS (`os.wait4`: the process and the children it
waited for) is its own: generate (demo generator, bulk mode: calls/chats as one utterance CSV; the
last day of calls/chats is held back) -> ingest -> enrich -> topics fit -> topics assign -> build ->
publish. Then the incremental day: ingest the held-back day (about 1% of the interactions, same
customers) and run enrich, topics assign, build and publish again; its cost is printed as a share of
the full run. Last, the dashboard's pages are timed in headless Chromium on the serving copy
(`benchmarks.bench_dashboard`). With two sizes the table shows each stage's growth (linear = the
size ratio, 10x from 100k to 1M).

    python -m benchmarks.bench_scale                          # 100k then 1M (`nice -n 10`, >= 16 GB RAM)
    python -m benchmarks.bench_scale --interactions 20000 --mode full --no-dashboard
    python -m benchmarks.bench_scale --interactions 100000 --json data/bench/scale.json
    python -m benchmarks.bench_scale --interactions 1000000 --only-ingest   # generate + ingest (full and day)

`--mode fast` (the default from 100k) runs the static encoder (`VOC_MODELS_MODE=fast`); the
transformer encoder (`full`) does a few hundred texts/s here, days for 1M. Sizes are approximate:
the generator is driven by customers x days; the table prints the real counts.
"""

from __future__ import annotations

import argparse
import dataclasses
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
DAYS = 60                             # one day of calls/chats is then about 1% of all interactions
FAST_FROM = 100_000                   # default --mode: fast from this size up

GENERATE = """
import json, sys, duckdb
from pathlib import Path
from pipelines.demo import generate
files = generate(Path(sys.argv[1]), seed=7, customers=int(sys.argv[2]), days=int(sys.argv[3]), bulk=True)
files = {k: [str(p) for p in v] for k, v in files.items()}
# Hold back the last day of calls/chats (the bulk utterance CSV) as the "one more day" batch.
src = files["transcripts"][0]
con = duckdb.connect()
rel = f"read_csv('{src}', all_varchar = true, header = true)"
cut = con.execute(f"SELECT left(max(started_at), 10) FROM {rel}").fetchone()[0]
base, day = src.replace(".csv", ".base.csv"), src.replace(".csv", ".lastday.csv")
con.execute(f"COPY (SELECT * FROM {rel} WHERE started_at < ?) TO '{base}' (HEADER)", [cut])
con.execute(f"COPY (SELECT * FROM {rel} WHERE started_at >= ?) TO '{day}' (HEADER)", [cut])
n, distinct, customer = con.execute(
    f"SELECT count(*), count(DISTINCT text), count(DISTINCT text) FILTER (speaker = 'customer') FROM {rel}").fetchone()
convs = con.execute(f"SELECT count(DISTINCT conversation_id) FROM {rel}").fetchone()[0]
print(f"utterances {n} in {convs} calls/chats; distinct utterance texts {distinct} ({customer} customer-side)")
Path(src).unlink()
files["transcripts"] = [base]
json.dump(files, open(sys.argv[4], "w"))
json.dump({"transcripts": [day]}, open(sys.argv[5], "w"))
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
from pipelines.config import Settings
con = warehouse.connect(sys.argv[1])
for name, summary in stages.run_all(con, Settings.load(), {sys.argv[2]}):
    print(name, summary)
con.close()
"""
FIT = """
import sys
from pipelines import warehouse
from pipelines.topics import stage
con = warehouse.connect(sys.argv[1])
model = stage.fit(con)
print(f"fitted {model.version}: {len(model.ids)} topics on {model.n_docs} texts")
con.close()
"""
PUBLISH = "import sys; from pipelines import warehouse; print(warehouse.publish(sys.argv[1]))"
COUNTS = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
n, turns = con.execute("SELECT (SELECT count(*) FROM staging.interactions), (SELECT count(*) FROM staging.turns)").fetchone()
texts = con.execute("SELECT count(DISTINCT md5(text)) FROM staging.interactions WHERE text IS NOT NULL").fetchone()[0]
emb = con.execute("SELECT count(*) FROM enriched.embeddings").fetchone()[0]
print(json.dumps({"interactions": n, "turns": turns, "distinct_interaction_texts": texts, "embeddings": emb}))
"""

FULL = ("ingest", "enrich", "topics fit", "topics assign", "build", "publish")
DAY = ("ingest", "enrich", "topics assign", "build", "publish")


def fast_mode_available() -> bool:
    """Whether `[models] mode` exists in this build (the static encoder of fast mode)."""
    from pipelines.models import ModelSettings

    return "mode" in {f.name for f in dataclasses.fields(ModelSettings)}


def measure(label: str, code: str, *args: str, log: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Run `code` in a child Python; returns (seconds, peak RSS in MB, CPU seconds) of it and its children."""
    start = time.perf_counter()
    with open(log, "a") as out:
        out.write(f"\n=== {label}\n")
        out.flush()
        proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:   # Ctrl-C: a stage left running would hold the warehouse's lock
            proc.kill()
            proc.wait()
            raise
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{label} failed (exit {os.waitstatus_to_exitcode(status)}); traceback in {log}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def run_size(interactions: int, workdir: Path, mode: str, dashboard: bool, loads: int,
             only_ingest: bool = False) -> dict:
    """Generate, run every stage, then the incremental day and the dashboard; returns the figures.

    `only_ingest`: generate, then the full and the day's ingest only (the other stages are skipped).
    """
    customers = max(20, math.ceil(interactions / (CONTACTS_PER_CUSTOMER_DAY * DAYS)))
    folder = workdir / f"n{interactions}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db, log = str(folder / "voc.duckdb"), folder / "bench.log"
    files, day = str(folder / "files.json"), str(folder / "lastday.json")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "VOC_MODELS_MODE": mode, "PYTHONPATH": str(ROOT)}
    result: dict = {"target": interactions, "customers": customers, "days": DAYS, "mode": mode,
                    "full": {}, "day": {}, "load_start": os.getloadavg()}

    def step(part: str, label: str, code: str, *args: str) -> None:
        if only_ingest and label not in ("generate", "ingest"):
            return
        seconds, peak, cpu = measure(f"{part} {label}", code, *args, log=log, env=env)
        result[part][label] = {"seconds": round(seconds, 2), "peak_mb": round(peak), "cpu_seconds": round(cpu, 2)}
        print(f"  {part:<5} {label:<14} {seconds:>9.1f} s  {peak:>8.0f} MB peak  {cpu:>9.1f} s CPU   "
              f"load {os.getloadavg()[0]:.1f}", flush=True)

    def counts() -> dict:
        out = subprocess.run([sys.executable, "-c", COUNTS, db], capture_output=True, text=True, cwd=ROOT, env=env)
        return json.loads(out.stdout)

    print(f"size ~{interactions:,} interactions ({customers:,} customers x {DAYS} days), mode {mode}; log: {log}",
          flush=True)
    step("full", "generate", GENERATE, str(folder / "demo"), str(customers), str(DAYS), files, day)
    step("full", "ingest", INGEST, db, files)
    step("full", "enrich", STAGE, db, "enrich")
    step("full", "topics fit", FIT, db)
    step("full", "topics assign", STAGE, db, "topics")
    step("full", "build", STAGE, db, "build")
    step("full", "publish", PUBLISH, db)
    result["counts"] = counts()
    step("day", "ingest", INGEST, db, day)
    step("day", "enrich", STAGE, db, "enrich")
    step("day", "topics assign", STAGE, db, "topics")
    step("day", "build", STAGE, db, "build")
    step("day", "publish", PUBLISH, db)
    result["counts_after_day"] = counts()
    result["load_end"] = os.getloadavg()
    with open(log) as fh:
        result["generator"] = next((line.strip() for line in fh if line.startswith("utterances ")), "")
    if dashboard and not only_ingest:
        result["dashboard"] = dashboard_times(Path(db), loads)
    shutil.rmtree(folder / "demo", ignore_errors=True)   # the files are GBs at 1M; the warehouse stays
    return result


def dashboard_times(db: Path, loads: int) -> dict:
    """Page times on the serving copy (the dashboard opens `serving_path(db)` itself)."""
    from benchmarks import bench_dashboard
    from dashboard import serve

    if not Path(serve.CHROMIUM).exists():
        print(f"  dashboard: skipped ({serve.CHROMIUM} not found)")
        return {}
    proc, url = serve.start(db, timeout=180)
    try:
        return bench_dashboard.measure(url, loads)
    finally:
        serve.stop(proc)


def report(results: list[dict]) -> None:
    """The per-stage table for every size, growth between the first two, and the incremental day."""
    print()
    head = f"{'stage':<22}" + "".join(f"{r['counts']['interactions']:>14,} ints{'':>8}" for r in results)
    print(head + ("   growth (linear = "
                  f"{results[1]['counts']['interactions'] / results[0]['counts']['interactions']:.1f}x)"
                  if len(results) > 1 else ""))
    print(f"{'':<22}" + "".join(f"{'s':>10}{'peak MB':>10}{'':>6}" for _ in results))
    for part, labels in (("full", ("generate",) + FULL), ("day", DAY)):
        for label in labels:
            if any(label not in r[part] for r in results):
                continue  # skipped (--only-ingest)
            line = f"{part + ' ' + label:<22}"
            for r in results:
                m = r[part][label]
                line += f"{m['seconds']:>10.1f}{m['peak_mb']:>10,}{'':>6}"
            if len(results) > 1:
                a, b = results[0][part][label]["seconds"], results[1][part][label]["seconds"]
                line += f"   {b / a:>5.1f}x" if a > 0 else ""
            print(line)
    for r in results:
        full = sum(r["full"][s]["seconds"] for s in FULL if s in r["full"])
        day = sum(r["day"][s]["seconds"] for s in DAY if s in r["day"])
        added = r["counts_after_day"]["interactions"] - r["counts"]["interactions"]
        peak = max(m["peak_mb"] for part in ("full", "day") for m in r[part].values())
        top = max(r["day"], key=lambda s: r["day"][s]["seconds"])
        c = r["counts"]
        print(f"\n{c['interactions']:,} interactions, {c['turns']:,} turns, mode {r['mode']}: "
              f"{c['distinct_interaction_texts']:,} distinct customer texts, {c['embeddings']:,} embeddings "
              f"(distinct texts encoded) = {c['embeddings'] / max(1, c['interactions'] + c['turns']):.1%} of texts")
        print(f"  generator: {r['generator']}")
        if len(r["full"]) == 2:  # --only-ingest
            print(f"  ingest only: full {full:.1f} s ({r['full']['ingest']['cpu_seconds']:.1f} s CPU), peak memory "
                  f"{peak:,} MB; the day (+{added:,} = {added / max(1, c['interactions']):.1%}) {day:.1f} s "
                  f"({r['day']['ingest']['cpu_seconds']:.1f} s CPU)")
        else:
            print(f"  full run (ingest..publish) {full:.1f} s, peak memory {peak:,} MB (goal < 8,192); "
                  f"incremental day (+{added:,} = {added / max(1, c['interactions']):.1%}) {day:.1f} s = "
                  f"{day / full:.1%} of the full run (goal < 5%); largest: {top} {r['day'][top]['seconds']:.1f} s")
        print(f"  load average at start {r['load_start'][0]:.2f}, at end {r['load_end'][0]:.2f} "
              f"({os.cpu_count()} CPUs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, action="append",
                        help="approximate size (repeatable; default 100,000 then 1,000,000)")
    parser.add_argument("--mode", choices=("fast", "full"),
                        help=f"encoder: fast (static, default from {FAST_FROM:,}) or full (transformer)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench", help="where files and warehouses go")
    parser.add_argument("--no-dashboard", action="store_true", help="skip the page times in Chromium")
    parser.add_argument("--loads", type=int, default=3, help="page loads per page for the dashboard times")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--only-ingest", action="store_true",
                        help="generate and ingest only (the full run's and the day's), no other stage")
    args = parser.parse_args(argv)
    sizes = args.interactions or [100_000, 1_000_000]
    results = []
    for size in sizes:
        mode = args.mode or ("fast" if size >= FAST_FROM else "full")
        if mode == "fast" and not fast_mode_available():
            print(f"note: fast mode is not in this build ([models] mode); {size:,} runs the full encoder")
            mode = "full"
        print(f"encoder mode {mode}" + ("" if args.mode else f" (default for {size:,}: fast from {FAST_FROM:,})"))
        results.append(run_size(size, args.workdir, mode, not args.no_dashboard, args.loads, args.only_ingest))
        report(results)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
