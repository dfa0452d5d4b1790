"""The relations between a table's published sums, as one sparse linear system.

Each sum a row shows is a cell ``(publication set, period, quantity, group, breakdown, value)``;
the kinds of relation are listed in :mod:`ever6.disclosure.linked`. They are built here on integer
codes, a batch of relations at a time, instead of on dictionaries of cell tuples: at ``la`` a year
with its terms has 386,000 sums and 440,000 relations, and the dictionaries took 17 CPU seconds.
The numbering and the order of sums and relations are those of the dictionaries' version (the
solver's pivots, so what is suppressed, depend on them): the published sums in the order the rows
show them first, then the sums only the relations name, in the order they first name them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix  # type: ignore[import-untyped]

from ever6.disclosure.cubes import Cell

YEAR = "year"
TERMS = ("autumn", "spring", "summer")
ALL = "all"
_T = TypeVar("_T")


class Row(Protocol):
    """A published row as the relations see it (``linked.Published``)."""

    @property
    def row(self) -> int: ...
    @property
    def pub_set(self) -> object: ...
    @property
    def period(self) -> str: ...
    @property
    def key(self) -> tuple[str, str, str]: ...
    @property
    def sums(self) -> tuple[tuple[str, float | None], ...]: ...
    @property
    def people(self) -> tuple[bool, ...]: ...


@dataclass
class System:
    """The sums (numbered) and their relations: ``a_eq y = 0`` and ``a_ub y <= slack`` for a
    perturbation ``y`` of the truth, with who shows each sum."""

    cells: list[Cell]
    truth: np.ndarray
    a_eq: csr_matrix
    a_ub: csr_matrix
    slack: np.ndarray
    total_degree: np.ndarray  # relations each sum is the total of
    people: np.ndarray  # a sum of people (in some row that shows it)
    entry_cell: np.ndarray  # for each (row, sum) shown, in the rows' order: the sum's number
    entry_row: np.ndarray  # and the row's
    row_entries: dict[int, tuple[int, int]]  # row -> its span of entries
    publishers: tuple[np.ndarray, np.ndarray]  # sum -> rows showing it: (offsets, rows), CSR

    def rows_of(self, i: int) -> np.ndarray:
        offsets, rows = self.publishers
        return rows[offsets[i] : offsets[i + 1]]

    def cells_of(self, row: int) -> np.ndarray:
        start, stop = self.row_entries[row]
        return self.entry_cell[start:stop]


class _Batch:
    """Relations of one kind, used together or not at all: for each, its total (a cell code) and
    its terms (cell codes and coefficients), in order."""

    def __init__(self) -> None:
        self.heads: list[np.ndarray] = []
        self.terms: list[np.ndarray] = []
        self.coefs: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []

    def add(self, heads: np.ndarray, terms: np.ndarray, coefs: np.ndarray, length: np.ndarray) -> None:
        self.heads.append(heads)
        self.terms.append(terms)
        self.coefs.append(coefs)
        self.lengths.append(length)

    def grid(self, heads: np.ndarray, grid: np.ndarray, coefs: Sequence[float]) -> None:
        """One relation per row of ``grid`` (cell codes), each with the same ``coefs``."""
        self.add(
            heads,
            grid.ravel(),
            np.tile(np.asarray(coefs, dtype=float), grid.shape[0]),
            np.full(grid.shape[0], grid.shape[1]),
        )

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Totals, terms, coefficients and each relation's number of terms, joined once (checked
        on the figures, then written into the matrices)."""
        if not self.lengths:
            empty = np.array([], dtype=np.int64)
            return empty, empty, np.array([], dtype=float), empty
        if len(self.lengths) > 1:
            self.heads, self.terms, self.coefs, self.lengths = (
                [np.concatenate(self.heads)],
                [np.concatenate(self.terms)],
                [np.concatenate(self.coefs)],
                [np.concatenate(self.lengths)],
            )
        return self.heads[0], self.terms[0], self.coefs[0], self.lengths[0]


class _Codes:
    """A cell's code: its block (publication set, period, quantity) times the keys, plus its key
    (group, column); groups and columns numbered in sorted order, so codes sort as the cells do."""

    def __init__(self, rows: Sequence[Row], group_sums: Mapping[str, Sequence[str]]) -> None:
        groups = {r.key[0] for r in rows} | set(group_sums)
        for parts in group_sums.values():
            groups |= set(parts)
        self.groups = sorted(groups)
        self.group = {g: i for i, g in enumerate(self.groups)}
        self.columns = sorted({(r.key[1], r.key[2]) for r in rows} | {(ALL, ALL)})
        self.column = {c: i for i, c in enumerate(self.columns)}
        breakdowns = sorted({b for b, _ in self.columns})
        self.breakdown_names = breakdowns
        self.breakdown_of = np.array([breakdowns.index(b) for b, _ in self.columns], dtype=np.int64)
        self.all_breakdown = breakdowns.index(ALL)
        self.sets: list[object] = []
        self.set: dict[object, int] = {}
        self.periods: list[str] = []
        self.period: dict[str, int] = {}
        self.quantities: list[str] = []
        self.quantity: dict[str, int] = {}
        self.n_columns = len(self.columns)
        self.n_keys = len(self.groups) * self.n_columns

    def block(self, pub_set: object, period: str, quantity: str) -> tuple[int, int, int]:
        return (
            _number(self.set, self.sets, pub_set),
            _number(self.period, self.periods, period),
            _number(self.quantity, self.quantities, quantity),
        )

    def key(self, group: int, column: np.ndarray | int) -> np.ndarray | int:
        return group * self.n_columns + column

    def cells(self, codes: np.ndarray, blocks: Sequence[tuple[int, int, int]]) -> list[Cell]:
        block, key = np.divmod(codes, self.n_keys)
        group, column = np.divmod(key, self.n_columns)
        sets, periods, quantities, groups, columns = self.sets, self.periods, self.quantities, self.groups, self.columns
        out: list[Cell] = []
        for b, g, c in zip(block.tolist(), group.tolist(), column.tolist(), strict=True):
            s, p, q = blocks[b]
            out.append((sets[s], periods[p], quantities[q], groups[g], *columns[c]))
        return out


def _number(index: dict[_T, int], values: list[_T], value: _T) -> int:
    i = index.get(value)
    if i is None:
        i = index[value] = len(values)
        values.append(value)
    return i


def build(
    rows: Sequence[Row],
    group_sums: Mapping[str, Sequence[str]],
    nesting: Mapping[tuple[str, str], Sequence[tuple[str, str]]],
    subsets: Sequence[tuple[str, str]],
) -> System:
    """The system of ``rows`` (in content order: the same table, the same system)."""
    codes = _Codes(rows, group_sums)
    blocks: list[tuple[int, int, int]] = []
    block_of: dict[tuple[int, int, int], int] = {}
    block_named: dict[tuple[object, str, str], int] = {}
    entry_code: list[int] = []
    entry_row: list[int] = []
    entry_value: list[float] = []
    entry_people: list[bool] = []
    row_entries: dict[int, tuple[int, int]] = {}
    key_of: dict[tuple[str, str, str], int] = {}
    for r in rows:
        k = key_of.get(r.key)
        if k is None:
            k = key_of[r.key] = int(codes.key(codes.group[r.key[0]], codes.column[r.key[1:]]))
        start = len(entry_code)
        for position, (q, value) in enumerate(r.sums):
            bi = block_named.get((r.pub_set, r.period, q))
            if bi is None:
                named = codes.block(r.pub_set, r.period, q)
                bi = block_named[(r.pub_set, r.period, q)] = block_of[named] = len(blocks)
                blocks.append(named)
            entry_code.append(bi * codes.n_keys + k)
            entry_row.append(r.row)
            entry_value.append(np.nan if value is None else value)
            entry_people.append(position < len(r.people) and r.people[position])
        row_entries[r.row] = (start, len(entry_code))
    entry = np.array(entry_code, dtype=np.int64)
    # The published sums, in the order the rows first show them.
    unique, first, inverse = np.unique(entry, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    shown_codes = unique[order]
    entry_cell = rank[inverse.reshape(-1)]
    n_shown = shown_codes.size
    values = np.array(entry_value, dtype=float)
    known = np.flatnonzero(~np.isnan(values))
    truth_shown = np.zeros(n_shown)
    # The last row's value where several show one sum.
    last = known[::-1][np.unique(entry_cell[known][::-1], return_index=True)[1]]
    truth_shown[entry_cell[last]] = values[last]

    def truth_of(cs: np.ndarray) -> np.ndarray:
        at, found = _find(unique, cs)
        return np.where(found, truth_shown[rank[at]], 0.0)

    def holds(batch: _Batch, equal: bool) -> bool:
        _, terms, coefs, lengths = batch.arrays()
        if lengths.size == 0:
            return True
        totals = _segment_sums(coefs * truth_of(terms), lengths)
        return bool((np.abs(totals) < 1e-6).all() if equal else (totals < 1e-6).all())

    equations: list[_Batch] = []
    inequalities: list[_Batch] = []

    def kind(batch: _Batch) -> None:
        if holds(batch, True):
            equations.append(batch)

    def bounds(batch: _Batch) -> bool:
        if holds(batch, False):
            inequalities.append(batch)
            return True
        return False

    parents_of = _parents(codes, nesting)
    present_keys = _present(shown_codes, codes.n_keys)
    part_codes = {
        g: np.array([codes.group[p] for p in dict.fromkeys(parts) if p != g], dtype=np.int64)
        for g, parts in group_sums.items()
    }
    for bi in range(len(blocks)):
        keys = present_keys[bi]
        base = bi * codes.n_keys
        group_ids = np.unique(keys // codes.n_columns)
        columns = np.unique(keys % codes.n_columns)
        all_all = codes.column[(ALL, ALL)]
        batch = _Batch()
        # A breakdown's categories add up to the group's all: one kind per breakdown (one whose
        # categories overlap, such as schools a pupil moved between, leaves the others in use),
        # written groups first, then breakdowns.
        kinds = codes.breakdown_of[columns]
        heads = group_ids * codes.n_columns + all_all + base
        template: list[np.ndarray] = []
        for breakdown in np.unique(kinds):
            if breakdown == codes.all_breakdown:
                continue
            members = np.append(columns[kinds == breakdown], all_all)
            one = _Batch()
            one.grid(
                heads,
                group_ids[:, None] * codes.n_columns + members[None, :] + base,
                [1.0] * (members.size - 1) + [-1.0],
            )
            if holds(one, True):
                template.append(members)
        if template:
            lengths = np.array([part.size for part in template])
            flat = np.concatenate(template)
            terms = (group_ids[:, None] * codes.n_columns + flat[None, :]).ravel() + base
            coefs = np.tile(np.concatenate([np.append(np.ones(n - 1), -1.0) for n in lengths]), group_ids.size)
            batch.add(np.repeat(heads, lengths.size), terms, coefs, np.tile(lengths, group_ids.size))
            equations.append(batch)
        # The group sums, for each column.
        batch = _Batch()
        present = set(group_ids.tolist())
        for total, parts in part_codes.items():
            t = codes.group[total]
            if t in present:
                members = np.append(parts, t)
                grid = members[None, :] * codes.n_columns + columns[:, None] + base
                batch.grid(t * codes.n_columns + columns + base, grid, [1.0] * parts.size + [-1.0])
        kind(batch)
        # A school within its phase, its locality, in or out of the authority: one kind per
        # parent breakdown, parents in order, then groups.
        children: dict[int, list[int]] = defaultdict(list)
        column_set = set(columns.tolist())
        for c in columns.tolist():
            for parent in parents_of[c]:
                if parent in column_set:
                    children[parent].append(c)
        by_parent: dict[int, _Batch] = defaultdict(_Batch)
        for parent in sorted(children):
            members = np.array([*dict.fromkeys(children[parent]), parent], dtype=np.int64)
            grid = group_ids[:, None] * codes.n_columns + members[None, :] + base
            heads = group_ids * codes.n_columns + parent + base
            by_parent[int(codes.breakdown_of[parent])].grid(heads, grid, [1.0] * (members.size - 1) + [-1.0])
        for breakdown in sorted(by_parent):
            kind(by_parent[breakdown])

    # A year against its terms.
    for bi, (s, p, qi) in enumerate(blocks):
        if codes.periods[p] != YEAR:
            continue
        terms_at = [block_of.get((s, codes.period.get(term, -1), qi), -1) for term in TERMS]
        terms_at = [t for t in terms_at if t >= 0]
        if not terms_at:
            continue
        keys = present_keys[bi]
        year = keys + bi * codes.n_keys
        each = [keys + t * codes.n_keys for t in terms_at]
        whole = len(terms_at) == len(TERMS)
        if whole:
            additive = _Batch()
            additive.grid(year, np.column_stack([*each, year]), [1.0] * len(each) + [-1.0])
            if holds(additive, True):
                equations.append(additive)
                continue
        # For each key, for each term: the term at most the year.
        within = _Batch()
        pairs = np.column_stack([np.column_stack([term, year]) for term in each]).reshape(-1, 2)
        within.grid(np.repeat(year, len(each)), pairs, [1.0, -1.0])
        bounds(within)
        if whole:
            above = _Batch()
            above.grid(year, np.column_stack([year, *each]), [1.0] + [-1.0] * len(each))
            bounds(above)

    # A people numerator within its people denominator: one kind per pair of quantities.
    block_code, _ = np.divmod(shown_codes, codes.n_keys)
    quantity_of = np.array([q for _, _, q in blocks], dtype=np.int64)[block_code] if blocks else block_code
    for num, den in sorted(set(subsets)):
        batch = _Batch()
        if num in codes.quantity and den in codes.quantity and num != den:
            mine = shown_codes[quantity_of == codes.quantity[num]]
            d = codes.quantity[den]
            own = (mine // codes.n_keys).tolist()
            partner = np.array([block_of.get((blocks[i][0], blocks[i][1], d), -1) for i in own], dtype=np.int64)
            partner_codes = partner * codes.n_keys + mine % codes.n_keys
            keep = (partner >= 0) & _find(unique, partner_codes)[1]
            mine, partner_codes = mine[keep], partner_codes[keep]
            batch.grid(mine, np.column_stack([mine, partner_codes]), [1.0, -1.0])
        bounds(batch)

    return _assemble(
        codes,
        blocks,
        (unique, rank, shown_codes, truth_shown),
        equations,
        inequalities,
        (entry_cell, np.array(entry_row, dtype=np.int64), np.array(entry_people, dtype=bool), row_entries),
    )


def _assemble(
    codes: _Codes,
    blocks: Sequence[tuple[int, int, int]],
    shown: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    equations: Sequence[_Batch],
    inequalities: Sequence[_Batch],
    entries: tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, tuple[int, int]]],
) -> System:
    """Number the sums and write the relations as matrices. ``shown``: the published sums' codes
    (sorted), their numbers, their codes in number order, their truth; ``entries``: for each (row,
    sum) shown, the sum's number, the row, whether it counts people; each row's span of them."""
    unique, rank, shown_codes, truth_shown = shown
    entry_cell, entry_row, entry_people, row_entries = entries
    eq = [b.arrays() for b in equations]
    ub = [b.arrays() for b in inequalities]
    # Sums only the relations name, numbered as the relations first name them: each equation's
    # total, then its terms; then the inequalities' terms.
    named: list[np.ndarray] = []
    for heads, terms, _, lengths in eq:
        with_heads = np.insert(terms, _starts(lengths), heads) if terms.size else terms
        named.append(with_heads)
    named.extend(terms for _, terms, _, _ in ub)
    sequence = np.concatenate(named) if named else np.array([], dtype=np.int64)
    new_codes, new_first = np.unique(sequence[~_find(unique, sequence)[1]], return_index=True)
    # new_codes sorted; first_named[j]: the number among the new sums of new_codes[j]
    by_first = np.argsort(new_first, kind="stable")
    first_named = np.empty_like(new_first)
    first_named[by_first] = np.arange(new_first.size)
    named_order = new_codes[by_first]
    n_shown = shown_codes.size

    def number(cs: np.ndarray) -> np.ndarray:
        at, shown = _find(unique, cs)
        out = np.empty(cs.size, dtype=np.int64)
        out[shown] = rank[at[shown]]
        out[~shown] = n_shown + first_named[np.searchsorted(new_codes, cs[~shown])]
        return out

    cells = codes.cells(np.concatenate([shown_codes, named_order]), blocks)
    n = len(cells)
    truth = np.concatenate([truth_shown, np.zeros(new_codes.size)])
    total_degree = np.zeros(n, dtype=int)
    a_eq = _matrix(eq, number, n)
    for heads, _, _, _ in eq:
        np.add.at(total_degree, number(heads), 1)
    a_ub = _matrix(ub, number, n)
    coo = a_ub.tocoo()
    slack = -np.bincount(coo.row, weights=coo.data * truth[coo.col], minlength=a_ub.shape[0])
    people = np.zeros(n, dtype=bool)
    people[entry_cell[entry_people]] = True
    by_cell = np.argsort(entry_cell, kind="stable")
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(entry_cell, minlength=n))
    return System(
        cells=cells,
        truth=truth,
        a_eq=a_eq,
        a_ub=a_ub,
        slack=np.maximum(slack, 0.0),
        total_degree=total_degree,
        people=people,
        entry_cell=entry_cell,
        entry_row=entry_row,
        row_entries=row_entries,
        publishers=(offsets, entry_row[by_cell]),
    )


def _matrix(
    batches: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    number: Callable[[np.ndarray], np.ndarray],
    n: int,
) -> csr_matrix:
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    data: list[np.ndarray] = []
    count = 0
    for _, terms, coefs, lengths in batches:
        rows.append(np.repeat(np.arange(count, count + lengths.size), lengths))
        cols.append(number(terms))
        data.append(coefs)
        count += lengths.size
    if not rows:
        return csr_matrix((0, n))
    matrix = coo_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(count, n))
    return matrix.tocsr()


def _find(ordered: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``codes`` is in ``ordered`` (sorted), and whether it is there at all."""
    if ordered.size == 0:
        return np.zeros(codes.size, dtype=np.int64), np.zeros(codes.size, dtype=bool)
    at = np.minimum(np.searchsorted(ordered, codes), ordered.size - 1)
    return at, ordered[at] == codes


def _starts(lengths: np.ndarray) -> np.ndarray:
    """Where each relation's terms begin, from their numbers."""
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def _segment_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each relation's sum (every relation has at least two terms)."""
    return np.add.reduceat(values, _starts(lengths))


def _parents(codes: _Codes, nesting: Mapping[tuple[str, str], Sequence[tuple[str, str]]]) -> list[list[int]]:
    out: list[list[int]] = []
    for column in codes.columns:
        out.append([codes.column[p] for p in nesting.get(column, ()) if p in codes.column])
    return out


def _present(shown_codes: np.ndarray, n_keys: int) -> list[np.ndarray]:
    """Each block's keys that some row shows, in sorted order."""
    ordered = np.sort(shown_codes)
    block = ordered // n_keys
    n_blocks = int(block.max()) + 1 if block.size else 0
    cuts = np.searchsorted(block, np.arange(n_blocks + 1))
    return [ordered[cuts[i] : cuts[i + 1]] % n_keys for i in range(n_blocks)]
