"""A round-up (news, picked training and clinics) and the contacts who asked not to get them.

What was sent to whom is the outbox's record (``outbox.Message``, kind ``roundup``, reference
``roundup:<id>:<urn>``), one row per recipient with its state: nothing is kept twice.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ever6.web.support.models import Clinic
from ever6.web.training.models import Session


class RoundUp(models.Model):
    subject = models.CharField(max_length=200)
    news = models.TextField(help_text="Markdown.")
    sessions = models.ManyToManyField(Session, blank=True, related_name="roundups")
    clinics = models.ManyToManyField(Clinic, blank=True, related_name="roundups")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_by = models.CharField(max_length=150, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.subject


class OptOut(models.Model):
    """A contact (other than a school's named CWSW lead, who always gets it) who asked not to get
    the round-up. Stored in lower case: one row per address."""

    email = models.EmailField(max_length=254, unique=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("email",)

    def __str__(self) -> str:
        return self.email
