"""Bounces: an email the server accepted and a later server returned undelivered.

The authority's mail system puts the delivery status notifications (DSNs, RFC 3464: a
``multipart/report`` with a ``message/delivery-status`` part) in a mailbox; ``ever6 web bounces``
reads them from a mailbox directory (Maildir, or a folder of ``.eml`` files) or an mbox file, and
marks each failed recipient's outbox row ``bounced`` with the reported status. The row is the one
named by the ``X-Ever6-Outbox`` header when the DSN quotes the original headers; otherwise the
latest email sent to that address. Anything else in the mailbox (replies, delayed-delivery
notices) is left alone.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message as EmailMessage
from pathlib import Path

from ever6.web.outbox.models import Message, State
from ever6.web.outbox.service import OUTBOX_HEADER


@dataclass(frozen=True)
class Bounce:
    recipient: str
    status: str  # e.g. "5.1.1"
    diagnostic: str
    outbox_id: int | None  # from the quoted original headers, when there are any


@dataclass(frozen=True)
class Outcome:
    read: int  # delivery status notifications read
    marked: list[Message]  # outbox rows now bounced
    unmatched: list[Bounce]  # failed recipients no sent email matches


def _messages(source: Path) -> Iterator[EmailMessage]:
    if source.is_dir():
        if (source / "cur").is_dir() or (source / "new").is_dir():
            box: mailbox.Mailbox[mailbox.MaildirMessage] = mailbox.Maildir(source, create=False)
            for key in box.iterkeys():
                yield message_from_bytes(box.get_bytes(key), policy=policy.compat32)
        else:
            for path in sorted(p for p in source.iterdir() if p.is_file()):
                yield message_from_bytes(path.read_bytes(), policy=policy.compat32)
        return
    mbox = mailbox.mbox(source, create=False)
    for key in mbox.iterkeys():
        yield message_from_bytes(mbox.get_bytes(key), policy=policy.compat32)


def _address(value: str) -> str:
    """``rfc822; someone@example.org`` -> ``someone@example.org``."""
    return value.split(";", 1)[-1].strip().strip("<>").lower()


def parse(message: EmailMessage) -> list[Bounce]:
    """The failed recipients a DSN reports (none when ``message`` is not a DSN)."""
    if message.get_content_type() != "multipart/report" or message.get_param("report-type") != "delivery-status":
        return []
    outbox_id: int | None = None
    blocks: list[EmailMessage] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            # The per-message fields, then one block of fields per recipient.
            payload = part.get_payload()
            blocks += [b for b in payload if isinstance(b, EmailMessage)] if isinstance(payload, list) else []
        elif kind in ("text/rfc822-headers", "message/rfc822"):
            quoted = part.get_payload(0) if kind == "message/rfc822" else None
            if not isinstance(quoted, EmailMessage):
                raw = part.get_payload(decode=True)
                quoted = message_from_bytes(raw if isinstance(raw, bytes) else b"", policy=policy.compat32)
            value = str(quoted.get(OUTBOX_HEADER, "")).strip()
            outbox_id = int(value) if value.isdigit() else None
    found = []
    for block in blocks:
        recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
        if recipient and str(block.get("Action", "")).strip().lower() == "failed":
            found.append(
                Bounce(
                    _address(str(recipient)),
                    str(block.get("Status", "")).strip(),
                    " ".join(str(block.get("Diagnostic-Code", "")).split()),
                    outbox_id,
                )
            )
    return found


def _row(bounce: Bounce) -> Message | None:
    sent = Message.objects.filter(state=State.SENT, to__iexact=bounce.recipient)
    if bounce.outbox_id is not None:
        named = sent.filter(pk=bounce.outbox_id).first()
        if named is not None:
            return named
    return sent.order_by("-sent_at", "-id").first()


def record_bounces(source: Path) -> Outcome:
    """Read every DSN in ``source`` and mark the emails they report ``bounced``."""
    read, marked, unmatched = 0, [], []
    for message in _messages(source):
        bounces = parse(message)
        read += bool(bounces)
        for bounce in bounces:
            row = _row(bounce)
            if row is None:
                unmatched.append(bounce)
                continue
            row.state = State.BOUNCED
            row.last_error = f"Bounced: {bounce.status} {bounce.diagnostic}".strip()
            row.save(update_fields=["state", "last_error"])
            marked.append(row)
    return Outcome(read, marked, unmatched)
