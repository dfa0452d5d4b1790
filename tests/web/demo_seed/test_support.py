"""The support pages' demo records: realistic, anonymised, and the same when seeded again."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, timedelta

from django.test import Client
from django.utils import timezone

from ever6.web.schools.models import School
from ever6.web.support.activity import activity_by_school
from ever6.web.support.anonymity import contains_upn
from ever6.web.support.models import Booking, Clinic, Enquiry, Intervention, Recommendation, working_days
from tests.web.support.helpers import _csv, _intervention


def test_demo_data_is_realistic_anonymised_and_idempotent(
    client_for: Callable[[str], Client], accounts: dict[str, object]
) -> None:
    from ever6.web.demo_seed.support import seed_demo

    kept = _intervention("The authority's own intervention", recorded_by="vs_head")
    today = date.today()
    seed_demo(random.Random(7), today)
    counts = (Enquiry.objects.count(), Clinic.objects.count(), Booking.objects.count(), Recommendation.objects.count())
    seed_demo(random.Random(7), today)
    assert counts == (
        Enquiry.objects.count(),
        Clinic.objects.count(),
        Booking.objects.count(),
        Recommendation.objects.count(),
    )
    assert Intervention.objects.filter(pk=kept.pk).exists()
    assert counts[0] >= 100
    assert counts[1] >= 10
    assert counts[2] >= 20
    assert counts[3] >= 5
    assert Enquiry.objects.filter(school__isnull=False).exists()
    assert Enquiry.objects.filter(responded_on__isnull=True).exists()
    assert Enquiry.objects.filter(closed=True).exists()
    for enquiry in Enquiry.objects.all():
        assert enquiry.received_on <= today
        assert not contains_upn(enquiry.question)
        assert not contains_upn(enquiry.response)
        if enquiry.responded_on:
            assert enquiry.received_on <= enquiry.responded_on <= today
    for clinic in Clinic.objects.all():
        assert clinic.places_taken() <= clinic.capacity
        if not clinic.has_started():
            assert not clinic.bookings.filter(attendance__in=["attended", "dna"]).exists()
            assert clinic.summary == ""
        assert not contains_upn(clinic.summary)
    assert Clinic.objects.filter(starts_at__gt=timezone.now()).exists()
    assert School.objects.filter(enquiries__isnull=False).distinct().count() >= 3

    client = client_for("vs_officer")
    enquiries = client.get("/support/enquiries/").content.decode()
    assert len(re.findall(r"ENQ-\d{5}", enquiries)) == 50  # a full first page
    report = client.get("/support/enquiries/report/").content.decode()
    assert "report-category-spec" in report
    assert len(_csv(client.get("/support/clinics/?format=csv"))) == counts[1]
    assert len(_csv(client.get("/support/interventions/?format=csv"))) >= 15
    activity = activity_by_school(today - timedelta(days=365), today)
    assert sum(a["enquiries"] for a in activity.values()) == Enquiry.objects.filter(school__isnull=False).count()
    assert working_days(today, today) == 0
