"""Live plan dates in the flow (``src/ever6/cohort/flow.py``): a case-management extract's plan
dates after the newest CIN census return are counted, those up to it are the census's; against
counts made by hand."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from ever6.cohort import cohort
from ever6.cohort.flow import flow
from tests.support.builders import Child, Episode, Plan, census_result, d, load, rows_result

CENSUS = "2026-03-31"  # the newest return
R = "2026-06-30"
CHILDREN = [
    # a CIN plan open at the census date; the extract ends it in May
    Child("a", episodes=[Episode("2025-10-01", assessed=["2025-10-10"], cin_plans=[Plan("2025-11-01")])]),
    Child("b", episodes=[Episode("2026-01-05", assessed=["2026-01-10"])]),  # a CP plan from April (extract)
    Child("c", episodes=[Episode("2026-01-10", assessed=["2026-01-12"])]),
]
EXTRACT = [
    {"la_child_id": "a", "cin_plan_start": d("2025-11-01"), "cin_plan_end": d("2026-05-10")},
    {"la_child_id": "b", "cp_plan_start": d("2026-04-20")},
    # dated up to the census: the census is the source for those (it holds no such plan); an end
    # after R has not happened yet
    {"la_child_id": "c", "cp_plan_start": d("2026-02-01"), "cp_plan_end": d("2026-07-15")},
    {"la_child_id": "d", "cin_plan_start": d("2026-05-01")},  # known only to the extract
]
EXPECTED = {
    (date(2025, 11, 1), "cin_plans_started", "CINP"): 1,  # a, from the census
    (date(2026, 5, 1), "cin_plans_ended", "CINP"): 1,  # a, from the extract (the census still has it open)
    (date(2026, 4, 1), "cp_plans_started", "CIN_OTHER"): 1,  # b
    (date(2026, 5, 1), "cin_plans_started", "not in cohort"): 1,  # d
}


def plan_events(tmp_path: Path, extract: list[dict[str, object]]) -> dict[tuple[date, str, str], int]:
    wh = load(
        tmp_path,
        census_result(tmp_path, CENSUS, CHILDREN),
        rows_result(tmp_path, "case-management", {"cm_identity": extract}),
    )
    raw = wh.raw_tables()
    statuses = cohort(raw, d(R)).select("la_child_id", "status")
    rows = flow(raw, statuses, d(R), months=12).to_pyarrow().to_pylist()
    return dict(Counter({(r["month"], r["event"], r["status"]): r["count"] for r in rows if "plans" in r["event"]}))


def test_plan_dates_after_the_census_come_from_the_extract(tmp_path: Path) -> None:
    assert plan_events(tmp_path, EXTRACT) == EXPECTED


def test_an_extract_without_plan_dates_leaves_the_census_flow(tmp_path: Path) -> None:
    assert plan_events(tmp_path, [{"la_child_id": "a"}]) == {(date(2025, 11, 1), "cin_plans_started", "CINP"): 1}
