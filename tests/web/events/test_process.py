"""The notification process against the published demo: events found in the data are taken in once,
only recent ones are emailed, and events past the retention period are purged."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pytest

from ever6.web.events import service
from ever6.web.events.models import Event
from ever6.web.outbox.models import Message
from tests.web.conftest import Published

pytestmark = pytest.mark.django_db


def _snapshot(published: Published, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_events_from_the_data_are_taken_in_once(accounts: dict[str, Any], published: Published) -> None:
    (expected,) = _snapshot(published, "SELECT count(*) FROM safeguarding_event")[0]
    assert expected > 0, "the demo authority's data should show events"
    assert service.sync_data_events() == (expected, 0)
    assert service.sync_data_events() == (0, 0)  # the next pass: nothing new
    assert Event.objects.filter(from_data=True).count() == expected
    assert not Event.objects.filter(from_school=True).exists()


def test_only_recent_events_are_emailed_once(accounts: dict[str, Any], published: Published) -> None:
    service.sync_data_events()
    (newest,) = _snapshot(published, "SELECT max(event_date) FROM safeguarding_event")[0]
    since = newest - timedelta(days=14)
    (told,) = _snapshot(
        published,
        "SELECT count(*) FROM safeguarding_event e JOIN allocation a USING (la_child_id) "
        "WHERE e.event_date >= ? AND coalesce(a.worker_email, a.team_email) IS NOT NULL",
        [since],
    )[0]
    assert service.queue_untold(today=newest) == told > 0
    assert service.queue_untold(today=newest) == 0
    assert Message.objects.filter(kind="event").count() == told
    assert service.queue_untold(today=date.today()) == 0  # the demo's events are months old


def test_events_past_the_retention_period_are_purged(accounts: dict[str, Any], published: Published) -> None:
    service.sync_data_events()
    (newest,) = _snapshot(published, "SELECT max(event_date) FROM safeguarding_event")[0]
    service.queue_untold(today=newest)
    keep_from = newest + timedelta(days=300) - timedelta(days=730)
    (kept,) = _snapshot(published, "SELECT count(*) FROM safeguarding_event WHERE event_date >= ?", [keep_from])[0]
    total = Event.objects.count()
    assert 0 < kept < total
    assert service.purge(today=newest + timedelta(days=300)) == total - kept
    assert Event.objects.count() == kept
    live = {f"event:{pk}" for pk in Event.objects.values_list("pk", flat=True)}
    assert set(Message.objects.values_list("reference", flat=True)) <= live


def test_a_pass_takes_in_each_refresh_once(
    accounts: dict[str, Any], published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "_last", {})
    (expected,) = _snapshot(published, "SELECT count(*) FROM safeguarding_event")[0]
    assert service.raise_notifications().created == expected
    again = service.raise_notifications()
    assert (again.created, again.purged) == (0, 0)
    # The first pass purged what is older than the retention period, counted from today.
    (kept,) = _snapshot(
        published, "SELECT count(*) FROM safeguarding_event WHERE event_date >= ?", [date.today() - timedelta(days=730)]
    )[0]
    assert Event.objects.count() == kept
