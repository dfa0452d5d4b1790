"""Forms for the advice line, clinics and interventions, shown with GOV.UK components.

Every free-text field a child could be described in is refused when it holds a UPN
(:func:`ever6.web.support.anonymity.refuse_upn`); dates use the GOV.UK date input
(:class:`ever6.web.forms.DateField`) with its error messages.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from ever6.web.forms import DateField
from ever6.web.schools.models import School
from ever6.web.support.anonymity import refuse_upn
from ever6.web.support.models import (
    Attendance,
    BookerType,
    Booking,
    Category,
    Channel,
    Clinic,
    CostBand,
    EnquirerType,
    Evidence,
    Intervention,
    Mode,
    Outcome,
    Partner,
    Phase,
    Source,
)

SCHOOL_FROM_LIST = {"invalid_choice": "Select a school from the list"}
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def school_choices(blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(s.urn, f"{s.name} ({s.urn})") for s in School.objects.only("urn", "name")]


def intervention_choices(*keep: int) -> list[tuple[str, str]]:
    """Interventions recommended now, and any retired one already linked (``keep``)."""
    query = Intervention.objects.filter(active=True) | Intervention.objects.filter(pk__in=keep)
    return [(str(i.pk), i.name) for i in query.distinct().order_by("name")]


class ChoicesForm(forms.Form):
    """A form whose unknown choices get a GOV.UK message (the field's own "Select the category"),
    not Django's "Select a valid choice. X is not one of the available choices"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = forms.ChoiceField.default_error_messages
        for field in self.fields.values():
            if not isinstance(field, forms.ChoiceField):
                continue
            if isinstance(field, forms.MultipleChoiceField):
                field.error_messages["invalid_choice"] = "Select only items from the list"
            elif field.error_messages["invalid_choice"] == defaults["invalid_choice"]:
                own = field.error_messages.get("required")
                field.error_messages["invalid_choice"] = (
                    own
                    if own and own != forms.Field.default_error_messages["required"]
                    else "Select an option from the list"
                )


def _text(form: forms.Form, name: str, what: str) -> str:
    value = str(form.cleaned_data.get(name) or "").strip()
    refuse_upn(value, what)
    return value


def _school(urn: str) -> School | None:
    return School.objects.filter(urn=urn).first() if urn else None


class InterventionForm(ChoicesForm):
    name = forms.CharField(max_length=200, error_messages={"required": "Enter the name of the intervention"})
    description = forms.CharField(
        max_length=4000, error_messages={"required": "Enter a description of the intervention"}
    )
    source = forms.ChoiceField(choices=Source.choices, error_messages={"required": "Select the source of evidence"})
    evidence = forms.ChoiceField(
        choices=Evidence.choices, error_messages={"required": "Select the strength of the evidence"}
    )
    cost_band = forms.ChoiceField(choices=CostBand.choices, error_messages={"required": "Select the cost band"})
    phase = forms.ChoiceField(choices=Phase.choices, error_messages={"required": "Select the phase"})
    link = forms.URLField(
        max_length=500,
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter a web address in the correct format, like https://www.example.org/page"},
    )
    active = forms.ChoiceField(
        choices=(("yes", "Yes"), ("no", "No, it is kept for the record")),
        error_messages={"required": "Select whether the Virtual School recommends it now"},
    )

    def __init__(self, *args: Any, instance: Intervention | None = None, **kwargs: Any) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "").strip()
        taken = Intervention.objects.filter(name__iexact=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("An intervention with this name is already in the library")
        return name

    def clean_description(self) -> str:
        return _text(self, "description", "The description")

    def clean_link(self) -> str:
        link = str(self.cleaned_data.get("link") or "").strip()
        if link and not link.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Enter a web address that starts with https://")
        return link

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        evidence, source = data.get("evidence", ""), data.get("source")
        if evidence.startswith("p") and source and source != Source.EEF:
            self.add_error(
                "evidence", "Padlocks are the EEF's rating: for another source choose low, moderate or strong"
            )
        return data

    def save(self, who: str) -> Intervention:
        item = self.instance or Intervention(recorded_by=who)
        data = self.cleaned_data
        for field in ("name", "description", "source", "evidence", "cost_band", "phase", "link"):
            setattr(item, field, data[field])
        item.active = data["active"] == "yes"
        item.save()
        return item


class RecommendationForm(ChoicesForm):
    school = forms.ChoiceField(error_messages={"required": "Select the school", **SCHOOL_FROM_LIST})
    recommended_on = DateField(
        what="Date recommended",
        not_future=True,
        required=True,
        error_messages={"required": "Enter the date the intervention was recommended"},
    )
    note = forms.CharField(
        max_length=2000,
        required=False,
        help_text="Why, and for which group: for example, pupils with a social worker in Years 7 and 8. "
        "Do not name a child or give a date of birth.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = school_choices("Select a school")

    def clean_note(self) -> str:
        return _text(self, "note", "The note")

    def clean_school(self) -> School:
        school = _school(self.cleaned_data.get("school", ""))
        if school is None:
            raise forms.ValidationError("Select a school from the list")
        return school


class EnquiryForm(ChoicesForm):
    received_on = DateField(
        what="Date received",
        not_future=True,
        required=True,
        error_messages={"required": "Enter the date the enquiry was received"},
    )
    channel = forms.ChoiceField(choices=Channel.choices, error_messages={"required": "Select how the enquiry came in"})
    enquirer_type = forms.ChoiceField(
        choices=EnquirerType.choices, error_messages={"required": "Select who made the enquiry"}
    )
    enquirer_name = forms.CharField(max_length=150, error_messages={"required": "Enter the enquirer's name"})
    enquirer_email = forms.EmailField(max_length=254, required=False, error_messages={"invalid": EMAIL_FORMAT})
    school = forms.ChoiceField(required=False, error_messages=SCHOOL_FROM_LIST)
    category = forms.ChoiceField(choices=Category.choices, error_messages={"required": "Select the category"})
    question = forms.CharField(max_length=4000, error_messages={"required": "Enter the question"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = school_choices("Not about one school")

    def clean_enquirer_name(self) -> str:
        return _text(self, "enquirer_name", "The enquirer's name")

    def clean_question(self) -> str:
        return _text(self, "question", "The question")

    def clean_school(self) -> School | None:
        urn = self.cleaned_data.get("school", "")
        school = _school(urn)
        if urn and school is None:
            raise forms.ValidationError("Select a school from the list")
        return school


class ResponseForm(ChoicesForm):
    response = forms.CharField(max_length=6000, error_messages={"required": "Enter the response"})
    responded_on = DateField(
        what="Date responded",
        not_future=True,
        required=True,
        error_messages={"required": "Enter the date the enquiry was answered"},
    )
    outcome = forms.ChoiceField(choices=[("", "Not yet known"), *Outcome.choices], required=False)
    closed = forms.ChoiceField(
        choices=(("no", "No, keep it open for follow-up"), ("yes", "Yes, close the enquiry")),
        error_messages={"required": "Select whether the enquiry is closed"},
    )
    interventions = forms.MultipleChoiceField(required=False)

    def __init__(self, *args: Any, received_on: date, linked: tuple[int, ...] = (), **kwargs: Any) -> None:
        self.received_on = received_on
        super().__init__(*args, **kwargs)
        self.fields["interventions"].choices = intervention_choices(*linked)

    def clean_response(self) -> str:
        return _text(self, "response", "The response")

    def clean_responded_on(self) -> date:
        day: date = self.cleaned_data["responded_on"]  # required: only called with a date
        if day < self.received_on:
            raise forms.ValidationError(
                f"Date responded must be the same as or after the date received ({self.received_on:%d/%m/%Y})"
            )
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("closed") == "yes" and not data.get("outcome"):
            self.add_error("outcome", "Select the outcome before closing the enquiry")
        return data


def _time(text: str) -> time | None:
    match = TIME.match(text or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


class ClinicForm(ChoicesForm):
    partner = forms.ChoiceField(choices=Partner.choices, error_messages={"required": "Select the partner"})
    topic = forms.CharField(max_length=200, error_messages={"required": "Enter the topic of the session"})
    day = DateField(
        what="Date of the session", required=True, error_messages={"required": "Enter the date of the session"}
    )
    start_time = forms.CharField(max_length=5, error_messages={"required": "Enter the start time"})
    duration_minutes = forms.IntegerField(
        min_value=15,
        max_value=480,
        error_messages={
            "required": "Enter how long the session lasts, in minutes",
            "invalid": "Length must be a whole number of minutes, like 90",
            "min_value": "Length must be 15 minutes or more",
            "max_value": "Length must be 480 minutes (8 hours) or less",
        },
    )
    mode = forms.ChoiceField(choices=Mode.choices, error_messages={"required": "Select in person or online"})
    location = forms.CharField(
        max_length=200, error_messages={"required": "Enter where the session is, or the online meeting service"}
    )
    capacity = forms.IntegerField(
        min_value=1,
        max_value=200,
        error_messages={
            "required": "Enter the number of places",
            "invalid": "Places must be a whole number, like 6",
            "min_value": "Places must be 1 or more",
            "max_value": "Places must be 200 or fewer",
        },
    )

    def __init__(self, *args: Any, instance: Clinic | None = None, **kwargs: Any) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)

    def clean_start_time(self) -> time:
        value = _time(self.cleaned_data.get("start_time", ""))
        if value is None:
            raise forms.ValidationError("Start time must be a real time in 24-hour format, like 09:30 or 14:00")
        return value

    def clean_topic(self) -> str:
        return _text(self, "topic", "The topic")

    def clean_capacity(self) -> int:
        capacity = int(self.cleaned_data["capacity"])
        if self.instance is not None and capacity < (taken := self.instance.places_taken()):
            raise forms.ValidationError(f"Places must be at least the {taken} already booked")
        return capacity

    def starts_at(self) -> datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.combine(data["day"], data["start_time"]))

    def save(self, who: str) -> Clinic:
        clinic = self.instance or Clinic(recorded_by=who)
        data = self.cleaned_data
        clinic.partner, clinic.topic, clinic.mode = data["partner"], data["topic"], data["mode"]
        clinic.location = data["location"].strip()
        clinic.duration_minutes, clinic.capacity = data["duration_minutes"], data["capacity"]
        clinic.starts_at = self.starts_at()
        clinic.save()
        return clinic


class SummaryForm(ChoicesForm):
    summary = forms.CharField(max_length=8000, error_messages={"required": "Enter the summary of the session"})
    interventions = forms.MultipleChoiceField(required=False)

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        self.clinic = clinic
        super().__init__(*args, **kwargs)
        linked = tuple(clinic.interventions.values_list("pk", flat=True))
        self.fields["interventions"].choices = intervention_choices(*linked)

    def clean_summary(self) -> str:
        if not self.clinic.has_started():
            raise forms.ValidationError("The summary can be recorded once the session has started")
        return _text(self, "summary", "The summary")


class BookingForm(ChoicesForm):
    booker_type = forms.ChoiceField(choices=BookerType.choices, error_messages={"required": "Select who is booking"})
    name = forms.CharField(max_length=150, error_messages={"required": "Enter the name of the person booking"})
    email = forms.EmailField(
        max_length=254, error_messages={"required": "Enter an email address", "invalid": EMAIL_FORMAT}
    )
    school = forms.ChoiceField(required=False, error_messages=SCHOOL_FROM_LIST)

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        self.clinic = clinic
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = school_choices("No school (for example, a social worker)")

    def clean_name(self) -> str:
        return _text(self, "name", "The name")

    def clean_email(self) -> str:
        email = str(self.cleaned_data.get("email") or "").strip()
        booked = self.clinic.bookings.exclude(attendance=Attendance.CANCELLED)
        if booked.filter(email__iexact=email).exists():
            raise forms.ValidationError("This email address already has a place at this session")
        return email

    def clean_school(self) -> School | None:
        urn = self.cleaned_data.get("school", "")
        school = _school(urn)
        if urn and school is None:
            raise forms.ValidationError("Select a school from the list")
        return school

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("booker_type") == BookerType.SCHOOL and "school" not in self.errors and not data.get("school"):
            self.add_error("school", "Select the school the booking is for")
        if self.clinic.places_taken() >= self.clinic.capacity:
            self.add_error(None, f"The session is full: all {self.clinic.capacity} places are booked")
        return data

    def save(self, who: str) -> Booking:
        data = self.cleaned_data
        return Booking.objects.create(
            clinic=self.clinic,
            booker_type=data["booker_type"],
            name=data["name"],
            email=data["email"],
            school=data.get("school"),
            recorded_by=who,
        )


class AttendanceForm(ChoicesForm):
    """One choice per booking, named ``booking_<id>``."""

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        self.clinic = clinic
        self.bookings = list(clinic.bookings.select_related("school"))
        super().__init__(*args, **kwargs)
        for booking in self.bookings:
            self.fields[f"booking_{booking.pk}"] = forms.ChoiceField(
                choices=Attendance.choices,
                initial=booking.attendance,
                error_messages={"required": f"Select whether {booking.name} attended"},
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.clinic.has_started():
            for booking in self.bookings:
                name = f"booking_{booking.pk}"
                if data.get(name) in (Attendance.ATTENDED, Attendance.DID_NOT_ATTEND):
                    self.add_error(name, f"{booking.name}: attendance can be recorded once the session has started")
        return data

    def save(self) -> int:
        changed = 0
        for booking in self.bookings:
            value = self.cleaned_data[f"booking_{booking.pk}"]
            if booking.attendance != value:
                booking.attendance = value
                booking.save(update_fields=["attendance"])
                changed += 1
        return changed


class ActionForm(ChoicesForm):
    text = forms.CharField(max_length=2000, error_messages={"required": "Enter the agreed action"})
    owner = forms.CharField(
        max_length=150, error_messages={"required": "Enter who owns the action (a role or a professional's name)"}
    )
    due_on = DateField(what="Due date", required=True, error_messages={"required": "Enter the date the action is due"})
    done = forms.ChoiceField(choices=(("no", "No"), ("yes", "Yes")), required=False, initial="no")

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        self.clinic = clinic
        super().__init__(*args, **kwargs)

    def clean_text(self) -> str:
        return _text(self, "text", "The action")

    def clean_owner(self) -> str:
        return _text(self, "owner", "The owner")

    def clean_due_on(self) -> date:
        day: date = self.cleaned_data["due_on"]  # required: only called with a date
        session_day = timezone.localtime(self.clinic.starts_at).date()
        if day < session_day:
            raise forms.ValidationError(
                f"Due date must be the same as or after the date of the session ({session_day:%d/%m/%Y})"
            )
        return day
