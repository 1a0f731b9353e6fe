"""`[warehouse]` settings: DuckDB's memory cap and spill folder reach every pipeline connection."""

from __future__ import annotations

from pathlib import Path

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
    con = warehouse.connect(tmp_path / "voc.duckdb")
    assert _setting(con, "memory_limit") == "953.6 MiB"  # DuckDB reads 1GB as 10^9 bytes
    assert _setting(con, "temp_directory") == str(spill)


def test_a_bad_memory_limit_names_the_setting_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOC_WAREHOUSE_MEMORY_LIMIT", "lots")
    with pytest.raises(warehouse.WarehouseError, match=r"memory_limit='lots'.*such as '4GB'"):
        warehouse.connect(tmp_path / "voc.duckdb")
