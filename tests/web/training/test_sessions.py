"""Sessions: adding one, invalid sessions explained with nothing saved, and a session keeping its
registrations and attendance.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.test import Client

from tests.web.training.helpers import _csv, _date


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
