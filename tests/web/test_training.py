"""The training programme: courses, sessions, registrations (no duplicates, capacity enforced),
attendance only after a session, feedback only from attendees, the feedback summary, coverage of
schools with Ever6 CWSW pupils by tier, role checks, downloads, activity and demo data."""

from __future__ import annotations

import csv
import html
import io
import random
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import duckdb
import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Published


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(html.unescape(response.content.decode()))))


def _counts(published: Published) -> dict[str, int]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        return {u: n for u, n in con.execute("SELECT urn, count(*) FROM school_pupil GROUP BY urn").fetchall()}
    finally:
        con.close()


def _date(prefix: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": ""}
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def _course(title: str = "Attachment and trauma-informed practice", **fields: Any) -> Any:
    from ever6.web.training.models import Course

    values = {"audience": "both", "duration_minutes": 180, "provider": "Educational Psychology Service"}
    values.update(fields)
    return Course.objects.create(title=title, **values)


def _session(course: Any, days: int, capacity: int | None = 20, start: time | None = time(9, 30)) -> Any:
    from ever6.web.training.models import Session

    return Session.objects.create(
        course=course,
        date=date.today() + timedelta(days=days),
        start_time=start,
        delivery="in_person",
        location="Civic Centre",
        capacity=capacity,
        trainer="Alex Trainer",
    )


def _reg(session: Any, name: str, email: str, role: str = "dsl", urn: str | None = None, **fields: Any) -> Any:
    from ever6.web.training.models import Registration

    return Registration.objects.create(
        session=session, attendee_name=name, email=email, role=role, school_id=urn, **fields
    )


@pytest.fixture
def setup(accounts: dict[str, object], published: Published) -> dict[str, Any]:
    """A course with a past session (two registered) and an upcoming one with two places."""
    course = _course()
    past = _session(course, -7)
    future = _session(course, 14, capacity=2)
    a = _reg(past, "Priya Shah", "p.shah@example.sch.uk", "dsl", published.urn)
    b = _reg(past, "Tom Green", "t.green@example.org", "social_worker")
    return {"course": course, "past": past, "future": future, "a": a, "b": b}


def _urls(s: dict[str, Any]) -> list[str]:
    return [
        "/training/",
        "/training/?format=csv",
        "/training/?audience=schools&status=all&format=xlsx",
        "/training/courses/new/",
        f"/training/courses/{s['course'].pk}/",
        f"/training/courses/{s['course'].pk}/?format=csv",
        f"/training/courses/{s['course'].pk}/edit/",
        f"/training/courses/{s['course'].pk}/sessions/new/",
        "/training/sessions/",
        "/training/sessions/?when=past&format=csv",
        f"/training/sessions/{s['past'].pk}/",
        f"/training/sessions/{s['past'].pk}/?format=xlsx",
        f"/training/sessions/{s['past'].pk}/edit/",
        f"/training/sessions/{s['future'].pk}/register/",
        f"/training/registrations/{s['a'].pk}/feedback/",
        f"/training/registrations/{s['a'].pk}/withdraw/",
        "/training/feedback/",
        "/training/feedback/?format=csv",
        "/training/coverage/",
        "/training/coverage/?since=12&show=uncovered",
        "/training/coverage/?format=csv&table=tiers",
        "/training/coverage/?format=xlsx&table=schools",
    ]


# --- who may use it --------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(setup: dict[str, Any]) -> None:
    for url in _urls(setup):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["data_manager", "school_dsl", "auditor"])
def test_roles_without_partnership_are_refused(
    client_for: Callable[[str], Client], setup: dict[str, Any], role: str
) -> None:
    from ever6.web.training.models import Course, Registration

    client = client_for(role)
    for url in [*_urls(setup), "/training/import/", f"/training/sessions/{setup['past'].pk}/attendance/"]:
        assert client.get(url).status_code == 403, (role, url)
    before = (Course.objects.count(), Registration.objects.count())
    assert client.post("/training/courses/new/", {"title": "x", "audience": "schools"}).status_code == 403
    register = f"/training/sessions/{setup['future'].pk}/register/"
    assert client.post(register, {"attendee_name": "A", "email": "a@example.org", "role": "other"}).status_code == 403
    attendance = f"/training/sessions/{setup['past'].pk}/attendance/"
    assert client.post(attendance, {f"attendance_{setup['a'].pk}": "attended"}).status_code == 403
    feedback = f"/training/registrations/{setup['a'].pk}/feedback/"
    assert client.post(feedback, {"score": "5"}).status_code == 403
    assert (Course.objects.count(), Registration.objects.count()) == before


@pytest.mark.parametrize("role", ["vs_head", "vs_officer"])
def test_partnership_roles_see_every_page(
    client_for: Callable[[str], Client], setup: dict[str, Any], role: str
) -> None:
    client = client_for(role)
    for url in _urls(setup):
        response = client.get(url)
        assert response.status_code == 200, url
        if "format=" not in url:
            assert "<h1" in html.unescape(response.content.decode()), url
    assert client.get("/training/courses/999999/").status_code == 404
    assert client.get("/training/import/")["Location"] == "/schools/import/?kind=training"
    attendance = client.get(f"/training/sessions/{setup['past'].pk}/attendance/")
    assert attendance["Location"] == f"/training/sessions/{setup['past'].pk}/#attendance"


# --- courses ---------------------------------------------------------------------------------------


def test_adding_and_changing_a_course(client_for: Callable[[str], Client], accounts: dict[str, object]) -> None:
    from ever6.web.training.models import Course

    client = client_for("vs_officer")
    data = {
        "title": "Improving attendance for children with a social worker",
        "audience": "schools",
        "description": "Barriers to attendance.",
        "duration_minutes": "90",
        "provider": "Virtual School",
        "active": "on",
    }
    response = client.post("/training/courses/new/", data)
    assert response.status_code == 302
    course = Course.objects.get()
    assert response["Location"] == f"/training/courses/{course.pk}/"
    assert (course.audience, course.duration_minutes, course.active, course.created_by) == (
        "schools",
        90,
        True,
        "vs_officer",
    )
    page = client.get(response["Location"]).content.decode()
    assert "1 hour 30 minutes" in page
    # Changing it: made inactive, it leaves the default (active) list but stays under "all".
    assert client.post(f"/training/courses/{course.pk}/edit/", {**data, "active": ""}).status_code == 302
    assert Course.objects.get().active is False
    assert _csv(client.get("/training/?format=csv")) == []
    assert [r["Course"] for r in _csv(client.get("/training/?status=all&format=csv"))] == [data["title"]]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Enter the title of the course"),
        ({"title": "attachment AND trauma-informed practice"}, "A course with this title already exists"),
        ({"audience": ""}, "Select who the course is for"),
        ({"duration_minutes": "an hour"}, "Duration must be a whole number of minutes"),
        ({"duration_minutes": "0"}, "Duration must be between 1 and"),
        ({"provider": " "}, "Enter who provides the course"),
    ],
)
def test_invalid_courses_are_explained_and_nothing_is_saved(
    client_for: Callable[[str], Client], setup: dict[str, Any], fields: dict[str, str], message: str
) -> None:
    from ever6.web.training.models import Course

    data = {"title": "New course", "audience": "schools", "duration_minutes": "60", "provider": "Virtual School"}
    data.update(fields)
    response = client_for("vs_head").post("/training/courses/new/", data)
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert "There is a problem" in body
    assert message in body
    assert "govuk-error-summary" in body
    assert Course.objects.count() == 1


# --- sessions --------------------------------------------------------------------------------------


def _session_data(day: date, **fields: str) -> dict[str, str]:
    data = {
        **_date("date", day),
        "start_time": "13:30",
        "delivery": "online",
        "location": "Microsoft Teams",
        "capacity": "25",
        "trainer": "Jo Bloggs",
    }
    data.update(fields)
    return data


def test_adding_a_session(client_for: Callable[[str], Client], setup: dict[str, Any]) -> None:
    from ever6.web.training.models import Session

    course = setup["course"]
    day = date.today() + timedelta(days=30)
    response = client_for("vs_officer").post(f"/training/courses/{course.pk}/sessions/new/", _session_data(day))
    assert response.status_code == 302
    made = Session.objects.latest("id")
    assert response["Location"] == f"/training/sessions/{made.pk}/"
    assert (made.date, made.start_time, made.delivery, made.capacity) == (day, time(13, 30), "online", 25)
    listed = _csv(client_for("vs_officer").get(f"/training/courses/{course.pk}/?format=csv"))
    assert len(listed) == 3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date_day": "31", "date_month": "2", "date_year": "2026"}, "Date of the session must be a real date"),
        ({"date_day": "", "date_month": "", "date_year": ""}, "Enter the date of the session"),
        ({"start_time": "25:00"}, "Start time must be a real time"),
        ({"delivery": ""}, "Select whether the session is in person or online"),
        ({"location": ""}, "Enter the venue, or how to join the session online"),
        ({"capacity": "lots"}, "Number of places must be a whole number"),
        ({"capacity": "0"}, "Number of places must be between 1 and"),
        ({"trainer": ""}, "Enter the name of the trainer"),
    ],
)
def test_invalid_sessions_are_explained_and_nothing_is_saved(
    client_for: Callable[[str], Client], setup: dict[str, Any], fields: dict[str, str], message: str
) -> None:
    from ever6.web.training.models import Session

    data = _session_data(date.today() + timedelta(days=30), **fields)
    response = client_for("vs_officer").post(f"/training/courses/{setup['course'].pk}/sessions/new/", data)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert Session.objects.count() == 2


def test_a_session_keeps_its_registrations_and_attendance(
    client_for: Callable[[str], Client], setup: dict[str, Any]
) -> None:
    from ever6.web.training.models import Session

    client = client_for("vs_officer")
    past = setup["past"]
    # Fewer places than people registered is refused.
    response = client.post(f"/training/sessions/{past.pk}/edit/", _session_data(past.date, capacity="1"))
    assert response.status_code == 400
    assert "Number of places must be at least 2" in html.unescape(response.content.decode())
    # Once attendance is recorded, the session cannot move into the future.
    client.post(f"/training/sessions/{past.pk}/attendance/", {f"attendance_{setup['a'].pk}": "attended"})
    later = date.today() + timedelta(days=3)
    response = client.post(f"/training/sessions/{past.pk}/edit/", _session_data(later))
    assert response.status_code == 400
    assert "Attendance has been recorded" in html.unescape(response.content.decode())
    assert Session.objects.get(pk=past.pk).date == past.date


# --- registrations ---------------------------------------------------------------------------------


def _register(client: Client, session: Any, **fields: str) -> Any:
    data = {"attendee_name": "Sam Okafor", "email": "S.Okafor@Example.sch.uk", "role": "designated_teacher"}
    data.update(fields)
    return client.post(f"/training/sessions/{session.pk}/register/", data)


def test_registering_refuses_duplicates_and_a_full_session(
    client_for: Callable[[str], Client], setup: dict[str, Any], published: Published
) -> None:
    from ever6.web.training.models import Registration

    client = client_for("vs_officer")
    future = setup["future"]
    response = _register(client, future, school=published.urn)
    assert response.status_code == 302
    made = Registration.objects.get(session=future)
    assert (made.email, made.school_id, made.role, made.registered_by) == (
        "s.okafor@example.sch.uk",
        published.urn,
        "designated_teacher",
        "vs_officer",
    )
    # The same address again (in any case) is refused.
    again = _register(client, future, email="s.okafor@EXAMPLE.sch.uk", school=published.urn)
    assert again.status_code == 400
    assert "This email address is already registered for this session" in html.unescape(again.content.decode())
    # The second and last place; then the session is full.
    assert _register(client, future, email="k.lee@example.org", role="social_worker").status_code == 302
    full = _register(client, future, email="third@example.org", role="social_worker")
    assert full.status_code == 400
    assert "This session is full: all 2 places are taken" in html.unescape(full.content.decode())
    assert Registration.objects.filter(session=future).count() == 2
    assert "This session is full" in client.get(f"/training/sessions/{future.pk}/register/").content.decode()
    # Withdrawing someone frees a place.
    page = client.get(f"/training/registrations/{made.pk}/withdraw/")
    assert page.status_code == 200
    assert client.post(f"/training/registrations/{made.pk}/withdraw/").status_code == 302
    assert _register(client, future, email="third@example.org", role="social_worker").status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"attendee_name": ""}, "Enter the attendee's full name"),
        ({"email": "not an email"}, "Enter an email address in the correct format, like name@example.com"),
        ({"email": "a@b"}, "Enter an email address in the correct format"),
        ({"email": ""}, "Enter an email address"),
        ({"role": ""}, "Select the attendee's role"),
        ({"role": "dsl", "school": ""}, "Select the school of the DSL / CWSW lead"),
        ({"school": "999999"}, "Select a school from the list"),
    ],
)
def test_invalid_registrations_are_explained_and_nothing_is_saved(
    client_for: Callable[[str], Client], setup: dict[str, Any], fields: dict[str, str], message: str
) -> None:
    from ever6.web.training.models import Registration

    before = Registration.objects.count()
    response = _register(client_for("vs_head"), setup["future"], **fields)
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert "There is a problem" in body
    assert message in body
    assert Registration.objects.count() == before


def test_a_social_worker_needs_no_school(client_for: Callable[[str], Client], setup: dict[str, Any]) -> None:
    response = _register(client_for("vs_head"), setup["future"], role="social_worker", email="sw@example.org")
    assert response.status_code == 302


# --- attendance and feedback ----------------------------------------------------------------------


def test_attendance_only_after_the_session(client_for: Callable[[str], Client], setup: dict[str, Any]) -> None:
    from ever6.web.training.models import Registration

    client = client_for("vs_officer")
    future = setup["future"]
    reg = _reg(future, "Early Bird", "early@example.org", "social_worker")
    page = client.get(f"/training/sessions/{future.pk}/").content.decode()
    assert "Attendance can be recorded once the session has happened" in page
    response = client.post(f"/training/sessions/{future.pk}/attendance/", {f"attendance_{reg.pk}": "attended"})
    assert response.status_code == 400
    assert "Attendance can be recorded only once the session has happened" in html.unescape(response.content.decode())
    assert Registration.objects.get(pk=reg.pk).attendance == "not_recorded"


def test_recording_attendance_and_feedback(client_for: Callable[[str], Client], setup: dict[str, Any]) -> None:
    from ever6.web.training.models import Registration

    client = client_for("vs_officer")
    past, a, b = setup["past"], setup["a"], setup["b"]
    response = client.post(
        f"/training/sessions/{past.pk}/attendance/",
        {f"attendance_{a.pk}": "attended", f"attendance_{b.pk}": "did_not_attend"},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.attendance, a.attendance_recorded_by, b.attendance) == ("attended", "vs_officer", "did_not_attend")

    # Feedback from someone who did not attend is refused; from an attendee it is kept.
    refused = client.post(f"/training/registrations/{b.pk}/feedback/", {"score": "4"})
    assert refused.status_code == 400
    assert "Feedback can be recorded only for someone who attended" in html.unescape(refused.content.decode())
    assert Registration.objects.get(pk=b.pk).feedback_score is None
    bad = client.post(f"/training/registrations/{a.pk}/feedback/", {"score": "6"})
    assert bad.status_code == 400
    assert "Select a score from 1 to 5" in html.unescape(bad.content.decode())
    ok = client.post(f"/training/registrations/{a.pk}/feedback/", {"score": "4", "comment": " Useful. "})
    assert ok.status_code == 302
    a.refresh_from_db()
    assert (a.feedback_score, a.feedback_comment) == (4, "Useful.")

    # An attendee with feedback cannot be changed to "did not attend"; a recorded person cannot
    # be withdrawn; attendance once recorded cannot be blanked.
    response = client.post(
        f"/training/sessions/{past.pk}/attendance/",
        {f"attendance_{a.pk}": "did_not_attend", f"attendance_{b.pk}": "did_not_attend"},
    )
    assert response.status_code == 400
    assert "Priya Shah has given feedback, so must be recorded as attended" in html.unescape(response.content.decode())
    response = client.post(f"/training/sessions/{past.pk}/attendance/", {f"attendance_{a.pk}": "attended"})
    assert response.status_code == 400
    assert "Select whether Tom Green attended" in html.unescape(response.content.decode())
    assert Registration.objects.get(pk=a.pk).attendance == "attended"
    assert client.post(f"/training/registrations/{b.pk}/withdraw/").status_code == 400
    assert Registration.objects.filter(pk=b.pk).exists()

    rows = _csv(client.get(f"/training/sessions/{past.pk}/?format=csv"))
    assert [(r["Attendee"], r["Attendance"], r["Feedback score"]) for r in rows] == [
        ("Priya Shah", "Attended", "4"),
        ("Tom Green", "Did not attend", ""),
    ]


def test_the_database_refuses_feedback_without_attendance(setup: dict[str, Any]) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        _reg(setup["future"], "No Show", "no.show@example.org", "social_worker", feedback_score=3)


def test_feedback_summary_means_by_course(client_for: Callable[[str], Client], setup: dict[str, Any]) -> None:
    other = _course("DSL and designated teacher forum", audience="schools", duration_minutes=90)
    forum = _session(other, -3)
    _reg(forum, "One", "one@example.org", "other", attendance="attended", feedback_score=5)
    _reg(forum, "Two", "two@example.org", "other", attendance="attended", feedback_score=2)
    _reg(forum, "Three", "three@example.org", "other", attendance="attended")
    _reg(forum, "Four", "four@example.org", "other", attendance="did_not_attend")
    client = client_for("vs_head")
    rows = {r["Course"]: r for r in _csv(client.get("/training/feedback/?format=csv"))}
    forum_row = rows["DSL and designated teacher forum"]
    assert (forum_row["Registered"], forum_row["Attended"], forum_row["Feedback responses"]) == ("4", "3", "2")
    assert forum_row["Mean score (1 to 5)"] == "3.50"
    assert rows["Attachment and trauma-informed practice"]["Mean score (1 to 5)"] == "x"
    page = client.get("/training/feedback/").content.decode()
    assert "<strong>3.50</strong> out of 5, from 2 responses" in page
    assert 'data-ever6-chart="feedback-spec"' in page


# --- coverage --------------------------------------------------------------------------------------


def test_coverage_by_tier_counts_attended_dsls_and_designated_teachers(
    client_for: Callable[[str], Client], setup: dict[str, Any], published: Published
) -> None:
    from ever6.web.schools.models import TierDecision

    counts = _counts(published)
    past = setup["past"]
    # published.urn: a DSL attended. unsigned_urn: a designated teacher attended. other_urn: only a
    # SENCO attended and a DSL did not: not covered.
    _reg(past, "Dee Teacher", "dt@example.org", "designated_teacher", published.unsigned_urn, attendance="attended")
    _reg(past, "Sen Co", "senco@example.org", "senco", published.other_urn, attendance="attended")
    _reg(past, "Absent Dsl", "absent@example.org", "dsl", published.other_urn, attendance="did_not_attend")
    setup["a"].attendance = "attended"
    setup["a"].save()
    TierDecision.objects.create(
        school_id=published.urn, tier="targeted", reason="Many children with a social worker", decided_by="vs_head"
    )
    client = client_for("vs_officer")
    schools = {r["URN"]: r for r in _csv(client.get("/training/coverage/?format=csv&table=schools"))}
    assert set(schools) == {u for u, n in counts.items() if n > 0}
    assert {u: int(r["Ever6 CWSW pupils"]) for u, r in schools.items()} == {u: n for u, n in counts.items() if n}
    assert schools[published.urn]["Covered"] == "Yes"
    assert schools[published.urn]["DSL / CWSW lead attended"] == "Yes"
    assert (schools[published.urn]["Tier"], schools[published.urn]["Tier from"]) == (
        "Targeted",
        "Decided by the Virtual School",
    )
    assert schools[published.unsigned_urn]["Designated teacher attended"] == "Yes"
    assert schools[published.unsigned_urn]["Covered"] == "Yes"
    assert schools[published.other_urn]["Covered"] == "No"
    assert sum(1 for r in schools.values() if r["Covered"] == "Yes") == 2

    tiers = {r["Tier"]: r for r in _csv(client.get("/training/coverage/?format=csv&table=tiers"))}
    total = tiers.pop("All tiers")
    assert (
        int(total["Schools with Ever6 CWSW pupils"]),
        int(total["Schools whose DSL or designated teacher attended"]),
    ) == (
        len(schools),
        2,
    )
    assert total["Schools covered (%)"] == f"{2 / len(schools) * 100:.1f}"
    assert int(total["Ever6 CWSW pupils at covered schools"]) == counts[published.urn] + counts[published.unsigned_urn]
    for tier, row in tiers.items():
        in_tier = [r for r in schools.values() if r["Tier"] == tier]
        assert int(row["Schools with Ever6 CWSW pupils"]) == len(in_tier)
        assert int(row["Schools whose DSL or designated teacher attended"]) == sum(
            1 for r in in_tier if r["Covered"] == "Yes"
        )
    # The decided school, and the other covered school if the figures suggest it for Targeted too.
    also_targeted = schools[published.unsigned_urn]["Tier"] == "Targeted"
    assert int(tiers["Targeted"]["Schools whose DSL or designated teacher attended"]) == 1 + also_targeted
    # Only the schools not yet covered; and attendance older than the period does not count.
    uncovered = _csv(client.get("/training/coverage/?format=csv&table=schools&show=uncovered"))
    assert published.urn not in {r["URN"] for r in uncovered}
    assert len(uncovered) == len(schools) - 2
    page = client.get("/training/coverage/").content.decode()
    assert f"2</span> of {len(schools)} schools" in page
    assert 'data-ever6-chart="coverage-by-tier-spec"' in page


def test_coverage_period_excludes_old_attendance(
    client_for: Callable[[str], Client], setup: dict[str, Any], published: Published
) -> None:
    old = _session(setup["course"], -500)
    _reg(old, "Old Dsl", "old@example.org", "dsl", published.other_urn, attendance="attended")
    client = client_for("vs_officer")
    ever = {r["URN"]: r for r in _csv(client.get("/training/coverage/?format=csv&table=schools"))}
    recent = {r["URN"]: r for r in _csv(client.get("/training/coverage/?format=csv&table=schools&since=12"))}
    assert ever[published.other_urn]["Covered"] == "Yes"
    assert recent[published.other_urn]["Covered"] == "No"


# --- activity and demo data ------------------------------------------------------------------------


def test_activity_by_school_counts_registrations_and_attendance_in_the_period(
    setup: dict[str, Any], published: Published
) -> None:
    from ever6.web.training.activity import activity_by_school

    today = date.today()
    _reg(setup["past"], "Dee Teacher", "dt@example.org", "designated_teacher", published.urn, attendance="attended")
    _reg(setup["future"], "Later", "later@example.org", "senco", published.urn)
    found = activity_by_school(today - timedelta(days=30), today)
    assert found == {published.urn: {"training_registrations": 2, "training_attended": 1}}
    everything = activity_by_school(today - timedelta(days=30), today + timedelta(days=30))
    assert everything[published.urn] == {"training_registrations": 3, "training_attended": 1}
    assert activity_by_school(today + timedelta(days=60), today + timedelta(days=90)) == {}


def test_demo_data_is_realistic_and_idempotent(
    client_for: Callable[[str], Client], accounts: dict[str, object]
) -> None:
    from ever6.web.training.models import Course, Registration, Session
    from ever6.web.training.seed import seed_demo

    kept = _course("A course someone entered")
    today = date.today()
    seed_demo(random.Random(7), today)
    first = (Course.objects.count(), Session.objects.count(), Registration.objects.count())
    seed_demo(random.Random(7), today)
    assert (Course.objects.count(), Session.objects.count(), Registration.objects.count()) == first
    assert Course.objects.filter(pk=kept.pk).exists()
    assert first[0] >= 6
    assert Session.objects.filter(date__gt=today).exists()
    past = Registration.objects.filter(session__date__lt=today)
    assert past.filter(attendance="attended").exists()
    assert past.filter(attendance="did_not_attend").exists()
    assert not Registration.objects.filter(session__date__gt=today).exclude(attendance="not_recorded").exists()
    assert not Registration.objects.exclude(attendance="attended").filter(feedback_score__isnull=False).exists()
    assert Registration.objects.filter(school__isnull=True, role="social_worker").exists()
    for s in Session.objects.exclude(capacity=None):
        assert s.registrations.count() <= s.capacity
    client = client_for("vs_head")
    assert len(_csv(client.get("/training/?format=csv"))) >= 6
    assert len(_csv(client.get("/training/feedback/?format=csv"))) >= 6
    covered = [r for r in _csv(client.get("/training/coverage/?format=csv&table=schools")) if r["Covered"] == "Yes"]
    assert covered
