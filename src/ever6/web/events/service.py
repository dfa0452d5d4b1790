"""Raising events, telling the allocated worker, acknowledging, purging.

The notification process runs before each delivery pass of the outbox (``ever6 web notify``, the
thread in ``ever6 web serve``): it takes in the events the last refresh found in the data, queues
an email for every event not yet told, and purges events past the retention period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ever6.access import AuditEntry, NotPublished, Role, Viewer
from ever6.web.events.models import Event
from ever6.web.outbox.models import Message
from ever6.web.outbox.service import enqueue

# The notification process reads pupil rows across the authority, as the data manager's pages do.
SYSTEM = Viewer(username="system:notify", role=Role.DATA_MANAGER)
KIND = "event"  # the outbox kind of these emails

SUBJECT = "A new event for a child allocated to you"
BODY = """\
There is a new event for a child allocated to you: a school has recorded it, or the local
authority's data shows it.

To keep the child safe this email does not say who the child is or what happened. Sign in to
ever6 to see it:

{link}

This email was sent by ever6 for the {owner}. Please do not reply to it.
"""


def _audit(viewer: Viewer, entry: AuditEntry) -> None:
    from ever6.web.audit.models import record

    record(None, viewer, entry)


@dataclass(frozen=True)
class Raised:
    created: int = 0
    merged: int = 0
    queued: int = 0
    purged: int = 0


def merge(
    *,
    la_child_id: str,
    urn: str,
    upn: str,
    kind: str,
    event_date: date,
    from_data: bool = False,
    from_school: bool = False,
    **details: Any,
) -> tuple[Event, bool]:
    """The one event of (child, school, kind, day), created or merged with the one already there:
    a school's record of an event the data also shows is one event, with both sources and the
    school's details."""
    key = {"la_child_id": la_child_id, "urn": urn, "kind": kind, "event_date": event_date}
    try:
        with transaction.atomic():
            event, created = Event.objects.get_or_create(
                **key, defaults={"upn": upn, "from_data": from_data, "from_school": from_school, **details}
            )
    except IntegrityError:  # raised by someone else between the look-up and the insert
        event, created = Event.objects.get(**key), False
    if not created:
        changed = {k: v for k, v in details.items() if v not in (None, "") and getattr(event, k) != v}
        changed |= {"from_data": True} if from_data and not event.from_data else {}
        changed |= {"from_school": True} if from_school and not event.from_school else {}
        for name, value in changed.items():
            setattr(event, name, value)
        if changed:
            event.save(update_fields=list(changed))
    return event, created


def sync_data_events() -> tuple[int, int]:
    """Take in the events the last refresh found; returns (new, merged with a school's record)."""
    from ever6.web.guard import snapshot

    try:
        rows = snapshot().data_events(SYSTEM, audit=_audit)
    except NotPublished:
        return 0, 0
    created = merged = 0
    for row in rows:
        event, new = merge(
            la_child_id=row["la_child_id"],
            urn=row["urn"],
            upn=row["upn"],
            kind=row["kind"],
            event_date=row["event_date"],
            from_data=True,
            detail=row["detail"] or "",
            worker_email=row.get("worker_email") or "",
            team_email=row.get("team_email") or "",
        )
        created += new
        merged += (not new) and event.from_school
    return created, merged


def allocation_for(la_child_id: str) -> tuple[str, str]:
    """The allocated worker's and team's email addresses for a child (blank when unknown)."""
    from ever6.web.guard import snapshot

    try:
        row = snapshot().allocation(SYSTEM, la_child_id)
    except NotPublished:
        return "", ""
    if row is None:
        return "", ""
    return str(row.get("worker_email") or ""), str(row.get("team_email") or "")


def link(event: Event) -> str:
    return settings.EVER6_BASE_URL.rstrip("/") + reverse("events:event", args=[event.pk])


def notify(event: Event) -> list[Message]:
    """Queue the email about ``event``: to the worker, copied to the team mailbox (or to the team
    mailbox alone when no worker is known). No name or detail of the child, only a link."""
    to = event.worker_email or event.team_email
    if not to:
        return []
    cc = [event.team_email] if event.worker_email and event.team_email else []
    body = BODY.format(link=link(event), owner=settings.EVER6_SERVICE_OWNER)
    return [enqueue(kind=KIND, reference=event.reference, to=to, subject=SUBJECT, body=body, cc=cc)]


def queue_untold(today: date | None = None) -> int:
    """Queue an email for each event of the last ``EVER6_EVENT_NOTIFY_DAYS`` days not yet told (older
    events found in the data, e.g. at the first refresh, are recorded but not sent)."""
    today = today or timezone.localdate()
    told = set(Message.objects.filter(kind=KIND).values_list("reference", flat=True))
    recent = Event.objects.filter(event_date__gte=today - timedelta(days=settings.EVER6_EVENT_NOTIFY_DAYS))
    queued = 0
    for event in recent.exclude(worker_email="", team_email=""):
        if event.reference not in told and notify(event):
            queued += 1
    return queued


def purge(today: date | None = None) -> int:
    """Delete the events (and their emails) older than the retention period."""
    from ever6.web.guard import snapshot

    today = today or timezone.localdate()
    try:
        days = snapshot().event_retention_days()
    except NotPublished:
        return 0
    old = Event.objects.filter(event_date__lt=today - timedelta(days=days))
    references = [f"event:{pk}" for pk in old.values_list("pk", flat=True)]
    Message.objects.filter(kind=KIND, reference__in=references).delete()
    deleted, _ = old.delete()
    return deleted


# The snapshot whose events this process has taken in, and the day it last purged: both change
# rarely, while a pass runs every half minute.
_last: dict[str, object] = {}


def raise_notifications() -> Raised:
    """One pass of the notification process (before each outbox delivery pass): take in a new
    refresh's events, purge once a day, queue what is untold."""
    from ever6.web.guard import snapshot

    created = merged = purged = 0
    try:
        version: object = snapshot().version()
    except NotPublished:
        version = None
    if version is not None and _last.get("snapshot") != version:
        created, merged = sync_data_events()
        _last["snapshot"] = version
    today = timezone.localdate()
    if _last.get("purged") != today:
        purged = purge(today)
        _last["purged"] = today
    return Raised(created=created, merged=merged, queued=queue_untold(today), purged=purged)


def acknowledge(event: Event, who: Viewer, when: datetime | None = None) -> None:
    if event.acknowledged_at is None:
        event.acknowledged_at = when or timezone.now()
        event.acknowledged_by = who.username
        event.save(update_fields=["acknowledged_at", "acknowledged_by"])
