"""Disk-full and permission errors mid-publish and mid-ingest (issue 7, "Faults").

The failures are injected where the OS would raise them (the copy, the temp file, a write inside
the per-file transaction); the previous serving copy / warehouse must be intact and the message
must say what happened.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pipelines import warehouse
from pipelines.ingest import core, ingest_paths
from pipelines.ingest.records import IngestOptions

CUSTOMERS = ('"customer_id","segment","annual_revenue","email"\n'
             '"C1","Consumer",100,"a@example.com"\n"C2","SMB",200,"b@example.com"\n')


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _warehouse_with(db: Path, tmp: Path, name: str, text: str) -> None:
    src = tmp / name
    src.write_text(text, encoding="utf-8")
    con = warehouse.connect(db)
    (report,) = ingest_paths(con, "customers", [src], IngestOptions())
    con.close()
    assert report.error is None and report.loaded == text.count("\n") - 1


@pytest.fixture
def published(db_path: Path, tmp_path: Path) -> Path:
    """A warehouse with two customers, published once; then a third customer in the working copy."""
    _warehouse_with(db_path, tmp_path, "crm1.csv", CUSTOMERS)
    warehouse.publish(db_path)
    _warehouse_with(db_path, tmp_path, "crm2.csv", CUSTOMERS.replace("C1", "C3").replace("C2", "C4"))
    return db_path


def _serving_count(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse.serving_path(db)), read_only=True) as con:
        return con.execute("SELECT count(*) FROM staging.customers").fetchone()[0]


def _leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.endswith(".tmp"))


def test_disk_full_mid_publish_keeps_previous_serving_copy(published: Path, monkeypatch) -> None:
    serving = warehouse.serving_path(published)
    before = _md5(serving)

    def half_copy_then_enospc(src, dst, *args, **kwargs):
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            fout.write(fin.read(4096))   # some bytes land, as on a real full disk
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(shutil, "copyfile", half_copy_then_enospc)
    with pytest.raises(warehouse.WarehouseError) as err:
        warehouse.publish(published)
    message = str(err.value)
    assert "No space left on device" in message and "previous serving copy is intact" in message
    assert str(serving) in message
    assert _md5(serving) == before and _serving_count(published) == 2
    assert _leftovers(published) == [], "the half-written temp copy must be removed"
    monkeypatch.undo()
    warehouse.publish(published)          # once there is room again, the new build goes out
    assert _serving_count(published) == 4


def test_permission_error_mid_publish_says_what_happened(published: Path, monkeypatch) -> None:
    serving = warehouse.serving_path(published)
    before = _md5(serving)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(serving.parent))

    # The process runs as root in CI (chmod would not stop it), so the OS error is injected.
    monkeypatch.setattr("tempfile.mkstemp", denied)
    with pytest.raises(warehouse.WarehouseError, match="Permission denied.*permissions"):
        warehouse.publish(published)
    assert _md5(serving) == before


NOBODY = 65534  # uid and gid of `nobody` / `nogroup` on Debian and Ubuntu
ROOT = Path(__file__).resolve().parents[1]
PUBLISH_AS_CALLER = (
    "import sys\n"
    "from pipelines import warehouse\n"
    "try:\n"
    "    warehouse.publish(sys.argv[1])\n"
    "except warehouse.WarehouseError as exc:\n"
    "    print(f'WarehouseError: {exc}')\n"
    "else:\n"
    "    print('published')\n"
)


def _as_nobody(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(cwd)}
    setpriv = shutil.which("setpriv")  # util-linux, in every Debian image
    if setpriv is None:
        pytest.skip("running as root and setpriv (util-linux) is absent: cannot drop to nobody")
    drop = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run([*drop, sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def _publish_denied_message(db: Path) -> str:
    """Publish `db` from its read-only folder; as root the publish runs as `nobody`, root ignoring modes."""
    if os.geteuid() != 0:
        with pytest.raises(warehouse.WarehouseError) as err:
            warehouse.publish(db)
        return str(err.value)
    probe = _as_nobody("-c", "import duckdb, pipelines.warehouse", cwd=db.parent)
    if probe.returncode != 0:
        pytest.skip(f"user nobody cannot import the project from {sys.executable} and {ROOT} "
                    f"(make the interpreter, the virtualenv and the checkout world-readable): "
                    f"{probe.stderr.strip().splitlines()[-1:]}")
    done = _as_nobody("-c", PUBLISH_AS_CALLER, str(db), cwd=db.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("WarehouseError: "), f"publish as nobody did not fail: {done.stdout!r}"
    return done.stdout


def test_read_only_serving_folder(tmp_path: Path) -> None:
    # A folder `nobody` can reach (pytest's tmp_path sits under root's 0700 folder) and owns.
    folder = Path(tempfile.mkdtemp(prefix="voc-readonly-", dir="/tmp"))
    try:
        db = folder / "voc.duckdb"
        _warehouse_with(db, tmp_path, "crm1.csv", CUSTOMERS)
        warehouse.publish(db)
        serving = warehouse.serving_path(db)
        before = _md5(serving)
        if os.geteuid() == 0:
            for path in [folder, *folder.iterdir()]:
                os.chown(path, NOBODY, NOBODY)
        folder.chmod(0o555)
        try:
            message = _publish_denied_message(db)
        finally:
            folder.chmod(0o755)
        assert "Permission denied" in message and "previous serving copy is intact" in message
        assert _md5(serving) == before
        assert _leftovers(db) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_disk_full_mid_ingest_rolls_the_file_back(db_path: Path, tmp_path: Path, monkeypatch) -> None:
    _warehouse_with(db_path, tmp_path, "crm1.csv", CUSTOMERS)
    src = tmp_path / "crm2.csv"
    src.write_text(CUSTOMERS.replace("C1", "C3").replace("C2", "C4"), encoding="utf-8")

    def full(*args, **kwargs):   # fails after the staging rows of the file were inserted
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(core, "record_files", full)
    con = warehouse.connect(db_path)
    (report,) = ingest_paths(con, "customers", [src], IngestOptions())
    assert report.error and "No space left on device" in report.error
    counts = con.execute("SELECT (SELECT count(*) FROM staging.customers), (SELECT count(*) FROM raw.files), "
                         "(SELECT count(*) FROM raw.records)").fetchone()
    assert counts == (2, 1, 2), "the failed file must leave nothing behind"
    monkeypatch.undo()
    (again,) = ingest_paths(con, "customers", [src], IngestOptions())
    assert again.error is None and again.loaded == 2
    con.close()


def test_disk_full_mid_ingest_message_names_the_file(db_path: Path, tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "crm.csv"
    src.write_text(CUSTOMERS, encoding="utf-8")
    monkeypatch.setattr(core, "record_files", lambda *a, **k: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    con = warehouse.connect(db_path)
    (report,) = ingest_paths(con, "customers", [src], IngestOptions())
    con.close()
    assert str(src) in (report.error or "")
