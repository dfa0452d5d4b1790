"""The support work with each school in a period, to show beside the school's cohort figures.

Per school URN: advice-line enquiries received, clinic places booked and attended (sessions held
in the period, cancelled bookings left out), and interventions recommended. A school with none of
these is not in the result.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from ever6.web.support.models import Attendance, Booking, Enquiry, Recommendation

KEYS = ("enquiries", "clinic_bookings", "clinic_attended", "recommendations")


def activity_by_school(start: date, end: date) -> dict[str, dict[str, int]]:
    """Counts of the support work with each school from ``start`` to ``end`` (both included)."""
    result: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KEYS, 0))
    enquiries = (
        Enquiry.objects.filter(school__isnull=False, received_on__gte=start, received_on__lte=end)
        .order_by()
        .values("school_id")
        .annotate(n=Count("id"))
    )
    for row in enquiries:
        result[row["school_id"]]["enquiries"] = row["n"]
    begin = timezone.make_aware(datetime.combine(start, time.min))
    finish = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    bookings = (
        Booking.objects.filter(school__isnull=False, clinic__starts_at__gte=begin, clinic__starts_at__lt=finish)
        .exclude(attendance=Attendance.CANCELLED)
        .order_by()
        .values("school_id", "attendance")
        .annotate(n=Count("id"))
    )
    for row in bookings:
        counts = result[row["school_id"]]
        counts["clinic_bookings"] += row["n"]
        if row["attendance"] == Attendance.ATTENDED:
            counts["clinic_attended"] += row["n"]
    recommendations = (
        Recommendation.objects.filter(recommended_on__gte=start, recommended_on__lte=end)
        .order_by()
        .values("school_id")
        .annotate(n=Count("id"))
    )
    for row in recommendations:
        result[row["school_id"]]["recommendations"] = row["n"]
    return dict(result)
