from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from ever6.web.support.models import Clinic
from ever6.web.training.models import Session

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


class RoundUpForm(forms.Form):
    subject = forms.CharField(max_length=200, error_messages={"required": "Enter a subject"})
    news = forms.CharField(max_length=20000, widget=forms.Textarea, error_messages={"required": "Enter the news"})
    sessions = forms.ModelMultipleChoiceField(queryset=Session.objects.none(), required=False)
    clinics = forms.ModelMultipleChoiceField(queryset=Clinic.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = timezone.now()
        # Only what is still to come can be picked.
        self.fields["sessions"].queryset = (
            Session.objects.filter(date__gte=timezone.localdate()).select_related("course").order_by("date", "id")
        )
        self.fields["clinics"].queryset = Clinic.objects.filter(starts_at__gt=now).order_by("starts_at", "id")


class OptOutForm(forms.Form):
    email = forms.EmailField(
        max_length=254, error_messages={"required": "Enter the email address", "invalid": EMAIL_FORMAT}
    )
