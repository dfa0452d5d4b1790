"""A school's record of an event for one of its own pupils whose plan is open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from ever6.web.events.models import Kind, RemovalReason
from ever6.web.forms import DateField

YES_NO = (("yes", "Yes"), ("no", "No"))
# How far back a school may record an event: the duty is to tell the social worker without delay.
OLDEST_DAYS = 365


class RecordEventForm(forms.Form):
    pupil = forms.ChoiceField(error_messages={"required": "Select the pupil", "invalid_choice": "Select the pupil"})
    kind = forms.ChoiceField(
        choices=Kind.choices,
        error_messages={"required": "Select what happened", "invalid_choice": "Select what happened"},
    )
    event_date = DateField(what="Date", not_future=True)
    review_date = DateField(what="Review date")
    proposed_end_date = DateField(what="Proposed end date")
    carer_agreed = forms.ChoiceField(choices=YES_NO, required=False)
    removal_reason = forms.ChoiceField(choices=RemovalReason.choices, required=False)

    def __init__(self, *args: Any, pupils: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["pupil"]
        field.choices = pupils

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, start = data.get("kind"), data.get("event_date")
        if "event_date" not in self.errors:
            if start is None:
                self.add_error("event_date", "Enter the date it happened")
            elif start < timezone.localdate() - timedelta(days=OLDEST_DAYS):
                self.add_error("event_date", "Date must be within the last year")
        if kind == Kind.PART_TIME_TIMETABLE:
            self._part_time(data, start)
        else:
            data["review_date"] = data["proposed_end_date"] = None
            data["carer_agreed"] = ""
        if kind == Kind.REMOVED_FROM_ROLL:
            if not data.get("removal_reason"):
                self.add_error("removal_reason", "Select the reason the pupil was removed from roll")
        else:
            data["removal_reason"] = ""
        return data

    def _part_time(self, data: dict[str, Any], start: Any) -> None:
        review, end = data.get("review_date"), data.get("proposed_end_date")
        if "review_date" not in self.errors and review is None:
            self.add_error("review_date", "Enter the date the timetable will be reviewed")
        if "proposed_end_date" not in self.errors and end is None:
            self.add_error("proposed_end_date", "Enter the proposed end date of the timetable")
        if start and review and review < start:
            self.add_error("review_date", "Review date must be the same as or after the start date")
        if start and end and end <= start:
            self.add_error("proposed_end_date", "Proposed end date must be after the start date")
        if review and end and review > end:
            self.add_error("review_date", "Review date must be the same as or before the proposed end date")
        if not data.get("carer_agreed"):
            self.add_error("carer_agreed", "Select whether the parent or carer agreed to the timetable")
