"""What the Virtual School sees about one school beside its partnership records: the school's
figures against the authority's, and the partnership activity and training with it this year."""

from __future__ import annotations

from datetime import date
from typing import Any

from ever6.access import MetricQuery, NotPublished
from ever6.access.viewer import Viewer
from ever6.dates import academic_year_bounds, academic_year_label, academic_year_start
from ever6.web.dashboard.figures import note
from ever6.web.dashboard.gap import complete_year
from ever6.web.dashboard.labels import measure_label
from ever6.web.guard import snapshot
from ever6.web.outcomes.activity import activity_by_school
from ever6.web.tables import Figure, Table

MEASURES = (
    "pupils",
    "overall_absence_rate",
    "persistent_absence_rate",
    "suspension_rate",
    "one_plus_suspension_rate",
)
COLUMNS = (
    ("school:cwsw", "This school: Ever6 CWSW"),
    ("school:not_cwsw", "This school: never CWSW"),
    ("all:cwsw", "Authority: Ever6 CWSW"),
    ("all:not_cwsw", "Authority: never CWSW"),
)


def figures(who: Viewer, urn: str) -> Table | None:
    """The school's Ever6 CWSW and other pupils against the authority's, for the latest complete
    year (as the dashboard leads with); ``None`` before anything is published or when the school
    has no published figures."""
    snap = snapshot()
    try:
        years, run = snap.academic_years(), snap.run()
    except NotPublished:
        return None
    if not years:
        return None
    year = complete_year(years, run.as_at)
    groups = ("cwsw", "not_cwsw")
    school = snap.metrics(who, MetricQuery(year, "year", MEASURES, groups, "school", (urn,)))
    if not school:
        return None
    authority = snap.metrics(who, MetricQuery(year, "year", MEASURES, groups, "all"))
    cells = {
        (("school" if r["breakdown"] == "school" else "all") + ":" + r["group"], r["measure"]): Figure.of(
            r, count=r["measure"] == "pupils"
        )
        for r in [*school, *authority]
    }
    rows: list[dict[str, Any]] = [
        {"measure": measure_label(m), **{key: cells.get((key, m), Figure("x")) for key, _ in COLUMNS}} for m in MEASURES
    ]
    return Table(
        f"This school against the authority, {year}",
        [("measure", "Measure"), *COLUMNS],
        rows,
        numeric=frozenset(k for k, _ in COLUMNS),
        note=note(False),
    )


def activity(urn: str, today: date) -> tuple[str, list[tuple[str, int]]]:
    """This academic year's partnership activity and training with the school, by kind."""
    from ever6.web.outcomes.views import kind_label  # the one list of activity labels

    year = academic_year_start(today)
    start, end = academic_year_bounds(year)
    kinds, by_school = activity_by_school(start, end)
    counts = by_school.get(urn, {})
    return academic_year_label(year), [(kind_label(k), counts.get(k, 0)) for k in kinds]
