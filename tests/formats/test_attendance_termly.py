"""Termly attendance reader: totals and per-code layouts, keys and arithmetic checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ever6.attendance import SUMMARY_AUTHORISED, SUMMARY_POSSIBLE, SUMMARY_UNAUTHORISED
from ever6.formats import FORMATS
from ever6.formats.attendance_termly import read_attendance_termly
from ever6.formats.problems import ReadResult
from ever6.model import ATTENDANCE_TERMLY

TOTALS = "urn,upn,academic_year,term,sessions_possible,sessions_authorised,sessions_unauthorised"
PER_CODE = "urn,upn,academic_year,term,code,sessions"


def read(tmp_path: Path, header: str, body: str) -> ReadResult:
    path = tmp_path / "termly.csv"
    path.write_bytes(f"{header}\n{body}".encode())
    return read_attendance_termly(path)


def rows(result: ReadResult) -> list[tuple[object, ...]]:
    return [tuple(r.values()) for r in result.tables["attendance_termly"].to_pylist()]


def test_totals_layout(tmp_path: Path) -> None:
    result = read(tmp_path, TOTALS, "100001,A1,2024/25,Autumn,140,10,5\n100001,A1,2024,spring,120.0,0,\n")
    assert result.ok
    assert result.problems == []
    assert result.format == "attendance-termly"
    assert tuple(result.tables) == FORMATS["attendance-termly"].tables
    assert result.tables["attendance_termly"].schema == ATTENDANCE_TERMLY.schema
    assert rows(result) == [
        ("100001", "A1", 2024, "autumn", SUMMARY_POSSIBLE, 140),
        ("100001", "A1", 2024, "autumn", SUMMARY_AUTHORISED, 10),
        ("100001", "A1", 2024, "autumn", SUMMARY_UNAUTHORISED, 5),
        ("100001", "A1", 2024, "spring", SUMMARY_POSSIBLE, 120),
        ("100001", "A1", 2024, "spring", SUMMARY_AUTHORISED, 0),  # blank unauthorised: no row, not 0
    ]


def test_per_code_layout(tmp_path: Path) -> None:
    body = "100001,A1,2024/25,autumn,i,4\n100001,A1,2024/25,autumn,C2,6\n100001,A1,2023/24,summer,H,2\n"
    result = read(tmp_path, PER_CODE, body + "100001,A1,2024/25,autumn,*POSSIBLE,140\n")
    assert result.ok, result.problems
    assert rows(result) == [
        ("100001", "A1", 2024, "autumn", "I", 4),
        ("100001", "A1", 2024, "autumn", "C2", 6),
        ("100001", "A1", 2023, "summer", "H", 2),
        ("100001", "A1", 2024, "autumn", SUMMARY_POSSIBLE, 140),
    ]


@pytest.mark.parametrize(
    ("row", "field", "text"),
    [
        ("100001,A1,2024/25,autumn,100,60,50", "sessions_possible", "110 sessions absent"),
        ("100001,A1,2024/25,autumn,-1,,", "sessions_possible", "negative"),
        ("100001,A1,2024/25,autumn,100,1.5,", "sessions_authorised", "whole number"),
        ("100001,A1,2024/25,autumn,100,x,", "sessions_authorised", "whole number"),
        ("100001,A1,2024/26,autumn,100,1,1", "academic_year", "2024/26"),
        ("100001,A1,2024/25,winter,100,1,1", "term", "winter"),
        (",A1,2024/25,autumn,100,1,1", "urn", "blank"),
        ("100001,,2024/25,autumn,100,1,1", "upn", "blank"),
    ],
)
def test_totals_errors(tmp_path: Path, row: str, field: str, text: str) -> None:
    result = read(tmp_path, TOTALS, f"100001,A0,2024/25,autumn,100,1,1\n{row}\n")
    assert not result.ok
    assert [(p.line, p.field) for p in result.errors] == [(3, field)]
    assert text in result.errors[0].message
    assert result.tables["attendance_termly"].num_rows == 0


@pytest.mark.parametrize(
    ("row", "field", "text"),
    [
        ("100001,A1,2024/25,autumn,Q9,1", "code", "'Q9' is not an attendance code"),
        ("100001,A1,2024/25,autumn,H,1", "code", "in use in autumn 2024"),  # retired July 2024
        ("100001,A1,2023/24,spring,C2,1", "code", "in use in spring 2023"),  # new August 2024
        ("100001,A1,2024/25,autumn,,1", "code", "blank"),
        ("100001,A1,2024/25,autumn,I,-2", "sessions", "negative"),
        ("100001,A0,2024/25,autumn,I,2", None, "line 2 too"),
    ],
)
def test_per_code_errors(tmp_path: Path, row: str, field: str | None, text: str) -> None:
    result = read(tmp_path, PER_CODE, f"100001,A0,2024/25,autumn,I,1\n{row}\n")
    assert [(p.line, p.field) for p in result.errors] == [(3, field)]
    assert text in result.errors[0].message


def test_possible_blank_with_absences_warns(tmp_path: Path) -> None:
    result = read(tmp_path, TOTALS, "100001,A1,2024/25,autumn,,3,\n")
    assert result.ok
    assert [(p.line, p.field, p.severity.value) for p in result.problems] == [(2, "sessions_possible", "warning")]


def test_wrong_columns_and_hostile(tmp_path: Path) -> None:
    result = read(tmp_path, "urn,upn,academic_year,term,sessions", "1,A,2024,autumn,3\n")
    assert "missing column(s) sessions_possible" in result.errors[0].message
    for data, text in ((b"", "empty"), (b"PK\x03\x04", "zip"), (b"\x00\x00", "binary")):
        path = tmp_path / "h.csv"
        path.write_bytes(data)
        assert text in read_attendance_termly(path).errors[0].message
    bom = read(tmp_path, "\ufeff" + TOTALS, "100001,A1,2024/25,autumn,140,10,5\r\n")
    assert bom.ok
    assert len(rows(bom)) == 3
