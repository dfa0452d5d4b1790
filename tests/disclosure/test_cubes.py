"""The cube search proposes perturbations; these tests check what it returns against relations
written out here by hand: every equation at 0, every sum at least 0, only suppressed sums moved,
the primary moved by the width."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csc_matrix

from ever6.disclosure.cubes import Cubes

SCHOOLS = ("s1", "s2", "s3")
GROUPS = ("all", "a", "b")  # all = a + b
COLUMNS = (("all", "all"), ("phase", "P"), *(("school", s) for s in SCHOOLS))


def _table(counts: dict[tuple[str, str], int]) -> tuple[list[tuple[object, str, str, str, str, str]], np.ndarray]:
    """Cells and truth: ``counts`` gives (group, school) for groups a and b; the rest are sums."""
    cells, truth = [], []
    for g in GROUPS:
        for b, v in COLUMNS:
            cells.append(("2025/26", "year", "pupils", g, b, v))
            schools = SCHOOLS if b != "school" else (v,)
            groups = ("a", "b") if g == "all" else (g,)
            truth.append(sum(counts[(gg, s)] for gg in groups for s in schools))
    return cells, np.array(truth, dtype=float)


def _equations(cells: list[tuple[object, str, str, str, str, str]]) -> list[dict[int, float]]:
    at = {c: i for i, c in enumerate(cells)}

    def cell(g: str, b: str, v: str) -> int:
        return at[("2025/26", "year", "pupils", g, b, v)]

    eqs = []
    for g in GROUPS:
        for total in (("all", "all"), ("phase", "P")):  # the schools add up to the total and the phase
            eq = {cell(g, "school", s): 1.0 for s in SCHOOLS}
            eq[cell(g, *total)] = -1.0
            eqs.append(eq)
    for b, v in COLUMNS:  # all = a + b
        eqs.append({cell("a", b, v): 1.0, cell("b", b, v): 1.0, cell("all", b, v): -1.0})
    return eqs


def _matrix(eqs: list[dict[int, float]], n: int) -> csc_matrix:
    rows, cols, vals = [], [], []
    for r, eq in enumerate(eqs):
        for c, v in eq.items():
            rows.append(r)
            cols.append(c)
            vals.append(v)
    return csc_matrix((vals, (rows, cols)), shape=(len(eqs), n))


def _cubes(counts: dict[tuple[str, str], int]) -> tuple[Cubes, list[dict[int, float]], np.ndarray, np.ndarray, list]:
    cells, truth = _table(counts)
    eqs = _equations(cells)
    n = len(cells)
    hidden = np.array([c[4] == "school" for c in cells])  # the schools' figures suppressed, totals shown
    cost = np.where(hidden, 0.0, 5.0)
    cubes = Cubes(_matrix(eqs, n), csc_matrix((0, n)), np.zeros(0), truth, cells, width=3)
    return cubes, eqs, truth, cost, cells


def test_a_cube_of_two_schools_and_two_groups_moves_the_primary_and_keeps_every_relation() -> None:
    counts = {("a", "s1"): 1, ("a", "s2"): 4, ("a", "s3"): 0, ("b", "s1"): 5, ("b", "s2"): 2, ("b", "s3"): 3}
    cubes, eqs, truth, cost, cells = _cubes(counts)
    primary = cells.index(("2025/26", "year", "pupils", "a", "school", "s1"))
    y = cubes.find(primary, cost, 0.0)
    assert y is not None
    assert abs(y[primary]) >= 3
    for eq in eqs:
        assert abs(sum(v * y[c] for c, v in eq.items())) < 1e-9
    assert (truth + y >= -1e-9).all()
    moved = np.flatnonzero(np.abs(y) > 1e-9)
    assert all(cells[j][4] == "school" for j in moved)  # nothing shown moves: it is free


def test_no_cube_where_no_other_school_has_room_to_move_the_other_way() -> None:
    # Only s1 has pupils: moving its count up needs another school's down, and none has any.
    counts = {("a", "s1"): 1, ("a", "s2"): 0, ("a", "s3"): 0, ("b", "s1"): 2, ("b", "s2"): 0, ("b", "s3"): 0}
    cubes, _, _, cost, cells = _cubes(counts)
    primary = cells.index(("2025/26", "year", "pupils", "a", "school", "s1"))
    y = cubes.find(primary, cost, 0.0)
    # Down by 3 is impossible (1 pupil) and up needs 3 at another school: none is found...
    assert y is None
    # ...and a dearer one is refused within a price too low for a shown total.
    assert cubes.find(primary, cost, 4.0) is None
