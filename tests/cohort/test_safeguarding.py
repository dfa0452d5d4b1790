"""The events a school must tell the social worker of, found in the data, and who is allocated.

A handful of children described in a few lines each; every expected event is written out by hand.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pyarrow as pa
import pytest

from ever6.cohort.safeguarding import allocations, data_events, periods_at
from ever6.config import NotificationSettings
from ever6.warehouse import Warehouse
from tests.support.builders import Child, Episode, Plan, census_result, d, load, rows_result, ssda903_result

R = date(2026, 3, 31)
A, B, C, D, E = "A1", "B2", "C3", "D4", "E5"
SCHOOL, OTHER = "100001", "100002"


def _marks(upn: str, sessions: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [{"urn": SCHOOL, "upn": upn, "date": d(day), "session": s, "code": code} for day, s, code in sessions]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    tmp_path = tmp_path_factory.mktemp("safeguarding")
    children = [
        # A: CIN plan open from 1 September 2025.
        Child(A, upn="UA", episodes=[Episode("2025-08-20", cin_plans=[Plan("2025-09-01")])]),
        # B: plan and episode closed at the end of June 2025.
        Child(
            B,
            upn="UB",
            episodes=[Episode("2025-01-10", "2025-06-30", "RC1", cin_plans=[Plan("2025-02-01", "2025-06-30")])],
        ),
        # D: CP plan open.
        Child(D, upn="UD", episodes=[Episode("2025-05-01", cp_plans=[Plan("2025-05-10", category="NEG")])]),
        # E: CIN plan open.
        Child(E, upn="UE", episodes=[Episode("2025-05-01", cin_plans=[Plan("2025-05-10")])]),
    ]
    census = census_result(tmp_path, "2026-03-31", children)
    care = ssda903_result(tmp_path, 2026, [(C, "2025-04-01", None)], [(C, "2012-01-01")])
    enrol = [{"urn": SCHOOL, "upn": upn, "entry_date": d("2020-09-01")} for upn in ("UA", "UB", "UC")] + [
        {"urn": SCHOOL, "upn": "UD", "entry_date": d("2020-09-01"), "leaving_date": d("2026-01-15")},
        {"urn": SCHOOL, "upn": "UE", "entry_date": d("2020-09-01"), "leaving_date": d("2026-01-15")},
        {"urn": OTHER, "upn": "UE", "entry_date": d("2026-01-20")},  # E moved school: not removed
    ]
    pupils = rows_result(tmp_path, "pupils", {"pupil_enrolment": enrol}, year=2025)
    marks = _marks(
        "UA",
        [
            ("2025-10-06", "AM", "C2"),  # a part-time timetable starts
            ("2025-10-06", "PM", "C2"),
            ("2025-10-07", "AM", "C2"),
            ("2025-10-07", "PM", "/"),
            ("2025-10-08", "AM", "C2"),  # a second run
            ("2025-11-03", "AM", "N"),
            ("2025-11-03", "PM", "O"),
            ("2025-11-04", "AM", "N"),  # the third unexplained session in a row
            ("2025-11-04", "PM", "N"),  # the same run: no second event
            ("2025-11-05", "AM", "/"),
            ("2025-11-05", "PM", "N"),
            ("2025-11-06", "AM", "O"),  # a run of two: no event
            ("2025-11-06", "PM", "/"),
        ],
    ) + _marks("UB", [("2025-10-06", "AM", "C2")])  # B's plan closed: no event
    # E: exactly three unexplained sessions in a row, and no other N or O, so the fewest a run needs.
    marks += _marks("UE", [("2025-11-10", "AM", "N"), ("2025-11-10", "PM", "N"), ("2025-11-11", "AM", "O")])
    marks += _marks("UE", [("2025-11-11", "PM", "/"), ("2025-11-12", "AM", "C2")])  # a one-session timetable
    attendance = rows_result(tmp_path, "attendance", {"attendance_mark": marks})
    exclusions = rows_result(
        tmp_path,
        "exclusions",
        {
            "exclusion": [
                {"urn": SCHOOL, "upn": "UA", "start_date": d("2025-12-01"), "category": "SUSP", "sessions": 2.0},
                {"urn": SCHOOL, "upn": "UA", "start_date": d("2025-08-15"), "category": "SUSP"},  # before the referral
                {"urn": SCHOOL, "upn": "UB", "start_date": d("2025-09-10"), "category": "PERM"},  # plan closed
                {"urn": SCHOOL, "upn": "UC", "start_date": d("2025-09-12"), "category": "SUSP"},  # looked after
                {"urn": SCHOOL, "upn": "UD", "start_date": d("2026-04-02"), "category": "PERM"},  # after R
            ]
        },
    )
    cm = rows_result(
        tmp_path,
        "case-management",
        {
            "cm_identity": [
                {
                    "la_child_id": A,
                    "forename": "Ann",
                    "worker_name": "Sam Ortiz",
                    "worker_email": "sam@la.gov.uk",
                    "team": "North",
                },
                {"la_child_id": B, "worker_email": "kim@la.gov.uk", "team_email": "south@la.gov.uk"},
            ]
        },
    )
    return load(tmp_path, census, care, pupils, attendance, exclusions, cm)


LINKS = pa.table(
    {
        "la_child_id": [A, B, C, D, E, E],
        "urn": [SCHOOL, SCHOOL, SCHOOL, SCHOOL, SCHOOL, OTHER],
        "upn": ["UA", "UB", "UC", "UD", "UE", "UE"],
    }
)


def _events(wh: Warehouse, settings: NotificationSettings) -> set[tuple[str, str, str]]:
    table = data_events(wh.raw_tables(), ibis.memtable(LINKS), R, settings).to_pyarrow()
    return {(r["la_child_id"], r["kind"], r["event_date"].isoformat()) for r in table.to_pylist()}


def test_events_for_children_with_an_open_plan_on_the_day(warehouse: Warehouse) -> None:
    assert _events(warehouse, NotificationSettings()) == {
        (A, "part_time_timetable", "2025-10-06"),
        (A, "part_time_timetable", "2025-10-08"),
        (A, "unexplained_absence", "2025-11-04"),
        (A, "suspension", "2025-12-01"),
        (D, "removed_from_roll", "2026-01-15"),
        (E, "unexplained_absence", "2025-11-11"),
        (E, "part_time_timetable", "2025-11-12"),
    }


def test_looked_after_children_and_the_run_length_are_settings(warehouse: Warehouse) -> None:
    found = _events(warehouse, NotificationSettings(looked_after=True, absence_run=2))
    assert (C, "suspension", "2025-09-12") in found
    # Runs of two: N O (3 Nov) and N O (5-6 Nov); the four-session run raises one event, not two.
    assert {e for e in found if e[1] == "unexplained_absence"} == {
        (A, "unexplained_absence", "2025-11-03"),
        (A, "unexplained_absence", "2025-11-06"),
        (E, "unexplained_absence", "2025-11-10"),
    }
    assert len(found) == 9
    # E's three sessions are no run of four.
    assert {e for e in _events(warehouse, NotificationSettings(absence_run=4)) if e[1] == "unexplained_absence"} == {
        (A, "unexplained_absence", "2025-11-04"),
    }


def test_events_older_than_the_retention_period_are_not_raised(warehouse: Warehouse) -> None:
    found = _events(warehouse, NotificationSettings(retention_days=120))  # since 1 December 2025
    assert found == {(D, "removed_from_roll", "2026-01-15")}


def test_allocation_with_its_provenance_and_the_default_team(warehouse: Warehouse) -> None:
    rows = {
        r["la_child_id"]: r
        for r in allocations(warehouse.raw_tables(), R, NotificationSettings(default_team_email="mash@la.gov.uk"))
        .to_pyarrow()
        .to_pylist()
    }
    assert set(rows) == {A, B}
    assert (rows[A]["worker_email"], rows[A]["team"], rows[A]["team_email"]) == (
        "sam@la.gov.uk",
        "North",
        "mash@la.gov.uk",
    )
    assert (rows[A]["plan_open"], rows[A]["open_plans"]) == (True, "CIN,CINP")
    assert (rows[B]["plan_open"], rows[B]["team_email"]) == (False, "south@la.gov.uk")
    batch = warehouse.con.execute(
        "SELECT batch_id, source_file FROM import_batch WHERE format = 'case-management'"
    ).fetchall()
    assert {(r["batch_id"], r["source_file"]) for r in rows.values()} == {batch[0]}


@pytest.mark.parametrize("settings", [NotificationSettings(), NotificationSettings(looked_after=True, absence_run=2)])
def test_the_periods_given_materialised_give_the_same_events_and_allocations(
    warehouse: Warehouse, settings: NotificationSettings
) -> None:
    """The snapshot computes the open periods once for both (``periods_at``, materialised)."""
    from ever6.engines import cache

    raw = warehouse.raw_tables()
    periods = cache(periods_at(raw, R, settings))
    links = ibis.memtable(LINKS)
    assert (
        data_events(raw, links, R, settings, periods=periods)
        .to_pyarrow()
        .equals(data_events(raw, links, R, settings).to_pyarrow())
    )
    assert (
        allocations(raw, R, settings, periods=periods).to_pyarrow().equals(allocations(raw, R, settings).to_pyarrow())
    )
    # The periods are what both read: other periods (none open) give other answers.
    assert (
        not allocations(raw, R, settings, periods=periods.limit(0))
        .to_pyarrow()
        .equals(allocations(raw, R, settings).to_pyarrow())
    )
