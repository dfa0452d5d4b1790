"""The attendance marks reader streamed in small blocks says exactly what it says reading whole."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import ever6.formats.attendance_marks as marks_module
from ever6.formats.attendance_marks import (
    MAX_LISTED,
    STREAM_SCHEMA,
    read_attendance_marks,
    stream_attendance_marks,
)
from ever6.formats.problems import ReadResult, StreamedResult
from ever6.model import ATTENDANCE_MARK

HEADER = "urn,upn,date,session,code"


def write(tmp_path: Path, text: str, name: str = "marks.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def whole_and_in_blocks(monkeypatch: pytest.MonkeyPatch, path: Path) -> tuple[ReadResult, ReadResult]:
    whole = read_attendance_marks(path)
    with monkeypatch.context() as patch:
        patch.setattr(marks_module, "_BLOCK_BYTES", 128)  # a handful of rows per block
        in_blocks = read_attendance_marks(path)
    return whole, in_blocks


def assert_same(whole: ReadResult, in_blocks: ReadResult) -> None:
    assert [str(p) for p in in_blocks.problems] == [str(p) for p in whole.problems]
    assert in_blocks.tables["attendance_mark"].equals(whole.tables["attendance_mark"])


def marks(pupils: int, days: int, code: str = "/") -> list[str]:
    return [
        f"1000{p % 3:02d},A{p:012d},2024-09-{day:02d},{session},{code}\n"
        for p in range(pupils)
        for day in range(2, 2 + days)
        for session in ("AM", "PM")
    ]


def test_good_file_in_blocks_is_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, HEADER + "\n" + "".join(marks(7, 5)))
    whole, in_blocks = whole_and_in_blocks(monkeypatch, path)
    assert whole.ok
    assert whole.tables["attendance_mark"].num_rows == 70
    assert_same(whole, in_blocks)


def test_errors_in_later_blocks_keep_their_lines_and_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = marks(4, 5)
    rows[30] = "100001,A1,2024-09-31,AM,/\n"  # line 32: a bad date, several blocks in
    rows[33] = "\n"  # line 35: a blank line
    rows[34] = "100001,A1,2024-09-02,AM\n"  # line 36: a field short
    rows[36] = '100001,A1,2024-09-02,EV,"/"\n'  # line 38: a bad session (and quoting)
    bad_codes = [f"100002,B{i},2024-09-02,AM,Q9\n" for i in range(MAX_LISTED + 3)]
    path = write(tmp_path, HEADER + "\n" + "".join(rows + bad_codes))
    whole, in_blocks = whole_and_in_blocks(monkeypatch, path)
    assert_same(whole, in_blocks)
    assert not whole.ok
    lines = {(p.line, p.field) for p in whole.errors}
    assert {(32, "date"), (36, None), (38, "session")} <= lines
    listed_codes = [p.line for p in whole.errors if p.field == "code" and p.line is not None]
    assert listed_codes == list(range(42, 42 + MAX_LISTED))
    assert "and 3 more rows with unknown codes" in whole.errors[-1].message
    assert whole.tables["attendance_mark"].num_rows == 0


@pytest.mark.parametrize("shuffled", [False, True], ids=["sorted", "unsorted"])
def test_repeated_marks_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shuffled: bool) -> None:
    rows = marks(5, 4)
    if shuffled:
        rows = rows[1::2] + rows[::2]
    repeat_of = rows[3]  # line 5
    rows.append(repeat_of.replace(",/", ",N"))  # the same session again, another code, at the end
    path = write(tmp_path, HEADER + "\n" + "".join(rows))
    whole, in_blocks = whole_and_in_blocks(monkeypatch, path)
    assert_same(whole, in_blocks)
    (repeat,) = whole.errors
    assert (repeat.line, repeat.field) == (len(rows) + 1, "session")
    urn, upn, day, session, _ = repeat_of.strip().split(",")
    assert repeat.message == f"a second mark for URN {urn} UPN {upn} {day} {session} (first on line 5)"


def test_quoted_newlines_and_skipped_rows_in_earlier_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = (
        '"100001","A\n1","2024-09-02","AM","/"\n'  # lines 2 and 3
        + "".join(f'"100001","A{i}","2024-09-02","AM","/"\n' for i in range(2, 12))  # lines 4 to 13
        + '"100001","A1"\n'  # line 14: a field short
        + "   \n"  # line 15: blank, harmless
        + "".join(f'"100001","B{i}","2024-09-02","AM","/"\n' for i in range(10))  # lines 16 to 25
        + '"100001","A1","2024-09-02","PM","A"\n'  # line 26: unknown code
    )
    path = write(tmp_path, '"urn","upn","date","session","code"\n' + body)
    whole, in_blocks = whole_and_in_blocks(monkeypatch, path)
    assert_same(whole, in_blocks)
    assert [p.field for p in whole.errors] == [None, "code"]  # the short row, then the code
    assert whole.errors[1].line == 26


def test_streamed_batches_are_canonical_and_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, HEADER + "\n" + "".join(marks(3, 3)) + "\n\n")
    monkeypatch.setattr(marks_module, "_BLOCK_BYTES", 256)
    streamed = stream_attendance_marks(path)
    assert isinstance(streamed, StreamedResult)
    assert streamed.stream_table == "attendance_mark"
    batches = list(streamed.batches())
    assert len(batches) > 1
    assert all(b.schema.equals(STREAM_SCHEMA) for b in batches)
    table = pa.Table.from_batches(batches).cast(ATTENDANCE_MARK.schema)
    assert table.num_rows == 18  # the blank lines are not marks
    assert streamed.ok
    assert streamed.row_counts() == {"attendance_mark": 18}
    with pytest.raises(RuntimeError, match="only once"):
        list(streamed.batches())


def test_no_batch_after_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = marks(4, 5)
    rows[2] = "100001,A1,2024-09-02,AM,Q9\n"  # line 4, in the first block
    path = write(tmp_path, HEADER + "\n" + "".join(rows))
    monkeypatch.setattr(marks_module, "_BLOCK_BYTES", 128)
    streamed = stream_attendance_marks(path)
    assert list(streamed.batches()) == []
    assert [(p.line, p.field) for p in streamed.errors] == [(4, "code")]


def test_unreadable_part_way_is_one_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = marks(4, 5)
    data = (HEADER + "\n" + "".join(rows)).encode() + "100001,A\xe91,2024-09-02,AM,/\n".encode("cp1252")
    path = tmp_path / "latin.csv"
    path.write_bytes(data)
    monkeypatch.setattr(marks_module, "_BLOCK_BYTES", 128)
    streamed = stream_attendance_marks(path)
    streamed.drain()
    (problem,) = streamed.errors
    assert "UTF-8" in problem.message


def test_header_problems_are_known_before_reading(tmp_path: Path) -> None:
    streamed = stream_attendance_marks(write(tmp_path, "urn,upn,date,code\n100001,A1,2024-09-02,/\n"))
    assert [p.message.startswith("no session column") for p in streamed.errors] == [True]
    assert list(streamed.batches()) == []


def test_a_quote_found_far_into_the_file_turns_quoting_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The file is looked through for a quote a window at a time: a quote in the third window still
    # counts, and the quoted newline then pushes the later lines down.
    monkeypatch.setattr(marks_module, "_SCAN_BYTES", 4096)
    plain = "".join(f"100001,A{i:04d},2024-09-02,AM,/\n" for i in range(300))  # lines 2 to 301, about 9 kB
    late = '100001,"B\n1",2024-09-02,AM,/\n100001,B2,2024-09-02,AM,Q9\n'  # lines 302 and 303; 304
    path = write(tmp_path, HEADER + "\n" + plain + late)
    assert path.stat().st_size > 2 * 4096
    result = read_attendance_marks(path)
    assert [(p.line, p.field, p.message) for p in result.errors] == [
        (304, "code", "code 'Q9' is not an attendance code")
    ]
