"""The same model gives the same links on DuckDB and on Spark (local mode)."""

from __future__ import annotations

from typing import Any

import pytest

from ever6.linkage import link
from ever6.linkage.core import spark_inputs
from ever6.warehouse import Warehouse
from tests.linkage.support import TODAY

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _rows(table: Any, columns: list[str]) -> list[tuple[Any, ...]]:
    return sorted(tuple(r[c] for c in columns) for r in table.to_pylist())


def test_duckdb_and_spark_give_the_same_links(tiny_warehouse: Warehouse, model: dict[str, Any], spark: Any) -> None:
    raw = tiny_warehouse.raw_tables()
    on_duckdb = link(raw, model=model, today=TODAY)
    on_spark = link(
        spark_inputs(spark, raw),
        engine="spark",
        spark_session=spark,
        model=model,
        today=TODAY,
    )
    assert not on_spark.trained
    key = ["la_child_id", "upn", "urn", "method"]
    assert _rows(on_spark.links, key) == _rows(on_duckdb.links, key)
    assert len(on_duckdb.links) > 100  # a real comparison, not two empty tables
    assert on_duckdb.counts["method_probabilistic"] > 0  # and the model itself was exercised
    for a, b in zip(
        _rows(on_spark.links, [*key, "match_probability"]),
        _rows(on_duckdb.links, [*key, "match_probability"]),
        strict=True,
    ):
        assert a[-1] == pytest.approx(b[-1], abs=1e-9)
    assert _rows(on_spark.review, ["la_child_id", "upn", "reason"]) == _rows(
        on_duckdb.review, ["la_child_id", "upn", "reason"]
    )
    assert _rows(on_spark.status, ["la_child_id", "status", "reason"]) == _rows(
        on_duckdb.status, ["la_child_id", "status", "reason"]
    )
    assert _rows(on_spark.issues, ["kind", "la_child_id", "urn", "value"]) == _rows(
        on_duckdb.issues, ["kind", "la_child_id", "urn", "value"]
    )
