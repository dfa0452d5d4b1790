"""The cohort from CIN census returns shaped as the DfE accepts them: each holds its year only.

The files are written here as XML by hand, as a local authority's case-management system would
write them, and go through the real reader and the ``ever6`` command, not a stand-in loader.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.test_cli import ever6

_HEADER = """<?xml version="1.0" encoding="utf-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>
      <ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>886</LEA><SoftwareCode>Test</SoftwareCode>
      <Release>1</Release><SerialNo>001</SerialNo><DateTime>{year}-05-01T10:00:00</DateTime></Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers>
        <LAchildID>C0001</LAchildID>
        <UPN>A886200101001</UPN>
        <PersonBirthDate>2012-05-01</PersonBirthDate>
        {sex}
      </ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2021-05-01</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode>
        <ReferralNFA>0</ReferralNFA>
        {activity}
      </CINdetails>
    </Child>
  </Children>
</Message>
"""

# The 2021/22 return: the assessment authorised and the CIN plan open in that year.
_ACTIVITY_2022 = """
        <Assessments>
          <AssessmentActualStartDate>2021-05-04</AssessmentActualStartDate>
          <AssessmentAuthorisationDate>2021-06-01</AssessmentAuthorisationDate>
          <FactorsIdentifiedAtAssessment><AssessmentFactors>3A</AssessmentFactors></FactorsIdentifiedAtAssessment>
        </Assessments>
        <CINPlanDates>
          <CINPlanStartDate>2021-06-15</CINPlanStartDate>
          <CINPlanEndDate>2022-02-01</CINPlanEndDate>
        </CINPlanDates>
"""


def _write(folder: Path, year: int, activity: str) -> Path:
    sex = "<GenderCurrent>2</GenderCurrent>" if year < 2025 else "<Sex>F</Sex>"
    path = folder / f"cin_{year}.xml"
    path.write_text(_HEADER.format(year=year, sex=sex, activity=activity), encoding="utf-8")
    return path


@pytest.fixture
def returns(tmp_path: Path) -> tuple[Path, Path]:
    # The 2024/25 return: the same episode, still open; its assessment and plan ended before
    # April 2024, so the DfE's rules (8696, 4013) keep them out of this year's file.
    return _write(tmp_path, 2022, _ACTIVITY_2022), _write(tmp_path, 2025, "")


def _cohort(home: Path, as_at: str) -> dict[str, dict[str, str]]:
    out = home / f"cohort-{as_at}.csv"
    done = ever6(home, "cohort", "export", "--as-at", as_at, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    with out.open(newline="", encoding="utf-8") as fh:
        return {row["la_child_id"]: row for row in csv.DictReader(fh)}


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest-first", "newest-first"])
def test_activity_of_earlier_returns_counts_whatever_the_import_order(
    tmp_path: Path, returns: tuple[Path, Path], newest_first: bool
) -> None:
    home = tmp_path / "home"
    files = list(reversed(returns)) if newest_first else list(returns)
    for path in files:
        done = ever6(home, "import", "cin-census", path)
        assert done.returncode == 0, done.stdout + done.stderr

    child = _cohort(home, "2025-03-31")["C0001"]
    assert child["status"] == "CIN_OTHER"
    assert child["assessment_factors"] == "3A"
    assert child["cwsw"] == "true"
    # Sex comes from the newest return, which uses the 2025 element.
    assert child["sex"] == "F"


def test_plan_of_an_earlier_year_gives_cinp_at_a_date_inside_it(tmp_path: Path, returns: tuple[Path, Path]) -> None:
    home = tmp_path / "home"
    for path in returns:
        assert ever6(home, "import", "cin-census", path).returncode == 0
    assert _cohort(home, "2021-12-31")["C0001"]["status"] == "CINP"


def test_rolling_the_newer_return_back_restores_what_was_there(tmp_path: Path, returns: tuple[Path, Path]) -> None:
    home = tmp_path / "home"
    older, newer = returns
    assert ever6(home, "import", "cin-census", older).returncode == 0
    before = _cohort(home, "2025-03-31")
    imported = ever6(home, "import", "cin-census", newer)
    assert imported.returncode == 0
    assert "as batch 2" in imported.stdout
    assert ever6(home, "imports", "rollback", "2").returncode == 0
    assert _cohort(home, "2025-03-31") == before
