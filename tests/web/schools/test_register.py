"""The schools and settings register: the list with its filters and downloads, settings added by
hand, the school page, role checks, the demo records and the activity counts."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Published

REFUSED = ("data_manager", "school_dsl", "auditor")


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _counts(published: Published) -> dict[str, int]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        return {u: n for u, n in con.execute("SELECT urn, count(*) FROM school_pupil GROUP BY urn").fetchall()}
    finally:
        con.close()


def _urls(published: Published) -> list[str]:
    return ["/schools/", "/schools/?format=csv&table=register", "/schools/?format=xlsx", "/schools/new/"]


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(published: Published) -> None:
    for url in _urls(published):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_are_refused(client_for: Callable[[str], Client], published: Published, role: str) -> None:
    from ever6.web.schools.models import School

    client = client_for(role)
    for url in _urls(published):
        assert client.get(url).status_code == 403, (role, url)
    before = School.objects.count()
    assert (
        client.post("/schools/new/", {"name": "Intruder Nursery", "kind": "early_years", "in_la": "yes"}).status_code
        == 403
    )
    assert School.objects.count() == before


@pytest.mark.parametrize("role", ["vs_head", "vs_officer"])
def test_the_register_lists_every_school_with_its_cohort_count(
    client_for: Callable[[str], Client], published: Published, role: str
) -> None:
    from ever6.web.schools.models import School

    client = client_for(role)
    page = client.get("/schools/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Schools and settings" in body
    rows = _csv(client.get("/schools/?format=csv&table=register"))
    assert {r["URN"] for r in rows} == set(School.objects.values_list("urn", flat=True))
    counts = _counts(published)
    by_urn = {r["URN"]: r for r in rows}
    for urn, n in counts.items():
        assert int(by_urn[urn]["Ever6 CWSW pupils"]) == n
    assert by_urn[published.urn]["Agreement status"] == "Signed"
    assert by_urn[published.unsigned_urn]["Agreement status"] == "Not sent"
    # Nobody has recorded contacts yet: every school is missing all five.
    assert by_urn[published.urn]["Missing contacts"].count(",") == 4
    assert by_urn[published.urn]["Tier"] == "Not set"
    assert by_urn[published.urn]["Suggested tier"] in {"Standard", "Enhanced", "Targeted"}
    xlsx = client.get("/schools/?format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"


def test_filters(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import Contact, School, TierDecision

    client = client_for("vs_officer")
    counts = _counts(published)
    with_cohort = _csv(client.get("/schools/?cohort=yes&format=csv"))
    assert {r["URN"] for r in with_cohort} == {u for u, n in counts.items() if n}
    without = _csv(client.get("/schools/?cohort=no&format=csv"))
    assert not {r["URN"] for r in without} & set(counts)
    school = School.objects.get(urn=published.urn)
    by_name = _csv(client.get("/schools/", {"q": school.name.upper()[:8], "format": "csv"}))
    assert published.urn in {r["URN"] for r in by_name}
    assert {r["URN"] for r in _csv(client.get("/schools/", {"q": published.urn, "format": "csv"}))} == {published.urn}
    outside = _csv(client.get("/schools/?place=out&format=csv"))
    assert {r["URN"] for r in outside} == set(School.objects.filter(in_la=False).values_list("urn", flat=True))
    assert all(r["In this authority"] == "No" for r in outside)
    if school.phase:
        phase = _csv(client.get("/schools/", {"phase": school.phase, "format": "csv"}))
        assert {r["Phase"] for r in phase} == {school.phase}
    TierDecision.objects.create(school=school, tier="targeted", reason="test", decided_by="t")
    assert {r["URN"] for r in _csv(client.get("/schools/?tier=targeted&format=csv"))} == {published.urn}
    assert published.urn not in {r["URN"] for r in _csv(client.get("/schools/?tier=none&format=csv"))}
    for role, _ in Contact._meta.get_field("role").choices:
        Contact.objects.create(school=school, name="A Person", role=role, email=f"{role}@example.sch.uk")
    complete = _csv(client.get("/schools/?contacts=complete&format=csv"))
    assert {r["URN"] for r in complete} == {published.urn}
    assert complete[0]["Missing contacts"] == "None missing"
    assert published.urn not in {r["URN"] for r in _csv(client.get("/schools/?contacts=missing&format=csv"))}
    # Unknown filter values are ignored rather than failing.
    assert len(_csv(client.get("/schools/?tier=bogus&phase=nope&format=csv"))) == School.objects.count()
    page = client.get("/schools/?tier=targeted").content.decode()
    assert "1 of" in page
    assert "Clear filters" in page


def test_adding_a_setting_without_a_urn_gives_it_a_local_identifier(client_for: Callable[[str], Client]) -> None:
    from ever6.web.schools.models import School

    client = client_for("vs_officer")
    assert client.get("/schools/new/").status_code == 200
    data = {"name": "  Little  Acorns Nursery ", "kind": "early_years", "postcode": "sw1a1aa", "in_la": "yes"}
    response = client.post("/schools/new/", data)
    assert response.status_code == 302
    first = School.objects.get(name="Little Acorns Nursery")
    assert first.urn == "L00001"
    assert response["Location"] == "/schools/L00001/"
    assert (first.kind, first.postcode, first.in_la, first.added_by) == ("early_years", "SW1A 1AA", True, "vs_officer")
    response = client.post("/schools/new/", {"name": "Riverside College", "kind": "college", "in_la": "no"})
    second = School.objects.get(name="Riverside College")
    assert second.urn == "L00002"
    assert second.phase == "16 plus"
    assert not second.in_la
    page = client.get("/schools/L00002/").content.decode()
    assert "Added to the register by hand by vs_officer" in page
    assert "Local identifier" in page
    listed = _csv(client.get("/schools/?kind=college&format=csv"))
    assert [r["URN"] for r in listed] == ["L00002"]
    # With a URN of its own.
    assert (
        client.post(
            "/schools/new/", {"name": "Hilltop Pre-school", "kind": "early_years", "urn": "512345", "in_la": "yes"}
        ).status_code
        == 302
    )
    assert School.objects.filter(urn="512345", kind="early_years").exists()
    # A space in the wrong place is the same postcode (the inward code is the last three characters).
    data = {"name": "Oak Nursery", "kind": "early_years", "postcode": "sw1 a1aa", "in_la": "yes"}
    assert client.post("/schools/new/", data).status_code == 302
    assert School.objects.get(name="Oak Nursery").postcode == "SW1A 1AA"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "kind": "college", "in_la": "yes"}, "name", "Enter the name of the setting"),
        ({"name": "X", "kind": "", "in_la": "yes"}, "kind", "Select the kind of setting"),
        ({"name": "X", "kind": "school", "in_la": "yes"}, "kind", "Select a valid choice"),
        (
            {"name": "X", "kind": "college", "in_la": ""},
            "in_la",
            "Select whether the setting is in this local authority",
        ),
        ({"name": "X", "kind": "college", "in_la": "yes", "urn": "12ab"}, "urn", "URN must be 6 or 7 numbers"),
        (
            {"name": "X", "kind": "college", "in_la": "yes", "postcode": "NOT A CODE"},
            "postcode",
            "Enter a real postcode",
        ),
        (  # an Arabic-Indic digit is a Unicode digit, not a postcode's
            {"name": "X", "kind": "college", "in_la": "yes", "postcode": "SW1A 1\u0663A"},
            "postcode",
            "Enter a real postcode",
        ),
    ],
)
def test_invalid_settings_are_explained_and_nothing_is_saved(
    client_for: Callable[[str], Client], data: dict[str, str], field: str, message: str
) -> None:
    from ever6.web.schools.models import School

    before = School.objects.count()
    response = client_for("vs_head").post("/schools/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    assert f'href="#id_{field}"' in body
    assert "<title>Error:" in body
    assert School.objects.count() == before


def test_a_urn_already_in_the_register_is_refused(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.models import School

    before = School.objects.count()
    response = client_for("vs_head").post(
        "/schools/new/", {"name": "Copy", "kind": "other", "in_la": "yes", "urn": published.urn}
    )
    assert response.status_code == 400
    assert f"URN {published.urn} is already in the register" in response.content.decode()
    assert School.objects.count() == before


def test_the_school_page_shows_details_contacts_tier_and_agreement(
    client_for: Callable[[str], Client], published: Published
) -> None:
    body = client_for("vs_officer").get(f"/schools/{published.urn}/").content.decode()
    for text in (
        "Details from Get Information about Schools",
        "Named contacts",
        "No contact in post for: DSL / CWSW lead, Designated teacher, SENCO, Senior mental health lead, Headteacher",
        "Tier of the offer",
        "Suggested from the figures",
        "Data sharing agreement",
        "Signed",
    ):
        assert text in body, text


def test_demo_seed_creates_records_and_is_idempotent(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.demo_seed.schools import DEMO_USER, seed_demo
    from ever6.web.schools.models import Contact, ContactChange, School, TierDecision

    today = date.today()
    seed_demo(random.Random(7), today)
    counts = (Contact.objects.count(), ContactChange.objects.count(), TierDecision.objects.count())
    assert counts[0] > 20
    assert counts[1] >= counts[0]
    assert counts[2] > 0
    hand = School.objects.filter(added_by=DEMO_USER)
    assert {s.kind for s in hand} == {"early_years", "college"}
    assert all(s.urn.startswith("L") for s in hand)
    seed_demo(random.Random(7), today)
    assert (Contact.objects.count(), ContactChange.objects.count(), TierDecision.objects.count()) == counts
    assert School.objects.filter(added_by=DEMO_USER).count() == 2
    # Emails are valid and no duplicate (school, role, email) exists.
    keys = [(c.school_id, c.role, c.email.lower()) for c in Contact.objects.all()]
    assert len(keys) == len(set(keys))
    assert all(c.from_date is None or c.from_date <= today for c in Contact.objects.all())
    # Pages are populated.
    client = client_for("vs_officer")
    rows = _csv(client.get("/schools/?format=csv"))
    assert any(r["Tier"] != "Not set" for r in rows)
    assert any(r["Missing contacts"] == "None missing" for r in rows)
    with_contacts = Contact.objects.values_list("school_id", flat=True).first()
    page = client.get(f"/schools/{with_contacts}/").content.decode()
    assert "History of changes to contacts" in page
    assert "Imported" in page


def test_activity_by_school_counts_the_period(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.schools.activity import activity_by_school
    from ever6.web.schools.models import Contact, TierDecision

    client = client_for("vs_officer")
    today = date.today()
    before = activity_by_school(today, today).get(published.urn, {})
    response = client.post(
        f"/schools/{published.urn}/contacts/new/",
        {"name": "Sam Lee", "role": "senco", "email": "s.lee@example.sch.uk"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email="s.lee@example.sch.uk")
    client.post(
        f"/schools/{published.urn}/contacts/{contact.pk}/",
        {"name": "Sam Lee", "role": "senco", "email": "sam.lee@example.sch.uk"},
    )
    client.post(f"/schools/{published.urn}/tier/", {"tier": "enhanced", "reason": "Because"})
    assert TierDecision.objects.filter(school_id=published.urn).count() == 1
    after = activity_by_school(today, today)[published.urn]
    assert after["contact_changes"] == before.get("contact_changes", 0) + 2
    assert after["tier_decisions"] == before.get("tier_decisions", 0) + 1
    assert after["agreement_records"] >= 1  # the fixture's signed agreement, recorded today
    assert published.urn not in activity_by_school(today - timedelta(days=10), today - timedelta(days=1))
