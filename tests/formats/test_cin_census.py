"""The CIN census XML reader: the public samples, every rule of the issue, and hostile XML."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from lxml import etree

from ever6.formats import FORMATS
from ever6.formats.cin_census import read_cin_census
from ever6.formats.problems import Problem, ReadResult, Severity
from ever6.formats.safe_xml import parse_bytes, safe_parser
from ever6.model import TABLES

SAMPLE_NAMES = {
    "csc-validator-be-cin_CIN2rows.xml",
    "csc-validator-be-cin_CIN_Census_2021.xml",
    "csc-validator-be-cin_CIN_Census_2024.xml",
    "csc-validator-be-cin_CIN_Census_2026.xml",
    "csc-validator-be-cin_fake_CIN_data.xml",
    "liia-tools-pipeline_BAR_cin_2022.xml",
    "liia-tools_cin-2022.xml",
}
VALID_SAMPLES = (
    "liia-tools_cin-2022.xml",
    "liia-tools-pipeline_BAR_cin_2022.xml",
    "csc-validator-be-cin_fake_CIN_data.xml",
)
BROKEN_SAMPLES = (
    "csc-validator-be-cin_CIN2rows.xml",
    "csc-validator-be-cin_CIN_Census_2021.xml",
    "csc-validator-be-cin_CIN_Census_2024.xml",
    "csc-validator-be-cin_CIN_Census_2026.xml",
)


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def samples(reference_dir: Path) -> Path:
    return reference_dir / "cin_census" / "samples"


@pytest.fixture
def xsd_root(reference_dir: Path) -> Path:
    return reference_dir / "cin_census" / "xsd"


def episode_xml(referral: str = "2023-05-01", *, nfa: str = "0", body: str = "") -> str:
    return f"""
      <CINdetails>
        <CINreferralDate>{referral}</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        {body}
        <ReferralNFA>{nfa}</ReferralNFA>
      </CINdetails>"""


def child_xml(
    la_id: str | None = "C1",
    *,
    sex: str = "<GenderCurrent>1</GenderCurrent>",
    identifiers: str = "",
    episodes: str | None = None,
) -> str:
    id_el = "" if la_id is None else f"<LAchildID>{la_id}</LAchildID>"
    return f"""
    <Child>
      <ChildIdentifiers>
        {id_el}
        <PersonBirthDate>2015-01-02</PersonBirthDate>
        {sex}
        {identifiers}
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
      </ChildCharacteristics>{episode_xml() if episodes is None else episodes}
    </Child>"""


def cin_xml(
    children: str, *, year: str | None = "2024", reference_date: str | None = "2024-03-31", collection: str = "CIN"
) -> str:
    year_el = "" if year is None else f"<Year>{year}</Year>"
    ref_el = "" if reference_date is None else f"<ReferenceDate>{reference_date}</ReferenceDate>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails>
      <Collection>{collection}</Collection>
      {year_el}
      {ref_el}
    </CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>201</LEA></Source>
  </Header>
  <Children>{children}
  </Children>
</Message>
"""


def write(tmp_path: Path, text: str | bytes, name: str = "cin.xml") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def read(tmp_path: Path, text: str | bytes, **kwargs: list[Path]) -> ReadResult:
    return read_cin_census(write(tmp_path, text), **kwargs)


def rows(result: ReadResult, table: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = result.tables[table].to_pylist()
    return found


def where(result: ReadResult, source: str = "reader") -> set[tuple[int | None, str | None, Severity]]:
    return {(p.line, p.field, p.severity) for p in result.problems if p.source == source}


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``: lines are found, not hard-coded."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# --- the public samples -----------------------------------------------------------------------


def test_the_sample_set_is_the_one_these_tests_know(samples: Path) -> None:
    assert {p.name for p in samples.glob("*.xml")} == SAMPLE_NAMES


@pytest.mark.parametrize("name", sorted(SAMPLE_NAMES))
def test_every_sample_imports_with_canonical_tables(samples: Path, name: str) -> None:
    result = read_cin_census(samples / name)

    assert result.format == "cin-census"
    assert result.ok, result.errors
    assert set(result.tables) == set(FORMATS["cin-census"].tables)
    for table_name, table in result.tables.items():
        assert table.schema == TABLES[table_name].schema
    assert result.tables["cin_child"].num_rows >= 1
    assert result.tables["cin_episode"].num_rows >= 1
    assert result.year == result.reference_date.year if result.reference_date else False
    assert all(p.file == str(samples / name) for p in result.problems)


def test_liia_tools_cin_2022_values(samples: Path) -> None:
    result = read_cin_census(samples / "liia-tools_cin-2022.xml")

    assert result.problems == []
    assert result.reference_date == date(2022, 3, 31)
    assert result.year == 2022
    assert rows(result, "cin_child") == [
        {
            "la_child_id": "DfEX0000001",
            "upn": "A123456789123",
            "former_upn": "X98765432123B",
            "upn_unknown": "UN3",
            "birth_date": date(1966, 3, 24),
            "expected_birth_date": date(1966, 3, 22),
            "sex": "M",
            "death_date": date(1980, 10, 8),
            "ethnicity": "WBRI",
            "disabilities": ["HAND", "HEAR"],
        }
    ]
    key = {"la_child_id": "DfEX0000001", "referral_date": date(1970, 10, 6)}
    assert rows(result, "cin_episode") == [
        key
        | {
            "referral_source": "1A",
            "primary_need": "N4",
            "closure_date": date(1971, 2, 27),
            "closure_reason": "RC1",
            "referral_nfa": False,
            "date_initial_cpc": date(1970, 12, 6),
        }
    ]
    assert rows(result, "cin_assessment") == [
        key
        | {
            "seq": 0,
            "start_date": date(1970, 6, 3),
            "internal_review_date": date(1970, 6, 22),
            "authorisation_date": date(1971, 7, 18),
            "factors": ["2A", "2B"],
        }
    ]
    assert rows(result, "cin_plan") == [
        key | {"seq": 0, "start_date": date(1971, 1, 24), "end_date": date(1971, 1, 26)}
    ]
    assert rows(result, "cin_section47") == [
        key
        | {
            "seq": 0,
            "start_date": date(1970, 6, 2),
            "initial_cpc_target": date(1970, 6, 23),
            "date_initial_cpc": date(1970, 6, 17),
            "icpc_not_required": False,
        }
    ]
    assert rows(result, "cp_plan") == [
        key
        | {
            "seq": 0,
            "start_date": date(1970, 2, 17),
            "end_date": date(1971, 3, 14),
            "initial_category": "PHY",
            "latest_category": "PHY",
            "number_previous_cpp": 10,
            "review_dates": [date(1971, 2, 15)],
        }
    ]


def test_bar_cin_2022_differs_from_liia_tools_only_in_its_three_dates(samples: Path) -> None:
    bar = read_cin_census(samples / "liia-tools-pipeline_BAR_cin_2022.xml")
    liia = read_cin_census(samples / "liia-tools_cin-2022.xml")

    assert bar.problems == []
    assert rows(bar, "cin_episode")[0]["date_initial_cpc"] == date(1970, 2, 6)
    s47 = rows(bar, "cin_section47")[0]
    assert (s47["start_date"], s47["date_initial_cpc"]) == (date(1970, 2, 2), date(1970, 2, 11))
    for table in ("cin_child", "cin_assessment", "cin_plan", "cp_plan"):
        assert bar.tables[table].equals(liia.tables[table])


def test_fake_cin_data_counts_match_an_independent_count(samples: Path) -> None:
    path = samples / "csc-validator-be-cin_fake_CIN_data.xml"
    text = path.read_text(encoding="utf-8")
    genders = re.findall(r"<GenderCurrent>(\d)</GenderCurrent>", text)

    result = read_cin_census(path)

    assert result.problems == []
    assert result.reference_date == date(2022, 7, 21)
    assert result.tables["cin_child"].num_rows == text.count("<Child>") == 332
    assert result.tables["cin_episode"].num_rows == text.count("<CINdetails>") == 402
    sexes = [row["sex"] for row in rows(result, "cin_child")]
    assert sexes.count("M") == genders.count("1")
    assert sexes.count("F") == genders.count("2")
    assert sexes.count("U") == genders.count("0") + genders.count("9")
    nfa = [row["referral_nfa"] for row in rows(result, "cin_episode")]
    assert nfa.count(True) == text.count("<ReferralNFA>true</ReferralNFA>")
    first = rows(result, "cin_episode")[0]
    assert first == {
        "la_child_id": "RND000215205141",
        "referral_date": date(2020, 7, 13),
        "referral_source": "4",
        "primary_need": "N6",
        "closure_date": date(2021, 6, 11),
        "closure_reason": "RC2",
        "referral_nfa": True,
        "date_initial_cpc": date(2020, 9, 29),
    }
    # A child with two episodes keeps both, in file order.
    two = [r["referral_date"] for r in rows(result, "cin_episode") if r["la_child_id"] == "RND000824303014"]
    assert two == [date(2013, 10, 25), date(2017, 10, 22)]


def test_cin2rows_two_cp_plans_numeric_boolean_and_stray_text(samples: Path) -> None:
    path = samples / "csc-validator-be-cin_CIN2rows.xml"
    text = path.read_text(encoding="utf-8")

    result = read_cin_census(path)

    assert result.ok
    assert [p["seq"] for p in rows(result, "cp_plan")] == [0, 1]
    assert rows(result, "cin_episode")[0]["referral_nfa"] is False  # spelled 0
    assert rows(result, "cin_section47")[0]["icpc_not_required"] is False  # spelled false
    assert where(result) == {
        (line_of(text, "<Year>"), "Year", Severity.WARNING),
        (line_of(text, "</UPNunknown>PersonBirthDate"), "ChildIdentifiers", Severity.WARNING),
    }
    assert result.year == 2024  # the reference date's year, not the header's 2023


def test_census_2021_reports_the_stray_text_with_its_line_and_field(samples: Path) -> None:
    path = samples / "csc-validator-be-cin_CIN_Census_2021.xml"
    text = path.read_text(encoding="utf-8")

    result = read_cin_census(path)

    assert result.ok
    stray = only(result.problems)
    assert (stray.line, stray.field, stray.severity) == (23, "ChildIdentifiers", Severity.WARNING)
    assert stray.line == line_of(text, "</UPNunknown>PersonBirthDate")
    assert "'PersonBirthDate'" in stray.message
    assert stray.file == str(path)
    # The real PersonBirthDate element after the stray text is still read.
    assert rows(result, "cin_child")[0]["birth_date"] == date(1965, 3, 27)


@pytest.mark.parametrize(
    "name", ["csc-validator-be-cin_CIN_Census_2024.xml", "csc-validator-be-cin_CIN_Census_2026.xml"]
)
def test_census_2024_and_2026_report_each_deliberate_fault(samples: Path, name: str) -> None:
    path = samples / name
    text = path.read_text(encoding="utf-8")

    result = read_cin_census(path)

    assert result.ok
    assert where(result) == {
        (line_of(text, "<Year>"), "Year", Severity.WARNING),
        (line_of(text, "</UPNunknown>PersonBirthDate"), "ChildIdentifiers", Severity.WARNING),
        (line_of(text, "<Sex>1</Sex>"), "Sex", Severity.WARNING),
        (line_of(text, ">RB<"), "AssessmentFactors", Severity.WARNING),
    }
    assert (line_of(text, "<Sex>1</Sex>"), line_of(text, ">RB<")) == (25, 46)
    by_field = {p.field: p for p in result.problems}
    assert "'1'" in by_field["Sex"].message
    assert "'RB'" in by_field["AssessmentFactors"].message
    children = {r["la_child_id"]: r for r in rows(result, "cin_child")}
    assert children["DfEX0000001"]["sex"] is None  # Sex 1 is not M/F/U
    assert children["child_fails_assessments"]["sex"] == "M"
    factors = {r["la_child_id"]: r["factors"] for r in rows(result, "cin_assessment")}
    assert factors == {"DfEX0000001": ["1C", "6B"], "child_fails_assessments": None}


def test_census_2026_pre_proceedings_block_is_tolerated_silently(samples: Path) -> None:
    with_block = read_cin_census(samples / "csc-validator-be-cin_CIN_Census_2026.xml")
    without = read_cin_census(samples / "csc-validator-be-cin_CIN_Census_2024.xml")

    assert "<PreProceedingsandFGDM>" in (samples / "csc-validator-be-cin_CIN_Census_2026.xml").read_text()
    assert [(p.line, p.field, p.message) for p in with_block.problems] == [
        (p.line, p.field, p.message) for p in without.problems
    ]
    for table in with_block.tables:
        assert with_block.tables[table].equals(without.tables[table])


# --- schema validation against the two XSD families -------------------------------------------


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_valid_samples_pass_the_liia_tools_xsd(samples: Path, xsd_root: Path, name: str) -> None:
    result = read_cin_census(samples / name, xsd_dirs=[xsd_root / "liia-tools"])

    assert result.problems == []


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_valid_samples_fail_the_pipeline_xsd_only_on_true_false(samples: Path, xsd_root: Path, name: str) -> None:
    result = read_cin_census(samples / name, xsd_dirs=[xsd_root / "liia-tools-pipeline"])

    xsd = [p for p in result.problems if p.source == "xsd"]
    assert xsd, "the pipeline schemas allow only 0/1"
    assert {p.field for p in xsd} <= {"ReferralNFA", "ICPCnotRequired"}
    assert all(p.severity is Severity.WARNING and p.line for p in xsd)
    assert all("CIN_schema_2022.xsd" in p.message for p in xsd)
    assert result.ok  # XSD messages alone never refuse a file
    assert result.tables["cin_episode"].num_rows >= 1


def test_pipeline_xsd_messages_carry_lines(samples: Path, xsd_root: Path) -> None:
    path = samples / "liia-tools_cin-2022.xml"
    text = path.read_text(encoding="utf-8")

    result = read_cin_census(path, xsd_dirs=[xsd_root / "liia-tools-pipeline"])

    assert where(result, "xsd") == {
        (line_of(text, "<ICPCnotRequired>"), "ICPCnotRequired", Severity.WARNING),
        (line_of(text, "<ReferralNFA>"), "ReferralNFA", Severity.WARNING),
    }


@pytest.mark.parametrize("family", ["liia-tools", "liia-tools-pipeline"])
@pytest.mark.parametrize("name", BROKEN_SAMPLES)
def test_broken_samples_fail_both_xsd_families_but_still_import(
    samples: Path, xsd_root: Path, family: str, name: str
) -> None:
    path = samples / name
    text = path.read_text(encoding="utf-8")

    result = read_cin_census(path, xsd_dirs=[xsd_root / family])

    xsd = where(result, "xsd")
    # The header says Year 2023, so the 2023 schema is the one used.
    assert all("CIN_schema_2023.xsd" in p.message for p in result.problems if p.source == "xsd")
    assert (line_of(text, "<ChildIdentifiers>"), "ChildIdentifiers", Severity.WARNING) in xsd
    if "<Sex>" in text:
        assert (line_of(text, "<Sex>1</Sex>"), "Sex", Severity.WARNING) in xsd
        assert (line_of(text, ">RB<"), "AssessmentFactors", Severity.WARNING) in xsd
    assert result.ok


def test_first_directory_holding_the_years_xsd_wins(samples: Path, xsd_root: Path) -> None:
    path = samples / "liia-tools_cin-2022.xml"

    liia_first = read_cin_census(path, xsd_dirs=[xsd_root / "liia-tools", xsd_root / "liia-tools-pipeline"])
    pipeline_first = read_cin_census(path, xsd_dirs=[xsd_root / "liia-tools-pipeline", xsd_root / "liia-tools"])

    assert liia_first.problems == []
    assert len(pipeline_first.problems) == 2


def test_a_later_directory_is_used_when_the_first_lacks_the_year(tmp_path: Path, xsd_root: Path) -> None:
    # liia-tools has no 2025 schema; the pipeline one (0/1 booleans only) is used instead.
    text = cin_xml(
        child_xml(sex="<Sex>F</Sex>", episodes=episode_xml(nfa="true")), year="2025", reference_date="2025-03-31"
    )

    result = read(tmp_path, text, xsd_dirs=[xsd_root / "liia-tools", xsd_root / "liia-tools-pipeline"])

    problem = only(result.problems)
    assert (problem.source, problem.field, problem.line) == ("xsd", "ReferralNFA", line_of(text, "<ReferralNFA>"))
    assert "CIN_schema_2025.xsd" in problem.message


def test_schema_year_falls_back_to_the_reference_date(tmp_path: Path, xsd_root: Path) -> None:
    text = cin_xml(child_xml(episodes=episode_xml(nfa="true")), year=None, reference_date="2022-03-31")

    result = read(tmp_path, text, xsd_dirs=[xsd_root / "liia-tools-pipeline"])

    problem = only(result.problems)
    assert "CIN_schema_2022.xsd" in problem.message


def test_no_xsd_for_the_year_adds_no_problem(tmp_path: Path, xsd_root: Path) -> None:
    text = cin_xml(
        child_xml(sex="<Sex>M</Sex>", episodes=episode_xml(nfa="true")), year="2026", reference_date="2026-03-31"
    )

    result = read(tmp_path, text, xsd_dirs=[xsd_root / "liia-tools", tmp_path / "missing"])

    assert result.problems == []


def test_many_children_are_validated_in_full_with_right_lines(tmp_path: Path, xsd_root: Path) -> None:
    # Enough children for the chunked validation; every one breaks the pipeline XSD once.
    children = "".join(child_xml(f"C{n}", episodes=episode_xml(nfa="true")) for n in range(1203))
    text = cin_xml(children, year="2022", reference_date="2022-03-31").replace("<LEA>201</LEA>", "<LEA>ABC</LEA>")
    xsd = xsd_root / "liia-tools-pipeline" / "CIN_schema_2022.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    schema.validate(etree.fromstring(text.encode()).getroottree())
    expected = {(e.line, e.message) for e in cast(Iterable[Any], schema.error_log)}

    result = read(tmp_path, text, xsd_dirs=[xsd.parent])

    got = [(p.line, p.message.removeprefix("CIN_schema_2022.xsd: ")) for p in result.problems]
    assert len(got) == len(set(got)) == 1204  # 1,203 booleans and the header's LEA once
    assert set(got) == expected
    nfa_lines = [line for line, message in got if "ReferralNFA" in message]
    assert nfa_lines == [n for n, line in enumerate(text.splitlines(), 1) if "<ReferralNFA>" in line]
    assert result.tables["cin_child"].num_rows == 1203


# --- the rules ------------------------------------------------------------------------


@pytest.mark.parametrize("year", range(2017, 2027))
def test_both_boolean_spellings_in_every_year(tmp_path: Path, year: int) -> None:
    spellings = {"true": True, "TRUE": True, "1": True, "false": False, "FALSE": False, "0": False}
    s47 = (
        "<Section47><S47ActualStartDate>2016-01-01</S47ActualStartDate>"
        "<ICPCnotRequired>{}</ICPCnotRequired></Section47>"
    )
    episodes = "".join(
        episode_xml(f"2016-01-{day:02d}", nfa=spelling, body=s47.format(spelling))
        for day, spelling in enumerate(spellings, start=1)
    )
    text = cin_xml(child_xml(episodes=episodes), year=str(year), reference_date=f"{year}-03-31")

    result = read(tmp_path, text)

    assert result.problems == []
    assert result.year == year
    assert [r["referral_nfa"] for r in rows(result, "cin_episode")] == list(spellings.values())
    assert [r["icpc_not_required"] for r in rows(result, "cin_section47")] == list(spellings.values())


def test_an_unknown_boolean_is_null_with_a_warning(tmp_path: Path) -> None:
    text = cin_xml(child_xml(episodes=episode_xml(nfa="yes")))

    result = read(tmp_path, text)

    assert result.ok
    assert rows(result, "cin_episode")[0]["referral_nfa"] is None
    assert where(result) == {(line_of(text, "<ReferralNFA>"), "ReferralNFA", Severity.WARNING)}


@pytest.mark.parametrize(
    ("element", "value", "expected"),
    [
        ("GenderCurrent", "1", "M"),
        ("GenderCurrent", "2", "F"),
        ("GenderCurrent", "0", "U"),
        ("GenderCurrent", "9", "U"),
        ("Sex", "M", "M"),
        ("Sex", "F", "F"),
        ("Sex", "U", "U"),
    ],
)
@pytest.mark.parametrize("year", [2017, 2024, 2025, 2026])
def test_sex_and_gender_current_normalise_in_any_year(
    tmp_path: Path, element: str, value: str, expected: str, year: int
) -> None:
    text = cin_xml(child_xml(sex=f"<{element}>{value}</{element}>"), year=str(year), reference_date=f"{year}-03-31")

    result = read(tmp_path, text)

    assert result.problems == []
    assert rows(result, "cin_child")[0]["sex"] == expected


@pytest.mark.parametrize(
    ("element", "value"), [("GenderCurrent", "3"), ("GenderCurrent", "M"), ("Sex", "1"), ("Sex", "X")]
)
def test_an_unknown_sex_is_null_with_a_warning(tmp_path: Path, element: str, value: str) -> None:
    text = cin_xml(child_xml(sex=f"<{element}>{value}</{element}>"))

    result = read(tmp_path, text)

    assert rows(result, "cin_child")[0]["sex"] is None
    problem = only(result.problems)
    assert (problem.line, problem.field, problem.severity) == (line_of(text, f"<{element}>"), element, Severity.WARNING)
    assert repr(value) in problem.message


def test_sex_and_gender_current_together(tmp_path: Path) -> None:
    agree = read(tmp_path, cin_xml(child_xml(sex="<GenderCurrent>2</GenderCurrent><Sex>F</Sex>")))
    text = cin_xml(child_xml(sex="<GenderCurrent>2</GenderCurrent><Sex>M</Sex>"))
    disagree = read(tmp_path, text)

    assert agree.problems == []
    assert rows(agree, "cin_child")[0]["sex"] == "F"
    assert rows(disagree, "cin_child")[0]["sex"] == "F"  # the first is kept
    assert where(disagree) == {(line_of(text, "<Sex>"), "Sex", Severity.WARNING)}


def _shuffle(el: etree._Element) -> None:
    """Reorder every element's children by tag, descending; same-tag siblings keep their order."""
    kids = list(el)
    for kid in kids:
        _shuffle(kid)
        el.remove(kid)
    el.extend(sorted(kids, key=lambda k: k.tag, reverse=True))


@pytest.mark.parametrize("name", ["liia-tools_cin-2022.xml", "csc-validator-be-cin_CIN2rows.xml"])
def test_element_order_does_not_matter(tmp_path: Path, samples: Path, name: str) -> None:
    original = read_cin_census(samples / name)
    tree = etree.parse(str(samples / name))
    _shuffle(tree.getroot())
    shuffled_text = etree.tostring(tree, encoding="unicode")
    details = next(tree.iter("CINdetails"))
    assert details[0].tag != "CINreferralDate"  # really shuffled
    assert [el.tag for el in tree.getroot()] == ["Header", "Children"]

    shuffled = read(tmp_path, shuffled_text)

    assert shuffled.ok
    for table in original.tables:
        assert shuffled.tables[table].equals(original.tables[table]), table
    assert {p.field for p in shuffled.problems} == {p.field for p in original.problems}


def test_pre_proceedings_block_is_tolerated_but_other_unknown_elements_are_reported(tmp_path: Path) -> None:
    block = (
        "<PreProceedingsandFGDM><PPStartDate>2026-01-09</PPStartDate><PPOutcome>A</PPOutcome></PreProceedingsandFGDM>"
    )
    text = cin_xml(
        child_xml(episodes=episode_xml(body=block + "<Mystery>1</Mystery>")), year="2026", reference_date="2026-03-31"
    )

    result = read(tmp_path, text)

    assert result.ok
    assert where(result) == {(line_of(text, "<Mystery>"), "Mystery", Severity.WARNING)}
    assert rows(result, "cin_episode")[0]["primary_need"] == "N1"


def test_whitespace_is_trimmed_and_empty_elements_are_null(tmp_path: Path) -> None:
    identifiers = (
        "<UPN>  A123456789012 \n </UPN><FormerUPN/><UPNunknown>   </UPNunknown><PersonDeathDate></PersonDeathDate>"
    )
    text = cin_xml(child_xml("  C1\t", identifiers=identifiers))

    result = read(tmp_path, text)

    assert result.problems == []
    child = rows(result, "cin_child")[0]
    assert child["la_child_id"] == "C1"
    assert child["upn"] == "A123456789012"
    assert (child["former_upn"], child["upn_unknown"], child["death_date"]) == (None, None, None)
    assert child["disabilities"] is None


def test_blocks_are_numbered_in_file_order(tmp_path: Path) -> None:
    body = (
        "".join(
            f"<Assessments><AssessmentActualStartDate>2023-0{m}-01</AssessmentActualStartDate>"
            f"<FactorsIdentifiedAtAssessment><AssessmentFactors>{f}</AssessmentFactors></FactorsIdentifiedAtAssessment>"
            "</Assessments>"
            for m, f in [(6, "3A"), (7, "4B"), (8, "24A")]
        )
        + "<CINPlanDates><CINPlanStartDate>2023-09-01</CINPlanStartDate></CINPlanDates>"
    )
    result = read(tmp_path, cin_xml(child_xml(episodes=episode_xml(body=body))))

    assert result.problems == []
    assessments = rows(result, "cin_assessment")
    assert [(a["seq"], a["start_date"], a["factors"]) for a in assessments] == [
        (0, date(2023, 6, 1), ["3A"]),
        (1, date(2023, 7, 1), ["4B"]),
        (2, date(2023, 8, 1), ["24A"]),
    ]
    plan = only_row(result, "cin_plan")
    assert (plan["seq"], plan["start_date"], plan["end_date"]) == (0, date(2023, 9, 1), None)


def only_row(result: ReadResult, table: str) -> dict[str, object]:
    found = rows(result, table)
    assert len(found) == 1, found
    return found[0]


def test_invalid_dates_outside_keys_are_null_with_warnings(tmp_path: Path) -> None:
    body = "<CINclosureDate>2024-02-30</CINclosureDate>"
    text = cin_xml(
        child_xml(identifiers="<PersonDeathDate>31/03/2020</PersonDeathDate>", episodes=episode_xml(body=body))
    )

    result = read(tmp_path, text)

    assert result.ok
    assert rows(result, "cin_child")[0]["death_date"] is None
    assert rows(result, "cin_episode")[0]["closure_date"] is None
    assert where(result) == {
        (line_of(text, "<PersonDeathDate>"), "PersonDeathDate", Severity.WARNING),
        (line_of(text, "<CINclosureDate>"), "CINclosureDate", Severity.WARNING),
    }


def test_unknown_codes_are_dropped_with_warnings(tmp_path: Path) -> None:
    body = (
        "<ReasonForClosure>RC10</ReasonForClosure>"
        "<Assessments><AssessmentActualStartDate>2023-06-01</AssessmentActualStartDate>"
        "<FactorsIdentifiedAtAssessment><AssessmentFactors>18A</AssessmentFactors>"
        "<AssessmentFactors>99Z</AssessmentFactors><AssessmentFactors>19A</AssessmentFactors>"
        "<AssessmentFactors>18C</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>"
        "<ChildProtectionPlans><CPPstartDate>2023-07-01</CPPstartDate>"
        "<InitialCategoryOfAbuse>XYZ</InitialCategoryOfAbuse><LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>"
        "<NumberOfPreviousCPP>-1</NumberOfPreviousCPP></ChildProtectionPlans>"
    )
    text = cin_xml(child_xml(episodes=episode_xml(body=body).replace("<PrimaryNeedCode>N1", "<PrimaryNeedCode>N10")))

    result = read(tmp_path, text)

    assert result.ok
    episode = only_row(result, "cin_episode")
    assert (episode["closure_reason"], episode["primary_need"]) == (None, None)
    # Retired factors (18A/19A) and their replacements (18C) are all valid: the union of every XSD.
    assert only_row(result, "cin_assessment")["factors"] == ["18A", "19A", "18C"]
    plan = only_row(result, "cp_plan")
    assert (plan["initial_category"], plan["latest_category"], plan["number_previous_cpp"]) == (None, "NEG", None)
    assert {p.field for p in result.problems} == {
        "ReasonForClosure",
        "PrimaryNeedCode",
        "AssessmentFactors",
        "InitialCategoryOfAbuse",
        "NumberOfPreviousCPP",
    }
    assert all(p.severity is Severity.WARNING and p.line for p in result.problems)


def test_year_that_disagrees_with_the_reference_date_is_a_warning(tmp_path: Path) -> None:
    text = cin_xml(child_xml(), year="2023", reference_date="2024-03-31")

    result = read(tmp_path, text)

    assert result.ok
    assert (result.year, result.reference_date) == (2024, date(2024, 3, 31))
    assert where(result) == {(line_of(text, "<Year>"), "Year", Severity.WARNING)}


def test_a_repeated_child_is_merged_under_the_first(tmp_path: Path) -> None:
    first = child_xml("C1", identifiers="<UPN>A111111111111</UPN>", episodes=episode_xml("2023-01-01"))
    again = child_xml("C1", identifiers="<UPN>B222222222222</UPN>", episodes=episode_xml("2023-06-01"))
    text = cin_xml(first + again)

    result = read(tmp_path, text)

    assert result.ok
    assert [(c["la_child_id"], c["upn"]) for c in rows(result, "cin_child")] == [("C1", "A111111111111")]
    assert [e["referral_date"] for e in rows(result, "cin_episode")] == [date(2023, 1, 1), date(2023, 6, 1)]
    problem = only(result.problems)
    assert (problem.line, problem.field) == (line_of(text, "<Child>", 2), "LAchildID")
    assert f"line {line_of(text, '<Child>', 1)}" in problem.message


def test_a_repeated_episode_keeps_the_first(tmp_path: Path) -> None:
    plan = "<CINPlanDates><CINPlanStartDate>2023-02-01</CINPlanStartDate></CINPlanDates>"
    first = episode_xml("2023-01-01", body="<CINclosureDate>2023-03-01</CINclosureDate>")
    again = episode_xml("2023-01-01", body="<CINclosureDate>2023-09-01</CINclosureDate>" + plan)
    text = cin_xml(child_xml(episodes=first + again))

    result = read(tmp_path, text)

    assert result.ok
    assert only_row(result, "cin_episode")["closure_date"] == date(2023, 3, 1)
    assert rows(result, "cin_plan") == []  # the repeat's blocks go with it
    assert where(result) == {(line_of(text, "<CINdetails>", 2), "CINreferralDate", Severity.WARNING)}


def test_stray_text_anywhere_is_reported_and_ignored(tmp_path: Path) -> None:
    text = cin_xml(child_xml(episodes=episode_xml(body="oops<CINclosureDate>2023-09-01</CINclosureDate>")))

    result = read(tmp_path, text)

    assert result.ok
    problem = only(result.problems)
    assert (problem.field, problem.severity) == ("CINdetails", Severity.WARNING)
    assert problem.line == line_of(text, "oops")
    assert only_row(result, "cin_episode")["closure_date"] == date(2023, 9, 1)


# --- fatal problems ---------------------------------------------------------------------------


def assert_refused(result: ReadResult) -> Problem:
    assert not result.ok
    assert all(t.num_rows == 0 for t in result.tables.values())
    assert set(result.tables) == set(FORMATS["cin-census"].tables)
    return result.errors[0]


def test_missing_la_child_id_is_an_error_with_its_line(tmp_path: Path) -> None:
    text = cin_xml(child_xml("C1") + child_xml(None))

    result = read(tmp_path, text)

    assert_refused(result)
    error = only(result.errors)
    assert (error.line, error.field) == (line_of(text, "<Child>", 2), "LAchildID")
    assert "LAchildID" in error.message


def test_empty_la_child_id_is_an_error(tmp_path: Path) -> None:
    result = read(tmp_path, cin_xml(child_xml("   ")))

    assert assert_refused(result).field == "LAchildID"


@pytest.mark.parametrize(("referral", "needle"), [("2023-02-30", "<CINreferralDate>"), ("", "<CINreferralDate>")])
def test_invalid_referral_date_is_an_error(tmp_path: Path, referral: str, needle: str) -> None:
    text = cin_xml(child_xml(episodes=episode_xml(referral)))

    error = assert_refused(read(tmp_path, text))

    assert (error.line, error.field) == (line_of(text, needle), "CINreferralDate")


def test_missing_referral_date_is_an_error_at_the_episode(tmp_path: Path) -> None:
    text = cin_xml(child_xml(episodes=episode_xml().replace("<CINreferralDate>2023-05-01</CINreferralDate>", "")))

    error = assert_refused(read(tmp_path, text))

    assert (error.line, error.field) == (line_of(text, "<CINdetails>"), "CINreferralDate")


@pytest.mark.parametrize("reference_date", [None, "", "2024-13-01", "31/03/2024"])
def test_missing_or_invalid_reference_date_is_an_error(tmp_path: Path, reference_date: str | None) -> None:
    result = read(tmp_path, cin_xml(child_xml(), reference_date=reference_date))

    error = assert_refused(result)
    assert error.field == "ReferenceDate"
    assert error.line is not None
    assert result.reference_date is None


def test_a_file_without_a_header_is_an_error(tmp_path: Path) -> None:
    text = re.sub(r"<Header>.*</Header>", "", cin_xml(child_xml()), flags=re.DOTALL)

    assert assert_refused(read(tmp_path, text)).field == "ReferenceDate"


def test_ssda903_xml_is_a_clear_wrong_format_error(reference_dir: Path) -> None:
    path = reference_dir / "ssda903" / "xml" / "fake_903.xml"

    error = assert_refused(read_cin_census(path))

    assert "not a CIN census" in error.message
    assert "EXPSSDA903" in error.message
    assert "SSDA903" in error.message.replace("EXPSSDA903", "")
    assert error.line == 2
    assert error.file == str(path)


def test_another_collection_is_a_wrong_format_error(tmp_path: Path) -> None:
    text = cin_xml(child_xml(), collection="SchoolCensus")

    error = assert_refused(read(tmp_path, text))

    assert (error.field, error.line) == ("Collection", line_of(text, "<Collection>"))
    assert "'SchoolCensus'" in error.message


def test_some_other_xml_says_what_its_root_is(tmp_path: Path) -> None:
    error = assert_refused(read(tmp_path, "<html><body/></html>"))

    assert "<html>" in error.message
    assert "<Message>" in error.message


@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_empty_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    error = assert_refused(read(tmp_path, content))

    assert "empty" in error.message


def test_truncated_file_is_an_error_with_lxmls_line(tmp_path: Path, samples: Path) -> None:
    text = (samples / "liia-tools_cin-2022.xml").read_text(encoding="utf-8")
    cut = text[: text.index("<AssessmentInternalReviewDate>") + 10]

    error = assert_refused(read(tmp_path, cut))

    assert "not well-formed" in error.message
    assert error.line == cut.count("\n") + 1


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    assert "cannot read" in assert_refused(read_cin_census(tmp_path / "nope.xml")).message


# --- hostile XML ------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Message [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Message><Header><CollectionDetails><Collection>CIN</Collection>
<ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails></Header>
<Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID></ChildIdentifiers></Child></Children></Message>
"""


def xxe(secret: Path) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE Message [ <!ENTITY xxe SYSTEM "{secret.as_uri()}"> ]>
<Message><Header><CollectionDetails><Collection>CIN</Collection>
<ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails></Header>
<Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID></ChildIdentifiers>
<CINdetails><CINreferralDate>2023-01-01</CINreferralDate><ReferralNFA>0</ReferralNFA></CINdetails>
</Child></Children></Message>
"""


def assert_dtd_refused(result: ReadResult) -> Problem:
    assert_refused(result)
    error = only(result.errors)
    assert "DTD" in error.message
    assert "not allowed" in error.message
    return error


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    error = assert_dtd_refused(read(tmp_path, BILLION_LAUGHS))

    assert error.line == 2


def test_xxe_is_refused_and_never_leaks_the_file(tmp_path: Path) -> None:
    secret = write(tmp_path, "TOPSECRET-4242", name="secret.txt")

    result = read(tmp_path, xxe(secret))

    assert_dtd_refused(result)
    everything = " ".join(str(p) for p in result.problems) + " ".join(
        str(t.to_pylist()) for t in result.tables.values()
    )
    assert "TOPSECRET" not in everything


def test_the_parser_itself_expands_no_entity_even_without_the_doctype_check(tmp_path: Path) -> None:
    # Defence in depth: if the DOCTYPE refusal were bypassed, the parser still resolves nothing.
    secret = write(tmp_path, "TOPSECRET-4242", name="secret.txt")

    assert "TOPSECRET" not in parsed_text(xxe(secret))
    assert len(parsed_text(BILLION_LAUGHS)) < 1000


def parsed_text(xml: str) -> str:
    """The text content the bare safe parser makes of ``xml``, or its refusal."""
    try:
        return etree.tostring(etree.fromstring(xml.encode(), safe_parser()), method="text", encoding="unicode")
    except etree.XMLSyntaxError as exc:  # libxml2's own amplification guard may stop a bomb first
        return f"refused: {exc}"


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE Message SYSTEM "http://example.invalid/cin.dtd">\n',
        "<!DOCTYPE Message>\n",
        "<!-- a comment -->\n<?pi x?>\n<!DOCTYPE Message [ <!ELEMENT Message ANY> ]>\n",
    ],
)
def test_any_doctype_is_refused(tmp_path: Path, prolog: str) -> None:
    text = cin_xml(child_xml()).replace("<Message>", prolog + "<Message>", 1)

    error = assert_dtd_refused(read(tmp_path, text))

    assert error.line == line_of(text, "<!DOCTYPE")


def test_a_doctype_in_utf16_is_refused(tmp_path: Path) -> None:
    text = cin_xml(child_xml()).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace("<Message>", "<!DOCTYPE Message>\n<Message>", 1)

    assert_dtd_refused(read(tmp_path, text.encode("utf-16")))


def test_a_utf16_file_without_doctype_is_read(tmp_path: Path) -> None:
    text = cin_xml(child_xml()).replace('encoding="UTF-8"', 'encoding="UTF-16"')

    result = read(tmp_path, text.encode("utf-16"))

    assert result.problems == []
    assert only_row(result, "cin_child")["la_child_id"] == "C1"


def test_a_doctype_inside_the_document_is_not_well_formed() -> None:
    with pytest.raises(ValueError, match="not well-formed"):
        parse_bytes(b"<Message><!DOCTYPE x></Message>")


# --- the code lists against the published schemas ---------------------------------------------


def test_code_lists_are_every_code_any_year_of_either_schema_family_allowed(xsd_root: Path) -> None:
    """``formats.codes`` is the union of every CIN_schema_YYYY.xsd's enumerations, read here from
    the schema files themselves (element -> its type -> that type's enumeration)."""
    from lxml import etree

    from ever6.formats.codes import CODES

    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    found: dict[str, set[str]] = {name: set() for name in CODES}
    schemas = sorted(xsd_root.glob("*/CIN_schema_*.xsd"))
    assert len(schemas) >= 18
    for path in schemas:
        doc = etree.parse(str(path))
        for name in CODES:
            for element in doc.iterfind(f".//xs:element[@name='{name}']", ns):
                type_name = element.get("type", "")
                simple = doc.find(f".//xs:simpleType[@name='{type_name}']", ns)
                assert simple is not None, (path.name, name, type_name)
                found[name] |= {e.get("value", "") for e in simple.iterfind(".//xs:enumeration", ns)}
    assert {name: frozenset(codes) for name, codes in found.items()} == dict(CODES)
