"""An interval attacker on published measures, written apart from ``ever6.disclosure`` (it imports
nothing from it): integer-aware linear programming with HiGHS (``highspy``).

It is given what a reader receives together (every period of every year, as published, with the
reasons if the output carries them) and public facts about schools (phase, authority), and the
truth, which it uses only to check that each kind of relation it relies on really holds: a kind
of relation is used only if it holds in every instance of it in the data, as it would in
another authority's.

The relations, for every integer sum behind a figure (the people and session counts):

* a breakdown's categories add up to the group's ``all``; the group sums (``cwsw``, ``cin``,
  ``all_pupils``); a school's figures add up to its phase's, to in / out of the authority and,
  given the schools' localities, to its locality's;
* a sum published by several measures (the roll under the exclusion rates, possible sessions
  under the absence rates, pupils) is one unknown, known when any of them shows it;
* the terms add up to the year for additive sums, and bound it for head counts (each term is at
  most the year, the year at most the terms' sum);
* a rate's people numerator is at most its people denominator;
* non-negativity and integrality (bounds are rounded inwards, and a cell the reasons say is not
  1 to 5 is 0 when it cannot reach 6);
* the reasons: ``... 1-5`` bounds the named sum to 1..5.

For each suppressed sum it finds the interval of values consistent with all of that. Cheap first:
a few LPs with random objectives give feasible points, and a cell whose points already span the
protection width is not narrow; every other cell gets its own minimum and maximum.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy.sparse import coo_matrix

from ever6.metrics.measures import MEASURES

Cell = tuple[str, str, str, str, str, str]  # year, period, quantity, group, breakdown, value
TERMS = ("autumn", "spring", "summer")
GROUP_SUMS = {
    "cwsw": ("cpp", "cinp", "cin_other", "ever6_previous"),
    "cin": ("cinp", "cin_other"),
    "all_pupils": ("cwsw", "cla", "not_cwsw"),
}
_SMALL = re.compile(r"(?:(\w+) suppressed \()?\b(count|numerator|denominator) (\d+)-(\d+)")
_POINTS = {"a8_sum"}  # not an integer sum


def _quantities() -> dict[str, tuple[str | None, str | None, bool]]:
    """measure -> (numerator quantity, denominator quantity, numerator is a subset of denominator)."""
    out = {}
    for m in MEASURES:
        num = None if m.numerator in _POINTS else f"{m.theme}:{m.numerator}"
        den = None if m.denominator is None else f"{m.theme}:{m.denominator}"
        out[m.name] = (num, den, m.people_numerator and m.people_denominator)
    return out


@dataclass
class Attack:
    width: int
    hidden: int = 0  # suppressed integer sums attacked
    narrow: dict[Cell, tuple[int, int]] = field(default_factory=dict)  # cell -> (low, high)
    exact: set[Cell] = field(default_factory=set)
    truth: dict[Cell, float] = field(default_factory=dict)
    relations_used: dict[str, int] = field(default_factory=dict)

    @property
    def small_exact(self) -> set[Cell]:
        return {c for c in self.exact if 1 <= self.truth[c] <= 5}

    def summary(self) -> str:
        return (
            f"{self.hidden} suppressed sums, {len(self.narrow)} narrower than {self.width}, "
            f"{len(self.exact)} exact ({len(self.small_exact)} of them 1-5)"
        )


def attack(
    truth_rows: Iterable[Mapping[str, object]],
    published_rows: Iterable[Mapping[str, object]],
    schools: Mapping[str, tuple[str, bool]],
    *,
    width: int = 3,
    seed: int = 0,
    only: Callable[[Cell, float], bool] | None = None,
    localities: Mapping[str, str] | None = None,
) -> Attack:
    """``schools``: URN -> (phase as in the ``phase`` breakdown, in the authority); ``localities``:
    URN -> the ``school_locality`` it lies in (public: a school's address). ``only``:
    which suppressed sums to report on, given the sum and its true value (default every one);
    the others are unknowns still, but no program is spent on their intervals."""
    quantities = _quantities()
    people = {m.name: (m.people_numerator, m.people_denominator) for m in MEASURES}
    truth: dict[Cell, float] = {}
    for r in truth_rows:
        num_q, den_q, _ = quantities[str(r["measure"])]
        for q, x in ((num_q, r["numerator"]), (den_q, r["denominator"])):
            if q is None or x is None:
                continue
            cell = (
                str(r["academic_year"]),
                str(r["period"]),
                q,
                str(r["group"]),
                str(r["breakdown"]),
                str(r["breakdown_value"]),
            )
            if cell in truth:
                assert abs(truth[cell] - float(x)) < 1e-6, f"{cell}: measures disagree on a shared sum"
            truth[cell] = float(x)  # type: ignore[arg-type]

    known: dict[Cell, float] = {}
    low: dict[Cell, float] = defaultdict(float)
    high: dict[Cell, float] = defaultdict(lambda: np.inf)
    not_small: set[Cell] = set()
    subset_pairs: set[tuple[Cell, Cell]] = set()
    hidden: set[Cell] = set()
    for r in published_rows:
        num_q, den_q, subset = quantities[str(r["measure"])]
        num_people, den_people = people[str(r["measure"])]
        base = (str(r["academic_year"]), str(r["period"]))
        key = (str(r["group"]), str(r["breakdown"]), str(r["breakdown_value"]))
        num_c = None if num_q is None else (*base, num_q, *key)
        den_c = None if den_q is None else (*base, den_q, *key)
        if subset and num_c and den_c:
            subset_pairs.add((num_c, den_c))
        reason = r.get("suppression_reason")
        if reason is None:
            for c, x in ((num_c, r["numerator"]), (den_c, r["denominator"])):
                if c is not None and x is not None and x != "":
                    known[c] = float(x)  # type: ignore[arg-type]
            continue
        text = str(reason)
        # The detailed reasons of today's outputs: "primary: numerator 1-5", "primary: pupils
        # suppressed (count 1-5)", "secondary: ...". The suppression names the first small sum
        # (numerator before denominator); a cell suppressed for another reason has no small sum.
        named: set[Cell] = set()
        for source, part, lo, hi in _SMALL.findall(text):
            measure = source or str(r["measure"])
            s_num, s_den, _ = quantities.get(measure, (None, None, False))
            q = s_num if part in ("count", "numerator") else s_den
            if q is not None:
                cell = (*base, q, *key)
                low[cell] = max(low[cell], float(lo))
                high[cell] = min(high[cell], float(hi))
                named.add(cell)
        if text.startswith(("primary:", "secondary:")):
            own = {c for c in (num_c, den_c) if c is not None and c in named}
            for c, is_people in ((num_c, num_people), (den_c, den_people)):
                if c is None or not is_people or c in own:
                    continue
                if own and c == den_c:
                    continue  # the numerator was named: the denominator may be small too
                not_small.add(c)
        for c in (num_c, den_c):
            if c is not None:
                hidden.add(c)
    hidden -= set(known)
    result = Attack(width=width, truth=truth)

    equations: list[dict[Cell, float]] = []
    inequalities: list[dict[Cell, float]] = []  # sum <= 0

    def kind(name: str, rows: list[dict[Cell, float]], target: list[dict[Cell, float]], equality: bool) -> None:
        """Use a kind of relation only if every instance of it holds on the truth."""
        rows = [r for r in rows if any(c not in known for c in r)] if _holds(rows, truth, equality) else []
        target.extend(rows)
        result.relations_used[name] = len(rows)

    cells_by_q: dict[tuple[str, str, str], set[tuple[str, str, str]]] = defaultdict(set)
    for y, p, q, g, b, v in truth:
        cells_by_q[(y, p, q)].add((g, b, v))
    for (y, p, q), keys in cells_by_q.items():
        groups = sorted({g for g, _, _ in keys})
        columns = sorted({(b, v) for _, b, v in keys})
        breakdowns = sorted({b for b, _ in columns if b != "all"})
        rows: list[dict[Cell, float]] = []
        for g in groups:
            for b in breakdowns:
                eq = {(y, p, q, g, b, v): 1.0 for bb, v in columns if bb == b}
                eq[(y, p, q, g, "all", "all")] = -1.0
                rows.append(eq)
        kind(f"rows {q}", rows, equations, True)
        sums = []
        for total, parts in GROUP_SUMS.items():
            for b, v in columns:
                eq = {(y, p, q, part, b, v): 1.0 for part in parts}
                eq[(y, p, q, total, b, v)] = -1.0
                sums.append(eq)
        kind(f"group sums {q}", sums, equations, True)
        nested = []
        school_urns = [v for b, v in columns if b == "school"]
        for g in groups:
            for label, pick in (
                *(
                    (("phase", ph), lambda u, ph=ph: schools.get(u, ("", False))[0] == ph)
                    for ph in _values(columns, "phase")
                ),
                (("in_la", "in LA"), lambda u: schools.get(u, ("", False))[1]),
                (("in_la", "out of LA"), lambda u: u in schools and not schools[u][1]),
            ):
                if (label[0], label[1]) not in columns:
                    continue
                eq = {(y, p, q, g, "school", u): 1.0 for u in school_urns if pick(u)}
                eq[(y, p, q, g, *label)] = -1.0
                nested.append(eq)
        kind(f"schools in phase and authority {q}", nested, equations, True)
        in_locality = []
        for g in groups:
            for place in _values(columns, "school_locality"):
                eq = {(y, p, q, g, "school", u): 1.0 for u in school_urns if (localities or {}).get(u) == place}
                if len(eq) and localities:
                    eq[(y, p, q, g, "school_locality", place)] = -1.0
                    in_locality.append(eq)
        kind(f"schools in locality {q}", in_locality, equations, True)

    years = sorted({(y, q) for y, p, q in cells_by_q if p == "year"})
    for y, q in years:
        keys = cells_by_q[(y, "year", q)]
        terms = [t for t in TERMS if (y, t, q) in cells_by_q]
        if len(terms) < 3:
            # A year in progress: its terms so far bound it from below only.
            below = [{(y, t, q, *k): 1.0, (y, "year", q, *k): -1.0} for t in terms for k in keys]
            kind(f"terms so far bound the year {q}", below, inequalities, False)
            continue
        additive = [{**{(y, t, q, *k): 1.0 for t in terms}, (y, "year", q, *k): -1.0} for k in keys]
        if _holds(additive, truth, True):
            kind(f"terms add up to the year {q}", additive, equations, True)
        else:
            bounds = [{(y, t, q, *k): 1.0, (y, "year", q, *k): -1.0} for k in keys for t in terms]
            bounds += [{(y, "year", q, *k): 1.0, **{(y, t, q, *k): -1.0 for t in terms}} for k in keys]
            kind(f"terms bound the year {q}", bounds, inequalities, False)
    # One kind per pair of quantities: a pair that does not hold (an events numerator above its
    # roll) leaves the others in use.
    by_pair: dict[tuple[str, str], list[dict[Cell, float]]] = defaultdict(list)
    for n, d in sorted(subset_pairs):
        by_pair[(n[2], d[2])].append({n: 1.0, d: -1.0})
    for (nq, dq), pair_rows in sorted(by_pair.items()):
        kind(f"numerator {nq} within denominator {dq}", pair_rows, inequalities, False)

    for c, x in known.items():  # what is shown is the truth (else a relation would look wrong)
        assert abs(x - truth.get(c, 0.0)) < 1e-6, f"{c}: shown {x}, truly {truth.get(c)}"
    for c in list(low):
        if c not in hidden:
            del low[c]
    for c in hidden:  # what the reasons say is true (else the attacker misreads them)
        t = truth.get(c, 0.0)
        assert low.get(c, 0.0) <= t <= high.get(c, np.inf), f"{c}: {t} outside the reason's bounds"
        assert c not in not_small or not 1 <= t <= 5, f"{c}: {t} is 1-5 although its reason says not"
    # Sums in a relation that no output shows (a cell absent from the table, a blank numerator)
    # are unknowns too, though not suppressed ones.
    unknowns = hidden | {c for r in (*equations, *inequalities) for c in r if c not in known}

    def value(r: Mapping[Cell, float]) -> float:
        return sum(coef * (known[c] if c in known else truth.get(c, 0.0)) for c, coef in r.items())

    for r in equations:  # every relation used holds on the truth
        assert abs(value(r)) < 1e-6, f"{r}: {value(r)}"
    for r in inequalities:
        assert value(r) < 1e-6, f"{r}: {value(r)}"
    wanted = {c for c in hidden if only is None or only(c, truth.get(c, 0.0))}
    lo, hi = _intervals(sorted(unknowns), wanted, known, equations, inequalities, low, high, not_small, width, seed)
    result.hidden = len(wanted)
    for c in wanted:
        a, b = np.ceil(lo[c] - 1e-6), np.floor(hi[c] + 1e-6)  # whole numbers: rounded inwards
        t = truth.get(c, 0.0)
        if b - a < width:
            assert a - 1e-6 <= t <= b + 1e-6, f"{c}: the truth {t} is outside [{a}, {b}]: a relation is wrong"
            result.narrow[c] = (int(a), int(b) if np.isfinite(b) else 10**9)
        if a == b:
            result.exact.add(c)
    return result


def _values(columns: Sequence[tuple[str, str]], breakdown: str) -> list[str]:
    return [v for b, v in columns if b == breakdown]


def _holds(rows: Sequence[Mapping[Cell, float]], truth: Mapping[Cell, float], equality: bool) -> bool:
    for r in rows:
        s = sum(coef * truth.get(c, 0.0) for c, coef in r.items())
        if (abs(s) > 1e-6) if equality else (s > 1e-6):
            return False
    return True


def _intervals(
    hidden: Sequence[Cell],
    wanted: set[Cell],
    known: Mapping[Cell, float],
    equations: Sequence[Mapping[Cell, float]],
    inequalities: Sequence[Mapping[Cell, float]],
    low: Mapping[Cell, float],
    high: Mapping[Cell, float],
    not_small: set[Cell],
    width: int,
    seed: int,
) -> tuple[dict[Cell, float], dict[Cell, float]]:
    index = {c: i for i, c in enumerate(hidden)}
    n = len(hidden)
    lb = np.array([low.get(c, 0.0) for c in hidden])
    ub = np.array([high.get(c, np.inf) if c in high else np.inf for c in hidden])

    def linear(rows: Sequence[Mapping[Cell, float]]) -> tuple[list[list[tuple[int, float]]], list[float]]:
        out, rhs = [], []
        for r in rows:
            terms = [(index[c], coef) for c, coef in r.items() if c in index]
            if not terms:
                continue
            # A cell neither hidden nor shown (absent from the table) is an unknown too: it was
            # added to ``hidden`` by the caller only when published; otherwise it is taken as 0.
            rhs.append(-sum(coef * known.get(c, 0.0) for c, coef in r.items() if c not in index))
            out.append(terms)
        return out, rhs

    eq, eq_rhs = linear(equations)
    ineq, ineq_rhs = linear(inequalities)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for terms in (*eq, *ineq):
        first = find(terms[0][0])
        for j, _ in terms[1:]:
            parent[find(j)] = first
    components: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        components[find(i)].append(i)
    eq_of: dict[int, list[int]] = defaultdict(list)
    for e, terms in enumerate(eq):
        eq_of[find(terms[0][0])].append(e)
    ineq_of: dict[int, list[int]] = defaultdict(list)
    for e, terms in enumerate(ineq):
        ineq_of[find(terms[0][0])].append(e)

    lo = lb.copy()
    hi = ub.copy()
    rnd = random.Random(seed)
    small_idx = {index[c] for c in not_small if c in index}
    for root, members in components.items():
        local = {g: k for k, g in enumerate(members)}
        a_eq, b_eq = _matrix([eq[e] for e in eq_of[root]], local), np.array([eq_rhs[e] for e in eq_of[root]])
        a_ub, b_ub = _matrix([ineq[e] for e in ineq_of[root]], local), np.array([ineq_rhs[e] for e in ineq_of[root]])
        bounds_lo, bounds_hi = lb[members].copy(), ub[members].copy()
        targets = np.array([hidden[g] in wanted or g in small_idx for g in members], dtype=bool)
        if not targets.any():
            continue
        for _ in range(4):  # the "not 1-5" rule can tighten bounds, which can tighten others
            c_lo, c_hi, exact = _component(a_eq, b_eq, a_ub, b_ub, bounds_lo, bounds_hi, width, rnd, targets)
            changed = False
            for k, g in enumerate(members):
                if g in small_idx and exact[k]:
                    if c_hi[k] < 6 and c_hi[k] > 0:
                        bounds_hi[k], changed = 0.0, True
                    elif 0 < c_lo[k] < 6:
                        bounds_lo[k], changed = 6.0, True
            if not changed:
                break
        lo[members], hi[members] = c_lo, c_hi
    return {c: lo[i] for c, i in index.items()}, {c: hi[i] for c, i in index.items()}


def _matrix(rows: Sequence[Sequence[tuple[int, float]]], local: Mapping[int, int]) -> coo_matrix | None:
    if not rows:
        return None
    r, c, v = [], [], []
    for i, terms in enumerate(rows):
        for j, coef in terms:
            r.append(i)
            c.append(local[j])
            v.append(coef)
    return coo_matrix((v, (r, c)), shape=(len(rows), len(local))).tocsr()


def _component(
    a_eq: coo_matrix | None,
    b_eq: np.ndarray,
    a_ub: coo_matrix | None,
    b_ub: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    width: int,
    rnd: random.Random,
    targets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's interval; where ``exact`` is False, only feasible points spanning ``width``.

    One HiGHS model per component. The programs that look for points start afresh (presolve and
    dual simplex, ``fresh``): from the last basis, an objective far from the last one took two to
    four times the iterations and the CPU (the tiny authority's attack 44 CPU s instead of 26). The
    exact minima and maxima are re-solved from the last basis with only the objective changed.
    Which points are found never decides a verdict: a sum the points do not show wide gets its
    exact interval.
    While looking for points, upper bounds are capped (ten times the largest figure in sight: a
    point of the capped problem is a point of the real one, and small caps keep HiGHS accurate);
    the exact minima and maxima are taken without the cap.
    """
    from scipy.sparse import csr_matrix, vstack

    n = len(lb)
    parts = [m for m in (a_eq, a_ub) if m is not None]
    matrix = vstack(parts).tocsc() if parts else csr_matrix((0, n)).tocsc()
    rows_eq = 0 if a_eq is None else a_eq.shape[0]
    rows_ub = 0 if a_ub is None else a_ub.shape[0]
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = rows_eq + rows_ub
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.asarray(lb, dtype=float)
    scale = max([1000.0, *np.abs(b_eq), *np.abs(b_ub), *(u for u in ub if np.isfinite(u))])
    upper = np.where(np.isfinite(ub), ub, inf).astype(float)
    lp.col_upper_ = np.minimum(upper, 10 * scale)
    lp.row_lower_ = np.concatenate([b_eq if rows_eq else np.zeros(0), np.full(rows_ub, -inf)])
    lp.row_upper_ = np.concatenate([b_eq if rows_eq else np.zeros(0), b_ub if rows_ub else np.zeros(0)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    objective = np.zeros(n)

    def solve(c: np.ndarray, *, fresh: bool = False) -> np.ndarray | None:
        nonlocal objective
        changed = np.flatnonzero(c != objective).astype(np.int32)
        if changed.size:
            highs.changeColsCost(changed.size, changed, c[changed])
            objective = c.copy()
        if fresh:
            highs.clearSolver()
        highs.run()
        status = highs.getModelStatus()
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return None
        assert status == highspy.HighsModelStatus.kOptimal, f"the attacker's problem is {status}: a relation is wrong"
        return np.asarray(highs.getSolution().col_value)

    seen_lo = np.full(n, np.inf)
    seen_hi = np.full(n, -np.inf)

    def see(point: np.ndarray | None) -> None:
        nonlocal seen_lo, seen_hi
        if point is None:
            return
        seen_lo, seen_hi = np.minimum(seen_lo, point), np.maximum(seen_hi, point)

    def still_narrow() -> np.ndarray:
        return targets & ((np.floor(seen_hi + 1e-6) - np.ceil(seen_lo - 1e-6)) < width)

    for _ in range(3):
        see(solve(np.array([rnd.choice((-1.0, 1.0)) for _ in range(n)]), fresh=True))
    # Batch rounds: push every cell not yet seen to span the width up (then down) at once; each
    # point is feasible, so what it reaches is within the cell's interval. Cells that conflict
    # are left for the next round, and whatever no round settles gets its own two programs.
    for _ in range(8):
        open_ = still_narrow()
        if not open_.any():
            break
        before = int(open_.sum())
        for sign in (-1.0, 1.0):
            see(solve(np.where(open_, sign, 0.0), fresh=True))
        if int(still_narrow().sum()) > 0.8 * before:
            break
    lo, hi = seen_lo.copy(), seen_hi.copy()
    exact = np.zeros(n, dtype=bool)
    if still_narrow().any():
        highs.changeColsBounds(n, np.arange(n, dtype=np.int32), lp.col_lower_, upper)
        # Each exact program changes only the objective: the last optimum is still a feasible
        # basis, which primal simplex starts from (dual simplex does not: five times the time on
        # a table with many narrow sums; the same optima).
        highs.setOptionValue("simplex_strategy", 4)
    for k in np.flatnonzero(still_narrow()):
        if np.floor(seen_hi[k] + 1e-6) - np.ceil(seen_lo[k] - 1e-6) >= width:
            continue  # points of earlier programs already span the width: not narrow
        exact[k] = True
        c = np.zeros(n)
        c[k] = 1.0
        low_point = solve(c)
        assert low_point is not None  # sums are at least 0: never unbounded below
        see(low_point)
        lo[k] = np.ceil(low_point[k] - 1e-6)
        high_point = solve(-c)
        see(high_point)
        hi[k] = np.floor(high_point[k] + 1e-6) if high_point is not None else np.inf
    # A cell the exact programs' points showed wide has the span of every point seen.
    lo[~exact], hi[~exact] = seen_lo[~exact], seen_hi[~exact]
    return lo, hi, exact
