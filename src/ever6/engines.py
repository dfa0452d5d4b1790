"""The engine seam: the same Ibis expressions bound to DuckDB (default) or Spark.

The analytics (:mod:`ever6.cohort`) take a mapping of table names to Ibis tables and never know
which engine is behind them. This module is the one place that binds tables to an engine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa
from ibis.expr.types import Table

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")


def local_spark_session(app_name: str = "ever6") -> SparkSession:
    """A local Spark session (tests, a laptop); a cluster or Databricks session is passed in instead."""
    from pyspark.sql import SparkSession  # PySpark is optional: imported only when Spark is used

    return (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "2g")
        # Spark's own scratch space goes to a temporary folder, not the current directory.
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="ever6-spark-"))
        .getOrCreate()
    )


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
