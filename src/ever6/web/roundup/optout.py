"""Opting out of the round-up by the link in it, without signing in.

Each email to a contact other than the named CWSW lead carries a link with the address signed by
Django's signing (the service's secret key, a salt of its own): only the service can make one, and
a changed address or token is refused. The opt-out is recorded where an officer's is
(:class:`ever6.web.roundup.models.OptOut`) and written to the audit log. The named lead cannot opt
out: the guidance has every school's lead get it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse

from ever6.access import AuditEntry, Viewer

SALT = "ever6.roundup.optout"
ACTION = "roundup_optout"


def token(email: str) -> str:
    return signing.dumps(email.lower(), salt=SALT, compress=True)


def email_of(value: str) -> str | None:
    """The address a token was made for, or ``None`` when it was not made by this service."""
    try:
        email = signing.loads(value, salt=SALT)
    except signing.BadSignature:
        return None
    return email if isinstance(email, str) and "@" in email else None


def link(email: str) -> str:
    """The opt-out page's full address for ``email``, as the email carries it."""
    return settings.EVER6_BASE_URL.rstrip("/") + reverse("roundup:self_optout", args=[token(email)])


def is_named_lead(email: str, today: date) -> bool:
    """Whether ``email`` is a school's current named CWSW lead (who always gets the round-up)."""
    from ever6.web.schools.models import Contact, ContactRole

    leads = Contact.objects.filter(email__iexact=email, role=ContactRole.DSL)
    return any(c.current_on(today) for c in leads)


def opt_out(request: HttpRequest | None, email: str, *, by: Viewer, how: str) -> bool:
    """Record the opt-out and audit it; ``False`` when the address had already opted out."""
    from ever6.web.audit.models import record
    from ever6.web.roundup.models import OptOut

    email = email.lower()
    try:
        with transaction.atomic():
            OptOut.objects.create(email=email, recorded_by=by.username)
    except IntegrityError:
        return False
    record(request, by, AuditEntry(ACTION, "roundup", email, detail={"how": how}))
    return True
