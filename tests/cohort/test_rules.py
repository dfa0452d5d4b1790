"""The Ever6 CWSW rule (docs/domain.md section 2), one behaviour per test.

R is 31 March 2026 unless a test says otherwise, so the window starts after 31 March 2020.

Each test reads the cohort of a *scenario* (the function above it), which builds the warehouse
and names the runs of the rule it asks for: on DuckDB a test runs its own scenario; on Spark the
module's scenarios run together, once (``tests/support/engines.py``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ever6.config import CohortSettings
from ever6.warehouse import Warehouse
from tests.support.builders import Child, Episode, Plan, census_result, d, load, ssda903_result
from tests.support.engines import Ask, CohortRuns, OnEngine, Scenario, ask

R = "2026-03-31"

SCENARIOS: dict[str, Scenario] = {}


def scenario(build: Scenario) -> Scenario:
    SCENARIOS[build.__name__] = build
    return build


@pytest.fixture(scope="module")
def cohort_of(rule_engine: OnEngine, tmp_path_factory: pytest.TempPathFactory) -> CohortRuns:
    return CohortRuns(rule_engine, SCENARIOS, tmp_path_factory.mktemp)


def at(wh: Warehouse, as_at: str = R, *, strict: bool = False, max_age: int = 18) -> Ask:
    return ask(wh, d(as_at), CohortSettings(strict=strict, max_age=max_age))


def one_file(tmp_path: Path, *children: Child, ref: str = R) -> Warehouse:
    return load(tmp_path, census_result(tmp_path, ref, list(children)))


def assessed(referral: str, closure: str | None = None, reason: str | None = None, **kw: Any) -> Episode:
    return Episode(referral, closure, reason, assessed=[referral], **kw)


# --- the window ---------------------------------------------------------------------------------


@scenario
def window_boundary(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(
        tmp_path,
        Child("on-boundary", episodes=[assessed("2019-06-01", "2020-03-31", "RC1")]),
        Child("day-after", episodes=[assessed("2019-06-01", "2020-04-01", "RC1")]),
    )
    return {"R": at(wh)}


def test_episode_closed_on_the_window_start_is_out_and_a_day_later_is_in(cohort_of: CohortRuns) -> None:
    out = cohort_of(window_boundary)["R"]
    assert "on-boundary" not in out
    assert out["day-after"]["status"] == "EVER6_PREVIOUS"
    assert out["day-after"]["last_qualifying_date"] == date(2020, 4, 1)


@scenario
def open_episode(tmp_path: Path) -> dict[str, Ask]:
    return {"R": at(one_file(tmp_path, Child("a", episodes=[assessed("2025-11-01")])))}


def test_open_episode_runs_to_r_and_counts_as_cin_other(cohort_of: CohortRuns) -> None:
    out = cohort_of(open_episode)["R"]
    assert out["a"]["status"] == "CIN_OTHER"
    assert out["a"]["last_qualifying_date"] == d(R)
    assert out["a"]["cwsw"] is True


# --- what makes an episode qualify ---------------------------------------------------------------


@scenario
def nfa_referral(tmp_path: Path) -> dict[str, Ask]:
    ep = Episode("2024-01-01", nfa=True, cin_plans=[Plan("2024-02-01")], assessed=["2024-01-20"])
    return {"R": at(one_file(tmp_path, Child("a", episodes=[ep])))}


def test_nfa_referral_never_qualifies_even_with_a_plan(cohort_of: CohortRuns) -> None:
    assert cohort_of(nfa_referral)["R"] == {}


@scenario
def unknown_nfa(tmp_path: Path) -> dict[str, Ask]:
    ep = Episode("2024-01-01", nfa=None, assessed=["2024-01-20"])
    return {"R": at(one_file(tmp_path, Child("a", episodes=[ep])))}


def test_unknown_nfa_is_treated_as_not_nfa(cohort_of: CohortRuns) -> None:
    assert cohort_of(unknown_nfa)["R"]["a"]["status"] == "CIN_OTHER"


@scenario
def referral_only(tmp_path: Path) -> dict[str, Ask]:
    return {"R": at(one_file(tmp_path, Child("a", episodes=[Episode("2025-01-01", "2025-02-01", "RC1")])))}


def test_referral_with_no_assessment_and_no_plan_does_not_qualify(cohort_of: CohortRuns) -> None:
    assert cohort_of(referral_only)["R"] == {}


@scenario
def closed_not_in_need(tmp_path: Path) -> dict[str, Ask]:
    asks = {}
    for reason in ("RC8", "RC9"):
        folder = tmp_path / reason
        folder.mkdir()
        wh = one_file(
            folder,
            Child("nfa-closure", episodes=[assessed("2024-01-01", "2024-03-01", reason)]),
            Child(
                "with-plan",
                episodes=[
                    Episode(
                        "2024-01-01",
                        "2024-09-01",
                        reason,
                        assessed=["2024-01-10"],
                        cin_plans=[Plan("2024-02-01", "2024-08-01")],
                    )
                ],
            ),
        )
        asks[reason] = at(wh)
    return asks


@pytest.mark.parametrize("reason", ["RC8", "RC9"])
def test_assessment_closed_with_no_further_action_does_not_qualify(cohort_of: CohortRuns, reason: str) -> None:
    out = cohort_of(closed_not_in_need)[reason]
    assert "nfa-closure" not in out
    assert out["with-plan"]["status"] == "EVER6_PREVIOUS"


# --- dates after R: as known on R -------------------------------------------------------------------


@scenario
def records_after_r(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(
        tmp_path,
        Child("future-referral", episodes=[assessed("2026-04-02")]),
        Child("future-plan", episodes=[Episode("2026-01-10", cp_plans=[Plan("2026-04-15")])]),
        Child("future-assessment", episodes=[Episode("2026-01-10", assessed=["2026-04-20"])]),
        ref="2027-03-31",
    )
    return {"R": at(wh)}


def test_records_dated_after_r_are_ignored(cohort_of: CohortRuns) -> None:
    assert cohort_of(records_after_r)["R"] == {}


@scenario
def closure_after_r(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(tmp_path, Child("a", episodes=[assessed("2025-10-01", "2026-05-01", "RC8")]), ref="2027-03-31")
    return {"R": at(wh)}


def test_closure_after_r_means_open_at_r_and_its_reason_does_not_apply(cohort_of: CohortRuns) -> None:
    out = cohort_of(closure_after_r)["R"]
    assert out["a"]["status"] == "CIN_OTHER"
    assert out["a"]["last_qualifying_date"] == d(R)


@scenario
def plan_ending_after_r(tmp_path: Path) -> dict[str, Ask]:
    ep = Episode("2025-01-01", "2026-06-01", "RC1", cp_plans=[Plan("2025-02-01", "2026-05-30", "NEG")])
    return {"R": at(one_file(tmp_path, Child("a", episodes=[ep]), ref="2027-03-31"))}


def test_plan_ending_after_r_is_open_at_r(cohort_of: CohortRuns) -> None:
    assert cohort_of(plan_ending_after_r)["R"]["a"]["status"] == "CPP"


@scenario
def plan_ending_on_r(tmp_path: Path) -> dict[str, Ask]:
    ep = Episode("2025-01-01", cin_plans=[Plan("2025-02-01", R)])
    return {"R": at(one_file(tmp_path, Child("a", episodes=[ep])))}


def test_plan_ending_on_r_is_still_open_at_r(cohort_of: CohortRuns) -> None:
    assert cohort_of(plan_ending_on_r)["R"]["a"]["status"] == "CINP"


# --- plans ---------------------------------------------------------------------------------------


@scenario
def plan_without_end(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(
        tmp_path,
        Child("closed", episodes=[Episode("2023-01-01", "2024-01-10", "RC2", cin_plans=[Plan("2023-02-01")])]),
        Child("open", episodes=[Episode("2025-01-01", cin_plans=[Plan("2025-02-01")])]),
    )
    return {"default": at(wh), "strict": at(wh, strict=True)}


def test_plan_without_end_date_ends_when_its_episode_closes(cohort_of: CohortRuns) -> None:
    runs = cohort_of(plan_without_end)
    default, strict = runs["default"], runs["strict"]
    assert default["closed"]["status"] == "EVER6_PREVIOUS"
    assert strict["closed"]["last_qualifying_date"] == date(2024, 1, 10)
    assert default["open"]["status"] == "CINP"


@scenario
def precedence(tmp_path: Path) -> dict[str, Ask]:
    both = Episode("2025-01-01", cin_plans=[Plan("2025-01-10")], cp_plans=[Plan("2025-03-01", None, "EMO")])
    wh = load(
        tmp_path,
        census_result(
            tmp_path,
            R,
            [
                Child("cla", episodes=[Episode("2025-01-01", cp_plans=[Plan("2025-03-01", None, "NEG")])]),
                Child("cpp", episodes=[both]),
                Child("cinp", episodes=[Episode("2025-01-01", cin_plans=[Plan("2025-01-10")])]),
                Child("other", episodes=[assessed("2025-06-01")]),
                Child(
                    "previous",
                    episodes=[Episode("2022-01-01", "2023-01-01", "RC2", cin_plans=[Plan("2022-02-01", "2022-12-01")])],
                ),
            ],
        ),
        ssda903_result(tmp_path, 2026, [("cla", "2026-01-05", None)]),
    )
    return {"R": at(wh)}


def test_status_precedence(cohort_of: CohortRuns) -> None:
    out = cohort_of(precedence)["R"]
    assert {k: v["status"] for k, v in out.items()} == {
        "cla": "CLA",
        "cpp": "CPP",
        "cinp": "CINP",
        "other": "CIN_OTHER",
        "previous": "EVER6_PREVIOUS",
    }
    assert out["cla"]["cwsw"] is True
    assert out["cla"]["looked_after"] is True
    assert out["cpp"]["latest_category_of_abuse"] == "EMO"
    assert out["cpp"]["cp_plans"] == 1


# --- the child ----------------------------------------------------------------------------------


@scenario
def unborn(tmp_path: Path) -> dict[str, Ask]:
    child = Child("unborn", dob=None, episodes=[Episode("2026-01-01", cp_plans=[Plan("2026-02-01")])])
    return {"R": at(one_file(tmp_path, child))}


def test_unborn_children_are_not_counted(cohort_of: CohortRuns) -> None:
    assert cohort_of(unborn)["R"] == {}


@scenario
def born_after_r(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(tmp_path, Child("a", dob="2026-04-10", episodes=[assessed("2026-01-01")]), ref="2027-03-31")
    return {"R": at(wh)}


def test_child_born_after_r_is_not_counted(cohort_of: CohortRuns) -> None:
    assert cohort_of(born_after_r)["R"] == {}


@scenario
def deceased(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(
        tmp_path,
        Child("died-before", death="2026-03-31", episodes=[assessed("2025-01-01")]),
        Child("died-after", death="2026-04-01", episodes=[assessed("2025-01-01")]),
        ref="2027-03-31",
    )
    return {"R": at(wh)}


def test_deceased_children_are_not_counted_after_their_death(cohort_of: CohortRuns) -> None:
    assert set(cohort_of(deceased)["R"]) == {"died-after"}


@scenario
def eighteenth_birthday(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(
        tmp_path,
        Child("eighteen-on-r", dob="2008-03-31", episodes=[assessed("2025-01-01")]),
        Child("eighteen-tomorrow", dob="2008-04-01", episodes=[assessed("2025-01-01")]),
    )
    return {"R": at(wh)}


def test_eighteenth_birthday_on_r_leaves_the_cohort(cohort_of: CohortRuns) -> None:
    assert set(cohort_of(eighteenth_birthday)["R"]) == {"eighteen-tomorrow"}


@scenario
def leap_day(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(tmp_path, Child("leap", dob="2008-02-29", episodes=[assessed("2025-01-01")]))
    return {"28 February": at(wh, "2026-02-28"), "1 March": at(wh, "2026-03-01")}


def test_leap_day_birthday_comes_of_age_on_1_march(cohort_of: CohortRuns) -> None:
    runs = cohort_of(leap_day)
    assert "leap" in runs["28 February"]
    assert "leap" not in runs["1 March"]


@scenario
def max_age(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(tmp_path, Child("seventeen", dob="2008-09-01", episodes=[assessed("2025-01-01")]))
    return {"17": at(wh, max_age=17), "18": at(wh)}


def test_max_age_is_configurable(cohort_of: CohortRuns) -> None:
    runs = cohort_of(max_age)
    assert runs["17"] == {}
    assert set(runs["18"]) == {"seventeen"}


# --- strict ---------------------------------------------------------------------------------------


@scenario
def strict_plans(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(
        tmp_path,
        Child("assessed-only", episodes=[assessed("2024-01-01", "2024-06-01", "RC1")]),
        # The episode stays open into the window, but its plan ended before the window.
        Child(
            "old-plan",
            episodes=[Episode("2019-01-01", "2021-01-01", "RC2", cin_plans=[Plan("2019-02-01", "2020-03-31")])],
        ),
        Child(
            "plan-in-window",
            episodes=[Episode("2019-01-01", "2021-01-01", "RC2", cin_plans=[Plan("2019-02-01", "2020-04-01")])],
        ),
    )
    return {"default": at(wh), "strict": at(wh, strict=True)}


def test_strict_counts_only_plan_periods(cohort_of: CohortRuns) -> None:
    runs = cohort_of(strict_plans)
    assert set(runs["default"]) == {"assessed-only", "old-plan", "plan-in-window"}
    strict = runs["strict"]
    assert set(strict) == {"plan-in-window"}
    assert strict["plan-in-window"]["last_qualifying_date"] == date(2020, 4, 1)


@scenario
def strict_open_assessment(tmp_path: Path) -> dict[str, Ask]:
    wh = one_file(
        tmp_path,
        Child(
            "a",
            episodes=[
                Episode("2022-01-01", "2023-01-01", "RC2", cin_plans=[Plan("2022-02-01", "2022-12-01")]),
                assessed("2025-09-01"),
            ],
        ),
    )
    return {"strict": at(wh, strict=True)}


def test_strict_child_with_past_plan_and_open_assessed_episode_is_cin_other(cohort_of: CohortRuns) -> None:
    assert cohort_of(strict_open_assessment)["strict"]["a"]["status"] == "CIN_OTHER"


# --- looked-after children ------------------------------------------------------------------------


@scenario
def looked_after_only(tmp_path: Path) -> dict[str, Ask]:
    wh = load(
        tmp_path,
        ssda903_result(
            tmp_path,
            2026,
            [
                ("la-only", "2025-06-01", None),
                ("left-care", "2024-01-01", "2025-01-01"),
                ("dec-after-r", "2025-01-01", "2026-05-01"),
            ],
            [("la-only", "2015-01-01"), ("left-care", "2015-01-01"), ("dec-after-r", "2015-01-01")],
        ),
    )
    return {"R": at(wh)}


def test_looked_after_child_unknown_to_the_census_is_in_the_output_as_cla(cohort_of: CohortRuns) -> None:
    out = cohort_of(looked_after_only)["R"]
    assert set(out) == {"la-only", "dec-after-r"}
    assert out["la-only"]["status"] == "CLA"
    assert out["la-only"]["cwsw"] is False
    assert out["la-only"]["last_qualifying_date"] is None


# --- several files ----------------------------------------------------------------------------------


@scenario
def revised_episode(tmp_path: Path) -> dict[str, Ask]:
    open_cp = Child("a", episodes=[Episode("2024-06-01", cp_plans=[Plan("2024-07-01", None, "NEG")])])
    closed = Child(
        "a", episodes=[Episode("2024-06-01", "2025-09-01", "RC2", cp_plans=[Plan("2024-07-01", "2025-08-01", "NEG")])]
    )
    older = census_result(tmp_path, "2025-03-31", [open_cp])
    newer = census_result(tmp_path, "2026-03-31", [closed])
    wh = load(tmp_path, newer, older)  # the newer file imported first
    both = at(wh)
    # Rolling the newer file back brings the older version back.
    newest_batch = next(b for b in wh.batches() if b.reference_date == date(2026, 3, 31))
    wh.rollback(newest_batch.batch_id)
    return {"both files": both, "rolled back": at(wh)}


def test_later_file_revises_an_episode_whatever_the_import_order(cohort_of: CohortRuns) -> None:
    runs = cohort_of(revised_episode)
    out = runs["both files"]
    assert out["a"]["status"] == "EVER6_PREVIOUS"
    assert out["a"]["last_qualifying_date"] == date(2025, 9, 1)
    assert runs["rolled back"]["a"]["status"] == "CPP"


@scenario
def plan_missing_later(tmp_path: Path) -> dict[str, Ask]:
    with_plan = Child("a", episodes=[Episode("2025-01-01", cp_plans=[Plan("2025-02-01", None, "NEG")])])
    without = Child("a", episodes=[assessed("2025-01-01")])
    wh = load(tmp_path, census_result(tmp_path, "2025-03-31", [with_plan]), census_result(tmp_path, R, [without]))
    return {"R": at(wh)}


def test_plan_missing_from_a_later_file_still_counts(cohort_of: CohortRuns) -> None:
    # A return holds only its own year's activity: a plan's absence from a later file means
    # nothing, so the plan of the earlier file stands (open, it ends when its episode closes).
    out = cohort_of(plan_missing_later)["R"]["a"]
    assert out["status"] == "CPP"
    assert out["cp_plans"] == 1
    assert out["latest_category_of_abuse"] == "NEG"


@scenario
def union_over_files(tmp_path: Path) -> dict[str, Ask]:
    # 2024/25: a CP plan open at the year end, and an assessment with factor 3A.
    # 2025/26: the same plan, now ended, a new CIN plan, and a new assessment with factor 4B.
    year_one = Child(
        "a",
        episodes=[
            Episode("2024-05-01", cp_plans=[Plan("2024-06-01", None, "PHY")], assessed=["2024-05-20"], factors=["3A"])
        ],
    )
    year_two = Child(
        "a",
        episodes=[
            Episode(
                "2024-05-01",
                cp_plans=[Plan("2024-06-01", "2025-07-01", "NEG")],
                cin_plans=[Plan("2025-07-01")],
                assessed=["2025-06-20"],
                factors=["4B"],
            )
        ],
    )
    asks = {}
    for newest_first in (False, True):
        folder = tmp_path / f"newest-first-{newest_first}"
        folder.mkdir()
        files = [census_result(folder, "2025-03-31", [year_one]), census_result(folder, R, [year_two])]
        if newest_first:
            files.reverse()
        asks[f"newest first: {newest_first}"] = at(load(folder, *files))
    return asks


def test_plans_and_assessments_are_the_union_over_files_newest_version_winning(cohort_of: CohortRuns) -> None:
    for newest_first in (False, True):
        out = cohort_of(union_over_files)[f"newest first: {newest_first}"]["a"]
        assert out["status"] == "CINP"  # the CP plan ended in 2025/26's version; the CIN plan is open
        assert out["cp_plans"] == 1  # one plan in two files, not two
        assert out["latest_category_of_abuse"] == "NEG"
        assert out["assessment_factors"] == ["3A", "4B"]


@scenario
def older_files_only(tmp_path: Path) -> dict[str, Ask]:
    old = Child(
        "a", episodes=[Episode("2021-01-01", "2021-06-01", "RC2", cin_plans=[Plan("2021-02-01", "2021-05-01")])]
    )
    other = Child("b", episodes=[assessed("2025-01-01")])
    wh = load(tmp_path, census_result(tmp_path, "2021-03-31", [old]), census_result(tmp_path, R, [other]))
    return {"R": at(wh)}


def test_episodes_only_in_older_files_still_count(cohort_of: CohortRuns) -> None:
    assert set(cohort_of(older_files_only)["R"]) == {"a", "b"}


@scenario
def profile(tmp_path: Path) -> dict[str, Ask]:
    ep1 = Episode(
        "2021-01-01",
        "2022-01-01",
        "RC2",
        need="N2",
        cp_plans=[Plan("2021-02-01", "2021-09-01", "PHY")],
        assessed=["2021-01-20"],
        factors=["3A", "4B"],
    )
    ep2 = Episode(
        "2024-01-01",
        need="N1",
        cp_plans=[Plan("2024-02-01", None, "NEG")],
        assessed=["2024-01-20"],
        factors=["3A", "1B"],
    )
    return {"R": at(one_file(tmp_path, Child("a", episodes=[ep1, ep2])))}


def test_profile_columns(cohort_of: CohortRuns) -> None:
    out = cohort_of(profile)["R"]["a"]
    assert out["cp_plans"] == 2
    assert out["latest_category_of_abuse"] == "NEG"
    assert out["primary_need"] == "N1"
    assert out["assessment_factors"] == ["1B", "3A", "4B"]


@scenario
def yearly_returns(tmp_path: Path) -> dict[str, Ask]:
    # 2023/24: an episode of care open at the year end; 2024/25: the same episode with its DEC,
    # and the child's next episode; 2025/26: the child is no longer looked after, not in it.
    y2024 = ssda903_result(tmp_path, 2024, [("a", "2023-06-01", None)], [("a", "2012-05-01")])
    y2025 = ssda903_result(
        tmp_path, 2025, [("a", "2023-06-01", "2024-08-01"), ("a", "2024-10-01", "2024-12-01")], [("a", "2012-05-01")]
    )
    other = ssda903_result(tmp_path, 2026, [("b", "2025-06-01", None)], [("b", "2013-01-01")])
    asks = {}
    for newest_first in (False, True):
        folder = tmp_path / f"newest-first-{newest_first}"
        folder.mkdir()
        files = [y2024, y2025, other]
        wh = load(folder, *(reversed(files) if newest_first else files))
        for as_at in ("2024-03-31", "2024-09-01", "2024-11-01", R):
            asks[f"{newest_first} {as_at}"] = at(wh, as_at)
    return asks


def test_looked_after_episodes_are_the_union_of_yearly_returns(cohort_of: CohortRuns) -> None:
    runs = cohort_of(yearly_returns)
    for newest_first in (False, True):
        assert runs[f"{newest_first} 2024-03-31"]["a"]["status"] == "CLA"
        assert "a" not in runs[f"{newest_first} 2024-09-01"]  # between the two episodes, and never CIN
        assert runs[f"{newest_first} 2024-11-01"]["a"]["status"] == "CLA"
        assert "a" not in runs[f"{newest_first} {R}"]
        assert runs[f"{newest_first} {R}"]["b"]["status"] == "CLA"


# --- years since social work ended --------------------------------------------------------------


def closed(on: str, reason: str = "RC1") -> Episode:
    return assessed("2019-09-01", on, reason)


@scenario
def years_since(tmp_path: Path) -> dict[str, Ask]:
    # R = 31 March 2026: a year before is 31 March 2025, two years 31 March 2024, three 31 March 2023.
    wh = load(
        tmp_path,
        census_result(
            tmp_path,
            R,
            [
                Child("open", episodes=[assessed("2025-11-01")]),
                Child("cp-open", episodes=[Episode("2025-06-01", cp_plans=[Plan("2025-07-01", None, "NEG")])]),
                Child("closed-on-r", episodes=[closed(R)]),
                Child("day-before-r", episodes=[closed("2026-03-30")]),
                Child("year-less-a-day", episodes=[closed("2025-04-01")]),
                Child("one-year", episodes=[closed("2025-03-31")]),
                Child("two-less-a-day", episodes=[closed("2024-04-01")]),
                Child("two-years", episodes=[closed("2024-03-31")]),
                Child("three-less-a-day", episodes=[closed("2023-04-01")]),
                Child("three-years", episodes=[closed("2023-03-31")]),
                Child("window-start", episodes=[closed("2020-04-01")]),
                # the latest qualifying episode counts, not the first
                Child("two-episodes", episodes=[closed("2021-01-01"), assessed("2025-01-01", "2025-06-01", "RC1")]),
                # a later episode closed "no further action" after assessment is not social work that counts
                Child("later-nfa", episodes=[closed("2022-05-01"), assessed("2025-09-01", "2025-12-01", "RC8")]),
                # a CIN plan ended on 15 January 2024, its episode closed on 1 October 2025
                Child(
                    "plan-then-episode",
                    episodes=[
                        assessed("2023-06-01", "2025-10-01", "RC1", cin_plans=[Plan("2023-07-01", "2024-01-15")])
                    ],
                ),
            ],
        ),
        ssda903_result(tmp_path, 2026, [("looked-after", "2025-06-01", None)], [("looked-after", "2012-01-01")]),
    )
    return {"R": at(wh), "strict": at(wh, strict=True)}


def test_years_since_social_work_ended(cohort_of: CohortRuns) -> None:
    runs = cohort_of(years_since)
    assert {k: v["years_since"] for k, v in runs["R"].items()} == {
        "open": "open",
        "cp-open": "open",
        "closed-on-r": "open",  # open on R, so CIN_OTHER
        "looked-after": "open",
        "day-before-r": "under 1 year",
        "year-less-a-day": "under 1 year",
        "one-year": "1 year",
        "two-less-a-day": "1 year",
        "two-years": "2 years",
        "three-less-a-day": "2 years",
        "three-years": "3–5 years",
        "window-start": "3–5 years",
        "two-episodes": "under 1 year",
        "later-nfa": "3–5 years",
        "plan-then-episode": "under 1 year",
    }
    # Under the strict rule only plans count: the CIN plan ended 15 January 2024.
    assert runs["strict"]["plan-then-episode"]["years_since"] == "2 years"
    assert "open" not in runs["strict"]  # no plan ever
