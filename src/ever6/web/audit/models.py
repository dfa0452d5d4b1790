"""The audit log: every pupil-level view, download and linkage decision, append-only.

Rows are never updated or deleted through the application (the model refuses), nor through the
database: the migration adds triggers that reject UPDATE and DELETE on SQLite and PostgreSQL. Each
entry is chained to the one before by an HMAC (:mod:`ever6.web.audit.chain`), so a change made
in the database by someone who lifts the triggers is found by ``ever6 audit verify``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from ever6.access import AuditEntry, Viewer


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)  # set before chaining
    username = models.CharField(max_length=150, db_index=True)  # kept as text: outlives the account
    role = models.CharField(max_length=32)
    action = models.CharField(max_length=32)  # view, download, decision
    what = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ("-at", "-id")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events are never changed")
        from ever6.web.audit.chain import append

        append(self, lambda: super(AuditEvent, self).save(*args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are never deleted")


def _address(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (behind a trusted proxy, the forwarded one)."""
    value = request.META.get("REMOTE_ADDR") if request else None
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def record(request: HttpRequest | None, viewer: Viewer, entry: AuditEntry) -> AuditEvent:
    return AuditEvent.objects.create(
        username=viewer.username,
        role=viewer.role.value if viewer.role else "",
        action=entry.action,
        what=entry.what,
        object_id=entry.object_id,
        rows=entry.rows,
        path=request.get_full_path()[:500] if request else "",
        ip_address=_address(request),
        detail=entry.detail,
    )
