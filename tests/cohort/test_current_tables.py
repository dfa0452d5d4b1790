"""The current tables' expressions are built once per set of raw tables (issue 22), and never
shared between two warehouses' connections, which Ibis deems equal."""

from __future__ import annotations

from pathlib import Path

from ever6.cohort import current_tables
from ever6.model import TABLES
from ever6.warehouse import Warehouse
from tests.support.builders import d, load, rows_result


def test_the_same_raw_tables_give_the_same_expressions(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "warehouse.duckdb") as wh:
        raw = wh.raw_tables()
        assert current_tables(raw) is current_tables(dict(raw))
        # Another binding of the same connection is another set of raw tables.
        assert current_tables(wh.raw_tables()) is not current_tables(raw)


def test_each_warehouse_reads_its_own_rows(tmp_path: Path) -> None:
    """A second warehouse with the same tables, opened after the first is closed, is read through
    its own connection (with the first's expressions, reading would fail on a closed connection)."""
    mark = {"urn": "100001", "upn": "A100000000001", "date": d("2025-09-01"), "session": "AM", "code": "/"}
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    wh = load(first, rows_result(first, "attendance", {"attendance_mark": [mark]}))
    try:
        assert current_tables(wh.raw_tables()).attendance_mark.count().execute() == 1
    finally:
        wh.close()
    wh = load(second, rows_result(second, "attendance", {"attendance_mark": [mark, {**mark, "session": "PM"}]}))
    try:
        assert current_tables(wh.raw_tables()).attendance_mark.count().execute() == 2
    finally:
        wh.close()


def test_each_current_table_is_built_once_when_read_and_replaced_tables_stand_in(tmp_path: Path) -> None:
    mark = {"urn": "100001", "upn": "A100000000001", "date": d("2025-09-01"), "session": "AM", "code": "/"}
    wh = load(tmp_path, rows_result(tmp_path, "attendance", {"attendance_mark": [mark]}))
    try:
        tables = current_tables(wh.raw_tables())
        assert tables.cin_child is tables.cin_child
        assert tables.table("attendance_mark") is tables.attendance_mark
        replaced = tables.replace(attendance_mark=tables.attendance_mark.limit(0))
        assert replaced.attendance_mark.count().execute() == 0
        assert tables.attendance_mark.count().execute() == 1
        assert replaced.cin_child is tables.cin_child  # the others shared, not built again
        assert replaced.active is tables.active
        assert set(tables.active) == set(TABLES)
        assert tables.active["attendance_mark"].count().execute() == 1
        assert tables.attendance_mark_days is not None
        assert tables.attendance_mark_days.to_pyarrow().column("date").to_pylist() == [d("2025-09-01")]
    finally:
        wh.close()
