"""Streamed imports: attendance marks written batch by batch inside the one import transaction."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


class _CountingFile:
    """A file whose reads are counted (bytes read through Python's file object)."""

    def __init__(self, fh: Any, counter: list[int]) -> None:
        self._fh = fh
        self._counter = counter

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._fh.read(size)
        self._counter[0] += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        n: int = self._fh.readinto(buffer)
        self._counter[0] += n
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _CountingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def count_reads(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[int]:
    """Bytes read from ``path`` from now on, by whoever opens it."""
    counter = [0]
    real_open = Path.open

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        fh = real_open(self, *args, **kwargs)
        return _CountingFile(fh, counter) if self == path else fh

    monkeypatch.setattr(Path, "open", counting_open)
    return counter


def test_a_new_file_is_read_once_and_hashed_as_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(marks_module, "_BLOCK_BYTES", 1 << 14)  # ten blocks, not hundreds
    path = marks_file(tmp_path, "marks.csv", pupils=100, days=20)  # 4,000 marks, about 150 kB
    content = path.read_bytes()
    assert len(content) > 2 * 65536  # beyond the header's first read, so a second pass would show
    wh = Warehouse(tmp_path / "w.duckdb")
    read = count_reads(monkeypatch, path)
    outcome = wh.import_result(stream_attendance_marks(path))
    assert outcome.created
    assert outcome.batch.sha256 == hashlib.sha256(content).hexdigest()
    assert outcome.batch.row_counts == {"attendance_mark": 4000}
    # The header's first 64 kB, then the file once: the parse, hashed on the way.
    assert read[0] == 65536 + len(content)


def test_a_file_of_a_held_size_is_hashed_first_and_not_read_when_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    first = wh.import_result(stream_attendance_marks(marks_file(tmp_path, "marks.csv")))
    # Same size, other content (a code changed): not held, imported as a batch of its own.
    other = tmp_path / "other.csv"
    other.write_bytes((tmp_path / "marks.csv").read_bytes().replace(b",/\n", b",\\\n", 1))
    assert other.stat().st_size == (tmp_path / "marks.csv").stat().st_size
    second = wh.import_result(stream_attendance_marks(other))
    assert second.created
    assert second.batch.sha256 == hashlib.sha256(other.read_bytes()).hexdigest() != first.batch.sha256
    # The same content again, in a warehouse from before sizes were kept: hashed first, recognised, not parsed.
    wh.con.execute("UPDATE import_batch SET source_bytes = NULL")
    before = wh.fingerprint()
    copy = tmp_path / "copy.csv"
    copy.write_bytes(other.read_bytes())
    again = stream_attendance_marks(copy)
    outcome = wh.import_result(again)
    assert (outcome.created, outcome.batch.batch_id, again.consumed) == (False, second.batch.batch_id, False)
    assert wh.fingerprint() == before


def test_same_file_twice_in_one_command_is_one_batch(tmp_path: Path) -> None:
    path = marks_file(tmp_path, "marks.csv")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    wh = Warehouse(tmp_path / "w.duckdb")
    outcomes = wh.import_results([stream_attendance_marks(path), stream_attendance_marks(copy)])
    assert [o.created for o in outcomes] == [True, False]
    assert outcomes[0].batch.batch_id == outcomes[1].batch.batch_id
    assert wh.row_count("attendance_mark") == 48
    assert len(wh.batches()) == 1


def test_a_held_file_found_only_after_reading_leaves_nothing_written(tmp_path: Path) -> None:
    # A held batch whose recorded size does not match (it cannot happen for the same bytes; the
    # safeguard is that the digest is still compared once the file has been read).
    path = marks_file(tmp_path, "marks.csv")
    wh = Warehouse(tmp_path / "w.duckdb")
    first = wh.import_result(stream_attendance_marks(path))
    wh.con.execute("UPDATE import_batch SET source_bytes = 1")
    before = wh.fingerprint()
    days_before = wh.con.execute("SELECT * FROM attendance_mark_day ORDER BY ALL").fetchall()
    again = stream_attendance_marks(path)
    outcome = wh.import_result(again)
    assert again.consumed
    assert (outcome.created, outcome.batch.batch_id) == (False, first.batch.batch_id)
    assert wh.fingerprint() == before
    assert wh.con.execute("SELECT * FROM attendance_mark_day ORDER BY ALL").fetchall() == days_before
