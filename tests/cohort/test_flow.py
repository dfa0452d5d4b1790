"""Flow into and out of social care per month (``src/ever6/cohort/flow.py``), against counts made
by hand on a small CIN census built from records, not from the code under test."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import ibis
import pytest

from ever6.cohort import cohort
from ever6.cohort.flow import first_month, flow
from ever6.cohort.localities import lookup_table
from ever6.localities import from_areas
from tests.support.builders import Child, Episode, Plan, census_result, d, load, rows_result
from tests.support.engines import OnEngine

R = "2026-03-31"

CHILDREN = [
    # referred in January, assessed, a CIN plan from 1 February to 15 March; still open: CIN_OTHER
    Child("a", episodes=[Episode("2026-01-10", assessed=["2026-01-20"], cin_plans=[Plan("2026-02-01", "2026-03-15")])]),
    # referred before the range; its CP plan has no end and ends when the episode closes on 20 February
    Child(
        "b",
        episodes=[
            Episode(
                "2025-11-01", "2026-02-20", "RC1", assessed=["2025-11-15"], cp_plans=[Plan("2025-12-01", None, "NEG")]
            )
        ],
    ),
    # a referral with no further action: a referral, and its plan is ignored; not in the cohort
    Child("c", episodes=[Episode("2026-03-05", nfa=True, cp_plans=[Plan("2026-03-06", None, "NEG")])]),
    # referred, assessed and on a CP plan in February: CPP; a referral after R is not known yet
    Child(
        "d",
        episodes=[
            Episode("2026-02-02", assessed=["2026-02-10"], cp_plans=[Plan("2026-02-15", None, "PHY")]),
            Episode("2026-04-02", assessed=["2026-04-05"]),
        ],
    ),
    # closure and plan end after R: neither has happened at R; CINP
    Child(
        "e",
        episodes=[
            Episode(
                "2025-06-01", "2026-04-10", "RC1", assessed=["2025-06-20"], cin_plans=[Plan("2025-07-01", "2026-05-01")]
            )
        ],
    ),
    # assessed and closed "no further action" (RC8) in January: not in the cohort
    Child("f", episodes=[Episode("2026-01-05", "2026-01-25", "RC8", assessed=["2026-01-20"])]),
]

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
OUT = "not in cohort"
EXPECTED = {
    (JAN, "referrals", "CIN_OTHER"): 1,  # a
    (JAN, "referrals", OUT): 1,  # f
    (JAN, "assessments_authorised", "CIN_OTHER"): 1,  # a
    (JAN, "assessments_authorised", OUT): 1,  # f
    (JAN, "episodes_closed", OUT): 1,  # f
    (JAN, "net_change", "CIN_OTHER"): 1,
    (JAN, "net_change", OUT): 0,  # f in and out
    (FEB, "referrals", "CPP"): 1,  # d
    (FEB, "assessments_authorised", "CPP"): 1,  # d
    (FEB, "cin_plans_started", "CIN_OTHER"): 1,  # a
    (FEB, "cp_plans_started", "CPP"): 1,  # d
    (FEB, "cp_plans_ended", "EVER6_PREVIOUS"): 1,  # b, at its episode's closure
    (FEB, "episodes_closed", "EVER6_PREVIOUS"): 1,  # b
    (FEB, "net_change", "CPP"): 1,
    (FEB, "net_change", "EVER6_PREVIOUS"): -1,
    (MAR, "referrals", OUT): 1,  # c
    (MAR, "cin_plans_ended", "CIN_OTHER"): 1,  # a
    (MAR, "net_change", OUT): 1,
}


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("flow")


def test_monthly_flow_equals_counts_made_by_hand(rule_engine: OnEngine, warehouse_path: Path) -> None:
    folder = warehouse_path / rule_engine.name
    folder.mkdir()
    wh = load(folder, census_result(folder, R, CHILDREN))
    raw = rule_engine.raw(wh, views="flow")
    statuses = cohort(raw, d(R)).select("la_child_id", "status")
    rows = flow(raw, statuses, d(R), months=3).to_pyarrow().to_pylist()
    got = Counter({(r["month"], r["event"], r["status"]): r["count"] for r in rows})
    assert dict(got) == EXPECTED
    assert {r["locality"] for r in rows} == {None}  # no localities: the all-localities rows only
    assert len(rows) == len(EXPECTED)  # one row per (month, event, status)


# Two localities, North (district CT1) and South (sector BR8 7); where each child lives, from a
# case-management extract's postcodes (written as people write them).
AREAS = {"North": ["CT1"], "South": ["BR8 7"]}
POSTCODES = [
    {"la_child_id": "a", "postcode": "CT1 1AA"},  # North
    {"la_child_id": "d", "postcode": "ct12ab"},  # North
    {"la_child_id": "b", "postcode": "BR8 7XY"},  # South
    {"la_child_id": "f", "postcode": "br8 7ab"},  # South
    {"la_child_id": "e", "postcode": "BR8 1AA"},  # district BR8 is no locality's: unknown
    # c has no postcode: unknown
]
UNK = "unknown"
EXPECTED_BY_LOCALITY = {
    (JAN, "referrals", "CIN_OTHER", "North"): 1,  # a
    (JAN, "assessments_authorised", "CIN_OTHER", "North"): 1,  # a
    (JAN, "net_change", "CIN_OTHER", "North"): 1,
    (FEB, "cin_plans_started", "CIN_OTHER", "North"): 1,  # a
    (MAR, "cin_plans_ended", "CIN_OTHER", "North"): 1,  # a
    (FEB, "referrals", "CPP", "North"): 1,  # d
    (FEB, "assessments_authorised", "CPP", "North"): 1,  # d
    (FEB, "cp_plans_started", "CPP", "North"): 1,  # d
    (FEB, "net_change", "CPP", "North"): 1,
    (FEB, "cp_plans_ended", "EVER6_PREVIOUS", "South"): 1,  # b
    (FEB, "episodes_closed", "EVER6_PREVIOUS", "South"): 1,  # b
    (FEB, "net_change", "EVER6_PREVIOUS", "South"): -1,
    (JAN, "referrals", OUT, "South"): 1,  # f
    (JAN, "assessments_authorised", OUT, "South"): 1,  # f
    (JAN, "episodes_closed", OUT, "South"): 1,  # f
    (JAN, "net_change", OUT, "South"): 0,
    (MAR, "referrals", OUT, UNK): 1,  # c
    (MAR, "net_change", OUT, UNK): 1,
    # e (unknown) has nothing in the three months
}


def test_flow_by_locality_equals_counts_made_by_hand(tmp_path: Path) -> None:
    wh = load(
        tmp_path,
        census_result(tmp_path, R, CHILDREN),
        rows_result(tmp_path, "case-management", {"cm_identity": POSTCODES}),
    )
    raw = wh.raw_tables()
    statuses = cohort(raw, d(R)).select("la_child_id", "status")
    places = ibis.memtable(lookup_table(from_areas(AREAS)))
    rows = flow(raw, statuses, d(R), months=3, localities=places).to_pyarrow().to_pylist()
    every = {(r["month"], r["event"], r["status"]): r["count"] for r in rows if r["locality"] is None}
    assert every == EXPECTED  # the all-localities rows as without localities
    placed = [r for r in rows if r["locality"] is not None]
    assert {(r["month"], r["event"], r["status"], r["locality"]): r["count"] for r in placed} == EXPECTED_BY_LOCALITY
    assert len(placed) == len(EXPECTED_BY_LOCALITY)
    # Each locality's counts add up to the all-localities count.
    summed: Counter[tuple[date, str, str]] = Counter()
    for r in placed:
        summed[(r["month"], r["event"], r["status"])] += r["count"]
    assert {k: v for k, v in summed.items()} == EXPECTED


def test_first_month_counts_back_across_years() -> None:
    assert first_month(date(2026, 3, 31), 3) == date(2026, 1, 1)
    assert first_month(date(2026, 3, 31), 24) == date(2024, 4, 1)
    assert first_month(date(2026, 1, 1), 1) == date(2026, 1, 1)
    assert first_month(date(2026, 1, 15), 2) == date(2025, 12, 1)
