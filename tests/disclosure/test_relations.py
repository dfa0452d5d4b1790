"""The relations between published sums (``disclosure.relations``), against relations written out
by hand for small tables: each relation a reader can use is there, with its signs, and none that
the figures themselves break."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from scipy.sparse import csr_matrix

from ever6.disclosure.linked import Published
from ever6.disclosure.relations import build

Cell = tuple[object, str, str, str, str, str]
Relation = frozenset[tuple[Cell, float]]


def published(figures: Mapping[tuple[str, str, str, str, str], float | None]) -> list[Published]:
    """One row per (period, measure, group, breakdown, value), showing its one sum of people."""
    rows = []
    for i, ((period, quantity, group, breakdown, value), x) in enumerate(sorted(figures.items())):
        rows.append(Published(i, "2024/25", period, quantity, (group, breakdown, value), ((quantity, x),), (True,)))
    return rows


def relations(matrix: csr_matrix, cells: list[Cell]) -> set[Relation]:
    out = set()
    for r in range(matrix.shape[0]):
        row = matrix.getrow(r)
        out.add(frozenset((cells[c], float(v)) for c, v in zip(row.indices, row.data, strict=True)))
    return out


def relation(parts: Iterable[Cell], total: Cell, part: float = 1.0, whole: float = -1.0) -> Relation:
    return frozenset([*((c, part) for c in parts), (total, whole)])


def cell(period: str, quantity: str, group: str, breakdown: str = "all", value: str = "all") -> Cell:
    return ("2024/25", period, quantity, group, breakdown, value)


PERIODS = ("autumn", "spring", "summer")


def test_sessions_add_up_over_a_breakdown_and_over_the_terms() -> None:
    sessions = {"autumn": (1, 2), "spring": (2, 2), "summer": (0, 1), "year": (3, 5)}
    figures: dict[tuple[str, str, str, str, str], float | None] = {}
    for period, (f, m) in sessions.items():
        figures[(period, "sessions", "cpp", "all", "all")] = f + m
        figures[(period, "sessions", "cpp", "sex", "F")] = f
        figures[(period, "sessions", "cpp", "sex", "M")] = m
    system = build(published(figures), {}, {}, [])
    by_sex = {
        relation(
            [cell(p, "sessions", "cpp", "sex", "F"), cell(p, "sessions", "cpp", "sex", "M")], cell(p, "sessions", "cpp")
        )
        for p in (*PERIODS, "year")
    }
    by_term = {
        relation([cell(t, "sessions", "cpp", b, v) for t in PERIODS], cell("year", "sessions", "cpp", b, v))
        for b, v in (("all", "all"), ("sex", "F"), ("sex", "M"))
    }
    assert relations(system.a_eq, system.cells) == by_sex | by_term
    assert system.a_ub.shape[0] == 0
    assert np.allclose(system.a_eq @ system.truth, 0)
    assert sorted(system.cells) == sorted(cell(p, q, g, b, v) for p, q, g, b, v in figures)
    # Every total is the total of the breakdown over it, and the year's of the terms as well.
    assert system.total_degree[system.cells.index(cell("year", "sessions", "cpp"))] == 2


def test_head_counts_of_the_terms_bound_the_year_and_numerators_lie_within_denominators() -> None:
    figures: dict[tuple[str, str, str, str, str], float | None] = {
        ("autumn", "pupils", "cpp", "all", "all"): 10,
        ("spring", "pupils", "cpp", "all", "all"): 11,
        ("summer", "pupils", "cpp", "all", "all"): 9,
        ("year", "pupils", "cpp", "all", "all"): 12,  # pupils come and go: not the terms' sum
        ("year", "persistent", "cpp", "all", "all"): 4,
        ("autumn", "persistent", "cpp", "all", "all"): 3,
        ("spring", "persistent", "cpp", "all", "all"): 2,
        ("summer", "persistent", "cpp", "all", "all"): 4,
        ("year", "suspensions", "cpp", "all", "all"): 15,  # events: more than the pupils
    }
    system = build(published(figures), {}, {}, [("persistent", "pupils"), ("suspensions", "pupils")])
    ub = relations(system.a_ub, system.cells)
    expected: set[Relation] = set()
    for q in ("pupils", "persistent"):
        year = cell("year", q, "cpp")
        expected |= {relation([cell(t, q, "cpp")], year) for t in PERIODS}
        expected.add(relation([cell(t, q, "cpp") for t in PERIODS], year, part=-1.0, whole=1.0))
    expected |= {relation([cell(p, "persistent", "cpp")], cell(p, "pupils", "cpp")) for p in (*PERIODS, "year")}
    assert ub == expected
    assert system.a_eq.shape[0] == 0  # no breakdown, and the head counts' terms do not add up
    assert (system.a_ub @ system.truth <= system.slack + 1e-9).all()


def test_group_sums_and_schools_within_their_phase_name_sums_no_row_shows() -> None:
    """A school with no cin pupils has no cin row; the relations still hold it, as 0, unknown."""
    figures: dict[tuple[str, str, str, str, str], float | None] = {
        ("year", "pupils", "cpp", "all", "all"): 5,
        ("year", "pupils", "cpp", "school", "A"): 2,
        ("year", "pupils", "cpp", "school", "B"): 3,
        ("year", "pupils", "cpp", "phase", "Primary"): 5,
        ("year", "pupils", "cin", "all", "all"): 1,
        ("year", "pupils", "cin", "school", "A"): 1,
        ("year", "pupils", "cin", "phase", "Primary"): 1,
        ("year", "pupils", "cwsw", "all", "all"): 6,
        ("year", "pupils", "cwsw", "school", "A"): 3,
        ("year", "pupils", "cwsw", "school", "B"): 3,
        ("year", "pupils", "cwsw", "phase", "Primary"): 6,
    }
    nesting = {("school", "A"): [("phase", "Primary")], ("school", "B"): [("phase", "Primary")]}
    system = build(published(figures), {"cwsw": ["cpp", "cin"]}, nesting, [])
    eq = relations(system.a_eq, system.cells)
    groups = ("cin", "cpp", "cwsw")
    columns = (("all", "all"), ("phase", "Primary"), ("school", "A"), ("school", "B"))

    def c(g: str, b: str = "all", v: str = "all") -> Cell:
        return cell("year", "pupils", g, b, v)

    expected = {relation([c(g, "school", "A"), c(g, "school", "B")], c(g)) for g in groups}
    expected |= {relation([c(g, "phase", "Primary")], c(g)) for g in groups}
    expected |= {relation([c("cpp", b, v), c("cin", b, v)], c("cwsw", b, v)) for b, v in columns}
    expected |= {relation([c(g, "school", "A"), c(g, "school", "B")], c(g, "phase", "Primary")) for g in groups}
    assert eq == expected
    unshown = set(system.cells) - {cell(p, q, g, b, v) for p, q, g, b, v in figures}
    assert unshown == {c("cin", "school", "B")}
    assert system.truth[system.cells.index(c("cin", "school", "B"))] == 0
    assert len(system.rows_of(system.cells.index(c("cin", "school", "B")))) == 0


def test_a_kind_that_the_figures_break_is_left_out_and_the_others_kept() -> None:
    figures: dict[tuple[str, str, str, str, str], float | None] = {
        ("year", "pupils", "cpp", "all", "all"): 5,
        ("year", "pupils", "cpp", "sex", "F"): 2,
        ("year", "pupils", "cpp", "sex", "M"): 3,
        ("year", "pupils", "cpp", "school", "A"): 4,  # a pupil at two schools: schools overlap
        ("year", "pupils", "cpp", "school", "B"): 2,
    }
    system = build(published(figures), {}, {}, [])
    c = cell
    assert relations(system.a_eq, system.cells) == {
        relation(
            [c("year", "pupils", "cpp", "sex", "F"), c("year", "pupils", "cpp", "sex", "M")], c("year", "pupils", "cpp")
        )
    }


def test_one_row_and_a_row_without_a_value() -> None:
    one = build(published({("year", "pupils", "cpp", "all", "all"): 3}), {}, {}, [])
    assert one.cells == [cell("year", "pupils", "cpp")]
    assert one.a_eq.shape == (0, 1)
    assert one.a_ub.shape == (0, 1)
    assert one.truth.tolist() == [3.0]
    assert one.people.tolist() == [True]
    absent = build(published({("year", "pupils", "cpp", "all", "all"): None}), {}, {}, [])
    assert absent.truth.tolist() == [0.0]
