"""Attendance marks reader: vectorised checks that still name file, line and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ever6.formats import FORMATS
from ever6.formats.attendance_marks import MAX_LISTED, read_attendance_marks
from ever6.formats.problems import ReadResult, Severity
from ever6.model import ATTENDANCE_MARK

HEADER = "urn,upn,date,session,code"


def write(tmp_path: Path, text: str, name: str = "marks.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def read(tmp_path: Path, body: str, header: str = HEADER) -> ReadResult:
    return read_attendance_marks(write(tmp_path, f"{header}\n{body}"))


def errors(result: ReadResult) -> set[tuple[int | None, str | None]]:
    return {(p.line, p.field) for p in result.errors}


def test_good_file(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        "100001,A123456789012,2024-09-02,AM,/\n"
        "100001,A123456789012,2024-09-02,PM,\\\n"
        "100001,a123456789012 ,03/09/2024, am ,c2\n",  # tidied: trimmed, uppercased, DD/MM/YYYY
    )
    assert result.ok, result.problems
    assert result.problems == []
    assert result.format == "attendance"
    assert tuple(result.tables) == FORMATS["attendance"].tables
    table = result.tables["attendance_mark"]
    assert table.schema == ATTENDANCE_MARK.schema
    assert table.to_pylist() == [
        {"urn": "100001", "upn": "A123456789012", "date": date(2024, 9, 2), "session": "AM", "code": "/"},
        {"urn": "100001", "upn": "A123456789012", "date": date(2024, 9, 2), "session": "PM", "code": "\\"},
        {"urn": "100001", "upn": "A123456789012", "date": date(2024, 9, 3), "session": "AM", "code": "C2"},
    ]


def test_columns_in_any_order_with_extra_columns(tmp_path: Path) -> None:
    result = read(tmp_path, "x,AM,I,2025-01-06,B1,100002\n", header="note,Session,CODE,Date,UPN,URN")
    assert result.ok
    assert result.tables["attendance_mark"].to_pylist() == [
        {"urn": "100002", "upn": "B1", "date": date(2025, 1, 6), "session": "AM", "code": "I"}
    ]


@pytest.mark.parametrize(
    ("row", "field", "text"),
    [
        ("100001,A1,2024-09-02,AM,A", "code", "'A' is not an attendance code"),
        ("100001,A1,2024-09-02,AM,", "code", "code is blank"),
        ("100001,A1,2024-09-02,AM,H", "code", "'H' was not in use on 2024-09-02"),  # retired 31 July 2024
        ("100001,A1,2024-07-01,AM,C2", "code", "'C2' was not in use on 2024-07-01"),  # new from August 2024
        ("100001,A1,2024-09-02,EV,/", "session", "'EV' is not AM or PM"),
        ("100001,A1,2024-02-30,AM,/", "date", "'2024-02-30' is not a date"),
        ("100001,A1,,AM,/", "date", "'' is not a date"),
        (",A1,2024-09-02,AM,/", "urn", "urn is blank"),
        ("100001,,2024-09-02,AM,/", "upn", "upn is blank"),
    ],
)
def test_each_rule_names_line_and_field(tmp_path: Path, row: str, field: str, text: str) -> None:
    result = read(tmp_path, f"100001,A1,2024-09-03,AM,/\n{row}\n100001,A1,2024-09-03,PM,/\n")
    assert not result.ok
    assert [(p.line, p.field) for p in result.errors] == [(3, field)]
    assert text in result.errors[0].message
    assert result.errors[0].file.endswith("marks.csv")
    assert result.tables["attendance_mark"].num_rows == 0  # refused: nothing half-imported
    assert result.tables["attendance_mark"].schema == ATTENDANCE_MARK.schema


def test_codes_valid_before_august_2024(tmp_path: Path) -> None:
    result = read(tmp_path, "100001,A1,2024-07-01,AM,H\n100001,A1,2024-07-01,PM,Y\n")
    assert result.ok, result.problems


def test_duplicates_name_both_lines_sorted_or_not(tmp_path: Path) -> None:
    body = (
        "100002,B1,2024-09-02,AM,/\n"  # line 2
        "100001,A1,2024-09-02,AM,/\n"  # line 3
        "100001,A1,2024-09-02,PM,/\n"  # line 4
        "100001,A1,2024-09-02,AM,N\n"  # line 5: repeats line 3 (different code)
        "100002,B1,2024-09-02,AM,/\n"  # line 6: repeats line 2
    )
    result = read(tmp_path, body)
    assert errors(result) == {(5, "session"), (6, "session")}
    messages = {p.line: p.message for p in result.errors}
    assert "first on line 3" in messages[5]
    assert "first on line 2" in messages[6]
    same_session_other_school = read(tmp_path, "100001,A1,2024-09-02,AM,/\n100002,A1,2024-09-02,AM,D\n")
    assert same_session_other_school.ok  # dual registration: one mark at each school


def test_listing_is_capped_and_the_rest_counted(tmp_path: Path) -> None:
    body = "".join(f"100001,A{i},2024-09-02,AM,A\n" for i in range(MAX_LISTED + 7))
    result = read(tmp_path, body)
    listed = [p for p in result.errors if p.line is not None]
    assert [p.line for p in listed] == list(range(2, MAX_LISTED + 2))
    (rest,) = [p for p in result.errors if p.line is None]
    assert "and 7 more rows with unknown codes" in rest.message


def test_blank_lines_and_crlf_keep_line_numbers(tmp_path: Path) -> None:
    body = "100001,A1,2024-09-02,AM,/\r\n\r\n   \r\n100001,A1,2024-09-02,PM,A\r\n"
    result = read_attendance_marks(write(tmp_path, f"\ufeff{HEADER}\r\n{body}"))
    assert errors(result) == {(5, "code")}
    ok = read_attendance_marks(write(tmp_path, f"\ufeff{HEADER}\r\n100001,A1,2024-09-02,AM,/\r\n\r\n"))
    assert ok.ok
    assert ok.tables["attendance_mark"].num_rows == 1


def test_quoted_values_and_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    body = (
        '"100001","A1","2024-09-02","AM","/"\n'
        '"100001","A\n1","2024-09-02","AM","/"\n'  # lines 3 and 4
        '"100001","A1","2024-09-02","PM","A"\n'
    )
    result = read(tmp_path, body, header='"urn","upn","date","session","code"')
    assert errors(result) == {(5, "code")}  # the quoted newline in line 3's UPN pushes the next row to 5


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    result = read(tmp_path, "100001,A1,2024-09-02,AM,/\n100001,A1,2024-09-02\n100001,A1,2024-09-02,PM,A\n")
    assert (3, None) in errors(result)
    assert "3 fields but the header has 5" in next(p.message for p in result.errors if p.line == 3)
    assert (4, "code") in errors(result)  # the skipped row does not shift later line numbers


def test_missing_and_repeated_columns(tmp_path: Path) -> None:
    missing = read(tmp_path, "100001,A1,2024-09-02,/\n", header="urn,upn,date,code")
    assert [p.message.startswith("no session column") for p in missing.errors] == [True]
    repeated = read(tmp_path, "1,1,A1,2024-09-02,AM,/\n", header="urn,URN,upn,date,session,code")
    assert [(p.line, p.field) for p in repeated.errors] == [(1, "urn")]


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"PK\x03\x04\x14\x00", "zip archive"),
        (b"\xff\xfeu\x00r\x00", "UTF-16"),
        (b"urn,upn\x00,date", "binary"),
    ],
)
def test_hostile_files(tmp_path: Path, data: bytes, text: str) -> None:
    result = read_attendance_marks(write_bytes(tmp_path, data))
    assert not result.ok
    assert text in result.errors[0].message
    assert result.tables["attendance_mark"].num_rows == 0


def write_bytes(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "hostile.csv"
    path.write_bytes(data)
    return path


def test_header_only_is_an_empty_import(tmp_path: Path) -> None:
    result = read_attendance_marks(write(tmp_path, HEADER + "\n"))
    assert result.ok
    assert result.tables["attendance_mark"].num_rows == 0


def test_not_utf8_and_huge_fields(tmp_path: Path) -> None:
    latin = write_bytes(tmp_path, f"{HEADER}\n100001,A\xe91,2024-09-02,AM,/\n".encode("cp1252"))
    result = read_attendance_marks(latin)
    assert not result.ok
    assert "UTF-8" in result.errors[0].message
    huge = write(tmp_path, f"{HEADER}\n100001,{'A' * 5_000_000},2024-09-02,AM,/\n100001,A1,2024-09-02,AM,Q9\n")
    big = read_attendance_marks(huge)
    assert errors(big) == {(3, "code")}
    no_newline = write(tmp_path, "x" * 70_000)
    assert "longer than" in read_attendance_marks(no_newline).errors[0].message


def test_missing_file(tmp_path: Path) -> None:
    result = read_attendance_marks(tmp_path / "absent.csv")
    assert not result.ok
    assert result.errors[0].severity is Severity.ERROR
    assert "cannot read" in result.errors[0].message
