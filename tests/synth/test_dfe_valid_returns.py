"""The synthetic authority's returns are ones the DfE would accept: the year's DfE validation
rules (Data to Insight's validators, run as an import runs them) find no error in any CIN census
or SSDA903 file, and only the queries a real authority's returns have (docs/importing.md).

About 7 s of one core per file at the ``tiny`` scale (13 files), most of it the validators' own
work (reading the XML child by child into pandas frames, then the rules); their start-up (imports)
is about 1.2 s of it, so one validator process for every year would save little.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from ever6.formats import dfe_rules
from ever6.synth.scales import CIN_YEARS, LA_ONS_CODE, SSDA903_YEARS

# Queries ("please check") a real authority's return has, and why the synthetic one has them too.
REAL_QUERIES = {
    "8825Q": "closed RC8/RC9 in April, the assessment authorised in March: it is in the earlier return only",
    "2991Q": "a section 47 enquiry in a year whose assessment was authorised in an earlier year",
    "8873Q": "'no factors identified' on an assessment whose episode closes RC8/RC9 in the next year",
    "1560Q": "a FormerUPN that is a temporary UPN (ends in a letter), as the DfE's own format check reads it",
    "8569Q": "an NFA referral on a 1 April at a weekend: the rule's working-day sum puts it before the year",
    "8670Q": "an assessment open at 31 March, started more than 45 working days before: overdue, as some are",
}


@pytest.fixture(scope="module")
def returns(tiny_returns: Path) -> Path:
    """``tiny`` at seed 7, generated once a run (tests/synth/conftest.py)."""
    if not dfe_rules.validators_available():
        pytest.fail("the DfE validators' environment is missing: run `make validators` (part of `make install`)")
    return tiny_returns


@pytest.mark.slow
@pytest.mark.parametrize("year", CIN_YEARS)
def test_cin_census_file_passes_the_dfe_rules(returns: Path, year: int) -> None:
    path = returns / "cin_census" / f"cin_census_{year}.xml"
    report = dfe_rules.validate_cin_census(path)
    assert report.ruleset_year == max(min(year, 2027), 2023)  # the year's rules, or the nearest
    errors = sorted({(i.rule, i.message) for i in report.errors})
    assert not errors, errors
    assert {i.rule for i in report.queries} <= set(REAL_QUERIES), report.counts()
    children = sum(1 for _ in etree.parse(str(path)).iterfind("Children/Child"))
    assert len({i.child for i in report.queries}) <= 0.05 * children, report.counts()


@pytest.mark.slow
@pytest.mark.parametrize("year", SSDA903_YEARS)
def test_ssda903_return_passes_the_dfe_rules(returns: Path, year: int) -> None:
    tables = {t: returns / "ssda903" / f"ssda903_{year}_{t}.csv" for t in ("header", "episodes")}
    # The authority's ONS code, as the placement-location rules (1015, 411) compare with it.
    report = dfe_rules.validate_ssda903(tables, year, local_authority=LA_ONS_CODE)
    errors = sorted({(i.rule, i.message) for i in report.errors})
    assert not errors, errors
    assert not report.queries, report.counts()
