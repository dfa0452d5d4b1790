"""SSDA903 reader: the public fake 903 tables, and small files written here for every rule."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ever6.formats.problems import ReadResult, Severity
from ever6.formats.ssda903 import collection_year, read_ssda903
from ever6.model import LA_CHILD, LA_EPISODE

EPISODES_HEADER = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
HEADER_HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
DELIBERATE = "liia_SSDA903_2020_episodes_with_deliberate_errors.csv"


@pytest.fixture(scope="module")
def csv_dir(reference_dir: Path) -> Path:
    return reference_dir / "ssda903" / "csv"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def episodes(tmp_path: Path, *rows: str, header: str = EPISODES_HEADER, name: str = "eps.csv") -> Path:
    return write(tmp_path, name, "\n".join((header, *rows)) + "\n")


def issues(result: ReadResult) -> set[tuple[int | None, str | None, Severity]]:
    return {(p.line, p.field, p.severity) for p in result.problems}


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


# --- the public samples ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(csv_dir: Path) -> ReadResult:
    return read_ssda903([csv_dir / "header.csv", csv_dir / "episodes.csv"])


def test_sample_reads_cleanly_with_canonical_schemas(sample: ReadResult, csv_dir: Path) -> None:
    assert sample.ok, sample.errors[:5]
    # The fake data's only flaw: some children's episodes overlap (one starts before another ends).
    assert {(p.field, p.severity) for p in sample.problems} == {("DECOM", Severity.WARNING)}
    assert all("overlaps" in p.message for p in sample.problems)
    assert sample.format == "ssda903"
    assert sample.path == csv_dir / "header.csv"
    assert sample.extra_paths == (csv_dir / "episodes.csv",)
    assert sample.tables["la_child"].schema == LA_CHILD.schema
    assert sample.tables["la_episode"].schema == LA_EPISODE.schema


def test_sample_row_counts_match_the_files(sample: ReadResult, csv_dir: Path) -> None:
    header = csv_rows(csv_dir / "header.csv")
    eps = csv_rows(csv_dir / "episodes.csv")
    # The fake data has neither duplicate children nor duplicate episodes, so nothing is dropped.
    assert len({row["CHILD"] for row in header}) == len(header)
    assert sample.row_counts() == {"la_child": len(header), "la_episode": len(eps)}
    assert len(header) > 2000
    assert len(eps) > 5000


def test_sample_header_values(sample: ReadResult) -> None:
    children = {row["la_child_id"]: row for row in sample.tables["la_child"].to_pylist()}
    assert children["566910"] == {
        "la_child_id": "566910",
        "sex": "F",
        "birth_date": date(2008, 3, 27),
        "ethnicity": "WROM",
        "upn": "D051910639385",
    }
    assert {row["sex"] for row in children.values()} == {"M", "F"}


def test_sample_episode_values(sample: ReadResult) -> None:
    rows = [r for r in sample.tables["la_episode"].to_pylist() if r["la_child_id"] == "566910"]
    rows.sort(key=lambda r: r["start_date"])
    assert [(r["start_date"], r["end_date"]) for r in rows[:2]] == [
        (date(2016, 2, 15), date(2017, 8, 14)),
        (date(2017, 8, 14), None),
    ]
    first, second = rows[0], rows[1]
    assert (first["reason_new_episode"], first["legal_status"], first["placement"]) == ("L", "C2", "T2")
    assert (first["reason_place_change"], first["urn"], first["home_postcode"]) == ("CLOSE", "4244474", None)
    assert (second["home_postcode"], second["placement_postcode"], second["placement_provider"]) == (
        "EG19 7TT",
        "WV27 9FW",
        "PR3",
    )


def test_sample_overlap_warning_points_at_both_lines(sample: ReadResult, csv_dir: Path) -> None:
    with (csv_dir / "episodes.csv").open(newline="") as handle:
        lines = list(csv.reader(handle))
    earlier, later = lines[311], lines[312]  # editor lines 312 and 313
    assert earlier[0] == later[0] == "708102"
    assert (earlier[1], earlier[7], later[1]) == ("11/03/2017", "10/03/2018", "11/01/2018")
    (problem,) = [p for p in sample.problems if p.line == 313]
    assert problem.file == str(csv_dir / "episodes.csv")
    assert "line 312" in problem.message


def test_sample_year_is_inferred_from_the_latest_date(sample: ReadResult, csv_dir: Path) -> None:
    latest = max(
        date(int(text[6:]), int(text[3:5]), int(text[:2]))
        for row in csv_rows(csv_dir / "episodes.csv")
        for text in (row["DECOM"], row["DEC"])
        if text
    )
    expected = latest.year if latest.month <= 3 else latest.year + 1
    assert sample.year == expected == 2019
    assert sample.reference_date == date(expected, 3, 31)


def test_files_are_recognised_by_columns_not_order(csv_dir: Path) -> None:
    result = read_ssda903([csv_dir / "episodes.csv", csv_dir / "header.csv"])
    assert result.ok
    assert result.path == csv_dir / "episodes.csv"
    assert result.row_counts()["la_child"] == len(csv_rows(csv_dir / "header.csv"))


def test_given_year_wins(csv_dir: Path) -> None:
    result = read_ssda903([csv_dir / "episodes.csv"], year=2018)
    assert (result.year, result.reference_date) == (2018, date(2018, 3, 31))
    assert result.row_counts()["la_child"] == 0


def test_deliberate_errors_file(csv_dir: Path) -> None:
    result = read_ssda903([csv_dir / DELIBERATE])
    assert result.ok
    assert result.row_counts() == {"la_child": 0, "la_episode": 5}
    assert result.year == 2020
    W = Severity.WARNING
    assert issues(result) == {
        (2, "DECOM", W),  # overlaps line 3 (02/12/2018 to 16/05/2019)
        (3, "LS", W),  # blank legal status
        (4, "DECOM", W),  # starts 16/05/2019, before line 2 ends (18/07/2019)
        (5, "PL_POST", W),  # "2TR"
        (6, "RNE", W),  # "*DUMMY*"
    }
    overlap = next(p for p in result.problems if p.line == 2)
    assert "line 3" in overlap.message
    assert all(p.file == str(csv_dir / DELIBERATE) for p in result.problems)
    rows = {(r["la_child_id"], r["start_date"]): r for r in result.tables["la_episode"].to_pylist()}
    # Values warned about are kept as written: the cohort only uses the dates.
    assert rows["249901", date(2019, 4, 10)]["reason_new_episode"] == "*DUMMY*"
    assert rows["689661", date(2018, 12, 2)]["placement_postcode"] == "C251YT"
    assert rows["689661", date(2018, 12, 2)]["legal_status"] is None
    assert "TEST_COLUMN" not in result.tables["la_episode"].column_names


@pytest.mark.parametrize(
    "name",
    [
        "ad1.csv",
        "missing.csv",
        "reviews.csv",
        "oc2.csv",
        "oc3.csv",
        "placed_for_adoption.csv",
        "previous_permanence.csv",
        "uasc.csv",  # has CHILD, SEX, DOB like a header
        "DoLo.csv",
        "sw_episodes.csv",  # SW_DECOM/SW_DEC are not DECOM/DEC
    ],
)
def test_other_903_tables_are_refused(csv_dir: Path, name: str) -> None:
    result = read_ssda903([csv_dir / name])
    assert not result.ok
    (error,) = result.errors
    assert error.file == str(csv_dir / name)
    assert "not an SSDA903 header or episodes file" in error.message
    assert name in error.message
    assert "DECOM" in error.message
    assert "SEX" in error.message
    assert result.row_counts() == {"la_child": 0, "la_episode": 0}


def test_header_alone_is_refused(csv_dir: Path) -> None:
    result = read_ssda903([csv_dir / "header.csv"])
    assert not result.ok
    assert "episodes" in result.errors[0].message
    assert result.row_counts() == {"la_child": 0, "la_episode": 0}


def test_no_paths_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        read_ssda903([])


# --- errors: the file is refused ------------------------------------------------------------


def test_missing_child_column_in_episodes(tmp_path: Path) -> None:
    path = episodes(tmp_path, "01/04/2018,L,C2,N1,U1,PR1,,,,,,", header=EPISODES_HEADER.replace("CHILD,", ""))
    result = read_ssda903([path])
    assert issues(result) == {(1, "CHILD", Severity.ERROR)}
    assert result.row_counts()["la_episode"] == 0


def test_missing_decom_column(tmp_path: Path) -> None:
    path = episodes(tmp_path, "1,L,C2,01/05/2018", header="CHILD,RNE,LS,DEC")
    result = read_ssda903([path])
    assert issues(result) == {(1, "DECOM", Severity.ERROR)}
    assert "no DECOM column" in result.errors[0].message


def test_missing_child_column_in_header(tmp_path: Path) -> None:
    header = write(tmp_path, "h.csv", "SEX,DOB,ETHNIC,UPN\n1,01/01/2010,WBRI,\n")
    result = read_ssda903([header, episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,")])
    assert issues(result) == {(1, "CHILD", Severity.ERROR)}
    assert str(header) == result.errors[0].file


def test_blank_child_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = episodes(
        tmp_path,
        "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,",
        "  ,02/04/2018,L,C2,N1,U1,PR1,,,,,,",
        ",03/04/2018,L,C2,N1,U1,PR1,,,,,,",
    )
    result = read_ssda903([path])
    assert issues(result) == {(3, "CHILD", Severity.ERROR), (4, "CHILD", Severity.ERROR)}
    assert result.row_counts()["la_episode"] == 0  # refused: nothing half-imported


@pytest.mark.parametrize("decom", ["", "31/02/2018", "2018/04/01", "yesterday", "01-04-2018"])
def test_invalid_or_blank_decom_is_an_error(tmp_path: Path, decom: str) -> None:
    path = episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,", f"2,{decom},L,C2,N1,U1,PR1,,,,,,")
    result = read_ssda903([path])
    assert issues(result) == {(3, "DECOM", Severity.ERROR)}
    assert result.row_counts()["la_episode"] == 0


def test_blank_child_in_header_is_an_error(tmp_path: Path) -> None:
    header = write(tmp_path, "h.csv", f"{HEADER_HEADER}\n1,1,01/01/2010,WBRI,,,\n,2,01/01/2011,WBRI,,,\n")
    result = read_ssda903([header, episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,")])
    assert issues(result) == {(3, "CHILD", Severity.ERROR)}


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", "")
    result = read_ssda903([path])
    assert [(p.file, p.severity) for p in result.problems] == [(str(path), Severity.ERROR)]
    assert "empty" in result.problems[0].message


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    result = read_ssda903([write(tmp_path, "e.csv", "\n \r\n\t\n")])
    assert not result.ok
    assert "empty" in result.errors[0].message


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = read_ssda903([path])
    assert not result.ok
    assert "binary" in result.errors[0].message


def test_excel_workbook_saved_as_csv_name(tmp_path: Path) -> None:
    path = tmp_path / "episodes.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml")
    result = read_ssda903([path])
    assert not result.ok
    assert "Excel" in result.errors[0].message


def test_binary_without_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(bytes([0x81, 0x8D, 0x01, 0x02, 0xFF]) * 50)
    result = read_ssda903([path])
    assert not result.ok
    assert "not a CSV file" in result.errors[0].message


def test_semicolon_separated_file_is_not_recognised(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", EPISODES_HEADER.replace(",", ";") + "\n1;01/04/2018;L\n")
    result = read_ssda903([path])
    assert not result.ok
    assert "not an SSDA903 header or episodes file" in result.errors[0].message


def test_one_line_file_that_is_not_a_header(tmp_path: Path) -> None:
    result = read_ssda903([write(tmp_path, "one.csv", "hello world")])
    assert not result.ok
    assert "hello world" in result.errors[0].message


def test_one_line_episodes_file_is_a_valid_empty_file(tmp_path: Path) -> None:
    result = read_ssda903([write(tmp_path, "one.csv", EPISODES_HEADER)])
    assert result.ok
    assert result.row_counts() == {"la_child": 0, "la_episode": 0}
    assert (result.year, result.reference_date) == (None, None)


def test_huge_field_is_refused_not_crashed(tmp_path: Path) -> None:
    huge = "A" * 200_000
    path = episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,", f'2,01/04/2018,L,C2,N1,U1,PR1,,,,"{huge}",,')
    result = read_ssda903([path])
    assert not result.ok
    assert [(p.line, p.severity) for p in result.errors] == [(3, Severity.ERROR)]
    assert "field" in result.errors[0].message


@pytest.mark.parametrize(
    "row",
    [
        "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,,surplus",  # more fields: values may be shifted
        "1,01/04/2018,L,C2",  # fewer fields
    ],
)
def test_row_with_wrong_number_of_fields_is_refused(tmp_path: Path, row: str) -> None:
    result = read_ssda903([episodes(tmp_path, row)])
    assert [(p.line, p.field) for p in result.errors] == [(2, None)]
    assert "fields but the header has 13" in result.errors[0].message
    assert result.row_counts()["la_episode"] == 0


def test_trailing_empty_fields_are_harmless(tmp_path: Path) -> None:
    result = read_ssda903([episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,,,,")])
    assert result.ok
    assert result.problems == []


def test_two_episodes_files_are_refused(tmp_path: Path) -> None:
    a = episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,", name="a.csv")
    b = episodes(tmp_path, "2,01/04/2018,L,C2,N1,U1,PR1,,,,,,", name="b.csv")
    result = read_ssda903([a, b])
    assert [p.file for p in result.errors] == [str(b)]
    assert result.extra_paths == (b,)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    result = read_ssda903([tmp_path / "nope.csv"])
    assert not result.ok
    assert result.errors[0].file == str(tmp_path / "nope.csv")


# --- warnings: value dropped, import goes on ------------------------------------------------


def test_invalid_dec_refuses_the_file(tmp_path: Path) -> None:
    # Dropping it would turn a closed episode into an open one: the child would look in care today.
    path = episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,32/05/2018,E11,,,,")
    result = read_ssda903([path])
    assert not result.ok
    assert issues(result) == {(2, "DEC", Severity.ERROR)}


def test_dec_before_decom_refuses_the_file(tmp_path: Path) -> None:
    path = episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,31/03/2018,E11,,,,")
    result = read_ssda903([path])
    assert not result.ok
    assert issues(result) == {(2, "DEC", Severity.ERROR)}
    assert "before DECOM" in result.errors[0].message


def test_dec_on_decom_is_fine(tmp_path: Path) -> None:
    result = read_ssda903([episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,01/04/2018,E11,,,,")])
    assert result.problems == []
    assert result.tables["la_episode"].column("end_date").to_pylist() == [date(2018, 4, 1)]


def test_duplicate_episode_keeps_the_first(tmp_path: Path) -> None:
    path = episodes(
        tmp_path,
        "1,01/04/2018,L,C2,N1,U1,PR1,01/05/2018,E11,,,,",
        "2,01/04/2018,L,C2,N1,U1,PR1,,,,,,",
        "1,01/04/2018,T,C1,N1,U1,PR1,01/06/2018,E11,,,,",
    )
    result = read_ssda903([path])
    assert result.ok
    assert issues(result) == {(4, "DECOM", Severity.WARNING)}
    assert "line 2" in result.problems[0].message
    rows = result.tables["la_episode"].to_pylist()
    assert len(rows) == 2
    assert (rows[0]["reason_new_episode"], rows[0]["end_date"]) == ("L", date(2018, 5, 1))


def test_header_values_and_warnings(tmp_path: Path) -> None:
    header = write(
        tmp_path,
        "h.csv",
        f"{HEADER_HEADER}\n"
        "1,1,01/01/2010,WBRI,A123,,\n"
        "2,2,2011-02-03,,,,\n"  # ISO date accepted
        "3,7,30/02/2010,WBRI,,,\n"  # unknown sex, impossible date
        "1,2,05/05/2015,WBRI,,,\n"  # repeated child: first kept
        "4,M,,WBRI,,,\n"  # 2025 codes; blank DOB
        "5,U,01/01/2012,WBRI,,,\n",
    )
    result = read_ssda903([header, episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,")])
    assert result.ok
    W = Severity.WARNING
    assert issues(result) == {(4, "SEX", W), (4, "DOB", W), (5, "CHILD", W), (6, "DOB", W)}
    rows = {r["la_child_id"]: r for r in result.tables["la_child"].to_pylist()}
    assert rows["1"] == {
        "la_child_id": "1",
        "sex": "M",
        "birth_date": date(2010, 1, 1),
        "ethnicity": "WBRI",
        "upn": "A123",
    }
    assert rows["2"]["sex"] == "F"
    assert rows["2"]["birth_date"] == date(2011, 2, 3)
    assert rows["2"]["ethnicity"] is None
    assert rows["2"]["upn"] is None
    assert (rows["3"]["sex"], rows["3"]["birth_date"]) == ("U", None)
    assert (rows["4"]["sex"], rows["4"]["birth_date"]) == ("M", None)
    assert rows["5"]["sex"] == "U"
    assert len(rows) == 5


def test_codes_outside_the_lists_are_kept_with_a_warning(tmp_path: Path) -> None:
    path = episodes(tmp_path, "1,01/04/2018,X,Z9,N9,U1,PR9,,,,SW1A 1AA,sw1a1aa,")
    result = read_ssda903([path])
    W = Severity.WARNING
    assert issues(result) == {(2, "RNE", W), (2, "LS", W), (2, "CIN", W), (2, "PLACE_PROVIDER", W)}
    (row,) = result.tables["la_episode"].to_pylist()
    assert (row["legal_status"], row["placement_postcode"]) == ("Z9", "sw1a1aa")


# --- layout: names, encodings, line numbers, year -------------------------------------------


def test_columns_match_case_insensitively_and_trimmed_and_problems_name_them(tmp_path: Path) -> None:
    header = " child , decom ,Home_Post,extra\n1,01/04/2018,bad,x\n"
    result = read_ssda903([write(tmp_path, "e.csv", header)])
    assert result.ok
    assert [(p.line, p.field) for p in result.problems] == [(2, "Home_Post")]
    (row,) = result.tables["la_episode"].to_pylist()
    assert (row["la_child_id"], row["start_date"], row["legal_status"]) == ("1", date(2018, 4, 1), None)


def test_bom_and_crlf(tmp_path: Path) -> None:
    text = EPISODES_HEADER + "\r\n1,01/04/2018,L,C2,N1,U1,PR1,,,,,,\r\n2,xx,L,C2,N1,U1,PR1,,,,,,\r\n"
    result = read_ssda903([write(tmp_path, "e.csv", text, encoding="utf-8-sig")])
    assert issues(result) == {(3, "DECOM", Severity.ERROR)}  # CHILD was found despite the BOM


def test_line_numbers_follow_multi_line_fields_and_blank_lines(tmp_path: Path) -> None:
    text = (
        "CHILD,DECOM,HOME_POST,URN\n"
        '1,01/04/2018,bad,"a\nb\nc"\n'  # lines 2-4: reported where the record starts
        "\n"  # line 5, skipped
        "2,01/04/2018,bad,\n"  # line 6
    )
    result = read_ssda903([write(tmp_path, "e.csv", text)])
    assert [(p.line, p.field) for p in result.problems] == [(2, "HOME_POST"), (6, "HOME_POST")]
    assert result.tables["la_episode"].column("urn").to_pylist() == ["a\nb\nc", None]


def test_windows_1252_file_is_read_with_a_warning(tmp_path: Path) -> None:
    text = "CHILD,DECOM,HOME_POST\n1,01/04/2018,\n2,01/04/2018,\n3,01/04/2018,caf\xe9\n"
    result = read_ssda903([write(tmp_path, "e.csv", text, encoding="cp1252")])
    assert result.ok
    encoding = [p for p in result.problems if p.field is None]
    assert [(p.line, p.severity) for p in encoding] == [(4, Severity.WARNING)]
    assert result.tables["la_episode"].column("home_postcode").to_pylist()[2] == "caf\xe9"


@pytest.mark.parametrize(
    ("latest", "year"),
    [("31/03/2019", 2019), ("01/04/2019", 2020), ("2020-12-31", 2021), ("01/01/2020", 2020)],
)
def test_year_is_the_collection_year_of_the_latest_date(tmp_path: Path, latest: str, year: int) -> None:
    path = episodes(tmp_path, "1,01/06/2017,L,C2,N1,U1,PR1,,,,,,", f"1,01/07/2017,L,C2,N1,U1,PR1,{latest},E11,,,,")
    result = read_ssda903([path])
    assert (result.year, result.reference_date) == (year, date(year, 3, 31))


def test_collection_year() -> None:
    assert collection_year(date(2019, 3, 31)) == 2019
    assert collection_year(date(2019, 4, 1)) == 2020
    assert collection_year(date(2019, 1, 1)) == 2019


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_arbitrary_bytes_never_crash(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(EPISODES_HEADER.encode() + b"\n" + data)
    result = read_ssda903([path])
    assert result.tables["la_episode"].schema == LA_EPISODE.schema
    assert result.ok or result.row_counts()["la_episode"] == 0


@pytest.mark.parametrize("code", ["UN1", "UN5", "un2"])
def test_no_upn_codes_mean_no_upn(tmp_path: Path, code: str) -> None:
    header = write(tmp_path, "h.csv", f"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,01/01/2012,WBRI,{code},,\n")
    eps = episodes(tmp_path, "1,01/04/2018,L,C2,N1,U1,PR1,,,,,,")
    result = read_ssda903([header, eps])
    assert result.ok
    assert result.tables["la_child"].column("upn").to_pylist() == [None]
