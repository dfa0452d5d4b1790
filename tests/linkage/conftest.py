"""Shared fixtures: a generated ``tiny`` authority, and a model trained on it once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ever6.linkage import link
from ever6.synth import generate
from ever6.warehouse import Warehouse
from tests.linkage.support import TODAY, load_authority


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate("tiny", 4, out)
    return out


@pytest.fixture(scope="session")
def tiny_warehouse_path(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny_wh") / "warehouse.duckdb"
    load_authority(tiny_data, path).close()
    return path


@pytest.fixture(scope="session")
def model(tiny_warehouse_path: Path) -> dict[str, Any]:
    """A model trained without labels on the tiny authority (DuckDB)."""
    with Warehouse(tiny_warehouse_path, read_only=True) as wh:
        result = link(wh.raw_tables(), today=TODAY)
    assert result.trained
    return result.model


@pytest.fixture
def tiny_warehouse(tiny_warehouse_path: Path, tmp_path: Path) -> Iterator[Warehouse]:
    """A private copy of the tiny warehouse (tests write linkage tables into it)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse_path, path)
    wh = Warehouse(path)
    yield wh
    wh.close()
