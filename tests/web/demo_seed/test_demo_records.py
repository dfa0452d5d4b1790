"""The demo authority's partnership records: every partnership page has something to show."""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from ever6.web.commands import DEMO_SEEDERS
from tests.conftest import Published

pytestmark = pytest.mark.django_db

PAGES_WITH_TABLES = (
    "/schools/",
    "/schools/agreements/",
    "/support/enquiries/",
    "/support/enquiries/report/",
    "/support/clinics/?when=past",
    "/support/interventions/",
    "/training/",
    "/training/sessions/?when=all",
    "/training/feedback/",
    "/training/coverage/",
    "/outcomes/",
)


def _seed() -> None:
    rng = random.Random(2026)
    for module in DEMO_SEEDERS:
        importlib.import_module(module).seed_demo(rng, date.today())


def test_every_partnership_page_is_populated(
    client_for: Callable[[str], Client], accounts: dict[str, object], published: Published
) -> None:
    _seed()
    client = client_for("vs_officer")
    for path in PAGES_WITH_TABLES:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert body.count('<tr class="govuk-table__row">') >= 3, f"{path} has no records to show"


def test_seeding_twice_replaces_the_demo_records(accounts: dict[str, object], published: Published) -> None:
    from ever6.web.schools.models import Contact
    from ever6.web.support.models import Enquiry
    from ever6.web.training.models import Registration

    _seed()
    counts = (Contact.objects.count(), Enquiry.objects.count(), Registration.objects.count())
    assert all(n > 0 for n in counts)
    _seed()
    assert (Contact.objects.count(), Enquiry.objects.count(), Registration.objects.count()) == counts


def test_activity_against_outcomes_counts_every_kind_of_activity(
    client_for: Callable[[str], Client], accounts: dict[str, object], published: Published
) -> None:
    from ever6.web.outcomes.activity import activity_by_school

    _seed()
    kinds, by_school = activity_by_school(date(2000, 1, 1), date.today())
    assert {"enquiries", "training_attended"} <= set(kinds)
    from ever6.web.outcomes.views import KIND_LABELS

    assert set(kinds) <= set(KIND_LABELS), "every kind of activity has a plain-English name"
    assert any(row.get("tier_decisions") for row in by_school.values())
    csv = client_for("vs_head").get("/outcomes/", {"format": "csv", "table": "schools"}).content.decode()
    header = csv.splitlines()[0]
    assert "Enquiries" in header
    assert "Ever6 CWSW absence %" in header
    unsuppressed_rows = len(csv.splitlines())
    suppressed = client_for("vs_head").get("/outcomes/", {"format": "csv", "suppressed": "1"}).content.decode()
    assert len(suppressed.splitlines()) == unsuppressed_rows
    assert ",c," in suppressed or ",c\r" in suppressed or ",c\n" in suppressed  # small figures hidden


def test_the_demo_has_a_year_of_the_grant(
    client_for: Callable[[str], Client], accounts: dict[str, object], published: Published
) -> None:
    from ever6.web.grant.models import GrantYear, MonthSpend, SpendLine

    _seed()
    year = GrantYear.objects.get()
    today = date.today()
    assert year.start_year == (today.year if today.month >= 4 else today.year - 1)
    assert year.payments.count() == 3
    assert {line.strand for line in SpendLine.objects.all()} == {"partnerships", "needs", "advice"}
    begun = MonthSpend.objects.filter(month__lte=today)
    assert begun.exists()
    assert all(m.actual is not None for m in begun)
    counts = (SpendLine.objects.count(), MonthSpend.objects.count())
    _seed()
    assert (SpendLine.objects.count(), MonthSpend.objects.count()) == counts
    page = client_for("finance").get(f"/grant/{year.start_year}/").content.decode()
    assert page.count('<tr class="govuk-table__row">') >= 10
