"""The current attendance marks: a newer batch's mark wins on a day two batches share; other days
pass straight through, and the warehouse's day index follows imports and rollbacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ever6.cohort import current_tables, latest_version
from tests.support.builders import d, load, rows_result


def mark(day: str, session: str, code: str, upn: str = "A100000000001") -> dict[str, Any]:
    return {"urn": "100001", "upn": upn, "date": d(day), "session": session, "code": code}


def _marks(raw: Any) -> list[tuple[str, str, str, str, str]]:
    table = current_tables(raw).attendance_mark.to_pyarrow()
    return sorted((r["urn"], r["upn"], str(r["date"]), r["session"], r["code"]) for r in table.to_pylist())


def test_newer_batch_wins_only_where_days_overlap(tmp_path: Path) -> None:
    first = rows_result(
        tmp_path,
        "attendance",
        {
            "attendance_mark": [
                mark("2025-09-01", "AM", "/"),
                mark("2025-09-01", "PM", "I"),
                mark("2025-09-02", "AM", "/"),
            ]
        },
    )
    second = rows_result(  # resends 2 September with a corrected code, and adds 3 September
        tmp_path,
        "attendance",
        {"attendance_mark": [mark("2025-09-02", "AM", "M"), mark("2025-09-03", "AM", "/")]},
    )
    wh = load(tmp_path, first, second)
    try:
        days = wh.con.execute("SELECT batch_id, date, marks FROM attendance_mark_day ORDER BY ALL").fetchall()
        assert [(str(day), n) for _, day, n in days] == [
            ("2025-09-01", 2),
            ("2025-09-02", 1),
            ("2025-09-02", 1),
            ("2025-09-03", 1),
        ]
        raw = wh.raw_tables()
        expected = [
            ("100001", "A100000000001", "2025-09-01", "AM", "/"),
            ("100001", "A100000000001", "2025-09-01", "PM", "I"),
            ("100001", "A100000000001", "2025-09-02", "AM", "M"),
            ("100001", "A100000000001", "2025-09-03", "AM", "/"),
        ]
        assert _marks(raw) == expected
        # The same answer without the day index (as from an engine given only the canonical tables).
        assert _marks({k: v for k, v in raw.items() if k != "attendance_mark_day"}) == expected
        assert latest_version(raw, "attendance_mark").count().execute() == 4

        second_batch = max(b.batch_id for b in wh.batches())
        wh.rollback(second_batch, who="test")
        assert wh.con.execute(
            "SELECT count(*) FROM attendance_mark_day WHERE batch_id = ?", [second_batch]
        ).fetchall() == [(0,)]
        assert [m[2:] for m in _marks(wh.raw_tables())] == [
            ("2025-09-01", "AM", "/"),
            ("2025-09-01", "PM", "I"),
            ("2025-09-02", "AM", "/"),
        ]
    finally:
        wh.close()


def test_day_index_is_built_for_a_warehouse_that_predates_it(tmp_path: Path) -> None:
    wh = load(tmp_path, rows_result(tmp_path, "attendance", {"attendance_mark": [mark("2025-09-01", "AM", "/")]}))
    wh.con.execute("DROP TABLE attendance_mark_day")
    wh.con.execute("DELETE FROM ever6_meta WHERE key = 'schema_statements'")  # nor did it record its schema
    wh.close()
    from ever6.warehouse import Warehouse

    with Warehouse(tmp_path / "warehouse.duckdb") as reopened:
        rows = reopened.con.execute("SELECT date, marks FROM attendance_mark_day").fetchall()
        assert [(str(day), n) for day, n in rows] == [("2025-09-01", 1)]
