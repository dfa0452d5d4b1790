"""The four cohort counts from hand-made tables: small, sparse and empty cases."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from ever6.publish.counts import COUNT_NAMES, count_cohort

AS_AT = date(2026, 3, 31)


def _ids(*ids: str) -> pa.Table:
    return pa.table({"la_child_id": pa.array(ids, pa.string())})


def test_only_ever6_cwsw_children_count_and_each_once() -> None:
    cohort = pa.table({"la_child_id": ["A", "B", "C", "L"], "cwsw": [True, True, True, False]})
    # A linked at two schools, B once, C not at all; L (looked after only) linked but not in the cohort.
    links = _ids("A", "A", "B", "L")
    on_roll = _ids("A", "A", "L")
    counts = count_cohort(7, AS_AT, cohort, links, on_roll)
    assert (counts.cohort, counts.linked, counts.not_linked, counts.on_roll) == (3, 2, 1, 1)
    assert counts.run_id == 7
    assert [name.key for name, _ in counts.items()] == list(COUNT_NAMES)


def test_nothing_published_counts_nothing() -> None:
    empty = pa.table({"la_child_id": pa.array([], pa.string()), "cwsw": pa.array([], pa.bool_())})
    counts = count_cohort(1, AS_AT, empty, _ids(), _ids())
    assert (counts.cohort, counts.linked, counts.not_linked, counts.on_roll) == (0, 0, 0, 0)


def test_every_count_has_a_label_and_a_definition() -> None:
    labels = [name.label for name in COUNT_NAMES.values()]
    assert labels == ["Cohort", "Linked", "Not linked", "On roll"]
    assert all(name.definition.endswith(".") for name in COUNT_NAMES.values())
