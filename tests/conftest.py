"""Shared fixtures: temp-file warehouses, the shared datasets folder, the packaged encoder, and the
dashboard's seeded warehouse and app session (`warehouse`, `app`: one per test module)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VOC_SHARED", ROOT.parent / "shared")) / "datasets"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh DuckDB file on disk per test."""
    return tmp_path / "voc.duckdb"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """`../shared/datasets`; tests that need it skip loudly where it is absent."""
    if not SHARED.exists():
        warnings.warn(f"../shared/datasets not found at {SHARED}: real-data tests are skipped", stacklevel=1)
        pytest.skip(f"real datasets absent: {SHARED} (set VOC_SHARED to the shared folder)")
    return SHARED


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboard tests' seeded warehouse (`tests/dashboard_fixture.py`), built once per module."""
    import dashboard_fixture

    return dashboard_fixture.build(tmp_path_factory.mktemp("wh") / "voc.duckdb")


@pytest.fixture(scope="module")
def app(warehouse: Path):
    """One app session on `warehouse` for the module (a first run costs seconds); tests reset what they change."""
    from streamlit.testing.v1 import AppTest

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VOC_DB", str(warehouse))
        mp.chdir(ROOT)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        yield at
