"""Attendance only after a session, feedback only from attendees, and the feedback summary."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.web.training.helpers import _course, _csv, _reg, _session


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
