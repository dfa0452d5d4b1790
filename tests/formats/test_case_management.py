"""Case-management extract reader: aliases, mappings, normalisation and hostile files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ever6.formats.case_management import (
    ALIASES,
    ColumnMapping,
    load_mapping,
    read_case_management,
)
from ever6.formats.problems import ImportRefused, ReadResult, Severity
from ever6.model import CM_IDENTITY

TODAY = date(2025, 6, 1)
MOSAIC_HEADER = "Person ID,First Name,Last Name,Date of Birth,Gender,Post Code,UPN,Former UPN"
MAPPING_TOML = """\
[columns]
la_child_id = "Person ID"
forename = "First Name"
surname = "Last Name"
birth_date = "Date of Birth"
sex = "Gender"
postcode = "Post Code"
upn = "UPN"
former_upn = "Former UPN"

[options]
date_format = "%d/%m/%Y"
"""


def write(tmp_path: Path, text: str, name: str = "cm.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read(path: Path, mapping: ColumnMapping | None = None) -> ReadResult:
    return read_case_management(path, mapping=mapping, today=TODAY)


def rows(result: ReadResult) -> list[dict[str, object]]:
    table: list[dict[str, object]] = result.tables["cm_identity"].to_pylist()
    return table


def issues(result: ReadResult) -> set[tuple[int | None, str | None, Severity]]:
    return {(p.line, p.field, p.severity) for p in result.problems}


def one(tmp_path: Path, header: str, row: str) -> dict[str, object]:
    result = read(write(tmp_path, f"{header}\n{row}\n"))
    (only,) = rows(result)
    return only


# --- columns --------------------------------------------------------------------------------


def test_canonical_names_and_schema(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "la_child_id,forename,surname,birth_date,sex,postcode,upn,former_upn\n"
        "C1,Amy,Smith,2010-02-03,F,ab1 2cd,A123456789012,B123456789012\n",
    )
    result = read(path)
    assert result.ok
    assert result.problems == []
    assert result.format == "case-management"
    assert result.path == path
    assert result.tables["cm_identity"].schema == CM_IDENTITY.schema
    assert rows(result) == [
        {
            "la_child_id": "C1",
            "forename": "Amy",
            "surname": "Smith",
            "birth_date": date(2010, 2, 3),
            "sex": "F",
            "postcode": "AB1 2CD",
            "upn": "A123456789012",
            "former_upn": "B123456789012",
            "worker_name": None,
            "worker_email": None,
            "team": None,
            "team_email": None,
            "cin_plan_start": None,
            "cin_plan_end": None,
            "cp_plan_start": None,
            "cp_plan_end": None,
        }
    ]


def test_the_allocated_worker_and_team(tmp_path: Path) -> None:
    row = one(
        tmp_path,
        "Person ID,Allocated Worker,Social Worker Email,Team Name,Team Mailbox",
        "C1,  Sam   Ortiz , Sam.Ortiz@LA.gov.uk ,North Team,not an address",
    )
    assert (row["worker_name"], row["worker_email"], row["team"], row["team_email"]) == (
        "Sam Ortiz",
        "sam.ortiz@la.gov.uk",
        "North Team",
        None,
    )
    result = read(write(tmp_path, "Person ID,Team Mailbox\nC1,not an address\n"))
    assert issues(result) == {(2, "Team Mailbox", Severity.WARNING)}  # named as in the file


@pytest.mark.parametrize(
    ("column", "canonical", "value", "expected"),
    [
        ("child_id", "la_child_id", "X9", "X9"),
        ("Person ID", "la_child_id", "X9", "X9"),
        ("LAchildID", "la_child_id", "X9", "X9"),
        ("first_name", "forename", "Ann", "Ann"),
        ("Forenames", "forename", "Ann Marie", "Ann Marie"),
        ("LAST_NAME", "surname", "Lee", "Lee"),
        ("Family Name", "surname", "Lee", "Lee"),
        ("DOB", "birth_date", "01/02/2010", date(2010, 2, 1)),
        ("Date of Birth", "birth_date", "2010-02-01", date(2010, 2, 1)),
        ("gender", "sex", "Male", "M"),
        ("Post_Code", "postcode", "m11ae", "M1 1AE"),
        ("Unique Pupil Number", "upn", "a1", "A1"),
        ("FormerUPN", "former_upn", "b2", "B2"),
    ],
)
def test_aliases(tmp_path: Path, column: str, canonical: str, value: str, expected: object) -> None:
    # Every row needs an id; when the alias under test is not the id, give one by its canonical name.
    if canonical == "la_child_id":
        header, row = column, value
    else:
        header, row = f"la_child_id,{column}", f"C1,{value}"
    assert one(tmp_path, header, row)[canonical] == expected


def test_every_alias_in_the_table_is_recognised(tmp_path: Path) -> None:
    for canonical, aliases in ALIASES.items():
        for alias in aliases:
            header = alias if canonical == "la_child_id" else f"la_child_id,{alias}"
            result = read(write(tmp_path, f"{header}\n" + ("C1" if canonical == "la_child_id" else "C1,")))
            assert result.ok, (alias, result.problems)


def test_unrelated_columns_are_ignored(tmp_path: Path) -> None:
    assert one(tmp_path, "Person ID,Locality,Legal Status", "7,North,C2") == {
        "la_child_id": "7",
        "forename": None,
        "surname": None,
        "birth_date": None,
        "sex": None,
        "postcode": None,
        "upn": None,
        "former_upn": None,
        "worker_name": None,
        "worker_email": None,
        "team": None,
        "team_email": None,
        "cin_plan_start": None,
        "cin_plan_end": None,
        "cp_plan_start": None,
        "cp_plan_end": None,
    }


def test_no_id_column_is_an_error_listing_what_is_accepted(tmp_path: Path) -> None:
    result = read(write(tmp_path, "Name,DOB\nAmy,01/01/2010\n"))
    (error,) = result.errors
    assert error.line == 1
    assert "la_child_id" in error.message
    assert "person_id" in error.message
    assert "Name, DOB" in error.message
    assert rows(result) == []


def test_two_columns_for_one_field_is_ambiguous(tmp_path: Path) -> None:
    result = read(write(tmp_path, "child_id,DOB,Date of Birth\n1,01/01/2010,02/01/2010\n"))
    (error,) = result.errors
    assert "'DOB' and 'Date of Birth'" in error.message
    assert "birth_date" in error.message


# --- mapping --------------------------------------------------------------------------------


def test_mapping_toml_round_trip(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, MAPPING_TOML, name="m.toml"))
    assert mapping.columns["la_child_id"] == "Person ID"
    assert mapping.columns["former_upn"] == "Former UPN"
    assert mapping.date_format == "%d/%m/%Y"
    csv_path = write(
        tmp_path,
        f"{MOSAIC_HEADER}\n"
        "P1, Zoë ,  Kowalska-Łukasz ,27/03/2008,Female,SW1A1AA,a123 456 789 012,\n"
        "P2,,X,2008-03-27,2,,,\n",
    )
    result = read(csv_path, mapping)
    first, second = rows(result)
    assert first == {
        "la_child_id": "P1",
        "forename": "Zoë",
        "surname": "Kowalska-Łukasz",
        "birth_date": date(2008, 3, 27),
        "sex": "F",
        "postcode": "SW1A 1AA",
        "upn": "A123456789012",
        "former_upn": None,
        "worker_name": None,
        "worker_email": None,
        "team": None,
        "team_email": None,
        "cin_plan_start": None,
        "cin_plan_end": None,
        "cp_plan_start": None,
        "cp_plan_end": None,
    }
    # The mapping's date format is the only one accepted: ISO is now a bad value.
    assert issues(result) == {(3, "Date of Birth", Severity.WARNING)}
    assert (second["forename"], second["surname"], second["birth_date"]) == (None, "X", None)


def test_mapping_with_a_custom_date_format(tmp_path: Path) -> None:
    mapping = ColumnMapping({"la_child_id": "Ref", "birth_date": "Born"}, date_format="%Y%m%d")
    result = read(write(tmp_path, "Ref,Born\n1,20100203\n"), mapping)
    assert rows(result)[0]["birth_date"] == date(2010, 2, 3)


def test_mapping_naming_a_missing_column(tmp_path: Path) -> None:
    mapping = ColumnMapping({"la_child_id": "Person ID", "surname": "Surname (legal)"})
    result = read(write(tmp_path, "Person ID,Last Name\n1,Lee\n"), mapping)
    (error,) = result.errors
    assert error.field == "Surname (legal)"
    assert "surname" in error.message
    assert "Surname (legal)" in error.message
    assert "Last Name" in error.message
    assert rows(result) == []


def test_mapping_wins_over_aliases_and_unmapped_columns_fall_back(tmp_path: Path) -> None:
    # "child_id" would be an alias, but the mapping says the key is "Case Ref".
    mapping = ColumnMapping({"la_child_id": "Case Ref"})
    result = read(write(tmp_path, "child_id,Case Ref,surname\nold,NEW,Lee\n"), mapping)
    assert result.ok
    assert rows(result)[0]["la_child_id"] == "NEW"
    assert rows(result)[0]["surname"] == "Lee"


def test_mapping_columns_match_case_insensitively(tmp_path: Path) -> None:
    mapping = ColumnMapping({"la_child_id": "PERSON ID"})
    assert rows(read(write(tmp_path, " person id \n5\n"), mapping))[0]["la_child_id"] == "5"


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ('[columns]\nla_child_id = "A"\n[colums]\nx = "y"\n', "colums"),
        ('[columns]\nla_child_id = "A"\nchild_name = "B"\n', "columns.child_name"),
        ('[columns]\nla_child_id = "A"\n[options]\ndateformat = "%d"\n', "options.dateformat"),
        ("[columns]\nla_child_id = 5\n", "columns.la_child_id"),
        ('[options]\ndate_format = "dd/mm/yyyy"\n', "options.date_format"),
        ('[columns\nla_child_id = "A"\n', None),
    ],
)
def test_bad_mapping_toml_is_refused(tmp_path: Path, toml: str, field: str | None) -> None:
    path = write(tmp_path, toml, name="m.toml")
    with pytest.raises(ImportRefused) as refused:
        load_mapping(path)
    (problem,) = refused.value.problems
    assert (problem.file, problem.field, problem.severity) == (str(path), field, Severity.ERROR)


def test_column_mapping_is_checked_and_immutable() -> None:
    with pytest.raises(ValueError, match="unknown canonical"):
        ColumnMapping({"child": "X"})
    source = {"la_child_id": "A"}
    mapping = ColumnMapping(source)
    source["la_child_id"] = "B"
    assert mapping.columns["la_child_id"] == "A"
    with pytest.raises(TypeError):
        mapping.columns["la_child_id"] = "C"  # type: ignore[index]


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M", "M"),
        ("m", "M"),
        ("Male", "M"),
        ("1", "M"),
        ("F", "F"),
        ("FEMALE", "F"),
        ("2", "F"),
        ("U", "U"),
        ("0", "U"),
        ("9", "U"),
        ("Not Known", "U"),
        ("", None),
    ],
)
def test_sex_codes(tmp_path: Path, raw: str, expected: str | None) -> None:
    result = read(write(tmp_path, f"id,sex\n1,{raw}\n"))
    assert rows(result)[0]["sex"] == expected
    assert result.problems == []


def test_unknown_sex_is_u_with_a_warning(tmp_path: Path) -> None:
    result = read(write(tmp_path, "id,Gender\n1,Other\n"))
    assert rows(result)[0]["sex"] == "U"
    assert issues(result) == {(2, "Gender", Severity.WARNING)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        (" SW1A   1AA ", "SW1A 1AA"),
        ("m11ae", "M1 1AE"),
        ("B338TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
    ],
)
def test_postcodes_are_normalised(tmp_path: Path, raw: str, expected: str) -> None:
    result = read(write(tmp_path, f'id,postcode\n1,"{raw}"\n'))
    assert rows(result)[0]["postcode"] == expected
    assert result.problems == []


@pytest.mark.parametrize("raw", ["2TR", "NOT KNOWN", "SW1A 1A", "12345"])
def test_invalid_postcode_is_kept_with_a_warning(tmp_path: Path, raw: str) -> None:
    result = read(write(tmp_path, f"id,post code\n1,{raw}\n"))
    assert rows(result)[0]["postcode"] == raw
    assert issues(result) == {(2, "post code", Severity.WARNING)}


def test_names_are_trimmed_and_collapsed_but_keep_case_and_unicode(tmp_path: Path) -> None:
    text = (
        "id,forename,surname\n"
        "1,  mary   JANE ,  O'Neill \n"
        "2,Zoë,Ł\n"  # one-character surname
        "3,小明,王\n"
        "4,,\n"  # empty names are allowed
        "5,\tAnna\u00a0Maria ,x\n"  # tab and no-break space are whitespace too
    )
    result = read(write(tmp_path, text))
    assert result.problems == []
    assert [(r["forename"], r["surname"]) for r in rows(result)] == [
        ("mary JANE", "O'Neill"),
        ("Zoë", "Ł"),
        ("小明", "王"),
        (None, None),
        ("Anna Maria", "x"),
    ]


def test_upns_are_uppercased_without_spaces_and_not_validated(tmp_path: Path) -> None:
    result = read(write(tmp_path, "id,upn,former_upn\n1, a123 4567 89012 ,z99\n"))
    assert (rows(result)[0]["upn"], rows(result)[0]["former_upn"]) == ("A123456789012", "Z99")
    assert result.problems == []


def test_birth_dates(tmp_path: Path) -> None:
    text = (
        "id,dob\n"
        "1,27/03/2008\n"
        "2,2008-03-27\n"
        "3,31/02/2008\n"  # not a date
        "4,02/06/2025\n"  # tomorrow
        "5,01/06/2025\n"  # today is fine
        "6,\n"
    )
    result = read(write(tmp_path, text))
    assert [r["birth_date"] for r in rows(result)] == [
        date(2008, 3, 27),
        date(2008, 3, 27),
        None,
        None,
        date(2025, 6, 1),
        None,
    ]
    assert issues(result) == {(4, "dob", Severity.WARNING), (5, "dob", Severity.WARNING)}
    assert "future" in next(p.message for p in result.problems if p.line == 5)


def test_future_is_judged_against_today_by_default(tmp_path: Path) -> None:
    result = read_case_management(write(tmp_path, "id,dob\n1,01/01/2999\n"))
    assert rows(result)[0]["birth_date"] is None
    assert [p.severity for p in result.problems] == [Severity.WARNING]


# --- keys -----------------------------------------------------------------------------------


def test_duplicate_id_keeps_the_first(tmp_path: Path) -> None:
    result = read(write(tmp_path, "Person ID,surname\n1,First\n2,Other\n 1 ,Second\n"))
    assert result.ok
    assert [(r["la_child_id"], r["surname"]) for r in rows(result)] == [("1", "First"), ("2", "Other")]
    assert issues(result) == {(4, "Person ID", Severity.WARNING)}
    assert "line 2" in result.problems[0].message


def test_blank_id_is_an_error(tmp_path: Path) -> None:
    result = read(write(tmp_path, "Person ID,surname\n1,A\n  ,B\n3,C\n"))
    assert issues(result) == {(3, "Person ID", Severity.ERROR)}
    assert rows(result) == []  # refused: nothing half-imported


# --- files ----------------------------------------------------------------------------------


def test_bom_is_handled(tmp_path: Path) -> None:
    result = read(write(tmp_path, "Person ID,surname\n1,Łukasz\n", encoding="utf-8-sig"))
    assert result.ok
    assert result.problems == []
    assert rows(result)[0]["surname"] == "Łukasz"


def test_windows_1252_export_is_read_with_a_warning(tmp_path: Path) -> None:
    result = read(write(tmp_path, "id,forename\n1,Zo\xeb\n", encoding="cp1252"))
    assert result.ok
    assert rows(result)[0]["forename"] == "Zoë"
    assert [(p.line, p.severity) for p in result.problems] == [(2, Severity.WARNING)]


def test_header_only_file(tmp_path: Path) -> None:
    result = read(write(tmp_path, "Person ID,Forename"))
    assert result.ok
    assert rows(result) == []


def test_one_line_without_an_id_column(tmp_path: Path) -> None:
    result = read(write(tmp_path, "just some text"))
    assert not result.ok


def test_empty_file(tmp_path: Path) -> None:
    result = read(write(tmp_path, ""))
    assert [p.message for p in result.errors] == ["the file is empty"]
    assert result.tables["cm_identity"].schema == CM_IDENTITY.schema


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "cm.csv"
    path.write_bytes(bytes(range(256)) * 4)
    result = read(path)
    assert not result.ok
    assert "binary" in result.errors[0].message
    assert rows(result) == []


def test_huge_field(tmp_path: Path) -> None:
    result = read(write(tmp_path, f'id,surname\n1,A\n2,"{"x" * 300_000}"\n'))
    assert [(p.line, p.severity) for p in result.problems] == [(3, Severity.ERROR)]
    assert rows(result) == []


def test_misaligned_row_is_refused(tmp_path: Path) -> None:
    # An unquoted comma inside a name shifts every later value into the wrong column.
    result = read(write(tmp_path, "id,surname,dob\n1,Smith, John,01/01/2010\n"))
    assert [(p.line, p.severity) for p in result.errors] == [(2, Severity.ERROR)]


def test_plan_dates_are_read_when_given(tmp_path: Path) -> None:
    row = one(
        tmp_path,
        "child_id,CINPlanStartDate,CINPlanEndDate,CPPstartDate,CPPendDate",
        "C1,2024-04-01,2025-09-30,2025-05-01,not a date",
    )
    assert (row["cin_plan_start"], row["cin_plan_end"], row["cp_plan_start"], row["cp_plan_end"]) == (
        date(2024, 4, 1),
        date(2025, 9, 30),  # a planned end may be after today
        date(2025, 5, 1),
        None,  # dropped with a warning
    )
    future = one(tmp_path, "child_id,cp_plan_start", "C2,2025-07-01")  # today is 1 June 2025
    assert future["cp_plan_start"] is None
