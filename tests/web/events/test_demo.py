"""The demo's social worker: allocated to a pupil with an open plan at the demo DSL's school, with
the events the demo data shows for their children."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ever6.web.commands import _seed_social_worker
from tests.web.conftest import PASSWORD, Published
from tests.web.events.helpers import open_pupils

pytestmark = pytest.mark.django_db


def test_the_demo_social_worker_has_children_and_events(accounts: dict[str, Any], published: Published) -> None:
    from ever6.web.accounts.models import User
    from ever6.web.events.models import Event

    User.objects.create_user("demo_social_worker", "x@example.org", PASSWORD, role="social_worker")
    _seed_social_worker(published.urn)
    worker = User.objects.get(username="demo_social_worker")
    assert worker.email in {p.worker_email for p in open_pupils(published)}
    assert Event.objects.filter(from_data=True).exists()
    client = Client()
    client.force_login(worker)
    page = client.get("/social-work/").content.decode()
    assert "allocated to you" in page
    mine = Event.objects.filter(worker_email=worker.email)
    if mine.exists():
        assert f"/social-work/events/{mine.first().pk}/" in page  # type: ignore[union-attr]
