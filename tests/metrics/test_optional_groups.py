"""Switching kinship care and early help on adds their groups to the published measures and
changes no other figure, before and after disclosure control; the new groups' figures equal
counts made by hand on the measures fixture of ``test_rules``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ever6.config import CohortSettings, Settings
from ever6.metrics.publication import suppress_metrics
from ever6.publish.pipeline import compute_measures
from tests.metrics.test_rules import COHORT, LINKS, build
from tests.support.builders import d, rows_result

R = date(2025, 3, 31)
REGISTER = [
    {"la_child_id": "c1", "birth_date": d("2012-01-01"), "arrangement": "sgo"},  # CPP, linked to U1
    # known only to the register: reaches pupil U2 (never CWSW) through the register's own UPN
    {"la_child_id": "x2", "upn": "U2", "birth_date": d("2012-03-01"), "arrangement": "cao"},
]
EARLY_HELP = [
    {"la_child_id": "c3", "birth_date": d("2011-05-01"), "start_date": d("2023-01-01")},  # linked to U3
    {"la_child_id": "x7", "upn": "U7", "birth_date": d("2008-06-01"), "start_date": d("2024-01-01")},
]
OPTIONAL = {"kinship", "early_help"}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    tmp: Path = tmp_path_factory.mktemp("optional")
    wh = build(
        tmp,
        [
            rows_result(tmp, "kinship-register", {"kinship_register": REGISTER}),
            rows_result(tmp, "early-help", {"early_help_episode": EARLY_HELP}),
        ],
    )
    raw = wh.raw_tables()
    out = {}
    for name, cohort in (("off", CohortSettings()), ("on", CohortSettings(kinship=True, early_help=True))):
        settings = Settings(home=tmp, cohort=cohort)
        out[name] = compute_measures(raw, COHORT, LINKS, settings, R, years=[2024])
    return out


def keyed(table: pa.Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    names = ("academic_year", "period", "measure", "group", "breakdown", "breakdown_value")
    return {tuple(r[n] for n in names): r for r in table.to_pylist()}


def test_switching_groups_on_changes_no_other_figure(published: dict[str, pa.Table]) -> None:
    off, on = keyed(published["off"]), keyed(published["on"])
    assert {k[3] for k in off} & OPTIONAL == set()
    assert {k: r for k, r in on.items() if k[3] not in OPTIONAL} == off  # row for row
    added = [k for k in on if k[3] in OPTIONAL]
    per_group = sum(1 for k in off if k[3] == "cpp")
    assert len(added) == 2 * per_group  # each new group has a row wherever a status group has


def test_suppressed_figures_are_unchanged_too(published: dict[str, pa.Table]) -> None:
    off = keyed(suppress_metrics(published["off"]))
    on = keyed(suppress_metrics(published["on"]))
    assert {k: r for k, r in on.items() if k[3] not in OPTIONAL} == off


def fig(published: dict[str, pa.Table], measure: str, group: str, breakdown: str = "all", value: str = "all") -> Any:
    r = keyed(published["on"])[("2024/25", "year", measure, group, breakdown, value)]
    return r["numerator"], r["denominator"]


def test_kinship_figures_by_hand(published: dict[str, pa.Table]) -> None:
    # U1 (10 possible, 1 authorised, 1 unauthorised) and U2 (10 possible, none missed)
    assert fig(published, "pupils", "kinship") == (2, None)
    assert fig(published, "overall_absence_rate", "kinship") == (2, 20)
    assert fig(published, "suspension_rate", "kinship") == (3, 2)  # U1's SUSP and FIXD, U2's SUSP
    assert fig(published, "attainment8_average", "kinship") == (40, 1)  # U2's
    # breakdowns keep each pupil's own status: U1 is CPP with need N1, U2 outside the cohort
    assert fig(published, "pupils", "kinship", "primary_need", "N1") == (1, None)
    assert fig(published, "pupils", "kinship", "primary_need", "not applicable") == (1, None)


def test_early_help_figures_by_hand(published: dict[str, pa.Table]) -> None:
    # U3 at two schools (4 possible, 2 unauthorised; then 6 possible); U7 is 16: not in the headline
    assert fig(published, "pupils", "early_help") == (2, None)
    assert fig(published, "overall_absence_rate", "early_help") == (2, 10)
    assert fig(published, "permanent_exclusion_rate", "early_help") == (1, 3)  # U3's; U3 x2 and U7 on roll
    assert fig(published, "attainment8_average", "early_help") == (20, 1)


def test_gaps_export_compares_the_new_groups_with_pupils_never_cwsw(published: dict[str, pa.Table]) -> None:
    from ever6.metrics.gaps import gaps

    year = published["on"].filter(pc.equal(published["on"].column("period"), "year"))
    (row,) = [
        r
        for r in gaps(year)
        if (r["measure"], r["group"], r["breakdown"]) == ("overall_absence_rate", "kinship", "all")
    ]
    # kinship 10.0% (2 of 20) against pupils never CWSW
    never = keyed(published["on"])[("2024/25", "year", "overall_absence_rate", "not_cwsw", "all", "all")]["value"]
    assert row["gap_vs_not_cwsw"] == f"{10.0 - never:.1f}"
    assert row["gap_vs_national"] is None  # no national figure for kinship care
