"""Schools the Virtual School works with, and their data sharing agreements.

The register is seeded from the published GIAS school list (``ever6 web sync-schools``, run by
every refresh of the demo); a school user is attached to one or more schools by URN.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.utils import timezone


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

    class Meta:
        ordering = ("name", "urn")

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"


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
