"""Registrations: no duplicates, capacity enforced, invalid registrations explained with nothing
saved, and a social worker needing no school.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.conftest import Published


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
