"""Courses: adding and changing one, and invalid courses explained with nothing saved."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.web.training.helpers import _csv


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
