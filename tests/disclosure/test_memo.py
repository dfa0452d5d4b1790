"""Interval protection replayed from a memo (``ever6.disclosure.memo``) publishes exactly what
protecting again publishes: the components a change did not touch are replayed, the others solved.

The table is the tiny synthetic authority's current year with its terms, as its web snapshot holds
it (built once for the test session). A new day of marks changes the attendance figures of the
year and its terms (sessions, and the pupils counted, persistently absent or not); here every sum
of the attendance measures is doubled (every relation between them still holds, and which counts
are 1 to 5 changes), and nothing else changes.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ever6.disclosure import DisclosureRules, Memo
from ever6.disclosure.linked import Published, protect
from ever6.metrics.measures import MEASURES
from ever6.metrics.publication import Nesting, school_nesting, suppress_metrics
from tests.conftest import Published as Demo

PROTECTED = DisclosureRules(protection_width=3)
ATTENDANCE = sorted(m.name for m in MEASURES if m.theme == "attendance")
PROVISION = sorted(m.name for m in MEASURES if m.theme == "provision")


@pytest.fixture(scope="module")
def current_year(published: Demo) -> tuple[pa.Table, Nesting]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        la = con.sql("SELECT la_code FROM run").fetchall()[0][0]
        register = con.sql("SELECT * FROM school").to_arrow_table()
        metric = con.sql("SELECT * FROM metric").to_arrow_table()
    finally:
        con.close()
    year = max(metric.column("academic_year").to_pylist())
    return metric.filter(pc.equal(metric["academic_year"], year)), school_nesting(register, la)


def _attendance_changed(table: pa.Table) -> pa.Table:
    """Every sum of the attendance measures doubled (a count's value too): sums of sums stay sums,
    rates stay as they were."""
    attendance = pc.is_in(table["measure"], pa.array(ATTENDANCE))
    counts = pc.and_(attendance, pc.equal(table["measure"], "pupils"))
    out = table
    for name, where in (("numerator", attendance), ("denominator", attendance), ("value", counts)):
        column = table[name]
        doubled = pc.if_else(where, pc.multiply(column, pa.scalar(2, column.type)), column)
        out = out.set_column(out.schema.get_field_index(name), name, doubled)
    return out


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in table.to_pylist()]


@pytest.fixture(scope="module")
def recorded(current_year: tuple[pa.Table, Nesting]) -> tuple[pa.Table, Memo]:
    """The current year suppressed once, its protection recorded."""
    table, nesting = current_year
    first = Memo()
    before = suppress_metrics(table, rules=PROTECTED, nesting=nesting, reasons="internal", memo=first)
    assert first.misses > 1
    assert first.hits == 0
    return before, first


def test_a_replayed_protection_publishes_what_protecting_again_publishes(
    current_year: tuple[pa.Table, Nesting], recorded: tuple[pa.Table, Memo]
) -> None:
    table, nesting = current_year
    _, first = recorded
    assert pc.sum(pc.is_in(table["measure"], pa.array(ATTENDANCE))).as_py() > 100
    changed = _attendance_changed(table)
    memo = Memo(previous=first.kept)
    replayed = suppress_metrics(changed, rules=PROTECTED, nesting=nesting, reasons="internal", memo=memo)
    again = suppress_metrics(changed, rules=PROTECTED, nesting=nesting, reasons="internal")
    assert _rows(replayed) == _rows(again)
    assert memo.hits > 0, "no component replayed: exclusions, provision and attainment did not change"
    assert memo.misses > 0, "every component replayed: the attendance components changed"
    # Only what this run used or made is kept: the changed components' old entries are dropped.
    assert len(memo.kept) == memo.hits + memo.misses
    assert set(first.kept) - set(memo.kept)
    protected = pc.sum(pc.match_substring(replayed["suppression_reason"], "protects an interval")).as_py()
    assert protected > 0, "interval protection suppressed nothing: nothing was replayed"


def test_the_same_table_is_replayed_whole(
    current_year: tuple[pa.Table, Nesting], recorded: tuple[pa.Table, Memo]
) -> None:
    table, nesting = current_year
    before, first = recorded
    memo = Memo(previous=first.kept)
    after = suppress_metrics(table, rules=PROTECTED, nesting=nesting, reasons="internal", memo=memo)
    assert _rows(after) == _rows(before)
    assert memo.hits == first.misses
    assert memo.misses == 0
    assert memo.kept == first.kept


def test_a_protection_recorded_with_other_rules_is_not_replayed(
    current_year: tuple[pa.Table, Nesting], recorded: tuple[pa.Table, Memo]
) -> None:
    """On the provision measure's rows alone (their own components, as in the whole table, at a
    fortieth of its cost): replayed under the rules they were recorded with, solved again under
    others."""
    table, nesting = current_year
    _, first = recorded
    provision = table.filter(pc.is_in(table["measure"], pa.array(PROVISION)))
    same = Memo(previous=first.kept)
    suppress_metrics(provision, rules=PROTECTED, nesting=nesting, memo=same)
    assert same.hits > 0
    assert same.misses == 0
    memo = Memo(previous=first.kept)
    suppress_metrics(provision, rules=DisclosureRules(protection_width=4), nesting=nesting, memo=memo)
    assert memo.hits == 0
    assert memo.misses == same.hits


def _crossed_rates(hidden_at_f: tuple[str, str]) -> tuple[list[Published], set[int]]:
    """Four rates over four people sums ``a`` <= ``b``, ``c`` <= ``d``, ``a`` <= ``c``, ``b`` <= ``d``
    (each rate shows two of them) for girls, boys and all: the boys' rows hidden (every boys' sum
    a primary), and two of the girls' rows, named by ``hidden_at_f``."""
    values = {"M": (1, 2, 2, 3), "F": (2, 3, 3, 4), "all": (3, 5, 5, 7)}
    rates = {"ab": ("a", "b"), "cd": ("c", "d"), "ac": ("a", "c"), "bd": ("b", "d")}
    rows: list[Published] = []
    hidden: set[int] = set()
    for category, numbers in values.items():
        value = dict(zip("abcd", numbers, strict=True))
        key = ("g", "all", "all") if category == "all" else ("g", "sex", category)
        for name, (num, den) in rates.items():
            row = len(rows)
            rows.append(
                Published(row, ("2025/26",), "year", name, key, ((num, value[num]), (den, value[den])), (True, True))
            )
            if category == "M" or (category == "F" and name in hidden_at_f):
                hidden.add(row)
    return rows, hidden


def _protect(rows: list[Published], hidden: set[int], memo: Memo | None = None) -> dict[int, str]:
    subsets = [("a", "b"), ("c", "d"), ("a", "c"), ("b", "d")]
    return protect(rows, hidden, {}, {}, subsets, {}, 3, PROTECTED.is_small, memo).added


def test_a_protection_recorded_when_other_rows_were_hidden_is_not_replayed() -> None:
    """Two tables whose sums are hidden alike, and shown by as many rows each, but by other rows: the
    girls' ``ab`` and ``cd`` shown in one, ``ac`` and ``bd`` in the other. Suppressing the girls'
    ``a`` then hides ``b`` with it in the first, ``c`` in the second: the component's protection
    reads which rows are hidden, not only which sums."""
    first = Memo()
    rows, hidden = _crossed_rates(("ac", "bd"))
    assert _protect(rows, hidden, first)
    assert first.misses == 1
    rows, hidden = _crossed_rates(("ab", "cd"))
    memo = Memo(previous=first.kept)
    assert _protect(rows, hidden, memo) == _protect(rows, hidden)
    assert memo.hits == 0
