"""Children known to early help: an optional group beside the Ever6 CWSW cohort, never inside it.

A child is in the group at R when an early-help episode of theirs was open on at least one day
after R - 6 years (``cohort.window_years``), as known on R: it started on or before R and had not
ended by the window's start. The window is the Ever6 one, so the group answers the same question
for early help as CWSW does for social work (``docs/cohort.md``, "Early help").
"""

from __future__ import annotations

from datetime import date

import ibis
from ibis.expr.types import Table

from ever6.cohort.sources import CurrentTables
from ever6.dates import shift_years


def early_help_children(t: CurrentTables, as_at: date, window_years: int) -> Table:
    """One row per child: ``la_child_id``, ``upn`` and ``birth_date`` (from their newest episode)."""
    r = ibis.literal(as_at, type="date")
    window_start = ibis.literal(shift_years(as_at, -window_years), type="date")
    eh = t.early_help_episode
    eh = eh.filter((eh.start_date <= r) & (eh.end_date.isnull() | (eh.end_date > window_start)))
    eh = eh.mutate(_rank=ibis.row_number().over(group_by="la_child_id", order_by=ibis.desc("start_date")))
    return eh.filter(eh._rank == 0).select("la_child_id", "upn", "birth_date")
