"""The Virtual School's training programme: courses, their sessions, and who registered and attended.

The source documents describe rolling programmes for schools (DSLs, designated teachers, SENCOs,
senior mental health leads) and for social workers (docs/domain.md, section 7). Attendance is recorded
once a session has happened, and only someone who attended gives feedback. The people here are
professionals: no child is ever named in these records.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import models
from django.utils import timezone

from ever6.web.schools.models import School


class Audience(models.TextChoices):
    SCHOOLS = "schools", "Schools and settings"
    SOCIAL_WORKERS = "social_workers", "Social workers"
    BOTH = "both", "Schools and social workers"


class Source(models.TextChoices):
    """Where a record came from: typed in, a bulk import of existing records, or the demo."""

    ENTERED = "entered", "Entered"
    IMPORTED = "imported", "Imported"
    DEMO = "demo", "Demonstration data"


class Delivery(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    NOT_RECORDED = "not_recorded", "Not recorded"


class AttendeeRole(models.TextChoices):
    DSL = "dsl", "DSL / CWSW lead"
    DESIGNATED_TEACHER = "designated_teacher", "Designated teacher"
    SENCO = "senco", "SENCO"
    MENTAL_HEALTH_LEAD = "mental_health_lead", "Senior mental health lead"
    HEADTEACHER = "headteacher", "Headteacher"
    SOCIAL_WORKER = "social_worker", "Social worker"
    OTHER = "other", "Other"


# Roles that belong to a school: a registration in one of them names the school.
SCHOOL_ROLES = frozenset(
    str(r)
    for r in (
        AttendeeRole.DSL,
        AttendeeRole.DESIGNATED_TEACHER,
        AttendeeRole.SENCO,
        AttendeeRole.MENTAL_HEALTH_LEAD,
        AttendeeRole.HEADTEACHER,
    )
)
# Whose attendance makes a school "covered" on the coverage page.
COVERAGE_ROLES = (str(AttendeeRole.DSL), str(AttendeeRole.DESIGNATED_TEACHER))


class Attendance(models.TextChoices):
    NOT_RECORDED = "not_recorded", "Not recorded"
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"


class Course(models.Model):
    title = models.CharField(max_length=200)
    audience = models.CharField(max_length=16, choices=Audience.choices)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField("duration (minutes)")
    provider = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ENTERED)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("title", "id")
        constraints = (models.UniqueConstraint(models.functions.Lower("title"), name="training_course_title_unique"),)

    def __str__(self) -> str:
        return self.title

    @property
    def duration_text(self) -> str:
        return duration_text(self.duration_minutes)


def duration_text(minutes: int) -> str:
    """``150`` as ``2 hours 30 minutes``."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if rest or not hours:
        parts.append(f"{rest} minute" + ("s" if rest != 1 else ""))
    return " ".join(parts)


class Session(models.Model):
    """One running of a course. An imported historic session may have no time, place or capacity."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.IN_PERSON)
    location = models.CharField("location or joining details", max_length=300, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    trainer = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ENTERED)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("date", "start_time", "id")

    def __str__(self) -> str:
        return f"{self.course.title}, {self.when}"

    @property
    def starts(self) -> datetime:
        """When the session starts, in local time (the start of its day when no time is recorded)."""
        return timezone.make_aware(datetime.combine(self.date, self.start_time or time(0, 0)))

    def has_started(self, now: datetime | None = None) -> bool:
        """Attendance and feedback can be recorded only once this is true."""
        return self.starts <= (now or timezone.now())

    @property
    def when(self) -> str:
        day = long_date(self.date)
        return f"{day}, {self.start_time:%H:%M}" if self.start_time else day

    @property
    def place(self) -> str:
        if self.delivery == Delivery.NOT_RECORDED:
            return self.location or "Not recorded"
        label = Delivery(self.delivery).label
        return f"{label}: {self.location}" if self.location else str(label)


class Registration(models.Model):
    """A professional's place on a session, and afterwards whether they came and what they thought."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    attendee_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)  # stored in lower case: one place per address per session
    role = models.CharField(max_length=24, choices=AttendeeRole.choices)
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="training_registrations"
    )
    attendance = models.CharField(max_length=16, choices=Attendance.choices, default=Attendance.NOT_RECORDED)
    attendance_recorded_by = models.CharField(max_length=150, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    feedback_score = models.PositiveSmallIntegerField(null=True, blank=True)
    feedback_comment = models.TextField(blank=True)
    feedback_recorded_by = models.CharField(max_length=150, blank=True)
    feedback_recorded_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ENTERED)
    registered_by = models.CharField(max_length=150, blank=True)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("attendee_name", "id")
        constraints = (
            models.UniqueConstraint(fields=("session", "email"), name="training_registration_once_per_session"),
            models.CheckConstraint(
                condition=models.Q(feedback_score__isnull=True)
                | (models.Q(feedback_score__gte=1, feedback_score__lte=5) & models.Q(attendance="attended")),
                name="training_feedback_from_attendees_1_to_5",
            ),
        )

    def __str__(self) -> str:
        return f"{self.attendee_name} on {self.session}"

    @property
    def attended(self) -> bool:
        return self.attendance == Attendance.ATTENDED


def long_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""
