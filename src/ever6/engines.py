"""The engine seam: the same Ibis expressions bound to DuckDB (default) or Spark.

The analytics (cohort, linkage, measures) take a mapping of table names to Ibis tables and never know
which engine is behind them. This module is the one place that binds tables to an engine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from ever6.config import ENGINES, EngineSettings

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

__all__ = ["ENGINES", "cache", "local_spark_session", "spark_session", "spark_tables", "spark_tables_from_parquet"]

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
    return table.cache()


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
