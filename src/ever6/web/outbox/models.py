"""One email to one recipient, and where its delivery stands."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class State(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed after every attempt"
    INVALID = "invalid", "Refused by the mail server"
    # Accepted by the server, then returned undelivered (a delivery status notification: ``ever6
    # web bounces``).
    BOUNCED = "bounced", "Bounced after it was sent"


class Message(models.Model):
    kind = models.CharField(max_length=32)
    reference = models.CharField(max_length=200)
    to = models.EmailField()
    cc = models.TextField(blank=True, help_text="Comma-separated addresses.")
    subject = models.CharField(max_length=255)
    body = models.TextField()
    html = models.TextField(blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("kind", "reference", "to"), name="outbox_once_per_recipient"),)
        indexes = (models.Index(fields=("state", "next_attempt_at"), name="outbox_due"),)
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} to {self.to} ({self.state})"

    @property
    def cc_list(self) -> list[str]:
        return [a.strip() for a in self.cc.split(",") if a.strip()]
