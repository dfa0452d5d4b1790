"""Rule tests on both engines, as Splink's tests run on each of its backends (its ``tests/decorator.py``).

A test that takes the ``rule_engine`` fixture (``tests/conftest.py``) runs once on DuckDB and once
on Spark (marked ``spark``, in the one Spark session of the run); it reads the warehouse it built
through :meth:`OnEngine.raw`, so the same expressions are checked against the same expectations
on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from ibis.expr.types import Table

from ever6.engines import engine_for
from ever6.warehouse import Warehouse

# Spark cases are marked, so that ``-m "not spark"`` runs the DuckDB half alone.
RULE_ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


@dataclass(frozen=True)
class OnEngine:
    """The engine a rule test runs on (its name, and the Spark session when it is Spark)."""

    name: str
    session: Any = None

    def raw(self, wh: Warehouse) -> dict[str, Table]:
        """The warehouse's raw tables bound to this engine (copied to Spark views on Spark)."""
        return engine_for(self.name).adopt(wh.raw_tables(), self.session)
