"""Pupils-on-roll reader: columns by name, alias or mapping; keys, codes and hostile files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ever6.formats import FORMATS
from ever6.formats.case_management import ColumnMapping
from ever6.formats.problems import ImportRefused, ReadResult, Severity
from ever6.formats.pupils import PupilMapping, load_mapping, read_pupils
from ever6.model import PUPIL_ENROLMENT

TODAY = date(2025, 6, 1)
HEADER = "urn,upn,former_upn,forename,surname,dob,sex,postcode,ncyear,entry_date,leaving_date,fsm_ever6,sen,ethnicity"
GOOD_UPN = "A886215420254"  # passes the check letter
ROW = f"101615,{GOOD_UPN},,Bethany,Saunders,2016-04-29,F,ME1 7JJ,5,2020-09-02,,1,N,WBRI"


def write(tmp_path: Path, text: str, name: str = "pupils.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def read(tmp_path: Path, body: str, header: str = HEADER, mapping: PupilMapping | None = None) -> ReadResult:
    return read_pupils(write(tmp_path, f"{header}\n{body}"), mapping=mapping, today=TODAY)


def rows(result: ReadResult) -> list[dict[str, object]]:
    out: list[dict[str, object]] = result.tables["pupil_enrolment"].to_pylist()
    return out


def issues(result: ReadResult) -> set[tuple[int | None, str | None, Severity]]:
    return {(p.line, p.field, p.severity) for p in result.problems}


def test_synthetic_layout(tmp_path: Path) -> None:
    result = read(tmp_path, ROW + "\n")
    assert result.ok
    assert result.problems == []
    assert result.format == "pupils"
    assert tuple(result.tables) == FORMATS["pupils"].tables
    assert result.tables["pupil_enrolment"].schema == PUPIL_ENROLMENT.schema
    assert rows(result) == [
        {
            "urn": "101615",
            "upn": GOOD_UPN,
            "former_upn": None,
            "forename": "Bethany",
            "surname": "Saunders",
            "birth_date": date(2016, 4, 29),
            "sex": "F",
            "postcode": "ME1 7JJ",
            "ncyear": "5",
            "entry_date": date(2020, 9, 2),
            "leaving_date": None,
            "fsm_ever6": True,
            "sen": "N",
            "ethnicity": "WBRI",
        }
    ]


@pytest.mark.parametrize(
    ("column", "value", "field", "expected"),
    [
        ("sex", "Male", "sex", "M"),
        ("sex", "2", "sex", "F"),
        ("sex", "u", "sex", "U"),
        ("fsm_ever6", "false", "fsm_ever6", False),
        ("fsm_ever6", "Y", "fsm_ever6", True),
        ("fsm_ever6", "N", "fsm_ever6", False),
        ("ncyear", "r", "ncyear", "R"),
        ("ncyear", "07", "ncyear", "7"),
        ("ncyear", "N2", "ncyear", "N2"),
        ("ncyear", "x", "ncyear", "X"),
        ("sen", "e", "sen", "E"),
        ("sen", "K", "sen", "K"),
        ("dob", "29/04/2016", "birth_date", date(2016, 4, 29)),
        ("entry_date", "02/09/2020", "entry_date", date(2020, 9, 2)),
        ("upn", " a886215420254 ", "upn", GOOD_UPN),
    ],
)
def test_values_are_normalised(tmp_path: Path, column: str, value: str, field: str, expected: object) -> None:
    cells = ROW.split(",")
    cells[HEADER.split(",").index(column)] = value
    result = read(tmp_path, ",".join(cells) + "\n")
    assert result.ok
    assert result.problems == []
    assert rows(result)[0][field] == expected


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("sex", "X", "sex"),
        ("fsm_ever6", "maybe", "fsm_ever6"),
        ("ncyear", "15", "ncyear"),
        ("sen", "Q", "sen"),
        ("dob", "2030-01-01", "birth_date"),  # in the future
        ("dob", "not a date", "birth_date"),
    ],
)
def test_unknown_codes_are_dropped_with_a_warning(tmp_path: Path, column: str, value: str, field: str) -> None:
    cells = ROW.split(",")
    cells[HEADER.split(",").index(column)] = value
    result = read(tmp_path, ",".join(cells) + "\n")
    assert result.ok
    assert issues(result) == {(2, column, Severity.WARNING)}
    assert rows(result)[0][field] is None


def test_bad_check_letter_is_kept_with_a_warning(tmp_path: Path) -> None:
    result = read(
        tmp_path, ROW.replace(GOOD_UPN, "T886215420254").replace(",,Bethany", ",Z886215420254,Bethany") + "\n"
    )
    assert result.ok
    assert issues(result) == {(2, "upn", Severity.WARNING), (2, "former_upn", Severity.WARNING)}
    assert (rows(result)[0]["upn"], rows(result)[0]["former_upn"]) == ("T886215420254", "Z886215420254")


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("urn", "", "urn"),
        ("upn", "", "upn"),
        ("entry_date", "", "entry_date"),
        ("entry_date", "2020-02-30", "entry_date"),
        ("leaving_date", "2019-01-01", "leaving_date"),  # before entry
        ("leaving_date", "soon", "leaving_date"),
    ],
)
def test_key_and_order_errors_refuse_the_file(tmp_path: Path, column: str, value: str, field: str) -> None:
    cells = ROW.split(",")
    cells[HEADER.split(",").index(column)] = value
    result = read(tmp_path, f"{ROW}\n{','.join(cells)}\n")
    assert not result.ok
    assert (3, field) in {(p.line, p.field) for p in result.errors}
    assert rows(result) == []


def test_repeated_enrolments(tmp_path: Path) -> None:
    same = read(tmp_path, f"{ROW}\n{ROW}\n")
    assert same.ok
    assert issues(same) == {(3, "upn", Severity.WARNING)}
    assert len(rows(same)) == 1
    different = read(tmp_path, f"{ROW}\n{ROW.replace(',N,WBRI', ',E,WBRI')}\n")
    assert [(p.line, p.field) for p in different.errors] == [(3, "upn")]
    assert "line 2" in different.errors[0].message


def test_missing_required_columns(tmp_path: Path) -> None:
    result = read(tmp_path, "101615,Amy\n", header="urn,forename")
    messages = " ".join(p.message for p in result.errors)
    assert "no upn column" in messages
    assert "no entry_date column" in messages


def test_aliases_and_mapping(tmp_path: Path) -> None:
    header = "School URN,UPN,Legal Forename,Legal Surname,Date of Birth,Gender,NC Year,Admission Date,SEN Status"
    body = f"101615,{GOOD_UPN},Amy,Smith,2016-04-29,Female,R,2020-09-02,K\n"
    result = read(tmp_path, body, header=header)
    assert result.ok, result.problems
    row = rows(result)[0]
    assert (row["forename"], row["birth_date"], row["sex"], row["ncyear"], row["sen"]) == (
        "Amy",
        date(2016, 4, 29),
        "F",
        "R",
        "K",
    )
    mis = "Establishment,Pupil No,Joined,Born\n"
    toml = write(
        tmp_path,
        '[columns]\nurn = "Establishment"\nupn = "Pupil No"\nentry_date = "Joined"\nbirth_date = "Born"\n'
        '[options]\ndate_format = "%Y%m%d"\n',
        name="m.toml",
    )
    mapped = read_pupils(
        write(tmp_path, mis + f"101615,{GOOD_UPN},20200902,20160429\n"), mapping=load_mapping(toml), today=TODAY
    )
    assert mapped.ok, mapped.problems
    assert (rows(mapped)[0]["entry_date"], rows(mapped)[0]["birth_date"]) == (date(2020, 9, 2), date(2016, 4, 29))


def test_mapping_checks_its_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown canonical"):
        PupilMapping({"la_child_id": "x"})
    with pytest.raises(ValueError, match="unknown canonical"):
        ColumnMapping({"urn": "x"})  # each format's mapping knows its own columns
    with pytest.raises(ImportRefused) as refused:
        load_mapping(write(tmp_path, '[columns]\nschool = "URN"\n', name="bad.toml"))
    assert refused.value.problems[0].field == "columns.school"


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"", "empty"), (b"PK\x03\x04", "zip"), (b"\xd0\xcf\x11\xe0", "Excel"), (b"urn\x00upn", "binary")],
)
def test_hostile(tmp_path: Path, data: bytes, text: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    result = read_pupils(path, today=TODAY)
    assert text in result.errors[0].message
    assert rows(result) == []


def test_bom_crlf_cp1252_and_huge_field(tmp_path: Path) -> None:
    text = f"\ufeff{HEADER}\r\n{ROW.replace('Bethany', 'Zoë')}\r\n"
    assert rows(read_pupils(write(tmp_path, text), today=TODAY))[0]["forename"] == "Zoë"
    path = tmp_path / "cp.csv"
    path.write_bytes(f"{HEADER}\n{ROW.replace('Bethany', 'Zoë')}\n".encode("cp1252"))
    result = read_pupils(path, today=TODAY)
    assert result.ok
    assert rows(result)[0]["forename"] == "Zoë"
    assert [p.severity for p in result.problems] == [Severity.WARNING]  # read as Windows-1252
    # A field over the csv module's limit stops the read: refused, naming the line.
    huge = read(tmp_path, f"{ROW}\n{ROW.replace('Saunders', 'S' * 200_000)}\n")
    assert [(p.line, "field larger than field limit" in p.message) for p in huge.errors] == [(3, True)]
    assert rows(huge) == []
