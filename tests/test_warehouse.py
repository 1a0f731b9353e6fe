"""`[warehouse]` settings: DuckDB's memory cap and spill folder reach every pipeline connection."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines import warehouse


def _setting(con, name: str) -> str:
    return con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]


def test_the_pipeline_caps_duckdb_memory_and_spills_where_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill = tmp_path / "spill"
    monkeypatch.setenv("VOC_WAREHOUSE_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("VOC_WAREHOUSE_TEMP_DIRECTORY", str(spill))
    monkeypatch.setenv("VOC_WAREHOUSE_CHECKPOINT_THRESHOLD", "64MB")
    con = warehouse.connect(tmp_path / "voc.duckdb")
    assert _setting(con, "memory_limit") == "953.6 MiB"  # DuckDB reads 1GB as 10^9 bytes
    assert _setting(con, "temp_directory") == str(spill)
    assert _setting(con, "checkpoint_threshold") == "61.0 MiB"


def test_long_runs_checkpoint_rarely_by_default(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path / "voc.duckdb")
    assert warehouse._bytes(_setting(con, "checkpoint_threshold")) == pytest.approx(1e9, rel=0.01)


def test_a_bad_memory_limit_names_the_setting_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOC_WAREHOUSE_MEMORY_LIMIT", "lots")
    with pytest.raises(warehouse.WarehouseError, match=r"memory_limit='lots'.*such as '4GB'"):
        warehouse.connect(tmp_path / "voc.duckdb")


def test_the_default_cap_is_4gb_or_duckdbs_own_default_when_that_is_smaller(tmp_path: Path) -> None:
    con = duckdb.connect()
    own = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert warehouse._memory_limit(con, "auto") == ("" if warehouse._bytes(own) <= 4e9 else "4000000000B")
    con.execute("SET memory_limit = '2GB'")  # a small machine: DuckDB's 80% of RAM is below 4 GB
    assert warehouse._memory_limit(con, "auto") == ""
    assert warehouse._memory_limit(con, "6GB") == "6GB"
    assert warehouse._bytes("18.6 GiB") == pytest.approx(18.6 * 1024**3)
    assert warehouse._bytes("4GB") == 4e9
