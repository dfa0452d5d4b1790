"""Kinship care and early help (``src/ever6/cohort/kinship.py``, ``early_help.py``, ``groups.py``)
against members listed by hand, on records written here from the DfE codes (not from the code
tables under test)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ever6.cohort import current_tables
from ever6.cohort.groups import enabled_groups, group_members
from ever6.cohort.kinship import kinship_children, kinship_codes
from ever6.config import CohortSettings
from tests.support.builders import Child, Episode, census_result, d, load, rows_result
from tests.support.engines import OnEngine

R = date(2026, 3, 31)


def episode(
    child: str, start: str, end: str | None = None, rec: str | None = None, place: str = "U4"
) -> dict[str, Any]:
    return {
        "la_child_id": child,
        "start_date": d(start),
        "end_date": end and d(end),
        "reason_episode_ceased": rec,
        "placement": place,
        "legal_status": "C2",
    }


LA_EPISODES = [
    episode("k1", "2020-01-01", "2022-06-30", "E45"),  # SGO to a relative: kinship (sgo)
    episode("k2", "2025-05-01", place="U3"),  # looked after at R with a connected person: kinship
    episode("k3", "2025-05-01", place="U4"),  # looked after at R with an unrelated foster carer: no
    episode("k4", "2018-01-01", "2019-02-01", "E47"),  # an SGO that broke down...
    episode("k4", "2025-01-01", place="U4"),  # ...back in care, unrelated carer at R: no
    episode("k7", "2015-01-01", "2016-01-01", "E41"),  # a residence order, but 18 by R: no
    episode("k11", "2019-01-01", "2020-01-01", "E11"),  # adopted: no
    episode("k12", "2026-01-01", "2026-04-15", "E43", place="U1"),  # SGO after R; at R placed with kin
]
LA_CHILDREN = [
    {"la_child_id": c, "birth_date": d(b), "sex": "F"}
    for c, b in [
        ("k1", "2012-01-01"),
        ("k2", "2013-01-01"),
        ("k3", "2013-01-01"),
        ("k4", "2011-01-01"),
        ("k7", "2007-01-01"),
        ("k11", "2016-01-01"),
        ("k12", "2014-01-01"),
    ]
]
CIN = [
    # assessed, closed to a special guardianship order: CWSW (ever6 previous) and kinship
    Child("k5", episodes=[Episode("2023-01-01", "2024-05-01", "RC4", assessed=["2023-01-15"])]),
    # closed to a child arrangements order after R: not known yet
    Child("k6", episodes=[Episode("2025-01-01", "2026-04-10", "RC3", assessed=["2025-01-15"])]),
    # closed with RC1 (adopted): no
    Child("k13", episodes=[Episode("2023-01-01", "2024-05-01", "RC1", assessed=["2023-01-15"])]),
]
REGISTER = [
    # only on the register: kinship, with the register's UPN and date of birth
    {
        "la_child_id": "k8",
        "upn": "A1",
        "birth_date": d("2015-01-01"),
        "arrangement": "kinship_foster",
        "start_date": d("2025-01-01"),
    },
    {"la_child_id": "k9", "birth_date": d("2015-01-01"), "arrangement": "cao", "end_date": d("2025-12-31")},  # ended
    {"la_child_id": "k10", "birth_date": d("2015-01-01"), "arrangement": "sgo", "start_date": d("2026-04-05")},
    # on the register as well as placed with kin: the register's arrangement wins
    {"la_child_id": "k2", "arrangement": "other_kinship"},
]
EARLY_HELP = [
    {"la_child_id": "e1", "birth_date": d("2014-01-01"), "start_date": d("2019-01-01"), "end_date": d("2020-06-30")},
    # ended on R - 6 years exactly: not open on any day of the window
    {"la_child_id": "e2", "birth_date": d("2014-01-01"), "start_date": d("2018-01-01"), "end_date": d("2020-03-31")},
    {"la_child_id": "e3", "birth_date": d("2014-01-01"), "start_date": d("2026-04-01")},  # starts after R
    {"la_child_id": "e4", "start_date": d("2025-01-01")},  # no date of birth anywhere: not counted
    {"la_child_id": "e5", "birth_date": d("2008-03-31"), "start_date": d("2025-01-01")},  # 18 on R
    {"la_child_id": "k5", "upn": "B5", "start_date": d("2022-01-01"), "end_date": d("2022-12-01")},  # DOB from CIN
]

KINSHIP = {"k1": "sgo", "k2": "other_kinship", "k5": "sgo", "k8": "kinship_foster", "k12": "kinship_foster"}
EARLY = {"e1", "k5"}


@pytest.fixture(scope="module")
def tables(rule_engine: OnEngine, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp: Path = tmp_path_factory.mktemp("groups")
    wh = load(
        tmp,
        census_result(tmp, "2026-03-31", CIN),
        rows_result(tmp, "ssda903", {"la_episode": LA_EPISODES, "la_child": LA_CHILDREN}, year=2026),
        rows_result(tmp, "kinship-register", {"kinship_register": REGISTER}),
        rows_result(tmp, "early-help", {"early_help_episode": EARLY_HELP}),
    )
    return current_tables(rule_engine.raw(wh, views="groups"))


def test_codes_are_those_of_the_dfe_lists() -> None:
    by_field = {(c.source, c.field): set() for c in kinship_codes()}
    for c in kinship_codes():
        by_field[(c.source, c.field)].add(c.code)
    assert by_field == {
        ("ssda903", "REC"): {"E41", "E43", "E44", "E45", "E46", "E47", "E48"},
        ("ssda903", "PLACE"): {"U1", "U2", "U3"},
        ("cin_census", "ReasonForClosure"): {"RC3", "RC4"},
    }
    assert all(c.reference for c in kinship_codes())


def test_kinship_members_by_hand(tables: Any) -> None:
    found = kinship_children(tables, R).to_pyarrow().to_pylist()
    members = group_members(tables, R, CohortSettings(kinship=True))
    assert members is not None
    kept = {r["la_child_id"] for r in members.to_pyarrow().to_pylist()}
    assert kept == set(KINSHIP)  # k7 (18 at R) is found by code but not counted
    assert {r["la_child_id"]: r["arrangement"] for r in found if r["la_child_id"] in kept} == KINSHIP
    assert "k7" in {r["la_child_id"] for r in found}


def test_early_help_members_by_hand(tables: Any) -> None:
    members = group_members(tables, R, CohortSettings(early_help=True))
    assert members is not None
    rows = members.to_pyarrow().to_pylist()
    assert {r["la_child_id"] for r in rows} == EARLY
    assert {r["la_child_id"]: r["upn"] for r in rows}["k5"] == "B5"


def test_both_groups_and_none(tables: Any) -> None:
    on = CohortSettings(kinship=True, early_help=True)
    assert enabled_groups(on) == ("kinship", "early_help")
    assert group_members(tables, R, CohortSettings()) is None
    members = group_members(tables, R, on)
    assert members is not None
    got = {(r["group"], r["la_child_id"]) for r in members.to_pyarrow().to_pylist()}
    assert got == {("kinship", c) for c in KINSHIP} | {("early_help", c) for c in EARLY}
