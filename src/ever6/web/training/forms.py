"""Forms for the training programme, with GOV.UK error messages.

Dates are GOV.UK date inputs (:class:`ever6.web.forms.DateField`); times are typed as ``14:30``.
Everything a rule refuses is refused here, before anything is saved: duplicate registrations, a
full session, attendance before a session has happened, feedback from someone who did not attend.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django import forms
from django.core.validators import validate_email

from ever6.web.forms import DateField
from ever6.web.schools.models import School
from ever6.web.training.models import (
    SCHOOL_ROLES,
    Attendance,
    AttendeeRole,
    Audience,
    Course,
    Delivery,
    Session,
)

MAX_DURATION_MINUTES = 5 * 24 * 60  # a five-day course
MAX_CAPACITY = 1000
TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*(am|pm)?\s*$", re.IGNORECASE)
EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"


def parse_time(text: str) -> time | None:
    """``14:30``, ``9.15``, ``2:30pm``; ``None`` when it is not a real time of day."""
    match = TIME.match(text or "")
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2)), (match.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def clean_email(value: str) -> str:
    """An email address in lower case, or a GOV.UK error."""
    email = (value or "").strip().lower()
    if not email:
        raise forms.ValidationError("Enter an email address")
    try:
        validate_email(email)
    except forms.ValidationError as exc:
        raise forms.ValidationError(EMAIL_MESSAGE) from exc
    return email


class CourseForm(forms.Form):
    title = forms.CharField(max_length=200, error_messages={"required": "Enter the title of the course"})
    audience = forms.ChoiceField(choices=Audience.choices, error_messages={"required": "Select who the course is for"})
    description = forms.CharField(required=False, max_length=4000, widget=forms.Textarea)
    duration_minutes = forms.CharField(error_messages={"required": "Enter how long the course lasts, in minutes"})
    provider = forms.CharField(
        max_length=200, error_messages={"required": "Enter who provides the course, for example Virtual School"}
    )
    active = forms.BooleanField(required=False)

    def __init__(self, *args: Any, course: Course | None = None, **kwargs: Any) -> None:
        self.course = course
        super().__init__(*args, **kwargs)

    def clean_title(self) -> str:
        title = " ".join(str(self.cleaned_data.get("title") or "").split())
        if not title:
            raise forms.ValidationError("Enter the title of the course")
        others = Course.objects.filter(title__iexact=title)
        if self.course is not None:
            others = others.exclude(pk=self.course.pk)
        if others.exists():
            raise forms.ValidationError("A course with this title already exists: choose a different title")
        return title

    def clean_provider(self) -> str:
        provider = str(self.cleaned_data.get("provider") or "").strip()
        if not provider:
            raise forms.ValidationError("Enter who provides the course, for example Virtual School")
        return provider

    def clean_description(self) -> str:
        return str(self.cleaned_data.get("description") or "").strip()

    def clean_duration_minutes(self) -> int:
        text = str(self.cleaned_data.get("duration_minutes") or "").strip()
        if not text.isdigit():
            raise forms.ValidationError("Duration must be a whole number of minutes, like 90")
        minutes = int(text)
        if not 1 <= minutes <= MAX_DURATION_MINUTES:
            raise forms.ValidationError(f"Duration must be between 1 and {MAX_DURATION_MINUTES:,} minutes")
        return minutes


class SessionForm(forms.Form):
    date = DateField(what="Date of the session", required=True, error_messages={"required": "Enter the date"})
    start_time = forms.CharField(error_messages={"required": "Enter the start time, like 14:30"})
    delivery = forms.ChoiceField(
        choices=[(str(Delivery.IN_PERSON), "In person"), (str(Delivery.ONLINE), "Online")],
        error_messages={"required": "Select whether the session is in person or online"},
    )
    location = forms.CharField(
        max_length=300, error_messages={"required": "Enter the venue, or how to join the session online"}
    )
    capacity = forms.CharField(error_messages={"required": "Enter the number of places"})
    trainer = forms.CharField(max_length=200, error_messages={"required": "Enter the name of the trainer"})

    def __init__(self, *args: Any, session: Session | None = None, **kwargs: Any) -> None:
        self.session = session
        super().__init__(*args, **kwargs)
        self.fields["date"].error_messages["required"] = "Enter the date of the session"

    def clean_start_time(self) -> time:
        parsed = parse_time(str(self.cleaned_data.get("start_time") or ""))
        if parsed is None:
            raise forms.ValidationError("Start time must be a real time, like 09:30 or 14:00")
        return parsed

    def clean_location(self) -> str:
        return str(self.cleaned_data.get("location") or "").strip()

    def clean_trainer(self) -> str:
        return str(self.cleaned_data.get("trainer") or "").strip()

    def clean_capacity(self) -> int:
        text = str(self.cleaned_data.get("capacity") or "").strip()
        if not text.isdigit():
            raise forms.ValidationError("Number of places must be a whole number, like 20")
        places = int(text)
        if not 1 <= places <= MAX_CAPACITY:
            raise forms.ValidationError(f"Number of places must be between 1 and {MAX_CAPACITY:,}")
        if self.session is not None:
            taken = self.session.registrations.count()
            if places < taken:
                raise forms.ValidationError(
                    f"Number of places must be at least {taken}: that many people are registered"
                )
        return places

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.session is not None and data.get("date") and data.get("start_time"):
            recorded = self.session.registrations.exclude(attendance=Attendance.NOT_RECORDED).exists()
            moved = Session(date=data["date"], start_time=data["start_time"])
            if recorded and not moved.has_started():
                self.add_error("date", "Attendance has been recorded, so the session cannot move into the future")
        return data


class RegistrationForm(forms.Form):
    attendee_name = forms.CharField(max_length=200, error_messages={"required": "Enter the attendee's full name"})
    email = forms.CharField(max_length=254, error_messages={"required": "Enter an email address"})
    role = forms.ChoiceField(choices=AttendeeRole.choices, error_messages={"required": "Select the attendee's role"})
    school = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select a school from the list"})

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        self.session = session
        super().__init__(*args, **kwargs)
        self.schools = {s.urn: s for s in School.objects.all()}
        self.fields["school"].choices = [("", "No school")] + [(s.urn, str(s)) for s in self.schools.values()]

    def clean_attendee_name(self) -> str:
        name = " ".join(str(self.cleaned_data.get("attendee_name") or "").split())
        if not name:
            raise forms.ValidationError("Enter the attendee's full name")
        return name

    def clean_email(self) -> str:
        email = clean_email(str(self.cleaned_data.get("email") or ""))
        if self.session.registrations.filter(email=email).exists():
            raise forms.ValidationError("This email address is already registered for this session")
        return email

    def clean_school(self) -> School | None:
        urn = str(self.cleaned_data.get("school") or "")
        if not urn:
            return None
        school = self.schools.get(urn)
        if school is None:
            raise forms.ValidationError("Select a school from the list")
        return school

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role in SCHOOL_ROLES and "school" not in self.errors and data.get("school") is None:
            label = dict(AttendeeRole.choices)[role]
            self.add_error("school", f"Select the school of the {label}")
        capacity = self.session.capacity
        if capacity is not None and self.session.registrations.count() >= capacity:
            raise forms.ValidationError(f"This session is full: all {capacity} places are taken")
        return data


class AttendanceForm(forms.Form):
    """One pair of radios per registration: attended or did not attend (blank: not recorded yet)."""

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        self.session = session
        super().__init__(*args, **kwargs)
        self.registrations = list(session.registrations.all())
        for reg in self.registrations:
            self.fields[f"attendance_{reg.pk}"] = forms.ChoiceField(
                required=False,
                choices=[(str(Attendance.ATTENDED), "Attended"), (str(Attendance.DID_NOT_ATTEND), "Did not attend")],
                label=reg.attendee_name,
                initial="" if reg.attendance == Attendance.NOT_RECORDED else reg.attendance,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.session.has_started():
            raise forms.ValidationError(
                "Attendance can be recorded only once the session has happened: it starts " + self.session.when
            )
        for reg in self.registrations:
            name = f"attendance_{reg.pk}"
            chosen = data.get(name) or ""
            if reg.attendance != Attendance.NOT_RECORDED and not chosen:
                self.add_error(name, f"Select whether {reg.attendee_name} attended")
            if chosen == Attendance.DID_NOT_ATTEND and reg.feedback_score is not None:
                self.add_error(name, f"{reg.attendee_name} has given feedback, so must be recorded as attended")
        return data

    def changes(self) -> dict[int, str]:
        """Registration id to its new attendance, for those that changed."""
        out = {}
        for reg in self.registrations:
            chosen = self.cleaned_data.get(f"attendance_{reg.pk}") or ""
            if chosen and chosen != reg.attendance:
                out[reg.pk] = chosen
        return out


class FeedbackForm(forms.Form):
    score = forms.ChoiceField(
        choices=[(str(n), str(n)) for n in range(1, 6)],
        error_messages={"required": "Select a score from 1 to 5", "invalid_choice": "Select a score from 1 to 5"},
    )
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)

    def __init__(self, *args: Any, attended: bool, **kwargs: Any) -> None:
        self.attended = attended
        super().__init__(*args, **kwargs)

    def clean_score(self) -> int:
        return int(self.cleaned_data["score"])

    def clean_comment(self) -> str:
        return str(self.cleaned_data.get("comment") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.attended:
            raise forms.ValidationError("Feedback can be recorded only for someone who attended the session")
        return data
