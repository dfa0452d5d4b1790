"""Disclosure control (docs/domain.md §6): hand-made examples of each rule, then an attacker.

The property tests generate additive tables (status groups summing to ``cwsw``, and ``cwsw`` +
``cla`` + ``not_cwsw`` summing to ``all_pupils``, × breakdown categories summing to ``all``), run
:func:`suppress`, and try to recover every hidden cell from what is published.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from fractions import Fraction
from itertools import product
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ever6.disclosure import (
    DEFAULT_GROUP_SUMS,
    DisclosureRules,
    MeasureSpec,
    for_school,
    group_sums,
    suppression,
)
from ever6.disclosure import suppress as suppress_shared
from ever6.disclosure._linear import certificate, determined
from tests.disclosure.attacker import Key, chain, dense_pinned, pinned, relations

SCHEMA = pa.schema(
    [
        ("measure", pa.string()),
        ("group", pa.string()),
        ("breakdown", pa.string()),
        ("breakdown_value", pa.string()),
        ("numerator", pa.float64()),
        ("denominator", pa.float64()),
        ("value", pa.float64()),
    ]
)
PUPILS = MeasureSpec("pupils", "count", True, False, numerator_quantity="pupils")
PA_RATE = MeasureSpec("persistent_absence_rate", "rate", True, True, "persistent", "pupils")
ABSENCE = MeasureSpec("overall_absence_rate", "rate", False, False, "absence", "possible")
SPECS = {s.name: s for s in (PUPILS, PA_RATE, ABSENCE)}
STATUSES = ("cpp", "cinp", "cin_other", "ever6_previous")
LEAVES = (*STATUSES, "cla", "not_cwsw")
GROUPS = (*LEAVES, "cwsw", "all_pupils")


def row(
    measure: str, group: str, breakdown: str, value: str, num: float | None, den: float | None = None
) -> dict[str, Any]:
    if measure == "pupils":
        figure = num
    elif num is None or not den:
        figure = None
    else:
        figure = round(num / den * 100, 1)
    return {
        "measure": measure,
        "group": group,
        "breakdown": breakdown,
        "breakdown_value": value,
        "numerator": num,
        "denominator": den,
        "value": figure,
    }


def counts(group: str, total: float, **by_sex: float) -> list[dict[str, Any]]:
    """A ``pupils`` row for the group's total and one per sex."""
    return [row("pupils", group, "all", "all", total)] + [row("pupils", group, "sex", k, v) for k, v in by_sex.items()]


def table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=SCHEMA)


def published(out: pa.Table) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    return {(r["measure"], r["group"], r["breakdown"], r["breakdown_value"]): r for r in out.to_pylist()}


ONE_GROUP: dict[str, tuple[str, ...]] = {}


def suppress(src: pa.Table, *args: Any, **kwargs: Any) -> pa.Table:
    """The internal version, whose reasons say why: what most tests here look at."""
    return suppress_shared(src, *args, reasons="internal", **kwargs)


def test_shared_outputs_give_one_reason_that_tells_nothing() -> None:
    """Example 4 of issue 14: "denominator 1-5" said the numerator was not 1 to 5, "secondary"
    that the cell was not 1 to 5. A shared output carries only the symbol and one reason."""
    rows = counts("cpp", 103, F=3, M=60, U=40)
    internal = published(suppress(table(rows), SPECS, group_sums=ONE_GROUP))
    shared = published(suppress_shared(table(rows), SPECS, group_sums=ONE_GROUP))
    assert {k for k, r in shared.items() if r["suppression_reason"]} == {
        k for k, r in internal.items() if r["suppression_reason"]
    }
    hidden = [r for r in shared.values() if r["suppression_reason"]]
    assert len(hidden) >= 2  # a primary and its secondary
    assert {(r["value"], r["suppression_reason"]) for r in hidden} == {("c", "confidential")}
    with pytest.raises(ValueError, match="shared"):
        suppress_shared(table(rows), SPECS, reasons="detailed")  # type: ignore[arg-type]


# --- primary ---------------------------------------------------------------------------------


def test_a_count_of_one_to_five_is_suppressed_and_blanked() -> None:
    out = published(suppress(table(counts("cpp", 103, F=3, M=60, U=40)), SPECS, group_sums=ONE_GROUP))
    cell = out[("pupils", "cpp", "sex", "F")]
    assert (cell["value"], cell["numerator"], cell["suppression_reason"]) == ("c", None, "primary: count 1-5")
    assert out[("pupils", "cpp", "all", "all")]["value"] == "103"


def test_zero_is_not_suppressed_unless_configured() -> None:
    rows = counts("cpp", 100, F=0, M=60, U=40)
    out = published(suppress(table(rows), SPECS, group_sums=ONE_GROUP))
    assert out[("pupils", "cpp", "sex", "F")]["value"] == "0"
    assert all(r["suppression_reason"] is None for r in out.values())
    strict = published(suppress(table(rows), SPECS, DisclosureRules(suppress_zero=True), group_sums=ONE_GROUP))
    assert strict[("pupils", "cpp", "sex", "F")]["suppression_reason"] == "primary: count 0"


def test_thresholds_are_configurable() -> None:
    rows = counts("cpp", 100, F=8, M=60, U=32)
    out = published(suppress(table(rows), SPECS, DisclosureRules(max_suppressed_count=9), group_sums=ONE_GROUP))
    assert out[("pupils", "cpp", "sex", "F")]["suppression_reason"] == "primary: count 1-9"


def test_a_rate_over_one_to_five_people_is_suppressed() -> None:
    rows = [
        *counts("cpp", 104, F=4, M=60, U=40),
        row("persistent_absence_rate", "cpp", "all", "all", 30, 104),
        row("persistent_absence_rate", "cpp", "sex", "F", 0, 4),
        row("persistent_absence_rate", "cpp", "sex", "M", 20, 60),
        row("persistent_absence_rate", "cpp", "sex", "U", 10, 40),
    ]
    out = published(suppress(table(rows), SPECS, group_sums=ONE_GROUP))
    cell = out[("persistent_absence_rate", "cpp", "sex", "F")]
    assert (cell["value"], cell["numerator"], cell["denominator"]) == ("c", None, None)
    assert cell["suppression_reason"] == "primary: denominator 1-5"


def test_a_rate_with_one_to_five_people_in_its_numerator_is_suppressed() -> None:
    rows = [
        *counts("cpp", 100, F=30, M=30, U=40),
        row("persistent_absence_rate", "cpp", "all", "all", 22, 100),
        row("persistent_absence_rate", "cpp", "sex", "F", 2, 30),
        row("persistent_absence_rate", "cpp", "sex", "M", 10, 30),
        row("persistent_absence_rate", "cpp", "sex", "U", 10, 40),
    ]
    out = published(suppress(table(rows), SPECS, group_sums=ONE_GROUP))
    assert out[("persistent_absence_rate", "cpp", "sex", "F")]["suppression_reason"] == "primary: numerator 1-5"
    # the denominator is the pupils count, which stays published: it does not give the numerator away
    assert out[("pupils", "cpp", "sex", "F")]["value"] == "30"


def test_a_session_rate_follows_the_pupils_behind_it() -> None:
    rows = [
        *counts("cpp", 104, F=4, M=60, U=40),
        row("overall_absence_rate", "cpp", "all", "all", 3000, 31200),
        row("overall_absence_rate", "cpp", "sex", "F", 100, 1200),
        row("overall_absence_rate", "cpp", "sex", "M", 1900, 18000),
        row("overall_absence_rate", "cpp", "sex", "U", 1000, 12000),
    ]
    out = published(suppress(table(rows), SPECS, group_sums=ONE_GROUP))
    assert out[("overall_absence_rate", "cpp", "sex", "F")]["suppression_reason"] == (
        "primary: pupils suppressed (count 1-5)"
    )
    # rates follow their counts into secondary suppression too
    assert out[("pupils", "cpp", "sex", "U")]["suppression_reason"] == "secondary: protects pupils/cpp/sex/F"
    assert out[("overall_absence_rate", "cpp", "sex", "U")]["suppression_reason"] == (
        "secondary: pupils suppressed (protects pupils/cpp/sex/F)"
    )
    assert out[("overall_absence_rate", "cpp", "sex", "M")]["value"] == "10.6"


def test_a_session_rate_without_its_people_count_is_refused() -> None:
    rows = [row("overall_absence_rate", "cpp", "all", "all", 3000, 31200)]
    with pytest.raises(ValueError, match="counts no people"):
        suppress(table(rows), SPECS)


# --- secondary -------------------------------------------------------------------------------


def test_secondary_in_a_breakdown_takes_the_next_smallest_category_not_the_total() -> None:
    out = published(suppress(table(counts("cpp", 63, F=3, M=50, U=10)), SPECS, group_sums=ONE_GROUP))
    assert out[("pupils", "cpp", "sex", "U")]["suppression_reason"] == "secondary: protects pupils/cpp/sex/F"
    assert out[("pupils", "cpp", "sex", "M")]["value"] == "50"
    assert out[("pupils", "cpp", "all", "all")]["value"] == "63"


def test_secondary_in_a_column_across_groups() -> None:
    rows = [
        row("pupils", "cpp", "all", "all", 4),
        row("pupils", "cinp", "all", "all", 40),
        row("pupils", "cin_other", "all", "all", 12),
        row("pupils", "ever6_previous", "all", "all", 300),
        row("pupils", "cwsw", "all", "all", 356),
    ]
    out = published(suppress(table(rows), SPECS, group_sums={"cwsw": STATUSES}))
    assert out[("pupils", "cin_other", "all", "all")]["suppression_reason"] == "secondary: protects pupils/cpp/all/all"
    assert [out[("pupils", g, "all", "all")]["value"] for g in ("cinp", "ever6_previous", "cwsw")] == [
        "40",
        "300",
        "356",
    ]


def test_secondary_in_both_directions_leaves_nothing_recoverable() -> None:
    rows = [
        *counts("cpp", 23, F=3, M=20),
        *counts("cinp", 55, F=30, M=25),
        *counts("cwsw", 78, F=33, M=45),
    ]
    out = published(suppress(table(rows), SPECS, group_sums={"cwsw": ("cpp", "cinp")}))
    hidden = {k[1:] for k, r in out.items() if r["value"] == "c"}
    # the 2x2 block: row and column sums each have two unknowns and the block has a degree of freedom
    assert hidden == {("cpp", "sex", "F"), ("cpp", "sex", "M"), ("cinp", "sex", "F"), ("cinp", "sex", "M")}


def test_measures_sharing_a_quantity_share_one_pattern() -> None:
    susp = MeasureSpec("suspension_rate", "rate", True, True, "suspensions", "roll", follows=())
    one_plus = MeasureSpec("one_plus_suspension_rate", "rate", True, True, "one_plus", "roll", follows=())
    rows = []
    for measure, nums in (("suspension_rate", (30, 10, 12, 8)), ("one_plus_suspension_rate", (12, 2, 6, 4))):
        rows.append(row(measure, "cpp", "all", "all", nums[0], 300))
        rows += [row(measure, "cpp", "sex", s, n, d) for s, n, d in zip("FMU", nums[1:], (100, 120, 80), strict=True)]
    specs = {s.name: s for s in (susp, one_plus)}
    out = published(suppress(table(rows), specs, group_sums=ONE_GROUP))
    for measure in specs:
        assert {k[3] for k, r in out.items() if k[0] == measure and r["value"] == "c"} == {"F", "U"}
    assert out[("suspension_rate", "cpp", "sex", "F")]["suppression_reason"] == (
        "primary: one_plus_suspension_rate suppressed (numerator 1-5)"
    )


# --- symbols and output ----------------------------------------------------------------------


def test_low_z_and_x() -> None:
    rows = [
        *counts("cpp", 100, F=50, M=50),
        row("overall_absence_rate", "cpp", "all", "all", 2, 30000),
        {**row("overall_absence_rate", "cpp", "sex", "F", 2, 15000), "value": 0.0},
        row("overall_absence_rate", "cpp", "sex", "M", 0, 15000),
        row("persistent_absence_rate", "cpp", "all", "all", 0, 0),
        {**row("persistent_absence_rate", "cpp", "sex", "F", None, None), "value": None},
    ]
    out = published(suppress(table(rows), SPECS, group_sums=ONE_GROUP))
    assert out[("overall_absence_rate", "cpp", "all", "all")]["value"] == "low"
    assert out[("overall_absence_rate", "cpp", "sex", "F")]["value"] == "low"
    assert out[("overall_absence_rate", "cpp", "sex", "M")]["value"] == "0.0"
    assert out[("persistent_absence_rate", "cpp", "all", "all")]["value"] == "z"
    assert out[("persistent_absence_rate", "cpp", "sex", "F")]["value"] == "x"


def test_output_keeps_rows_order_and_types_and_adds_the_reason() -> None:
    src = table(counts("cpp", 63, F=3, M=50, U=10))
    out = suppress(src, SPECS, group_sums=ONE_GROUP)
    assert out.column_names == [*src.column_names, "suppression_reason"]
    assert out.schema.field("value").type == pa.string()
    assert out.schema.field("numerator").type == pa.float64()
    assert out.column("breakdown_value").to_pylist() == src.column("breakdown_value").to_pylist()


def test_partitions_are_suppressed_separately() -> None:
    rows = [{**r, "academic_year": "2023/24"} for r in counts("cpp", 63, F=3, M=50, U=10)]
    rows += [{**r, "academic_year": "2024/25"} for r in counts("cpp", 70, F=10, M=50, U=10)]
    out = suppress(pa.Table.from_pylist(rows), SPECS, group_sums=ONE_GROUP)
    years = [r["academic_year"] for r in out.to_pylist() if r["value"] == "c"]
    assert years == ["2023/24", "2023/24"]


def test_bad_input_is_refused() -> None:
    rows = counts("cpp", 63, F=3, M=50, U=10)
    with pytest.raises(ValueError, match="no MeasureSpec"):
        suppress(table(rows), {})
    with pytest.raises(ValueError, match="unexpected columns"):
        suppress(pa.Table.from_pylist([{**r, "note": "x"} for r in rows]), SPECS)
    with pytest.raises(ValueError, match="two rows"):
        suppress(table(rows + rows[:1]), SPECS)
    with pytest.raises(ValueError, match="already been suppressed"):
        suppress(suppress(table(rows), SPECS), SPECS)


def test_default_group_sums_are_disjoint_statuses() -> None:
    assert DEFAULT_GROUP_SUMS == {"cwsw": STATUSES, "all_pupils": ("cwsw", "cla", "not_cwsw")}
    assert group_sums(cla_in_cwsw=True)["cwsw"] == (*STATUSES, "cla_cwsw")


# --- the linear step -------------------------------------------------------------------------


def test_a_bridge_between_protected_blocks_is_pinned_down() -> None:
    # rows r1..r4 = 0..3, columns c1..c4 = 4..7; two 2x2 blocks joined by the cell (r1, c3) = 8.
    rows_eq = {0: [10, 11, 8], 1: [12, 13], 2: [14, 15], 3: [16, 17]}
    cols_eq = {4: [10, 12], 5: [11, 13], 6: [8, 14, 16], 7: [15, 17]}
    equations = [[(v, 1) for v in vs] for vs in (*rows_eq.values(), *cols_eq.values())]
    assert determined(equations) == {8}
    blocks = [[(v, c) for v, c in eq if v != 8] for eq in equations]
    assert determined(blocks) == set()


def test_an_odd_cycle_is_pinned_down() -> None:
    assert determined([[(0, 1), (1, 1)], [(1, 1), (2, 1)], [(0, 1), (2, 1)]]) == {0, 1, 2}


# Small linear systems: n variables, up to 12 equations of up to 5 terms.
_SYSTEMS = st.integers(1, 10).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from([1, -1, 2])), min_size=1, max_size=5),
            max_size=12,
        ),
    )
)


@settings(max_examples=300, deadline=None)
@given(_SYSTEMS)
def test_the_sparse_solver_agrees_with_a_dense_one(system: tuple[int, list[list[tuple[int, int]]]]) -> None:
    n, equations = system
    assert determined(equations) == dense_pinned(n, equations)


@settings(max_examples=300, deadline=None)
@given(_SYSTEMS)
def test_a_certificate_combines_equations_into_the_variable(system: tuple[int, list[list[tuple[int, int]]]]) -> None:
    n, equations = system
    fixed = dense_pinned(n, equations)
    for target in range(n):
        multipliers = certificate(equations, target)
        if target not in fixed:
            assert multipliers is None
            continue
        assert multipliers is not None
        combined: dict[int, Fraction] = {}
        for e, y in multipliers.items():
            for var, c in equations[e]:
                combined[var] = combined.get(var, Fraction(0)) + y * c
        assert {v: c for v, c in combined.items() if c} == {target: 1}


def test_a_certificate_names_the_equations_it_needs() -> None:
    # x0 = x1 + x2, x1 + x2 = 7 (as a relation with x3 known), x4 unrelated: x0 from equations 0 and 1
    equations = [[(0, 1), (1, -1), (2, -1)], [(1, 1), (2, 1)], [(4, 1), (5, 1)]]
    assert certificate(equations, 0) == {0: 1, 1: 1}
    assert certificate(equations, 1) is None
    assert certificate(equations, 9) is None
    assert certificate([[(0, 2)]], 0) == {0: Fraction(1, 2)}


CIN_SUMS = {"cwsw": STATUSES, "cin": ("cinp", "cin_other")}


def cin_table(schools: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """``pupils`` for the four statuses, ``cwsw`` and ``cin`` (= ``cinp`` + ``cin_other``) by school."""

    def count(group: str, school: str) -> int:
        parts = {"cwsw": STATUSES, "cin": ("cinp", "cin_other")}.get(group, (group,))
        return sum(schools[school][p] for p in parts)

    rows = []
    for group in (*STATUSES, "cwsw", "cin"):
        rows.append(row("pupils", group, "all", "all", sum(count(group, s) for s in schools)))
        rows += [row("pupils", group, "school", s, count(group, s)) for s in schools]
    return rows


def hidden_and_attacked(out: pa.Table, schools: Sequence[str]) -> tuple[set[Key], set[Key]]:
    """The suppressed ``pupils`` cells, and those an attacker recovers (chains or linear algebra)."""
    shown = {k[1:]: r for k, r in published(out).items() if k[0] == "pupils"}
    known = {k: r["numerator"] for k, r in shown.items() if r["suppression_reason"] is None}
    rels = relations((*STATUSES, "cwsw", "cin"), {"school": list(schools)}, CIN_SUMS)
    recovered = {k for k in chain(known, rels) if k not in known} | pinned(known, rels)
    return set(shown) - set(known), recovered


def test_a_cell_derived_through_other_relations_is_protected_in_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """cin at S1 is cwsw - cpp - ever6_previous there, which none of cin's own relations breaks.

    Hiding the best shown cell of that derivation (cpp) protects it in one round; hiding cells of
    cin's own relations (other schools' cin) took 12 rounds and hid nearly the whole table.
    """
    schools = {
        "S1": {"cpp": 20, "cinp": 2, "cin_other": 2, "ever6_previous": 30},
        "S2": {"cpp": 25, "cinp": 12, "cin_other": 14, "ever6_previous": 31},
        "S3": {"cpp": 27, "cinp": 13, "cin_other": 11, "ever6_previous": 33},
        "S4": {"cpp": 29, "cinp": 15, "cin_other": 17, "ever6_previous": 35},
        "S5": {"cpp": 31, "cinp": 16, "cin_other": 19, "ever6_previous": 37},
    }
    solves = 0
    solve = suppression._recoverable

    def counted(grid: Any) -> set[int]:
        nonlocal solves
        solves += 1
        return solve(grid)

    monkeypatch.setattr(suppression, "_recoverable", counted)
    out = suppress(table(cin_table(schools)), SPECS, group_sums=CIN_SUMS)
    reasons = {k[1:]: r["suppression_reason"] for k, r in published(out).items() if k[0] == "pupils"}
    assert reasons[("cpp", "school", "S1")] == "secondary: protects pupils/cin/school/S1"
    assert solves == 2
    hidden, recovered = hidden_and_attacked(out, list(schools))
    assert len(hidden) == 10
    assert not recovered


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries({g: st.one_of(st.integers(0, 7), st.integers(0, 40)) for g in STATUSES}),
        min_size=1,
        max_size=6,
    )
)
def test_nothing_is_recoverable_through_overlapping_group_sums(counts: list[dict[str, int]]) -> None:
    schools = {f"S{i}": c for i, c in enumerate(counts)}
    out = suppress(table(cin_table(schools)), SPECS, group_sums=CIN_SUMS)
    hidden, recovered = hidden_and_attacked(out, list(schools))
    assert not recovered & hidden


def test_the_attacker_recovers_primary_suppression_alone() -> None:
    """The attacker used below is not toothless: primary suppression alone is undone."""
    rels = relations(["cpp"], {"sex": ["F", "M", "U"]}, {})
    known = {("cpp", "all", "all"): 63.0, ("cpp", "sex", "M"): 50.0, ("cpp", "sex", "U"): 10.0}
    assert chain(known, rels)[("cpp", "sex", "F")] == 3
    assert pinned(known, rels) == {("cpp", "sex", "F")}


# --- school view -----------------------------------------------------------------------------


def test_a_school_sees_its_own_rows_and_the_authority_wide_ones() -> None:
    rows = [
        row("pupils", "cpp", "all", "all", 60),
        row("pupils", "cpp", "school", "100001", 3),
        row("pupils", "cpp", "school", "100002", 50),
        row("pupils", "cpp", "school", "100003", 7),
        row("pupils", "cpp", "sex", "F", 30),
        row("pupils", "cpp", "sex", "M", 30),
    ]
    out = suppress(table(rows), SPECS, group_sums=ONE_GROUP)
    mine = for_school(out, "100001")
    assert [(r["breakdown"], r["breakdown_value"], r["value"]) for r in mine.to_pylist()] == [
        ("all", "all", "60"),
        ("school", "100001", "c"),
        ("sex", "F", "30"),
        ("sex", "M", "30"),
    ]
    with pytest.raises(ValueError, match="output of suppress"):
        for_school(table(rows), "100001")


# --- property-based: an attacker on random additive tables -----------------------------------


@st.composite
def additive_tables(draw: st.DrawFn) -> dict[str, Any]:
    """Pupil counts per leaf status and per combination of categories, then every published margin."""
    n_breakdowns = draw(st.integers(1, 2))
    columns = {
        name: [f"{name[0]}{i}" for i in range(draw(st.integers(1, 4)))] for name in ("sex", "phase")[:n_breakdowns]
    }
    small = st.integers(0, 7)
    size = st.one_of(small, small, st.integers(0, 80))
    leaves_published = draw(st.sampled_from([LEAVES, STATUSES, (*STATUSES, "cla")]))
    combos = list(product(*columns.values()))
    facts: dict[tuple[str, tuple[str, ...]], tuple[int, int, int, int]] = {}
    for leaf in leaves_published:
        for combo in combos:
            pupils = draw(size)
            persistent = draw(st.integers(0, pupils))
            possible = 300 * pupils
            absence = draw(st.integers(0, possible // 5))
            facts[(leaf, combo)] = (pupils, persistent, absence, possible)
    members: dict[str, tuple[str, ...]] = {leaf: (leaf,) for leaf in leaves_published}
    members["cwsw"] = STATUSES
    if leaves_published == LEAVES:
        members["all_pupils"] = LEAVES

    def total(group: str, breakdown: str | None, value: str | None) -> tuple[int, ...]:
        names = list(columns)
        sums = [0, 0, 0, 0]
        for (leaf, combo), f in facts.items():
            if leaf in members[group] and (breakdown is None or combo[names.index(breakdown)] == value):
                sums = [a + b for a, b in zip(sums, f, strict=True)]
        return tuple(sums)

    drop_zeros = draw(st.booleans())
    rows = []
    for group in members:
        cells = [("all", "all", total(group, None, None))]
        cells += [(b, v, total(group, b, v)) for b, values in columns.items() for v in values]
        for b, v, (pupils, persistent, absence, possible) in cells:
            if drop_zeros and b != "all" and pupils == 0:
                continue
            rows.append(row("pupils", group, b, v, pupils))
            rows.append(row("persistent_absence_rate", group, b, v, persistent, pupils))
            rows.append(row("overall_absence_rate", group, b, v, absence, possible))
    random.Random(draw(st.integers(0, 2**16))).shuffle(rows)
    return {"rows": rows, "missing_is_zero": drop_zeros and draw(st.booleans())}


QUANTITIES = {
    "pupils": [("pupils", "numerator"), ("persistent_absence_rate", "denominator")],
    "persistent": [("persistent_absence_rate", "numerator")],
    "absence": [("overall_absence_rate", "numerator")],
    "possible": [("overall_absence_rate", "denominator")],
}


def attack(src: pa.Table, out: pa.Table, missing_is_zero: bool) -> tuple[dict[str, set[Key]], dict[str, set[Key]]]:
    """For each quantity: the hidden cells recovered by chains, and those pinned by linear algebra."""
    truth = published(src)
    shown = published(out)
    groups = sorted({k[1] for k in truth} | set(GROUPS))
    columns: dict[str, list[str]] = {}
    for _, _, b, v in truth:
        if b != "all" and v not in columns.setdefault(b, []):
            columns[b].append(v)
    present_breakdowns = {(k[1], k[2]) for k in truth}
    rels = relations(groups, columns, DEFAULT_GROUP_SUMS)
    chained: dict[str, set[Key]] = {}
    solved: dict[str, set[Key]] = {}
    for quantity, sources in QUANTITIES.items():
        known: dict[Key, float] = {}
        for measure, part in sources:
            for (m, g, b, v), r in shown.items():
                if m == measure and r["suppression_reason"] is None:
                    known[(g, b, v)] = r[part]
        if missing_is_zero:
            for g in groups:
                for b, values in columns.items():
                    for v in values:
                        if (g, b) in present_breakdowns and ("pupils", g, b, v) not in truth:
                            known[(g, b, v)] = 0.0
        recovered = chain(known, rels)
        hidden = {k for k in recovered if k not in known}
        for k in hidden:  # the attacker's relations are real: whatever it solves is the truth
            source = truth.get((sources[0][0], *k))
            assert recovered[k] == (0 if source is None else source[sources[0][1]])
        chained[quantity] = {k for k in hidden if (sources[0][0], *k) in truth}
        solved[quantity] = {k for k in pinned(known, rels) if (sources[0][0], *k) in truth}
    return chained, solved


EXAMPLES = 400


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(additive_tables())
def test_no_suppressed_cell_can_be_recovered(case: dict[str, Any]) -> None:
    src = table(case["rows"])
    out = suppress(src, SPECS, missing_is_zero=case["missing_is_zero"])
    chained, solved = attack(src, out, case["missing_is_zero"])
    shown = published(out)
    for quantity, (measure, _) in ((q, s[0]) for q, s in QUANTITIES.items()):
        assert not chained[quantity], f"{quantity}: recovered by chain {sorted(chained[quantity])}"
        assert not solved[quantity], f"{quantity}: pinned down {sorted(solved[quantity])}"
        # and so in particular no suppressed 1-5 count, which is primary
        assert all(shown[(measure, *k)]["suppression_reason"] is not None for k in solved[quantity] | chained[quantity])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(additive_tables())
def test_shown_figures_are_the_input_and_every_hidden_one_has_a_reason(case: dict[str, Any]) -> None:
    src = table(case["rows"])
    out = suppress(src, SPECS, missing_is_zero=case["missing_is_zero"])
    truth = published(src)
    for key, r in published(out).items():
        t = truth[key]
        spec = SPECS[key[0]]
        people = [t["numerator"]] if spec.people_numerator else []
        people += [t["denominator"]] if spec.people_denominator else []
        pupils = truth[("pupils", *key[1:])]["numerator"]
        if any(1 <= p <= 5 for p in people) or 1 <= pupils <= 5:
            assert r["suppression_reason"] is not None, key
        if r["suppression_reason"] is not None:
            assert (r["value"], r["numerator"], r["denominator"]) == ("c", None, None)
            assert r["suppression_reason"].startswith(("primary: ", "secondary: "))
            continue
        assert (r["numerator"], r["denominator"]) == (t["numerator"], t["denominator"])
        if t["value"] is None:
            assert r["value"] == ("z" if t["denominator"] == 0 else "x")
        elif r["value"] == "low":
            assert t["value"] == 0
            assert t["numerator"] > 0
        else:
            assert float(r["value"]) == t["value"]


@settings(max_examples=100, deadline=None)
@given(additive_tables(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_row_order(case: dict[str, Any], rnd: random.Random) -> None:
    rows = list(case["rows"])
    first = published(suppress(table(rows), SPECS, missing_is_zero=case["missing_is_zero"]))
    rnd.shuffle(rows)
    assert published(suppress(table(rows), SPECS, missing_is_zero=case["missing_is_zero"])) == first


@st.composite
def school_tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    urns = [str(100000 + i) for i in range(draw(st.integers(1, 6)))]
    rows = []
    for group in STATUSES:
        per_school = [draw(st.integers(0, 30)) for _ in urns]
        rows.append(row("pupils", group, "all", "all", sum(per_school)))
        rows += [row("pupils", group, "school", u, n) for u, n in zip(urns, per_school, strict=True)]
    totals = {r["breakdown_value"]: 0.0 for r in rows}
    for r in rows:
        totals[r["breakdown_value"]] += r["numerator"]
    rows += [row("pupils", "cwsw", "all" if v == "all" else "school", v, n) for v, n in totals.items()]
    return rows


@settings(max_examples=200, deadline=None)
@given(school_tables(), st.integers(0, 5))
def test_a_school_never_sees_another_schools_row(rows: list[dict[str, Any]], pick: int) -> None:
    out = suppress(table(rows), SPECS)
    urns = sorted({r["breakdown_value"] for r in rows if r["breakdown"] == "school"})
    urn = urns[pick % len(urns)]
    view = for_school(out, urn).to_pylist()
    assert all(r["breakdown_value"] == urn for r in view if r["breakdown"] == "school")
    assert all(r in out.to_pylist() for r in view)  # nothing is shown that the suppressed table hides
    assert sum(r["breakdown"] != "school" for r in view) == sum(r["breakdown"] != "school" for r in rows)
