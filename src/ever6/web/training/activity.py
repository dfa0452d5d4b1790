"""The training programme's partnership activity per school, for the page that puts it beside
each school's cohort figures."""

from __future__ import annotations

from datetime import date

from django.db.models import Count

from ever6.web.training.models import Attendance, Registration


def activity_by_school(start: date, end: date) -> dict[str, dict[str, int]]:
    """Per school URN, for sessions dated from ``start`` to ``end`` (both included): how many of
    its staff registered (``training_registrations``) and how many attended (``training_attended``).

    Schools with neither are left out; social workers and others registered with no school are not
    counted against any school."""
    found = Registration.objects.filter(session__date__gte=start, session__date__lte=end, school__isnull=False)
    out: dict[str, dict[str, int]] = {}
    for row in found.values("school_id", "attendance").annotate(n=Count("id")):
        counts = out.setdefault(str(row["school_id"]), {"training_registrations": 0, "training_attended": 0})
        counts["training_registrations"] += int(row["n"])
        if row["attendance"] == Attendance.ATTENDED:
            counts["training_attended"] += int(row["n"])
    return out
