"""The training pages' role checks: sign-in, partnership roles only, every page."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse


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
