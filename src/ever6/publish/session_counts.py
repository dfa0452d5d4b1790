"""Session counts kept per batch of marks, so that a refresh after a new day counts that day only.

The measures sum each enrolment's sessions per term (:func:`ever6.metrics.rules.session_counts`).
Counting every mark of the year again after each day's file is most of a day's refresh; instead
each batch's counts per (enrolment, term) of each academic year are kept in the warehouse
(``attendance_session_count``), computed once by the first refresh that sees the batch, and the
year's counts are the sum of its batches' (days two batches share, and days after the reference
date, are counted from the marks instead: :func:`ever6.metrics.rules._marks_counts`). A rolled-back
batch's counts go with it; counts kept by another release or code table are computed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ibis.expr.types import Table

from ever6 import __version__
from ever6.attendance import code_table
from ever6.dates import academic_year_bounds
from ever6.formats import ATTENDANCE
from ever6.metrics.rules import MARK_COUNTS, KeptCounts, mark_session_counts
from ever6.warehouse import Warehouse

KEPT_COLUMNS = ("urn", "upn", "term", *MARK_COUNTS)


def computed_by() -> str:
    """What the kept counts depend on besides the marks: the release (terms, rules) and code table."""
    codes = code_table()
    digest = hashlib.sha256(repr(codes.to_pylist()).encode()).hexdigest()[:16]
    return f"{__version__}|{digest}"


def keep(warehouse: Warehouse) -> int:
    """Count and keep the sessions of every active batch of marks not yet counted; the number of
    (batch, year) pairs counted."""
    import ibis

    kept = warehouse.counted_batch_years(computed_by())
    todo = sorted(
        (b.batch_id, year)
        for b in warehouse.batches()
        if b.format == ATTENDANCE.name and b.active
        for year in warehouse.mark_years([b.batch_id])
        if (b.batch_id, year) not in kept
    )
    if not todo:
        return 0
    raw = warehouse.raw_tables()
    codes = ibis.memtable(code_table())
    marks = raw["attendance_mark"]
    # One pass over the marks a year, for every batch it still has to count.
    for year in sorted({y for _, y in todo}):
        batch_ids = [b for b, y in todo if y == year]
        counts = mark_session_counts(
            marks.filter(marks.batch_id.isin(batch_ids)), codes, year, academic_year_bounds(year)[1], by=("batch_id",)
        )
        warehouse.keep_session_counts(year, batch_ids, counts.select("batch_id", *KEPT_COLUMNS).to_pyarrow())
    return len(todo)


def kept_counts(raw: Mapping[str, Table]) -> KeptCounts | None:
    """The kept counts and day index of the active batches, when the warehouse has them."""
    if "attendance_session_count" not in raw or "attendance_mark_day" not in raw:
        return None
    active = raw["import_batch"].filter(raw["import_batch"].status == "active").select("batch_id")
    counts = raw["attendance_session_count"].semi_join(active, "batch_id")
    days = raw["attendance_mark_day"].semi_join(active, "batch_id").select("batch_id", "date")
    return KeptCounts(counts=counts, days=days)


__all__ = ["computed_by", "keep", "kept_counts"]
