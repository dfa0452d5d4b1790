"""The support activity shown beside each school's figures, counted for a period."""

from __future__ import annotations

from datetime import date, timedelta

from ever6.web.support.activity import activity_by_school
from ever6.web.support.models import Booking, Recommendation
from tests.web.conftest import Published
from tests.web.support.helpers import _clinic, _intervention, _make_enquiries


def test_activity_by_school_counts_the_period(accounts: dict[str, object], published: Published) -> None:
    _make_enquiries(published)
    held = _clinic(days=-3)
    for n, state in enumerate(["attended", "dna", "cancelled"]):
        Booking.objects.create(
            clinic=held,
            booker_type="school",
            name=f"P{n}",
            email=f"p{n}@x.org",
            school_id=published.urn,
            attendance=state,
        )
    Recommendation.objects.create(
        intervention=_intervention(), school_id=published.unsigned_urn, recommended_on=date.today() - timedelta(days=1)
    )
    today = date.today()
    activity = activity_by_school(date(2026, 1, 1), max(today, date(2026, 2, 28)))
    assert activity[published.urn]["enquiries"] == 2
    assert activity[published.urn]["clinic_bookings"] == 2  # the cancelled one is left out
    assert activity[published.urn]["clinic_attended"] == 1
    assert activity[published.unsigned_urn] == {
        "enquiries": 2,
        "clinic_bookings": 0,
        "clinic_attended": 0,
        "recommendations": 1,
    }
    january = activity_by_school(date(2026, 1, 1), date(2026, 1, 31))
    assert set(january) == {published.urn}
    assert january[published.urn]["enquiries"] == 2
