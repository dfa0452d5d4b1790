"""An attacker for the property tests, written independently of the module under test.

Given what a table publishes and the additive relations, it tries to recover hidden cells two ways:
by chains of single-unknown equations, and by exact linear algebra (dense Gauss-Jordan over the
rationals on the whole system).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

Key = tuple[str, str, str]
Relation = tuple[Key, tuple[Key, ...]]  # total = sum(parts)


def relations(
    groups: Sequence[str], columns: Mapping[str, Sequence[str]], sums: Mapping[str, Sequence[str]]
) -> list[Relation]:
    """Every breakdown's categories add up to the group's total; every column's parts to its total group."""
    out: list[Relation] = []
    for g in groups:
        for b, values in columns.items():
            out.append(((g, "all", "all"), tuple((g, b, v) for v in values)))
    every_column = [("all", "all"), *((b, v) for b, values in columns.items() for v in values)]
    for total, parts in sums.items():
        for b, v in every_column:
            out.append(((total, b, v), tuple((p, b, v) for p in parts)))
    return out


def chain(known: Mapping[Key, float], rels: Sequence[Relation]) -> dict[Key, float]:
    """Everything recoverable by repeatedly solving an equation with one unknown."""
    values = dict(known)
    progress = True
    while progress:
        progress = False
        for total, parts in rels:
            unknown = [k for k in (total, *parts) if k not in values]
            if len(unknown) != 1:
                continue
            (k,) = unknown
            if k == total:
                values[k] = sum(values[p] for p in parts)
            else:
                values[k] = values[total] - sum(values[p] for p in parts if p != k)
            progress = True
    return values


def pinned(known: Mapping[Key, float], rels: Sequence[Relation]) -> set[Key]:
    """The unknowns that the linear system fixes exactly."""
    unknowns = sorted({k for total, parts in rels for k in (total, *parts) if k not in known})
    col = {k: j for j, k in enumerate(unknowns)}
    equations = []
    for total, parts in rels:
        equation = [(col[p], 1) for p in parts if p in col]
        if total in col:
            equation.append((col[total], -1))
        equations.append(equation)
    return {unknowns[j] for j in dense_pinned(len(unknowns), equations)}


def dense_pinned(n: int, equations: Sequence[Sequence[tuple[int, int]]]) -> set[int]:
    """Variables ``0..n-1`` fixed by the equations: dense reduced row echelon form over the rationals."""
    unknowns = list(range(n))
    matrix: list[list[Fraction]] = []
    for equation in equations:
        row = [Fraction(0)] * n
        for j, c in equation:
            row[j] += c
        if any(row):
            matrix.append(row)
    pivot_cols: list[int] = []
    r = 0
    for c in range(len(unknowns)):
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][c] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        lead = matrix[r][c]
        matrix[r] = [x / lead for x in matrix[r]]
        for i in range(len(matrix)):
            if i != r and matrix[i][c] != 0:
                f = matrix[i][c]
                matrix[i] = [a - f * b for a, b in zip(matrix[i], matrix[r], strict=True)]
        pivot_cols.append(c)
        r += 1
    out = set()
    for i, c in enumerate(pivot_cols):
        if sum(1 for x in matrix[i] if x != 0) == 1:
            out.add(unknowns[c])
    return out
