"""Shared by the support tests: form data, downloads, refusals, and records made directly."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from ever6.web.support.models import Clinic, Enquiry, Intervention
from tests.web.conftest import Published

UPN_TEXT = "A Year 9 pupil, UPN a1234 5678 9012, is refusing school"


def _date(prefix: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": ""}
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _refused(response: Any, field: str, message: str) -> str:
    """A refused form: status 400, a GOV.UK error summary linking to the field, the message."""
    assert response.status_code == 400
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert f'href="#{field}"' in body, field
    assert f'id="{field}"' in body, f"the error summary links to #{field}, which is not on the page"
    assert message in html.unescape(body), message
    assert "<title>Error: " in body
    return body


def _intervention(name: str = "Mentoring", **extra: Any) -> Intervention:
    fields: dict[str, Any] = {
        "description": "A trusted adult meets the pupil regularly.",
        "source": "eef",
        "evidence": "p3",
        "cost_band": "2",
        "phase": "secondary",
        "link": "https://educationendowmentfoundation.org.uk/education-evidence/teaching-learning-toolkit/mentoring",
        "recorded_by": "test",
        **extra,
    }
    return Intervention.objects.create(name=name, **fields)


def _clinic(*, days: int, capacity: int = 3, hour: int = 10) -> Clinic:
    day = timezone.localdate() + timedelta(days=days)
    return Clinic.objects.create(
        partner="camhs",
        topic="Emotionally based school avoidance",
        starts_at=timezone.make_aware(datetime.combine(day, time(hour, 0))),
        duration_minutes=90,
        mode="online",
        location="Microsoft Teams",
        capacity=capacity,
        recorded_by="test",
    )


def _enquiry_post(published: Published, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        **_date("received_on", date(2026, 3, 6)),  # a Friday
        "channel": "phone",
        "enquirer_type": "school",
        "enquirer_name": "Priya Shah",
        "enquirer_email": "p.shah@school.example.org",
        "school": published.urn,
        "category": "attendance",
        "question": "A Year 9 pupil on a child in need plan has attendance below 70%. What should we try?",
    }
    data.update(fields)
    return data


def _make_enquiries(published: Published) -> None:
    specs = [
        # received, category, school, responded
        (date(2026, 1, 5), "attendance", published.urn, date(2026, 1, 5)),
        (date(2026, 1, 9), "attendance", published.urn, date(2026, 1, 14)),
        (date(2026, 2, 2), "send", published.unsigned_urn, date(2026, 2, 9)),
        (date(2026, 2, 3), "mental_health", None, None),
        (date(2026, 2, 16), "attendance", published.unsigned_urn, None),
    ]
    for received, category, urn, responded in specs:
        Enquiry.objects.create(
            received_on=received,
            channel="email",
            enquirer_type="school",
            enquirer_name="A Teacher",
            school_id=urn,
            category=category,
            question="A question about a group of pupils.",
            response="An answer." if responded else "",
            responded_on=responded,
        )
