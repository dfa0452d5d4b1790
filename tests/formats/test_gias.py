"""GIAS establishments reader: the real 139-column header, the synthetic subset, and broken rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from ever6.formats import FORMATS
from ever6.formats.gias import read_gias
from ever6.formats.problems import ReadResult, Severity
from ever6.model import ESTABLISHMENT

SUBSET = (
    "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (code),"
    "TypeOfEstablishment (name),EstablishmentTypeGroup (name),EstablishmentStatus (name),"
    "PhaseOfEducation (code),PhaseOfEducation (name),StatutoryLowAge,StatutoryHighAge,Postcode"
)
ROW = "101615,886,Kent,3122,Deal Primary Academy,28,Academy sponsor led,Academies,Open,2,Primary,4,11,ct2 8wn"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "edubasealldata.csv"
    path.write_bytes(text.encode(encoding))
    return path


def rows(result: ReadResult) -> list[dict[str, object]]:
    out: list[dict[str, object]] = result.tables["establishment"].to_pylist()
    return out


def test_real_gias_header(reference_dir: Path) -> None:
    path = reference_dir / "gias" / "register-trainee-teachers_gias_edubasealldata_2rows.csv"
    result = read_gias(path)
    assert result.ok
    assert result.problems == []
    assert result.format == "schools"
    assert tuple(result.tables) == FORMATS["schools"].tables
    assert result.tables["establishment"].schema == ESTABLISHMENT.schema
    first, second = rows(result)
    assert first == {
        "urn": "100000",
        "la_code": "201",
        "la_name": "City of London",
        "establishment_number": "3614",
        "name": "The Aldgate School",
        "type_code": "02",
        "type_name": "Voluntary aided school",
        "type_group": "Local authority maintained schools",
        "status": "Open",
        "phase_code": "2",
        "phase": "Primary",
        "low_age": 3,
        "high_age": 11,
        "postcode": "EC3A 5DE",
    }
    assert (second["urn"], second["type_group"], second["low_age"], second["high_age"]) == (
        "100001",
        "Independent schools",
        7,
        18,
    )


def test_synthetic_subset(tmp_path: Path) -> None:
    result = read_gias(write(tmp_path, f"{SUBSET}\n{ROW}\n"))
    assert result.ok
    assert result.problems == []
    (row,) = rows(result)
    assert row["postcode"] == "CT2 8WN"
    assert row["type_code"] == "28"
    assert row["low_age"] == 4


def test_windows_1252_is_expected_not_warned(tmp_path: Path) -> None:
    result = read_gias(write(tmp_path, f"{SUBSET}\n{ROW.replace('Deal', 'Saint Benét’s')}\n", encoding="cp1252"))
    assert result.ok
    assert result.problems == []
    assert rows(result)[0]["name"] == "Saint Benét’s Primary Academy"


@pytest.mark.parametrize(
    ("urn", "text"),
    [("", "URN is blank"), ("10161", "not six digits"), ("1016155", "not six digits"), ("ABC123", "not six")],
)
def test_urn_must_be_six_digits(tmp_path: Path, urn: str, text: str) -> None:
    result = read_gias(write(tmp_path, f"{SUBSET}\n{ROW}\n{ROW.replace('101615', urn, 1)}\n"))
    assert not result.ok
    assert [(p.line, p.field) for p in result.errors] == [(3, "URN")]
    assert text in result.errors[0].message
    assert rows(result) == []


def test_repeated_urn_and_warnings(tmp_path: Path) -> None:
    result = read_gias(write(tmp_path, f"{SUBSET}\n{ROW}\n{ROW}\n"))
    assert [(p.line, p.field) for p in result.errors] == [(3, "URN")]
    odd = ROW.replace(",4,11,ct2 8wn", ",four,11,not a postcode")
    warned = read_gias(write(tmp_path, f"{SUBSET}\n{odd}\n"))
    assert warned.ok
    assert {(p.field, p.severity) for p in warned.problems} == {
        ("StatutoryLowAge", Severity.WARNING),
        ("Postcode", Severity.WARNING),
    }
    assert (rows(warned)[0]["low_age"], rows(warned)[0]["postcode"]) == (None, "not a postcode")


def test_not_gias(tmp_path: Path) -> None:
    result = read_gias(write(tmp_path, "school,name\n100000,x\n"))
    assert [(p.line, p.field) for p in result.errors] == [(1, "URN")]
    assert "no URN column" in result.errors[0].message
    assert "school, name" in result.errors[0].message


@pytest.mark.parametrize(("data", "text"), [(b"", "empty"), (b"PK\x03\x04", "zip"), (b"\x00\x01", "binary")])
def test_hostile(tmp_path: Path, data: bytes, text: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    result = read_gias(path)
    assert text in result.errors[0].message
    assert rows(result) == []


def test_bom_crlf_and_huge_field(tmp_path: Path) -> None:
    text = f"\ufeff{SUBSET}\r\n{ROW.replace('Deal Primary Academy', 'x' * 100_000)}\r\n"
    result = read_gias(write(tmp_path, text))
    assert result.ok
    assert rows(result)[0]["urn"] == "101615"
    assert len(str(rows(result)[0]["name"])) == 100_000


def test_establishment_types_are_gias_own(reference_dir: Path) -> None:
    """The alternative-provision types and the synthetic schools' types, against GIAS's own list
    of establishment types (codes compared as numbers: the extract pads them, "02")."""
    import csv

    from ever6.metrics.measures import ALTERNATIVE_PROVISION_TYPES
    from ever6.synth.schools import _TYPES

    path = reference_dir / "gias" / "witan.gias_edubasealldata20250422-establishment-types.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        gias = {
            (int(r["type-of-establishment-code"]), r["type-of-establishment-name"], r["establishment-type-group-name"])
            for r in csv.DictReader(fh)
        }
    alternative = {
        code for code, name, _ in gias if "alternative provision" in name.lower() or name == "Pupil referral unit"
    }
    assert {int(code) for code in ALTERNATIVE_PROVISION_TYPES} == alternative
    for kind, types in _TYPES.items():
        for code, name, group, _ in types:
            assert (int(code), name, group) in gias, (kind, code, name, group)
