"""The Virtual School's record of events equals counts made by hand on a small fixture."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from ever6.web.events.models import Event
from ever6.web.events.record import record_rows, shared, term_of, within_one_school_day
from ever6.web.outbox.models import Message

pytestmark = pytest.mark.django_db

S1, S2 = "100001", "100002"
TODAY = date(2025, 12, 10)


def _event(child: str, urn: str, kind: str, day: str, **extra: Any) -> Event:
    return Event.objects.create(
        la_child_id=child, urn=urn, upn=f"U{child}", kind=kind, event_date=date.fromisoformat(day), **extra
    )


def _sent(event: Event, when: str) -> None:
    Message.objects.create(
        kind="event",
        reference=event.reference,
        to="w@example.org",
        subject="s",
        body="b",
        state="sent",
        sent_at=datetime.fromisoformat(when).replace(tzinfo=UTC),
    )


@pytest.fixture
def events() -> None:
    # Autumn 2025 (all weekdays unless said). Friday 7 November -> Monday 10 November is one school day.
    e1 = _event("1", S1, "suspension", "2025-11-07", acknowledged_at=datetime(2025, 11, 10, tzinfo=UTC))
    _sent(e1, "2025-11-10T12:00:00")  # 3 days, within one school day
    e2 = _event("2", S1, "part_time_timetable", "2025-11-03", proposed_end_date=date(2025, 12, 1))
    _sent(e2, "2025-11-05T09:00:00")  # 2 days, two school days: late
    e3 = _event("3", S1, "part_time_timetable", "2025-11-20", proposed_end_date=date(2026, 1, 30))
    _sent(e3, "2025-11-20T15:00:00")  # the same day
    _event("4", S2, "unexplained_absence", "2025-10-01")  # never told (no allocation)
    e5 = _event("5", S2, "suspension", "2025-09-15", acknowledged_at=datetime(2025, 9, 16, tzinfo=UTC))
    _sent(e5, "2025-09-16T08:00:00")  # 1 day
    Message.objects.create(kind="event", reference="event:999", to="x@example.org", subject="s", body="b")  # pending
    # Spring 2026: one event.
    _event("1", S1, "removed_from_roll", "2026-01-15", removal_reason="ehe")


def _cells(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], Any]:
    return {(r["period"], r["breakdown_value"], r["measure"], "v"): r["value"] for r in rows}


def test_figures_equal_hand_counts(events: None) -> None:
    got = _cells(record_rows(today=TODAY))
    autumn = {
        # authority: 5 events; told in time: e1, e3, e5 = 3 of 5; acknowledged e1, e5 = 2 of 5
        ("all", "events"): 5,
        ("all", "events_suspension"): 2,
        ("all", "events_part_time_timetable"): 2,
        ("all", "events_unexplained_absence"): 1,
        ("all", "events_removed_from_roll"): 0,
        ("all", "notified_within_one_school_day"): 60.0,
        ("all", "acknowledged"): 40.0,
        ("all", "median_days_to_notification"): 1.5,  # days 3, 2, 0, 1
        ("all", "part_time_open"): 1,  # e3 ends 30 January
        ("all", "part_time_past_end"): 1,  # e2 ended 1 December, before 10 December
        (S1, "events"): 3,
        (S1, "notified_within_one_school_day"): 100 * 2 / 3,
        (S1, "acknowledged"): 100 / 3,
        (S1, "median_days_to_notification"): 2.0,  # days 3, 2, 0
        (S2, "events"): 2,
        (S2, "notified_within_one_school_day"): 50.0,
        (S2, "median_days_to_notification"): 1.0,
        (S2, "part_time_open"): 0,
    }
    for (place, measure), expected in autumn.items():
        assert got[("autumn", place, measure, "v")] == pytest.approx(expected), (place, measure)
    assert got[("spring", "all", "events", "v")] == 1
    assert got[("spring", "all", "events_removed_from_roll", "v")] == 1
    assert got[("spring", "all", "median_days_to_notification", "v")] is None  # nobody told yet
    assert ("spring", S2, "events", "v") not in got


def test_shared_outside_the_virtual_school_small_counts_are_withheld(events: None) -> None:
    rows = shared(record_rows(today=TODAY))
    autumn_all = {r["measure"]: r["value"] for r in rows if r["period"] == "autumn" and r["breakdown_value"] == "all"}
    # Five events is a count of 1 to 5: withheld, and every figure made of them with it.
    assert autumn_all["events"] == "c"
    assert autumn_all["acknowledged"] == "c"
    assert {r["suppression_reason"] for r in rows if r["value"] == "c"} == {"confidential"}


def test_terms_and_school_days() -> None:
    assert term_of(date(2025, 9, 1)) == ("2025/26", "autumn")
    assert term_of(date(2026, 1, 5)) == ("2025/26", "spring")
    assert term_of(date(2026, 7, 20)) == ("2025/26", "summer")
    assert within_one_school_day(date(2025, 11, 7), date(2025, 11, 10))  # Friday -> Monday
    assert not within_one_school_day(date(2025, 11, 7), date(2025, 11, 11))
    assert within_one_school_day(date(2025, 11, 8), date(2025, 11, 10))  # Saturday -> Monday
    assert within_one_school_day(date(2025, 11, 3), date(2025, 11, 3))


def test_the_schools_page_shows_its_own_record(events: None, client_for: Any, published: Any) -> None:
    from ever6.web.schools.models import School

    School.objects.get_or_create(urn=S1, defaults={"name": "Test School"})
    page = client_for("vs_officer").get(f"/schools/{S1}/").content.decode()
    assert "Telling social workers" in page
    assert "2025/26, spring term" in page  # the newest term with events at this school
    assert "Removed from roll" in page


def test_oidc_groups_can_give_the_social_worker_role() -> None:
    from ever6.access import Role
    from ever6.web.accounts.oidc import role_from_claims

    assert role_from_claims({"groups": ["sw-group"]}, {"sw-group": "social_worker"}) is Role.SOCIAL_WORKER
