"""Suspensions and exclusions reader: categories, reasons in either layout, keys."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ever6.formats import FORMATS
from ever6.formats.exclusions import read_exclusions
from ever6.formats.problems import ReadResult, Severity
from ever6.model import EXCLUSION

HEADER = "urn,upn,start_date,category,sessions,reason"
WIDE = "urn,upn,start_date,category,sessions,reason1,reason2,reason3"


def read(tmp_path: Path, body: str, header: str = HEADER) -> ReadResult:
    path = tmp_path / "exclusions.csv"
    path.write_bytes(f"{header}\n{body}".encode())
    return read_exclusions(path)


def rows(result: ReadResult) -> list[dict[str, object]]:
    out: list[dict[str, object]] = result.tables["exclusion"].to_pylist()
    return out


def test_reason_list_and_categories(tmp_path: Path) -> None:
    result = read(
        tmp_path, "100001,a1,2024-10-01,susp,2,PP; bu\n100001,A1,01/11/2024,FIXD,0.5,\n100001,A1,2024-12-02,PERM,,VA\n"
    )
    assert result.ok
    assert result.problems == []
    assert result.format == "exclusions"
    assert tuple(result.tables) == FORMATS["exclusions"].tables
    assert result.tables["exclusion"].schema == EXCLUSION.schema
    assert rows(result) == [
        {
            "urn": "100001",
            "upn": "A1",
            "start_date": date(2024, 10, 1),
            "category": "SUSP",
            "sessions": 2.0,
            "reasons": ["PP", "BU"],
        },
        {
            "urn": "100001",
            "upn": "A1",
            "start_date": date(2024, 11, 1),
            "category": "FIXD",
            "sessions": 0.5,
            "reasons": [],
        },
        {
            "urn": "100001",
            "upn": "A1",
            "start_date": date(2024, 12, 2),
            "category": "PERM",
            "sessions": None,
            "reasons": ["VA"],
        },
    ]


def test_reason_columns(tmp_path: Path) -> None:
    result = read(tmp_path, "100001,A1,2024-10-01,LNCH,1,PP,,RA\n", header=WIDE)
    assert result.ok
    assert rows(result)[0]["reasons"] == ["PP", "RA"]


@pytest.mark.parametrize(
    ("row", "field", "text"),
    [
        ("100001,A1,2024-10-01,EXPL,1,PP", "category", "'EXPL' is not one of"),
        ("100001,A1,2024-10-01,,1,PP", "category", "'' is not one of"),
        ("100001,A1,2024-13-01,SUSP,1,PP", "start_date", "not a date"),
        ("100001,A1,,SUSP,1,PP", "start_date", "blank"),
        (",A1,2024-10-01,SUSP,1,PP", "urn", "blank"),
        ("100001,,2024-10-01,SUSP,1,PP", "upn", "blank"),
        ("100001,A1,2024-10-01,SUSP,-1,PP", "sessions", "negative"),
        ("100001,A0,2024-10-01,SUSP,3,PP", "start_date", "first on line 2"),
    ],
)
def test_errors(tmp_path: Path, row: str, field: str, text: str) -> None:
    result = read(tmp_path, f"100001,A0,2024-10-01,SUSP,1,PP\n{row}\n")
    assert [(p.line, p.field) for p in result.errors] == [(3, field)]
    assert text in result.errors[0].message
    assert rows(result) == []


def test_warnings(tmp_path: Path) -> None:
    result = read(tmp_path, "100001,A1,2024-10-01,SUSP,two,PP;ZZ\n100001,A1,2024-10-01,SUSP,two,PP;ZZ\n")
    assert result.ok
    assert {(p.line, p.field, p.severity) for p in result.problems} == {
        (2, "sessions", Severity.WARNING),
        (2, "reason", Severity.WARNING),
        (3, "sessions", Severity.WARNING),
        (3, "reason", Severity.WARNING),
        (3, "start_date", Severity.WARNING),  # an exact repeat is dropped
    }
    assert rows(result) == [
        {
            "urn": "100001",
            "upn": "A1",
            "start_date": date(2024, 10, 1),
            "category": "SUSP",
            "sessions": None,
            "reasons": ["PP", "ZZ"],
        }
    ]


def test_missing_columns_and_hostile(tmp_path: Path) -> None:
    result = read(tmp_path, "1,A\n", header="urn,upn")
    assert "missing column(s) start_date, category" in result.errors[0].message
    for data, text in ((b"", "empty"), (b"%PDF-1.4", "PDF"), (b"a\x00b", "binary")):
        path = tmp_path / "h.csv"
        path.write_bytes(data)
        assert text in read_exclusions(path).errors[0].message
    crlf = read(tmp_path, "100001,A1,2024-10-01,SUSP,1,PP\r\n\r\n", header="\ufeff" + HEADER)
    assert crlf.ok
    assert len(rows(crlf)) == 1


# --- the code lists against the published school census schemas -------------------------------


def test_reason_and_category_lists_are_every_code_any_school_census_schema_allowed(reference_dir: Path) -> None:
    from ever6.formats.exclusions import CATEGORIES, REASONS
    from tests.support.school_census_schema import code_lists_by_year

    schemas = reference_dir / "school_census" / "schema"
    reasons = code_lists_by_year(schemas, "exclusion-reason")
    assert reasons[2025] >= {"DB", "PP", "PA"}  # the parser found the list
    assert "PD" not in reasons[2025]
    assert frozenset().union(*reasons.values()) == REASONS
    categories = code_lists_by_year(schemas, "exclusion-category")
    assert frozenset().union(*categories.values()) == CATEGORIES
