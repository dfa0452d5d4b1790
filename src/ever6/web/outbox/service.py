"""Queue an email, and deliver what is due over SMTP with retries and exponential backoff.

A message is marked ``sent`` only after the mail server accepted it, so nothing is lost while the
server is down; a worker claims one message at a time (a conditional update of its next attempt) so
two workers, say ``ever6 web notify`` and the thread in ``ever6 web serve``, never send the same one.
A recipient the server refuses outright (5xx) is ``invalid`` at once: retrying cannot help.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone

from ever6.web.outbox.models import Message, State

OUTBOX_HEADER = "X-Ever6-Outbox"
log = logging.getLogger("ever6.outbox")

# How long a claimed message is held by the worker sending it before another may try it again.
LEASE = timedelta(minutes=10)
# The longest wait between two attempts, however many have failed.
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Delivery:
    """What one pass of :func:`deliver_due` did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    invalid: int = 0


def enqueue(
    *,
    kind: str,
    reference: str,
    to: str,
    subject: str,
    body: str,
    html: str = "",
    cc: Sequence[str] = (),
) -> Message:
    """Queue one email to ``to``; the same (kind, reference, to) again returns the row already queued."""
    existing = Message.objects.filter(kind=kind, reference=reference, to=to).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Message.objects.create(
                kind=kind,
                reference=reference,
                to=to,
                cc=", ".join(a.strip() for a in cc if a.strip() and a.strip() != to),
                subject=subject,
                body=body,
                html=html,
            )
    except IntegrityError:  # queued by someone else between the look-up and the insert
        return Message.objects.get(kind=kind, reference=reference, to=to)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: the base, doubled each time, at most six hours."""
    base = timedelta(seconds=settings.EVER6_EMAIL_BACKOFF_SECONDS)
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> Delivery:
    """Send up to ``limit`` pending messages whose next attempt is due at ``now``."""
    now = now or timezone.now()
    counts = {"sent": 0, "retrying": 0, "failed": 0, "invalid": 0}
    due = Message.objects.filter(state=State.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at", "id")
    connection = get_connection(fail_silently=False)
    try:
        for message in due[:limit]:
            if not _claim(message, now):
                continue
            outcome, reachable = _send(connection, message, now)
            counts[outcome] += 1
            if not reachable:
                break  # the server is down: the rest wait for the next pass, their attempts untouched
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken connection must not hide the pass's result
            log.debug("closing the SMTP connection failed", exc_info=True)
    return Delivery(**counts)


def _claim(message: Message, now: datetime) -> bool:
    claimed = Message.objects.filter(
        pk=message.pk, state=State.PENDING, next_attempt_at=message.next_attempt_at
    ).update(next_attempt_at=now + LEASE)
    return claimed == 1


def _send(connection: BaseEmailBackend, message: Message, now: datetime) -> tuple[str, bool]:
    """Try ``message`` once; record the outcome. Returns the outcome and whether the server answered."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        cc=message.cc_list,
        # Which outbox row this is, for a bounce that quotes the message's headers (``bounces``).
        headers={"Auto-Submitted": "auto-generated", OUTBOX_HEADER: str(message.pk)},
        connection=connection,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    attempts = message.attempts + 1
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            _record(message, str(State.INVALID), attempts, now, _describe(exc))
            return "invalid", True
        return _retry(message, attempts, now, _describe(exc)), True
    except smtplib.SMTPResponseException as exc:
        # The server answered and refused; the mail may be sent once it is fixed, so keep trying.
        return _retry(message, attempts, now, _describe(exc)), True
    except (OSError, smtplib.SMTPException) as exc:
        return _retry(message, attempts, now, _describe(exc)), False
    Message.objects.filter(pk=message.pk).update(
        state=State.SENT, attempts=attempts, sent_at=timezone.now(), last_error=""
    )
    return "sent", True


def _retry(message: Message, attempts: int, now: datetime, error: str) -> str:
    if attempts >= settings.EVER6_EMAIL_MAX_ATTEMPTS:
        _record(message, str(State.FAILED), attempts, now, error)
        return "failed"
    Message.objects.filter(pk=message.pk).update(
        attempts=attempts, next_attempt_at=now + backoff(attempts), last_error=error
    )
    log.warning("email %s to %s not sent (attempt %d): %s", message.reference, message.to, attempts, error)
    return "retrying"


def _record(message: Message, state: str, attempts: int, now: datetime, error: str) -> None:
    Message.objects.filter(pk=message.pk).update(state=state, attempts=attempts, next_attempt_at=now, last_error=error)
    log.error("email %s to %s %s: %s", message.reference, message.to, state, error)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]
