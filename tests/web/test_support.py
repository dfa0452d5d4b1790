"""The advice line, consultations and clinics, and interventions: what the Virtual School relies on.

Workflows (record, respond, book, attend, summarise, recommend), refusals that save nothing
(UPN-like text, bad email, future dates, impossible orders of dates), role checks, downloads, the
report's counts, the per-school activity and the demo data.
"""

from __future__ import annotations

import csv
import html
import io
import random
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ever6.web.schools.models import School
from ever6.web.support.activity import activity_by_school
from ever6.web.support.anonymity import contains_upn
from ever6.web.support.models import (
    AgreedAction,
    Attendance,
    Booking,
    Clinic,
    Enquiry,
    Intervention,
    Recommendation,
    working_days,
)
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


# --- role checks ---------------------------------------------------------------------------------


def _urls(ids: dict[str, int]) -> list[str]:
    return [
        "/support/enquiries/",
        "/support/enquiries/?format=csv",
        "/support/enquiries/new/",
        "/support/enquiries/report/",
        "/support/enquiries/report/?format=xlsx&table=school",
        f"/support/enquiries/{ids['enquiry']}/",
        f"/support/enquiries/{ids['enquiry']}/edit/",
        f"/support/enquiries/{ids['enquiry']}/respond/",
        "/support/clinics/",
        "/support/clinics/?format=csv",
        "/support/clinics/new/",
        f"/support/clinics/{ids['clinic']}/",
        f"/support/clinics/{ids['clinic']}/?format=csv&table=actions",
        f"/support/clinics/{ids['clinic']}/edit/",
        f"/support/clinics/{ids['clinic']}/book/",
        f"/support/clinics/{ids['clinic']}/attendance/",
        f"/support/clinics/{ids['clinic']}/summary/",
        f"/support/clinics/{ids['clinic']}/actions/new/",
        f"/support/clinics/{ids['clinic']}/actions/{ids['action']}/",
        "/support/interventions/",
        "/support/interventions/?format=xlsx",
        "/support/interventions/new/",
        f"/support/interventions/{ids['intervention']}/",
        f"/support/interventions/{ids['intervention']}/edit/",
        f"/support/interventions/{ids['intervention']}/recommend/",
    ]


@pytest.fixture
def records(accounts: dict[str, object], published: Published) -> dict[str, int]:
    intervention = _intervention()
    enquiry = Enquiry.objects.create(
        received_on=date(2026, 3, 2),
        channel="email",
        enquirer_type="social_worker",
        enquirer_name="Sam Jones",
        school_id=published.urn,
        category="send",
        question="How do we request an EHC needs assessment?",
    )
    clinic = _clinic(days=-7)
    action = AgreedAction.objects.create(clinic=clinic, text="Share the profile", owner="DSL", due_on=date.today())
    return {"enquiry": enquiry.pk, "clinic": clinic.pk, "action": action.pk, "intervention": intervention.pk}


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(records: dict[str, int]) -> None:
    client = Client()
    for url in ["/support/", *_urls(records)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["data_manager", "school_dsl", "auditor"])
def test_roles_without_partnership_are_refused(
    client_for: Callable[[str], Client], records: dict[str, int], published: Published, role: str
) -> None:
    client = client_for(role)
    for url in ["/support/", *_urls(records)]:
        assert client.get(url).status_code == 403, (role, url)
    before = Enquiry.objects.count()
    assert client.post("/support/enquiries/new/", _enquiry_post(published)).status_code == 403
    assert client.post(f"/support/clinics/{records['clinic']}/book/", {}).status_code == 403
    assert Enquiry.objects.count() == before


@pytest.mark.parametrize("role", ["vs_head", "vs_officer"])
def test_partnership_roles_see_every_page(
    client_for: Callable[[str], Client], records: dict[str, int], role: str
) -> None:
    client = client_for(role)
    assert client.get("/support/").status_code == 302
    for url in _urls(records):
        assert client.get(url).status_code == 200, url
    assert client.get("/support/enquiries/999999/").status_code == 404
    assert client.get(f"/support/clinics/{records['clinic']}/actions/999999/").status_code == 404


def test_forms_need_the_csrf_token(accounts: dict[str, object], published: Published) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(accounts["vs_officer"])  # type: ignore[arg-type]
    assert client.post("/support/enquiries/new/", _enquiry_post(published)).status_code == 403
    assert Enquiry.objects.count() == 0


# --- the advice line -----------------------------------------------------------------------------


def test_record_and_answer_an_enquiry(client_for: Callable[[str], Client], published: Published) -> None:
    client = client_for("vs_officer")
    form = client.get("/support/enquiries/new/").content.decode()
    assert "does not take on individual cases" in form
    assert "date of birth" in form  # the hint warns against names and dates of birth
    response = client.post("/support/enquiries/new/", _enquiry_post(published))
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert response["Location"] == f"/support/enquiries/{enquiry.pk}/"
    assert (enquiry.recorded_by, enquiry.school_id, enquiry.status) == ("vs_officer", published.urn, "open")

    mentoring = _intervention()
    answer = {
        "response": "Suggested a key adult and an attendance plan agreed with the social worker.",
        **_date("responded_on", date(2026, 3, 10)),  # the Tuesday after: 2 working days
        "outcome": "intervention",
        "closed": "no",
        "interventions": [str(mentoring.pk)],
    }
    assert client.post(f"/support/enquiries/{enquiry.pk}/respond/", answer).status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == "answered"
    assert enquiry.days_to_respond == 2
    assert list(enquiry.interventions.all()) == [mentoring]
    page = client.get(f"/support/enquiries/{enquiry.pk}/").content.decode()
    assert "Mentoring" in page
    assert "Suggested a key adult" in page

    client.post(f"/support/enquiries/{enquiry.pk}/respond/", {**answer, "closed": "yes"})
    enquiry.refresh_from_db()
    assert enquiry.status == "closed"
    listed = client.get(f"/support/interventions/{mentoring.pk}/").content.decode()
    assert enquiry.reference in listed


def test_an_enquiry_with_a_upn_is_refused_and_not_saved(
    client_for: Callable[[str], Client], published: Published
) -> None:
    client = client_for("vs_officer")
    body = _refused(
        client.post("/support/enquiries/new/", _enquiry_post(published, question=UPN_TEXT)),
        "id_question",
        "The question must not contain a pupil's UPN",
    )
    assert "does not take on individual cases" in body
    assert Enquiry.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"enquirer_email": "not-an-email"}, "id_enquirer_email", "Enter an email address in the correct format"),
        (_date("received_on", date.today() + timedelta(days=1)), "id_received_on_day", "must be today or in the past"),
        (_date("received_on", None), "id_received_on_day", "Enter the date the enquiry was received"),
        ({"received_on_day": "31", "received_on_month": "2"}, "id_received_on_day", "must be a real date"),
        ({"category": ""}, "id_category", "Select the category"),
        ({"category": "gossip"}, "id_category", "Select the category"),
        ({"school": "999999"}, "id_school", "Select a school from the list"),
        ({"question": ""}, "id_question", "Enter the question"),
    ],
)
def test_invalid_enquiries_save_nothing(
    client_for: Callable[[str], Client], published: Published, fields: dict[str, str], field: str, message: str
) -> None:
    response = client_for("vs_head").post("/support/enquiries/new/", _enquiry_post(published, **fields))
    _refused(response, field, message)
    assert Enquiry.objects.count() == 0


def test_invalid_responses_save_nothing(client_for: Callable[[str], Client], records: dict[str, int]) -> None:
    client = client_for("vs_officer")
    url = f"/support/enquiries/{records['enquiry']}/respond/"
    good = {"response": "Advice given.", **_date("responded_on", date(2026, 3, 3)), "outcome": "", "closed": "no"}
    cases = [
        ({**good, **_date("responded_on", date(2026, 3, 1))}, "id_responded_on_day", "same as or after the date"),
        ({**good, **_date("responded_on", date.today() + timedelta(days=2))}, "id_responded_on_day", "in the past"),
        ({**good, "response": UPN_TEXT}, "id_response", "must not contain a pupil's UPN"),
        ({**good, "closed": "yes"}, "id_outcome", "Select the outcome before closing the enquiry"),
        ({**good, "interventions": ["999999"]}, "id_interventions", "Select only items from the list"),
    ]
    for data, field, message in cases:
        _refused(client.post(url, data), field, message)
    enquiry = Enquiry.objects.get(pk=records["enquiry"])
    assert (enquiry.response, enquiry.responded_on, enquiry.closed) == ("", None, False)


def test_editing_keeps_received_on_or_before_the_answer(
    client_for: Callable[[str], Client], published: Published, records: dict[str, int]
) -> None:
    enquiry = Enquiry.objects.get(pk=records["enquiry"])
    enquiry.responded_on, enquiry.response = date(2026, 3, 4), "Answered."
    enquiry.save()
    client = client_for("vs_head")
    url = f"/support/enquiries/{enquiry.pk}/edit/"
    _refused(
        client.post(url, _enquiry_post(published, **_date("received_on", date(2026, 3, 5)))),
        "id_received_on_day",
        "on or before the date it was answered",
    )
    enquiry.refresh_from_db()
    assert enquiry.received_on == date(2026, 3, 2)
    assert client.post(url, _enquiry_post(published, **_date("received_on", date(2026, 3, 3)))).status_code == 302
    enquiry.refresh_from_db()
    assert (enquiry.received_on, enquiry.category, enquiry.days_to_respond) == (date(2026, 3, 3), "attendance", 1)


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


def test_enquiry_list_filters_and_downloads(
    client_for: Callable[[str], Client], accounts: dict[str, object], published: Published
) -> None:
    _make_enquiries(published)
    client = client_for("vs_officer")
    everything = _csv(client.get("/support/enquiries/?format=csv"))
    assert len(everything) == 5
    assert {"Question", "Response", "Working days to respond", "Enquirer's email"} <= set(everything[0])

    def refs(query: str) -> int:
        return len(_csv(client.get(f"/support/enquiries/?{query}&format=csv")))

    assert refs("category=attendance") == 3
    assert refs("status=open") == 2
    assert refs("status=answered") == 3
    assert refs("status=closed") == 0
    assert refs(f"school={published.unsigned_urn}") == 2
    assert refs("month=2026-02") == 3
    assert refs("category=attendance&month=2026-01") == 2
    assert refs("category=nonsense") == 5  # an unknown filter value shows everything
    answered = {r["Received"]: r["Working days to respond"] for r in everything if r["Responded"]}
    assert answered == {"2026-01-05": "0", "2026-01-09": "3", "2026-02-02": "5"}

    page = client.get("/support/enquiries/?category=attendance").content.decode()
    assert "3 enquiries match" in page
    xlsx = client.get("/support/enquiries/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + 1 + 5  # caption, headings, rows


def test_report_counts_by_category_school_and_month(
    client_for: Callable[[str], Client], accounts: dict[str, object], published: Published
) -> None:
    _make_enquiries(published)
    client = client_for("vs_head")
    period = "period=2025-26"
    category = {r["Category"]: r for r in _csv(client.get(f"/support/enquiries/report/?{period}&format=csv"))}
    assert category["Attendance"]["Enquiries"] == "3"
    assert category["Attendance"]["Answered"] == "2"
    assert category["Attendance"]["Median working days to respond"] == "1.5"
    assert category["SEND"]["Enquiries"] == "1"
    assert category["Elective home education"]["Enquiries"] == "0"

    months = _csv(client.get(f"/support/enquiries/report/?{period}&format=csv&table=month"))
    assert len(months) == 12  # September to August
    counts = {r["Month"]: int(r["Enquiries"]) for r in months}
    assert (counts["Jan 2026"], counts["Feb 2026"], counts["Sep 2025"]) == (2, 3, 0)

    schools = _csv(client.get(f"/support/enquiries/report/?{period}&format=csv&table=school"))
    by_urn = {r["URN"]: r for r in schools}
    assert by_urn[published.urn]["Enquiries"] == "2"
    assert by_urn[""]["School"] == "No school recorded"
    assert int(by_urn[published.urn]["Ever6 CWSW pupils"]) > 0  # beside the published cohort

    summary = {
        r["Measure"]: r["Value"]
        for r in _csv(client.get(f"/support/enquiries/report/?{period}&format=csv&table=summary"))
    }
    assert summary["Enquiries received"] == "5"
    assert summary["Open (not yet answered)"] == "2"
    assert summary["Median working days to respond"] == "3.0"

    page = client.get(f"/support/enquiries/report/?{period}").content.decode()
    assert 'data-ever6-chart="report-category-spec"' in page
    assert 'data-ever6-chart="report-month-spec"' in page
    assert "Enquiries by school" in page
    everything = _csv(client.get("/support/enquiries/report/?period=all&format=csv&table=summary"))
    assert everything[0] == {"Measure": "Enquiries received", "Value": "5"}
    unknown = client.get("/support/enquiries/report/?period=1999-00").content.decode()
    assert '<h2 class="govuk-heading-m">Last 12 months</h2>' in unknown  # an unknown period: the default


# --- consultations and clinics -------------------------------------------------------------------


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


# --- interventions -------------------------------------------------------------------------------


def _intervention_post(**fields: Any) -> dict[str, str]:
    data = {
        "name": "Small group tuition",
        "description": "Teaching two to five pupils together.",
        "source": "eef",
        "evidence": "p3",
        "cost_band": "2",
        "phase": "all",
        "link": "https://educationendowmentfoundation.org.uk/education-evidence/teaching-learning-toolkit/small-group-tuition",
        "active": "yes",
    }
    data.update(fields)
    return data


def test_interventions_library_and_recommendations(
    client_for: Callable[[str], Client], published: Published, accounts: dict[str, object]
) -> None:
    client = client_for("vs_officer")
    for fields, field, message in [
        ({"link": "not a web address"}, "id_link", "Enter a web address in the correct format"),
        ({"link": "ftp://example.org/file"}, "id_link", "Enter a web address"),
        ({"source": "other", "evidence": "p4"}, "id_evidence", "Padlocks are the EEF"),
        ({"cost_band": ""}, "id_cost_band", "Select the cost band"),
        ({"description": UPN_TEXT}, "id_description", "UPN"),
    ]:
        _refused(client.post("/support/interventions/new/", _intervention_post(**fields)), field, message)
    assert Intervention.objects.count() == 0
    assert client.post("/support/interventions/new/", _intervention_post()).status_code == 302
    item = Intervention.objects.get()
    _refused(
        client.post("/support/interventions/new/", _intervention_post(name="small group TUITION")),
        "id_name",
        "already in the library",
    )

    url = f"/support/interventions/{item.pk}/recommend/"
    good = {"school": published.urn, **_date("recommended_on", date.today() - timedelta(days=1)), "note": "Year 7"}
    _refused(
        client.post(url, {**good, **_date("recommended_on", date.today() + timedelta(days=3))}),
        "id_recommended_on_day",
        "must be today or in the past",
    )
    _refused(client.post(url, {**good, "school": ""}), "id_school", "Select the school")
    _refused(client.post(url, {**good, "note": UPN_TEXT}), "id_note", "UPN")
    assert Recommendation.objects.count() == 0
    assert client.post(url, good).status_code == 302
    recommended = _csv(client.get(f"/support/interventions/{item.pk}/?format=csv"))
    assert [(r["URN"], r["Note"]) for r in recommended] == [(published.urn, "Year 7")]

    library = {r["Intervention"]: r for r in _csv(client.get("/support/interventions/?format=csv"))}
    assert library["Small group tuition"]["Schools recommended to"] == "1"
    assert library["Small group tuition"]["Source"] == "Education Endowment Foundation toolkit"
    # Retiring keeps it, out of the "recommended now" list.
    assert client.post(f"/support/interventions/{item.pk}/edit/", _intervention_post(active="no")).status_code == 302
    assert _csv(client.get("/support/interventions/?shown=active&format=csv")) == []
    assert len(_csv(client.get("/support/interventions/?shown=retired&format=csv"))) == 1
    assert len(_csv(client.get("/support/interventions/?phase=secondary&format=csv"))) == 1  # "all" suits every phase


# --- activity beside each school's figures, and the demo ------------------------------------------


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


def test_demo_data_is_realistic_anonymised_and_idempotent(
    client_for: Callable[[str], Client], accounts: dict[str, object]
) -> None:
    from ever6.web.support.seed import seed_demo

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
