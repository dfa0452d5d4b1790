"""The data manager's forms: the as-at date of a refresh, and a decision on a pair in the review queue."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms


class RefreshForm(forms.Form):
    """A GOV.UK date input (day, month, year as three fields) for the refresh's as-at date."""

    as_at_day = forms.CharField(required=False)
    as_at_month = forms.CharField(required=False)
    as_at_year = forms.CharField(required=False)

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or date.today()
        if not self.is_bound:
            self.initial = {
                "as_at_day": str(self.today.day),
                "as_at_month": str(self.today.month),
                "as_at_year": str(self.today.year),
            }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = [str(data.get(f"as_at_{p}") or "").strip() for p in ("day", "month", "year")]
        if not any(parts):
            self.add_error("as_at_day", "Enter the as-at date")
            return data
        names = ("day", "month", "year")
        missing = [name for name, value in zip(names, parts, strict=True) if not value]
        if missing:
            self.add_error(f"as_at_{missing[0]}", f"The as-at date must include a {' and a '.join(missing)}")
            return data
        try:
            day, month, year = (int(p) for p in parts)
            as_at = date(year, month, day)
        except ValueError:
            self.add_error("as_at_day", "The as-at date must be a real date, for example 31 3 2026")
            return data
        if len(parts[2]) != 4:
            self.add_error("as_at_year", "Year must include 4 numbers")
        elif as_at > self.today:
            self.add_error("as_at_day", "The as-at date must be today or in the past")
        else:
            data["as_at"] = as_at
        return data


class DecisionForm(forms.Form):
    """Accept or reject one pair; the reason is kept with the decision and in the audit log."""

    la_child_id = forms.CharField(max_length=64)
    upn = forms.CharField(max_length=20)
    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("reject", "Reject")],
        error_messages={"required": "Choose accept or reject", "invalid_choice": "Choose accept or reject"},
    )
    reason = forms.CharField(
        max_length=500,
        error_messages={
            "required": "Enter the reason for your decision",
            "max_length": "The reason must be 500 characters or fewer",
        },
    )
