"""The enrichment's model work on Ray Data, for a center that has outgrown one machine.

`[enrich] engine = "ray"` (or `--engine ray`). The driver stays the single DuckDB writer and runs the
same loop as the local engine (`batches.score_pending`): only how a round's texts are scored differs.
A round is `ray_round_rows` pending interactions; `RayEngine.score` writes the texts still to encode
to Parquet under `ray_work_dir`, and Ray Data runs them through `map_batches(Scorer,
concurrency=ray_workers)`: one actor per worker loads `Models` once and calls `scoring.score_texts`,
the very function the local engine calls. The actors write their results as Parquet; the driver
reads them back as one Arrow table, and the loop stores the new embeddings and writes each batch in
its own transaction. So the warehouse ends the same (within float tolerance) whichever engine ran.

Example::

    python -m pipelines enrich --engine ray --ray-workers 2                   # a local Ray instance
    python -m pipelines enrich --engine ray --ray-address auto --ray-work-dir s3://bucket/voc-work
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from pipelines.enrich.scoring import RESULT_SCHEMA, Models, score_texts
from pipelines.enrich.settings import EnrichSettings
from pipelines.settings import SettingsError

log = logging.getLogger(__name__)

RAY_VERSION = "2.60.0"
INSTALL = f'pip install "ray[data]=={RAY_VERSION}"'
REPO_ROOT = Path(__file__).resolve().parents[2]


class RayUnavailable(SettingsError):
    """`engine = "ray"` without Ray installed, or a Ray set-up that cannot work; says how to fix it."""


def import_ray():
    """The `ray` module with Ray Data, or a `RayUnavailable` naming the pip command."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise RayUnavailable(
            f"[enrich] engine = \"ray\" needs Ray Data: {INSTALL} (or set engine = \"local\")"
        ) from exc
    return ray


def local_init_args(settings: EnrichSettings) -> dict:
    """`ray.init` arguments for a local instance sized for `ray_workers` actors.

    One CPU more than the actors reserve, so Ray Data's read and write tasks are never starved by
    the actors (with exactly workers x cpus the pipeline waits forever).
    """
    cpus = math.ceil(settings.ray_workers * settings.ray_cpus_per_worker) + 1
    return {
        "num_cpus": cpus,
        "include_dashboard": False,
        "log_to_driver": False,
        "object_store_memory": 256 * 1024**2,  # results go through Parquet, not the object store
        # Workers import `pipelines` from this checkout, wherever the driver was started.
        "runtime_env": {"env_vars": {"PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}},
    }


@contextlib.contextmanager
def session(settings: EnrichSettings) -> Iterator[object]:
    """Ray as configured: the instance already initialised, `ray_address`, or a local one we stop."""
    ray = import_ray()
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # per-dataset progress logs drown the bar
    if ray.is_initialized():
        yield ray
        return
    if settings.ray_address:
        ray.init(address=settings.ray_address, log_to_driver=False)
    else:
        ray.init(**local_init_args(settings))
    try:
        yield ray
    finally:
        ray.shutdown()


class Scorer:
    """A Ray Data actor: loads the models once, then scores batches of (text_hash, text)."""

    def __init__(self, settings: EnrichSettings, model_settings: object, version: str, db: str | None = None) -> None:
        # Torch threads = the CPUs Ray reserved for this actor, unless [enrich] threads says otherwise.
        threads = settings.threads or max(1, int(settings.ray_cpus_per_worker))
        # Workers score English texts only: the multilingual route runs on the driver (batches.compute_results),
        # so they neither load it nor compare its part of the version.
        self.models = Models.load(dataclasses.replace(settings, threads=threads, multilingual=False), model_settings,
                                  db=db)
        self.top_k = settings.top_emotions
        if not settings.model_version and self.models.version != version.split("|ml:")[0]:
            raise RuntimeError(
                f"a Ray worker loaded model version {self.models.version}, the driver {version}: "
                "install the same models on every node ([models] encoder_path, models_dir)"
            )

    def __call__(self, batch: pa.Table) -> pa.Table:
        """Score one batch with the same function as the local engine."""
        hashes, texts = batch.column("text_hash").to_pylist(), batch.column("text").to_pylist()
        return score_texts(self.models, hashes, texts, self.top_k)


class WorkDir:
    """The Parquet hand-off between driver and workers: a local folder or any pyarrow URI (s3://...)."""

    def __init__(self, uri: str) -> None:
        self._temp = None if uri else tempfile.mkdtemp(prefix="voc-ray-")
        self.fs, root = pafs.FileSystem.from_uri(uri or Path(self._temp).as_uri())
        self.root = f"{root.rstrip('/')}/job-{uuid.uuid4().hex[:12]}"
        self.is_temp = self._temp is not None

    def write_input(self, hashes: list[str], texts: list[str], rows_per_file: int) -> tuple[str, int]:
        """Texts to encode, sorted by length (similar lengths batch well), one file per Ray batch."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        folder = f"{self.root}/input"
        self.fs.create_dir(folder, recursive=True)
        for n, start in enumerate(range(0, len(order), rows_per_file)):
            idx = order[start : start + rows_per_file]
            part = pa.table({"text_hash": pa.array([hashes[i] for i in idx], pa.string()),
                             "text": pa.array([texts[i] for i in idx], pa.string())})
            pq.write_table(part, f"{folder}/part-{n:06d}.parquet", filesystem=self.fs)
        return folder, math.ceil(len(order) / rows_per_file)

    def read_output(self, folder: str) -> pa.Table:
        """Every results file the actors wrote, as one `RESULT_SCHEMA` table."""
        files = [f.path for f in self.fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
                 if f.is_file and f.path.endswith(".parquet")]
        tables = [pq.read_table(path, filesystem=self.fs) for path in sorted(files)]
        return pa.concat_tables([t.select(RESULT_SCHEMA.names).cast(RESULT_SCHEMA) for t in tables]
                                or [RESULT_SCHEMA.empty_table()])

    def clean(self) -> None:
        """Delete this job's files (and the temp dir when we made it)."""
        with contextlib.suppress(OSError):
            self.fs.delete_dir(self.root)
        if self._temp:
            shutil.rmtree(self._temp, ignore_errors=True)


def encode_on_ray(
    ray, settings: EnrichSettings, models: Models, version: str, work: WorkDir, hashes, texts
) -> pa.Table:
    """Run `score_texts` over `texts` on `ray_workers` actors; results come back through Parquet."""
    folder, n_files = work.write_input(list(hashes), list(texts), settings.ray_batch_size)
    out = f"{work.root}/output-{uuid.uuid4().hex[:8]}"
    # Ray packs small files into one read block, which one actor would score alone: split it back to
    # one block per input file so every actor gets work. Parquet I/O is light next to the encoder.
    # Each concurrent I/O task is a Python worker process of its own: a few suffice for Parquet.
    io_tasks = max(1, settings.ray_workers // 4)
    ds = ray.data.read_parquet(folder, filesystem=work.fs, num_cpus=0.25, concurrency=io_tasks)
    ds = ds.repartition(n_files)
    ds = ds.map_batches(
        Scorer,
        fn_constructor_args=(settings, models.settings, version, models.db),
        compute=ray.data.ActorPoolStrategy(size=settings.ray_workers),
        batch_size=settings.ray_batch_size,
        batch_format="pyarrow",
        num_cpus=settings.ray_cpus_per_worker,
    )
    ds.write_parquet(out, filesystem=work.fs, concurrency=io_tasks, ray_remote_args={"num_cpus": 0.25})
    results = work.read_output(out)
    if results.num_rows != len(hashes):
        raise RuntimeError(f"Ray returned {results.num_rows} results for {len(hashes)} texts under {out}")
    return results


def _check_shared(ray, work: WorkDir) -> None:
    if work.is_temp and len([n for n in ray.nodes() if n.get("Alive")]) > 1:
        raise RayUnavailable(
            "[enrich] ray_work_dir is empty (a temp dir on this machine) but the Ray cluster has several "
            "nodes: set ray_work_dir (or --ray-work-dir) to storage every node reads, e.g. s3://bucket/voc-work"
        )


@dataclasses.dataclass
class RayEngine:
    """`batches.Engine` on `ray_workers` Ray Data actors; texts and results go through Parquet in `work`."""

    ray: object
    settings: EnrichSettings
    models: Models
    version: str
    work: WorkDir

    @property
    def round_rows(self) -> int:
        """`ray_round_rows` interactions a round: one hand-off to the actors for several commit batches."""
        return self.settings.ray_round_rows

    def score(self, hashes: list[str], texts: list[str], progress) -> pa.Table:
        """`scoring.score_texts` on the actors (`encode_on_ray`)."""
        del progress  # the actors report nothing back: the bar moves when the round is scored
        return encode_on_ray(self.ray, self.settings, self.models, self.version, self.work, hashes, texts)


@contextlib.contextmanager
def engine(settings: EnrichSettings, models: Models, version: str) -> Iterator[RayEngine]:
    """The Ray engine for the block: a Ray session (`session`) and a hand-off folder, cleaned after."""
    work = WorkDir(settings.ray_work_dir)
    try:
        with session(settings) as ray:
            _check_shared(ray, work)
            yield RayEngine(ray, settings, models, version, work)
    finally:
        work.clean()
