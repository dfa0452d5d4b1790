"""Issue 14: no primary count (1 to 5 people) is narrower than the protection width, for an
attacker who gets both years, each with its terms, and every measure, and uses every relation
that holds.

The attacker (``interval_attacker.py``) imports nothing from ``ever6.disclosure``. Two
publications: what the tiny synthetic authority's web snapshot publishes (built once for the test
session), both years at once, and a county-shaped table aggregated here from made-up pupils (many
schools, small groups), so that every relation holds by construction rather than by the code
under test.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from ever6.disclosure import DisclosureRules, linked
from ever6.metrics.publication import school_nesting, suppress_metrics, unchanged_years
from tests.conftest import Published
from tests.disclosure.publication_attack import attack_publication, cross_year_sums, schools_of

WIDTH = 3
PROTECTED = DisclosureRules(protection_width=WIDTH)
TERMS = ("autumn", "spring", "summer")
STATUSES = {"cpp": 0.03, "cinp": 0.04, "cin_other": 0.05, "ever6_previous": 0.08, "cla": 0.02}
GROUPS = {"cwsw": ("cpp", "cinp", "cin_other", "ever6_previous"), "cin": ("cinp", "cin_other")}
LA = "886"


def test_the_tiny_authority_keeps_every_primary_count_wide_across_both_years(published: Published) -> None:
    """What the web snapshot publishes, both years together: readers get every year (trends).

    Each year is suppressed with its terms as one set; no relation links two years' figures
    (``docs/disclosure.md``), so the union is attacked at once and must hold as each year does.
    """
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        la = con.sql("SELECT la_code FROM run").fetchall()[0][0]
        register = con.sql("SELECT * FROM school").to_arrow_table()
        truth = con.sql("SELECT * FROM metric").to_arrow_table()
        out = con.sql("SELECT * EXCLUDE (figure) FROM metric_suppressed").to_arrow_table()
    finally:
        con.close()
    years = sorted(set(truth.column("academic_year").to_pylist()))
    assert len(years) >= 2, f"the tiny authority publishes {years}: no union of years to attack"
    found = attack_publication(truth, out, schools_of(register, la), width=WIDTH, only_primary=True)
    assert found.attack.hidden > 0, "no primary count to attack"
    assert {c[0] for c in found.attack.truth} == set(years)
    assert not found.narrow_primary, f"{len(found.narrow_primary)} narrow, e.g. {_some(found)}"


def test_no_relation_links_two_years(published: Published) -> None:
    """The candidate links between years a reader might try (the same sum both years, a sum that
    never falls or never rises) fail on the truth: every sum is over its own year's enrolments."""
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        truth = con.sql("SELECT * FROM metric").to_arrow_table().to_pylist()
    finally:
        con.close()
    sums = cross_year_sums(truth)
    assert len(sums) > 100
    assert not all(a == b for a, b in sums.values())
    assert not all(b <= a for a, b in sums.values())
    assert not all(b >= a for a, b in sums.values())


@dataclass(frozen=True)
class Pupil:
    status: str
    school: str
    sex: str
    terms: tuple[str, ...]
    persistent: bool
    suspensions: dict[str, int]
    permanent: str | None  # the term of a permanent exclusion


def county(seed: int, schools: int = 40, pupils: int = 6000) -> tuple[pa.Table, pa.Table]:
    """Made-up pupils in many schools, aggregated to the measures engine's long table, and the
    school register (phase, authority)."""
    rnd = random.Random(seed)
    register = [
        {"urn": str(100000 + s), "phase": rnd.choice(("Primary", "Primary", "Secondary", "Special")), "la_code": LA}
        for s in range(schools)
    ]
    for school in register[-8:]:
        school["la_code"] = "999"  # schools out of the authority
    roll: list[Pupil] = []
    for _ in range(pupils):
        draw = rnd.random()
        status = "not_cwsw"
        for name, share in STATUSES.items():
            if draw < share:
                status = name
                break
            draw -= share
        terms = tuple(t for t in TERMS if rnd.random() < 0.93) or ("autumn",)
        suspensions = {t: (rnd.choice((1, 1, 2, 3)) if rnd.random() < 0.04 else 0) for t in terms}
        permanent = rnd.choice(terms) if rnd.random() < 0.004 else None
        # Small schools and skewed sizes: many counts of 1 to 5.
        school = register[min(int(rnd.expovariate(1 / 25)), schools - 1)]["urn"]
        roll.append(Pupil(status, school, rnd.choice("FM"), terms, rnd.random() < 0.2, suspensions, permanent))
    phase = {r["urn"]: r["phase"] for r in register}
    in_la = {r["urn"]: "in LA" if r["la_code"] == LA else "out of LA" for r in register}

    sums: dict[tuple[str, str, str, str, str], float] = defaultdict(float)
    for p in roll:
        groups = [p.status, "all_pupils", *(g for g, parts in GROUPS.items() if p.status in parts)]
        columns = [("all", "all"), ("sex", p.sex), ("phase", phase[p.school]), ("in_la", in_la[p.school])]
        columns.append(("school", p.school))
        for period in (*p.terms, "year"):
            values = {
                "pupils": 1.0,
                "persistent": float(p.persistent),
                "suspensions": float(sum(p.suspensions.values()) if period == "year" else p.suspensions[period]),
                "permanent": float(p.permanent is not None and period in ("year", p.permanent)),
            }
            for g in groups:
                for b, v in columns:
                    for name, x in values.items():
                        sums[(period, g, b, v, name)] += x
    keys = sorted({k[:4] for k in sums})
    measures = {
        "pupils": ("pupils", None),
        "persistent_absence_rate": ("persistent", "pupils"),
        "suspension_rate": ("suspensions", "pupils"),
        "permanent_exclusion_rate": ("permanent", "pupils"),
    }
    rows: list[dict[str, Any]] = []
    for period, g, b, v in keys:
        for measure, (num, den) in measures.items():
            n = sums[(period, g, b, v, num)]
            d = None if den is None else sums[(period, g, b, v, den)]
            rows.append(
                {
                    "academic_year": "2024/25",
                    "period": period,
                    "measure": measure,
                    "group": g,
                    "breakdown": b,
                    "breakdown_value": v,
                    "numerator": n,
                    "denominator": d,
                    "value": n if d is None else (100 * n / d if d else None),
                }
            )
    return pa.Table.from_pylist(rows), pa.Table.from_pylist(register)


@pytest.fixture(scope="module")
def county_table() -> tuple[pa.Table, pa.Table]:
    return county(seed=14)


def test_a_county_shaped_table_keeps_every_primary_count_wide(
    county_table: tuple[pa.Table, pa.Table], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the batched programs over the suppressed sums run again after every few programs that
    suppressed something (``linked.AGAIN``: 3 here, 15 by default): primaries they settle get no
    program of their own, and must still be wide."""
    monkeypatch.setattr(linked, "AGAIN", 3)
    truth, register = county_table
    out = suppress_metrics(truth, rules=PROTECTED, nesting=school_nesting(register, LA))
    found = attack_publication(truth, out, schools_of(register, LA), width=WIDTH, only_primary=True)
    assert found.attack.hidden > 100  # many counts of 1 to 5 to protect
    assert not found.narrow_primary, f"{len(found.narrow_primary)} narrow, e.g. {_some(found)}"
    shown = sum(r is None for r in out.column("suppression_reason").to_pylist())
    assert shown > out.num_rows / 3  # and most of the table is still published


def test_programs_within_the_primary_period_keep_every_primary_count_wide(
    county_table: tuple[pa.Table, pa.Table], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every component treated as a large one (at la only components of 10,000 sums and more):
    programs tried first within the primary's period (a term with its year, or the year), the rest
    of the component held still, cubes (``disclosure.cubes``) tried before the passes and
    instead of programs, primaries of other schools, quantities and groups pushed together by
    one program, programs first over the primaries' own schools and a few partner schools
    (40 schools here; a breakdown of more than 16 values counts as wide, and 4 partners), and the
    passes over blocks of about 8 schools adding up alike, the rest held still: the
    perturbations found all these ways must protect as well."""
    monkeypatch.setattr(linked, "_RESTRICT_FROM", 0)
    monkeypatch.setattr(linked, "_NEAR_WIDE", 16)
    monkeypatch.setattr(linked, "_NEAR_PARTNERS", 4)
    monkeypatch.setattr(linked, "_BLOCK_VALUES", 8)
    found_cubes: list[bool] = []
    in_blocks: list[int] = []
    passes = linked._Blocks.moved

    def settled(self: Any, primaries: np.ndarray) -> np.ndarray:
        assert len(self.parts) > 3  # the schools in several blocks, besides the other breakdowns'
        moved: np.ndarray = passes(self, primaries)
        in_blocks.append(int(moved[primaries].sum()))
        return moved

    monkeypatch.setattr(linked._Blocks, "moved", settled)
    batches: list[bool] = []
    programs: list[Any] = []
    near = linked._Periods._near

    def nearby(self: Any, ks: list[int]) -> np.ndarray:
        programs.append(self)
        keep: np.ndarray = near(self, ks)
        assert keep.size < self.n  # a school's program holds most of the component still
        return keep

    class Counted(linked.Cubes):
        def find(self, k: int, cost: np.ndarray, limit: float) -> np.ndarray | None:
            y = super().find(k, cost, limit)
            found_cubes.append(y is not None)
            return y

    pushed = linked._Periods.perturb

    def counted(self: Any, ks: list[int], amount: float, *, whole: bool = True) -> np.ndarray | None:
        y = pushed(self, ks, amount, whole=whole)
        if len(ks) > 1:
            batches.append(y is not None)
        return y

    monkeypatch.setattr(linked, "Cubes", Counted)
    monkeypatch.setattr(linked._Periods, "perturb", counted)
    monkeypatch.setattr(linked._Periods, "_near", nearby)
    truth, register = county_table
    out = suppress_metrics(truth, rules=PROTECTED, nesting=school_nesting(register, LA))
    found = attack_publication(truth, out, schools_of(register, LA), width=WIDTH, only_primary=True)
    assert sum(in_blocks) > 100  # many primaries settled by the passes over blocks
    assert sum(found_cubes) > 50  # many by cubes
    assert sum(batches) > 5  # and many by a program pushing several
    assert sum(p.near_found for p in set(programs)) > 5  # and many among a few schools
    assert found.attack.hidden > 100
    assert not found.narrow_primary, f"{len(found.narrow_primary)} narrow, e.g. {_some(found)}"


def test_mid_sized_components_with_many_schools_restricted_keep_every_primary_count_wide(
    county_table: tuple[pa.Table, pa.Table], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule for mid-sized components alone (no component counts as large): those with a wide
    breakdown (the 40 schools, wide from 16 values here) are restricted, programs over a few
    schools and passes block by block, and the attacker still finds no primary count narrow."""
    monkeypatch.setattr(linked, "_RESTRICT_FROM", 10**9)
    monkeypatch.setattr(linked, "_RESTRICT_WIDE_FROM", 0)
    monkeypatch.setattr(linked, "_NEAR_WIDE", 16)
    monkeypatch.setattr(linked, "_BLOCK_VALUES", 8)
    restricted: list[bool] = []
    made = linked._Periods.__init__

    def noted(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        restricted.append(self.restricted)

    monkeypatch.setattr(linked._Periods, "__init__", noted)
    truth, register = county_table
    out = suppress_metrics(truth, rules=PROTECTED, nesting=school_nesting(register, LA))
    found = attack_publication(truth, out, schools_of(register, LA), width=WIDTH, only_primary=True)
    assert restricted
    assert all(restricted)  # every component with a primary here has the schools in it
    assert found.attack.hidden > 100
    assert not found.narrow_primary, f"{len(found.narrow_primary)} narrow, e.g. {_some(found)}"


def test_without_interval_protection_the_attacker_narrows_primary_counts(
    county_table: tuple[pa.Table, pa.Table],
) -> None:
    """What the tests above guard against: exact recovery alone is prevented, but bounds are not.

    One primary sum in ten (a fixed choice) is enough to show narrow ones (57 of its 233; 635 of
    all 2,262), at an eighth of the attacker's time; the tests above check every primary."""
    truth, register = county_table
    out = suppress_metrics(truth, rules=DisclosureRules(protection_width=0), nesting=school_nesting(register, LA))
    found = attack_publication(truth, out, schools_of(register, LA), width=WIDTH, only_primary=True, one_in=10)
    assert found.narrow_primary


def _some(found: Any) -> list[tuple[Any, tuple[int, int], float]]:
    return [(c, iv, found.attack.truth[c]) for c, iv in list(found.narrow_primary.items())[:3]]


def test_one_changed_term_re_suppresses_its_whole_year() -> None:
    partitions = pa.table(
        {
            "academic_year": ["2024/25"] * 4 + ["2025/26"] * 2,
            "period": ["autumn", "spring", "summer", "year", "autumn", "year"],
        }
    )
    same = {("2024/25", "autumn"), ("2024/25", "spring"), ("2024/25", "summer"), ("2024/25", "year")}
    assert unchanged_years(same | {("2025/26", "autumn")}, partitions) == same
    assert unchanged_years(same - {("2024/25", "spring")}, partitions) == set()
