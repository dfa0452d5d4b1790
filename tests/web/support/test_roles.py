"""The support pages' role checks: sign-in, partnership roles only, every page, the CSRF token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from ever6.web.support.models import Enquiry
from tests.web.conftest import Published
from tests.web.support.helpers import _enquiry_post


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
