"""The training activity shown beside each school's figures, counted for a period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.conftest import Published
from tests.web.training.helpers import _reg


def test_activity_by_school_counts_registrations_and_attendance_in_the_period(
    setup: dict[str, Any], published: Published
) -> None:
    from ever6.web.training.activity import activity_by_school

    today = date.today()
    _reg(setup["past"], "Dee Teacher", "dt@example.org", "designated_teacher", published.urn, attendance="attended")
    _reg(setup["future"], "Later", "later@example.org", "senco", published.urn)
    found = activity_by_school(today - timedelta(days=30), today)
    assert found == {published.urn: {"training_registrations": 2, "training_attended": 1}}
    everything = activity_by_school(today - timedelta(days=30), today + timedelta(days=30))
    assert everything[published.urn] == {"training_registrations": 3, "training_attended": 1}
    assert activity_by_school(today + timedelta(days=60), today + timedelta(days=90)) == {}
