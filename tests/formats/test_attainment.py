"""Attainment reader: the five measures, their ranges, and keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from ever6.formats import FORMATS
from ever6.formats.attainment import read_attainment
from ever6.formats.problems import ReadResult
from ever6.model import ATTAINMENT

HEADER = "upn,urn,academic_year,measure,value"


def read(tmp_path: Path, body: str, header: str = HEADER) -> ReadResult:
    path = tmp_path / "attainment.csv"
    path.write_bytes(f"{header}\n{body}".encode())
    return read_attainment(path)


def test_all_measures(tmp_path: Path) -> None:
    body = (
        "a1,100001,2018/19,EYFS_GLD,1\n"
        "A1,100001,2022/23,ks2_rwm_expected,0\n"
        "A1,,2024/25,ks4_attainment8,46.75\n"
        "A1,100002,2024,ks4_em_grade4,1\n"
        "A1,100002,2024,ks4_em_grade5,\n"
    )
    result = read(tmp_path, body)
    assert result.ok
    assert result.problems == []
    assert result.format == "attainment"
    assert tuple(result.tables) == FORMATS["attainment"].tables
    assert result.tables["attainment"].schema == ATTAINMENT.schema
    assert [tuple(r.values()) for r in result.tables["attainment"].to_pylist()] == [
        ("A1", "100001", 2018, "eyfs_gld", 1.0),
        ("A1", "100001", 2022, "ks2_rwm_expected", 0.0),
        ("A1", None, 2024, "ks4_attainment8", 46.75),
        ("A1", "100002", 2024, "ks4_em_grade4", 1.0),
        ("A1", "100002", 2024, "ks4_em_grade5", None),
    ]


@pytest.mark.parametrize(
    ("row", "field", "text"),
    [
        ("A1,1,2024/25,ks4_attainment8,90.5", "value", "out of range (0 to 90)"),
        ("A1,1,2024/25,ks4_attainment8,-1", "value", "out of range"),
        ("A1,1,2024/25,eyfs_gld,2", "value", "out of range (0 or 1)"),
        ("A1,1,2024/25,ks2_rwm_expected,0.5", "value", "out of range (0 or 1)"),
        ("A1,1,2024/25,ks4_em_grade4,yes", "value", "not a number"),
        ("A1,1,2024/25,ks4_progress8,0.3", "measure", "not one of"),
        ("A1,1,24/25,eyfs_gld,1", "academic_year", "not like"),
        (",1,2024/25,eyfs_gld,1", "upn", "blank"),
        ("A0,1,2024/25,eyfs_gld,0", "measure", "line 2 too"),
    ],
)
def test_errors(tmp_path: Path, row: str, field: str, text: str) -> None:
    result = read(tmp_path, f"A0,1,2024/25,eyfs_gld,1\n{row}\n")
    assert [(p.line, p.field) for p in result.errors] == [(3, field)]
    assert text in result.errors[0].message
    assert result.tables["attainment"].num_rows == 0


def test_missing_columns_and_hostile(tmp_path: Path) -> None:
    result = read(tmp_path, "A1,1\n", header="upn,urn")
    assert "missing column(s) academic_year, measure, value" in result.errors[0].message
    for data, text in ((b"", "empty"), (b"PK\x03\x04", "zip"), (b"\xfe\xff\x00u", "UTF-16")):
        path = tmp_path / "h.csv"
        path.write_bytes(data)
        assert text in read_attainment(path).errors[0].message
    crlf = read(tmp_path, "A1,1,2024/25,eyfs_gld,1\r\n", header="\ufeff" + HEADER)
    assert crlf.ok
    assert crlf.tables["attainment"].num_rows == 1
