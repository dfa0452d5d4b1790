"""What a refresh may take from the previous run instead of computing it again.

The cohort and the links depend on the social care data, the pupil and school registers, the
reference date, the settings and the data manager's linkage decisions. A refresh after imports of
education data alone (a school's new day of marks, a term's returns, exclusions, results), at
the same reference date and settings, with no decision or ``ever6 link`` since, would compute the
same cohort and links: it reuses them. When the only new or removed batches are marks, the
measures of every academic year those marks do not fall in are reused too, since each year's
measures read only that year's education data. Anything else is computed again: reuse is
decided from provenance (the batches a run was computed from), never guessed from content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ever6.dates import academic_year_label
from ever6.formats import ATTENDANCE, Kind, of_kind
from ever6.warehouse import Warehouse
from ever6.warehouse.linkage_store import LinkageStore
from ever6.warehouse.published import Published, Run

# Formats whose batches change only the measures: never the cohort or the links.
EDUCATION_FORMATS = frozenset(f.name for f in of_kind(Kind.EDUCATION))
# Of those, the one whose batches are known day by day (the import's day index).
_MARKS = ATTENDANCE.name


@dataclass(frozen=True)
class Reuse:
    """The run to reuse the cohort and links of (None: compute them), the academic years (start
    years) whose measures it also gives, and why, in words for the data manager."""

    run: Run | None
    years: frozenset[int]
    reason: str


def plan(warehouse: Warehouse, previous: Run | None, as_at: date, settings: dict[str, Any]) -> Reuse:
    """What a refresh at ``as_at`` with ``settings`` (as the run records them) can reuse of ``previous``."""
    if previous is None:
        return Reuse(None, frozenset(), "no earlier run")
    if previous.as_at != as_at:
        return Reuse(None, frozenset(), f"the reference date changed from {previous.as_at}")
    if previous.settings != settings:
        return Reuse(None, frozenset(), "the settings changed")
    decided_at, linked_at = LinkageStore(warehouse).last_changes()
    if (decided_at and decided_at >= previous.started_at) or (linked_at and linked_at > previous.finished_at):
        return Reuse(None, frozenset(), "linkage decisions or a linkage run since")
    batches = {b.batch_id: b for b in warehouse.batches()}
    active = {b.batch_id for b in batches.values() if b.status == "active"}
    changed = active.symmetric_difference(previous.batches)
    formats = {batches[b].format if b in batches else None for b in changed}
    if not formats <= EDUCATION_FORMATS:
        return Reuse(None, frozenset(), "social care, pupil or school data changed")
    published = frozenset(Published(warehouse).start_years(previous.run_id))
    if not changed:
        return Reuse(previous, published, "nothing was imported or rolled back")
    # New marks (a rolled-back batch's days are gone with it, so its years are unknown).
    if formats == {_MARKS} and changed <= active:
        touched = warehouse.mark_years(changed)
        years = ", ".join(academic_year_label(y) for y in sorted(touched))
        return Reuse(previous, published - touched, f"only marks for {years} were imported")
    return Reuse(previous, frozenset(), "only education data changed")
