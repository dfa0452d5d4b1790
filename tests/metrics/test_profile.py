"""The cohort's profile (``src/ever6/metrics/profile.py``) against counts made by hand on a small
CIN census, SSDA903 return and school roll written as records, not by the code under test."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest

from ever6.cohort import cohort
from ever6.disclosure import DisclosureRules
from ever6.metrics.profile import (
    DISABILITY_PREFIX,
    FACTOR_PREFIX,
    child_facts,
    profile_counts,
    profile_rows,
    profile_table,
    suppress_profile,
)
from tests.support.builders import Child, Episode, Plan, census_result, d, load, ssda903_result

R = "2026-03-31"

CHILDREN = [
    # 13 at R; an open, assessed episode with no plan: CIN_OTHER; domestic abuse twice (3A, 3B),
    # parental mental health; autism and a learning disability
    Child(
        "a",
        dob="2012-05-01",
        ethnicity="WBRI",
        disabilities=["AUT", "LD"],
        episodes=[Episode("2025-10-01", assessed=["2025-10-10"], factors=["3A", "3B", "4B"])],
    ),
    # 9 months old: a CP plan (neglect) open at R: CPP; substance misuse; no disability
    Child(
        "b",
        dob="2025-06-01",
        sex="M",
        disabilities=["NONE"],
        episodes=[
            Episode("2025-07-01", assessed=["2025-07-10"], factors=["1A"], cp_plans=[Plan("2025-07-20", None, "NEG")])
        ],
    ),
    # 5 on R itself (the band's first day): a CIN plan open at R: CINP; family dysfunction; no factors
    Child(
        "c",
        dob="2021-03-31",
        episodes=[Episode("2025-09-01", need="N5", assessed=["2025-09-05"], cin_plans=[Plan("2025-09-20")])],
    ),
    # 16 until 1 April 2026; closed in 2024 after a CP plan (physical abuse): EVER6_PREVIOUS
    Child(
        "e",
        dob="2009-04-01",
        episodes=[
            Episode(
                "2023-01-01",
                "2024-01-10",
                "RC1",
                assessed=["2023-01-05"],
                factors=["21"],
                cp_plans=[Plan("2023-02-01", "2023-12-01", "PHY")],
            )
        ],
    ),
    # a referral with no further action: in no output
    Child("n", dob="2014-01-01", episodes=[Episode("2026-01-05", nfa=True)]),
]


@pytest.fixture(scope="module")
def counts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], float]:
    folder: Path = tmp_path_factory.mktemp("profile")
    # f: looked after since May 2024, born 1 January 2015 (11), in no CIN census: CLA, not CWSW
    wh = load(
        folder,
        census_result(folder, R, CHILDREN),
        ssda903_result(folder, 2026, [("f", "2024-05-01", None)], [("f", "2015-01-01")]),
    )
    raw = wh.raw_tables()
    links = ibis.memtable(pa.table({"la_child_id": ["a", "c", "f"], "upn": ["U1", "U3", "U6"]}))
    # c's older record says E, the newer N: the newest wins; f's UPN has no roll record
    enrolment = ibis.memtable(
        pa.table(
            {
                "upn": ["U1", "U3", "U3", "U9"],
                "urn": ["100001", "100002", "100002", "100003"],
                "entry_date": [date(2019, 9, 1), date(2024, 9, 1), date(2025, 9, 1), date(2020, 9, 1)],
                "sen": ["K", "E", "N", "E"],
                "fsm_ever6": [True, True, False, True],
            }
        )
    )
    facts = child_facts(cohort(raw, d(R)), links, enrolment, d(R))
    rows = profile_rows(profile_counts(facts), d(R))
    out = {(r["group"], r["breakdown"], r["breakdown_value"]): r["numerator"] for r in rows}
    assert len(out) == len(rows)  # one row per cell
    return out


EXPECTED: dict[tuple[str, str], dict[str, float]] = {
    # (breakdown, value): {group: children}; groups not named are 0
    ("all", "all"): {
        "cpp": 1,
        "cinp": 1,
        "cin_other": 1,
        "ever6_previous": 1,
        "cin": 2,
        "cwsw": 4,
        "cla": 1,
        "all_children": 5,
    },
    ("age_band", "under 1"): {"cpp": 1, "cwsw": 1, "all_children": 1},
    ("age_band", "1 to 4"): {},
    ("age_band", "5 to 9"): {"cinp": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    ("age_band", "10 to 15"): {"cin_other": 1, "cin": 1, "cwsw": 1, "cla": 1, "all_children": 2},
    ("age_band", "16 and over"): {"ever6_previous": 1, "cwsw": 1, "all_children": 1},
    ("sex", "M"): {"cpp": 1, "cwsw": 1, "cla": 1, "all_children": 2},
    ("ethnicity", "WBRI"): {"cin_other": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    ("ethnicity", "not known"): {
        "cpp": 1,
        "cinp": 1,
        "cin": 1,
        "ever6_previous": 1,
        "cwsw": 3,
        "cla": 1,
        "all_children": 4,
    },
    ("disability", "disability"): {"cin_other": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    ("disability", "no disability"): {"cpp": 1, "cwsw": 1, "all_children": 1},
    ("disability", "not known"): {"cinp": 1, "cin": 1, "ever6_previous": 1, "cwsw": 2, "cla": 1, "all_children": 3},
    ("primary_need", "N5"): {"cinp": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    ("primary_need", "not known"): {"cla": 1, "all_children": 1},
    ("category_of_abuse", "NEG"): {"cpp": 1, "cwsw": 1, "all_children": 1},
    ("category_of_abuse", "PHY"): {"ever6_previous": 1, "cwsw": 1, "all_children": 1},
    ("category_of_abuse", "no child protection plan"): {
        "cinp": 1,
        "cin_other": 1,
        "cin": 2,
        "cwsw": 2,
        "cla": 1,
        "all_children": 3,
    },
    ("sen", "K"): {"cin_other": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    ("sen", "N"): {"cinp": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    ("sen", "not known"): {"cpp": 1, "ever6_previous": 1, "cwsw": 2, "cla": 1, "all_children": 3},
    ("fsm", "FSM"): {"cin_other": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    ("fsm", "not FSM"): {"cinp": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    (f"{FACTOR_PREFIX}Domestic abuse", "recorded"): {"cin_other": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    (f"{FACTOR_PREFIX}Domestic abuse", "not recorded"): {
        "cpp": 1,
        "cinp": 1,
        "cin": 1,
        "ever6_previous": 1,
        "cwsw": 3,
        "cla": 1,
        "all_children": 4,
    },
    (f"{FACTOR_PREFIX}Mental health", "recorded"): {"cin_other": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    (f"{FACTOR_PREFIX}Substance misuse (alcohol or drugs)", "recorded"): {"cpp": 1, "cwsw": 1, "all_children": 1},
    (f"{FACTOR_PREFIX}No factors identified", "recorded"): {"ever6_previous": 1, "cwsw": 1, "all_children": 1},
    (f"{FACTOR_PREFIX}Neglect", "recorded"): {},
    (f"{DISABILITY_PREFIX}Autism", "recorded"): {"cin_other": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    (f"{DISABILITY_PREFIX}Learning", "recorded"): {"cin_other": 1, "cin": 1, "cwsw": 1, "all_children": 1},
    (f"{DISABILITY_PREFIX}Mobility", "recorded"): {},
}
GROUPS = ("cpp", "cinp", "cin_other", "ever6_previous", "cin", "cwsw", "cla", "all_children")


@pytest.mark.parametrize(("breakdown", "value"), list(EXPECTED))
def test_profile_equals_counts_made_by_hand(
    counts: dict[tuple[str, str, str], float], breakdown: str, value: str
) -> None:
    expected = EXPECTED[(breakdown, value)]
    assert {g: counts[(g, breakdown, value)] for g in GROUPS} == {g: float(expected.get(g, 0)) for g in GROUPS}


def test_every_breakdown_adds_up_to_its_group(counts: dict[tuple[str, str, str], float]) -> None:
    breakdowns = {b for _, b, _ in counts} - {"all"}
    assert len(breakdowns) == 8 + 23 + 12  # single-valued, factor groups, disability types
    for b in breakdowns:
        for g in GROUPS:
            total = sum(n for (group, breakdown, _), n in counts.items() if (group, breakdown) == (g, b))
            assert total == counts[(g, "all", "all")], (g, b)


def _one_date_table(counts: dict[tuple[str, str, str], float]) -> pa.Table:
    rows: list[dict[str, Any]] = [
        {
            "as_at": R,
            "academic_year": "2025/26",
            "measure": "children",
            "group": g,
            "breakdown": b,
            "breakdown_value": v,
            "numerator": n,
        }
        for (g, b, v), n in counts.items()
    ]
    return profile_table(rows)


def test_shared_profile_hides_every_count_of_one_to_five_and_what_would_give_it_away(
    counts: dict[tuple[str, str, str], float],
) -> None:
    shared = suppress_profile(_one_date_table(counts), rules=DisclosureRules(protection_width=3)).to_pylist()
    by_key = {(r["group"], r["breakdown"], r["breakdown_value"]): r for r in shared}
    for key, n in counts.items():
        row = by_key[key]
        if 1 <= n <= 5:
            assert row["value"] == "c", key
            assert row["numerator"] is None, key
        elif row["value"] != "c":
            assert row["value"] == f"{n:.0f}", key
    # a shown zero beside a hidden count would let the total give it back: the rows stay protected
    for g in GROUPS:
        for b in {b for _, b, _ in counts}:
            cells = [r for (group, breakdown, _), r in by_key.items() if (group, breakdown) == (g, b)]
            hidden = [r for r in cells if r["value"] == "c"]
            assert len(hidden) != 1 or by_key[(g, "all", "all")]["value"] == "c", (g, b)
    assert {r["suppression_reason"] for r in shared} <= {None, "confidential"}
