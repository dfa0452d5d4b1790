"""The audit log's hash chain: each entry's HMAC covers its content and the previous entry's HMAC.

The database refuses to change or delete entries (triggers), but someone with the database's own
rights can lift the triggers. The chain makes that visible: its key is kept apart from the
database (``EVER6_AUDIT_KEY``, or an owner-only key file made on first use), so an entry cannot
be edited, or one removed from the middle, without the entries after it failing to verify. The
newest entry is also anchored in a file beside the key, so removing the newest entries shows too.
``ever6 audit verify`` checks all of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from ever6.web.keys import audit_key

# One writer at a time in this process; on PostgreSQL, an advisory lock across processes too.
_lock = threading.Lock()
_PG_LOCK_ID = 0x65766536  # "ev e6": any fixed number, the same in every process


def key() -> bytes:
    return audit_key(Path(settings.EVER6_AUDIT_KEY_FILE))


def content(event: Any) -> bytes:
    """The entry's fields as canonical bytes (the time in UTC to the microsecond)."""
    fields = [
        event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        event.username,
        event.role,
        event.action,
        event.what,
        event.object_id,
        int(event.rows),
        event.path,
        str(event.ip_address or ""),
        event.detail,
    ]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link(secret: bytes, previous: str, event: Any) -> str:
    return hmac.new(secret, previous.encode() + b"\n" + content(event), hashlib.sha256).hexdigest()


def append(event: Any, save: Any) -> None:
    """Chain ``event`` to the newest entry and save it (``save()``), one writer at a time."""
    secret = key()
    with _lock, transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_ID])
        newest = type(event).objects.order_by("-id").values_list("chain_hash", flat=True).first()
        event.chain_hash = link(secret, newest or "", event)
        save()
        entry_id, entry_hash = event.pk, event.chain_hash
        transaction.on_commit(lambda: write_head(entry_id, entry_hash))


def write_head(entry_id: int, entry_hash: str) -> None:
    """Anchor the newest entry outside the database (replaced atomically, owner-only)."""
    path = Path(settings.EVER6_AUDIT_HEAD_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(f"{entry_id} {entry_hash}\n")
    os.replace(partial, path)


def read_head() -> tuple[int, str] | None:
    path = Path(settings.EVER6_AUDIT_HEAD_FILE)
    if not path.exists():
        return None
    entry_id, entry_hash = path.read_text().split()
    return int(entry_id), entry_hash


@dataclass
class Verification:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_entries(events: Iterable[Any], secret: bytes, head: tuple[int, str] | None) -> Verification:
    """Recompute the chain over ``events`` (in id order) and compare it with the stored one."""
    result = Verification()
    previous = ""
    seen: dict[int, str] = {}
    for event in events:
        result.entries += 1
        if not hmac.compare_digest(event.chain_hash, link(secret, previous, event)):
            result.problems.append(
                f"entry {event.pk} ({event.at:%Y-%m-%d %H:%M:%S}, {event.username}, {event.what}) "
                "does not verify: it was changed, or the entry before it was deleted"
            )
        previous = event.chain_hash  # so one changed entry is one problem, not every one after it
        seen[event.pk] = event.chain_hash
    if head is not None:
        head_id, head_hash = head
        if head_id not in seen:
            result.problems.append(f"entry {head_id}, recorded as the newest, is missing: entries were deleted")
        elif not hmac.compare_digest(seen[head_id], head_hash):
            result.problems.append(f"entry {head_id}, recorded as the newest, has a different hash: it was replaced")
    return result


def verify() -> Verification:
    """Verify the whole audit log with this service's key and anchor."""
    from ever6.web.audit.models import AuditEvent

    events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    return verify_entries(events, key(), read_head())
