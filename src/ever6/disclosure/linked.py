"""Protection against interval disclosure: every primary sum keeps a feasible interval at least
``width`` wide, given everything published together.

A reader gets a year with its terms, and every measure; so a suppressed sum is attacked with every
relation that holds between them (an attacker with linear programming finds them all):

* a breakdown's categories add up to the group's ``all`` (each breakdown a kind of its own); the
  group sums (``cwsw``, ``cin``, ``all_pupils``); a school's figures add up to its phase's, to in /
  out of the authority and to its locality's (``nesting``; each breakdown a kind of its own);
* a sum that several measures publish (pupils; the roll under the exclusion rates; possible
  sessions under the absence rates) is one unknown, known wherever any of them shows it;
* the terms add up to the year for additive sums (sessions), and bound it for head counts (each
  term at most the year, the year at most the terms' sum);
* a people numerator is at most its people denominator;
* every sum is at least 0.

A kind of relation is used when it holds on the figures themselves (checked, not assumed): one
that holds here would hold for an attacker too, and using more relations than the attacker does
only makes the protection stricter. They are built in :mod:`ever6.disclosure.relations`.

The method is the classic cell-suppression model (Fischetti and Salazar-Gonzalez; what
tau-Argus does), solved one primary sum at a time. The truth is a table that satisfies every
relation; so is the truth plus any perturbation ``y`` with ``A y = 0``, ``A_ub y <= slack`` and
``truth + y >= 0``. If ``y`` moves a primary sum ``p`` by at least ``width`` and touches only
suppressed sums, a reader cannot tell the two tables apart, so ``p``'s interval is at least
``width`` wide (an attacker's linear relaxation contains both; rounding inwards keeps the width,
since both ends are whole numbers). For each primary ``p`` (a count of people of 1 to 5), one
linear program finds the cheapest such ``y`` (``y_p >= width``; downwards when upwards is
impossible), where moving a sum already suppressed costs nothing and a shown one costs more the
more it is a total and the more rows show it; every shown sum ``y`` moves is then suppressed.
Suppressing more only widens every interval, so each ``y`` stays valid in the final table: no
re-check loop. A primary that an earlier ``y`` already moved by ``width`` needs no program of its
own, nor does one that a few programs over the suppressed sums alone (shown ones held) move by
the width: most of them, after exact-recovery suppression; those few programs run again after
every ``AGAIN`` programs that suppressed something. The relations fall apart into
connected components; one HiGHS model per component is built once and solved again with only
bounds and costs changed, each time from the slack basis (nothing moved), which is quicker than
going on from the last perturbation's. In a large component a primary's program is first
solved within its period (a term with its year, or the year), the other sums held still
(``_Periods``): a quarter to a half of the sums, and most perturbations are found there; and
up to ``_BATCH`` primaries of other schools, quantities and groups are pushed up by one program,
since HiGHS's cost per solve is most of a program's there. Before its period, such a program is
solved over a few schools (``_Periods._near``): the primaries' own and, for each, the
``_NEAR_PARTNERS`` schools sharing most relations with it (its phase, locality, in or out of
the authority), the most suppressed first, with every sum of the other breakdowns of the period
and its year: a tenth of the sums, the rest held still on the same argument. The passes of such
a component run block by block (``_Blocks``), the rest held still on the same argument: schools
that add up alike (to the same phase, locality and authority), about ``_BLOCK_VALUES`` a block, and
the other breakdowns' sums; a round costs milliseconds there, against seconds over the component,
and a pass solves again only the blocks where something was suppressed since.

Before any program, a "cube" is tried (``cubes``): a perturbation built from the relations'
structure (the primary's school up by the width and schools of the same phase and authority down,
crossed with small moves along its group, its period and its quantity that the relations there
leave at 0) and checked by arithmetic against every relation of the component, so it protects on
the same argument as a program's. Where the passes are over the whole component, one that moves
only suppressed sums settles its primaries for nothing, before the passes (a block's pass finds
those and more); in the loop, one whose shown sums cost at most ``_CUBE_PRICE`` is taken instead
of the primary's program. What no cube settles goes to the passes and programs as before.

Sums that are suppressed but not primary (secondary cells, 0 or 6 and more) are not protected by
this: their value is not itself disclosive (``docs/disclosure.md``).

Given a :class:`~ever6.disclosure.memo.Memo`, a component whose input is unchanged since the run
that filled it is not solved again: its recorded ``hide`` calls are replayed (``disclosure.memo``).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
from scipy.sparse import csc_matrix  # type: ignore[import-untyped]
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

from ever6.disclosure.cubes import Cell, Cubes, entries
from ever6.disclosure.memo import Entry, Memo, RowView, component_key
from ever6.disclosure.relations import YEAR, build

_DEBUG = bool(os.environ.get("EVER6_LINKED_DEBUG"))
# A folder to pickle each large component into (with the width), for ``bench/replay_components``.
_DUMP = os.environ.get("EVER6_LINKED_DUMP")


def _kept_model(
    cost: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    columns: csc_matrix,
) -> Any:
    """A HiGHS instance holding the program ``min cost . x``, ``lower <= x <= upper``, ``row_lower <=
    columns x <= row_upper`` (``columns``: the constraint matrix compressed by column), quiet and
    without presolve: it is kept and solved again as costs and bounds change, from the last point.
    Passed as arrays, not as a ``HighsLp`` (a tenth of the time: at la a program over a few schools
    took 30 ms to build that way, against 3 ms)."""
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("presolve", "off")
    n = cost.size
    status = highs.passModel(
        n,
        row_lower.size,
        columns.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.asarray(cost, dtype=float),
        np.asarray(lower, dtype=float),
        np.asarray(upper, dtype=float),
        np.asarray(row_lower, dtype=float),
        np.asarray(row_upper, dtype=float),
        columns.indptr[:-1].astype(np.int32),
        columns.indices.astype(np.int32),
        columns.data.astype(float),
        np.zeros(n, dtype=np.int32),  # every column continuous
    )
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS refused a program of {n} columns and {row_lower.size} rows")
    return highs


@dataclass(frozen=True)
class Published:
    """One table row, as the protection sees it."""

    row: int
    pub_set: object  # the rows published together (e.g. one academic year)
    period: str
    measure: str
    key: tuple[str, str, str]  # group, breakdown, breakdown value
    sums: tuple[tuple[str, float | None], ...]  # (quantity, value) for each integer sum it shows
    people: tuple[bool, ...] = ()  # for each sum: whether it counts people


@dataclass
class Protection:
    """What :func:`protect` did: rows added (row -> internal reason) and its counts."""

    added: dict[int, str]
    primary: int = 0  # primary sums given a perturbation of their own (a program's or a cube's)
    programs: int = 0  # linear programs solved
    unprotectable: int = 0  # primary sums no perturbation can move by the width
    free: int = 0  # primary sums already protected by what was suppressed before
    cubes: int = 0  # primary sums protected by a cube (``cubes``), of those free or not
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # CPU, by step


def protect(
    rows: Sequence[Published],
    hidden_rows: set[int],
    group_sums: Mapping[str, Sequence[str]],
    nesting: Mapping[tuple[str, str], Sequence[tuple[str, str]]],
    subsets: Sequence[tuple[str, str]],
    followers: Mapping[str, Sequence[str]],
    width: int,
    is_small: Callable[[float], bool],
    memo: Memo | None = None,
) -> Protection:
    """Rows to suppress besides ``hidden_rows`` so that no primary sum is narrower than ``width``.

    A primary sum is a people sum, suppressed, with ``is_small(value)``. ``nesting``: (breakdown,
    value) -> the categories of other breakdowns it lies in (a school -> its phase, in / out of
    the authority). ``subsets``: (numerator quantity, denominator quantity) pairs where the first
    counts some of the people the second counts. ``followers``: measure -> the measures suppressed
    wherever it is. ``memo``: components' protections recorded by an earlier run, replayed where
    a component's input is unchanged; this run's are recorded in it (``disclosure.memo``).
    """
    result = Protection(added={})
    if width <= 0 or not rows:
        return result
    # In content order: the same table in any row order gives the same programs and cells.
    rows = sorted(rows, key=lambda r: (str(r.pub_set), r.period, r.measure, r.key))
    hidden = set(hidden_rows)
    by_cell_key: dict[tuple[object, str, tuple[str, str, str]], list[Published]] = defaultdict(list)
    for r in rows:
        by_cell_key[(r.pub_set, r.period, r.key)].append(r)
    by_row = {r.row: r for r in rows}
    model = build(rows, group_sums, nesting, subsets)
    n = len(model.cells)
    rows_shown = np.bincount(model.entry_cell, minlength=n)
    hidden_entry = np.isin(model.entry_row, np.fromiter(hidden, dtype=np.int64, count=len(hidden)))
    shown_rows = np.bincount(model.entry_cell[~hidden_entry], minlength=n)
    primary = model.people & (shown_rows == 0)
    primary[primary] = [is_small(float(v)) for v in model.truth[primary]]
    # What moving a shown sum costs: more for a total (it is in more relations as the total, and
    # its suppression is the most felt) and for a sum that more rows show.
    weight = (1.0 + model.total_degree) * np.maximum(1, rows_shown)

    def hide_row(row: int, reason: str, newly: list[int]) -> None:
        if row in hidden:
            return
        hidden.add(row)
        result.added[row] = reason
        for i in model.cells_of(row).tolist():
            shown_rows[i] -= 1
            if shown_rows[i] == 0:
                newly.append(i)

    def hide_cell(i: int, reason: str) -> list[int]:
        newly: list[int] = []
        cell = model.cells[i]
        leaders = set()
        for row in model.rows_of(i).tolist():
            leaders.add(by_row[row].measure)
            hide_row(row, reason, newly)
        # Measures that follow a measure suppressed here are suppressed here too.
        for r in by_cell_key[(cell[0], cell[1], (cell[3], cell[4], cell[5]))]:
            if any(r.measure in followers.get(m, ()) for m in leaders):
                hide_row(r.row, reason, newly)
        return newly

    a_eq, a_ub, slack = model.a_eq, model.a_ub, model.slack
    labels = _components(a_eq, a_ub, n)
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    eq_csc = a_eq.tocsc()
    ub_csc = a_ub.tocsc()
    for members in np.split(order, cuts):
        todo = [int(k) for k in np.flatnonzero(primary[members])]
        if not todo:
            continue
        if _DEBUG:
            print(f"component of {members.size} sums, {len(todo)} primary", file=sys.stderr, flush=True)
            clock = time.process_time()
            before = (result.primary, result.programs, result.free, len(result.added), result.cubes)
        local = {int(g): k for k, g in enumerate(members)}
        rows_eq = _rows_touching(eq_csc, members)
        rows_ub = _rows_touching(ub_csc, members)
        component = Component(
            a_eq=eq_csc[rows_eq][:, members],
            a_ub=ub_csc[rows_ub][:, members],
            slack=slack[rows_ub],
            truth=model.truth[members],
            cost=np.where(shown_rows[members] > 0, weight[members], 0.0),
            cells=[model.cells[int(g)] for g in members],
            hidden=shown_rows[members] == 0,
            todo=todo,
        )

        if _DUMP and members.size >= _RESTRICT_FROM:
            _dump(component, width)

        def hide(k: int, reason: str, members: np.ndarray = members, local: dict[int, int] = local) -> list[int]:
            g = int(members[k])
            if _DEBUG:
                print("hide", model.cells[g], file=sys.stderr)
            return [local[i] for i in hide_cell(g, reason) if i in local]

        if memo is None:
            protect_component(component, width, hide, result)
        else:
            showing = {row for g in members.tolist() for row in model.rows_of(g).tolist()}
            views = [_row_view(by_row[row], row in hidden, model.cells_of(row), local) for row in showing]
            _memoised(component, width, hide, result, memo, views, followers)
        if _DEBUG:
            print(
                f"  {time.process_time() - clock:.1f} CPU s: {result.primary - before[0]} primaries given a"
                f" perturbation of their own, {result.programs - before[1]} programs, {result.free - before[2]} free,"
                f" {result.cubes - before[4]} by cubes, {len(result.added) - before[3]} rows suppressed",
                file=sys.stderr,
                flush=True,
            )
    return result


def _row_view(r: Published, hidden: bool, numbers: np.ndarray, local: Mapping[int, int]) -> RowView:
    sums = tuple((q, local.get(i, -1)) for (q, _), i in zip(r.sums, numbers.tolist(), strict=True))
    return RowView((repr(r.pub_set), r.period, r.measure, *r.key), hidden, sums)


def _memoised(
    component: Component,
    width: int,
    hide: Callable[[int, str], list[int]],
    result: Protection,
    memo: Memo,
    rows: Sequence[RowView],
    followers: Mapping[str, Sequence[str]],
) -> None:
    """:func:`protect_component`, or the replay of its recorded ``hide`` calls when everything it
    reads is as it was when they were recorded (``disclosure.memo``)."""
    c = component
    arrays = [
        ("a_eq.shape", np.array(c.a_eq.shape)),
        ("a_eq.indptr", c.a_eq.indptr),
        ("a_eq.indices", c.a_eq.indices),
        ("a_eq.data", c.a_eq.data),
        ("a_ub.shape", np.array(c.a_ub.shape)),
        ("a_ub.indptr", c.a_ub.indptr),
        ("a_ub.indices", c.a_ub.indices),
        ("a_ub.data", c.a_ub.data),
        ("slack", c.slack),
        ("truth", c.truth),
        ("cost", c.cost),
        ("hidden", c.hidden),
    ]
    key = component_key(arrays, c.cells, c.todo, rows, followers, width, _tunables())
    entry = memo.find(key)
    if entry is not None:
        # The real hide: what it suppresses in rows of later components happens as it did.
        for k, reason in entry.hides:
            hide(k, reason)
        primary, programs, unprotectable, free, cubes = entry.counts
        result.primary += primary
        result.programs += programs
        result.unprotectable += unprotectable
        result.free += free
        result.cubes += cubes
        return
    calls: list[tuple[int, str]] = []

    def recorded(k: int, reason: str) -> list[int]:
        calls.append((k, reason))
        return hide(k, reason)

    before = (result.primary, result.programs, result.unprotectable, result.free, result.cubes)
    clock = time.process_time()
    protect_component(c, width, recorded, result)
    after = (result.primary, result.programs, result.unprotectable, result.free, result.cubes)
    counts = tuple(a - b for a, b in zip(after, before, strict=True))
    memo.record(
        key,
        Entry(tuple(calls), (counts[0], counts[1], counts[2], counts[3], counts[4]), time.process_time() - clock),
    )


def _tunables() -> dict[str, object]:
    """What besides its input decides a component's protection: the constants here and in
    ``cubes`` (read when called: tests change some), and the solver's release."""
    from importlib.metadata import version

    from ever6.disclosure import cubes

    return {
        "AGAIN": AGAIN,
        "_BATCH": _BATCH,
        "_WINDOW": _WINDOW,
        "_MOVED": _MOVED,
        "_CUBE_PRICE": _CUBE_PRICE,
        "_FREE_ROUNDS": _FREE_ROUNDS,
        "_ROUND_WORTH": _ROUND_WORTH,
        "_RESTRICT_FROM": _RESTRICT_FROM,
        "_RESTRICT_WIDE_FROM": _RESTRICT_WIDE_FROM,
        "_NEAR_WIDE": _NEAR_WIDE,
        "_ROUND_ITERATIONS": _ROUND_ITERATIONS,
        "_NEAR_PARTNERS": _NEAR_PARTNERS,
        "_BLOCK_VALUES": _BLOCK_VALUES,
        "_PASS_FROM": _PASS_FROM,
        "Cubes": f"{Cubes.__module__}.{Cubes.__qualname__}",
        "cubes": (cubes._AXES, cubes._DEPTH, cubes._VECTORS, cubes._PATTERNS, cubes._PARTNERS, cubes._TOL),
        "highspy": version("highspy"),
    }


@dataclass
class Component:
    """One connected component of the relations, in its own numbering of the sums: everything
    :func:`protect_component` needs, so that one component can be protected (and timed) alone."""

    a_eq: csc_matrix  # A_eq y = 0
    a_ub: csc_matrix  # A_ub y <= slack
    slack: np.ndarray
    truth: np.ndarray
    cost: np.ndarray  # of moving each sum: 0 for a suppressed one
    cells: list[Cell]
    hidden: np.ndarray  # suppressed (unknown to a reader)
    todo: list[int]  # the primary sums


def protect_component(
    component: Component, width: int, hide: Callable[[int, str], list[int]], result: Protection
) -> None:
    """Protect every primary sum of one component to ``width``; ``hide(k, reason)`` suppresses sum
    ``k`` (with every row showing it) and gives the sums suppressed thereby."""
    c = component
    hidden = c.hidden.copy()
    periods = np.array([cell[1] for cell in c.cells])
    lp = _Periods(c.a_eq, c.a_ub, c.slack, c.truth, c.cost, periods, c.cells)
    # The schools as the programs over a few schools numbered them (every -1 in a small component).
    blocks = _blocks(c.a_eq, c.cells, lp.value, hidden) if (lp.value >= 0).any() else None
    free: _Free | _Blocks
    if blocks is None:
        free = _Free(c.a_eq, c.a_ub, c.slack, c.truth, hidden, width)
    else:
        free = _Blocks(lp.relations, c.truth, hidden, width, blocks)
    todo = c.todo
    clock = time.process_time()
    # Cubes only where programs are dear: in a component of some thousand sums a program costs
    # about 10 ms, and at small (then every component under 10,000 sums) the search cost more than
    # it saved (37.9 CPU s for both years against 27.1, and 49,240 cells against 48,962).
    cubes = Cubes(c.a_eq, c.a_ub, c.slack, c.truth, c.cells, width) if lp.restricted else None
    moved = np.zeros(c.truth.size, dtype=bool)
    # Cubes over suppressed sums alone only where the passes are over the whole component: a block's
    # pass finds what they would (a cube moves a school and others adding up alike) and more.
    for k in todo if blocks is None else ():
        if cubes is not None and not moved[k]:
            y = cubes.find(k, lp.cost, 0.0)
            if y is not None:
                moved |= np.abs(y) >= width - _MOVED
    result.cubes += int(moved[todo].sum())
    result.seconds["cubes"] += time.process_time() - clock
    clock = time.process_time()
    open_ = [i for i in todo if not moved[i]]
    moved |= free.moved(np.asarray(open_, dtype=int))
    result.free += int(moved[todo].sum())
    result.seconds["passes"] += time.process_time() - clock
    hiding = 0  # primaries since the last pass whose perturbation suppressed something
    every = AGAIN

    def take(y: np.ndarray, k: int, count: int = 1) -> None:
        """Suppress every shown sum ``y`` moves, and mark what it moves by the width."""
        nonlocal hiding, moved
        cell = c.cells[k]
        reason = f"secondary: protects an interval at {cell[2]}/{'/'.join(cell[3:])} ({cell[1]})"
        shifted = np.flatnonzero(np.abs(y) > _MOVED)
        hiding += count * bool((~hidden[shifted]).any())
        for j in shifted:
            if not hidden[j]:
                for newly in hide(int(j), reason):
                    hidden[newly] = True
                    lp.free(newly)
                    free.free(newly)
        moved |= np.abs(y) >= width - _MOVED

    position = 0
    done = np.zeros(c.truth.size, dtype=bool)
    while position < len(todo):
        if hiding >= every:
            # What the programs since suppressed may let the suppressed sums alone move other
            # primaries: a few batched programs settle them, instead of one program each.
            hiding = 0
            open_ = [i for i in todo[position:] if not moved[i]]
            if len(open_) < _PASS_FROM:
                every = len(todo) + 1  # too few for a pass to pay, and open ones only get fewer
            else:
                clock = time.process_time()
                again = free.moved(np.asarray(open_, dtype=int))
                settled = int(again[open_].sum())
                result.seconds["passes"] += time.process_time() - clock
                result.free += settled
                moved |= again
                if free.large and not free.paid:
                    every = len(todo) + 1  # programs over a few schools settle them for less
                elif settled < 4 * every:
                    every *= 2  # it settles fewer and fewer: pass less often
        # The next open primaries of one period, up to _BATCH of them, that no cheap cube settles.
        while position < len(todo) and (moved[todo[position]] or done[todo[position]]):
            position += 1
        if position >= len(todo):
            break
        batch: list[int] = []
        for j in range(position, min(len(todo), position + _WINDOW)):
            if len(batch) >= (_BATCH if lp.restricted else 1):
                break
            k = todo[j]
            if moved[k] or done[k]:
                continue
            cell = c.cells[k]
            if batch and (
                periods[k] != periods[batch[0]]
                or any(c.cells[b][2:4] == cell[2:4] or c.cells[b][5] == cell[5] for b in batch)
            ):
                continue
            done[k] = True
            clock = time.process_time()
            y = cubes.find(k, lp.cost, _CUBE_PRICE) if cubes is not None else None
            result.seconds["cubes"] += time.process_time() - clock
            if y is None:
                batch.append(k)
                continue
            result.cubes += 1
            result.primary += 1
            take(y, k)
        batch = [k for k in batch if not moved[k]]
        if not batch:
            continue
        clock = time.process_time()
        # One program pushing every primary of the batch up by the width, within their period: at
        # la a program over 74,520 sums costs HiGHS about 0.15 CPU s however few its iterations,
        # and 20 primaries took 1.7 s together against 7.5 one by one. Where no such perturbation
        # is found there, each primary has its own program, up or down, as in smaller components.
        # Each member is moved by the width, so the batch's perturbation protects every one.
        y = None
        if len(batch) > 1:
            result.programs += 1
            y = lp.perturb(batch, width, whole=False)
        if y is not None:
            result.primary += len(batch)
            result.seconds["programs"] += time.process_time() - clock
            take(y, batch[0], len(batch))
            continue
        for k in batch:
            if moved[k]:
                continue
            for direction in (1.0, -1.0):
                if direction < 0 and c.truth[k] < width:
                    break
                result.programs += 1
                y = lp.perturb([k], direction * width)
                if y is not None:
                    break
            result.primary += 1
            if y is None:
                result.unprotectable += 1
                continue
            take(y, k)
        result.seconds["programs"] += time.process_time() - clock


def _dump(component: Component, width: int) -> None:
    """Pickle ``component`` with ``width`` into ``EVER6_LINKED_DUMP``, named by its sums, primary
    sums and digest (read by ``bench/replay_components.py``)."""
    import hashlib
    import pickle
    from pathlib import Path

    folder = Path(str(_DUMP))
    folder.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps((component, width))
    name = f"{component.truth.size}-{len(component.todo)}-{hashlib.sha256(data).hexdigest()[:8]}.pickle"
    (folder / name).write_bytes(data)


_MOVED = 1e-6
# In a component of _RESTRICT_FROM sums or more, up to _BATCH open primaries of one period, each
# of another quantity and group and another breakdown value (school) than the others, found among
# the next _WINDOW of the todo list, are pushed up together by one program. At la (2025/26, the
# exclusions' component of 74,520 sums and 14,443 primaries, replayed) 417 CPU s against 563, 368
# programs against 1,242, and 2,052 sums suppressed against 2,037. Pushed together, neighbours
# (schools of one phase, say) would each need the other's opposite move: at tiny, consecutive
# primaries in batches of 20 suppressed 1.5 to 2.4 times the sums. In smaller components a program
# is cheap and batches suppressed more (tiny, four components of 6,561 to 9,072 sums: 1,645 sums
# against 1,467), so there each primary has its own.
_BATCH = 8
_WINDOW = 2000
# A primary that no cube over suppressed sums moves takes a cube that suppresses shown sums costing
# at most this (``weight`` in ``protect``: at la a shown school's sum costs 1 to 6, a total 9 to 33),
# instead of a program. Measured
# at la (the component of 24,228 sums and 7,863 primaries, replayed): at most 6, 376 programs and
# 2,649 rows suppressed; 12, 169 and 2,587; 24, 147 and 2,651; any, 137 and 2,707; no cube, 961
# and 2,738.
_CUBE_PRICE = 12.0
# Rounds of a pass: pushing every open primary up, down, then random signs, while a round settles
# at least _ROUND_WORTH of them. At la (a component of 24,228 sums, 5,226 primary) a round costs 1
# to 4 CPU seconds, as much as 10 to 30 programs, and the later rounds of the first pass settled
# 540, 504, 444, 383, ... 61, 39: each settled primary about 8 ms against a program's 130 to 180.
_FREE_ROUNDS = 64
_ROUND_WORTH = 20
# In a large component (``_RESTRICT_FROM``), where a program over a few schools settles a primary
# for 10 to 40 ms, a pass's round (2 to 37 CPU s there) must settle a primary per _ROUND_ITERATIONS
# simplex iterations, else the pass stops; and a pass that settled fewer is the last. At la
# (replayed: 2025/26's exclusions and attendance, 2024/25's attendance) 100 took 123.5, 44.0 and
# 245.9 CPU s for 2,339, 1,076 and 1,364 sums; 300, 139.6, 52.0 and 272.6 s for 2,268, 978, 1,260.
_ROUND_ITERATIONS = 300
# After this many programs that suppressed something, the batched programs over the suppressed
# sums alone run again for the primaries left (``_Free``). A pass that settles fewer
# than four primaries per program waited for doubles the wait: in a county's component (24,228
# sums) a pass costs as much as a hundred programs, and the first passes settled 982, 578 and 194
# primaries, the later ones 29 and 16.
AGAIN = 50
# A pass after the first runs only while at least this many primaries are open: its rounds cost
# 2 to 10 CPU s in a county's component (24,840 sums) whatever the number pushed, and at la
# (2025/26, replayed) a third pass over 42 open primaries took 19 CPU s to settle 26, where a
# program costs 0.07 to 0.25 s.
_PASS_FROM = 100
# Threads for the blocks of a pass (:class:`_Blocks`): the cores this process may use. Not a
# tunable of the result: each block's program is solved as it would be alone.
_THREADS = min(4, len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else 1


class _Free:
    """The programs over the suppressed sums alone (every shown sum held at 0), for one component.

    Each pass pushes every open primary sum up to the width at once, then down, then random signs
    (those below the width up every time: they cannot go down by it). Each solution is a
    perturbation that needs no new suppression, so a primary it moves by the width is protected
    already and needs no program of its own (most of them, after exact-recovery suppression). One
    HiGHS model over the component's suppressed sums is kept (a shown sum is held at 0, so it is
    left out, with the relations of shown sums alone): a sum suppressed since is added to it before
    the next round, and each round is solved from scratch or from the last point, whichever was the
    quicker (:meth:`_solve`).
    """

    def __init__(
        self,
        a_eq: csc_matrix,
        a_ub: csc_matrix,
        slack: np.ndarray,
        truth: np.ndarray,
        hidden: np.ndarray,
        width: int,
        *,
        large: bool = False,
    ) -> None:
        from scipy.sparse import vstack

        n = truth.size
        self.n, self.truth, self.width = n, truth, width
        self.large = large or n >= _RESTRICT_FROM  # a block of a large component is solved as one
        self.cap = float(4 * width)  # any point of it is a point: a cap keeps it bounded
        relations = vstack([a_eq, a_ub]).tocsc()
        inf = highspy.kHighsInf
        self.relations = relations
        self.row_lower = np.concatenate([np.zeros(a_eq.shape[0]), np.full(a_ub.shape[0], -inf)])
        self.row_upper = np.concatenate([np.zeros(a_eq.shape[0]), slack])
        # Only the suppressed sums are columns, and only the relations with one of them rows: a
        # shown sum is held at 0, and a relation of shown sums alone holds at 0 (its slack is at
        # least 0), so the program is the same, smaller.
        self.column = np.full(n, -1, dtype=np.int64)  # a sum's column in the model, -1 if none
        self.row = np.full(relations.shape[0], -1, dtype=np.int64)  # a relation's row, -1 if none
        self.sums = np.flatnonzero(hidden)
        self.column[self.sums] = np.arange(self.sums.size)
        rows = _rows_touching(relations, self.sums)
        self.row[rows] = np.arange(rows.size)
        self.pending: list[int] = []
        self.highs = _kept_model(
            np.zeros(self.sums.size),
            -truth[self.sums],
            np.full(self.sums.size, self.cap),
            self.row_lower[rows],
            self.row_upper[rows],
            relations[rows][:, self.sums].tocsc(),
        )
        self.costed = np.zeros(0, dtype=np.int32)
        self.paid = True  # the last pass settled at least one primary per _ROUND_ITERATIONS iterations
        self.spent = 0  # simplex iterations in the last pass
        self.iterations = {True: 0, False: 0}  # in the last round solved from scratch (True) or not

    def free(self, k: int) -> None:
        """Sum ``k`` is suppressed from now on: it may move (a column added before the next round)."""
        if self.column[k] < 0:
            self.column[k] = self.n  # pending
            self.pending.append(k)

    def _add_pending(self) -> None:
        """The sums suppressed since the last round become columns, with their relations not yet in
        the model as rows (empty until the columns come: no column there yet)."""
        if not self.pending:
            return
        added = np.array(self.pending, dtype=np.int64)
        self.pending = []
        rows = _rows_touching(self.relations, added)
        new = rows[self.row[rows] < 0]
        if new.size:
            self.row[new] = self.highs.getNumRow() + np.arange(new.size)
            self.highs.addRows(
                new.size,
                self.row_lower[new],
                self.row_upper[new],
                0,
                np.zeros(new.size, dtype=np.int32),
                np.zeros(0, dtype=np.int32),
                np.zeros(0),
            )
        part = self.relations[:, added].tocsc()
        self.column[added] = self.sums.size + np.arange(added.size)
        self.sums = np.concatenate([self.sums, added])
        self.highs.addCols(
            added.size,
            np.zeros(added.size),
            -self.truth[added],
            np.full(added.size, self.cap),
            part.nnz,
            part.indptr[:-1].astype(np.int32),
            self.row[part.indices].astype(np.int32),
            part.data.astype(float),
        )

    def _solve(self) -> None:
        """Solve the round by whichever way took fewer simplex iterations the last time it was
        used: the dual simplex from scratch, or the primal from the last point (which stays
        feasible: only costs change between rounds, and bounds only open between passes). The
        first round is from scratch, the second from the last point. Counted in iterations, not
        seconds, so the same table gives the same points. In a large component every round is from
        scratch: at la (2025/26, the exclusions' component of 74,520 sums) the one round from the
        last point took 32,413 iterations and 24.8 CPU s, the others 6,500 to 8,000 and 2 s.

        From scratch, HiGHS presolves first (the kept models are built without it, to go on from
        the last point): at la (2025/26, the component of 24,840 sums and 5,252 primaries,
        replayed) a round from scratch took 0.5 to 1 CPU s against 2 to 5 without, and its passes
        9.3 s against 59.2."""
        cold = self.iterations[True] <= self.iterations[False] or self.large
        if cold:
            self.highs.clearSolver()
            self.highs.setOptionValue("simplex_strategy", 1)
            self.highs.setOptionValue("presolve", "on")
        else:
            self.highs.setOptionValue("simplex_strategy", 4)
        self.highs.run()
        self.highs.setOptionValue("presolve", "off")
        self.iterations[cold] = self.highs.getInfo().simplex_iteration_count

    def moved(self, primaries: np.ndarray) -> np.ndarray:
        """The sums that perturbations of the suppressed sums alone move by the width, found while
        pushing ``primaries``."""
        moved = np.zeros(self.n, dtype=bool)
        if primaries.size == 0:
            return moved
        self._add_pending()
        rnd = np.random.default_rng(primaries.size)  # deterministic: the same table, the same points
        settled = primaries.size
        iterations = last = 0
        for attempt in range(_FREE_ROUNDS):
            open_ = primaries[~moved[primaries]]
            if open_.size == 0 or (attempt > 2 and settled < _ROUND_WORTH):
                break
            if self.large and attempt >= 2 and settled * _ROUND_ITERATIONS < last:
                break
            sign = (-1.0, 1.0)[attempt] if attempt < 2 else rnd.choice((-1.0, 1.0), open_.size)
            # A primary below the width cannot go down by it (no sum goes below 0): always up (a
            # cost of -1). At la the first passes of the four largest components took a fifth less.
            sign = np.where(self.truth[open_] < self.width, -1.0, sign)
            # Costs only on the sums pushed this round; the last round's are set back to 0.
            if self.costed.size:
                self.highs.changeColsCost(self.costed.size, self.costed, np.zeros(self.costed.size))
            columns = self.column[open_].astype(np.int32)
            self.highs.changeColsCost(columns.size, columns, np.broadcast_to(sign, columns.shape).astype(float))
            self.costed = columns
            tick = time.process_time()
            self._solve()
            last = self.highs.getInfo().simplex_iteration_count
            iterations += last
            if _DEBUG:
                print(
                    f"    round {attempt}: {open_.size} open, {time.process_time() - tick:.2f} CPU s,"
                    f" {self.highs.getInfo().simplex_iteration_count} iterations, {self.highs.getNumCol()} columns,"
                    f" {self.highs.getNumRow()} rows",
                    file=sys.stderr,
                )
            if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break
            y = np.zeros(self.n)
            y[self.sums] = np.asarray(self.highs.getSolution().col_value)
            moved |= np.abs(y) >= self.width - _MOVED
            settled = open_.size - int((~moved[open_]).sum())
        self.spent = iterations
        self.paid = int(moved[primaries].sum()) * _ROUND_ITERATIONS >= iterations
        return moved


def _wide(cells: Sequence[Cell]) -> np.ndarray:
    """Each sum's value of a wide breakdown (one of more than ``_NEAR_WIDE`` values: the schools),
    or -1. Numbered in order, not as met: ties go the same way whatever the rows' order."""
    values: dict[str, set[str]] = defaultdict(set)
    for cell in cells:
        values[cell[4]].add(cell[5])
    wide = {b for b, vs in values.items() if len(vs) > _NEAR_WIDE}
    codes = {key: at for at, key in enumerate(sorted((b, v) for b in wide for v in values[b]))}
    return np.array([codes.get((cell[4], cell[5]), -1) for cell in cells], dtype=np.int64)


def _blocks(a_eq: csc_matrix, cells: Sequence[Cell], value: np.ndarray, hidden: np.ndarray) -> np.ndarray | None:
    """Each sum's block for the passes (:class:`_Blocks`): 0 for the sums of the narrow breakdowns;
    the schools (values of a wide breakdown) that add up alike (to the same phase, locality and
    authority) in blocks of about ``_BLOCK_VALUES``, the most suppressed first. ``value``: each
    sum's school (:func:`_wide`). None without a wide breakdown."""
    if (value < 0).all():
        return None
    column: dict[tuple[str, str], int] = {}
    column_of = np.array([column.setdefault((cell[4], cell[5]), len(column)) for cell in cells], dtype=np.int64)
    eq = a_eq.tocoo()
    head = np.full(a_eq.shape[0], -1, dtype=np.int64)
    negative = eq.data < 0
    head[eq.row[negative]] = eq.col[negative]
    # A school's sums are parts of its phase's, locality's, authority's (a total outside the school).
    heads = head[eq.row]
    part = (eq.data > 0) & (value[eq.col] >= 0) & (heads >= 0)
    part[part] &= value[heads[part]] != value[eq.col[part]]
    pairs = np.unique(value[eq.col[part]] * len(column) + column_of[heads[part]])
    totals: dict[int, set[int]] = defaultdict(set)
    for pair in pairs.tolist():
        totals[pair // len(column)].add(pair % len(column))
    alike: dict[frozenset[int], list[int]] = defaultdict(list)
    for v in range(int(value.max()) + 1):
        alike[frozenset(totals[v])].append(v)
    suppressed = np.bincount(value[hidden & (value >= 0)], minlength=int(value.max()) + 1)
    block_of = np.zeros(int(value.max()) + 1, dtype=np.int64)
    blocks = 0
    for values in sorted(alike.values()):
        ordered = sorted(values, key=lambda v: (-int(suppressed[v]), v))
        count = max(1, round(len(ordered) / _BLOCK_VALUES))
        for at, v in enumerate(ordered):
            block_of[v] = blocks + 1 + at * count // len(ordered)
        blocks += count
    return np.where(value >= 0, block_of[np.maximum(value, 0)], 0)


class _Blocks:
    """The passes over a large component's blocks (:func:`_blocks`), one :class:`_Free` each, the
    other sums held still: a perturbation found in a block, extended by 0, is one of the whole
    component (the argument of :class:`_Periods`). A round over a block costs milliseconds where one
    over the component costs seconds, and a pass solves again only the blocks where a sum was
    suppressed since the last."""

    large = True

    def __init__(
        self, relations: _Relations, truth: np.ndarray, hidden: np.ndarray, width: int, block: np.ndarray
    ) -> None:
        self.n = truth.size
        _, block = np.unique(block, return_inverse=True)  # numbered 0, 1, ... (none may be empty)
        self.block = block
        order = np.argsort(block, kind="stable")
        self.members = np.split(order, np.flatnonzero(np.diff(block[order])) + 1)
        self.at = np.zeros(self.n, dtype=np.int64)  # a sum's place in its block
        self.parts: list[_Free] = []
        for members in self.members:
            self.at[members] = np.arange(members.size)
            a_eq, a_ub, slack = relations.within(members)
            self.parts.append(_Free(a_eq, a_ub, slack, truth[members], hidden[members], width, large=True))
        self.changed = set(range(len(self.parts)))
        self.paid = True  # as :attr:`_Free.paid`, over the blocks of the last pass

    def free(self, k: int) -> None:
        """Sum ``k`` is suppressed from now on."""
        b = int(self.block[k])
        self.parts[b].free(int(self.at[k]))
        self.changed.add(b)

    def moved(self, primaries: np.ndarray) -> np.ndarray:
        """As :meth:`_Free.moved`, block by block; a block where nothing was suppressed since its
        last pass is not solved again."""
        moved = np.zeros(self.n, dtype=bool)
        where = self.block[primaries]
        todo = [b for b in np.unique(where).tolist() if b in self.changed]

        def solve(b: int) -> np.ndarray:
            return self.parts[b].moved(self.at[primaries[where == b]])

        # Blocks are independent programs, and HiGHS lets go of the interpreter while it solves:
        # solved side by side on the machine's cores, each as it would be alone.
        if _THREADS > 1 and len(todo) > 1:
            with ThreadPoolExecutor(max_workers=_THREADS) as pool:
                found = list(pool.map(solve, todo))
        else:
            found = [solve(b) for b in todo]
        spent = 0
        for b, moved_here in zip(todo, found, strict=True):
            moved[self.members[b][moved_here]] = True
            spent += self.parts[b].spent
        self.changed.clear()
        self.paid = int(moved[primaries].sum()) * _ROUND_ITERATIONS >= spent
        return moved


class _Program:
    """One component's perturbation problem in HiGHS: ``y = up - down``, ``A_eq y = 0``,
    ``A_ub y <= slack``, ``0 <= down <= truth``, minimising ``cost . (up + down)``; kept, and
    solved again from the slack basis (nothing moved) as bounds and costs change.

    A relation with one sum in it is a bound on that sum, not a row (``_singletons``): a program
    over a few schools holds the sums outside it still, which leaves a third of its relations
    with one sum."""

    def __init__(
        self, a_eq: csc_matrix, a_ub: csc_matrix, slack: np.ndarray, truth: np.ndarray, cost: np.ndarray
    ) -> None:
        from scipy.sparse import hstack, vstack

        n = truth.size
        self.n = n
        self.truth = truth
        a_eq, a_ub, slack, up, down = _singletons(a_eq, a_ub, slack, truth)
        self.upper = np.concatenate([up, down])  # of each column, as the relations leave it
        relations = vstack([a_eq, a_ub]).tocsr()
        full = hstack([relations, -relations]).tocsc()
        inf = highspy.kHighsInf
        self.cost = cost.copy()
        rows_eq, rows_ub = a_eq.shape[0], a_ub.shape[0]
        self.highs = _kept_model(
            np.concatenate([cost, cost]),
            np.zeros(2 * n),
            np.minimum(self.upper, inf),
            np.concatenate([np.zeros(rows_eq), np.full(rows_ub, -inf)]),
            np.concatenate([np.zeros(rows_eq), slack]),
            full,
        )

    def free(self, k: int) -> None:
        """Moving sum ``k`` costs nothing from now on (it is suppressed)."""
        if self.cost[k]:
            self.cost[k] = 0.0
            self.highs.changeColsCost(2, np.array([k, self.n + k], dtype=np.int32), np.zeros(2))

    def perturb(self, ks: Sequence[int], amount: float) -> np.ndarray | None:
        """The cheapest perturbation moving each sum of ``ks`` by ``amount`` (at least; up if
        positive)."""
        columns = [(k, self.n + k) if amount > 0 else (self.n + k, k) for k in ks]
        if any(self.upper[up] < abs(amount) - _MOVED for up, _ in columns):
            return None  # a relation of that sum alone holds it closer than ``amount``
        for up, down in columns:
            self.highs.changeColBounds(up, abs(amount), self.upper[up])
            self.highs.changeColBounds(down, 0.0, 0.0)
        # From the slack basis (y = 0), not the last perturbation's: HiGHS then starts without
        # factorising a full basis or recomputing its edge weights. At `tiny` the programs of the
        # four largest components took 37.1 CPU s against 115.2 (the same optimal costs).
        self.highs.clearSolver()
        self.highs.run()
        y = None
        if self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            x = np.asarray(self.highs.getSolution().col_value)
            y = x[: self.n] - x[self.n :]
        # Back to the open problem.
        for k in ks:
            self.highs.changeColBounds(k, 0.0, self.upper[k])
            self.highs.changeColBounds(self.n + k, 0.0, self.upper[self.n + k])
        return y


def _singletons(
    a_eq: csc_matrix, a_ub: csc_matrix, slack: np.ndarray, truth: np.ndarray
) -> tuple[csc_matrix, csc_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """The relations with more than one sum, and how far each sum may go up and down given those
    with one: ``c y_k = 0`` holds it still, ``c y_k <= s`` bounds it one way (``y = up - down``,
    so the bound is on ``up`` for ``c > 0`` and on ``down`` for ``c < 0``; every ``y`` the rows
    allowed is still allowed). Down is at most the truth (a sum is at least 0)."""
    n = truth.size
    up = np.full(n, np.inf)
    down = np.asarray(truth, dtype=float).copy()
    eq, ub = a_eq.tocsr(), a_ub.tocsr()
    sums_eq, sums_ub = np.diff(eq.indptr), np.diff(ub.indptr)
    still = eq.indices[eq.indptr[:-1][sums_eq == 1]]
    up[still] = 0.0
    down[still] = 0.0
    at = ub.indptr[:-1][sums_ub == 1]
    k, c, s = ub.indices[at], ub.data[at], slack[sums_ub == 1]
    rising = c > 0
    np.minimum.at(up, k[rising], s[rising] / c[rising])
    np.minimum.at(down, k[~rising], s[~rising] / -c[~rising])
    return eq[sums_eq > 1], ub[sums_ub > 1], slack[sums_ub > 1], up, down


# A component of at least this many sums is first perturbed within the primary's period (and
# tries cubes). Below it the whole component's programs, from the slack basis, are cheap enough
# and suppress far fewer sums: `small`'s four components of 10,044 to 13,716 sums, replayed,
# took 90.2 CPU s and suppressed 1,315 sums whole against 132.1 s and 2,537 restricted with
# cubes (10,000 before). At `la` the components of 24,228 sums and more stay restricted.
_RESTRICT_FROM = 20_000
# A component of this many sums with a wide breakdown (``_NEAR_WIDE``: the schools) is restricted
# too: its programs are over a few schools and its passes block by block. At la (seed 5, 2024/25)
# its nine components of 8,256 to 12,420 sums, replayed: 3.7 CPU s against 11.3, 947 sums
# suppressed against 506 (of about 224,000 cells suppressed in the year). `small` has no wide
# breakdown (56 schools), so nothing changes there: restricted without one, its four components of
# 10,044 to 13,716 sums suppressed nearly twice the sums.
_RESTRICT_WIDE_FROM = 8_000
# A breakdown of more than _NEAR_WIDE values (the schools) is wide: a program over a few schools
# takes, for each primary, its own school and the _NEAR_PARTNERS others sharing most relations with
# it. At la (2025/26, the exclusions' component of 74,520 sums, replayed, the passes as they were)
# every such program found a perturbation: programs 38.1 CPU s against 265.7 over the period, sums
# suppressed 2,265 against 2,052; 32 and 64 partners, 51.1 and 66.0 s for 2,273 and 2,218 sums.
_NEAR_WIDE = 64
_NEAR_PARTNERS = 16
# The passes of a large component with a wide breakdown run over blocks of about _BLOCK_VALUES
# schools (``_blocks``). At la (2024/25, the attendance component of 74,304 sums, replayed) blocks
# of 24 schools took 71.9 CPU s and suppressed 1,546 sums, of 48 71.5 s and 1,348; of 96 (rounds
# solved as in a small component, beside another run) the six large components 356 s and 9,055
# sums, against 325 s and 9,349 with 48.
_BLOCK_VALUES = 48


class _Periods:
    """A component's perturbation programs, tried first within the primary sum's period (a term
    with its year, or the year alone), then over the whole component.

    Restricted to a set ``R`` of sums, with every relation that has a sum in ``R`` kept and the
    sums outside ``R`` held at their value (moved by 0): a perturbation found there, extended by
    0 outside ``R``, satisfies every relation of the component (those without a sum in ``R`` hold
    with nothing moved), so it protects exactly as one found over the whole component. Only when
    the restricted program finds none is the whole component solved (a perturbation may need
    another term). At la the perturbations found move 10 to 30 sums of one period and its year,
    out of 24,228.
    """

    def __init__(
        self,
        a_eq: csc_matrix,
        a_ub: csc_matrix,
        slack: np.ndarray,
        truth: np.ndarray,
        cost: np.ndarray,
        periods: np.ndarray,
        cells: Sequence[Cell] = (),
    ) -> None:
        self.whole = _Program(a_eq, a_ub, slack, truth, cost)
        self.n = truth.size
        self.periods = periods
        self.parts: dict[str, tuple[np.ndarray, _Program]] = {}
        # A sum's value of a wide breakdown (a school), or -1 (all -1 where not restricted).
        self.value = np.full(truth.size, -1, dtype=np.int64)
        if cells and truth.size >= min(_RESTRICT_FROM, _RESTRICT_WIDE_FROM):
            self.value = _wide(cells)
        wide = bool((self.value >= 0).any())
        self.restricted = truth.size >= _RESTRICT_FROM or (wide and truth.size >= _RESTRICT_WIDE_FROM)
        if not self.restricted:
            self.value[:] = -1
        self.truth = truth
        self.relations = _Relations(a_eq, a_ub, slack)
        self.fallbacks = 0
        self.near_found = 0
        self._near_index(cells)

    def _near_index(self, cells: Sequence[Cell]) -> None:
        """The breakdowns with many values (schools), each value's sums by period, and the sums of
        the other breakdowns by period: what :meth:`_near` takes its sets from."""
        self.by_value: dict[tuple[str, int], np.ndarray] = {}
        self.narrow: dict[str, np.ndarray] = {}
        self.every_period = tuple(sorted({str(p) for p in self.periods}))
        if (self.value < 0).all():
            return  # no schools to choose among: the set would be the period's, solved twice
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        narrow: dict[str, list[int]] = defaultdict(list)
        for k, cell in enumerate(cells):
            if self.value[k] >= 0:
                groups[(cell[1], int(self.value[k]))].append(k)
            else:
                narrow[cell[1]].append(k)
        self.by_value = {key: np.array(ks, dtype=np.int64) for key, ks in groups.items()}
        self.narrow = {period: np.array(ks, dtype=np.int64) for period, ks in narrow.items()}
        # Suppressed sums by period and value, kept up to date by free(): partners are ranked by them.
        self.period_at = np.searchsorted(np.array(self.every_period), self.periods.astype(str))
        self.suppressed = np.zeros((len(self.every_period), int(self.value.max()) + 1), dtype=np.int64)
        wide_hidden = (self.value >= 0) & (self.whole.cost == 0)
        np.add.at(self.suppressed, (self.period_at[wide_hidden], self.value[wide_hidden]), 1)

    @property
    def cost(self) -> np.ndarray:
        return self.whole.cost

    def _part(self, period: str) -> tuple[np.ndarray, _Program]:
        part = self.parts.get(period)
        if part is None:
            keep = np.flatnonzero((self.periods == period) | (self.periods == YEAR))
            part = (keep, self._restricted(keep))
            self.parts[period] = part
        return part

    def _near(self, ks: Sequence[int]) -> np.ndarray:
        """The sums of the primaries' period and year in the narrow breakdowns, with every sum of
        the primaries' own values (schools) and of ``_NEAR_PARTNERS`` other values each: those
        sharing most relations with the primary (schools of its phase, locality and authority),
        the most suppressed first."""
        spanned = self._spanned(str(self.periods[ks[0]]))
        spanned_at = np.searchsorted(np.array(self.every_period), np.array(spanned))
        a_eq, eq_rows = self.relations.columns[0], self.relations.rows[0]
        parts = [self.narrow[p] for p in spanned if p in self.narrow]
        chosen: set[int] = set()
        for k in ks:
            own = int(self.value[k])
            rows = a_eq.indices[a_eq.indptr[k] : a_eq.indptr[k + 1]]
            if rows.size:
                cols = np.concatenate([eq_rows.indices[eq_rows.indptr[r] : eq_rows.indptr[r + 1]] for r in rows])
            else:
                cols = np.zeros(0, dtype=np.int64)
            vals = self.value[cols]
            vals = vals[(vals >= 0) & (vals != own)]
            if own >= 0:
                chosen.add(own)
            if vals.size == 0:
                continue
            shared = np.bincount(vals)
            candidates = np.flatnonzero(shared)
            # Only those that can be among the first _NEAR_PARTNERS by relations shared need counting.
            least = np.sort(shared[candidates])[::-1][min(_NEAR_PARTNERS, candidates.size) - 1]
            candidates = candidates[shared[candidates] >= least]
            hidden = self.suppressed[spanned_at][:, candidates].sum(axis=0)
            order = np.lexsort((candidates, -hidden, -shared[candidates]))
            chosen.update(int(v) for v in candidates[order[:_NEAR_PARTNERS]])
        parts.extend(self.by_value[(p, v)] for v in chosen for p in spanned if (p, v) in self.by_value)
        return np.unique(np.concatenate(parts))

    def _spanned(self, period: str) -> tuple[str, ...]:
        """A term's programs span it and its year; the year's, every period: a head count of the
        year is bounded by its terms', so moving it may need a term to move (at la, 2024/25, every
        primary that no program within its period could move was a year's)."""
        return self.every_period if period == YEAR else (period, YEAR)

    def _lifted(self, keep: np.ndarray, program: _Program, ks: Sequence[int], amount: float) -> np.ndarray | None:
        """``program``'s perturbation over the sums ``keep``, with 0 for every other sum."""
        found = program.perturb([int(np.searchsorted(keep, k)) for k in ks], amount)
        if found is None:
            return None
        y = np.zeros(self.n)
        y[keep] = found
        return y

    def _restricted(self, keep: np.ndarray) -> _Program:
        """A program over the sums ``keep`` alone, the others held still."""
        a_eq, a_ub, slack = self.relations.within(keep)
        return _Program(a_eq, a_ub, slack, self.truth[keep], self.whole.cost[keep])

    def free(self, k: int) -> None:
        """Moving sum ``k`` costs nothing from now on (it is suppressed)."""
        if self.whole.cost[k] and self.value[k] >= 0:
            self.suppressed[self.period_at[k], self.value[k]] += 1
        self.whole.free(k)
        for keep, program in self.parts.values():
            at = int(np.searchsorted(keep, k))
            if at < keep.size and keep[at] == k:
                program.free(at)

    def perturb(self, ks: Sequence[int], amount: float, *, whole: bool = True) -> np.ndarray | None:
        """The cheapest perturbation moving each sum of ``ks`` (all of one period) by ``amount``:
        over a few schools (:meth:`_near`) when one is found there, else within their period (a
        year's sum: straight on), else (if ``whole``) over the whole component."""
        if self.restricted:
            if self.narrow:
                keep = self._near(ks)
                y = self._lifted(keep, self._restricted(keep), ks, amount)
                if y is not None:
                    self.near_found += 1
                    return y
            if self.periods[ks[0]] != YEAR or not self.narrow:
                keep, program = self._part(str(self.periods[ks[0]]))
                y = self._lifted(keep, program, ks, amount)
                if y is not None:
                    return y
            if not whole:
                return None
            self.fallbacks += 1
        tick = time.process_time()
        moved = self.whole.perturb(ks, amount)
        if _DEBUG:
            print(f"    whole: {time.process_time() - tick:.2f} CPU s, {self.periods[ks[0]]}", file=sys.stderr)
        return moved


def _components(a_eq: csc_matrix, a_ub: csc_matrix, n: int) -> np.ndarray:
    from scipy.sparse import bmat, vstack

    stacked = vstack([abs(a_eq), abs(a_ub)]).tocsr()
    if stacked.shape[0] == 0:
        return np.arange(n)
    # The graph of sums and relations (a sum joined to each relation it is in), not of sums
    # alone: a relation of 600 schools would make 360,000 pairs of sums (at la, a third of the
    # time outside the programs went on that product).
    graph = bmat([[None, stacked.T], [stacked, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels[:n])


class _Relations:
    """A component's relations, to restrict to a set of its sums."""

    def __init__(self, a_eq: csc_matrix, a_ub: csc_matrix, slack: np.ndarray) -> None:
        self.columns = (a_eq.tocsc(), a_ub.tocsc())
        self.rows = (a_eq.tocsr(), a_ub.tocsr())
        self.slack = slack

    def within(self, keep: np.ndarray) -> tuple[csc_matrix, csc_matrix, np.ndarray]:
        """The relations with a sum in ``keep`` (sorted), over those sums alone: every other sum
        held at 0, so that a perturbation of them, extended by 0, is one of the component."""
        rows_eq = _rows_touching(self.columns[0], keep)
        rows_ub = _rows_touching(self.columns[1], keep)
        return self.rows[0][rows_eq][:, keep], self.rows[1][rows_ub][:, keep], self.slack[rows_ub]


def _rows_touching(a_csc: csc_matrix, members: np.ndarray) -> np.ndarray:
    """The relations (rows, in order) with a sum of ``members`` in them."""
    if a_csc.shape[0] == 0 or members.size == 0:
        return np.array([], dtype=int)
    offsets, _ = entries(a_csc, members)
    touched = np.zeros(a_csc.shape[0], dtype=bool)
    touched[a_csc.indices[offsets]] = True
    return np.flatnonzero(touched)
