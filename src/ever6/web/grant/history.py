"""Every change to the grant ledger, written to the audit log: who, when, and each field's old
and new value (money as text, so the log reads as the ledger did)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.forms.models import model_to_dict
from django.http import HttpRequest

from ever6.access import AuditEntry
from ever6.web.guard import viewer

ACTION = "grant"


def state(record: models.Model | None, fields: tuple[str, ...] = ()) -> dict[str, str]:
    """A record's fields as text, for comparing before and after a change."""
    if record is None or record.pk is None:
        return {}
    values = model_to_dict(record, fields=fields or None)
    return {k: "" if v is None else str(v) for k, v in values.items() if k not in ("id", "updated_at")}


def record_change(
    request: HttpRequest, what: str, object_id: object, before: dict[str, str], after: dict[str, str]
) -> None:
    """One audit entry for a change to ``what`` (e.g. ``grant_payment``), with the fields that changed."""
    from ever6.web.audit.models import record

    changed = {k: {"from": before.get(k, ""), "to": v} for k, v in after.items() if before.get(k, "") != v}
    if before and not changed:
        return
    verb = "changed" if before else "created"
    record(request, viewer(request), AuditEntry(ACTION, f"{what}_{verb}", str(object_id), detail=changed))


def record_event(request: HttpRequest, what: str, object_id: object, detail: dict[str, Any]) -> None:
    from ever6.web.audit.models import record

    record(request, viewer(request), AuditEntry(ACTION, what, str(object_id), detail=detail))
