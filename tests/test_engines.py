"""The engine object: one per ``[engine] name``, each with what differs between DuckDB and Spark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ever6.config import ENGINES, EngineSettings
from ever6.engines import DuckDBEngine, SparkEngine, engine_for
from ever6.warehouse import Warehouse


@pytest.mark.parametrize("name", ENGINES)
def test_every_engine_setting_names_an_engine(name: str) -> None:
    assert engine_for(name).name == name
    EngineSettings(name=name)  # the settings accept exactly the same names


@pytest.mark.parametrize("name", ["", "DuckDB", "spark ", "polars"])
def test_any_other_name_is_refused_with_the_choices(name: str) -> None:
    with pytest.raises(ValueError, match="expected one of duckdb, spark"):
        engine_for(name)


def test_duckdb_needs_no_session_and_reads_the_warehouse_itself(tmp_path: Path) -> None:
    engine = engine_for("duckdb")
    assert isinstance(engine, DuckDBEngine)
    assert not engine.needs_session
    assert engine.session(EngineSettings()) is None
    with Warehouse(tmp_path / "w.duckdb") as wh:
        tables = engine.warehouse_tables(wh, tmp_path / "staging", None)
        assert set(tables) >= {"cm_identity", "pupil_enrolment", "import_batch"}
        assert not (tmp_path / "staging").exists()  # nothing is copied for DuckDB
        assert engine.adopt({"cm_identity": tables["cm_identity"]}) == {"cm_identity": tables["cm_identity"]}
    assert type(engine.splink_api()).__name__ == "DuckDBAPI"


def test_spark_without_a_session_says_so(tmp_path: Path) -> None:
    engine = engine_for("spark")
    assert isinstance(engine, SparkEngine)
    assert engine.needs_session
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(ValueError, match="needs a Spark session"):
            engine.warehouse_tables(wh, tmp_path / "staging", None)
        with pytest.raises(ValueError, match="needs a Spark session"):
            engine.adopt(wh.raw_tables())
    with pytest.raises(ValueError, match="needs a spark_session"):
        engine.splink_api(None)


@pytest.mark.spark
def test_spark_adopts_warehouse_tables_row_for_row(tmp_path: Path, spark: Any) -> None:
    import ibis

    rows = pa.table({"la_child_id": ["a", None, "c"], "n": pa.array([1, 2, None], pa.int64())})
    on_duckdb = ibis.duckdb.connect().create_table("t", rows)
    adopted = engine_for("spark").adopt({"t": on_duckdb}, spark)
    assert adopted["t"]._find_backend().name == "pyspark"
    assert adopted["t"].to_pyarrow().to_pylist() == rows.to_pylist()


def test_the_analytics_compile_without_merging_selects(tmp_path: Path) -> None:
    """Ibis's select merging measured the whole expression below each select, two fifths of the
    time compiling took (issue 22): the engines' expressions compile with each select as written."""
    with Warehouse(tmp_path / "w.duckdb") as wh:
        batches = wh.raw_tables()["import_batch"]
        twice = batches.mutate(one=1).mutate(two=2)
        assert str(twice.compile()).upper().count("SELECT") == 2
