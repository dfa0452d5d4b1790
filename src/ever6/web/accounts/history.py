"""Every change to an account, written to the audit log with who made it and from where."""

from __future__ import annotations

import getpass
from typing import Any

from django.http import HttpRequest

from ever6.access import AuditEntry, Role, Viewer

ACTION = "account"


def state(account: Any | None) -> dict[str, Any]:
    """What the audit log compares before and after a change (the password only as its hash)."""
    if account is None or account.pk is None:
        return {}
    return {
        "role": account.role,
        "superuser": bool(account.is_superuser),
        "staff": bool(account.is_staff),
        "active": bool(account.is_active),
        "schools": sorted(account.schools.values_list("urn", flat=True)),
        "password": account.password,
    }


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[AuditEntry]:
    """One audit entry per kind of change: created, role, superuser, schools, password, active."""
    username = after.get("username", "")
    if not before:
        detail = {k: after[k] for k in ("role", "superuser", "staff", "active", "schools")}
        return [AuditEntry(ACTION, "account_created", username, detail=detail)]
    entries = []
    for key, what in (("role", "role_changed"), ("superuser", "superuser_changed"), ("staff", "staff_changed")):
        if before[key] != after[key]:
            entries.append(AuditEntry(ACTION, what, username, detail={"from": before[key], "to": after[key]}))
    if before["schools"] != after["schools"]:
        detail = {"from": before["schools"], "to": after["schools"]}
        entries.append(AuditEntry(ACTION, "schools_changed", username, detail=detail))
    if before["password"] != after["password"]:
        entries.append(AuditEntry(ACTION, "password_reset", username))
    if before["active"] != after["active"]:
        entries.append(AuditEntry(ACTION, "reactivated" if after["active"] else "deactivated", username))
    return entries


def record_changes(request: HttpRequest | None, before: dict[str, Any], account: Any, *, by: str = "") -> int:
    """Audit what changed in ``account`` since ``before`` (:func:`state`): by the request's user
    (or ``by``, e.g. single sign-on), from its address; without a request, by the server's user at
    the command line."""
    from ever6.web.audit.models import record

    after = {**state(account), "username": account.get_username()}
    if by:
        who = Viewer(by, None)
    elif request is not None and request.user.is_authenticated:
        actor: Any = request.user
        role = Role(actor.role) if actor.role in Role._value2member_map_ else None
        who = Viewer(actor.get_username(), role)
    else:
        who = Viewer(f"command line ({getpass.getuser()})", None)
    entries = changes(before, after)
    for entry in entries:
        record(request, who, entry)
    return len(entries)
