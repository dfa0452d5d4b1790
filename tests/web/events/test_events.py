"""Telling the social worker, through the pages: a DSL records an event, the allocated worker is
emailed (no detail of the child), sees and acknowledges it; others see nothing of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ever6.web.audit.models import AuditEvent
from ever6.web.events.models import Event
from ever6.web.outbox.models import Message
from tests.web.conftest import Published
from tests.web.events.helpers import open_pupils

pytestmark = pytest.mark.django_db


def _date(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def _part_time(upn: str, start: date) -> dict[str, str]:
    return {
        "pupil": upn,
        "kind": "part_time_timetable",
        **_date("event_date", start),
        **_date("review_date", start + timedelta(days=14)),
        **_date("proposed_end_date", start + timedelta(days=42)),
        "carer_agreed": "yes",
    }


def test_the_form_offers_only_own_pupils_with_an_open_plan(
    client_for: Callable[[str], Client], published: Published
) -> None:
    page = client_for("school_dsl").get(reverse("portal:record_event", args=[published.urn])).content.decode()
    mine = open_pupils(published)
    assert mine, "the demo school should have pupils with an open plan"
    for pupil in mine:
        assert f'value="{pupil.upn}"' in page
    for pupil in open_pupils(published, published.other_urn):
        assert pupil.upn not in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"pupil": ""}, "pupil", "Select the pupil"),
        ({"kind": ""}, "kind", "Select what happened"),
        ({"event_date_day": ""}, "event_date", "Date must include a day"),
        ({"event_date_month": "13"}, "event_date", "Date must be a real date"),
        (
            {"review_date_day": "", "review_date_month": "", "review_date_year": ""},
            "review_date",
            "Enter the date the timetable will be reviewed",
        ),
        ({"carer_agreed": ""}, "carer_agreed", "Select whether the parent or carer agreed to the timetable"),
        ({"kind": "removed_from_roll"}, "removal_reason", "Select the reason the pupil was removed from roll"),
    ],
)
def test_every_field_is_checked_with_a_govuk_message(
    client_for: Callable[[str], Client], published: Published, change: dict[str, str], field: str, message: str
) -> None:
    pupil = open_pupils(published)[0]
    data = {**_part_time(pupil.upn, date.today() - timedelta(days=1)), **change}
    response = client_for("school_dsl").post(reverse("portal:record_event", args=[published.urn]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert not Event.objects.exists()


def test_the_end_must_follow_the_start_and_dates_not_be_in_the_future(
    client_for: Callable[[str], Client], published: Published
) -> None:
    pupil = open_pupils(published)[0]
    start = date.today() - timedelta(days=3)
    data = {**_part_time(pupil.upn, start), **_date("proposed_end_date", start)}
    page = client_for("school_dsl").post(reverse("portal:record_event", args=[published.urn]), data).content.decode()
    assert "Proposed end date must be after the start date" in page
    data = _part_time(pupil.upn, date.today() + timedelta(days=2))
    page = client_for("school_dsl").post(reverse("portal:record_event", args=[published.urn]), data).content.decode()
    assert "Date must be today or in the past" in page
    assert not Event.objects.exists()


def test_another_schools_pupil_is_refused(client_for: Callable[[str], Client], published: Published) -> None:
    theirs = open_pupils(published, published.other_urn)
    if not theirs:
        pytest.skip("the third demo school has no pupil with an open plan")
    data = _part_time(theirs[0].upn, date.today())
    page = client_for("school_dsl").post(reverse("portal:record_event", args=[published.urn]), data).content.decode()
    assert "Select the pupil" in page
    url = reverse("portal:record_event", args=[published.other_urn])
    assert client_for("school_dsl").post(url, data).status_code == 403
    assert not Event.objects.exists()


def test_record_email_see_and_acknowledge(
    client_for: Callable[[str], Client], accounts: dict[str, Any], published: Published
) -> None:
    pupil = open_pupils(published)[0]
    worker = accounts["social_worker"]
    worker.email = pupil.worker_email
    worker.save()
    response = client_for("school_dsl").post(
        reverse("portal:record_event", args=[published.urn]), _part_time(pupil.upn, date.today())
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.la_child_id, event.kind, event.from_school, event.carer_agreed) == (
        pupil.la_child_id,
        "part_time_timetable",
        True,
        True,
    )
    # One email, to the worker, copied to the team; nothing in it says who or what.
    (message,) = Message.objects.filter(kind="event")
    assert (message.to, message.cc) == (pupil.worker_email, pupil.team_email)
    text = f"{message.subject}\n{message.body}\n{message.html}".lower()
    for secret in (pupil.forename, pupil.surname, pupil.upn, pupil.la_child_id, published.urn, "part-time"):
        assert secret.lower() not in text, secret
    assert reverse("events:event", args=[event.pk]) in message.body

    sw = client_for("social_worker")
    listing = sw.get(reverse("events:index")).content.decode()
    assert pupil.surname in listing
    page = sw.get(reverse("events:event", args=[event.pk])).content.decode()
    assert "Part-time timetable" in page
    assert pupil.surname in page
    assert AuditEvent.objects.filter(username="social_worker", what="event", object_id=str(event.pk)).exists()
    assert AuditEvent.objects.filter(username="social_worker", what="allocated_children").exists()
    assert sw.post(reverse("events:event", args=[event.pk])).status_code == 302
    event.refresh_from_db()
    assert event.acknowledged_by == "social_worker"
    assert AuditEvent.objects.filter(what="event_acknowledged", object_id=str(event.pk)).exists()


def test_a_worker_sees_only_children_allocated_to_them(
    client_for: Callable[[str], Client], accounts: dict[str, Any], published: Published
) -> None:
    pupil = open_pupils(published)[0]
    event = Event.objects.create(
        la_child_id=pupil.la_child_id, urn=published.urn, upn=pupil.upn, kind="suspension", event_date=date.today()
    )
    worker = accounts["social_worker"]
    worker.email = "someone.else@example.org"
    worker.save()
    sw = client_for("social_worker")
    assert pupil.surname not in sw.get(reverse("events:index")).content.decode()
    assert sw.get(reverse("events:event", args=[event.pk])).status_code == 403
    assert sw.post(reverse("events:event", args=[event.pk])).status_code == 403
    event.refresh_from_db()
    assert event.acknowledged_at is None


def test_a_school_record_merges_with_the_same_event_from_the_data(
    client_for: Callable[[str], Client], published: Published
) -> None:
    pupil = open_pupils(published)[0]
    today = date.today()
    Event.objects.create(
        la_child_id=pupil.la_child_id,
        urn=published.urn,
        upn=pupil.upn,
        kind="part_time_timetable",
        event_date=today,
        from_data=True,
        detail="first C2 session: AM",
    )
    client_for("school_dsl").post(reverse("portal:record_event", args=[published.urn]), _part_time(pupil.upn, today))
    event = Event.objects.get()
    assert (event.from_data, event.from_school, event.detail) == (True, True, "first C2 session: AM")
    assert event.proposed_end_date == today + timedelta(days=42)


def test_the_pupil_list_shows_whose_plan_is_open_and_the_team(
    client_for: Callable[[str], Client], published: Published
) -> None:
    page = client_for("school_dsl").get(reverse("portal:pupils", args=[published.urn])).content.decode()
    assert "Plans open now and allocated teams" in page
    for pupil in open_pupils(published):
        assert pupil.team_email in page
    assert AuditEvent.objects.filter(username="school_dsl", what="pupil_allocations", object_id=published.urn).exists()
