"""Perturbations found by the tables' structure and checked by arithmetic, before any program.

A sum is a cell ``(publication set, period, quantity, group, breakdown, value)``; the relations run
along one coordinate at a time: a breakdown's values add up to ``all`` and a school's to its
phase's and authority's (the column), the group sums (the group), a year against its terms (the
period), a numerator within its denominator (the quantity). So a perturbation can be built as a
product, a "cube": along each coordinate a small vector that the relations along it leave at 0 (the
primary's school ``+1`` and other schools of the same phase and authority ``-1`` in all; its group
``+1`` and a sibling in the same group sum ``-1``; its term alone, with the year, or every period
together), multiplied out and scaled by the width. Whether the product is a perturbation of the
table is then checked exactly, by arithmetic: ``A_eq y == 0``, ``A_ub y <= slack`` and
``truth + y >= 0`` (a few sparse products). A checked ``y`` is a perturbation of the same kind as the linear
programs find (``linked``), so it protects on the same argument: a table that satisfies every
relation, indistinguishable from the truth where ``y`` touches only suppressed sums, with the
primary moved by the width. The search only proposes; the arithmetic decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import product
from math import prod

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix  # type: ignore[import-untyped]

# A sum: (publication set, period, quantity, group, breakdown, breakdown value); linked uses it too.
Cell = tuple[object, str, str, str, str, str]
Line = tuple[object, str, str, str, str]  # a sum without its breakdown value
Pattern = list[tuple[tuple[str, str, str], int]]  # (period, quantity, group) -> +1 or -1
# The coordinates along which a vector is searched: period, quantity, group (the column, breakdown
# and value, is searched apart: it has hundreds of values, each school's).
_AXES = (1, 2, 3)
_DEPTH = 3  # a vector along one coordinate moves at most 1 + _DEPTH sums
_VECTORS = 9  # vectors kept along one coordinate, the smallest first
_PATTERNS = 64  # products of them tried for one primary, the smallest first
_PARTNERS = 8  # values of the breakdown tried as the opposite move, for one pattern
_TOL = 1e-6


class Cubes:
    """The cube search over one component (its own numbering of the sums)."""

    def __init__(
        self,
        a_eq: csc_matrix,
        a_ub: csc_matrix,
        slack: np.ndarray,
        truth: np.ndarray,
        cells: Sequence[Cell],
        width: int,
    ) -> None:
        self.eq_csc = a_eq.tocsc()
        self.eq_csr: csr_matrix = a_eq.tocsr()
        self.ub_csc = a_ub.tocsc()
        self.ub_csr: csr_matrix = a_ub.tocsr()
        self.slack = slack
        self.truth = truth
        self.cells = list(cells)
        self.width = float(width)
        self.index = {c: k for k, c in enumerate(self.cells)}
        # A line: every value of one breakdown at one (set, period, quantity, group).
        lines: dict[Line, list[tuple[str, int]]] = defaultdict(list)
        for k, c in enumerate(self.cells):
            lines[(c[0], c[1], c[2], c[3], c[4])].append((c[5], k))
        self.values = {axis: sorted({str(c[axis]) for c in self.cells}) for axis in _AXES}
        self.lines = {key: sorted(values) for key, values in lines.items()}
        self.position = np.zeros(len(self.cells), dtype=np.int64)  # a sum's place in its line
        for line in self.lines.values():
            for at, (_, k) in enumerate(line):
                self.position[k] = at
        self._cached_patterns: dict[Line, list[Pattern]] = {}
        self._line_arrays: dict[tuple[Line, Line], np.ndarray] = {}
        self._signatures: list[tuple[int, ...]] = []
        self._kinds: dict[Line, np.ndarray] = {}
        self._rooms: dict[tuple[bytes, bytes], float] = {}
        self._stacks: dict[tuple[Line, int], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self.found = 0
        self.checked = 0

    # --- vectors along one coordinate -----------------------------------------------------------

    def _fiber(self, k: int, axis: int) -> dict[int, str]:
        """The sums that differ from ``k`` only in coordinate ``axis``: sum -> that coordinate."""
        c = self.cells[k]
        out: dict[int, str] = {}
        for v in self.values[axis]:
            other = (*c[:axis], v, *c[axis + 1 :])
            j = self.index.get(other)  # type: ignore[arg-type]
            if j is not None:
                out[j] = v
        return out

    def _along(self, k: int, axis: int) -> list[dict[str, int]]:
        """Small vectors along ``axis`` through ``k`` (coordinate value -> +1 or -1, ``k``'s +1)
        that the equations lying wholly along it leave at 0; with ``k`` alone, or with one more
        sum, where only inequalities lie along it (checked later)."""
        fiber = self._fiber(k, axis)
        rows: dict[int, dict[int, float]] = {}
        ub_neighbours: set[int] = set()
        for j in fiber:
            for r in self.eq_csc.indices[self.eq_csc.indptr[j] : self.eq_csc.indptr[j + 1]]:
                r = int(r)
                if r in rows:
                    continue
                cols = self.eq_csr.indices[self.eq_csr.indptr[r] : self.eq_csr.indptr[r + 1]]
                if all(int(x) in fiber for x in cols):
                    vals = self.eq_csr.data[self.eq_csr.indptr[r] : self.eq_csr.indptr[r + 1]]
                    rows[r] = {int(x): float(v) for x, v in zip(cols, vals, strict=True)}
        for r in self.ub_csc.indices[self.ub_csc.indptr[k] : self.ub_csc.indptr[k + 1]]:
            cols = self.ub_csr.indices[self.ub_csr.indptr[r] : self.ub_csr.indptr[r + 1]]
            ub_neighbours.update(int(x) for x in cols if int(x) in fiber and int(x) != k)
        order = sorted(rows)
        found: list[dict[int, int]] = []

        def search(u: dict[int, int], depth: int) -> None:
            for r in order:
                row = rows[r]
                residual = sum(coef * u.get(j, 0) for j, coef in row.items())
                if abs(residual) > _TOL:
                    break
            else:
                found.append(dict(u))
                return
            if depth == 0:
                return
            for j in sorted(row):
                if j in u:
                    continue
                s = -residual / row[j]
                if abs(abs(s) - 1.0) > _TOL:
                    continue
                u[j] = round(s)
                search(u, depth - 1)
                del u[j]

        search({k: 1}, _DEPTH)
        if not rows or len(found) == 0:
            # Only bounds along it (a head count's terms and year): the sum alone, with one more,
            # or every value together (each term and the year keep their bounds on each other).
            for j in sorted(ub_neighbours):
                found.extend(({k: 1, j: 1}, {k: 1, j: -1}))
            if len(fiber) > 2:
                found.append(dict.fromkeys(fiber, 1))
        unique = {tuple(sorted(u.items())): u for u in found}
        # The smallest first; of a size, those moving the other sums the same way first (a term with
        # its year keeps every bound between them).
        vectors = sorted(unique.values(), key=lambda u: (len(u), -sum(u.values()), sorted(u.items())))[:_VECTORS]
        return [{fiber[j]: s for j, s in u.items()} for u in vectors]

    # --- the column -----------------------------------------------------------------------------

    def _signatures_of_all(self) -> list[tuple[int, ...]]:
        """What each sum is a part of along its column: the totals (as sums of the same set,
        period, quantity and group) of the equations it is a part in there, and a mark of its own
        where it is such a total itself. Two schools of the same phase and authority have the same
        one; moving one up and the other down leaves every such equation at 0."""
        eq = self.eq_csr.tocoo()
        prefix_ids: dict[tuple[object, str, str, str], int] = {}
        prefix = np.array([prefix_ids.setdefault(c[:4], len(prefix_ids)) for c in self.cells], dtype=np.int64)
        head = np.full(self.eq_csr.shape[0], -1, dtype=np.int64)
        negative = eq.data < 0
        head[eq.row[negative]] = eq.col[negative]
        # A row lies along the column when all its sums share (set, period, quantity, group).
        low = np.full(head.size, np.iinfo(np.int64).max)
        high = np.full(head.size, -1)
        np.minimum.at(low, eq.row, prefix[eq.col])
        np.maximum.at(high, eq.row, prefix[eq.col])
        along = ((low == high) & (head >= 0))[eq.row]
        marks: list[list[int]] = [[] for _ in self.cells]
        for r, k, v in zip(eq.row[along], eq.col[along], eq.data[along], strict=True):
            marks[int(k)].append(int(head[r]) if v > 0 else -1 - int(r))
        return [tuple(sorted(m)) for m in marks]

    def _line(self, key: Line, like: Line) -> np.ndarray:
        """The sums of ``key``'s line at the values of ``like``'s line (-1 where absent)."""
        cached = self._line_arrays.get((key, like))
        if cached is None:
            at = dict(self.lines.get(key, ()))
            cached = np.array([at.get(v, -1) for v, _ in self.lines[like]], dtype=np.int64)
            self._line_arrays[(key, like)] = cached
        return cached

    # --- the search -----------------------------------------------------------------------------

    def _patterns(self, k: int) -> Iterator[Pattern]:
        """Products of the vectors along period, quantity and group: (period, quantity, group) ->
        sign, the smallest first."""
        c = self.cells[k]
        per_axis = [self._along(k, axis) for axis in _AXES]
        ranked = [list(enumerate(vectors)) for vectors in per_axis]
        combos = sorted(
            product(*ranked),
            key=lambda combo: (prod(len(u) for _, u in combo), sum(rank for rank, _ in combo)),
        )[:_PATTERNS]
        for (_, periods), (_, quantities), (_, groups) in combos:
            pattern = []
            for (p, sp), (q, sq), (g, sg) in product(
                sorted(periods.items()), sorted(quantities.items()), sorted(groups.items())
            ):
                pattern.append(((p, q, g), sp * sq * sg))
            yield pattern
        del c

    def find(self, k: int, cost: np.ndarray, limit: float) -> np.ndarray | None:
        """A checked cube moving ``k`` by the width whose moved sums' ``cost`` adds up to at most
        ``limit`` (a suppressed sum costs 0, so 0: suppressed sums only), the cheapest of those
        tried; its values as a dense vector, or None.

        The primary's column (its school, say) moves by the width; the opposite move is spread
        over other values of its breakdown with the same totals (schools of the same phase and
        authority), as much at each as its sums and bounds allow, the cheapest and the most room
        first."""
        c = self.cells[k]
        if c[4] == "all":
            return None
        key = (c[0], c[1], c[2], c[3], c[4])
        size = len(self.lines[key])
        own = self.position[k]
        kinds = self._kinds.get(key)
        if kinds is None:
            if not self._signatures:
                self._signatures = self._signatures_of_all()
            ids: dict[tuple[int, ...], int] = {}
            kinds = self._kinds[key] = np.array(
                [ids.setdefault(self._signatures[j], len(ids)) for _, j in self.lines[key]], dtype=np.int64
            )
        same = kinds == kinds[own]
        same[own] = False
        if not same.any():
            return None
        w = self.width
        free = cost <= _TOL
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        # The vectors along period, quantity and group are the same for every value of a line (the
        # relations are): found once per line, checked for each cube.
        patterns = self._cached_patterns.get(key)
        if patterns is None:
            patterns = self._cached_patterns[key] = list(self._patterns(k))
        for at, pattern in enumerate(patterns):
            # The pattern's sums at every value of the line: one row per (period, quantity, group).
            stack, safe, valid, pattern_signs = self._stacked(key, at, pattern)
            for direction in (1.0, -1.0):
                if direction < 0 and self.truth[k] < w:
                    break
                mine = stack[:, own]
                signs = direction * pattern_signs
                if (mine < 0).any() or (self.truth[mine] + signs * w < -_TOL).any():
                    continue
                spent = float(cost[mine].sum())
                if spent > limit + _TOL or self._room(mine, signs) < w - _TOL:
                    continue
                if best is not None and spent >= best[0] - _TOL:
                    continue
                ok = same & valid
                if limit <= _TOL:
                    ok &= free[safe].all(axis=0)
                    price = np.zeros(size)
                else:
                    price = cost[safe].sum(axis=0)
                down = signs > 0  # moved down at the partner
                room = self.truth[safe[down]].min(axis=0) if down.any() else np.full(size, np.inf)
                ok &= room >= 1.0 - _TOL
                if best is not None:
                    ok &= price < best[0] - spent - _TOL
                if not ok.any():
                    continue
                partners = np.flatnonzero(ok)
                # The cheapest first, then the most room (the fewest partners), then in order.
                partners = partners[np.lexsort((partners, -np.minimum(room[partners], w), price[partners]))][:_PARTNERS]
                support, amounts, left = [mine], [signs * w], w
                for v2 in partners:
                    theirs = stack[:, v2]
                    extra = float(cost[theirs].sum())
                    if spent + extra > limit + _TOL:
                        continue
                    take = float(np.floor(min(room[v2], self._room(theirs, -signs), left) + _TOL))
                    if take < 1.0:
                        continue
                    support.append(theirs)
                    amounts.append(-signs * take)
                    spent += extra
                    left -= take
                    if left <= _TOL:
                        break
                if left > _TOL:
                    continue
                sup, amt = np.concatenate(support), np.concatenate(amounts)
                self.checked += 1
                if np.unique(sup).size == sup.size and self._holds(sup, amt):
                    if best is None or spent < best[0] - _TOL:
                        best = (spent, sup, amt)
                    if spent <= _TOL:
                        break
            if best is not None and best[0] <= _TOL:
                break
        if best is None:
            return None
        self.found += 1
        y = np.zeros(self.truth.size)
        y[best[1]] = best[2]
        return y

    def _stacked(self, key: Line, at: int, pattern: Pattern) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pattern ``at`` of ``key``'s line as arrays: its sums at every value of the line (-1 where
        absent), the same with 0 there, whether a value has them all, and the pattern's signs."""
        cached = self._stacks.get((key, at))
        if cached is not None:
            return cached
        stack = np.stack([self._line((key[0], p, q, g, key[4]), key) for (p, q, g), _ in pattern])
        valid: np.ndarray = np.asarray((stack >= 0).all(axis=0))
        made = (stack, np.where(stack >= 0, stack, 0), valid, np.array([float(s) for _, s in pattern]))
        self._stacks[(key, at)] = made
        return made

    def _room(self, support: np.ndarray, signs: np.ndarray) -> float:
        """How far ``signs`` at ``support`` can be scaled before an inequality is broken."""
        cached = self._rooms.get((support.tobytes(), signs.tobytes()))
        if cached is None:
            touched, values = _times(self.ub_csc, support, signs)
            cached = np.inf
            up = values > _TOL
            if up.any():
                cached = float((self.slack[touched][up] / values[up]).min())
            self._rooms[(support.tobytes(), signs.tobytes())] = cached
        return cached

    def _holds(self, support: np.ndarray, amounts: np.ndarray) -> bool:
        """``y`` (``amounts`` at ``support``) is a perturbation of the table: every equation at 0,
        every inequality within its slack, every sum at least 0."""
        if (self.truth[support] + amounts < -_TOL).any():
            return False
        _, eq = _times(self.eq_csc, support, amounts)
        if np.abs(eq).max(initial=0.0) > _TOL:
            return False
        touched, values = _times(self.ub_csc, support, amounts)
        return not (values > self.slack[touched] + _TOL).any()


def _times(a: csc_matrix, support: np.ndarray, amounts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a @ y`` for ``y`` (``amounts`` at ``support``, 0 elsewhere): the rows touched and their
    values, read from the compressed columns (a few dozen entries: cheaper than slicing)."""
    offsets, lengths = entries(a, support)
    if offsets.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    rows, inverse = np.unique(a.indices[offsets], return_inverse=True)
    values = np.bincount(inverse, weights=a.data[offsets] * np.repeat(amounts, lengths), minlength=rows.size)
    return rows, values


def entries(a: csc_matrix, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where ``columns``' entries lie in ``a.indices`` and ``a.data`` (one column after another),
    and how many each column has."""
    starts = a.indptr[columns]
    lengths = a.indptr[columns + 1] - starts
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum())), lengths
