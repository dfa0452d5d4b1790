"""The measures on a fixture small enough to compute by hand (DfE methodology, docs/domain.md §4).

Academic year 2024/25; the headline attendance figures count enrolments of pupils aged 5 to 15 on
31 August 2024. Every expected figure says where it comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest

from ever6.attendance import code_table
from ever6.cohort import current_tables
from ever6.cohort.localities import lookup_table
from ever6.config import MeasureSettings
from ever6.localities import Localities, from_areas
from ever6.metrics import Inputs, compute_metrics
from ever6.warehouse import Warehouse
from tests.support.builders import d, load, rows_result
from tests.support.engines import OnEngine, ScenarioRuns

SCHOOLS = [
    {"urn": "100001", "la_code": "886", "phase": "Primary", "type_code": "01"},
    {"urn": "100002", "la_code": "886", "phase": "Secondary", "type_code": "01"},
    {"urn": "100003", "la_code": "886", "phase": "Not applicable", "type_code": "14"},  # a PRU
    {"urn": "200001", "la_code": "999", "phase": "Secondary", "type_code": "28"},  # out of LA
]


def pupil(
    urn: str, upn: str, dob: str, entry: str = "2020-09-01", leaving: str | None = None, **kw: Any
) -> dict[str, Any]:
    return {
        "urn": urn,
        "upn": upn,
        "birth_date": d(dob),
        "entry_date": d(entry),
        "leaving_date": leaving and d(leaving),
        "sex": kw.get("sex", "F"),
        "ncyear": kw.get("ncyear", "8"),
        "fsm_ever6": kw.get("fsm", False),
        "sen": kw.get("sen", "N"),
    }


PUPILS = [
    pupil("100002", "U1", "2012-01-01", fsm=True),  # CPP
    pupil("100002", "U2", "2012-03-01", sex="M"),  # never CWSW
    pupil("100002", "U3", "2011-05-01", leaving="2024-10-15"),  # EVER6_PREVIOUS, moves school...
    pupil("200001", "U3", "2011-05-01", entry="2024-10-16"),  # ...to an out-of-LA school
    pupil("100002", "U4", "2013-02-01"),  # CINP, dual registered...
    pupil("100003", "U4", "2013-02-01", entry="2024-09-01"),  # ...at the PRU
    pupil("100001", "U5", "2016-01-01", ncyear="4"),  # no possible sessions at all
    pupil("100001", "U6", "2020-01-01", ncyear="R"),  # aged 4 on 31 August 2024: not in the headline
    pupil("100002", "U7", "2008-06-01", ncyear="11"),  # aged 16 on 31 August 2024: not in the headline
    pupil("100001", "U8", "2016-01-01", ncyear="4"),  # part-time timetable (C2)
    pupil("100002", "U9", "2012-07-01"),  # looked after, not CWSW
]


def school_days(n: int, start: date = date(2024, 9, 2)) -> list[date]:
    days, day = [], start
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def marks(urn: str, upn: str, codes: str, start: date = date(2024, 9, 2)) -> list[dict[str, Any]]:
    """Codes given as space-separated session marks, two sessions a day from ``start``."""
    out = []
    seq = codes.split()
    for i, code in enumerate(seq):
        day = school_days(i // 2 + 1, start)[-1]
        out.append({"urn": urn, "upn": upn, "date": day, "session": "AM" if i % 2 == 0 else "PM", "code": code})
    return out


MARKS = [
    *marks("100002", "U1", "/ \\ / \\ / \\ / \\ I N"),  # 10 possible, 1 authorised + 1 unauthorised
    *marks("100002", "U2", "/ \\ / \\ / \\ / \\ / \\ X"),  # 10 possible (X is not possible)
    *marks("100002", "U3", "/ \\ G G"),  # 4 possible, 2 unauthorised: 50%
    *marks("200001", "U3", "/ \\ / \\ / \\", start=date(2024, 10, 16)),  # 6 possible
    *marks("100002", "U4", "/ \\ D D D D"),  # 2 possible: D is not a possible session
    *marks("100003", "U4", "/ \\ / \\"),  # 4 possible at the PRU
    *marks("100001", "U5", "Y1 Y1 # #"),  # none possible: the enrolment does not count
    *marks("100001", "U6", "/ \\ I I"),
    *marks("100002", "U7", "/ \\ I I"),
    *marks("100001", "U8", "C2 C2 C2 C2 C2 / \\ / \\ /"),  # 10 possible, 5 authorised (C2)
    *marks("100002", "U9", "/ \\ / \\ / \\ / \\ / \\"),  # 10 possible
]

EXCLUSIONS = [
    {"urn": "100002", "upn": "U1", "start_date": d("2024-10-01"), "category": "SUSP", "sessions": 2.0},
    {"urn": "100002", "upn": "U1", "start_date": d("2025-01-10"), "category": "FIXD", "sessions": 1.0},
    {"urn": "100002", "upn": "U2", "start_date": d("2024-11-01"), "category": "SUSP", "sessions": 1.0},
    {"urn": "200001", "upn": "U3", "start_date": d("2025-02-01"), "category": "PERM", "sessions": None},
    {"urn": "100002", "upn": "U2", "start_date": d("2023-11-01"), "category": "SUSP", "sessions": 1.0},  # last year
]

ATTAINMENT = [
    {"upn": "U2", "urn": "100002", "academic_year": 2024, "measure": "ks4_attainment8", "value": 40.0},
    {"upn": "U3", "urn": "200001", "academic_year": 2024, "measure": "ks4_attainment8", "value": 20.0},
    {"upn": "U8", "urn": "100001", "academic_year": 2024, "measure": "ks2_rwm_expected", "value": 1.0},
    {"upn": "U1", "urn": "100002", "academic_year": 2024, "measure": "ks2_rwm_expected", "value": 0.0},
]

COHORT = pa.table(
    {
        "la_child_id": ["c1", "c3", "c4", "c9"],
        "status": ["CPP", "EVER6_PREVIOUS", "CINP", "CLA"],
        "cwsw": [True, True, True, False],
        "primary_need": ["N1", "N2", "N1", None],
        "years_since": ["open", "2 years", "open", "open"],
    }
)
LINKS = pa.table({"la_child_id": ["c1", "c3", "c4", "c9"], "upn": ["U1", "U3", "U4", "U9"]})


def build(tmp: Path, extra: list[Any] = ()) -> Warehouse:  # type: ignore[assignment]
    return load(
        tmp,
        rows_result(tmp, "schools", {"establishment": SCHOOLS}),
        rows_result(tmp, "pupils", {"pupil_enrolment": PUPILS}),
        rows_result(tmp, "attendance", {"attendance_mark": MARKS}),
        rows_result(tmp, "exclusions", {"exclusion": EXCLUSIONS}),
        rows_result(tmp, "attainment", {"attainment": ATTAINMENT}),
        *extra,
    )


Figures = dict[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True)
class Fixture:
    """A scenario's input to the measures: a warehouse, the cohort beside it and the settings."""

    wh: Warehouse
    cohort: pa.Table = field(default_factory=lambda: COHORT)
    settings: MeasureSettings = field(default_factory=MeasureSettings)
    localities: Localities | None = None


def metrics(on: OnEngine, fixture: Fixture, name: str) -> Callable[[], Figures]:
    """The measures of a fixture on an engine, as a function: its tables are bound to the engine
    now (one at a time), and the measures computed when it is called (on Spark, beside others)."""
    inputs = Inputs(
        tables=current_tables(on.raw(fixture.wh, views=name)),
        cohort=ibis.memtable(fixture.cohort),
        links=ibis.memtable(LINKS),
        codes=ibis.memtable(code_table()),
        la_code="886",
        settings=fixture.settings,
        localities=ibis.memtable(lookup_table(fixture.localities)) if fixture.localities else None,
    )

    def compute() -> Figures:
        table = compute_metrics(inputs, years=[2024])
        return {
            (r["period"], r["measure"], r["group"], r["breakdown"], r["breakdown_value"]): r for r in table.to_pylist()
        }

    return compute


SCENARIOS: dict[str, Callable[[Path], Fixture]] = {}


def scenario(make: Callable[[Path], Fixture]) -> Callable[[Path], Fixture]:
    SCENARIOS[make.__name__] = make
    return make


@pytest.fixture(scope="module")
def metrics_of(rule_engine: OnEngine, tmp_path_factory: pytest.TempPathFactory) -> ScenarioRuns[Fixture, Figures]:
    return ScenarioRuns(rule_engine, SCENARIOS, tmp_path_factory.mktemp, metrics)


@scenario
def base(tmp_path: Path) -> Fixture:
    return Fixture(build(tmp_path))


@pytest.fixture(scope="module")
def figures(metrics_of: ScenarioRuns[Fixture, Figures]) -> Figures:
    return metrics_of(base)


def fig(
    figures: dict[tuple[str, ...], dict[str, Any]],
    measure: str,
    group: str = "all_pupils",
    breakdown: str = "all",
    value: str = "all",
    period: str = "year",
) -> tuple[Any, Any, Any]:
    r = figures[(period, measure, group, breakdown, value)]
    return r["numerator"], r["denominator"], r["value"]


def test_enrolments_counted_by_dfe_rules(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    # U1, U2, U3 at each of two schools, U4 at each of two schools, U8, U9 = 8 enrolments.
    # U5 has no possible session; U6 is 4 and U7 is 16 on 31 August 2024.
    assert fig(figures, "pupils") == (8, None, 8)


def test_absence_rates(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    # possible 10+10+4+6+2+4+10+10 = 56; authorised 1 (U1 I) + 5 (U8 C2) = 6; unauthorised 1 + 2 = 3
    assert fig(figures, "overall_absence_rate") == (9, 56, 16.1)
    assert fig(figures, "authorised_absence_rate") == (6, 56, 10.7)
    assert fig(figures, "unauthorised_absence_rate") == (3, 56, 5.4)


def test_persistent_and_severe_absence_per_enrolment(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    # U1 20%, U3 at 100002 50%, U8 50%: 3 of 8 persistent; 2 of 8 severe. U3's other enrolment: 0%.
    assert fig(figures, "persistent_absence_rate") == (3, 8, 37.5)
    assert fig(figures, "severe_absence_rate") == (2, 8, 25.0)


def test_part_time_timetables_per_1000_sessions(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    assert fig(figures, "c2_per_1000_sessions") == (5, 56, 89.3)  # 5 / 56 x 1000


def test_groups(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    # CWSW: U1 (CPP), U3 twice (previous), U4 twice (CINP): possible 10+4+6+2+4 = 26, absence 2+2 = 4
    assert fig(figures, "pupils", "cwsw") == (5, None, 5)
    assert fig(figures, "overall_absence_rate", "cwsw") == (4, 26, 15.4)
    assert fig(figures, "persistent_absence_rate", "cwsw") == (2, 5, 40.0)
    assert fig(figures, "pupils", "cpp") == (1, None, 1)
    assert fig(figures, "pupils", "ever6_previous") == (2, None, 2)
    assert fig(figures, "pupils", "cinp") == (2, None, 2)
    assert fig(figures, "pupils", "cin_other") == (0, None, 0)
    assert fig(figures, "pupils", "cla") == (1, None, 1)  # U9, beside CWSW, not inside it
    assert fig(figures, "overall_absence_rate", "not_cwsw") == (5, 20, 25.0)  # U2 and U8


@scenario
def cla_inside_cwsw(tmp_path: Path) -> Fixture:
    cohort = COHORT.set_column(2, "cwsw", pa.array([True, True, True, True]))
    return Fixture(build(tmp_path), cohort, MeasureSettings(cla_in_cwsw=True))


def test_looked_after_children_can_be_counted_inside_cwsw(metrics_of: ScenarioRuns[Fixture, Figures]) -> None:
    assert fig(metrics_of(cla_inside_cwsw), "pupils", "cwsw") == (6, None, 6)


def test_breakdowns(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    # At 100002: U1, U2, U3 (to 15 October), U4 (main registration), U9: possible 10+10+4+2+10 = 36
    assert fig(figures, "pupils", breakdown="school", value="100002") == (5, None, 5)
    assert fig(figures, "overall_absence_rate", breakdown="school", value="100002") == (4, 36, 11.1)
    assert fig(figures, "pupils", breakdown="in_la", value="out of LA") == (1, None, 1)
    assert fig(figures, "pupils", breakdown="phase", value="Primary") == (1, None, 1)  # U8
    assert fig(figures, "pupils", "cwsw", "fsm", "FSM") == (1, None, 1)  # U1
    assert fig(figures, "pupils", "cwsw", "primary_need", "N1") == (3, None, 3)  # U1 and U4 twice
    assert fig(figures, "pupils", "not_cwsw", "primary_need", "not applicable") == (2, None, 2)
    assert fig(figures, "pupils", "cwsw", "years_since", "open") == (3, None, 3)  # U1 and U4 twice
    assert fig(figures, "pupils", "cwsw", "years_since", "2 years") == (2, None, 2)  # U3 twice
    assert fig(figures, "pupils", "cla", "years_since", "open") == (1, None, 1)  # U9
    assert fig(figures, "pupils", "all_pupils", "years_since", "not applicable") == (2, None, 2)  # U2, U8
    assert fig(figures, "pupils", breakdown="sex", value="M") == (1, None, 1)


def test_terms(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    # Every mark is in the autumn term, so autumn equals the year and spring has no enrolments.
    assert fig(figures, "overall_absence_rate", period="autumn") == (9, 56, 16.1)
    assert ("spring", "pupils", "all_pupils", "all", "all") not in figures


def test_suspensions_and_exclusions(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    # On roll in 2024/25: 11 enrolments (all ages). Suspensions: U1 twice (SUSP and FIXD), U2 once;
    # U2's 2023 suspension is last year. U3 permanently excluded at 200001.
    assert fig(figures, "suspension_rate") == (3, 11, 27.3)
    assert fig(figures, "one_plus_suspension_rate") == (2, 11, 18.2)
    assert fig(figures, "permanent_exclusion_rate") == (1, 11, 9.1)
    assert fig(figures, "suspension_rate", "cwsw") == (2, 5, 40.0)
    assert fig(figures, "permanent_exclusion_rate", "cwsw") == (1, 5, 20.0)
    assert fig(figures, "suspension_rate", period="autumn") == (2, 11, 18.2)  # 1 October and 1 November


def test_alternative_provision(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    assert fig(figures, "alternative_provision_share") == (1, 11, 9.1)  # U4 at the PRU
    assert fig(figures, "alternative_provision_share", "cwsw") == (1, 5, 20.0)


def test_attainment(figures: dict[tuple[str, ...], dict[str, Any]]) -> None:
    assert fig(figures, "attainment8_average") == (60, 2, 30.0)
    assert fig(figures, "attainment8_average", "cwsw") == (20, 1, 20.0)
    assert fig(figures, "ks2_rwm_expected_rate") == (1, 2, 50.0)
    assert fig(figures, "ks2_rwm_expected_rate", "cpp") == (0, 1, 0.0)
    assert fig(figures, "eyfs_gld_rate")[2] is None  # no results: not computable


@scenario
def termly_fills_terms(tmp_path: Path) -> Fixture:
    termly = rows_result(
        tmp_path,
        "attendance-termly",
        {
            "attendance_termly": [
                # U2 has marks in the autumn: these per-code counts for the same term are ignored.
                {"urn": "100002", "upn": "U2", "academic_year": 2024, "term": "autumn", "code": "I", "sessions": 50},
                # U2 in the spring: totals only.
                {
                    "urn": "100002",
                    "upn": "U2",
                    "academic_year": 2024,
                    "term": "spring",
                    "code": "*possible",
                    "sessions": 100,
                },
                {
                    "urn": "100002",
                    "upn": "U2",
                    "academic_year": 2024,
                    "term": "spring",
                    "code": "*authorised",
                    "sessions": 4,
                },
                {
                    "urn": "100002",
                    "upn": "U2",
                    "academic_year": 2024,
                    "term": "spring",
                    "code": "*unauthorised",
                    "sessions": 8,
                },
                # U9 in the spring: per-code counts (C2 is an authorised absence, K counts as attending).
                {"urn": "100002", "upn": "U9", "academic_year": 2024, "term": "spring", "code": "/", "sessions": 40},
                {"urn": "100002", "upn": "U9", "academic_year": 2024, "term": "spring", "code": "K", "sessions": 10},
                {"urn": "100002", "upn": "U9", "academic_year": 2024, "term": "spring", "code": "C2", "sessions": 10},
                {"urn": "100002", "upn": "U9", "academic_year": 2024, "term": "spring", "code": "#", "sessions": 6},
            ]
        },
    )
    return Fixture(build(tmp_path, [termly]))


def test_termly_returns_fill_terms_without_marks(metrics_of: ScenarioRuns[Fixture, Figures]) -> None:
    f = metrics_of(termly_fills_terms)
    # Spring: U2 12 of 100; U9 10 of 60.
    assert fig(f, "overall_absence_rate", period="spring") == (22, 160, 13.8)
    # C2 per 1,000 sessions whose codes are known: U9's 60, not U2's totals.
    assert fig(f, "c2_per_1000_sessions", period="spring") == (10, 60, 166.7)
    assert fig(f, "pupils", "cla", period="spring") == (1, None, 1)
    # The year: 56 + 160 possible, 9 + 22 absent.
    assert fig(f, "overall_absence_rate") == (31, 216, 14.4)


def _spring(upn: str, code: str, sessions: int) -> dict[str, Any]:
    return {"urn": "100002", "upn": upn, "academic_year": 2024, "term": "spring", "code": code, "sessions": sessions}


def test_a_resent_termly_return_counts_each_rows_newest_version_once(tmp_path: Path) -> None:
    # The measures read one batch of termly returns as it is and rank the rows of several
    # (rules._termly): here a school sends its spring return again with U2's authorised absence
    # corrected; U9's row is in the first return only. (DuckDB only: the ranking is the cohort's
    # current-version rule, tested on both engines in tests/cohort.)
    first = [_spring("U2", "*possible", 100), _spring("U2", "*authorised", 4), _spring("U9", "/", 40)]
    resent = [_spring("U2", "*possible", 100), _spring("U2", "*authorised", 10)]
    wh = build(
        tmp_path,
        [rows_result(tmp_path, "attendance-termly", {"attendance_termly": rows}) for rows in (first, resent)],
    )
    f = metrics(OnEngine("duckdb"), Fixture(wh), "resent")()
    # U2 10 of 100 (not 14 of 200), U9 0 of 40.
    assert fig(f, "overall_absence_rate", period="spring") == (10, 140, 7.1)
    assert fig(f, "pupils", period="spring") == (2, None, 2)


def test_a_termly_row_outside_the_three_terms_counts_in_the_year_only(tmp_path: Path) -> None:
    # The termly readers refuse a term other than autumn, spring or summer, but the warehouse does
    # not: a row written there by other means (here a return for the whole year) counts in the
    # year, as it always has, though the year's counts are otherwise the sum of the terms'
    # (rules.attendance_units). (DuckDB only: which sum is taken is decided in Python, the same
    # on both engines.)
    whole_year = [
        {"urn": "100002", "upn": "U2", "academic_year": 2024, "term": "whole year", "code": code, "sessions": n}
        for code, n in (("*possible", 20), ("*authorised", 2), ("*unauthorised", 1))
    ]
    wh = build(tmp_path, [rows_result(tmp_path, "attendance-termly", {"attendance_termly": whole_year})])
    f = metrics(OnEngine("duckdb"), Fixture(wh), "whole_year")()
    # The base year's 9 of 56 (test_absence_rates), and U2's 3 of 20.
    assert fig(f, "overall_absence_rate") == (12, 76, 15.8)
    assert fig(f, "pupils") == (8, None, 8)  # U2 is one enrolment still
    # No term has the row: the autumn is the base fixture's (every mark is in the autumn).
    assert fig(f, "overall_absence_rate", period="autumn") == (9, 56, 16.1)
    assert ("spring", "overall_absence_rate", "all_pupils", "all", "all") not in f


@scenario
def census_total(tmp_path: Path) -> Fixture:
    # The school census gives a pupil's possible sessions and their absence by code.
    termly = rows_result(
        tmp_path,
        "attendance-termly",
        {
            "attendance_termly": [
                {
                    "urn": "100002",
                    "upn": "U2",
                    "academic_year": 2024,
                    "term": "summer",
                    "code": "*possible",
                    "sessions": 120,
                },
                {"urn": "100002", "upn": "U2", "academic_year": 2024, "term": "summer", "code": "I", "sessions": 6},
                {"urn": "100002", "upn": "U2", "academic_year": 2024, "term": "summer", "code": "N", "sessions": 3},
            ]
        },
    )
    return Fixture(build(tmp_path, [termly]))


def test_a_census_total_beside_per_code_counts_is_not_counted_twice(metrics_of: ScenarioRuns[Fixture, Figures]) -> None:
    f = metrics_of(census_total)
    assert fig(f, "overall_absence_rate", period="summer") == (9, 120, 7.5)
    assert fig(f, "authorised_absence_rate", period="summer") == (6, 120, 5.0)
    assert fig(f, "c2_per_1000_sessions", period="summer") == (0, 120, 0.0)  # codes known: truly none


@scenario
def totals_only(tmp_path: Path) -> Fixture:
    termly = rows_result(
        tmp_path,
        "attendance-termly",
        {
            "attendance_termly": [
                {
                    "urn": "100002",
                    "upn": "U2",
                    "academic_year": 2024,
                    "term": "spring",
                    "code": "*possible",
                    "sessions": 100,
                },
                {
                    "urn": "100002",
                    "upn": "U2",
                    "academic_year": 2024,
                    "term": "spring",
                    "code": "*authorised",
                    "sessions": 4,
                },
            ]
        },
    )
    return Fixture(build(tmp_path, [termly]))


def test_part_time_timetables_are_not_available_from_totals_alone(metrics_of: ScenarioRuns[Fixture, Figures]) -> None:
    f = metrics_of(totals_only)
    assert fig(f, "c2_per_1000_sessions", period="spring") == (0, 0, None)  # not 0.0: unknown


@scenario
def roll_not_loaded(tmp_path: Path) -> Fixture:
    # U20 is on this year's roll only (joined in September 2025), but a termly return for
    # 2024/25 puts them at a school whose roll for that year was never loaded.
    joiner = rows_result(
        tmp_path,
        "pupils",
        {
            "pupil_enrolment": [
                pupil("100001", "U20", "2015-03-01", entry="2025-09-01", ncyear="6"),
            ]
        },
    )
    termly = rows_result(
        tmp_path,
        "attendance-termly",
        {
            "attendance_termly": [
                {
                    "urn": "300001",
                    "upn": "U20",
                    "academic_year": 2024,
                    "term": "autumn",
                    "code": "*possible",
                    "sessions": 100,
                },
                {
                    "urn": "300001",
                    "upn": "U20",
                    "academic_year": 2024,
                    "term": "autumn",
                    "code": "*authorised",
                    "sessions": 20,
                },
            ]
        },
    )
    return Fixture(build(tmp_path, [joiner, termly]))


def test_a_year_whose_roll_was_not_loaded_still_counts_its_pupils(metrics_of: ScenarioRuns[Fixture, Figures]) -> None:
    f = metrics_of(roll_not_loaded)
    # Aged 9 on 31 August 2024: counted, in Year 5 then (chronologically), at an unknown school.
    assert fig(f, "pupils", breakdown="ncyear", value="5", period="autumn") == (1, None, 1)
    assert fig(f, "persistent_absence_rate", breakdown="school", value="300001", period="autumn") == (1, 1, 100.0)
    assert fig(f, "pupils", breakdown="phase", value="unknown", period="autumn") == (1, None, 1)


@scenario
def left_and_came_back(tmp_path: Path) -> Fixture:
    # Two pupils leave 100002 in October 2024 and come back in January: each has two roll records
    # of the year at the school. U21 came back in Year 7 (was in Year 6); U22's new record has no
    # NC year (was wrongly Year 9).
    rolls = rows_result(
        tmp_path,
        "pupils",
        {
            "pupil_enrolment": [
                pupil("100002", "U21", "2013-02-01", leaving="2024-10-31", ncyear="6"),
                pupil("100002", "U21", "2013-02-01", entry="2025-01-06", ncyear="7"),
                pupil("100002", "U22", "2014-05-01", leaving="2024-10-31", ncyear="9"),
                pupil("100002", "U22", "2014-05-01", entry="2025-01-06", ncyear=None),
            ]
        },
    )
    came_back = [*marks("100002", "U21", "/ \\ / \\"), *marks("100002", "U22", "/ \\ / \\")]
    return Fixture(build(tmp_path, [rolls, rows_result(tmp_path, "attendance", {"attendance_mark": came_back})]))


def test_the_year_group_is_the_latest_roll_record_of_the_year(metrics_of: ScenarioRuns[Fixture, Figures]) -> None:
    f = metrics_of(left_and_came_back)
    # U21: Year 7, from the January record, in the year and in the autumn term it was marked in.
    assert fig(f, "pupils", breakdown="ncyear", value="7") == (1, None, 1)
    assert fig(f, "pupils", breakdown="ncyear", value="7", period="autumn") == (1, None, 1)
    # U22: the January record gives no NC year, so the chronological one: aged 10 on 31 August
    # 2024, Year 6; not the earlier record's Year 9.
    assert fig(f, "pupils", breakdown="ncyear", value="6") == (1, None, 1)
    assert ("year", "pupils", "all_pupils", "ncyear", "9") not in f
    # Each counted once (a unit is an enrolment, not a roll record): the base's 5 at 100002, and 2.
    assert fig(f, "pupils", breakdown="school", value="100002") == (7, None, 7)


# --- localities ---------------------------------------------------------------------------------

# Real Kent postcodes (src/ever6/data/postcode_units.csv): Canterbury is district CT1 and sector
# CT2 7; Swanley is district BR8.
PLACES = from_areas({"Canterbury": ["CT1", "CT2 7"], "Swanley": ["BR8"]})


@scenario
def with_localities(tmp_path: Path) -> Fixture:
    schools = [{**s, "postcode": {"100001": "CT1 1AA", "100002": "BR8 7AA"}.get(s["urn"])} for s in SCHOOLS]
    homes = {"U1": "CT2 7AB", "U2": "BR8 8AA", "U3": "CT2 8AA", "U8": "ct11ab"}
    pupils = [{**p, "postcode": homes.get(p["upn"])} for p in PUPILS]
    # U1's child lives in Swanley by the case-management record, whatever the roll says.
    identity = [{"la_child_id": "c1", "postcode": "BR8 7AA"}]
    wh = load(
        tmp_path,
        rows_result(tmp_path, "schools", {"establishment": schools}),
        rows_result(tmp_path, "pupils", {"pupil_enrolment": pupils}),
        rows_result(tmp_path, "attendance", {"attendance_mark": MARKS}),
        rows_result(tmp_path, "exclusions", {"exclusion": EXCLUSIONS}),
        rows_result(tmp_path, "attainment", {"attainment": ATTAINMENT}),
        rows_result(tmp_path, "case-management", {"cm_identity": identity}),
    )
    return Fixture(wh, localities=PLACES)


def test_locality_of_residence_and_of_school(metrics_of: ScenarioRuns[Fixture, Figures]) -> None:
    figures = metrics_of(with_localities)
    # Enrolments counted (8): U1, U2, U3 x2, U4 x2, U8, U9. Residence: U1 Swanley (its social-care
    # record), U2 Swanley (roll), U3 unknown (CT2 8 is not listed), U8 Canterbury, U4 and U9 none.
    assert fig(figures, "pupils", breakdown="locality", value="Swanley") == (2, None, 2)
    assert fig(figures, "pupils", "cwsw", "locality", "Swanley") == (1, None, 1)
    assert fig(figures, "pupils", breakdown="locality", value="Canterbury") == (1, None, 1)
    assert fig(figures, "pupils", breakdown="locality", value="unknown") == (5, None, 5)
    # Schools: 100001 (U8) in Canterbury, 100002 (U1, U2, U3, U4, U9) in Swanley, the others unknown.
    assert fig(figures, "pupils", breakdown="school_locality", value="Canterbury") == (1, None, 1)
    assert fig(figures, "pupils", breakdown="school_locality", value="Swanley") == (5, None, 5)
    assert fig(figures, "pupils", breakdown="school_locality", value="unknown") == (2, None, 2)


def test_without_localities_there_is_no_locality_breakdown(figures: Figures) -> None:
    assert not {k for k in figures if k[3] in ("locality", "school_locality")}
