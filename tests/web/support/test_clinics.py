"""Consultations and clinics: adding one, bookings within capacity, attendance after the session,
the summary and agreed actions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from ever6.web.support.models import AgreedAction, Attendance, Booking, Clinic
from tests.web.conftest import Published
from tests.web.support.helpers import UPN_TEXT, _clinic, _csv, _date, _intervention, _refused


def _clinic_post(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "partner": "ep",
        "topic": "Learning needs after trauma",
        **_date("day", date.today() + timedelta(days=14)),
        "start_time": "13:30",
        "duration_minutes": "90",
        "mode": "in_person",
        "location": "County Hall, Room 2",
        "capacity": "2",
    }
    data.update(fields)
    return data


def test_add_a_session_and_its_refusals(client_for: Callable[[str], Client], accounts: dict[str, object]) -> None:
    client = client_for("vs_officer")
    for fields, field, message in [
        ({"start_time": "25:00"}, "id_start_time", "Start time must be a real time"),
        ({"capacity": "0"}, "id_capacity", "Places must be 1 or more"),
        ({"capacity": "six"}, "id_capacity", "Places must be a whole number"),
        ({"partner": ""}, "id_partner", "Select the partner"),
        ({"topic": UPN_TEXT}, "id_topic", "must not contain a pupil's UPN"),
        (_date("day", None), "id_day_day", "Enter the date of the session"),
    ]:
        _refused(client.post("/support/clinics/new/", _clinic_post(**fields)), field, message)
    assert Clinic.objects.count() == 0
    assert client.post("/support/clinics/new/", _clinic_post()).status_code == 302
    clinic = Clinic.objects.get()
    local = timezone.localtime(clinic.starts_at)
    assert (local.date(), local.hour, local.minute) == (date.today() + timedelta(days=14), 13, 30)
    assert not clinic.has_started()


def test_bookings_respect_capacity_and_attendance_waits_for_the_session(
    client_for: Callable[[str], Client], published: Published, accounts: dict[str, object]
) -> None:
    client = client_for("vs_officer")
    clinic = _clinic(days=7, capacity=2)
    url = f"/support/clinics/{clinic.pk}/book/"
    school_booking = {"booker_type": "school", "name": "Jo Bloggs", "email": "jo@school.example.org", "school": ""}
    _refused(client.post(url, school_booking), "id_school", "Select the school the booking is for")
    _refused(client.post(url, {**school_booking, "email": "jo@"}), "id_email", "Enter an email address in the correct")
    assert client.post(url, {**school_booking, "school": published.urn}).status_code == 302
    _refused(
        client.post(url, {**school_booking, "school": published.urn}), "id_email", "already has a place at this session"
    )
    social_worker = {"booker_type": "social_worker", "name": "Sam Patel", "email": "sam@la.example.gov.uk"}
    assert client.post(url, social_worker).status_code == 302
    full = client.post(url, {**social_worker, "email": "third@la.example.gov.uk"})
    assert full.status_code == 400
    assert "The session is full: all 2 places are booked" in full.content.decode()
    assert Booking.objects.filter(clinic=clinic).count() == 2

    first, second = Booking.objects.filter(clinic=clinic).order_by("id")
    attendance = f"/support/clinics/{clinic.pk}/attendance/"
    _refused(
        client.post(attendance, {f"booking_{first.pk}": "attended", f"booking_{second.pk}": "booked"}),
        f"id_booking_{first.pk}",
        "attendance can be recorded once the session has started",
    )
    first.refresh_from_db()
    assert first.attendance == Attendance.BOOKED
    # A cancellation before the session frees the place.
    post = {f"booking_{first.pk}": "cancelled", f"booking_{second.pk}": "booked"}
    assert client.post(attendance, post).status_code == 302
    assert clinic.places_taken() == 1
    summary = client.post(f"/support/clinics/{clinic.pk}/summary/", {"summary": "Too early"})
    _refused(summary, "id_summary", "once the session has started")


def test_after_the_session_attendance_summary_and_actions(
    client_for: Callable[[str], Client], published: Published, accounts: dict[str, object]
) -> None:
    client = client_for("vs_head")
    clinic = _clinic(days=-2, capacity=4)
    a = Booking.objects.create(clinic=clinic, booker_type="school", name="A", email="a@x.org", school_id=published.urn)
    b = Booking.objects.create(clinic=clinic, booker_type="social_worker", name="B", email="b@x.org")
    post = {f"booking_{a.pk}": "attended", f"booking_{b.pk}": "dna"}
    assert client.post(f"/support/clinics/{clinic.pk}/attendance/", post).status_code == 302
    assert dict(Booking.objects.values_list("name", "attendance")) == {"A": "attended", "B": "dna"}

    library = _intervention("Key adult", source="other", evidence="moderate", phase="all")
    url = f"/support/clinics/{clinic.pk}/summary/"
    _refused(client.post(url, {"summary": UPN_TEXT}), "id_summary", "must not contain a pupil's UPN")
    clinic.refresh_from_db()
    assert clinic.summary == ""
    assert (
        client.post(url, {"summary": "Two schools shared practice.", "interventions": [str(library.pk)]}).status_code
        == 302
    )
    clinic.refresh_from_db()
    assert clinic.summary == "Two schools shared practice."
    assert list(clinic.interventions.all()) == [library]

    action_url = f"/support/clinics/{clinic.pk}/actions/new/"
    too_early = {"text": "Share the profile", "owner": "DSL", **_date("due_on", date.today() - timedelta(days=5))}
    _refused(client.post(action_url, too_early), "id_due_on_day", "same as or after the date of the session")
    _refused(client.post(action_url, {**too_early, "text": UPN_TEXT}), "id_text", "UPN")
    assert AgreedAction.objects.count() == 0
    assert (
        client.post(action_url, {**too_early, **_date("due_on", date.today() + timedelta(days=7))}).status_code == 302
    )
    action = AgreedAction.objects.get()
    edit = f"/support/clinics/{clinic.pk}/actions/{action.pk}/"
    data = {"text": action.text, "owner": "Head of year", **_date("due_on", action.due_on), "done": "yes"}
    assert client.post(edit, data).status_code == 302
    action.refresh_from_db()
    assert (action.owner, action.done) == ("Head of year", True)

    bookings = _csv(client.get(f"/support/clinics/{clinic.pk}/?format=csv&table=bookings"))
    assert {r["Name"]: r["Attendance"] for r in bookings} == {"A": "Attended", "B": "Did not attend"}
    actions = _csv(client.get(f"/support/clinics/{clinic.pk}/?format=csv&table=actions"))
    assert [(r["Owner"], r["Done"]) for r in actions] == [("Head of year", "Yes")]
    listed = {r["Topic"]: r for r in _csv(client.get("/support/clinics/?when=past&format=csv"))}
    row = listed[clinic.topic]
    assert (row["Places booked"], row["Attended"], row["Open actions"], row["Status"]) == (
        "2",
        "1",
        "0",
        "Summary recorded",
    )
    assert _csv(client.get("/support/clinics/?when=upcoming&format=csv")) == []


def test_capacity_cannot_drop_below_places_booked(
    client_for: Callable[[str], Client], accounts: dict[str, object]
) -> None:
    clinic = _clinic(days=3, capacity=3)
    for n in range(2):
        Booking.objects.create(clinic=clinic, booker_type="social_worker", name=f"P{n}", email=f"p{n}@x.org")
    response = client_for("vs_officer").post(f"/support/clinics/{clinic.pk}/edit/", _clinic_post(capacity="1"))
    _refused(response, "id_capacity", "Places must be at least the 2 already booked")
    clinic.refresh_from_db()
    assert clinic.capacity == 3
