"""One event for one child at one school: where it came from, its details, whom it was sent to and
whether the social worker acknowledged it. Pupil-level: read only by the school that recorded it,
the allocated worker and the notification process; the Virtual School sees counts only."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    SUSPENSION = "suspension", "Suspension"
    PERMANENT_EXCLUSION = "permanent_exclusion", "Permanent exclusion"
    SUSPENSION_RISK = "suspension_risk", "Risk of suspension or exclusion"
    PART_TIME_TIMETABLE = "part_time_timetable", "Part-time timetable"
    REMOVED_FROM_ROLL = "removed_from_roll", "Removed from roll"
    UNEXPLAINED_ABSENCE = "unexplained_absence", "Unexplained absence"


class RemovalReason(models.TextChoices):
    ELECTIVE_HOME_EDUCATION = "ehe", "Elective home education"
    MOVED_SCHOOL = "moved_school", "Moved to another school"
    MOVED_AWAY = "moved_away", "Moved out of the area"
    PERMANENT_EXCLUSION = "permanent_exclusion", "Permanent exclusion"
    MISSING = "missing", "Whereabouts not known (child missing education)"
    OTHER = "other", "Another reason"


class Event(models.Model):
    la_child_id = models.CharField(max_length=40)
    urn = models.CharField("URN", max_length=8)
    upn = models.CharField("UPN", max_length=13)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    event_date = models.DateField()
    detail = models.CharField(max_length=200, blank=True)
    # Where it came from: the data at a refresh, a school in the portal, or both (merged).
    from_data = models.BooleanField(default=False)
    from_school = models.BooleanField(default=False)
    # A school's details (part-time timetable; removal from roll).
    review_date = models.DateField(null=True, blank=True)
    proposed_end_date = models.DateField(null=True, blank=True)
    carer_agreed = models.BooleanField(null=True, blank=True)
    removal_reason = models.CharField(max_length=24, choices=RemovalReason.choices, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)  # when ever6 first knew of it
    # Whom it was sent to (the allocation when it was raised).
    worker_email = models.EmailField(blank=True)
    team_email = models.EmailField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("la_child_id", "urn", "kind", "event_date"), name="events_one_per_day"),
        )
        indexes = (models.Index(fields=("la_child_id",), name="events_child"),)
        ordering = ("-event_date", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.event_date} at {self.urn}"

    @property
    def reference(self) -> str:
        """The outbox reference of the emails about this event."""
        return f"event:{self.pk}"
