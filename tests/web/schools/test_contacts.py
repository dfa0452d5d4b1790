"""Named contacts at a school: add, change and remove them, with validation, duplicates refused
and a history of every change (who, when, old and new values)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Published


def _date(prefix: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": ""}
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def _contact(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Priya Shah",
        "role": "dsl",
        "email": "p.shah@example.sch.uk",
        "phone": "01632 960 001",
        **_date("from_date", date.today() - timedelta(days=400)),
        **_date("to_date", None),
        "notes": "",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(published: Published) -> None:
    for url in (f"/schools/{published.urn}/contacts/new/", f"/schools/{published.urn}/contacts/1/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ["data_manager", "school_dsl", "auditor"])
def test_other_roles_can_neither_see_nor_change_contacts(
    client_for: Callable[[str], Client], published: Published, role: str
) -> None:
    from ever6.web.schools.models import Contact

    contact = Contact.objects.create(school_id=published.urn, name="A B", role="senco", email="a@b.sch.uk")
    client = client_for(role)
    base = f"/schools/{published.urn}/contacts"
    for url in (f"{base}/new/", f"{base}/{contact.pk}/", f"{base}/{contact.pk}/remove/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{base}/new/", _contact()).status_code == 403
    assert client.post(f"{base}/{contact.pk}/", _contact(name="Changed")).status_code == 403
    assert client.post(f"{base}/{contact.pk}/remove/").status_code == 403
    contact.refresh_from_db()
    assert contact.name == "A B"
    assert Contact.objects.count() == 1


def test_add_change_and_remove_a_contact_with_its_history(
    client_for: Callable[[str], Client], published: Published
) -> None:
    from ever6.web.schools.models import Contact, ContactChange

    client = client_for("vs_officer")
    base = f"/schools/{published.urn}/contacts"
    assert client.get(f"{base}/new/").status_code == 200
    response = client.post(f"{base}/new/", _contact())
    assert response.status_code == 302
    assert response["Location"] == f"/schools/{published.urn}/#contacts"
    contact = Contact.objects.get()
    assert (contact.name, contact.role, contact.email, contact.created_by) == (
        "Priya Shah",
        "dsl",
        "p.shah@example.sch.uk",
        "vs_officer",
    )
    page = client.get(f"/schools/{published.urn}/").content.decode()
    assert "Priya Shah" in page
    assert "DSL / CWSW lead" in page
    assert "mailto:p.shah@example.sch.uk" in page
    assert "No contact in post for: Designated teacher, SENCO" in page

    # Change the email and phone: the history says old -> new, and who.
    assert client.get(f"{base}/{contact.pk}/").status_code == 200
    response = client_for("vs_head").post(
        f"{base}/{contact.pk}/", _contact(email="priya.shah@example.sch.uk", phone="07700 900982")
    )
    assert response.status_code == 302
    change = ContactChange.objects.filter(action="changed").get()
    assert change.changed_by == "vs_head"
    assert {c["field"]: (c["old"], c["new"]) for c in change.changes} == {
        "Email": ("p.shah@example.sch.uk", "priya.shah@example.sch.uk"),
        "Phone": ("01632 960 001", "07700 900982"),
    }
    # Saving with nothing changed writes no history row.
    client.post(f"{base}/{contact.pk}/", _contact(email="priya.shah@example.sch.uk", phone="07700 900982"))
    assert ContactChange.objects.filter(action="changed").count() == 1

    assert client.get(f"{base}/{contact.pk}/remove/").status_code == 200
    assert client.post(f"{base}/{contact.pk}/remove/").status_code == 302
    assert not Contact.objects.exists()
    removed = ContactChange.objects.get(action="removed")
    assert removed.contact_name == "Priya Shah"
    assert removed.changed_by == "vs_officer"
    page = client.get(f"/schools/{published.urn}/").content.decode()
    assert "No contacts are recorded for this school." in page
    for text in ("Added", "Changed", "Removed", "p.shah@example.sch.uk", "priya.shah@example.sch.uk", "vs_head"):
        assert text in page, text
    assert page.index("Removed") < page.index("Added")  # newest first


def test_a_contact_of_another_school_is_not_found(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import Contact

    contact = Contact.objects.create(school_id=published.urn, name="A B", role="senco", email="a@b.sch.uk")
    client = client_for("vs_officer")
    assert client.get(f"/schools/{published.other_urn}/contacts/{contact.pk}/").status_code == 404
    assert client.post(f"/schools/{published.other_urn}/contacts/{contact.pk}/remove/").status_code == 404
    assert client.get("/schools/000000/contacts/new/").status_code == 404
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": " "}, "name", "s full name"),
        ({"role": ""}, "role", "s role at the school"),
        ({"role": "caretaker"}, "role", "Select a valid choice"),
        ({"email": ""}, "email", "s email address"),
        ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
        ({"email": "a@b"}, "email", "Enter an email address in the correct format"),
        ({"phone": "12345"}, "phone", "Enter a UK telephone number"),
        ({"phone": "+1 202 555 0100"}, "phone", "Enter a UK telephone number"),
        ({**_date("from_date", date.today() + timedelta(days=5))}, "from_date", "must be today or in the past"),
        ({**_date("to_date", date.today() + timedelta(days=5))}, "to_date", "must be today or in the past"),
        ({"from_date_day": "31", "from_date_month": "2", "from_date_year": "2024"}, "from_date", "must be a real date"),
        (
            {**_date("to_date", date.today() - timedelta(days=500))},
            "to_date",
            "must be the same as or after the date they started",
        ),
    ],
)
def test_invalid_contacts_are_explained_and_nothing_is_saved(
    client_for: Callable[[str], Client], published: Published, fields: dict[str, str], field: str, message: str
) -> None:
    from ever6.web.schools.models import Contact, ContactChange

    response = client_for("vs_officer").post(f"/schools/{published.urn}/contacts/new/", _contact(**fields))
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    anchor = f"#id_{field}_day" if field.endswith("_date") else f"#id_{field}"
    assert f'href="{anchor}"' in body
    assert "<title>Error:" in body
    assert not Contact.objects.exists()
    assert not ContactChange.objects.exists()


@pytest.mark.parametrize(
    "phone", ["01632 960001", "(01632) 960 001", "+44 7700 900982", "+44 (0)20 7946 0958", "0207-946-0958"]
)
def test_uk_phone_formats_are_accepted(client_for: Callable[[str], Client], published: Published, phone: str) -> None:
    from ever6.web.schools.models import Contact

    assert (
        client_for("vs_officer").post(f"/schools/{published.urn}/contacts/new/", _contact(phone=phone)).status_code
        == 302
    )
    assert Contact.objects.get().phone == phone


def test_the_same_person_in_the_same_role_is_refused(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import Contact

    client = client_for("vs_officer")
    base = f"/schools/{published.urn}/contacts"
    assert client.post(f"{base}/new/", _contact()).status_code == 302
    response = client.post(f"{base}/new/", _contact(name="P. Shah", email="P.SHAH@example.sch.uk"))
    assert response.status_code == 400
    assert "is already recorded as the DSL / CWSW lead" in response.content.decode()
    assert Contact.objects.count() == 1
    # The same person in another role, or at another school, is fine.
    assert client.post(f"{base}/new/", _contact(role="designated_teacher")).status_code == 302
    assert client.post(f"/schools/{published.other_urn}/contacts/new/", _contact()).status_code == 302
    # Changing a contact into a duplicate is refused too.
    teacher = Contact.objects.get(school_id=published.urn, role="designated_teacher")
    assert client.post(f"{base}/{teacher.pk}/", _contact(role="dsl")).status_code == 400
    teacher.refresh_from_db()
    assert teacher.role == "designated_teacher"
    assert Contact.objects.count() == 3


def test_a_contact_who_has_left_shows_as_missing(client_for: Callable[[str], Client], published: Published) -> None:
    client = client_for("vs_officer")
    left = _contact(**_date("to_date", date.today() - timedelta(days=3)))
    assert client.post(f"/schools/{published.urn}/contacts/new/", left).status_code == 302
    page = client.get(f"/schools/{published.urn}/").content.decode()
    assert "Not in post" in page
    assert "No contact in post for: DSL / CWSW lead" in page
