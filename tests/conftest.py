"""Shared fixtures: temp-file warehouses, the shared datasets folder, and the packaged encoder."""

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
