"""The warehouse: every import one atomic batch, with provenance, listable and reversible."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from ever6.formats.problems import ImportRefused, Problem, ReadResult, Severity
from ever6.warehouse import RollbackError, Warehouse, file_sha256
from tests.support.builders import Child, Episode, census_result, ssda903_result


def test_import_records_provenance(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    result = census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])])
    result.problems.append(Problem(str(result.path), 12, "Sex", "unknown sex '7'", Severity.WARNING))
    outcome = wh.import_result(result, who="alice")

    b = outcome.batch
    assert outcome.created
    assert (b.format, b.year, b.reference_date, b.imported_by, b.status) == (
        "cin-census",
        2025,
        date(2025, 3, 31),
        "alice",
        "active",
    )
    assert b.sha256 == file_sha256([result.path])
    assert b.row_counts["cin_child"] == 1
    assert b.row_counts["cin_episode"] == 1
    assert b.warning_count == 1
    assert [p.line for p in wh.problems(b.batch_id)] == [12]
    assert wh.row_count("cin_episode") == 1


def test_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    result = census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])])
    first = wh.import_result(result)
    before = wh.fingerprint()
    again = wh.import_result(result)
    assert not again.created
    assert again.batch.batch_id == first.batch.batch_id
    assert wh.fingerprint() == before


def test_rolled_back_file_can_be_imported_again(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    result = census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])])
    first = wh.import_result(result).batch
    wh.rollback(first.batch_id, who="bob")
    second = wh.import_result(result)
    assert second.created
    assert second.batch.batch_id != first.batch_id
    assert wh.row_count("cin_child") == 1


def test_rollback_removes_only_that_batch_and_keeps_its_provenance(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    a = wh.import_result(census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])])).batch
    b = wh.import_result(census_result(tmp_path, "2026-03-31", [Child("b", episodes=[Episode("2025-01-01")])])).batch
    la = wh.import_result(ssda903_result(tmp_path, 2026, [("c", "2025-01-01", None)])).batch

    rolled = wh.rollback(b.batch_id, who="bob")
    assert rolled.status == "rolled_back"
    assert rolled.rolled_back_by == "bob"
    ids = wh.con.execute("SELECT la_child_id FROM cin_child ORDER BY 1").fetchall()
    assert ids == [("a",)]
    assert wh.row_count("la_episode") == 1
    assert [x.batch_id for x in wh.batches()] == [a.batch_id, b.batch_id, la.batch_id]
    assert [x.batch_id for x in wh.batches(include_rolled_back=False)] == [a.batch_id, la.batch_id]

    with pytest.raises(RollbackError, match="already rolled back"):
        wh.rollback(b.batch_id)
    with pytest.raises(RollbackError, match="no import batch 99"):
        wh.rollback(99)


def test_refused_result_changes_nothing(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.import_result(census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])]))
    before = wh.fingerprint()
    good = census_result(tmp_path, "2026-03-31", [Child("b", episodes=[Episode("2025-01-01")])])
    bad = census_result(tmp_path, "2026-03-31", [Child("c")])
    bad.problems.append(Problem(str(bad.path), 3, "LAchildID", "missing"))
    with pytest.raises(ImportRefused) as refused:
        wh.import_results([good, bad])
    assert "LAchildID" in str(refused.value)
    assert wh.fingerprint() == before


def test_failure_part_way_through_a_batch_rolls_the_whole_command_back(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    good = census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])])
    # A second source whose episode table breaks a NOT NULL constraint once inside the database.
    broken = census_result(tmp_path, "2026-03-31", [Child("b", episodes=[Episode("2025-01-01")])])
    episodes = broken.tables["cin_episode"]
    schema = episodes.schema.set(1, pa.field("referral_date", pa.date32(), nullable=True))
    broken.tables["cin_episode"] = pa.table(
        [episodes.column(0), pa.array([None], pa.date32()), *episodes.columns[2:]], schema=schema
    )
    before = wh.fingerprint()
    with pytest.raises(ValueError, match="schema differs"):
        wh.import_results([good, broken])
    assert wh.fingerprint() == before

    # Past the schema check, the database's own constraint fails mid-transaction: still nothing.
    broken.tables["cin_episode"] = episodes  # restore a valid table...
    original_insert = wh._insert

    def failing_insert(name: str, table: pa.Table, batch_id: int) -> None:
        if batch_id > 1 and name == "cp_plan":
            raise RuntimeError("disk full")
        original_insert(name, table, batch_id)

    wh._insert = failing_insert  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="disk full"):
        wh.import_results([good, broken])
    assert wh.fingerprint() == before
    assert wh.batches() == []


def test_reader_must_return_canonical_tables(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    path = tmp_path / "x.csv"
    path.write_text("x")
    result = ReadResult("ssda903", path, {"la_episode": pa.table({"x": [1]})})
    with pytest.raises(ValueError, match="returned tables"):
        wh.import_result(result)


def test_warehouse_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        wh.import_result(census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])]))
    with Warehouse(path) as wh:
        assert wh.row_count("cin_child") == 1
        assert len(wh.batches()) == 1
    with Warehouse(path, read_only=True) as wh:
        assert wh.row_count("cin_episode") == 1


def test_a_warehouse_from_an_earlier_schema_is_brought_up_to_date_on_opening(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        wh.import_result(census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])]))
        # As an earlier version left it: without a column added since, and without the record of
        # the schema it was made with.
        wh.con.execute("ALTER TABLE cm_identity DROP COLUMN team_email")
        wh.con.execute("DELETE FROM ever6_meta WHERE key = 'schema_statements'")
    with Warehouse(path) as wh:
        columns = {
            r[0]
            for r in wh.con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'cm_identity'"
            ).fetchall()
        }
        assert "team_email" in columns
        assert wh.row_count("cin_child") == 1
    # Once current, opening it again finds it current and changes nothing.
    with Warehouse(path) as wh:
        assert wh._schema_current()


def test_raw_tables_are_bound_as_ibis_binds_them(tmp_path: Path) -> None:
    import ibis

    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        wh.import_result(census_result(tmp_path, "2025-03-31", [Child("a", episodes=[Episode("2024-01-01")])]))
    for read_only in (False, True):
        with Warehouse(path, read_only=read_only) as wh:
            raw = wh.raw_tables()
            backend = ibis.duckdb.from_connection(wh.con)
            assert sorted(raw) == sorted(wh.raw_table_names())
            for name, table in raw.items():
                assert table.schema() == backend.table(name).schema(), name
                assert table.op().namespace == backend.table(name).op().namespace
            assert raw["cin_child"].count().execute() == 1
            assert raw["import_batch"].source_files.type().is_array()
