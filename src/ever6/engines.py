"""The engine seam: the same Ibis expressions bound to DuckDB (default) or Spark.

The analytics (cohort, linkage, measures) take a mapping of table names to Ibis tables and never know
which engine is behind them. This module is the one place that binds tables to an engine: the few
things that differ between engines are the methods of one small class per engine (:class:`Engine`,
in the manner of Splink's dialects), found by the ``[engine] name`` setting with :func:`engine_for`.
"""

from __future__ import annotations

import functools
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from ever6.config import ENGINES, EngineSettings
from ever6.config import Engine as EngineName

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "SparkEngine",
    "cache",
    "engine_for",
    "local_spark_session",
    "spark_session",
    "spark_tables",
    "spark_tables_from_parquet",
]

# Ibis compiles an expression to SQL by lowering it to selects, then merging each select into the
# one that reads it wherever the merged select is no more complex: each merge measures the whole
# expression below it, again at every select, and that was two fifths of the compile time, an eighth
# of a tiny authority's refresh (issue 22). Unmerged, the SQL nests subqueries that DuckDB's and
# Spark's optimisers flatten; the figures are the same (docs/scale.md). Set here, where the
# analytics' tables are bound to an engine, so that every expression compiled is compiled so.
ibis.options.sql.fuse_selects = False

# Local mode's defaults; [engine] spark_conf overrides any of them.
_LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # the CLI shows its own progress
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "2g",
}


def spark_session(settings: EngineSettings, app_name: str = "ever6") -> SparkSession:
    """The Spark session ``[engine]`` describes: Spark Connect (``spark_remote``, e.g. Databricks),
    else a master URL (``spark_master``, ``local[2]`` by default), with ``spark_conf`` applied."""
    from pyspark.sql import SparkSession  # PySpark is optional: imported only when Spark is used

    builder: Any = SparkSession.builder.appName(app_name)
    if settings.spark_remote:
        builder = builder.remote(settings.spark_remote)
        conf = dict(settings.spark_conf)
    else:
        builder = builder.master(settings.spark_master)
        # Spark's own scratch space goes to a temporary folder, not the current directory.
        conf = {
            **_LOCAL_CONF,
            "spark.sql.warehouse.dir": tempfile.mkdtemp(prefix="ever6-spark-"),
            **dict(settings.spark_conf),
        }
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()  # type: ignore[no-any-return]


def local_spark_session(app_name: str = "ever6") -> SparkSession:
    """A local Spark session (tests, a laptop), with the default settings."""
    return spark_session(EngineSettings(name="spark"), app_name)


def cache(table: Table) -> Table:
    """``table.cache()`` on either engine: a temporary table on DuckDB, a persisted DataFrame on Spark.

    Ibis's PySpark backend compiles the query it caches without first registering the in-memory
    tables (``ibis.memtable``) it reads, as it does before executing one; they are registered here.
    """
    backend: Any = table._find_backend(use_default=True)
    if backend.name == "pyspark":
        backend._register_in_memory_tables(table)
        backend._create_cached_table = functools.partial(_checkpoint, backend)
    return table.cache()


def _checkpoint(backend: Any, name: str, expr: Table) -> Table:
    """Spark's side of :func:`cache`, in place of Ibis's ``DataFrame.cache()``: a cached DataFrame's
    view still carries the whole plan that made it, which Spark analyses again wherever the view is
    read (the measures read their facts once per breakdown), and that analysis was most of the time
    on small inputs. A local checkpoint keeps the rows and drops the plan. Ibis releases it as it
    releases a cached table (``unpersist`` when nothing reads it any more)."""
    frame = backend._session.sql(backend.compile(expr)).localCheckpoint(eager=True)
    frame.createTempView(name)
    backend._cached_dataframes[name] = frame
    return backend.table(name)


def spark_tables_from_parquet(session: SparkSession, paths: Mapping[str, Path]) -> dict[str, Table]:
    """Parquet folders (``Warehouse.export_parquet``) as Spark temporary views, bound through Ibis.

    How the warehouse reaches Spark at scale: Spark reads the files in parallel, and nothing
    passes through Python.
    """
    backend: Any = ibis.pyspark.connect(session)
    bound: dict[str, Table] = {}
    for name, path in paths.items():
        view = f"ever6_{name}"
        session.read.parquet(str(path)).createOrReplaceTempView(view)
        bound[name] = backend.table(view)
    return bound


def spark_tables(session: SparkSession, tables: Mapping[str, pa.Table]) -> dict[str, Table]:
    """Arrow tables as Spark temporary views, bound through Ibis.

    Arrow goes to Spark directly (not through pandas, which would turn a null string into NaN).
    An empty column with no chunks (as DuckDB returns for an empty table) makes PySpark's Arrow
    conversion fail, so every column is given one, possibly empty, chunk.
    """
    backend: Any = ibis.pyspark.connect(session)
    bound: dict[str, Table] = {}
    for name, table in tables.items():
        table = pa.table(
            [c if c.num_chunks else pa.chunked_array([pa.array([], c.type)]) for c in table.columns],
            schema=table.schema,
        )
        frame = session.createDataFrame(table)
        view = f"ever6_{name}"
        frame.createOrReplaceTempView(view)
        bound[name] = backend.table(view)
    return bound


class _Warehouse(Protocol):
    """What an engine reads from the warehouse (``ever6.warehouse.Warehouse``)."""

    def raw_tables(self) -> dict[str, Any]: ...

    def export_parquet(self, directory: Path) -> dict[str, Path]: ...


class Engine(ABC):
    """What differs between the engines the analytics run on; everything else is the same Ibis."""

    name: ClassVar[EngineName]
    label: ClassVar[str]  # as messages name it
    # Whether it runs in a session (a SparkSession), started from ``[engine]`` when none is given.
    needs_session: ClassVar[bool]

    def session(self, settings: EngineSettings) -> Any:
        """A new session to run in, as ``[engine]`` describes it; None for an engine that needs none."""
        return None

    @abstractmethod
    def warehouse_tables(self, warehouse: _Warehouse, staging: Path, session: Any = None) -> dict[str, Table]:
        """The warehouse's raw tables bound to this engine (``staging``: where to copy them if it must)."""

    @abstractmethod
    def adopt(self, tables: Mapping[str, Table], session: Any = None) -> dict[str, Table]:
        """Tables bound to the warehouse (DuckDB), bound to this engine instead."""

    @abstractmethod
    def splink_api(self, session: Any = None) -> Any:
        """The Splink database API that runs the probabilistic linkage on this engine."""


class DuckDBEngine(Engine):
    """In-process DuckDB (the default): it reads the warehouse itself."""

    name = "duckdb"
    label = "DuckDB"
    needs_session = False

    def warehouse_tables(self, warehouse: _Warehouse, staging: Path, session: Any = None) -> dict[str, Table]:
        return warehouse.raw_tables()

    def adopt(self, tables: Mapping[str, Table], session: Any = None) -> dict[str, Table]:
        return dict(tables)

    def splink_api(self, session: Any = None) -> Any:
        from splink import DuckDBAPI  # Splink is heavy: loaded only when linking

        return DuckDBAPI(":memory:")


class SparkEngine(Engine):
    """PySpark, local or a cluster (national scale): tables reach it as Parquet or Arrow."""

    name = "spark"
    label = "Spark"
    needs_session = True

    def session(self, settings: EngineSettings) -> SparkSession:
        return spark_session(settings)

    def warehouse_tables(self, warehouse: _Warehouse, staging: Path, session: Any = None) -> dict[str, Table]:
        """Spark reads the warehouse written as Parquet to ``staging`` (in parallel, not through Python)."""
        if session is None:
            raise ValueError("engine 'spark' needs a Spark session (ever6.engines.spark_session)")
        return spark_tables_from_parquet(session, warehouse.export_parquet(staging))

    def adopt(self, tables: Mapping[str, Table], session: Any = None) -> dict[str, Table]:
        if session is None:
            raise ValueError("engine 'spark' needs a Spark session (ever6.engines.spark_session)")
        return spark_tables(session, {name: table.to_pyarrow() for name, table in tables.items()})

    def splink_api(self, session: Any = None) -> Any:
        if session is None:
            raise ValueError("engine='spark' needs a spark_session")
        from splink.backends.spark import SparkAPI

        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=session, break_lineage_method="persist", register_udfs_automatically=False
        )


_ENGINES: dict[str, Engine] = {engine.name: engine for engine in (DuckDBEngine(), SparkEngine())}


def engine_for(name: str) -> Engine:
    """The engine ``[engine] name`` (or ``--engine``) names; ValueError for any other name."""
    try:
        return _ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}") from None
