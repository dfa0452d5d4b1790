"""Fixtures for the support tests: one record of each kind, for the role checks and edits."""

from __future__ import annotations

from datetime import date

import pytest

from ever6.web.support.models import AgreedAction, Enquiry
from tests.web.conftest import Published
from tests.web.support.helpers import _clinic, _intervention


@pytest.fixture
def records(accounts: dict[str, object], published: Published) -> dict[str, int]:
    intervention = _intervention()
    enquiry = Enquiry.objects.create(
        received_on=date(2026, 3, 2),
        channel="email",
        enquirer_type="social_worker",
        enquirer_name="Sam Jones",
        school_id=published.urn,
        category="send",
        question="How do we request an EHC needs assessment?",
    )
    clinic = _clinic(days=-7)
    action = AgreedAction.objects.create(clinic=clinic, text="Share the profile", owner="DSL", due_on=date.today())
    return {"enquiry": enquiry.pk, "clinic": clinic.pk, "action": action.pk, "intervention": intervention.pk}
