"""Each listed pupil's attendance and suspensions this year, for their school's own list.

Computed once per refresh, for the enrolments on the schools' lists of Ever6 CWSW pupils
(``school_pupil``) only, by the rules the measures use (:func:`ever6.metrics.rules.pupil_attendance`):
a pupil's row on the list and the school's published figures cannot disagree about what counts as
a possible session, an absence or a suspension. Pupil-level: read only through the access layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis
import pyarrow as pa

from ever6.attendance import code_table
from ever6.cohort import current_tables
from ever6.config import Settings
from ever6.dates import academic_year_bounds, academic_year_label, academic_year_start
from ever6.metrics.rules import Inputs, pupil_attendance
from ever6.publish.layout import PUPIL_ATTENDANCE_COLUMNS
from ever6.publish.session_counts import kept_counts

SCHEMA = pa.schema(
    [
        ("urn", pa.string()),
        ("upn", pa.string()),
        ("academic_year", pa.string()),
        ("possible", pa.int64()),
        ("missed", pa.int64()),
        ("attendance", pa.float64()),
        ("persistent", pa.bool_()),
        ("suspensions", pa.int64()),
    ]
)
assert tuple(SCHEMA.names) == PUPIL_ATTENDANCE_COLUMNS


def attendance_rate(possible: int | None, missed: int | None) -> float | None:
    """Sessions attended (present or at an approved activity) as a percentage of possible
    sessions, to one decimal place as the measures are published; None without a possible session."""
    if not possible or missed is None:
        return None
    return round((possible - missed) / possible * 100, 1)


def school_pupil_attendance(
    raw: Mapping[str, ibis.Table], school_pupil: pa.Table, settings: Settings, as_at: date
) -> pa.Table:
    """One row per enrolment of ``school_pupil``: the academic year of ``as_at`` up to that date.

    ``suspensions`` is 0 for a pupil with none recorded when the authority holds exclusion records
    for the year, and null when it holds none at all (nothing to say either way).
    """
    if school_pupil.num_rows == 0:
        return SCHEMA.empty_table()
    tables = current_tables(raw)
    start_year = academic_year_start(as_at)
    inputs = Inputs(
        tables=tables,
        cohort=ibis.memtable(pa.table({"la_child_id": pa.array([], pa.string())})),
        links=ibis.memtable(pa.table({"la_child_id": pa.array([], pa.string()), "upn": pa.array([], pa.string())})),
        codes=ibis.memtable(code_table()),
        la_code=settings.authority.la_code,
        settings=settings.measures,
        kept=kept_counts(raw),
    )
    units = ibis.memtable(school_pupil.select(["urn", "upn"]))
    rows = pupil_attendance(inputs, start_year, units, as_at=as_at).to_pyarrow().to_pylist()
    start, end = academic_year_bounds(start_year)
    x = tables.exclusion
    has_exclusions = bool(x.filter((x.start_date >= start) & (x.start_date <= end)).count().to_pyarrow().as_py())
    label = academic_year_label(start_year)
    out = [
        {
            "urn": r["urn"],
            "upn": r["upn"],
            "academic_year": label,
            "possible": r["possible"],
            "missed": r["absence"],
            "attendance": attendance_rate(r["possible"], r["absence"]),
            "persistent": r["persistent"],
            "suspensions": (r["suspensions"] or 0) if has_exclusions else r["suspensions"],
        }
        for r in rows
    ]
    out.sort(key=lambda r: (r["urn"], r["upn"]))
    return pa.Table.from_pylist(out, schema=SCHEMA)


__all__ = ["SCHEMA", "attendance_rate", "school_pupil_attendance"]
