"""The training programme's demo records: realistic, and the same when seeded again."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from django.test import Client

from tests.web.training.helpers import _course, _csv


def test_demo_data_is_realistic_and_idempotent(
    client_for: Callable[[str], Client], accounts: dict[str, object]
) -> None:
    from ever6.web.demo_seed.training import seed_demo
    from ever6.web.training.models import Course, Registration, Session

    kept = _course("A course someone entered")
    today = date.today()
    seed_demo(random.Random(7), today)
    first = (Course.objects.count(), Session.objects.count(), Registration.objects.count())
    seed_demo(random.Random(7), today)
    assert (Course.objects.count(), Session.objects.count(), Registration.objects.count()) == first
    assert Course.objects.filter(pk=kept.pk).exists()
    assert first[0] >= 6
    assert Session.objects.filter(date__gt=today).exists()
    past = Registration.objects.filter(session__date__lt=today)
    assert past.filter(attendance="attended").exists()
    assert past.filter(attendance="did_not_attend").exists()
    assert not Registration.objects.filter(session__date__gt=today).exclude(attendance="not_recorded").exists()
    assert not Registration.objects.exclude(attendance="attended").filter(feedback_score__isnull=False).exists()
    assert Registration.objects.filter(school__isnull=True, role="social_worker").exists()
    for s in Session.objects.exclude(capacity=None):
        assert s.registrations.count() <= s.capacity
    client = client_for("vs_head")
    assert len(_csv(client.get("/training/?format=csv"))) >= 6
    assert len(_csv(client.get("/training/feedback/?format=csv"))) >= 6
    covered = [r for r in _csv(client.get("/training/coverage/?format=csv&table=schools")) if r["Covered"] == "Yes"]
    assert covered
