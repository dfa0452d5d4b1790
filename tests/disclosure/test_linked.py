"""The linked check (issue 14): no suppressed count narrower than the protection width.

Each test works out the feasible interval of every hidden cell itself, by linear programming over
the relations a reader knows (breakdowns sum to ``all``, group sums, terms sum to the year,
counts are not negative), written here apart from ``ever6.disclosure``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from scipy.optimize import linprog
from scipy.sparse import csc_matrix

from ever6.disclosure import DisclosureRules, MeasureSpec, linked, suppress

PUPILS = MeasureSpec("pupils", "count", True, False, numerator_quantity="pupils", follows=())
SPECS = {"pupils": PUPILS}
PROTECTED = DisclosureRules(protection_width=3)
Cell = tuple[str, str, str, str]  # period, group, breakdown, value


def table(cells: Mapping[Cell, int]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "academic_year": "2024/25",
                "period": p,
                "measure": "pupils",
                "group": g,
                "breakdown": b,
                "breakdown_value": v,
                "numerator": float(x),
                "denominator": None,
                "value": float(x),
            }
            for (p, g, b, v), x in cells.items()
        ],
        schema=pa.schema(
            [
                ("academic_year", pa.string()),
                ("period", pa.string()),
                ("measure", pa.string()),
                ("group", pa.string()),
                ("breakdown", pa.string()),
                ("breakdown_value", pa.string()),
                ("numerator", pa.float64()),
                ("denominator", pa.float64()),
                ("value", pa.float64()),
            ]
        ),
    )


def intervals(out: pa.Table, relations: Sequence[tuple[Cell, Sequence[Cell]]]) -> dict[Cell, tuple[float, float]]:
    """Each hidden cell's [min, max] given the shown cells, the relations and non-negativity."""
    rows = out.to_pylist()
    key = {(r["period"], r["group"], r["breakdown"], r["breakdown_value"]): r for r in rows}
    hidden = sorted(k for k, r in key.items() if r["suppression_reason"] is not None)
    col = {k: i for i, k in enumerate(hidden)}
    a_eq, b_eq = [], []
    for total, parts in relations:
        coef = np.zeros(len(hidden))
        rhs = 0.0
        for c, sign in ((total, -1.0), *((p, 1.0) for p in parts)):
            if c in col:
                coef[col[c]] += sign
            else:
                rhs -= sign * float(key[c]["numerator"])
        if coef.any():
            a_eq.append(coef)
            b_eq.append(rhs)
    out_intervals = {}
    for c, i in col.items():
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(hidden))
            objective[i] = sign
            res = linprog(objective, A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None, bounds=(0, None))
            ends.append(sign * res.fun if res.status == 0 else np.inf)
        out_intervals[c] = (np.ceil(ends[0] - 1e-6), np.floor(ends[1] + 1e-6))
    return out_intervals


def sex_rows(period: str, group: str, total: int, **by_sex: int) -> dict[Cell, int]:
    return {(period, group, "all", "all"): total, **{(period, group, "sex", k): v for k, v in by_sex.items()}}


def sex_relations(periods: Sequence[str], groups: Sequence[str]) -> list[tuple[Cell, list[Cell]]]:
    return [((p, g, "all", "all"), [(p, g, "sex", s) for s in ("F", "M", "U")]) for p in periods for g in groups]


def test_two_small_counts_that_add_up_to_two_are_not_left_narrow() -> None:
    """Hidden F = 1 and U = 1 beside a shown total and M: F + U = 2, so each is 0, 1 or 2."""
    cells = sex_rows("year", "cpp", 20, F=1, M=18, U=1)
    relations = sex_relations(["year"], ["cpp"])
    before = suppress(table(cells), SPECS, DisclosureRules(protection_width=0), group_sums={})
    assert max(hi - lo for lo, hi in intervals(before, relations).values()) < 3  # today's suppression
    after = suppress(table(cells), SPECS, PROTECTED, group_sums={})
    widths = {c: hi - lo for c, (lo, hi) in intervals(after, relations).items()}
    assert widths
    assert min(widths.values()) >= 3, widths


def test_a_zero_row_does_not_give_away_its_neighbours() -> None:
    """Issue 14, example 1: a shown total equal to one shown category pins the hidden ones at 0."""
    cells = {
        **sex_rows("year", "cpp", 9, F=2, M=7, U=0),
        **sex_rows("year", "not_cwsw", 40, F=0, M=40, U=0),
        **sex_rows("year", "all_pupils", 49, F=2, M=47, U=0),
    }
    sums = {"all_pupils": ("cpp", "not_cwsw")}
    relations = sex_relations(["year"], ["cpp", "not_cwsw", "all_pupils"]) + [
        (("year", "all_pupils", b, v), [("year", g, b, v) for g in ("cpp", "not_cwsw")])
        for b, v in (("all", "all"), ("sex", "F"), ("sex", "M"), ("sex", "U"))
    ]
    out = suppress(table(cells), SPECS, PROTECTED, group_sums=sums)
    widths = {c: hi - lo for c, (lo, hi) in intervals(out, relations).items()}
    assert widths
    assert min(widths.values()) >= 3, widths


def test_a_year_and_its_terms_are_protected_together() -> None:
    """Example 3: sessions and other additive sums of the terms add up to the year's."""
    cells: dict[Cell, int] = {}
    for period, (f, m) in {"autumn": (5, 30), "spring": (7, 30), "summer": (7, 31), "year": (19, 91)}.items():
        u = 12 if period == "year" else 4
        cells.update(sex_rows(period, "cpp", f + m + u, F=f, M=m, U=u))
    periods = ("autumn", "spring", "summer", "year")
    relations = sex_relations(periods, ["cpp"]) + [
        (("year", "cpp", b, v), [(t, "cpp", b, v) for t in periods[:3]])
        for b, v in (("all", "all"), ("sex", "F"), ("sex", "M"), ("sex", "U"))
    ]
    out = suppress(table(cells), SPECS, PROTECTED, group_sums={})
    widths = {c: hi - lo for c, (lo, hi) in intervals(out, relations).items()}
    assert widths
    assert min(widths.values()) >= 3, widths
    shown: Any = {r["period"]: r for r in out.to_pylist() if r["suppression_reason"] is None}
    assert shown  # something is still published


@pytest.mark.parametrize("large_from", [20_000, 0], ids=["as-is", "cubes-and-period-programs"])
def test_the_result_depends_on_the_content_not_the_row_order(large_from: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # With 0, the table's component is treated as a large one: cubes and programs within a period.
    monkeypatch.setattr(linked, "_RESTRICT_FROM", large_from)
    cells: dict[Cell, int] = {}
    for period, (f, m, u) in {"autumn": (1, 30, 2), "spring": (4, 28, 2), "summer": (2, 31, 1)}.items():
        cells.update(sex_rows(period, "cpp", f + m + u, F=f, M=m, U=u))
    cells.update(sex_rows("year", "cpp", 101, F=7, M=89, U=5))
    forward = table(cells)
    backward = forward.take(list(reversed(range(forward.num_rows))))

    def hidden(out: pa.Table) -> set[tuple[Any, ...]]:
        return {(r["period"], r["breakdown"], r["breakdown_value"]) for r in out.to_pylist() if r["suppression_reason"]}

    first = hidden(suppress(forward, SPECS, PROTECTED, group_sums={}))
    assert first
    assert hidden(suppress(backward, SPECS, PROTECTED, group_sums={})) == first


def test_the_pass_over_suppressed_sums_takes_in_each_sum_suppressed_later_with_its_relations() -> None:
    # Relations written out by hand: x1 + x2 = t and x2 + z = u. Only x1 (the primary, 2) is
    # suppressed at first, so the pass holds x2, t, z and u still and x1 is pinned; the second
    # relation has no suppressed sum and is left out of the pass's program.
    x1, x2, _t, _z, u = range(5)
    truth = np.array([2.0, 3.0, 5.0, 1.0, 4.0])
    a_eq = csc_matrix(np.array([[1.0, 1.0, -1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0, -1.0]]))
    a_ub = csc_matrix((0, 5))
    hidden = np.array([True, False, False, False, False])
    free = linked._Free(a_eq, a_ub, np.zeros(0), truth, hidden, width=3)
    primary = np.array([x1])
    assert not free.moved(primary)[x1]
    # x2 suppressed: the second relation now holds it to z and u, both shown, so x1 is still pinned
    # (a pass that left that relation out would move x2 against x1 freely).
    free.free(x2)
    assert not free.moved(primary)[x1]
    # u suppressed too: x1 up by 3, x2 down by 3, u down by 3 keeps both relations.
    free.free(u)
    assert free.moved(primary)[x1]


def test_the_passes_block_by_block_need_no_block_of_other_breakdowns(monkeypatch: pytest.MonkeyPatch) -> None:
    # Written out by hand: three schools (a wide breakdown when more than 2 values count as wide),
    # each with cwsw = cin + other and no other breakdown, so every block is a block of schools.
    # School B's cin (2, the primary) can go up by 3 against its other (5): both are suppressed.
    monkeypatch.setattr(linked, "_NEAR_WIDE", 2)
    cells = [
        ("set", "year", "pupils", group, "school", school)
        for school in ("A", "B", "C")
        for group in ("cwsw", "cin", "other")
    ]
    truth = np.array([9.0, 4.0, 5.0, 7.0, 2.0, 5.0, 8.0, 4.0, 4.0])
    a_eq = csc_matrix(
        np.array(
            [[1.0 if j == 3 * s else -1.0 if j in (3 * s + 1, 3 * s + 2) else 0.0 for j in range(9)] for s in range(3)]
        )
    )
    hidden = np.array([False, False, False, False, True, True, False, False, False])
    blocks = linked._blocks(a_eq, cells, linked._wide(cells), hidden)
    assert blocks is not None
    assert (blocks > 0).all()  # no sum of another breakdown: no block 0
    relations = linked._Relations(a_eq, csc_matrix((0, 9)), np.zeros(0))
    passes = linked._Blocks(relations, truth, hidden, width=3, block=blocks)
    assert passes.moved(np.array([4]))[4]


def test_the_blocks_of_a_pass_solved_side_by_side_settle_what_they_settle_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 40 schools, each with cwsw = cin + other, in blocks of about 4 (schools all add up alike),
    # about a third of the sums suppressed: each block's program is its own, so solving them on
    # several threads must move the same sums, however the threads interleave.
    monkeypatch.setattr(linked, "_NEAR_WIDE", 2)
    monkeypatch.setattr(linked, "_BLOCK_VALUES", 4)
    rng = np.random.default_rng(14)
    schools = [f"S{i:02}" for i in range(40)]
    cells = [("set", "year", "pupils", g, "school", s) for s in schools for g in ("cwsw", "cin", "other")]
    parts = rng.integers(1, 9, size=(40, 2)).astype(float)
    truth = np.column_stack([parts.sum(axis=1), parts]).ravel()
    a_eq = csc_matrix(
        np.array(
            [
                [1.0 if j == 3 * s else -1.0 if j in (3 * s + 1, 3 * s + 2) else 0.0 for j in range(120)]
                for s in range(40)
            ]
        )
    )
    hidden = rng.random(120) < 0.35
    primaries = np.flatnonzero(hidden & (truth <= 5))
    relations = linked._Relations(a_eq, csc_matrix((0, 120)), np.zeros(0))
    blocks = linked._blocks(a_eq, cells, linked._wide(cells), hidden)
    assert blocks is not None
    assert np.unique(blocks).size >= 8

    pools: list[int] = []

    class Pool(ThreadPoolExecutor):
        def __init__(self, max_workers: int) -> None:
            pools.append(max_workers)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(linked, "ThreadPoolExecutor", Pool)

    def moved(threads: int) -> np.ndarray:
        monkeypatch.setattr(linked, "_THREADS", threads)
        passes = linked._Blocks(relations, truth, hidden, width=3, block=blocks)
        return passes.moved(primaries)

    alone = moved(1)
    assert alone[primaries].any()
    assert not pools
    for _ in range(3):
        assert np.array_equal(moved(4), alone)
    assert pools == [4, 4, 4]


def test_a_relation_of_one_sum_bounds_that_sum_as_the_relation_did() -> None:
    # Random small systems with relations of one sum (as a program over a few schools leaves,
    # holding the rest still), both signs and both kinds: each program's perturbation must cost
    # what the same problem written with every relation as a row costs (scipy's linprog over up
    # and down moves), be found where that one is found, and keep every relation.
    rng = np.random.default_rng(22)
    width = 3.0
    checked = found = 0
    for _ in range(30):
        n = 10
        truth = rng.integers(0, 9, size=n).astype(float)
        eq_rows = [rng.choice(n, size=int(rng.integers(1, 4)), replace=False) for _ in range(4)]
        a_eq = np.zeros((len(eq_rows), n))
        for r, cols in enumerate(eq_rows):
            a_eq[r, cols] = rng.choice([-1.0, 1.0], size=cols.size)
        ub_rows = [rng.choice(n, size=int(rng.integers(1, 3)), replace=False) for _ in range(6)]
        a_ub = np.zeros((len(ub_rows), n))
        for r, cols in enumerate(ub_rows):
            a_ub[r, cols] = rng.choice([-1.0, 1.0], size=cols.size)
        slack = rng.integers(0, 6, size=len(ub_rows)).astype(float)
        cost = np.where(rng.random(n) < 0.4, 0.0, rng.integers(1, 5, size=n).astype(float))
        assert (np.count_nonzero(a_eq, axis=1) == 1).any() or (np.count_nonzero(a_ub, axis=1) == 1).any()
        program = linked._Program(csc_matrix(a_eq), csc_matrix(a_ub), slack, truth, cost)
        for k in range(n):
            for amount in (width, -width):
                y = program.perturb([k], amount)
                # The sum pushed moves one way only (else up and down together would cancel).
                up_bounds: list[tuple[float, float | None]] = [(0.0, None)] * n
                down_bounds: list[tuple[float, float | None]] = [(0.0, float(t)) for t in truth]
                if amount > 0:
                    up_bounds[k], down_bounds[k] = (width, None), (0.0, 0.0)
                else:
                    up_bounds[k], down_bounds[k] = (0.0, 0.0), (width, float(truth[k]))
                possible = False
                if amount > 0 or truth[k] >= width:
                    reference = linprog(
                        np.concatenate([cost, cost]),
                        A_ub=np.hstack([a_ub, -a_ub]),
                        b_ub=slack,
                        A_eq=np.hstack([a_eq, -a_eq]),
                        b_eq=np.zeros(len(eq_rows)),
                        bounds=up_bounds + down_bounds,
                        method="highs",
                    )
                    possible = reference.status == 0
                checked += 1
                assert (y is not None) == possible, (k, amount)
                if y is None:
                    continue
                found += 1
                assert cost @ np.abs(y) == pytest.approx(reference.fun, abs=1e-6)
                assert np.allclose(a_eq @ y, 0.0, atol=1e-6)
                assert (a_ub @ y <= slack + 1e-6).all()
                assert (truth + y >= -1e-6).all()
                assert y[k] * np.sign(amount) >= width - 1e-6
    assert checked == 600
    assert 0 < found < checked


def test_a_pass_pushes_a_primary_below_the_width_up_in_every_round() -> None:
    # Written out by hand: p + q = t, with t shown (held still), p = 1 and q = 4 both primary and
    # suppressed. Only p up by 3 (or 4) against q down settles both: pushing both up, or both
    # down, the relation leaves nothing to gain. p cannot go down by 3 (it would go below 0), so a
    # pass pushes it up in every round, and the round that pushes the others down settles both.
    p, q, _t = range(3)
    truth = np.array([1.0, 4.0, 5.0])
    a_eq = csc_matrix(np.array([[1.0, 1.0, -1.0]]))
    hidden = np.array([True, True, False])
    free = linked._Free(a_eq, csc_matrix((0, 3)), np.zeros(0), truth, hidden, width=3)
    moved = free.moved(np.array([p, q]))
    assert moved[p]
    assert moved[q]


def test_a_mid_sized_component_is_restricted_only_with_a_breakdown_of_many_schools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Written out by hand, with the sizes scaled down: 9 sums (3 schools x 3 groups), restricted
    # from 6 sums with a wide breakdown (more than 2 values) and from 100 without.
    monkeypatch.setattr(linked, "_NEAR_WIDE", 2)
    monkeypatch.setattr(linked, "_RESTRICT_WIDE_FROM", 6)
    monkeypatch.setattr(linked, "_RESTRICT_FROM", 100)
    truth = np.array([9.0, 4.0, 5.0, 7.0, 2.0, 5.0, 8.0, 4.0, 4.0])
    a_eq = csc_matrix(
        np.array(
            [[1.0 if j == 3 * s else -1.0 if j in (3 * s + 1, 3 * s + 2) else 0.0 for j in range(9)] for s in range(3)]
        )
    )
    a_ub, slack, cost = csc_matrix((0, 9)), np.zeros(0), np.ones(9)
    periods = np.array(["year"] * 9)

    def periods_of(breakdown: str, values: Sequence[str]) -> Any:
        cells = [("set", "year", "pupils", g, breakdown, v) for v in values for g in ("cwsw", "cin", "other")]
        return linked._Periods(a_eq, a_ub, slack, truth, cost, periods, cells)

    schools = periods_of("school", ["A", "B", "C"])
    assert schools.restricted
    assert (schools.value >= 0).all()
    # Three values are not many when the wide take more than three: solved whole.
    monkeypatch.setattr(linked, "_NEAR_WIDE", 3)
    narrow = periods_of("school", ["A", "B", "C"])
    assert not narrow.restricted
    assert (narrow.value < 0).all()
    # Wide again, but fewer sums than a restricted component has.
    monkeypatch.setattr(linked, "_NEAR_WIDE", 2)
    monkeypatch.setattr(linked, "_RESTRICT_WIDE_FROM", 10)
    assert not periods_of("school", ["A", "B", "C"]).restricted
