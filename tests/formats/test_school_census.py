"""Flattened school census reader: every sample term, concrete values, timing and broken input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ever6.formats import FORMATS
from ever6.formats.problems import ReadResult, Severity
from ever6.formats.school_census import attendance_period, census_day, read_school_census
from ever6.model import ATTENDANCE_TERMLY, EXCLUSION, PUPIL_ENROLMENT

TODAY = date(2025, 9, 1)
TERMS = ("2024_autumn", "2025_spring", "2025_summer")


def samples(reference_dir: Path, term: str) -> list[Path]:
    paths = sorted((reference_dir / "school_census" / "samples").glob(f"{term}_*.csv"))
    assert paths, term
    return paths


_READ: dict[str, ReadResult] = {}


def read_term(reference_dir: Path, term: str) -> ReadResult:
    """Each sample term is read once per session: the results are not modified by the tests."""
    if term not in _READ:
        _READ[term] = read_school_census(samples(reference_dir, term), today=TODAY)
    return _READ[term]


@pytest.fixture(params=TERMS)
def term_result(request: pytest.FixtureRequest, reference_dir: Path) -> tuple[str, ReadResult]:
    term: str = request.param
    return term, read_term(reference_dir, term)


def rows(result: ReadResult, table: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = result.tables[table].to_pylist()
    return out


def attendance(result: ReadResult, upn: str, urn: str) -> dict[str, int]:
    return {
        str(r["code"]): int(str(r["sessions"]))
        for r in rows(result, "attendance_termly")
        if r["upn"] == upn and r["urn"] == urn
    }


def test_every_sample_term_reads_with_canonical_tables(term_result: tuple[str, ReadResult]) -> None:
    term, result = term_result
    assert result.ok, result.errors[:3]
    assert result.format == "school-census"
    assert tuple(result.tables) == FORMATS["school-census"].tables
    assert result.tables["pupil_enrolment"].schema == PUPIL_ENROLMENT.schema
    assert result.tables["attendance_termly"].schema == ATTENDANCE_TERMLY.schema
    assert result.tables["exclusion"].schema == EXCLUSION.schema
    expected = {
        # on roll + no longer on roll (the pupils' data rows)
        "2024_autumn": 9088 + 308,
        "2025_spring": 9498 + 375,
        "2025_summer": 9912 + 600,
    }
    assert result.row_counts()["pupil_enrolment"] == expected[term]
    # One summary warning per pupil file for the hashed UPNs, not one per pupil.
    upn_warnings = [p for p in result.problems if p.field == "upn"]
    assert len(upn_warnings) == 2
    # LIIA hashes the UPNs: the warning names the actual problem (the length), not the check letter.
    assert all(p.severity is Severity.WARNING and "wrong length" in p.message for p in upn_warnings)
    assert len(result.problems) < 20


def test_attendance_is_stored_under_the_term_it_covers(term_result: tuple[str, ReadResult]) -> None:
    term, result = term_result
    periods = {(r["academic_year"], r["term"]) for r in rows(result, "attendance_termly")}
    assert (
        periods
        == {
            "2024_autumn": {(2023, "summer")},
            "2025_spring": {(2024, "autumn")},
            "2025_summer": {(2024, "spring")},
        }[term]
    )
    assert result.year == int(term[:4])
    assert (
        result.reference_date
        == {
            "2024_autumn": date(2024, 10, 3),
            "2025_spring": date(2025, 1, 16),
            "2025_summer": date(2025, 5, 15),
        }[term]
    )


def test_autumn_2024_values(reference_dir: Path) -> None:
    result = read_term(reference_dir, "2024_autumn")
    (pupil,) = [r for r in rows(result, "pupil_enrolment") if r["upn"] == "21DB2DF8-FA0"]
    assert pupil == {
        "urn": "SCH7",
        "upn": "21DB2DF8-FA0",
        "former_upn": "DF30B685-367",
        "forename": "FOR9344",
        "surname": "SUR6864",
        "birth_date": date(2020, 4, 25),
        "sex": "M",
        "postcode": None,
        "ncyear": "N1",
        "entry_date": date(2023, 2, 3),
        "leaving_date": None,
        "fsm_ever6": None,
        "sen": "K",
        "ethnicity": None,
    }
    # termly (summer half 1) codes C, N, S; summer half 2 adds G; possible = 134 + 119.
    assert attendance(result, "21DB2DF8-FA0", "SCH7") == {"C": 133, "N": 118, "S": 128, "G": 136, "*possible": 253}
    exclusions = sorted(
        (r["start_date"], r["category"], r["sessions"], r["reasons"])
        for r in rows(result, "exclusion")
        if r["upn"] == "C2B87D3D-E33"
    )
    for expected in [
        (date(2024, 9, 14), "PERM", 10.0, ["PP", "RA"]),  # reason2 blank, reason3 RA
        (date(2024, 11, 20), "FIXD", 10.0, ["PA"]),
        (date(2024, 12, 1), "PERM", 10.0, ["PP"]),
    ]:
        assert expected in exclusions
    spells = sorted(
        (r["urn"], r["entry_date"], r["leaving_date"], r["sex"])
        for r in rows(result, "pupil_enrolment")
        if r["upn"] == "5FF4489B-998"
    )
    # Left SCH5 (pupilnolongeronroll) and on roll at SCH6 (pupilonroll).
    assert spells == [("SCH5", date(2024, 7, 3), date(2024, 12, 3), "F"), ("SCH6", date(2024, 12, 4), None, "F")]
    # Duplicate exclusion keys cannot be stored: counted in one warning per file, not dropped silently.
    (dups,) = [p for p in result.problems if "termlyexclusionsonroll" in p.file and "repeating" in p.message]
    assert dups.message.startswith("98 row(s)")


def test_spring_2025_rejoining_pupil_sums_both_enrolments(reference_dir: Path) -> None:
    result = read_term(reference_dir, "2025_spring")
    spells = sorted(
        (r["urn"], r["entry_date"], r["leaving_date"])
        for r in rows(result, "pupil_enrolment")
        if r["upn"] == "5B06BA95-B77"
    )
    assert spells == [
        ("SCH2", date(2024, 7, 23), date(2025, 1, 19)),
        ("SCH2", date(2025, 3, 11), date(2025, 3, 12)),
        ("SCH4", date(2025, 1, 20), date(2025, 3, 10)),
    ]
    sch2 = attendance(result, "5B06BA95-B77", "SCH2")
    assert sch2["*possible"] == 132 + 130
    assert sch2["C"] == 128
    assert sch2["Y"] == 131
    assert "S" not in sch2
    assert attendance(result, "5B06BA95-B77", "SCH4") == {"*possible": 143, "H": 133, "R": 134, "S": 131}
    (ethnic,) = [
        r["ethnicity"] for r in rows(result, "pupil_enrolment") if r["upn"] == "5B06BA95-B77" and r["urn"] == "SCH4"
    ]
    assert ethnic is None
    # H and Y were retired in August 2024: kept (the census allows them) and reported once per file.
    retired = [p for p in result.problems if p.field == "attendancereason"]
    assert len(retired) == 2
    assert all("not in use in autumn 2024/25" in p.message and "'H'" in p.message for p in retired)


def test_census_term_from_arguments_wins(reference_dir: Path, tmp_path: Path) -> None:
    source = samples(reference_dir, "2025_summer")
    renamed = []
    for path in source:
        target = tmp_path / path.name.removeprefix("2025_summer_")
        target.write_bytes(path.read_bytes())
        renamed.append(target)
    unnamed = read_school_census(renamed, today=TODAY)
    assert not unnamed.ok
    assert "cannot tell which census" in unnamed.errors[0].message
    assert unnamed.tables["pupil_enrolment"].num_rows == 0
    named = read_school_census(renamed, census_year=2025, census_term="summer", today=TODAY)
    assert named.ok
    assert {r["term"] for r in rows(named, "attendance_termly")} == {"spring"}


def test_mixed_terms_are_refused(reference_dir: Path) -> None:
    paths = samples(reference_dir, "2025_spring")[:1] + samples(reference_dir, "2025_summer")[:1]
    result = read_school_census(paths, today=TODAY)
    assert not result.ok
    assert "different censuses" in result.errors[0].message


def test_attendance_period_and_census_day() -> None:
    assert attendance_period(2024, "autumn") == (2023, "summer")
    assert attendance_period(2025, "spring") == (2024, "autumn")
    assert census_day(2024, "autumn") == date(2024, 10, 3)
    assert census_day(2026, "spring") == date(2026, 1, 15)


PUPIL_HEADER = (
    "pupilonrolltableid,NativeId,dob,surname,forename,upn,formerupn,sex,entrydate,termlysessionspossible,"
    "ncyearactual,senprovision"
)
DETAIL_HEADER = (
    "pupilonrolltableid,NativeId,termlysessiondetailsonrolltableid,termlysessiondetailsonrollorderseqcolumn,"
    "sourceid,sessions,attendancereason"
)
EXCL_HEADER = (
    "pupilonrolltableid,NativeId,termlyexclusionsonrolltableid,termlyexclusionsonrollorderseqcolumn,sourceid,"
    "startdate,sessions,reason1,reason2,reason3,category,senprovision"
)


def census(tmp_path: Path, pupils: str, details: str | None = None, excl: str | None = None) -> ReadResult:
    paths = [tmp_path / "2025_spring_pupilonroll.csv"]
    paths[0].write_text(f"{PUPIL_HEADER}\n{pupils}")
    if details is not None:
        paths.append(tmp_path / "2025_spring_termlysessiondetailsonroll.csv")
        paths[-1].write_text(f"{DETAIL_HEADER}\n{details}")
    if excl is not None:
        paths.append(tmp_path / "2025_spring_termlyexclusionsonroll.csv")
        paths[-1].write_text(f"{EXCL_HEADER}\n{excl}")
    return read_school_census(paths, today=TODAY)


GOOD = "p1,SCH1,2015-Jan-02 00:00:00,Smith,Amy,u1,,F,2020-Sep-01 00:00:00,140.0,5,N\n"


def test_small_census_values_and_rules(tmp_path: Path) -> None:
    result = census(
        tmp_path,
        GOOD,
        "p1,SCH1,d1,1,s,4.0,I\np1,SCH1,d2,2,s,2.0,i\n",
        "p1,SCH1,e1,1,s,2024-Oct-01 00:00:00,1.5,PP,BU,,susp,\n",
    )
    assert result.ok, result.problems
    assert attendance(result, "U1", "SCH1") == {"*possible": 140, "I": 6}
    assert rows(result, "exclusion") == [
        {
            "urn": "SCH1",
            "upn": "U1",
            "start_date": date(2024, 10, 1),
            "category": "SUSP",
            "sessions": 1.5,
            "reasons": ["PP", "BU"],
        }
    ]


@pytest.mark.parametrize(
    ("pupils", "details", "excl", "field", "text"),
    [
        ("p1,SCH1,,S,A,,,F,,140.0,5,N\n", None, None, "upn", "blank"),
        ("p1,SCH1,,S,A,u1,,F,2020-13-01,140.0,5,N\n", None, None, "entrydate", "not a date"),
        (GOOD, "p9,SCH1,d1,1,s,4.0,I\n", None, "pupilonrolltableid", "no pupil"),
        (GOOD, "p1,SCH1,d1,1,s,-4.0,I\n", None, "sessions", "whole number"),
        (GOOD, "p1,SCH1,d1,1,s,4.5,I\n", None, "sessions", "whole number"),
        (GOOD, None, "p1,SCH1,e1,1,s,2024-Oct-01 00:00:00,1,PP,,,EXPL,\n", "category", "EXPL"),
        (GOOD + "p1,SCH1,,S,A,u2,,F,2021-Sep-01 00:00:00,1,5,N\n", None, None, "pupilonrolltableid", "UPN U1"),
    ],
)
def test_small_census_errors(
    tmp_path: Path, pupils: str, details: str | None, excl: str | None, field: str, text: str
) -> None:
    result = census(tmp_path, pupils, details, excl)
    assert not result.ok
    assert any(p.field == field and text in p.message and p.line is not None for p in result.errors), result.errors
    assert all(table.num_rows == 0 for table in result.tables.values())


def test_detail_file_without_its_pupil_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "2025_spring_termlysessiondetailsonroll.csv"
    path.write_text(f"{DETAIL_HEADER}\np1,SCH1,d1,1,s,4.0,I\n")
    result = read_school_census([path], today=TODAY)
    assert not result.ok
    assert "pupilonroll file is needed" in result.errors[0].message


def test_codes_outside_lists_are_summarised_not_per_row(tmp_path: Path) -> None:
    pupils = "".join(f"p{i},SCH1,2015-Jan-02 00:00:00,S,A,u{i},,X,2020-Sep-01 00:00:00,1,M,Z\n" for i in range(30))
    result = census(tmp_path, pupils)
    assert result.ok
    fields = sorted(p.field or "" for p in result.problems if p.field != "upn")
    assert fields == ["ncyearactual", "senprovision", "sex"]
    assert all(p.message.startswith("30 row(s)") for p in result.problems if p.field != "upn")
    assert {r["sex"] for r in rows(result, "pupil_enrolment")} == {None}


def test_unrelated_and_hostile_files(tmp_path: Path) -> None:
    other = tmp_path / "2025_spring_fsmperiod.csv"
    other.write_text("fsmperiodsonrolltableid,NativeId,pupilonrolltableid,start\nf1,SCH1,p1,x\n")
    binary = tmp_path / "2025_spring_bin.csv"
    binary.write_bytes(b"PK\x03\x04rest")
    empty = tmp_path / "2025_spring_empty.csv"
    empty.write_bytes(b"")
    pupils = tmp_path / "2025_spring_pupilonroll.csv"
    pupils.write_bytes(("\ufeff" + PUPIL_HEADER + "\r\n" + GOOD.replace("\n", "\r\n")).encode())
    result = read_school_census([pupils, other], today=TODAY)
    assert result.ok
    assert any("a fsmperiods table: not read" in p.message for p in result.problems)
    assert rows(result, "pupil_enrolment")[0]["ncyear"] == "5"
    refused = read_school_census([pupils, binary, empty], today=TODAY)
    assert {p.message for p in refused.errors} >= {"the file is empty"}
    assert any("zip" in p.message for p in refused.errors)
