"""Demo records for the schools register: named contacts (with a history of changes), tier
decisions made on the published figures, and two settings added by hand.

Professionals' names only (Faker, seeded from the demo's random generator), never pupils'. Running
it again replaces what it made before: every record it makes is attributed to :data:`DEMO_USER`.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ever6.access import NotPublished, Role, Viewer
from ever6.web.schools.models import (
    ChangeAction,
    Contact,
    ContactChange,
    ContactRole,
    School,
    SettingKind,
    TierDecision,
    contact_values,
    next_local_id,
    record_contact_change,
)
from ever6.web.schools.register import tier_figures

DEMO_USER = "system:demo"  # not a possible username (Django's usernames have no colon)
_VIEWER = Viewer(username=DEMO_USER, role=Role.VS_OFFICER)
ROLES = [value for value, _ in ContactRole.choices]
HAND_SETTINGS = (
    ("Little Acorns Day Nursery", SettingKind.EARLY_YEARS, "Nursery", "Private day nursery"),
    ("Riverside College", SettingKind.COLLEGE, "16 plus", "General further education college"),
)
OVERRIDE_REASONS = (
    "New headteacher and DSL this year; the Virtual School agreed extra support through the first term.",
    "Rising suspensions of children with a social worker reported at the DSL forum.",
    "Several children moved here after a placement change; case consultations requested by the DSL.",
)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())[:24] or "school"


def _when(today: date, days_ago: int, rng: random.Random) -> datetime:
    moment = datetime.combine(today - timedelta(days=days_ago), time(9, 0)) + timedelta(minutes=rng.randrange(480))
    return timezone.make_aware(moment, timezone.get_current_timezone())


def seed_demo(rng: random.Random, today: date) -> None:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(rng.randrange(2**32))
    try:
        figures = tier_figures(_VIEWER)
    except NotPublished:
        figures = {}
    with transaction.atomic():
        ContactChange.objects.filter(changed_by=DEMO_USER).delete()
        Contact.objects.filter(created_by=DEMO_USER).delete()
        TierDecision.objects.filter(decided_by=DEMO_USER).delete()
        # The settings added by hand are kept from one seeding to the next (training records and
        # bookings may point at them); their details are refreshed.
        for name, kind, phase, type_name in HAND_SETTINGS:
            details = {
                "kind": kind,
                "phase": phase,
                "type_name": type_name,
                "status": "Open",
                "postcode": fake.postcode(),
                "in_la": True,
                "added_at": _when(today, rng.randrange(30, 200), rng),
            }
            setting = School.objects.filter(name=name, added_by=DEMO_USER).first()
            if setting is None:
                School.objects.create(urn=next_local_id(), name=name, added_by=DEMO_USER, **details)
            else:
                School.objects.filter(pk=setting.pk).update(**details)
        schools = list(School.objects.all())
        for school in schools:
            if not school.in_la and school.urn not in figures:
                continue  # an out-of-authority school the demo cohort does not attend
            _contacts(school, fake, rng, today)
        for school in schools:
            figure = figures.get(school.urn)
            if figure is None or rng.random() < 0.15:
                continue  # not every school has had a decision yet
            _tier(school, figure.suggested, figure.count, figure.share, figure.academic_year, rng, today)


def _contacts(school: School, fake: Any, rng: random.Random, today: date) -> None:
    domain = f"{_slug(school.name)}.sch.uk"
    head_is_dsl = rng.random() < 0.25  # in small schools the headteacher is often the DSL too
    head_name = ""
    for role in ["headteacher", *(r for r in ROLES if r != "headteacher")]:
        if rng.random() < 0.12:
            continue  # a gap: the register shows it as missing
        shared = role == "dsl" and head_is_dsl and head_name
        name = head_name if shared else f"{fake.first_name()} {fake.last_name()}"
        if role == "headteacher":
            head_name = name
        first, last = name.split(" ", 1)
        contact = Contact(
            school=school,
            name=name,
            role=role,
            email=f"{first[0].lower()}.{_slug(last)}@{domain}",
            phone=f"01632 {rng.randrange(960000, 960999)}",
            from_date=today - timedelta(days=rng.randrange(60, 3000)),
            notes="Works Monday to Wednesday." if rng.random() < 0.1 else "",
            created_by=DEMO_USER,
            created_at=_when(today, rng.randrange(100, 400), rng),
        )
        contact.save()
        added = record_contact_change(contact, str(ChangeAction.IMPORTED), None, DEMO_USER)
        if added is not None:
            ContactChange.objects.filter(pk=added.pk).update(changed_at=contact.created_at)
        if rng.random() < 0.15:  # a later change: a new phone number
            before = contact_values(contact)
            contact.phone = f"01632 {rng.randrange(960000, 960999)}"
            contact.save()
            changed = record_contact_change(contact, str(ChangeAction.CHANGED), before, DEMO_USER)
            if changed is not None:
                ContactChange.objects.filter(pk=changed.pk).update(changed_at=_when(today, rng.randrange(1, 90), rng))


def _tier(
    school: School,
    suggested: str | None,
    count: int | None,
    share: float | None,
    year: str,
    rng: random.Random,
    today: date,
) -> None:
    tiers = ["standard", "enhanced", "targeted"]
    if suggested is not None and rng.random() < 0.85:
        tier, reason = suggested, "As suggested by the published figures."
    else:
        base = tiers.index(suggested) if suggested else 0
        tier = tiers[min(base + 1, 2)]
        reason = rng.choice(OVERRIDE_REASONS)
    TierDecision.objects.create(
        school=school,
        tier=tier,
        reason=reason,
        suggested=suggested or "",
        cwsw_count=count,
        share=share,
        academic_year=year,
        decided_by=DEMO_USER,
        decided_at=_when(today, rng.randrange(1, 120), rng),
    )
