"""The schools app's kinds of bulk import: named contacts and data sharing agreements.

Each row is validated by the same form the pages use (:class:`ContactForm`, :class:`AgreementForm`),
so a row is refused for exactly the reasons the page would refuse it, with the same messages; a
row must also name a school in the register by URN (or local identifier), and the same record may
not appear twice in one file. Registered from :class:`ever6.web.schools.apps.SchoolsConfig`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ever6.web import bulk
from ever6.web.schools.forms import AgreementForm, ContactForm
from ever6.web.schools.models import (
    AgreementStatus,
    ChangeAction,
    Contact,
    ContactRole,
    DataSharingAgreement,
    School,
    record_contact_change,
)

DATE_HELP = "A date like 27/03/2026 or 2026-03-27; today or earlier"


def _schools(context: bulk.Context) -> dict[str, School]:
    cached: dict[str, School] | None = context.cache.get("schools")
    if cached is None:
        cached = {s.urn: s for s in School.objects.all()}
        context.cache["schools"] = cached
    return cached


def _school(values: dict[str, str], context: bulk.Context, errors: list[tuple[str, str]]) -> School | None:
    urn = values["urn"].strip()
    if not urn:
        errors.append(("urn", "Enter the school's URN"))
        return None
    school = _schools(context).get(urn)
    if school is None:
        errors.append(("urn", f"No school or setting in the register has the URN {urn}"))
    return school


def _choice(values: dict[str, str], column: str, choices: list[tuple[str, str]], errors: list[tuple[str, str]]) -> str:
    """A choice by its code or its label, ignoring case: ``SENCO``, ``senco`` or ``Senco``."""
    text = values[column]
    wanted = " ".join(text.lower().split())
    if not wanted:
        return ""  # the form says it is needed
    for value, label in choices:
        if wanted in (value.lower(), label.lower(), value.replace("_", " ").lower()):
            return value
    errors.append((column, f"{column.capitalize()} must be one of: {', '.join(label for _, label in choices)}"))
    return ""


def _dates(
    values: dict[str, str], names: tuple[str, ...], labels: dict[str, str], errors: list[tuple[str, str]]
) -> dict[str, str]:
    parts: dict[str, str] = {}
    for name in names:
        try:
            day = bulk.parse_date(values[name])
        except ValueError:
            errors.append((name, f"{labels[name]} must be a real date, like 27/03/2026 or 2026-03-27"))
            day = None
        parts.update(bulk.date_parts(name, day))
    return parts


def _form_errors(form: Any, errors: list[tuple[str, str]]) -> None:
    already = {column for column, _ in errors}
    for name, messages in form.errors.items():
        if name in already:
            continue  # the cell could not be read at all; that error says so
        errors.extend((name if name != "__all__" else "urn", str(m)) for m in messages)


# --- contacts ----------------------------------------------------------------------------------

CONTACT_COLUMNS = (
    bulk.Column("urn", "The school's URN, or the setting's local identifier (L00001)", True, "100001"),
    bulk.Column("name", "The contact's full name", True, "Priya Shah"),
    bulk.Column(
        "role",
        "One of: " + ", ".join(label for _, label in ContactRole.choices),
        True,
        dict(ContactRole.choices)["dsl"],
    ),
    bulk.Column("email", "Their work email address", True, "p.shah@example.sch.uk"),
    bulk.Column("phone", "A UK telephone number (optional)", False, "01632 960 001"),
    bulk.Column("from_date", f"When they started in the role (optional). {DATE_HELP}", False, "01/09/2024"),
    bulk.Column("to_date", f"When they left the role, if they have (optional). {DATE_HELP}", False, ""),
    bulk.Column("notes", "Anything else the Virtual School should know (optional)", False, ""),
)
CONTACT_DATE_LABELS = {"from_date": "From date", "to_date": "To date"}


def validate_contact(values: dict[str, str], context: bulk.Context) -> bulk.Checked:
    errors: list[tuple[str, str]] = []
    school = _school(values, context, errors)
    data = {
        "name": values["name"],
        "role": _choice(values, "role", ContactRole.choices, errors),
        "email": values["email"],
        "phone": values["phone"],
        "notes": values["notes"],
        **_dates(values, ("from_date", "to_date"), CONTACT_DATE_LABELS, errors),
    }
    # Every check, whether or not the URN was found: a row's errors are reported all at once.
    form = ContactForm(data, school=school)
    if not form.is_valid():
        _form_errors(form, errors)
    elif school is not None and not errors:
        cleaned = form.cleaned_data
        key = (school.urn, cleaned["role"], cleaned["email"].lower())
        if key in context.seen:
            errors.append(("email", f"Row {context.seen[key]} has the same person in the same role at this school"))
        else:
            context.seen[key] = context.row
    if errors or school is None:
        return bulk.Checked(errors=errors)
    record = form.apply(Contact(school=school))
    return bulk.Checked(
        record=record, summary=f"{record.name}, {record.get_role_display()} at {school.name} ({school.urn})"
    )


def save_contacts(records: list[Any], context: bulk.Context) -> int:
    for contact in records:
        contact.created_by = context.username
        contact.save()
        record_contact_change(contact, str(ChangeAction.IMPORTED), None, context.username)
    return len(records)


# --- agreements --------------------------------------------------------------------------------

AGREEMENT_COLUMNS = (
    bulk.Column("urn", "The school's URN, or the setting's local identifier (L00001)", True, "100001"),
    bulk.Column("status", "One of: " + ", ".join(label for _, label in AgreementStatus.choices), True, "Signed"),
    bulk.Column("version", "The version printed on the agreement (optional)", False, "2026.1"),
    bulk.Column("sent_on", f"When it was sent to the school (needed if Sent). {DATE_HELP}", False, "03/03/2026"),
    bulk.Column("signed_on", f"When it was signed (needed if Signed). {DATE_HELP}", False, "20/03/2026"),
    bulk.Column("expires_on", "When it expires, if it does: after the date signed", False, "31/08/2027"),
)
AGREEMENT_DATE_LABELS = {"sent_on": "Date sent", "signed_on": "Date signed", "expires_on": "Expiry date"}


def validate_agreement(values: dict[str, str], context: bulk.Context) -> bulk.Checked:
    errors: list[tuple[str, str]] = []
    school = _school(values, context, errors)
    data = {
        "status": _choice(values, "status", AgreementStatus.choices, errors),
        "version": values["version"],
        **_dates(values, ("sent_on", "signed_on", "expires_on"), AGREEMENT_DATE_LABELS, errors),
    }
    form = AgreementForm(data)
    valid = form.is_valid()
    if not valid:
        _form_errors(form, errors)
    if school is not None:
        if school.urn in context.seen:
            errors.append(("urn", f"Row {context.seen[school.urn]} is also for this school: one record per school"))
        else:
            context.seen[school.urn] = context.row
    if errors or school is None:
        return bulk.Checked(errors=errors)
    cleaned = form.cleaned_data
    record = DataSharingAgreement(
        school=school,
        status=cleaned["status"],
        version=cleaned["version"],
        sent_on=cleaned.get("sent_on"),
        signed_on=cleaned.get("signed_on"),
        expires_on=cleaned.get("expires_on"),
    )
    return bulk.Checked(record=record, summary=f"{school.name} ({school.urn}): {record.get_status_display().lower()}")


def save_agreements(records: list[Any], context: bulk.Context) -> int:
    now = timezone.now()
    for i, agreement in enumerate(records):
        agreement.recorded_by = context.username
        # After every earlier record (the latest counts), in the file's order.
        agreement.recorded_at = now + timedelta(microseconds=i)
        agreement.save()
    return len(records)


def register() -> None:
    bulk.register(
        bulk.Importer(
            kind="contacts",
            label="Named contacts",
            noun="contacts",
            columns=CONTACT_COLUMNS,
            validate=validate_contact,
            save=save_contacts,
        )
    )
    bulk.register(
        bulk.Importer(
            kind="agreements",
            label="Data sharing agreements",
            noun="agreement records",
            columns=AGREEMENT_COLUMNS,
            validate=validate_agreement,
            save=save_agreements,
        )
    )
