"""Who is on a school's roll, and when: the one rule every page, marker file and measure uses.

A pupil's enrolment at a school (URN, UPN, entry date) appears in every roll that covers it: the
2024/25 roll shows it open, the 2025/26 roll may show it closed in December. The newest roll's
record of an enrolment is the one that counts, whatever order the files were imported in: a
pupil who left is not kept on roll by an older year's row that could not yet know.

A roll's date is the reference date its batch carries (a school census day), or else the latest
event it records (an entry or a leaving date), but never later than the day it was imported, so
one mistyped future date cannot make a file outrank every other.

Written as Ibis expressions over the warehouse's raw tables, so it runs on any engine.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir
from ibis.expr.types import Table


def roll_batches(enrolments: Table, batches: Table) -> Table:
    """``batches`` with ``reference_date`` set to each pupil roll's date, for ranking versions."""
    latest_event = ibis.greatest(enrolments.entry_date, enrolments.leaving_date.fill_null(enrolments.entry_date))
    dated = enrolments.group_by("batch_id").agg(_last_event=latest_event.max())
    joined = batches.left_join(dated, "batch_id").drop("batch_id_right")
    imported = joined.imported_at.cast("date")
    rolled = ibis.least(joined._last_event, imported)
    return joined.mutate(reference_date=joined.reference_date.fill_null(rolled)).drop("_last_event")


def on_roll_during(enrolments: Table, first: ir.DateValue, last: ir.DateValue) -> ir.BooleanValue:
    """Whether an enrolment was on roll at some time from ``first`` to ``last`` inclusive (dates,
    or another table's columns when the periods are a table joined to the enrolments)."""
    return (enrolments.entry_date <= last) & (enrolments.leaving_date.isnull() | (enrolments.leaving_date >= first))


def on_roll(enrolments: Table, start: date, end: date) -> Table:
    """Current enrolments (:func:`ever6.cohort.current_tables`) on roll at some time from
    ``start`` to ``end`` inclusive, one per school and pupil: the latest entry among them."""
    first, last = ibis.literal(start, type="date"), ibis.literal(end, type="date")
    e = enrolments.filter(on_roll_during(enrolments, first, last))
    e = e.mutate(_rank=ibis.row_number().over(group_by=["urn", "upn"], order_by=ibis.desc("entry_date")))
    return e.filter(e._rank == 0).drop("_rank")
