"""Who may change which account, in proportion to what the account can do.

The Virtual School Head manages the other Virtual School staff, the auditor and school users. An
account that can manage accounts (a superuser, or the ``vs_head`` role) is created and changed
only by a superuser, or with ``ever6 web create-user`` on the server: otherwise one head could
take over another's account, or a superuser's, and sign in to Django's admin. Nobody changes
their own role. A school user acts for a school only as the named contact the schools register
holds for it (its DSL / CWSW lead or designated teacher), matched on email address.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from ever6.access import Role
from ever6.web.accounts.models import ROLE_CHOICES

# The register's roles whose holder may have the school's portal account.
SCHOOL_LEAD_ROLES = ("dsl", "designated_teacher")


def is_privileged(account: Any) -> bool:
    """An account that can manage accounts, or the whole service."""
    return bool(account.is_superuser) or account.role == Role.VS_HEAD


def may_change(actor: Any, account: Any) -> bool:
    return bool(actor.is_superuser) or not is_privileged(account)


def role_choices(actor: Any) -> list[tuple[str, str]]:
    """The roles ``actor`` may give: all for a superuser, all but the head's for anyone else."""
    if actor.is_superuser:
        return list(ROLE_CHOICES)
    return [(value, label) for value, label in ROLE_CHOICES if value != Role.VS_HEAD]


def schools_without_contact(email: str, urns: Iterable[str], day: date) -> list[str]:
    """The URNs whose register has no current DSL or designated teacher with this email address."""
    from ever6.web.schools.models import Contact

    wanted = list(urns)
    contacts = Contact.objects.filter(school_id__in=wanted, email__iexact=email.strip(), role__in=SCHOOL_LEAD_ROLES)
    named = {c.school_id for c in contacts if c.current_on(day)}
    return [u for u in wanted if u not in named]
