"""Schools and settings the Virtual School works with: their data sharing agreements, named
contacts, and the tier of the Virtual School's offer.

The register is seeded from the published GIAS school list (``ever6 web sync-schools``, run by
every refresh of the demo): every school in the authority and every school outside it that a
cohort child attends. Early years settings, colleges and other settings without a GIAS record are
added by hand and get a local identifier (``L`` and a number) in place of a URN. A school user is
attached to one or more schools by URN.

Nothing here is ever silently overwritten: each agreement state and each tier decision is a new
row (the latest counts), and every change to a contact is a :class:`ContactChange` row saying who
changed what, from what, to what.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.db import models
from django.utils import timezone

LOCAL_ID_PREFIX = "L"


class SettingKind(models.TextChoices):
    SCHOOL = "school", "School"
    EARLY_YEARS = "early_years", "Early years setting"
    COLLEGE = "college", "College"
    OTHER = "other", "Other setting"


class School(models.Model):
    urn = models.CharField("URN", max_length=8, primary_key=True)
    name = models.CharField(max_length=200)
    la_code = models.CharField("LA code", max_length=3, blank=True)
    la_name = models.CharField("local authority", max_length=100, blank=True)
    phase = models.CharField(max_length=60, blank=True)
    type_name = models.CharField("type", max_length=100, blank=True)
    status = models.CharField(max_length=60, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    in_la = models.BooleanField("in the local authority", default=True)
    kind = models.CharField(max_length=16, choices=SettingKind.choices, default=SettingKind.SCHOOL)
    # Settings added by hand (not from GIAS): who added them, and when. Empty for GIAS schools.
    added_by = models.CharField(max_length=150, blank=True)
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("name", "urn")

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"

    @property
    def added_by_hand(self) -> bool:
        return bool(self.added_by)

    @property
    def has_local_id(self) -> bool:
        return self.urn.startswith(LOCAL_ID_PREFIX)


def next_local_id() -> str:
    """The next free local identifier for a setting with no URN: ``L00001``, ``L00002``, ..."""
    used = [
        int(urn[len(LOCAL_ID_PREFIX) :])
        for urn in School.objects.filter(urn__startswith=LOCAL_ID_PREFIX).values_list("urn", flat=True)
        if urn[len(LOCAL_ID_PREFIX) :].isdigit()
    ]
    return f"{LOCAL_ID_PREFIX}{max(used, default=0) + 1:05d}"


class AgreementStatus(models.TextChoices):
    NOT_SENT = "not_sent", "Not sent"
    SENT = "sent", "Sent"
    SIGNED = "signed", "Signed"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


def signed_copy_path(instance: DataSharingAgreement, filename: str) -> str:
    """A generated name: nothing from the uploaded file's name reaches the file system."""
    return f"agreements/{instance.school.urn}/{uuid.uuid4().hex}.pdf"


class DataSharingAgreement(models.Model):
    """A school's data sharing agreement with the Virtual School; the latest one counts."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="agreements")
    status = models.CharField(max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.NOT_SENT)
    version = models.CharField(max_length=20, blank=True)
    sent_on = models.DateField(null=True, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    # The signed copy (PDF), stored under MEDIA_ROOT with a generated name and never served as a
    # public file: only the Virtual School's download view reads it.
    signed_copy = models.FileField(upload_to=signed_copy_path, blank=True, max_length=200)
    signed_copy_name = models.CharField("file name as uploaded", max_length=200, blank=True)
    signed_copy_size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-recorded_at", "-id")

    def __str__(self) -> str:
        return f"{self.school_id}: {self.get_status_display()}"

    def in_force_on(self, day: date) -> bool:
        return (
            self.status == AgreementStatus.SIGNED
            and self.signed_on is not None
            and self.signed_on <= day
            and (self.expires_on is None or self.expires_on >= day)
        )

    def effective_status(self, day: date | None = None) -> str:
        """The status as it stands on ``day``: a signed agreement past its expiry date has expired."""
        day = day or timezone.localdate()
        if self.status == AgreementStatus.SIGNED and self.expires_on is not None and self.expires_on < day:
            return str(AgreementStatus.EXPIRED)
        return str(self.status)

    @classmethod
    def latest_for(cls, urn: str) -> DataSharingAgreement | None:
        return cls.objects.filter(school_id=urn).order_by("-recorded_at", "-id").first()

    @classmethod
    def in_force(cls, urn: str, day: date | None = None) -> bool:
        """A signed, unexpired agreement: what the school portal's pupil list and marker need."""
        latest = cls.latest_for(urn)
        return latest is not None and latest.in_force_on(day or timezone.localdate())


class ContactRole(models.TextChoices):
    """The named roles the guidance asks each school to give the Virtual School."""

    DSL = "dsl", "DSL / CWSW lead"
    DESIGNATED_TEACHER = "designated_teacher", "Designated teacher"
    SENCO = "senco", "SENCO"
    MENTAL_HEALTH_LEAD = "mental_health_lead", "Senior mental health lead"
    HEADTEACHER = "headteacher", "Headteacher"


class Contact(models.Model):
    """A named professional at a school, in one role. The same person in two roles is two rows."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=24, choices=ContactRole.choices)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=20, blank=True)
    from_date = models.DateField("in the role from", null=True, blank=True)
    to_date = models.DateField("in the role until", null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("school", "role", "name", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()}, {self.school_id})"

    def current_on(self, day: date) -> bool:
        """In the role on ``day``: started (or no start recorded) and not yet left."""
        return (self.from_date is None or self.from_date <= day) and (self.to_date is None or self.to_date >= day)


# The fields a contact's history records, and how each is named there.
CONTACT_FIELDS = (
    ("name", "Name"),
    ("role", "Role"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("from_date", "From"),
    ("to_date", "Until"),
    ("notes", "Notes"),
)


ADDED, CHANGED, REMOVED, IMPORTED = "added", "changed", "removed", "imported"


class ChangeAction(models.TextChoices):
    ADDED = "added", "Added"
    CHANGED = "changed", "Changed"
    REMOVED = "removed", "Removed"
    IMPORTED = "imported", "Imported"


class ContactChange(models.Model):
    """One change to a school's contacts: who, when, and each field's old and new value."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="contact_changes")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes")
    contact_name = models.CharField(max_length=150)  # kept after the contact is removed
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    changes = models.JSONField(default=list)  # [{"field": "Email", "old": "...", "new": "..."}]
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-changed_at", "-id")

    def __str__(self) -> str:
        return f"{self.school_id}: {self.get_action_display()} {self.contact_name}"


def contact_values(contact: Contact) -> dict[str, str]:
    """A contact's fields as shown in its history."""
    out: dict[str, str] = {}
    for field, _ in CONTACT_FIELDS:
        value: Any = getattr(contact, field)
        if field == "role":
            value = ContactRole(value).label if value in ContactRole.values else value
        elif isinstance(value, date):
            value = f"{value.day} {value:%B %Y}"
        out[field] = "" if value is None else str(value)
    return out


def record_contact_change(
    contact: Contact, action: str, before: dict[str, str] | None, changed_by: str
) -> ContactChange | None:
    """Write the history row for ``contact``; ``None`` (nothing written) when an edit changed nothing."""
    after = contact_values(contact)
    labels = dict(CONTACT_FIELDS)
    if action == REMOVED:
        changes = [{"field": labels[f], "old": v, "new": ""} for f, v in (before or after).items() if v]
    elif before is None:
        changes = [{"field": labels[f], "old": "", "new": v} for f, v in after.items() if v]
    else:
        changes = [{"field": labels[f], "old": before[f], "new": after[f]} for f in after if before[f] != after[f]]
        if not changes:
            return None
    return ContactChange.objects.create(
        school_id=contact.school_id,
        contact=None if action == REMOVED else contact,
        contact_name=contact.name,
        action=action,
        changes=changes,
        changed_by=changed_by,
    )


class Tier(models.TextChoices):
    """The Virtual School's tiered offer (the names match ``ever6.web.dashboard.tiers``)."""

    STANDARD = "standard", "Standard"
    ENHANCED = "enhanced", "Enhanced"
    TARGETED = "targeted", "Targeted"


class TierDecision(models.Model):
    """An officer's decision on a school's tier, with the reason and the figures it was made on.

    Every decision is a row; the latest counts.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="tier_decisions")
    tier = models.CharField(max_length=10, choices=Tier.choices)
    reason = models.TextField()
    suggested = models.CharField(max_length=10, blank=True)  # "" when no suggestion could be made
    cwsw_count = models.IntegerField(null=True, blank=True)
    share = models.FloatField(null=True, blank=True)  # percent of the school's pupils
    academic_year = models.CharField(max_length=9, blank=True)
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-decided_at", "-id")

    def __str__(self) -> str:
        return f"{self.school_id}: {self.get_tier_display()}"

    @classmethod
    def latest_for(cls, urn: str) -> TierDecision | None:
        return cls.objects.filter(school_id=urn).order_by("-decided_at", "-id").first()
