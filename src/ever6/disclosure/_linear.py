"""Which unknowns a system of linear equations pins down exactly (exact rational arithmetic).

An attacker who knows every published cell and every additive relation has, for the hidden cells,
a linear system ``A x = b``. A hidden cell ``x_k`` is recovered exactly if and only if the unit
vector ``e_k`` lies in the row space of ``A`` — equivalently, in the reduced row echelon form of
``A``, ``k`` is a pivot whose row has no other entry. The right-hand side does not matter, so only
the coefficients are needed.

Two things keep this fast on published tables, whose relations are long and sparse:

* **peeling**: a variable that appears in only one equation (with other unknowns) absorbs it: the
  equation constrains nothing else and is set aside until the rest is solved, then added back with
  that variable as its pivot, which no other row mentions (so adding it back costs no fill-in);
* the rest is eliminated shortest equation first, with coefficients kept as integers while they
  are (the relations have coefficients +1 and -1), and fractions only when needed.

:func:`certificate` answers the follow-up question for one variable: *which* combination of the
equations gives it. It is meant for small systems (a few relations around one cell), since it
carries each row's combination along through the elimination.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

Number = int | Fraction


def determined(equations: Iterable[Sequence[tuple[int, int]]]) -> set[int]:
    """The variables fixed by the equations, each given as ``(variable, coefficient)`` pairs."""
    rows: list[dict[int, Number]] = []
    for equation in equations:
        row: dict[int, Number] = {}
        for var, coefficient in equation:
            row[var] = row.get(var, 0) + coefficient
        row = {v: c for v, c in row.items() if c}
        if row:
            rows.append(row)

    uses: dict[int, set[int]] = {}
    for e, row in enumerate(rows):
        for var in row:
            uses.setdefault(var, set()).add(e)
    peeled: list[tuple[int, int]] = []  # (variable, its only equation)
    removed: set[int] = set()
    queue = [v for v, es in uses.items() if len(es) == 1]
    while queue:
        var = queue.pop()
        if len(uses[var]) != 1:
            continue
        (e,) = uses[var]
        if len(rows[e]) == 1:
            continue  # a single-variable equation: it fixes the variable
        removed.add(e)
        peeled.append((var, e))
        for u in rows[e]:
            uses[u].discard(e)
            if len(uses[u]) == 1:
                queue.append(u)

    kept: list[tuple[dict[int, Number], int | None]] = [(row, None) for e, row in enumerate(rows) if e not in removed]
    kept.sort(key=lambda item: len(item[0]))
    return _eliminate([*kept, *((rows[e], var) for var, e in reversed(peeled))])


def _eliminate(rows: Iterable[tuple[dict[int, Number], int | None]]) -> set[int]:
    """Sparse Gauss-Jordan elimination, keeping the pivot rows fully reduced.

    Each row may name its pivot (a variable no earlier row mentions), else the pivot is chosen.
    """
    pivots: dict[int, dict[int, Number]] = {}
    holders: dict[int, set[int]] = {}  # free variable -> pivots whose rows mention it
    for original, forced in rows:
        row = dict(original)
        for pivot in [v for v in row if v in pivots]:
            factor = row.get(pivot)
            if not factor:
                continue
            for var, c in pivots[pivot].items():
                value = row.get(var, 0) - factor * c
                if value:
                    row[var] = value
                else:
                    row.pop(var, None)
        if not row:
            continue
        new = forced if forced is not None else _choose_pivot(row, holders)
        scale = row[new]
        if scale != 1:
            row = {v: _divide(c, scale) for v, c in row.items()}
        for other in holders.pop(new, set()):
            other_row = pivots[other]
            factor = other_row[new]
            for var, c in row.items():
                value = other_row.get(var, 0) - factor * c
                if value:
                    other_row[var] = value
                    if var != other:
                        holders.setdefault(var, set()).add(other)
                else:
                    other_row.pop(var, None)
                    if var in holders:
                        holders[var].discard(other)
        pivots[new] = row
        for var in row:
            if var != new:
                holders.setdefault(var, set()).add(new)
    return {p for p, row in pivots.items() if len(row) == 1}


def _choose_pivot(row: dict[int, Number], holders: dict[int, set[int]]) -> int:
    """A unit coefficient (no fractions), mentioned by the fewest pivot rows (least fill-in)."""
    return min(row, key=lambda v: (abs(row[v]) != 1, len(holders.get(v, ())), v))


def _divide(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return Fraction(a) / b


def certificate(equations: Sequence[Sequence[tuple[int, int]]], target: int) -> dict[int, Number] | None:
    """How the equations fix ``target``: multipliers ``y`` (by position in ``equations``) such that
    the sum of ``y[e]`` times equation ``e`` is ``target`` alone with coefficient 1; None when the
    equations do not fix it.

    Any variable with a non-zero net coefficient in the same combination of the *complete* equations
    (with the known terms) is one the derivation needs: making it unknown breaks this derivation
    (though not necessarily every other one).
    """
    pivots: dict[int, tuple[dict[int, Number], dict[int, Number]]] = {}  # pivot -> (row, combination)
    order = sorted(range(len(equations)), key=lambda e: (len(equations[e]), e))
    for e in order:
        row: dict[int, Number] = {}
        for var, coefficient in equations[e]:
            row[var] = row.get(var, 0) + coefficient
        row = {v: c for v, c in row.items() if c}
        combination: dict[int, Number] = {e: 1}
        for pivot in [v for v in row if v in pivots]:
            factor = row.get(pivot)
            if factor:
                _subtract(row, factor, pivots[pivot][0])
                _subtract(combination, factor, pivots[pivot][1])
        if not row:
            continue
        new = min(row, key=lambda v: (abs(row[v]) != 1, v))
        scale = row[new]
        if scale != 1:
            row = {v: _divide(c, scale) for v, c in row.items()}
            combination = {v: _divide(c, scale) for v, c in combination.items()}
        for other_row, other_combination in pivots.values():
            factor = other_row.get(new)
            if factor:
                _subtract(other_row, factor, row)
                _subtract(other_combination, factor, combination)
        pivots[new] = (row, combination)
    found = pivots.get(target)
    if found is None or len(found[0]) != 1:
        return None
    return dict(found[1])


def _subtract(into: dict[int, Number], factor: Number, row: dict[int, Number]) -> None:
    """``into -= factor * row``, dropping zeros."""
    for var, c in row.items():
        value = into.get(var, 0) - factor * c
        if value:
            into[var] = value
        else:
            into.pop(var, None)
