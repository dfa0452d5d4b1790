"""The linked check: no suppressed sum may be narrowed below a protection width, given everything
published together.

A reader gets a year with its terms, and every measure; so a suppressed sum is attacked with every
relation that holds between them (an attacker with linear programming finds them all):

* a breakdown's categories add up to the group's ``all``; the group sums (``cwsw``, ``cin``,
  ``all_pupils``); a school's figures add up to its phase's and to in / out of the authority
  (``nesting``);
* a sum that several measures publish (pupils; the roll under the exclusion rates; possible
  sessions under the absence rates) is one unknown, known wherever any of them shows it;
* the terms add up to the year for additive sums (sessions), and bound it for head counts (each
  term at most the year, the year at most the terms' sum);
* a people numerator is at most its people denominator;
* every sum is at least 0.

A kind of relation is used when it holds on the figures themselves (checked, not assumed): one
that holds here would hold for an attacker too, and using more relations than the attacker does
only makes the check stricter.

The check works on perturbations of the truth (which is itself a feasible table): a suppressed
sum is safe when two tables that satisfy every relation and agree with every shown figure differ
in it by at least ``width`` (rounded inwards, as an integer attacker would). Most sums are shown
safe by a few linear programs over everything at once (push every open sum up, then down);
a sum no point moves far enough is taken as narrow (perhaps wrongly, which costs a cell more) and
protected by
suppressing one more shown sum of a relation it is in (not a total where avoidable, one that can
move by the width, then the smallest), with every row that publishes it, and the check is run
again. Suppressing more only widens intervals, so a sum once found safe stays safe.

Solved with HiGHS (``scipy.optimize.linprog``).
"""

from __future__ import annotations

import math
import os
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import coo_matrix, csc_matrix, csr_matrix  # type: ignore[import-untyped]
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

_DEBUG = bool(os.environ.get("EVER6_LINKED_DEBUG"))
YEAR = "year"
TERMS = ("autumn", "spring", "summer")
ALL = "all"

# A sum: (publication set, period, quantity, group, breakdown, breakdown value).
Cell = tuple[object, str, str, str, str, str]


@dataclass(frozen=True)
class Published:
    """One table row, as the linked check sees it."""

    row: int
    pub_set: object  # the rows published together (e.g. one academic year)
    period: str
    measure: str
    key: tuple[str, str, str]  # group, breakdown, breakdown value
    sums: tuple[tuple[str, float | None], ...]  # (quantity, value) for each integer sum it shows


@dataclass
class _Model:
    cells: list[Cell]
    truth: np.ndarray
    variable: np.ndarray  # hidden or absent (not published): unknown to a reader
    target: np.ndarray  # hidden (suppressed): must be protected
    equations: list[tuple[int | None, list[tuple[int, float]]]]  # (total or None, terms) sum = 0
    inequalities: list[list[tuple[int, float]]]  # sum <= 0
    relations_of: list[list[int]]  # cell -> equations it is in
    total_degree: np.ndarray


def protect(
    rows: Sequence[Published],
    hidden_rows: set[int],
    group_sums: Mapping[str, Sequence[str]],
    nesting: Mapping[tuple[str, str], Sequence[tuple[str, str]]],
    subsets: Sequence[tuple[str, str]],
    followers: Mapping[str, Sequence[str]],
    width: int,
    *,
    max_rounds: int = 60,
) -> dict[int, str]:
    """Rows to suppress besides ``hidden_rows`` so that no suppressed sum is narrower than ``width``.

    ``nesting``: (breakdown, value) -> the categories of other breakdowns it lies in (a school ->
    its phase, in / out of the authority). ``subsets``: (numerator quantity, denominator
    quantity) pairs where the first counts some of the people the second counts. ``followers``:
    measure -> the measures suppressed wherever it is. Returns row -> the (internal) reason.
    """
    added: dict[int, str] = {}
    if width <= 0 or not rows:
        return added
    hidden = set(hidden_rows)
    by_cell_key: dict[tuple[object, str, tuple[str, str, str]], list[Published]] = defaultdict(list)
    for r in rows:
        by_cell_key[(r.pub_set, r.period, r.key)].append(r)
    publishers: dict[Cell, list[int]] = defaultdict(list)
    truth: dict[Cell, float] = {}
    for r in rows:
        for q, value in r.sums:
            cell = (r.pub_set, r.period, q, *r.key)
            publishers[cell].append(r.row)
            if value is not None:
                truth[cell] = value
    by_row = {r.row: r for r in rows}
    settled: set[Cell] = set()
    for _ in range(max_rounds):
        model = _build(rows, publishers, truth, hidden, group_sums, nesting, subsets)
        narrow = _narrow(model, width, settled)
        if _DEBUG:
            print(f"round: {int(model.target.sum())} targets, {len(narrow)} narrow", file=sys.stderr, flush=True)
        if not narrow:
            return added
        chosen: set[int] = set()
        for k in narrow:
            choice = _choose(model, k, width, chosen)
            if choice is None:
                continue
            chosen.add(choice)
        if not chosen:
            return added  # nothing shown is left around them
        for c in sorted(chosen):
            cell = model.cells[c]
            reason = f"secondary: protects an interval at {cell[2]}/{'/'.join(cell[3:])} ({cell[1]})"
            for i in publishers[cell]:
                if i not in hidden:
                    hidden.add(i)
                    added[i] = reason
            # Measures that follow a measure suppressed here are suppressed here too.
            leaders = {by_row[i].measure for i in publishers[cell]}
            for r in by_cell_key[(cell[0], cell[1], (cell[3], cell[4], cell[5]))]:
                if r.row not in hidden and any(r.measure in followers.get(m, ()) for m in leaders):
                    hidden.add(r.row)
                    added[r.row] = reason
    raise RuntimeError(f"the linked check did not settle in {max_rounds} rounds")


# --- the model -----------------------------------------------------------------------------------


def _build(
    rows: Sequence[Published],
    publishers: Mapping[Cell, list[int]],
    truth: Mapping[Cell, float],
    hidden: set[int],
    group_sums: Mapping[str, Sequence[str]],
    nesting: Mapping[tuple[str, str], Sequence[tuple[str, str]]],
    subsets: Sequence[tuple[str, str]],
) -> _Model:
    shown = {c for c, idx in publishers.items() if any(i not in hidden for i in idx)}
    by_q: dict[tuple[object, str, str], set[tuple[str, str, str]]] = defaultdict(set)
    for c in publishers:
        by_q[(c[0], c[1], c[2])].add((c[3], c[4], c[5]))

    equations: list[tuple[Cell | None, dict[Cell, float]]] = []
    inequalities: list[dict[Cell, float]] = []

    def kind(found: list[tuple[Cell | None, dict[Cell, float]]]) -> None:
        if all(abs(sum(coef * truth.get(c, 0.0) for c, coef in eq.items())) < 1e-6 for _, eq in found):
            equations.extend(found)

    def bounds(found: list[dict[Cell, float]]) -> bool:
        if all(sum(coef * truth.get(c, 0.0) for c, coef in eq.items()) < 1e-6 for eq in found):
            inequalities.extend(found)
            return True
        return False

    for (s, p, q), keys in by_q.items():
        groups = sorted({g for g, _, _ in keys})
        columns = sorted({(b, v) for _, b, v in keys})
        breakdowns = sorted({b for b, _ in columns if b != ALL})
        found: list[tuple[Cell | None, dict[Cell, float]]] = []
        for g in groups:
            for b in breakdowns:
                total: Cell = (s, p, q, g, ALL, ALL)
                eq = {(s, p, q, g, bb, v): 1.0 for bb, v in columns if bb == b}
                eq[total] = -1.0
                found.append((total, eq))
        kind(found)
        found = []
        present_groups = set(groups)
        for total_group, parts in group_sums.items():
            if total_group not in present_groups:
                continue
            for b, v in columns:
                total = (s, p, q, total_group, b, v)
                eq = {(s, p, q, part, b, v): 1.0 for part in parts}
                eq[total] = -1.0
                found.append((total, eq))
        kind(found)
        found = []
        parents: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for b, v in columns:
            for parent in nesting.get((b, v), ()):
                if parent in columns:
                    parents[parent].append((b, v))
        for parent, children in sorted(parents.items()):
            for g in groups:
                total = (s, p, q, g, *parent)
                eq = {(s, p, q, g, *child): 1.0 for child in children}
                eq[total] = -1.0
                found.append((total, eq))
        kind(found)

    # A year against its terms.
    for (s, p, q), keys in by_q.items():
        if p != YEAR:
            continue
        terms = [t for t in TERMS if (s, t, q) in by_q]
        if not terms:
            continue
        if len(terms) == len(TERMS):
            additive: list[tuple[Cell | None, dict[Cell, float]]] = []
            for k in keys:
                total = (s, YEAR, q, *k)
                additive.append((total, {**{(s, t, q, *k): 1.0 for t in terms}, total: -1.0}))
            if all(abs(sum(c * truth.get(x, 0.0) for x, c in eq.items())) < 1e-6 for _, eq in additive):
                equations.extend(additive)
                continue
        within = [{(s, t, q, *k): 1.0, (s, YEAR, q, *k): -1.0} for k in keys for t in terms]
        bounds(within)
        if len(terms) == len(TERMS):
            bounds([{(s, YEAR, q, *k): 1.0, **{(s, t, q, *k): -1.0 for t in terms}} for k in keys])

    # A people numerator within its people denominator.
    pairs = set(subsets)
    found_ub = [
        {c: 1.0, (c[0], c[1], den, *c[3:]): -1.0}
        for c in publishers
        for num, den in pairs
        if c[2] == num and (c[0], c[1], den, *c[3:]) in publishers
    ]
    bounds(found_ub)

    # Index what matters: relations with an unknown in them.
    def unknown(c: Cell) -> bool:
        return c not in shown

    cells: list[Cell] = []
    index: dict[Cell, int] = {}

    def at(c: Cell) -> int:
        i = index.get(c)
        if i is None:
            i = index[c] = len(cells)
            cells.append(c)
        return i

    eqs: list[tuple[int | None, list[tuple[int, float]]]] = []
    for head, eq in equations:
        if any(unknown(c) for c in eq):
            eqs.append((at(head) if head is not None else None, [(at(c), coef) for c, coef in eq.items()]))
    ineqs = [[(at(c), coef) for c, coef in eq.items()] for eq in inequalities if any(unknown(c) for c in eq)]
    n = len(cells)
    t = np.array([truth.get(c, 0.0) for c in cells])
    variable = np.array([unknown(c) for c in cells], dtype=bool)
    target = np.array([c in publishers and c not in shown for c in cells], dtype=bool)
    relations_of: list[list[int]] = [[] for _ in range(n)]
    total_degree = np.zeros(n, dtype=int)
    for e, (total_i, eq_terms) in enumerate(eqs):
        if total_i is not None:
            total_degree[total_i] += 1
        for i, _ in eq_terms:
            relations_of[i].append(e)
    return _Model(cells, t, variable, target, eqs, ineqs, relations_of, total_degree)


# --- the check -----------------------------------------------------------------------------------


def _narrow(model: _Model, width: int, settled: set[Cell]) -> list[int]:
    """The suppressed sums (cell indices) not shown to span ``width``."""
    var = np.flatnonzero(model.variable)
    if var.size == 0:
        return []
    col = -np.ones(len(model.cells), dtype=int)
    col[var] = np.arange(var.size)
    a_eq, a_ub, b_ub = _system(model, col, var.size)
    # Components of the unknowns, linked by the relations.
    linked = [a for a in (a_eq, a_ub) if a is not None and a.shape[0]]
    if linked:
        stacked = _stack(linked)
        graph = (stacked.T @ stacked).tocsr()
        _, labels = connected_components(graph, directed=False)
    else:
        labels = np.arange(var.size)
    eq_csc = a_eq.tocsc() if a_eq is not None else None
    ub_csc = a_ub.tocsc() if a_ub is not None else None
    t = model.truth[var]
    is_target = model.target[var] & np.array([model.cells[i] not in settled for i in var])
    narrow: list[int] = []
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    for members in np.split(order, cuts):
        if not is_target[members].any():
            continue
        rows_eq = _rows_touching(eq_csc, members)
        rows_ub = _rows_touching(ub_csc, members)
        sub_eq = a_eq[rows_eq][:, members] if a_eq is not None and rows_eq.size else None
        sub_ub = a_ub[rows_ub][:, members] if a_ub is not None and rows_ub.size else None
        sub_b = b_ub[rows_ub] if sub_ub is not None else None
        lower = -t[members]
        open_ = is_target[members].copy()

        u = np.zeros(members.size)
        d = np.zeros(members.size)
        rnd = np.random.default_rng(members.size)  # deterministic: the same table, the same points
        for attempt in range(_BATCH_ROUNDS):
            if not open_.any():
                break
            # All open sums up, then all down, then random halves each way: every point is a
            # table the reader cannot tell from the truth, so what it reaches is in the interval.
            signs = (
                (np.full(members.size, -1.0), np.full(members.size, 1.0))
                if attempt == 0
                else (rnd.choice((-1.0, 1.0), members.size),)
            )
            for sign in signs:
                hi = np.where(open_, float(width), _CAP)
                lo = np.where(open_, np.maximum(lower, -float(width)), lower)
                point = _solve(np.where(open_, sign, 0.0), sub_eq, sub_ub, sub_b, lo, hi)
                if point is not None:
                    u, d = np.maximum(u, point), np.minimum(d, point)
            open_ &= _span(u, d) < width
        if _DEBUG:
            print(
                f"component of {members.size}: {int(is_target[members].sum())} targets, {int(open_.sum())} open",
                file=sys.stderr,
                flush=True,
            )
        # What no point moved far enough gets its own two programs on the component (a few
        # dozen at most; past that it is taken as narrow, perhaps wrongly, which costs only a
        # cell more).
        for checked, k in enumerate(np.flatnonzero(open_)):
            if checked < _OWN_PROGRAMS:
                own_lo, own_hi = lower.copy(), np.full(members.size, _CAP)
                own_hi[k] = float(width)
                own_lo[k] = np.maximum(lower[k], -float(width))
                ends: list[float] = []
                for direction in (1.0, -1.0):
                    c = np.zeros(members.size)
                    c[k] = direction
                    point = _solve(c, sub_eq, sub_ub, sub_b, own_lo, own_hi)
                    ends.append(0.0 if point is None else float(point[k]))
                if math.floor(ends[1] + 1e-6) - math.ceil(ends[0] - 1e-6) >= width:
                    continue
            narrow.append(int(var[members[k]]))
    for k in np.flatnonzero(is_target):
        if int(var[k]) not in narrow:
            settled.add(model.cells[int(var[k])])
    return narrow


def _solve(
    c: np.ndarray,
    a_eq: csr_matrix | None,
    a_ub: csr_matrix | None,
    b_ub: np.ndarray | None,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray | None:
    res = linprog(
        c,
        A_eq=a_eq,
        b_eq=np.zeros(a_eq.shape[0]) if a_eq is not None else None,
        A_ub=a_ub,
        b_ub=b_ub,
        bounds=np.column_stack([lo, hi]),
        method="highs",
    )
    return np.asarray(res.x) if res.status == 0 else None


_BATCH_ROUNDS = 6
_OWN_PROGRAMS = 40
_CAP = 1e9  # above any sum of an authority: a capped problem's point is a point of the real one


def _span(up: np.ndarray, down: np.ndarray) -> np.ndarray:
    return np.floor(up + 1e-6) - np.ceil(down - 1e-6)


def _stack(parts: list[csr_matrix]) -> csr_matrix:
    from scipy.sparse import vstack

    out: csr_matrix = vstack([abs(p) for p in parts]).tocsr()
    return out


def _rows_touching(a_csc: csc_matrix | None, members: np.ndarray) -> np.ndarray:
    if a_csc is None or a_csc.shape[0] == 0 or members.size == 0:
        return np.array([], dtype=int)
    parts = [a_csc.indices[a_csc.indptr[j] : a_csc.indptr[j + 1]] for j in members]
    return np.unique(np.concatenate(parts)) if parts else np.array([], dtype=int)


def _system(model: _Model, col: np.ndarray, n: int) -> tuple[csr_matrix | None, csr_matrix | None, np.ndarray]:
    """The relations over the unknowns' perturbations: A_eq d = 0 and A_ub d <= slack."""
    r: list[int] = []
    c: list[int] = []
    v: list[float] = []
    for e, (_, terms) in enumerate(model.equations):
        for i, coef in terms:
            if col[i] >= 0:
                r.append(e)
                c.append(int(col[i]))
                v.append(coef)
    a_eq = coo_matrix((v, (r, c)), shape=(len(model.equations), n)).tocsr() if model.equations else None
    r, c, v = [], [], []
    slack: list[float] = []
    for e, terms in enumerate(model.inequalities):
        slack.append(-sum(coef * model.truth[i] for i, coef in terms))
        for i, coef in terms:
            if col[i] >= 0:
                r.append(e)
                c.append(int(col[i]))
                v.append(coef)
    a_ub = coo_matrix((v, (r, c)), shape=(len(model.inequalities), n)).tocsr() if model.inequalities else None
    return a_eq, a_ub, np.maximum(np.array(slack), 0.0)


def _choose(model: _Model, k: int, width: int, chosen: set[int]) -> int | None:
    """A shown sum to suppress for ``k``: of a relation it is in (else of a relation of those)."""
    candidates = {i for e in model.relations_of[k] for i, _ in model.equations[e][1] if not model.variable[i]}
    if not candidates:
        near = {i for e in model.relations_of[k] for i, _ in model.equations[e][1]}
        candidates = {
            i for j in near for e in model.relations_of[j] for i, _ in model.equations[e][1] if not model.variable[i]
        }
    if not candidates:
        return None
    if candidates & chosen:
        return min(candidates & chosen)

    def preference(i: int) -> tuple[int, bool, float, str]:
        return (int(model.total_degree[i]), bool(model.truth[i] < width), float(model.truth[i]), str(model.cells[i]))

    return min(candidates, key=preference)
