"""`ever6 refresh` on Spark publishes what it publishes on DuckDB, on the `small` synthetic authority.

The whole refresh runs twice on one warehouse: on DuckDB, then on Spark (local mode, chosen by
``[engine] name``) reading the warehouse through Parquet in the staging folder. The cohort, the
links and every measure must be the same.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ever6.config import Settings, load_settings
from ever6.demo import build_demo
from ever6.publish.pipeline import refresh
from ever6.warehouse import Warehouse
from ever6.warehouse.published import Published

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, date]:
    home = tmp_path_factory.mktemp("small") / "home"
    summary = build_demo(Settings(home=home), scale="small", seed=2026, run_refresh=False)
    return load_settings(home), summary.cohort.as_at


def _rows(table: pa.Table, drop: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    columns = [c for c in table.column_names if c not in drop]
    return sorted(tuple(r[c] for c in columns) for r in table.select(columns).to_pylist())


def test_refresh_on_spark_publishes_what_duckdb_publishes(
    small: tuple[Settings, date], spark: Any, tmp_path: Path
) -> None:
    settings, as_at = small
    staging = tmp_path / "staging"
    on_spark_settings = replace(settings, engine=replace(settings.engine, name="spark", staging=staging))
    with Warehouse(settings.warehouse_path) as wh:
        on_duckdb = refresh(wh, settings, as_at)
        on_spark = refresh(wh, on_spark_settings, as_at, spark_session=spark)  # the engine from the settings
        marks = wh.row_count("attendance_mark")
        published = Published(wh)

        def output(name: str, run: Any) -> pa.Table:
            return published.output(name, run.run_id)

        cohort = output("cohort", on_duckdb)
        assert cohort.num_rows > 1000  # a real authority, not two empty tables
        assert _rows(output("cohort", on_spark)) == _rows(cohort)

        links = output("link", on_duckdb)
        assert links.num_rows > 1000
        assert set(links.column("method").to_pylist()) >= {"upn", "probabilistic"}
        assert _rows(output("link", on_spark), drop=("match_probability",)) == _rows(links, drop=("match_probability",))
        key = ["la_child_id", "upn", "match_probability"]
        for a, b in zip(_rows(output("link", on_spark).select(key)), _rows(links.select(key)), strict=True):
            assert a[:2] == b[:2]
            assert a[2] == pytest.approx(b[2], abs=1e-9)

        metrics = output("metric", on_duckdb)
        periods = set(
            zip(metrics.column("academic_year").to_pylist(), metrics.column("period").to_pylist(), strict=True)
        )
        assert len(periods) >= 5  # two years, each with its terms
        assert set(metrics.column("measure").to_pylist()) >= {"overall_absence_rate", "suspension_rate", "pupils"}
        assert _rows(output("metric", on_spark)) == _rows(metrics)

    # Spark read the warehouse from the staging folder, every mark of it.
    assert spark.read.parquet(str(staging / "attendance_mark")).count() == marks
