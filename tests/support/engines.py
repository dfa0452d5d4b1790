"""Rule tests on both engines, as Splink's tests run on each of its backends (its ``tests/decorator.py``).

A test that takes the ``rule_engine`` fixture (``tests/conftest.py``) runs once on DuckDB and once
on Spark (marked ``spark``, in the one Spark session of the run), so the same expressions are
checked against the same expectations on both engines.

A Spark query costs seconds however small its input (planning, scheduling, the JVM), against
milliseconds on DuckDB. So the cohort rule tests describe their inputs apart from their
assertions (a *scenario*: named asks of the rule, :class:`Ask`): on DuckDB each test runs its own
scenario, as it would alone; on Spark every scenario of the module is put into one input, each
child's id prefixed with its scenario and ask, and the rule runs once per reference date and
setting (:func:`cohort_on_spark`); each test then asserts its own scenario's rows, so a rule that
is wrong on Spark fails the tests that show it, and only those. The measures sum over every
pupil, so their scenarios cannot share an input: on Spark they run side by side in threads
(:class:`ScenarioRuns`).

The Spark half runs when ``EVER6_RULE_ENGINES`` names Spark (``EVER6_RULE_ENGINES=duckdb,spark``,
as ``make test`` does); otherwise each Spark case is reported as skipped, with that reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from ibis.expr.types import Table

from ever6.cohort import cohort
from ever6.config import CohortSettings
from ever6.engines import engine_for, spark_tables
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

    def raw(self, wh: Warehouse, views: str = "") -> dict[str, Table]:
        """The warehouse's raw tables bound to this engine (copied to Spark views on Spark, their
        names prefixed with ``views`` so that several warehouses' tables can be bound at once)."""
        if self.name == "spark" and views:
            bound = spark_tables(self.session, {f"{views}_{n}": t.to_pyarrow() for n, t in wh.raw_tables().items()})
            return {name[len(views) + 1 :]: table for name, table in bound.items()}
        return engine_for(self.name).adopt(wh.raw_tables(), self.session)


Rows = dict[str, dict[str, Any]]  # the cohort's rows by child
In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True)
class Ask:
    """One run of the cohort rule a scenario asks for: the warehouse's raw tables as they were
    when asked (a later rollback does not change them), the reference date and the settings."""

    raw: Mapping[str, pa.Table]
    as_at: date
    settings: CohortSettings = field(default_factory=CohortSettings)


def ask(wh: Warehouse, as_at: date, settings: CohortSettings | None = None) -> Ask:
    return Ask({name: t.to_pyarrow() for name, t in wh.raw_tables().items()}, as_at, settings or CohortSettings())


# A scenario builds its warehouses in the folder it is given and names the runs it asks for.
Scenario = Callable[[Path], dict[str, Ask]]


def _rows(table: pa.Table) -> Rows:
    return {row["la_child_id"]: row for row in table.to_pylist()}


# Each scenario is built once in a run (building its warehouses takes longer than DuckDB's
# queries): the Spark half reads the inputs the DuckDB half built.
_BUILT: dict[Callable[[Path], Any], Any] = {}


def built(scenario: Callable[[Path], In], folder: Callable[[str], Path]) -> In:
    if scenario not in _BUILT:
        _BUILT[scenario] = scenario(folder(scenario.__name__))
    return cast(In, _BUILT[scenario])


def cohort_on_duckdb(asks: Mapping[str, Ask]) -> dict[str, Rows]:
    """Each of a scenario's asks, run on its own (DuckDB)."""
    return {
        name: _rows(cohort({t: ibis.memtable(v) for t, v in a.raw.items()}, a.as_at, a.settings).to_pyarrow())
        for name, a in asks.items()
    }


_SEP = "|"  # between the scenario's ask and the child's own id


def _namespaced(table: pa.Table, prefix: str, batch_offset: int) -> pa.Table:
    """A table of one ask, made disjoint from every other's: its children's ids prefixed, its
    batch ids moved (their order, which decides the newest version of a record, is kept)."""
    for i, name in enumerate(table.column_names):
        column = table.column(i)
        if name == "la_child_id":
            column = pc.binary_join_element_wise(pa.scalar(prefix), column, "")
        elif name == "batch_id":
            column = pc.add(column, pa.scalar(batch_offset, column.type))
        table = table.set_column(i, name, column)
    return table


def cohort_on_spark(session: Any, scenarios: Mapping[str, Mapping[str, Ask]]) -> dict[str, dict[str, Rows]]:
    """Every ask of every scenario on Spark in one query: the asks that share a reference date and
    settings are one input (one set of views), the rule runs on each, and the results are one union."""
    groups: dict[tuple[date, CohortSettings], list[tuple[str, Ask]]] = {}
    for scenario_name, asks in scenarios.items():
        for ask_name, a in asks.items():
            groups.setdefault((a.as_at, a.settings), []).append((f"{scenario_name}/{ask_name}", a))
    results: list[Table] = []
    offset = 0
    for g, ((as_at, settings), asks) in enumerate(groups.items()):
        parts: dict[str, list[pa.Table]] = {}
        for label, a in asks:
            offset += 1_000_000
            for name, table in a.raw.items():
                parts.setdefault(name, []).append(_namespaced(table, label + _SEP, offset))
        views = spark_tables(session, {f"g{g}_{name}": pa.concat_tables(ts) for name, ts in parts.items()})
        results.append(cohort({name: views[f"g{g}_{name}"] for name in parts}, as_at, settings))
    out: dict[str, dict[str, Rows]] = {s: {a: {} for a in asks} for s, asks in scenarios.items()}
    for row in ibis.union(*results).to_pyarrow().to_pylist() if results else []:
        label, child = row["la_child_id"].split(_SEP, 1)
        scenario_name, ask_name = label.split("/", 1)
        out[scenario_name][ask_name][child] = {**row, "la_child_id": child}
    return out


class CohortRuns:
    """The cohort rule's results for a scenario on one engine: on DuckDB run for that scenario
    alone; on Spark all the module's scenarios run together the first time any is asked for."""

    def __init__(self, on: OnEngine, scenarios: Mapping[str, Scenario], folder: Callable[[str], Path]) -> None:
        self.on, self.scenarios, self.folder = on, scenarios, folder
        self._batch: dict[str, dict[str, Rows]] | BaseException | None = None

    def __call__(self, scenario: Scenario) -> dict[str, Rows]:
        name = scenario.__name__
        assert self.scenarios.get(name) is scenario, f"scenario {name} is not registered"
        if self.on.name == "duckdb":
            return cohort_on_duckdb(built(scenario, self.folder))
        if self._batch is None:
            try:
                everything = {n: built(s, self.folder) for n, s in self.scenarios.items()}
                self._batch = cohort_on_spark(self.on.session, everything)
            except Exception as error:  # every test of the module reports it, not only the first
                self._batch = error
        if isinstance(self._batch, BaseException):
            raise self._batch
        return self._batch[name]


class ScenarioRuns(Generic[In, Out]):
    """A rule's results for a scenario on one engine, where the scenarios cannot share one input
    (the measures sum over every pupil): on DuckDB a scenario runs when its test asks for it; on
    Spark the module's scenarios are bound one after another, then computed side by side in
    threads (Spark runs their jobs on its cores at once), the first time any is asked for.

    ``prepare`` binds a scenario's input to the engine (its Spark views named for the scenario)
    and returns the computation.
    """

    def __init__(
        self,
        on: OnEngine,
        scenarios: Mapping[str, Callable[[Path], In]],
        folder: Callable[[str], Path],
        prepare: Callable[[OnEngine, In, str], Callable[[], Out]],
    ) -> None:
        self.on, self.scenarios, self.folder, self.prepare = on, scenarios, folder, prepare
        self._all: dict[str, Out | BaseException] | None = None

    def __call__(self, scenario: Callable[[Path], In]) -> Out:
        name = scenario.__name__
        assert self.scenarios.get(name) is scenario, f"scenario {name} is not registered"
        if self.on.name == "duckdb":
            return self.prepare(self.on, built(scenario, self.folder), name)()
        if self._all is None:
            computations = {n: self.prepare(self.on, built(s, self.folder), n) for n, s in self.scenarios.items()}
            with ThreadPoolExecutor(max_workers=len(computations)) as pool:
                futures = {n: pool.submit(c) for n, c in computations.items()}
            self._all = {n: f.exception() or f.result() for n, f in futures.items()}
        result = self._all[name]
        if isinstance(result, BaseException):  # only this scenario's tests fail
            raise result
        return result
