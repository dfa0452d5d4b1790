"""The Virtual School's forms: a school's data sharing agreement (a new record of its state), a
setting added by hand, a named contact, and a tier decision.

Dates are GOV.UK date inputs (day, month and year boxes) with the GOV.UK error messages; the signed
copy must be a PDF by its content, not only by its name. The contact and agreement forms are also
what the bulk importer validates each row with, so a row is refused for exactly the reasons the
form would refuse it.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import validate_email

from ever6.postcode import normalise_postcode
from ever6.web.forms import DateField
from ever6.web.schools.models import AgreementStatus, Contact, ContactRole, School, SettingKind, Tier
from ever6.web.support.anonymity import refuse_upn

MAX_SIGNED_COPY_BYTES = 5 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


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


# --- contacts ------------------------------------------------------------------------------------

# A UK telephone number: 10 or 11 digits starting 0 (or +44 for the 0), spaces, hyphens, brackets
# and dots allowed between digits.
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_UK_PHONE = re.compile(r"0[1-9]\d{8,9}")


def normalise_phone(text: str) -> str:
    """``text`` if it is a UK telephone number (as typed, trimmed); raises ValidationError if not."""
    text = text.strip()
    if not text:
        return ""
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("+44"):
        digits = "0" + digits[3:].removeprefix("(0)").removeprefix("0")
    if not _UK_PHONE.fullmatch(digits):
        raise forms.ValidationError(
            "Enter a UK telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
        )
    return text


def _postcode(text: str) -> str:
    """A typed postcode in its normal form (``ever6.postcode``); "" when blank."""
    if not text.strip():
        return ""
    postcode = normalise_postcode(text)
    if postcode is None:
        raise forms.ValidationError("Enter a real postcode, like SW1A 1AA")
    return postcode


class ContactForm(forms.Form):
    """A named contact at a school; refuses the same person (email) in the same role twice."""

    name = forms.CharField(max_length=150, error_messages={"required": "Enter the contact's full name"})
    role = forms.ChoiceField(
        choices=ContactRole.choices, error_messages={"required": "Select the contact's role at the school"}
    )
    email = forms.CharField(max_length=254, error_messages={"required": "Enter the contact's email address"})
    phone = forms.CharField(max_length=20, required=False)
    from_date = DateField(what="Date they started in the role", not_future=True)
    to_date = DateField(what="Date they left the role", not_future=True)
    notes = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, school: School | None, instance: Contact | None = None, **kwargs: Any) -> None:
        self.school = school
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "role": instance.role,
                "email": instance.email,
                "phone": instance.phone,
                "from_date": instance.from_date,
                "to_date": instance.to_date,
                "notes": instance.notes,
            }
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["max_length"] = "Name must be 150 characters or fewer"
        self.fields["notes"].error_messages["max_length"] = "Notes must be 2,000 characters or fewer"

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data.get("name") or "").split())
        if not name:
            raise forms.ValidationError("Enter the contact's full name")
        return name

    def clean_email(self) -> str:
        email = str(self.cleaned_data.get("email") or "").strip()
        try:
            validate_email(email)
        except forms.ValidationError as exc:
            raise forms.ValidationError(
                "Enter an email address in the correct format, like name@example.sch.uk"
            ) from exc
        return email

    def clean_phone(self) -> str:
        return normalise_phone(str(self.cleaned_data.get("phone") or ""))

    def clean_notes(self) -> str:
        notes = str(self.cleaned_data.get("notes") or "").strip()
        refuse_upn(notes, "Notes")  # the same rule as the advice line's records
        return notes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from_date"), data.get("to_date")
        if start and end and end < start:
            self.add_error("to_date", "Date they left the role must be the same as or after the date they started")
        email, role = data.get("email"), data.get("role")
        # Without a school (a bulk import's row whose URN is wrong) the other checks still run.
        if email and role and self.school is not None:
            others = Contact.objects.filter(school=self.school, role=role, email__iexact=email)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error(
                    "email",
                    f"{email} is already recorded as the {ContactRole(role).label} at {self.school.name}",
                )
        return data

    def apply(self, contact: Contact) -> Contact:
        """Copy the cleaned values onto ``contact`` (not saved)."""
        for field in ("name", "role", "email", "phone", "from_date", "to_date", "notes"):
            setattr(contact, field, self.cleaned_data.get(field))
        contact.phone = contact.phone or ""
        contact.notes = contact.notes or ""
        return contact


# --- settings added by hand ---------------------------------------------------------------------

HAND_KINDS = [(k, label) for k, label in SettingKind.choices if k != SettingKind.SCHOOL]
KIND_PHASES = {SettingKind.EARLY_YEARS: "Nursery", SettingKind.COLLEGE: "16 plus", SettingKind.OTHER: ""}


class SettingForm(forms.Form):
    """An early years setting, college or other setting that is not in the GIAS list."""

    name = forms.CharField(max_length=200, error_messages={"required": "Enter the name of the setting"})
    kind = forms.ChoiceField(choices=HAND_KINDS, error_messages={"required": "Select the kind of setting"})
    urn = forms.CharField(max_length=8, required=False)
    type_name = forms.CharField(max_length=100, required=False)
    postcode = forms.CharField(max_length=10, required=False)
    in_la = forms.ChoiceField(
        choices=(("yes", "Yes"), ("no", "No")),
        error_messages={"required": "Select whether the setting is in this local authority"},
    )

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data.get("name") or "").split())
        if not name:
            raise forms.ValidationError("Enter the name of the setting")
        return name

    def clean_urn(self) -> str:
        urn = str(self.cleaned_data.get("urn") or "").strip()
        if not urn:
            return ""
        if not (urn.isdigit() and len(urn) in (6, 7)):
            raise forms.ValidationError("URN must be 6 or 7 numbers, like 100001, or leave it blank")
        existing = School.objects.filter(urn=urn).first()
        if existing is not None:
            raise forms.ValidationError(f"URN {urn} is already in the register: {existing.name}")
        return urn

    def clean_type_name(self) -> str:
        return str(self.cleaned_data.get("type_name") or "").strip()

    def clean_postcode(self) -> str:
        return _postcode(str(self.cleaned_data.get("postcode") or ""))


# --- tiers ---------------------------------------------------------------------------------------


class TierForm(forms.Form):
    tier = forms.ChoiceField(choices=Tier.choices, error_messages={"required": "Select the school's tier"})
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter the reason for the tier",
            "max_length": "Reason must be 2,000 characters or fewer",
        },
    )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise forms.ValidationError("Enter the reason for the tier")
        return reason
