"""Streamed imports: attendance marks written batch by batch inside the one import transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import ever6.formats.attendance_marks as marks_module
from ever6.config import load_settings
from ever6.formats.attendance_marks import STREAM_SCHEMA, stream_attendance_marks
from ever6.formats.problems import ImportRefused, StreamedResult
from ever6.model import ATTENDANCE_MARK
from ever6.publish.pipeline import import_sources, read_sources
from ever6.warehouse import Warehouse, file_sha256

HEADER = "urn,upn,date,session,code"


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(marks_module, "_BLOCK_BYTES", 256)  # several batches even for a small file


def marks_file(tmp_path: Path, name: str, pupils: int = 6, days: int = 4, extra: str = "") -> Path:
    rows = [
        f"1000{p % 2:02d},A{p:012d},2024-09-{day:02d},{session},/\n"
        for p in range(pupils)
        for day in range(2, 2 + days)
        for session in ("AM", "PM")
    ]
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "".join(rows) + extra)
    return path


def test_streamed_import_records_rows_days_and_provenance(tmp_path: Path) -> None:
    path = marks_file(tmp_path, "marks.csv")
    wh = Warehouse(tmp_path / "w.duckdb")
    result = stream_attendance_marks(path)
    outcome = wh.import_result(result, who="alice")
    assert outcome.created
    batch = outcome.batch
    assert batch.row_counts == {"attendance_mark": 48}
    assert batch.sha256 == file_sha256([path])
    assert (batch.format, batch.imported_by, batch.warning_count) == ("attendance", "alice", 0)
    assert wh.row_count("attendance_mark") == 48
    days = wh.con.execute("SELECT date, marks FROM attendance_mark_day WHERE batch_id = ? ORDER BY 1", [batch.batch_id])
    assert [(str(day), n) for day, n in days.fetchall()] == [(f"2024-09-0{d}", 12) for d in range(2, 6)]
    stored = wh.con.execute("SELECT urn, upn, date, session, code FROM attendance_mark ORDER BY ALL").fetchall()
    expected = pa.Table.from_batches(list(stream_attendance_marks(path).batches())).cast(ATTENDANCE_MARK.schema)
    assert stored == sorted(tuple(row.values()) for row in expected.to_pylist())

    rolled = wh.rollback(batch.batch_id)
    assert rolled.status == "rolled_back"
    assert wh.row_count("attendance_mark") == 0
    assert wh.con.execute("SELECT count(*) FROM attendance_mark_day").fetchall() == [(0,)]


def test_same_content_again_is_not_read(tmp_path: Path) -> None:
    path = marks_file(tmp_path, "marks.csv")
    wh = Warehouse(tmp_path / "w.duckdb")
    first = wh.import_result(stream_attendance_marks(path))
    before = wh.fingerprint()
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    again = stream_attendance_marks(copy)
    outcome = wh.import_result(again)
    assert not outcome.created
    assert outcome.batch.batch_id == first.batch.batch_id
    assert not again.consumed
    assert wh.fingerprint() == before


def test_repeat_found_after_the_last_batch_refuses_and_changes_nothing(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.import_result(stream_attendance_marks(marks_file(tmp_path, "earlier.csv", pupils=2)))
    before = wh.fingerprint()
    days_before = wh.con.execute("SELECT * FROM attendance_mark_day ORDER BY ALL").fetchall()
    # The file's first mark again, as its last line: every batch before it has been written.
    bad = marks_file(tmp_path, "bad.csv", pupils=8, extra="100000,A000000000000,2024-09-02,AM,N\n")
    with pytest.raises(ImportRefused) as refused:
        wh.import_result(stream_attendance_marks(bad))
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (66, "session")
    assert "first on line 2" in problem.message
    assert wh.fingerprint() == before
    assert wh.con.execute("SELECT * FROM attendance_mark_day ORDER BY ALL").fetchall() == days_before
    assert len(wh.batches()) == 1


def test_one_bad_file_refuses_the_command_and_every_file_is_reported(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    before = wh.fingerprint()
    good = marks_file(tmp_path, "good.csv")
    bad_one = marks_file(tmp_path, "bad1.csv", pupils=3, extra="100000,A1,2024-09-02,AM,Q9\n")
    bad_two = marks_file(tmp_path, "bad2.csv", pupils=4, extra="100000,A1,not a day,AM,/\n")
    with pytest.raises(ImportRefused) as refused:
        wh.import_results([stream_attendance_marks(p) for p in (good, bad_one, bad_two)])
    assert [(Path(p.file).name, p.line, p.field) for p in refused.value.problems] == [
        ("bad1.csv", 26, "code"),
        ("bad2.csv", 34, "date"),
    ]
    assert wh.fingerprint() == before
    assert wh.batches() == []


def test_failure_part_way_through_a_stream_rolls_back(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.import_result(stream_attendance_marks(marks_file(tmp_path, "earlier.csv", pupils=2)))
    before = wh.fingerprint()
    path = marks_file(tmp_path, "marks.csv")
    good = list(stream_attendance_marks(path).batches())

    def failing() -> Iterator[pa.RecordBatch]:
        yield good[0]
        raise OSError("the disk went away")

    result = StreamedResult(
        "attendance", path, {"attendance_mark": ATTENDANCE_MARK.schema.empty_table()}, stream_table="attendance_mark"
    )
    result.source = failing
    with pytest.raises(OSError, match="disk went away"):
        wh.import_result(result)
    assert wh.fingerprint() == before


def test_a_batch_that_is_not_canonical_is_a_programming_error(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    path = marks_file(tmp_path, "marks.csv")
    wrong = pa.RecordBatch.from_pylist([{"urn": "1", "upn": "A1"}])
    result = StreamedResult(
        "attendance", path, {"attendance_mark": ATTENDANCE_MARK.schema.empty_table()}, stream_table="attendance_mark"
    )
    result.source = lambda: iter([wrong])
    with pytest.raises(ValueError, match="streamed columns differ"):
        wh.import_result(result)
    assert wh.batches() == []
    assert STREAM_SCHEMA.names == ATTENDANCE_MARK.schema.names


def test_pipeline_streams_attendance_marks(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    paths = [marks_file(tmp_path, "a.csv"), marks_file(tmp_path, "b.csv", pupils=3)]
    results = read_sources(settings, "attendance", paths)
    assert all(isinstance(r, StreamedResult) and not r.consumed for r in results)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        outcomes = import_sources(wh, settings, "attendance", paths, who="test")
        assert [o.batch.row_counts for o in outcomes] == [{"attendance_mark": 48}, {"attendance_mark": 24}]
        per_batch = Counter(
            dict(wh.con.execute("SELECT batch_id, count(*) FROM attendance_mark GROUP BY 1").fetchall())
        )
        assert sorted(per_batch.values()) == [24, 48]
