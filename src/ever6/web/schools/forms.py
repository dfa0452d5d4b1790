"""The Virtual School's form for a school's data sharing agreement: a new record of its state.

Dates are GOV.UK date inputs (day, month and year boxes) with the GOV.UK error messages; the signed
copy must be a PDF by its content, not only by its name.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from ever6.web.schools.models import AgreementStatus

MAX_SIGNED_COPY_BYTES = 5 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
DATE_PARTS = ("day", "month", "year")


class DateWidget(forms.MultiWidget):
    """Three text boxes named ``<name>_day``, ``<name>_month`` and ``<name>_year``."""

    def __init__(self) -> None:
        super().__init__(widgets={part: forms.TextInput() for part in DATE_PARTS})

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the day box, as the GOV.UK date input pattern says.
        return f"{id_}_day" if id_ else id_


class DateField(forms.Field):
    """A GOV.UK date input: empty, or a real date; optionally not after today."""

    widget = DateWidget

    def __init__(self, *, what: str, not_future: bool = False, **kwargs: Any) -> None:
        self.what = what  # as in the error messages: "Date signed must be a real date"
        self.not_future = not_future
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        parts = [str(p).strip() if p is not None else "" for p in (value or ["", "", ""])]
        if not any(parts):
            return None
        missing = [part for part, text in zip(DATE_PARTS, parts, strict=True) if not text]
        if missing:
            raise forms.ValidationError(f"{self.what} must include a {' and a '.join(missing)}")
        day, month, year = parts
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise forms.ValidationError(f"{self.what} must be a real date")
        if len(year) != 4:
            raise forms.ValidationError("Year must include 4 numbers")
        try:
            result = date(int(year), int(month), int(day))
        except ValueError as exc:
            raise forms.ValidationError(f"{self.what} must be a real date") from exc
        if self.not_future and result > timezone.localdate():
            raise forms.ValidationError(f"{self.what} must be today or in the past")
        return result


def looks_like_pdf(upload: Any) -> bool:
    """Whether the file starts as every PDF does (``%PDF-``), whatever its name or declared type."""
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    return bool(head == PDF_MAGIC)


class AgreementForm(forms.Form):
    status = forms.ChoiceField(
        choices=AgreementStatus.choices, error_messages={"required": "Select the state of the agreement"}
    )
    version = forms.CharField(
        max_length=20, required=False, help_text="The version of the agreement, as printed on it, for example 2026.1"
    )
    sent_on = DateField(what="Date sent", not_future=True)
    signed_on = DateField(what="Date signed", not_future=True)
    expires_on = DateField(what="Expiry date")
    signed_copy = forms.FileField(required=False)

    def clean_version(self) -> str:
        return str(self.cleaned_data.get("version") or "").strip()

    def clean_signed_copy(self) -> Any:
        upload: Any = self.cleaned_data.get("signed_copy")  # an UploadedFile, or None
        if not upload:
            return None
        if upload.size is not None and upload.size > MAX_SIGNED_COPY_BYTES:
            raise forms.ValidationError("The selected file must be smaller than 5MB")
        if not (upload.name or "").lower().endswith(".pdf") or not looks_like_pdf(upload):
            raise forms.ValidationError("The selected file must be a PDF")
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        sent, signed, expires = data.get("sent_on"), data.get("signed_on"), data.get("expires_on")
        if status == AgreementStatus.SENT and "sent_on" not in self.errors and sent is None:
            self.add_error("sent_on", "Enter the date the agreement was sent")
        if status == AgreementStatus.SIGNED and "signed_on" not in self.errors and signed is None:
            self.add_error("signed_on", "Enter the date the agreement was signed")
        if status in (AgreementStatus.NOT_SENT, AgreementStatus.SENT) and signed is not None:
            self.add_error("signed_on", "Remove the date signed, or choose Signed")
        if sent and signed and signed < sent:
            self.add_error("signed_on", "Date signed must be the same as or after the date sent")
        if expires and signed and expires <= signed:
            self.add_error("expires_on", "Expiry date must be after the date signed")
        if expires and sent and not signed and expires <= sent:
            self.add_error("expires_on", "Expiry date must be after the date sent")
        return data


def date_items(form: AgreementForm, name: str) -> list[dict[str, Any]]:
    """The GOV.UK date input's ``items`` for one date field: its boxes' names, ids and values."""
    bound = form[name]
    values = bound.value()
    if not isinstance(values, (list, tuple)):
        values = DateWidget().decompress(values)
    has_error = name in form.errors
    widths = {"day": 2, "month": 2, "year": 4}
    return [
        {
            "name": f"{name}_{part}",
            "id": f"{bound.auto_id}_{part}",
            "label": part.capitalize(),
            "value": "" if value is None else str(value),
            "classes": f"govuk-input--width-{widths[part]}" + (" govuk-input--error" if has_error else ""),
        }
        for part, value in zip(DATE_PARTS, values, strict=True)
    ]
