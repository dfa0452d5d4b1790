"""Rule tests on both engines, as Splink's tests run on each of its backends (its ``tests/decorator.py``).

A test that takes the ``rule_engine`` fixture (``tests/conftest.py``) runs once on DuckDB and once
on Spark (marked ``spark``, in the one Spark session of the run); it reads the warehouse it built
through :meth:`OnEngine.raw`, so the same expressions are checked against the same expectations
on both engines.

The Spark half costs a Spark query per test (minutes in all on two cores, against seconds for the
DuckDB half), so it runs when ``EVER6_RULE_ENGINES`` names Spark (``EVER6_RULE_ENGINES=duckdb,spark``);
otherwise each Spark case is reported as skipped, with that reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from ibis.expr.types import Table

from ever6.engines import engine_for
from ever6.warehouse import Warehouse

_SPARK_ASKED = "spark" in os.environ.get("EVER6_RULE_ENGINES", "duckdb").split(",")
# Spark cases are marked, so that ``-m spark`` or ``-m "not spark"`` picks one half.
RULE_ENGINES = [
    "duckdb",
    pytest.param(
        "spark",
        marks=[
            pytest.mark.spark,
            pytest.mark.skipif(not _SPARK_ASKED, reason="rule tests run on Spark with EVER6_RULE_ENGINES=duckdb,spark"),
        ],
    ),
]


@dataclass(frozen=True)
class OnEngine:
    """The engine a rule test runs on (its name, and the Spark session when it is Spark)."""

    name: str
    session: Any = None

    def raw(self, wh: Warehouse) -> dict[str, Table]:
        """The warehouse's raw tables bound to this engine (copied to Spark views on Spark)."""
        return engine_for(self.name).adopt(wh.raw_tables(), self.session)
