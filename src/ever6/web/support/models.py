"""The Virtual School's support for schools and social workers: the advice line, consultations and
clinics with partners, and the evidence-based interventions it recommends.

Everything here is anonymised: the Virtual School advises professionals about a cohort or a
situation and does not take on individual cases, so free text is checked for UPNs
(:mod:`ever6.web.support.anonymity`) and no record names a child.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import models
from django.utils import timezone

from ever6.web.schools.models import School

DEMO = "demo"  # ``recorded_by`` of the demo's records, so the demo can replace them


def working_days(start: date, end: date) -> int:
    """Working days (Monday to Friday) after ``start`` up to and including ``end``.

    An answer on the day the enquiry came in took 0 days; one on the next working day, 1. Bank
    holidays are counted as working days.
    """
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    weekday = start.weekday()
    for step in range(1, rest + 1):
        if (weekday + step) % 7 < 5:
            count += 1
    return count


# --- interventions ----------------------------------------------------------------------------


class Source(models.TextChoices):
    EEF = "eef", "Education Endowment Foundation toolkit"
    WWCSC = "wwcsc", "What Works for Children's Social Care"
    OTHER = "other", "Other"


class Evidence(models.TextChoices):
    """The EEF's padlocks (0 to 5) where the EEF rates it; otherwise the Virtual School's reading."""

    PADLOCK_0 = "p0", "0 padlocks: insufficient evidence"
    PADLOCK_1 = "p1", "1 padlock: very limited evidence"
    PADLOCK_2 = "p2", "2 padlocks: limited evidence"
    PADLOCK_3 = "p3", "3 padlocks: moderate evidence"
    PADLOCK_4 = "p4", "4 padlocks: extensive evidence"
    PADLOCK_5 = "p5", "5 padlocks: very extensive evidence"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    STRONG = "strong", "Strong"


class CostBand(models.TextChoices):
    LOW = "1", "£ (low)"
    MODERATE = "2", "££ (moderate)"
    HIGH = "3", "£££ (high)"


class Phase(models.TextChoices):
    EARLY_YEARS = "early_years", "Early years"
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    POST_16 = "post16", "Post-16"
    ALL = "all", "All phases"


class Intervention(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField()
    source = models.CharField(max_length=8, choices=Source.choices)
    evidence = models.CharField("evidence strength", max_length=10, choices=Evidence.choices)
    cost_band = models.CharField(max_length=1, choices=CostBand.choices)
    phase = models.CharField(max_length=12, choices=Phase.choices)
    link = models.URLField(max_length=500, blank=True)
    active = models.BooleanField("recommended now", default=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Recommendation(models.Model):
    """An intervention the Virtual School recommended to a school, on a date, with a note."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="recommendations")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="recommendations")
    recommended_on = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-recommended_on", "-id")

    def __str__(self) -> str:
        return f"{self.intervention} for {self.school_id} on {self.recommended_on}"


# --- the advice line --------------------------------------------------------------------------


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    FORM = "form", "Online form"
    MEETING = "meeting", "Meeting"


class EnquirerType(models.TextChoices):
    SCHOOL = "school", "School or setting staff"
    SOCIAL_WORKER = "social_worker", "Social worker"
    OTHER = "other", "Other professional"


class Category(models.TextChoices):
    ATTENDANCE = "attendance", "Attendance"
    SUSPENSION = "suspension", "Suspension or exclusion"
    SEND = "send", "SEND"
    MENTAL_HEALTH = "mental_health", "Mental health"
    TRANSITION = "transition", "Transition"
    EHE = "ehe", "Elective home education"
    POST_16 = "post16", "Post-16"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    ADVICE = "advice", "Advice given"
    SIGNPOSTED = "signposted", "Signposted to another service"
    CLINIC = "clinic", "Offered a consultation or clinic"
    TRAINING = "training", "Training recommended"
    INTERVENTION = "intervention", "Intervention recommended"
    NO_ACTION = "no_action", "No further action"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class Enquiry(models.Model):
    received_on = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    enquirer_type = models.CharField(max_length=16, choices=EnquirerType.choices)
    enquirer_name = models.CharField(max_length=150)
    enquirer_email = models.EmailField(max_length=254, blank=True)
    school = models.ForeignKey(School, on_delete=models.SET_NULL, null=True, blank=True, related_name="enquiries")
    category = models.CharField(max_length=16, choices=Category.choices)
    question = models.TextField()
    response = models.TextField(blank=True)
    responded_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    closed = models.BooleanField(default=False)
    interventions = models.ManyToManyField(Intervention, blank=True, related_name="enquiries")
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-received_on", "-id")
        verbose_name_plural = "enquiries"

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"ENQ-{self.pk:05d}" if self.pk else "ENQ-new"

    @property
    def status(self) -> str:
        if self.closed:
            return str(Status.CLOSED)
        return str(Status.ANSWERED if self.responded_on else Status.OPEN)

    @property
    def days_to_respond(self) -> int | None:
        """Working days from receipt to response; ``None`` while it is unanswered."""
        return working_days(self.received_on, self.responded_on) if self.responded_on else None


def status_filter(status: str) -> models.Q:
    """The enquiries in ``status`` (open, answered or closed), for a queryset's ``filter``."""
    if status == "closed":
        return models.Q(closed=True)
    if status == "answered":
        return models.Q(closed=False, responded_on__isnull=False)
    return models.Q(closed=False, responded_on__isnull=True)


# --- consultations and clinics ----------------------------------------------------------------


class Partner(models.TextChoices):
    CAMHS = "camhs", "CAMHS"
    EP = "ep", "Educational psychology"
    SEN = "sen", "SEN service"
    YOS = "yos", "Youth offending service"
    SSW = "ssw", "Senior social worker"
    OTHER = "other", "Other partner"


class Mode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"


class Clinic(models.Model):
    """A consultation or clinic session with a partner, which schools and social workers book."""

    partner = models.CharField(max_length=8, choices=Partner.choices)
    topic = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=90)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    location = models.CharField(max_length=200)
    capacity = models.PositiveSmallIntegerField()
    summary = models.TextField("anonymised summary", blank=True)
    interventions = models.ManyToManyField(Intervention, blank=True, related_name="clinics")
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-starts_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_partner_display()}: {self.topic}"

    def has_started(self, now: datetime | None = None) -> bool:
        return self.starts_at <= (now or timezone.now())

    def places_taken(self) -> int:
        return self.bookings.exclude(attendance=Attendance.CANCELLED).count()


class BookerType(models.TextChoices):
    SCHOOL = "school", "School or setting"
    SOCIAL_WORKER = "social_worker", "Social worker"


class Attendance(models.TextChoices):
    BOOKED = "booked", "Booked (not yet recorded)"
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "dna", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"


class Booking(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="bookings")
    booker_type = models.CharField(max_length=16, choices=BookerType.choices)
    name = models.CharField(max_length=150)
    email = models.EmailField(max_length=254)
    school = models.ForeignKey(School, on_delete=models.SET_NULL, null=True, blank=True, related_name="clinic_bookings")
    attendance = models.CharField(max_length=10, choices=Attendance.choices, default=Attendance.BOOKED)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("recorded_at", "id")

    def __str__(self) -> str:
        return f"{self.name} at {self.clinic}"


class AgreedAction(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="actions")
    text = models.TextField()
    owner = models.CharField(max_length=150)
    due_on = models.DateField()
    done = models.BooleanField(default=False)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("due_on", "id")

    def __str__(self) -> str:
        return f"{self.owner}, by {self.due_on}"
