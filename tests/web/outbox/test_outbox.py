"""The outbox against a real SMTP server: delivered once, retried while the server is down, refusals kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ever6.web.outbox.models import Message, State
from ever6.web.outbox.service import Delivery, backoff, deliver_due, enqueue
from tests.web.smtp import Mailbox, free_port, smtp_server, use_server

pytestmark = pytest.mark.django_db


def _queue(to: str = "worker@example.org", reference: str = "event:1", **extra: Any) -> Message:
    return enqueue(kind="event", reference=reference, to=to, subject="An event", body="Sign in to see it.", **extra)


def test_a_message_is_delivered_once_with_its_copy_and_alternative(settings: Any) -> None:
    port = free_port()
    use_server(settings, port)
    settings.DEFAULT_FROM_EMAIL = "ever6@example.org"
    _queue(cc=["team@example.org"], html="<p>Sign in to see it.</p>")
    with smtp_server(port, Mailbox()) as box:
        assert deliver_due() == Delivery(sent=1)
        assert deliver_due(now=timezone.now() + timedelta(days=1)) == Delivery()
    assert len(box.received) == 1
    got = box.received[0]
    assert sorted(got.envelope_to) == ["team@example.org", "worker@example.org"]
    assert got.message["To"] == "worker@example.org"
    assert got.message["Cc"] == "team@example.org"
    assert got.message["From"] == "ever6@example.org"
    assert got.message["Subject"] == "An event"
    assert got.message["Auto-Submitted"] == "auto-generated"
    assert got.message.get_content_type() == "multipart/alternative"
    row = Message.objects.get()
    assert (row.state, row.attempts, row.last_error) == (State.SENT, 1, "")
    assert row.sent_at is not None


def test_enqueuing_the_same_message_twice_sends_it_once(settings: Any) -> None:
    port = free_port()
    use_server(settings, port)
    first = _queue()
    again = _queue()
    other = _queue(to="someone@example.org")
    assert again.pk == first.pk
    assert other.pk != first.pk
    with smtp_server(port, Mailbox()) as box:
        assert deliver_due() == Delivery(sent=2)
        _queue()  # raised again after it was sent: still nothing new
        assert deliver_due() == Delivery()
    assert sorted(r.envelope_to[0] for r in box.received) == ["someone@example.org", "worker@example.org"]


def test_server_down_then_up_retries_and_delivers_exactly_once(settings: Any) -> None:
    port = free_port()  # nothing listens here yet
    use_server(settings, port)
    settings.EVER6_EMAIL_BACKOFF_SECONDS = 60
    _queue()
    _queue(reference="event:2")
    start = timezone.now()
    # The server is down: the first message is retried later; the pass stops there, the second waits.
    assert deliver_due(now=start) == Delivery(retrying=1)
    rows = {m.reference: m for m in Message.objects.all()}
    assert rows["event:1"].state == State.PENDING
    assert rows["event:1"].attempts == 1
    assert rows["event:1"].next_attempt_at == start + timedelta(seconds=60)
    assert "Connection" in rows["event:1"].last_error or "refused" in rows["event:1"].last_error.lower()
    assert rows["event:2"].attempts == 0
    with smtp_server(port, Mailbox()) as box:
        # The second was due at once; the first waits out its backoff.
        assert deliver_due(now=start + timedelta(seconds=30)) == Delivery(sent=1)
        assert deliver_due(now=start + timedelta(seconds=61)) == Delivery(sent=1)
        assert deliver_due(now=start + timedelta(days=1)) == Delivery()
    assert sorted(len(r.envelope_to) for r in box.received) == [1, 1]
    assert len(box.received) == 2
    assert {m.state for m in Message.objects.all()} == {State.SENT}
    assert Message.objects.get(reference="event:1").attempts == 2


def test_a_refused_recipient_is_invalid_without_retry(settings: Any) -> None:
    port = free_port()
    use_server(settings, port)
    _queue(to="gone@example.org")
    _queue(to="worker@example.org")
    with smtp_server(port, Mailbox(refuse={"gone@example.org"})) as box:
        assert deliver_due() == Delivery(sent=1, invalid=1)
        assert deliver_due(now=timezone.now() + timedelta(days=1)) == Delivery()
    gone = Message.objects.get(to="gone@example.org")
    assert (gone.state, gone.attempts) == (State.INVALID, 1)
    assert "550" in gone.last_error
    assert [r.envelope_to for r in box.received] == [["worker@example.org"]]


def test_a_message_fails_after_the_last_attempt(settings: Any) -> None:
    use_server(settings, free_port())  # never up
    settings.EVER6_EMAIL_MAX_ATTEMPTS = 3
    _queue()
    now = timezone.now()
    outcomes = []
    for _ in range(4):
        outcomes.append(deliver_due(now=now))
        now += timedelta(days=1)
    assert outcomes == [Delivery(retrying=1), Delivery(retrying=1), Delivery(failed=1), Delivery()]
    assert Message.objects.get().state == State.FAILED


def test_a_message_claimed_by_another_worker_is_not_sent_twice(settings: Any) -> None:
    from ever6.web.outbox import service

    message = _queue()
    seen_by_both = Message.objects.get(pk=message.pk)
    now = timezone.now()
    assert service._claim(message, now)  # the first worker takes it
    assert not service._claim(seen_by_both, now)  # the second, reading the same row, does not


def test_backoff_doubles_up_to_six_hours(settings: Any) -> None:
    settings.EVER6_EMAIL_BACKOFF_SECONDS = 60
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30) == timedelta(hours=6)
