"""Statistical disclosure control for published tables (DfE official-statistics conventions).

The input is the measures engine's long table, one row per cell::

    measure, group, breakdown, breakdown_value, numerator, denominator, value

(plus partition columns such as ``academic_year`` and ``period``, named in ``by``). The output is
the same rows in the same order, with ``value`` as text (the figure, or a symbol), ``numerator`` and
``denominator`` blanked where suppressed, and ``suppression_reason`` (null when shown).

Algorithm, for each partition (e.g. academic year and period) separately:

1. **Families.** Measures that publish the same quantity (``MeasureSpec.numerator_quantity`` /
   ``denominator_quantity``, e.g. the ``roll`` under every exclusion rate) share one suppression
   pattern, unless one follows the other (then their patterns nest, which is just as safe).
   Families are handled in ``follows`` order.
2. **Primary.** A cell is suppressed when a count of people in it (a count measure's count, or a
   numerator/denominator flagged as people) is 1 to 5 (``DisclosureRules``), when another member of
   its family is, or when a measure it follows (by default ``pupils``) is suppressed at that cell.
3. **The additive structure.** For one family the cells form a grid: groups × (the ``all`` total and
   every breakdown's categories). Every quantity behind a figure is a sum, so each of these holds:
   a group's categories in one breakdown sum to its ``all`` cell (the ``all`` cell is shared by
   every breakdown), and in every column the parts of each group sum (``cwsw`` = its four statuses,
   ``all_pupils`` = ``cwsw`` + ``cla`` + ``not_cwsw``) add up to the total group. A cell missing
   from the table is an unknown the attacker may solve for, or a known zero if
   ``missing_is_zero``.
4. **Secondary, by relation.** While some relation has exactly one hidden cell that is suppressed,
   suppress one more of its shown cells: the one that is a total in fewest relations (never a total
   if avoidable), then non-zero before zero, then the smallest number of people, then a stable
   order (breakdown, category, group). Repeat until stable.
5. **Secondary, by linear algebra.** Step 4 stops recovery by any chain of single-unknown
   equations, but a combination of relations can still pin a cell down (a suppressed cell joining
   two otherwise protected blocks). Solve the attacker's system exactly (rational Gauss-Jordan on
   the hidden cells); while some suppressed cell is determined, suppress one more shown cell for
   it and go back to step 4. That cell is one the attacker's derivation needs: the relations
   around the cell are searched, shortest first, for a combination giving it (``certificate``),
   and the best shown cell (same preference) with a non-zero net coefficient in it is taken.
   A cell of the target's own relations would often not do: with ``cin`` = ``cinp`` +
   ``cin_other`` declared besides ``cwsw``, ``cin`` at a school is ``cwsw`` - ``cpp`` -
   ``ever6_previous`` there, whatever is hidden in ``cin``'s row (that took dozens of rounds
   and hid a third more cells on a county's table). When no combination is found close by, a
   shown cell of one of its relations is taken, else of any relation with a hidden cell.

The result: no suppressed cell of any family can be recovered exactly from the published cells
of that family and the declared relations (and, through ``follows`` and families, from any other
measure publishing the same quantity). Shown figures are never altered.

6. **Interval protection** (``DisclosureRules.protection_width`` > 0, over the whole table: a
   year with its terms): every primary sum keeps a feasible interval at least that wide given
   every relation between measures, periods, schools and their phases, and non-negativity
   (:mod:`ever6.disclosure.linked`, the classic cell-suppression model).

Limits (see ``docs/disclosure.md``): without step 6 only the declared relations are protected —
not relations between breakdowns (a school lies in one phase), nor between periods (terms'
sessions add up to the year), nor bounds from non-negativity (interval disclosure); with it,
secondary cells may still be narrowed. Knowledge from outside the table (a school knows its own
pupils) is never considered.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from ever6.disclosure._linear import Number, certificate, determined
from ever6.disclosure.memo import Memo
from ever6.disclosure.rules import DEFAULT_GROUP_SUMS, DisclosureRules, MeasureSpec

BASE_COLUMNS = ("measure", "group", "breakdown", "breakdown_value", "numerator", "denominator", "value")
REASON_COLUMN = "suppression_reason"
DEFAULT_BY = ("academic_year", "period")
ALL = "all"

Key = tuple[str, str, str]  # group, breakdown, breakdown_value


@dataclass(frozen=True)
class _Reason:
    kind: Literal["primary", "secondary"]
    text: str = ""
    protects: Key | None = None

    def body(self, measure: str) -> str:
        if self.protects is not None:
            group, breakdown, value = self.protects
            return f"protects {measure}/{group}/{breakdown}/{value}"
        return self.text

    def render(self, measure: str) -> str:
        return f"{self.kind}: {self.body(measure)}"


@dataclass(frozen=True)
class _Row:
    index: int
    numerator: float | None
    denominator: float | None
    value: float | None


@dataclass
class _Grid:
    """One family's cells in one partition, and the relations between them."""

    keys: list[Key]
    present: list[bool]
    known_zero: list[bool]
    size: list[float]
    total_degree: list[int]
    relations: list[tuple[int, tuple[int, ...]]]
    relations_of: list[list[int]]
    reasons: dict[int, _Reason] = field(default_factory=dict)
    sources: dict[int, str] = field(default_factory=dict)  # cell -> the family member suppressed at it

    def hidden(self, i: int) -> bool:
        return i in self.reasons or not (self.present[i] or self.known_zero[i])

    def preference(self, i: int) -> tuple[int, bool, float, int]:
        return (self.total_degree[i], self.size[i] == 0, self.size[i], i)

    def best_shown(self, cells: Iterable[int]) -> int | None:
        shown = [i for i in cells if self.present[i] and i not in self.reasons]
        return min(shown, key=self.preference) if shown else None


def suppress(
    table: pa.Table,
    specs: Mapping[str, MeasureSpec],
    rules: DisclosureRules = DisclosureRules(),  # noqa: B008 - frozen, so a shared default is safe
    group_sums: Mapping[str, Sequence[str]] = DEFAULT_GROUP_SUMS,
    *,
    by: Sequence[str] | None = None,
    missing_is_zero: bool = False,
    reasons: Literal["shared", "internal"] = "shared",
    nesting: Mapping[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
    memo: Memo | None = None,
) -> pa.Table:
    """Apply primary and secondary suppression and format every figure for publication.

    ``specs`` must describe every measure in the table. ``group_sums`` maps a total group to its
    disjoint parts. ``by`` names the columns that split the table into independent publications
    (default: those of ``academic_year`` and ``period`` present); any other extra column is an error,
    since it cannot be known whether it is safe to publish. ``missing_is_zero``: a category absent
    for a group that has other categories in that breakdown is a known zero (otherwise an unknown).
    ``nesting``: (breakdown, value) -> the categories of other breakdowns it lies in, e.g.
    ``("school", urn)`` -> ``[("phase", "Primary"), ("in_la", "in LA")]``; used by the linked check.
    ``reasons``: ``"shared"`` (the default, for anything that leaves the Virtual School) gives every
    suppressed cell the one reason ``rules.shared_reason``; ``"internal"`` the detailed reason
    (primary or secondary, and why), which would tell a reader whether a hidden count is 1 to 5.
    ``memo``: interval protection of components unchanged since an earlier run is replayed from
    it, and this run's is recorded there (:mod:`ever6.disclosure.memo`); the result is the same.

    Deterministic: the result depends on the table's content, not its row order.
    """
    partition_by = _partition_columns(table, by)
    _check_group_sums(group_sums)
    measures = table.column("measure").to_pylist()
    present_measures = sorted({str(m) for m in measures})
    for name in present_measures:
        if name not in specs:
            raise ValueError(f"no MeasureSpec for measure {name!r}")
        if specs[name].name != name:
            raise ValueError(f"specs[{name!r}] describes {specs[name].name!r}")
    families = _families([specs[m] for m in present_measures])

    columns = {c: table.column(c).to_pylist() for c in (*BASE_COLUMNS, *partition_by)}
    cells: dict[tuple[object, ...], dict[str, dict[Key, _Row]]] = defaultdict(lambda: defaultdict(dict))
    for i in range(table.num_rows):
        part = tuple(columns[c][i] for c in partition_by)
        measure = str(measures[i])
        key = (_text(columns["group"][i]), _text(columns["breakdown"][i]), _text(columns["breakdown_value"][i]))
        rows = cells[part][measure]
        if key in rows:
            raise ValueError(f"two rows for {measure}/{'/'.join(key)} in partition {part}")
        row = _Row(
            i, _number(columns["numerator"][i]), _number(columns["denominator"][i]), _number(columns["value"][i])
        )
        for label, people in (("numerator", row.numerator), ("denominator", row.denominator)):
            if people is not None and people < 0:
                raise ValueError(f"negative {label} for {measure}/{'/'.join(key)}")
        rows[key] = row

    if reasons not in ("shared", "internal"):
        raise ValueError(f"reasons is 'shared' or 'internal', not {reasons!r}")
    detail: list[str | None] = [None] * table.num_rows
    for part, part_cells in cells.items():
        for m in part_cells:
            spec = specs[m]
            if not spec.counts_people and not any(f in part_cells for f in spec.follows if f != m):
                raise ValueError(f"{m} counts no people and none of {spec.follows} is in partition {part}")
        done: dict[str, dict[Key, _Reason]] = {}
        sizes: dict[str, dict[Key, float]] = {}
        for family in families:
            members = [m for m in family if m in part_cells]
            if not members:
                continue
            grid = _build_grid(members, part_cells, specs, group_sums, missing_is_zero, sizes)
            _primary(grid, members, part_cells, specs, rules, done)
            _secondary(grid)
            for m in members:
                done[m] = _member_reasons(grid, m, part_cells[m], specs[m], rules)
                sizes[m] = {k: s for k, s, p in zip(grid.keys, grid.size, grid.present, strict=True) if p}
        for m, member_reasons in done.items():
            for key, reason in member_reasons.items():
                detail[part_cells[m][key].index] = reason.render(m)

    _linked(table, columns, partition_by, specs, rules, group_sums, nesting or {}, detail, memo)
    if reasons == "shared":
        detail = [None if d is None else rules.shared_reason for d in detail]
    return _publish(table, specs, rules, detail)


def _linked(
    table: pa.Table,
    columns: Mapping[str, list[object]],
    partition_by: Sequence[str],
    specs: Mapping[str, MeasureSpec],
    rules: DisclosureRules,
    group_sums: Mapping[str, Sequence[str]],
    nesting: Mapping[tuple[str, str], Sequence[tuple[str, str]]],
    detail: list[str | None],
    memo: Memo | None = None,
) -> None:
    """Suppress more until no primary sum is narrower than ``rules.protection_width`` given
    everything published together (:mod:`ever6.disclosure.linked`)."""
    if rules.protection_width <= 0 or table.num_rows == 0:
        return
    from ever6.disclosure.linked import Published, protect  # HiGHS, loaded only when asked for

    period_column = "period" if "period" in partition_by else None
    set_columns = [c for c in partition_by if c != period_column]
    rows: list[Published] = []
    for i in range(table.num_rows):
        spec = specs[str(columns["measure"][i])]
        numerator, denominator = _number(columns["numerator"][i]), _number(columns["denominator"][i])
        if spec.kind == "count" and numerator is None:
            numerator = _number(columns["value"][i])
        values = (numerator,) if spec.kind == "count" else (numerator, denominator)
        people = (spec.people_numerator,) if spec.kind == "count" else (spec.people_numerator, spec.people_denominator)
        rows.append(
            Published(
                row=i,
                pub_set=tuple(columns[c][i] for c in set_columns),
                period=_text(columns[period_column][i]) if period_column else "",
                measure=spec.name,
                key=(_text(columns["group"][i]), _text(columns["breakdown"][i]), _text(columns["breakdown_value"][i])),
                sums=tuple(zip(spec.sums(), values, strict=True)),
                people=people,
            )
        )
    subsets = [spec.sums() for spec in specs.values() if spec.people_numerator and spec.people_denominator]
    followers: dict[str, list[str]] = defaultdict(list)
    for spec in specs.values():
        for leader in spec.follows:
            if leader != spec.name:
                followers[leader].append(spec.name)
    hidden = {i for i, d in enumerate(detail) if d is not None}
    protection = protect(
        rows,
        hidden,
        group_sums,
        nesting,
        [(a, b) for a, b in subsets],
        followers,
        rules.protection_width,
        rules.is_small,
        memo,
    )
    for i, reason in protection.added.items():
        detail[i] = reason


def for_school(table: pa.Table, urn: str, *, school_breakdown: str = "school") -> pa.Table:
    """What one school's users may see of a suppressed table.

    Every row except other schools' rows under the ``school`` breakdown: the school's own rows and
    the authority-wide ones (the totals and every other breakdown), as suppressed by :func:`suppress`.
    """
    if REASON_COLUMN not in table.column_names or not pa.types.is_string(table.schema.field("value").type):
        raise ValueError("for_school takes the output of suppress(), never unsuppressed figures")
    own = str(urn).strip()
    if not own:
        raise ValueError("a school is identified by its URN")
    other_breakdown = pc.fill_null(pc.not_equal(table.column("breakdown"), school_breakdown), False)
    own_school = pc.fill_null(pc.equal(table.column("breakdown_value").cast(pa.string()), own), False)
    return table.filter(pc.or_(other_breakdown, own_school))


# --- structure ---------------------------------------------------------------------------------


def _partition_columns(table: pa.Table, by: Sequence[str] | None) -> tuple[str, ...]:
    names = table.column_names
    missing = [c for c in BASE_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"the table lacks columns {missing}")
    if REASON_COLUMN in names:
        raise ValueError("the table has already been suppressed")
    chosen = tuple(c for c in DEFAULT_BY if c in names) if by is None else tuple(by)
    unknown = [c for c in chosen if c not in names]
    if unknown:
        raise ValueError(f"by names columns not in the table: {unknown}")
    extra = [c for c in names if c not in BASE_COLUMNS and c not in chosen]
    if extra:
        raise ValueError(f"unexpected columns {extra}: name them in by= if they split the table")
    for c in ("numerator", "denominator", "value"):
        t = table.schema.field(c).type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_null(t)):
            raise ValueError(f"column {c} must be numeric, not {t}")
    return chosen


def _check_group_sums(group_sums: Mapping[str, Sequence[str]]) -> None:
    for total, parts in group_sums.items():
        if isinstance(parts, str):
            raise TypeError(f"group_sums[{total!r}] is a sequence of groups, not a string")
        if total in parts or len(set(parts)) != len(parts) or not parts:
            raise ValueError(f"group_sums[{total!r}] must list distinct parts other than the total")


def _families(specs: Sequence[MeasureSpec]) -> list[list[str]]:
    """Measures sharing a quantity (and not following one another), ordered so leaders come first."""
    names = {s.name for s in specs}
    by_name = {s.name: s for s in specs}
    for s in specs:
        absent = [f for f in s.follows if f != s.name and f not in names]
        if absent and not s.counts_people:
            raise ValueError(
                f"{s.name} counts no people and follows {absent}, which are not in the table: "
                "include them, or set follows to a people count that is"
            )

    def leaders(name: str) -> set[str]:
        seen: set[str] = set()
        stack = [f for f in by_name[name].follows if f in names and f != name]
        while stack:
            f = stack.pop()
            if f not in seen:
                seen.add(f)
                stack.extend(g for g in by_name[f].follows if g in names and g != f)
        return seen

    ancestry = {n: leaders(n) for n in names}
    people: dict[str, bool] = {}
    users: dict[str, list[str]] = defaultdict(list)
    for s in specs:
        for quantity, counts_people in s.quantities():
            if people.setdefault(quantity, counts_people) != counts_people:
                raise ValueError(f"quantity {quantity!r} is flagged as people in one spec and not in another")
            users[quantity].append(s.name)

    parent = {n: n for n in names}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for sharing in users.values():
        for a in sharing:
            for b in sharing:
                if a < b and a not in ancestry[b] and b not in ancestry[a]:
                    parent[find(a)] = find(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in sorted(names):
        groups[find(n)].append(n)
    family_of = {n: root for root, members in groups.items() for n in members}

    ordered: list[list[str]] = []
    placed: set[str] = set()
    pending = sorted(groups, key=lambda r: groups[r][0])
    while pending:
        ready = [
            r
            for r in pending
            if all(family_of[a] in placed or family_of[a] == r for m in groups[r] for a in ancestry[m])
        ]
        if not ready:
            raise ValueError(f"measures follow each other in a cycle: {[groups[r] for r in pending]}")
        for r in ready:
            ordered.append(groups[r])
            placed.add(r)
        pending = [r for r in pending if r not in placed]
    return ordered


def _build_grid(
    members: list[str],
    part_cells: Mapping[str, Mapping[Key, _Row]],
    specs: Mapping[str, MeasureSpec],
    group_sums: Mapping[str, Sequence[str]],
    missing_is_zero: bool,
    leader_sizes: Mapping[str, Mapping[Key, float]],
) -> _Grid:
    present_keys: set[Key] = set()
    for m in members:
        present_keys.update(part_cells[m])
    groups = {g for g, _, _ in present_keys}
    sums = {t: tuple(p) for t, p in group_sums.items() if t in groups or groups.intersection(p)}
    universe = groups | set(sums) | {p for parts in sums.values() for p in parts}
    total_values = {v for _, b, v in present_keys if b == ALL}
    if len(total_values) > 1:
        raise ValueError(f"breakdown {ALL!r} has several values {sorted(total_values)} in {members}")
    total_value = total_values.pop() if total_values else ALL
    categories: dict[str, set[str]] = defaultdict(set)
    group_breakdowns: set[tuple[str, str]] = set()
    for g, b, v in present_keys:
        if b != ALL:
            categories[b].add(v)
            group_breakdowns.add((g, b))
    columns = [(ALL, total_value)] + [(b, v) for b in sorted(categories) for v in sorted(categories[b])]
    keys = [(g, b, v) for b, v in columns for g in sorted(universe)]
    index = {k: i for i, k in enumerate(keys)}

    relations: list[tuple[int, tuple[int, ...]]] = []
    for g in sorted(universe):
        for b in sorted(categories):
            row_parts = tuple(index[(g, b, v)] for v in sorted(categories[b]))
            relations.append((index[(g, ALL, total_value)], row_parts))
    for total_group, part_groups in sorted(sums.items()):
        for b, v in columns:
            relations.append((index[(total_group, b, v)], tuple(index[(p, b, v)] for p in part_groups)))
    relations_of: list[list[int]] = [[] for _ in keys]
    total_degree = [0] * len(keys)
    for r, relation in enumerate(relations):
        total_degree[relation[0]] += 1
        for cell in _members(relation):
            relations_of[cell].append(r)

    present = [k in present_keys for k in keys]
    known_zero = [
        missing_is_zero and not p and k[1] != ALL and (k[0], k[1]) in group_breakdowns
        for k, p in zip(keys, present, strict=True)
    ]
    size = [
        _size(k, members, part_cells, specs, leader_sizes) if p else math.inf
        for k, p in zip(keys, present, strict=True)
    ]
    return _Grid(keys, present, known_zero, size, total_degree, relations, relations_of)


def _size(
    key: Key,
    members: Sequence[str],
    part_cells: Mapping[str, Mapping[Key, _Row]],
    specs: Mapping[str, MeasureSpec],
    leader_sizes: Mapping[str, Mapping[Key, float]],
) -> float:
    """The number of people behind a cell, for choosing the smallest cell to suppress next."""
    rows = [(specs[m], part_cells[m].get(key)) for m in members]
    for spec, row in rows:
        if row is not None and spec.people_denominator and row.denominator is not None:
            return row.denominator
    for spec, row in rows:
        if row is not None and spec.people_numerator:
            count = _count(spec, row)
            if count is not None:
                return count
    for spec, _ in rows:
        for leader in spec.follows:
            if key in leader_sizes.get(leader, {}):
                return leader_sizes[leader][key]
    for _, row in rows:
        if row is not None:
            for number in (row.denominator, row.numerator, row.value):
                if number is not None:
                    return number
    return math.inf


# --- suppression -------------------------------------------------------------------------------


def _primary(
    grid: _Grid,
    members: Sequence[str],
    part_cells: Mapping[str, Mapping[Key, _Row]],
    specs: Mapping[str, MeasureSpec],
    rules: DisclosureRules,
    done: Mapping[str, Mapping[Key, _Reason]],
) -> None:
    index = {k: i for i, k in enumerate(grid.keys)}
    for m in members:
        for key in sorted(part_cells[m]):
            i = index[key]
            reason = _own_primary(specs[m], part_cells[m][key], rules)
            if reason is not None and i not in grid.reasons:
                grid.reasons[i] = reason
                grid.sources[i] = m
    for m in members:
        for leader in specs[m].follows:
            for key, leader_reason in sorted(done.get(leader, {}).items()):
                j = index.get(key)
                if j is not None and grid.present[j] and j not in grid.reasons:
                    grid.reasons[j] = _Reason(leader_reason.kind, f"{leader} suppressed ({leader_reason.body(leader)})")


def _own_primary(spec: MeasureSpec, row: _Row, rules: DisclosureRules) -> _Reason | None:
    if spec.kind == "count":
        count = _count(spec, row)
        if spec.people_numerator and count is not None and rules.is_small(count):
            return _Reason("primary", f"count {rules.describe_small(count)}")
        return None
    if spec.people_numerator and row.numerator is not None and rules.is_small(row.numerator):
        return _Reason("primary", f"numerator {rules.describe_small(row.numerator)}")
    if spec.people_denominator and row.denominator is not None and rules.is_small(row.denominator):
        return _Reason("primary", f"denominator {rules.describe_small(row.denominator)}")
    return None


def _secondary(grid: _Grid) -> None:
    while True:
        _by_relation(grid)
        exposed = sorted(i for i in _recoverable(grid) if i in grid.reasons)
        if not exposed:
            return
        # Protect every exposed cell in one round, one extra cell each, before solving again:
        # solving is the expensive step (on a county's table, one cell per solve took minutes).
        # Measured on such a table this also hid slightly fewer cells than one at a time.
        added = False
        widened: _Widened | None = None
        for target in exposed:
            local = _local_certificate(grid, target)
            if local == _SAFE and added:
                continue  # the cells hidden earlier in this round already protect it
            choice = local if isinstance(local, int) else None
            if choice is None:  # no derivation found close by: a shown cell of one of its relations
                relations = grid.relations_of[target]
                choice = grid.best_shown(i for r in relations for i in _members(grid.relations[r]))
            if choice is None:  # its own relations are all hidden: widen to every relation with a hidden cell
                widened = widened or _Widened(grid)
                choice = widened.best()
            if choice is None:
                continue
            grid.reasons[choice] = _Reason("secondary", protects=grid.keys[target])
            if widened is not None:
                widened.hide(choice)
            added = True
        if not added:
            return  # nothing left to suppress


_SAFE: Literal["safe"] = "safe"
_LOCAL_BUDGET = 4096  # relation members a local search may take in before giving up


def _local_certificate(grid: _Grid, target: int) -> int | Literal["safe"] | None:
    """The shown cell to hide that breaks the attacker's derivation of ``target``, found close by.

    The relations reachable from ``target`` through hidden cells are taken in, shortest first,
    until the exact solver (:func:`certificate`) finds a combination of them that gives ``target``:
    every shown cell with a non-zero net coefficient in that combination is needed by it, and the
    best of them (``_Grid.preference``) is the answer. Hiding a cell of one of the target's own
    relations instead may leave the derivation intact (``cin`` = ``cwsw`` - ``cpp`` -
    ``ever6_previous`` at a school goes through none of ``cin``'s long row relation), which is
    what made this step take dozens of solving rounds on a county's table.

    ``"safe"`` when every relation connected to ``target`` was taken in and none gives it (cells
    hidden since the last solve protect it); None when the search gave up (too large) or the
    derivation needs no shown cell (it only uses known zeros).
    """
    taken: list[int] = []
    seen_relations = set(grid.relations_of[target])
    seen_cells = {target}
    frontier = [(len(grid.relations[r][1]) + 1, r) for r in seen_relations]
    heapq.heapify(frontier)
    size = 0  # members of the relations taken in
    checked = 0  # how many of them the last check had
    while frontier:
        length, r = frontier[0]
        # Solve before a relation that would more than double the search, or after doubling it.
        if len(taken) > checked and (length > size or len(taken) >= 2 * checked):
            checked = len(taken)
            found = _break(grid, taken, target)
            if found is not None:
                return found
        if size + length > _LOCAL_BUDGET and taken:
            return None
        heapq.heappop(frontier)
        taken.append(r)
        size += length
        for cell in _members(grid.relations[r]):
            if cell not in seen_cells and grid.hidden(cell):
                seen_cells.add(cell)
                for other in grid.relations_of[cell]:
                    if other not in seen_relations:
                        seen_relations.add(other)
                        heapq.heappush(frontier, (len(grid.relations[other][1]) + 1, other))
    if len(taken) > checked:
        found = _break(grid, taken, target)
        if found is not None:
            return found
    return _SAFE


def _break(grid: _Grid, relations: Sequence[int], target: int) -> int | None:
    """If ``relations`` fix ``target``, the best shown cell their combination giving it needs."""
    multipliers = certificate([_equation(grid, grid.relations[r]) for r in relations], target)
    if multipliers is None:
        return None
    net: dict[int, Number] = defaultdict(int)
    for e, y in multipliers.items():
        total, parts = grid.relations[relations[e]]
        net[total] -= y
        for i in parts:
            net[i] += y
    return grid.best_shown(i for i, c in net.items() if c and not grid.hidden(i))


class _Widened:
    """The shown cells of every relation with a hidden cell, best first (a heap, kept as cells are
    hidden): what an exposed cell whose own relations are all hidden is protected with. Scanning
    every relation for each such cell took most of a county-sized publication's time."""

    def __init__(self, grid: _Grid) -> None:
        self.grid = grid
        self.seen: set[int] = set()
        self.heap: list[tuple[tuple[int, bool, float, int], int]] = []
        for relation in grid.relations:
            if any(grid.hidden(j) for j in _members(relation)):
                self._add(relation)

    def _add(self, relation: tuple[int, tuple[int, ...]]) -> None:
        for i in _members(relation):
            if i not in self.seen and self.grid.present[i]:
                self.seen.add(i)
                heapq.heappush(self.heap, (self.grid.preference(i), i))

    def hide(self, cell: int) -> None:
        for r in self.grid.relations_of[cell]:
            self._add(self.grid.relations[r])

    def best(self) -> int | None:
        while self.heap and self.heap[0][1] in self.grid.reasons:
            heapq.heappop(self.heap)
        return self.heap[0][1] if self.heap else None


def _by_relation(grid: _Grid) -> None:
    changed = True
    while changed:
        changed = False
        for relation in grid.relations:
            hidden = [i for i in _members(relation) if grid.hidden(i)]
            if len(hidden) != 1 or hidden[0] not in grid.reasons:
                continue
            choice = grid.best_shown(_members(relation))
            if choice is not None:
                grid.reasons[choice] = _Reason("secondary", protects=grid.keys[hidden[0]])
                changed = True


def _recoverable(grid: _Grid) -> set[int]:
    equations = [_equation(grid, relation) for relation in grid.relations]
    return determined(equation for equation in equations if equation)


def _equation(grid: _Grid, relation: tuple[int, tuple[int, ...]]) -> list[tuple[int, int]]:
    """The attacker's equation from a relation: its hidden cells (parts +1, the total -1)."""
    total, parts = relation
    equation = [(i, 1) for i in parts if grid.hidden(i)]
    if grid.hidden(total):
        equation.append((total, -1))
    return equation


def _members(relation: tuple[int, tuple[int, ...]]) -> tuple[int, ...]:
    return (relation[0], *relation[1])


def _member_reasons(
    grid: _Grid, measure: str, rows: Mapping[Key, _Row], spec: MeasureSpec, rules: DisclosureRules
) -> dict[Key, _Reason]:
    out: dict[Key, _Reason] = {}
    for i, reason in grid.reasons.items():
        key = grid.keys[i]
        if key not in rows:
            continue
        own = _own_primary(spec, rows[key], rules)
        source = grid.sources.get(i)
        if own is not None:
            out[key] = own
        elif source is not None and source != measure:
            out[key] = _Reason("primary", f"{source} suppressed ({reason.body(source)})")
        else:
            out[key] = reason
    return out


# --- output ------------------------------------------------------------------------------------


def _publish(
    table: pa.Table, specs: Mapping[str, MeasureSpec], rules: DisclosureRules, reasons: list[str | None]
) -> pa.Table:
    measures = table.column("measure").to_pylist()
    numerators = table.column("numerator").to_pylist()
    denominators = table.column("denominator").to_pylist()
    values = table.column("value").to_pylist()
    shown_num: list[object] = []
    shown_den: list[object] = []
    text: list[str] = []
    for i, reason in enumerate(reasons):
        if reason is not None:
            shown_num.append(None)
            shown_den.append(None)
            text.append(rules.suppressed)
            continue
        shown_num.append(numerators[i])
        shown_den.append(denominators[i])
        row = _Row(i, _number(numerators[i]), _number(denominators[i]), _number(values[i]))
        text.append(_format(specs[str(measures[i])], row, rules))
    out = table
    for name, data in (("numerator", shown_num), ("denominator", shown_den)):
        position = out.schema.get_field_index(name)
        out = out.set_column(position, out.schema.field(name), pa.array(data, type=out.schema.field(name).type))
    position = out.schema.get_field_index("value")
    out = out.set_column(position, pa.field("value", pa.string()), pa.array(text, type=pa.string()))
    return out.append_column(pa.field(REASON_COLUMN, pa.string()), pa.array(reasons, type=pa.string()))


def _format(spec: MeasureSpec, row: _Row, rules: DisclosureRules) -> str:
    figure = _count(spec, row) if spec.kind == "count" else row.value
    if figure is None:
        if spec.kind != "count" and row.denominator == 0:
            return rules.not_applicable
        return rules.not_available
    decimals = spec.display_decimals
    shown = round(figure, decimals)
    if spec.kind != "count" and shown == 0 and (figure != 0 or (row.numerator or 0) > 0):
        return rules.low
    return f"{shown + 0.0:.{decimals}f}"


def _count(spec: MeasureSpec, row: _Row) -> float | None:
    return row.numerator if row.numerator is not None else row.value


def _number(x: object) -> float | None:
    if x is None:
        return None
    if not isinstance(x, int | float | Decimal):
        raise TypeError(f"expected a number, got {x!r}")
    number = float(x)
    return None if math.isnan(number) else number


def _text(x: object) -> str:
    return "" if x is None else str(x)
