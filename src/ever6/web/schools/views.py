"""The Virtual School's schools and settings register, data sharing agreements, named contacts
and tiers (partnership roles).

Every state of an agreement and every tier decision is a new record (the latest counts), and every
change to a contact is recorded (who, when, old and new values), so the history is kept. Coverage
counts come from the published snapshot: which schools hold Ever6 CWSW pupils without an agreement
in force, and how many children that leaves out of the school portal.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_http_methods

from ever6.access import Capability, NotPublished
from ever6.web.bodylimit import accepts_upload
from ever6.web.dashboard.tiers import TIER_LABELS, describe_rule
from ever6.web.forms import date_items
from ever6.web.guard import require, snapshot, viewer
from ever6.web.schools import profile
from ever6.web.schools.forms import (
    KIND_PHASES,
    MAX_SIGNED_COPY_BYTES,
    AgreementForm,
    ContactForm,
    SettingForm,
    TierForm,
)
from ever6.web.schools.models import (
    AgreementStatus,
    ChangeAction,
    Contact,
    ContactChange,
    ContactRole,
    DataSharingAgreement,
    School,
    Tier,
    TierDecision,
    contact_values,
    next_local_id,
    record_contact_change,
)
from ever6.web.schools.register import (
    KIND_LABELS,
    RegisterEntry,
    missing_roles,
    register_entries,
    tier_figures,
)
from ever6.web.schools.register import REGISTER_COLUMNS as LIST_COLUMNS
from ever6.web.tables import Table, download, requested_format

STATUS_LABELS = dict(AgreementStatus.choices)
NO_AGREEMENT = "none"  # a school with no agreement recorded: shown as "Not sent"

REGISTER_COLUMNS = (
    ("name", "School"),
    ("urn", "URN"),
    ("status", "Agreement status"),
    ("version", "Version"),
    ("sent_on", "Sent"),
    ("signed_on", "Signed"),
    ("expires_on", "Expires"),
    ("pupils", "Ever6 CWSW pupils"),
)
COVERAGE_COLUMNS = (
    ("name", "School"),
    ("urn", "URN"),
    ("status", "Agreement status"),
    ("pupils", "Ever6 CWSW pupils"),
)


def long_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


@dataclass(frozen=True)
class RegisterRow:
    school: School | None
    urn: str
    agreement: DataSharingAgreement | None
    pupils: int
    today: date

    @property
    def status(self) -> str:
        return self.agreement.effective_status(self.today) if self.agreement else str(AgreementStatus.NOT_SENT)

    @property
    def in_force(self) -> bool:
        return self.agreement is not None and self.agreement.in_force_on(self.today)

    def as_dict(self) -> dict[str, Any]:
        a = self.agreement
        return {
            "name": self.school.name if self.school else "Not in the schools register",
            "urn": self.urn,
            "status": STATUS_LABELS[self.status],
            "version": a.version if a else "",
            "sent_on": a.sent_on if a else None,
            "signed_on": a.signed_on if a else None,
            "expires_on": a.expires_on if a else None,
            "pupils": self.pupils,
        }


def _cohort_counts(request: HttpRequest) -> dict[str, int] | None:
    """Ever6 CWSW pupils per school from the latest refresh; ``None`` before the first one."""
    try:
        return snapshot().cohort_counts_by_school(viewer(request))
    except NotPublished:
        return None


def _latest_agreements() -> dict[str, DataSharingAgreement]:
    latest: dict[str, DataSharingAgreement] = {}
    for agreement in DataSharingAgreement.objects.select_related("school").order_by("-recorded_at", "-id"):
        latest.setdefault(agreement.school.urn, agreement)
    return latest


def _register(counts: dict[str, int]) -> list[RegisterRow]:
    """Every school in the register, and any school in the cohort counts that the register lacks."""
    today = timezone.localdate()
    latest = _latest_agreements()
    schools = {s.urn: s for s in School.objects.all()}
    rows = [RegisterRow(s, urn, latest.get(urn), counts.get(urn, 0), today) for urn, s in schools.items()]
    rows += [RegisterRow(None, urn, None, n, today) for urn, n in counts.items() if urn not in schools]
    return sorted(rows, key=lambda r: ((r.school.name if r.school else "~").lower(), r.urn))


def _dates_for_display(row: dict[str, Any]) -> dict[str, Any]:
    return {k: long_date(v) if isinstance(v, date) else v for k, v in row.items()}


PLACES = {"in": "In this authority", "out": "Outside this authority"}
COHORT_FILTERS = {"yes": "With Ever6 CWSW pupils", "no": "Without Ever6 CWSW pupils"}
TIER_FILTERS = {**TIER_LABELS, "none": "Not set"}
CONTACT_FILTERS = {"missing": "Missing a named contact", "complete": "All five named contacts"}


def _choice(request: HttpRequest, name: str, allowed: Any) -> str:
    value = str(request.GET.get(name, ""))
    return value if value in allowed else ""


def _items(options: dict[str, str], chosen: str, everything: str) -> list[dict[str, Any]]:
    return [{"value": "", "text": everything, "selected": not chosen}] + [
        {"value": v, "text": t, "selected": v == chosen} for v, t in options.items()
    ]


@require(Capability.PARTNERSHIP)
def index(request: HttpRequest) -> HttpResponse:
    """The register: every school and setting, filtered, with its figures, agreement, tier and contacts."""
    today = timezone.localdate()
    counts = _cohort_counts(request)
    entries = register_entries(viewer(request), counts, today)
    phases = sorted({e.school.phase for e in entries if e.school.phase}, key=str.lower)
    kinds = {k: v for k, v in KIND_LABELS.items() if any(e.school.kind == k for e in entries)}
    chosen = {
        "q": str(request.GET.get("q", "")).strip()[:100],
        "phase": _choice(request, "phase", phases),
        "kind": _choice(request, "kind", kinds),
        "place": _choice(request, "place", PLACES),
        "cohort": _choice(request, "cohort", COHORT_FILTERS) if counts is not None else "",
        "tier": _choice(request, "tier", TIER_FILTERS),
        "contacts": _choice(request, "contacts", CONTACT_FILTERS),
    }
    shown = [e for e in entries if _matches(e, chosen)]
    filtered = any(chosen.values())
    table = Table(
        "Schools and settings in the register",
        LIST_COLUMNS,
        [e.as_dict() for e in shown],
        frozenset({"pupils"}),
        f"{len(shown):,} of {len(entries):,} schools and settings match the filters." if filtered else "",
    )
    if fmt := requested_format(request):
        return download(table, fmt, "ever6-schools-register")
    return render(
        request,
        "schools/register.html",
        {
            "title": "Schools and settings",
            "table": table,
            "rows": [{**e.as_dict(), "name_html": _entry_link(e), "missing_html": _missing_html(e)} for e in shown],
            "total": len(entries),
            "filtered": filtered,
            "chosen": chosen,
            "published": counts is not None,
            "phase_items": _items({p: p for p in phases}, chosen["phase"], "All phases"),
            "kind_items": _items(kinds, chosen["kind"], "All kinds"),
            "place_items": _items(PLACES, chosen["place"], "In and outside the authority"),
            "cohort_items": _items(COHORT_FILTERS, chosen["cohort"], "With or without Ever6 CWSW pupils"),
            "tier_items": _items(TIER_FILTERS, chosen["tier"], "Any tier"),
            "contact_items": _items(CONTACT_FILTERS, chosen["contacts"], "Any contacts"),
        },
    )


def _matches(entry: RegisterEntry, chosen: dict[str, str]) -> bool:
    school = entry.school
    if (q := chosen["q"].lower()) and q not in school.name.lower() and q not in school.urn.lower():
        return False
    if chosen["phase"] and school.phase != chosen["phase"]:
        return False
    if chosen["kind"] and school.kind != chosen["kind"]:
        return False
    if chosen["place"] and school.in_la != (chosen["place"] == "in"):
        return False
    if chosen["cohort"] and bool(entry.pupils) != (chosen["cohort"] == "yes"):
        return False
    if chosen["tier"] and (entry.tier or "none") != chosen["tier"]:
        return False
    return not chosen["contacts"] or bool(entry.missing) == (chosen["contacts"] == "missing")


def _missing_html(entry: RegisterEntry) -> str:
    """How many named roles are missing, as a tag, and which, in words (never colour alone)."""
    text = entry.as_dict()["missing"]
    if not entry.missing:
        return format_html("{}", text)
    return format_html('<strong class="govuk-tag govuk-tag--yellow">{} missing</strong> {}', len(entry.missing), text)


def _entry_link(entry: RegisterEntry) -> str:
    return format_html(
        '<a class="govuk-link" href="{}">{}</a>', reverse("schools:school", args=[entry.school.urn]), entry.school.name
    )


@require(Capability.PARTNERSHIP)
def agreements(request: HttpRequest) -> HttpResponse:
    counts = _cohort_counts(request)
    register = _register(counts or {})
    chosen = request.GET.get("status", "")
    if chosen not in STATUS_LABELS:
        chosen = ""
    shown = [r for r in register if not chosen or r.status == chosen]
    status_note = f"Schools whose agreement is {STATUS_LABELS[chosen].lower()}." if chosen else ""
    table = Table(
        "Schools and their data sharing agreements",
        REGISTER_COLUMNS,
        [r.as_dict() for r in shown],
        frozenset({"pupils"}),
        status_note,
    )
    uncovered = sorted((r for r in register if r.pupils > 0 and not r.in_force), key=lambda r: (-r.pupils, r.urn))
    coverage_table = Table(
        "Schools with Ever6 CWSW pupils and no signed agreement in force",
        COVERAGE_COLUMNS,
        [{k: v for k, v in r.as_dict().items() if k in dict(COVERAGE_COLUMNS)} for r in uncovered],
        frozenset({"pupils"}),
    )
    if fmt := requested_format(request):
        if request.GET.get("table") == "coverage":
            return download(coverage_table, fmt, "ever6-agreement-coverage")
        return download(table, fmt, "ever6-data-sharing-agreements")

    with_pupils = [r for r in register if r.pupils > 0]
    coverage = {
        "published": counts is not None,
        "schools_with_pupils": len(with_pupils),
        "schools_uncovered": len(uncovered),
        "pupils_total": sum(r.pupils for r in with_pupils),
        "pupils_uncovered": sum(r.pupils for r in uncovered),
    }
    status_items = [{"value": "", "text": "All statuses", "selected": not chosen}] + [
        {"value": value, "text": label, "selected": value == chosen} for value, label in AgreementStatus.choices
    ]
    return render(
        request,
        "schools/agreements.html",
        {
            "title": "Data sharing agreements",
            "table": table,
            "rows": [{**_dates_for_display(r.as_dict()), "name_html": _name_html(r)} for r in shown],
            "coverage": coverage,
            "coverage_table": coverage_table,
            "coverage_rows": [{**r.as_dict(), "name_html": _name_html(r)} for r in uncovered],
            "status_items": status_items,
            "chosen": chosen,
        },
    )


def _name_html(row: RegisterRow) -> str:
    """The school's name, linked to its page when it is in the register (escaped here, once)."""
    name = row.as_dict()["name"]
    if row.school is None:
        return format_html("{}", name)
    return format_html('<a class="govuk-link" href="{}">{}</a>', reverse("schools:school", args=[row.urn]), name)


def _history(school: School) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [
        {
            "id": a.pk,
            "status": STATUS_LABELS[str(a.status)],
            "effective": STATUS_LABELS[a.effective_status(today)],
            "version": a.version,
            "sent_on": long_date(a.sent_on),
            "signed_on": long_date(a.signed_on),
            "expires_on": long_date(a.expires_on),
            "recorded_by": a.recorded_by,
            "recorded_at": timezone.localtime(a.recorded_at).strftime("%d %b %Y %H:%M"),
            "copy_html": format_html(
                '<a class="govuk-link" href="{}">Download<span class="govuk-visually-hidden"> the signed copy '
                "recorded {}</span></a>",
                reverse("schools:signed_copy", args=[school.urn, a.pk]),
                timezone.localtime(a.recorded_at).strftime("%d %b %Y %H:%M"),
            )
            if a.signed_copy
            else "None",
        }
        for a in DataSharingAgreement.objects.filter(school=school).order_by("-recorded_at", "-id")
    ]


@require(Capability.PARTNERSHIP)
def school(request: HttpRequest, urn: str) -> HttpResponse:
    record = get_object_or_404(School, urn=urn)
    gias: dict[str, Any] = {}
    with contextlib.suppress(NotPublished):  # before the first refresh: the register's own details
        gias = next((s for s in snapshot().schools(viewer(request)) if s["urn"] == urn), {})
    counts = _cohort_counts(request)
    latest = DataSharingAgreement.latest_for(urn)
    today = timezone.localdate()
    order = {value: i for i, (value, _) in enumerate(ContactRole.choices)}
    contacts = sorted(Contact.objects.filter(school=record), key=lambda c: (order.get(c.role, 99), c.name.lower()))
    return render(
        request,
        "schools/school.html",
        {
            "title": record.name,
            "school": record,
            "kind": KIND_LABELS.get(record.kind, record.kind),
            "gias": gias,
            "pupils": None if counts is None else counts.get(urn, 0),
            "latest": latest,
            "in_force": latest is not None and latest.in_force_on(timezone.localdate()),
            "latest_status": STATUS_LABELS[latest.effective_status()] if latest else STATUS_LABELS["not_sent"],
            "history": _history(record),
            "contacts": [_contact_row(c, today) for c in contacts],
            "missing": [dict(ContactRole.choices)[r] for r in missing_roles(contacts, today)],
            "contact_history": _contact_history(record),
            "figures_table": profile.figures(viewer(request), urn),
            "activity": profile.activity(urn, today),
            **_tier_context(request, record),
        },
    )


def _contact_row(contact: Contact, today: date) -> dict[str, Any]:
    role = contact.get_role_display()
    start, end = long_date(contact.from_date), long_date(contact.to_date)
    dates = " ".join(p for p in (f"From {start}" if start else "", f"until {end}" if end else "") if p)
    return {
        "id": contact.pk,
        "name": contact.name,
        "role": role,
        "email": contact.email,
        "email_html": format_html('<a class="govuk-link" href="mailto:{}">{}</a>', contact.email, contact.email),
        "phone": contact.phone,
        "dates": dates[:1].upper() + dates[1:] if dates else "Not recorded",
        "current": contact.current_on(today),
        "notes": contact.notes,
        "actions_html": format_html(
            '<a class="govuk-link" href="{}">Change<span class="govuk-visually-hidden"> {}, {}</span></a> '
            '<a class="govuk-link govuk-!-margin-left-2" href="{}">Remove<span class="govuk-visually-hidden"> {}, {}'
            "</span></a>",
            reverse("schools:contact_edit", args=[contact.school_id, contact.pk]),
            contact.name,
            role,
            reverse("schools:contact_remove", args=[contact.school_id, contact.pk]),
            contact.name,
            role,
        ),
    }


def _changes_html(changes: list[dict[str, str]]) -> str:
    empty = format_html('<span class="govuk-hint govuk-!-display-inline">{}</span>', "(empty)")
    items = format_html_join(
        "",
        "<li><strong>{}</strong>: {} → {}</li>",
        ((c["field"], c["old"] or empty, c["new"] or empty) for c in changes),
    )
    return format_html('<ul class="govuk-list govuk-!-font-size-16">{}</ul>', items)


def _contact_history(school: School) -> list[dict[str, Any]]:
    return [
        {
            "when": timezone.localtime(c.changed_at).strftime("%d %b %Y %H:%M"),
            "who": c.changed_by,
            "action": c.get_action_display(),
            "contact": c.contact_name,
            "changes_html": _changes_html(list(c.changes)),
        }
        for c in ContactChange.objects.filter(school=school).order_by("-changed_at", "-id")
    ]


def _tier_context(request: HttpRequest, school: School) -> dict[str, Any]:
    figures = tier_figures(viewer(request), [school.urn]).get(school.urn)
    current = TierDecision.latest_for(school.urn)
    return {
        "figures": figures,
        "current_tier": current,
        "tier_rule": describe_rule(settings.EVER6_TIERS),
        "tier_history": [
            {
                "when": timezone.localtime(d.decided_at).strftime("%d %b %Y %H:%M"),
                "tier": d.get_tier_display(),
                "suggested": TIER_LABELS.get(d.suggested, "None"),
                "count": "" if d.cwsw_count is None else d.cwsw_count,
                "share": "" if d.share is None else f"{d.share:.1f}",
                "year": d.academic_year,
                "reason": d.reason,
                "who": d.decided_by,
            }
            for d in TierDecision.objects.filter(school=school).order_by("-decided_at", "-id")
        ],
    }


@accepts_upload(MAX_SIGNED_COPY_BYTES)
@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def agreement(request: HttpRequest, urn: str) -> HttpResponse:
    record = get_object_or_404(School, urn=urn)
    latest = DataSharingAgreement.latest_for(urn)
    initial: dict[str, Any] = {}
    if latest is not None:
        initial = {
            "status": latest.status,
            "version": latest.version,
            "sent_on": latest.sent_on,
            "signed_on": latest.signed_on,
            "expires_on": latest.expires_on,
        }
    if request.method == "POST":
        form = AgreementForm(request.POST, request.FILES)
        if form.is_valid():
            _save(form, record, request)
            messages.success(request, f"Recorded the data sharing agreement for {record.name}.")
            return redirect("schools:school", urn=urn)
    else:
        form = AgreementForm(initial=initial)
    return render(
        request,
        "schools/agreement_form.html",
        {
            "title": f"Record the data sharing agreement: {record.name}",
            "school": record,
            "form": form,
            "page_error": bool(form.errors),
            "dates": {name: date_items(form, name) for name in ("sent_on", "signed_on", "expires_on")},
            "history": _history(record),
            "max_mb": 5,
        },
        status=400 if form.errors else 200,
    )


def _save(form: AgreementForm, school: School, request: HttpRequest) -> DataSharingAgreement:
    data = form.cleaned_data
    upload = data.get("signed_copy")
    with transaction.atomic():
        agreement = DataSharingAgreement(
            school=school,
            status=data["status"],
            version=data["version"],
            sent_on=data.get("sent_on"),
            signed_on=data.get("signed_on"),
            expires_on=data.get("expires_on"),
            recorded_by=viewer(request).username,
        )
        if upload is not None:
            agreement.signed_copy_name = (upload.name or "")[-200:]
            agreement.signed_copy_size = upload.size or 0
            agreement.signed_copy.save("signed.pdf", upload, save=False)  # the name is generated
        agreement.save()
    return agreement


@require(Capability.PARTNERSHIP)
def signed_copy(request: HttpRequest, urn: str, agreement_id: int) -> HttpResponse:
    record = get_object_or_404(DataSharingAgreement, pk=agreement_id, school__urn=urn)
    if not record.signed_copy:
        raise Http404("no signed copy was uploaded with this record")
    try:
        with record.signed_copy.open("rb") as handle:
            body = handle.read()  # at most 5 MB, checked on upload
    except FileNotFoundError as exc:
        raise Http404("the signed copy is missing from the file store") from exc
    version = re.sub(r"[^A-Za-z0-9.-]+", "-", record.version).strip("-") or str(record.pk)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="data-sharing-agreement-{urn}-{version}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- settings added by hand --------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def setting_new(request: HttpRequest) -> HttpResponse:
    """An early years setting, college or other setting that is not in the GIAS list."""
    form = SettingForm(request.POST if request.method == "POST" else None, initial={"in_la": "yes"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            urn = data["urn"] or next_local_id()
            record = School.objects.create(
                urn=urn,
                name=data["name"],
                kind=data["kind"],
                phase=KIND_PHASES.get(data["kind"], ""),
                type_name=data["type_name"] or KIND_LABELS[data["kind"]],
                postcode=data["postcode"],
                in_la=data["in_la"] == "yes",
                status="Open",
                added_by=viewer(request).username,
                added_at=timezone.now(),
            )
        messages.success(request, f"Added {record.name} to the register as {record.urn}.")
        return redirect("schools:school", urn=record.urn)
    return render(
        request,
        "schools/setting_form.html",
        {"title": "Add a setting", "form": form, "page_error": bool(form.errors)},
        status=400 if form.errors else 200,
    )


# --- named contacts ------------------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest, urn: str) -> HttpResponse:
    record = get_object_or_404(School, urn=urn)
    return _contact_form(request, record, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, urn: str, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=contact_id, school__urn=urn)
    return _contact_form(request, contact.school, contact)


def _contact_form(request: HttpRequest, school: School, contact: Contact | None) -> HttpResponse:
    if request.method == "POST":
        form = ContactForm(request.POST, school=school, instance=contact)
        if form.is_valid():
            who = viewer(request).username
            with transaction.atomic():
                if contact is None:
                    saved = form.apply(Contact(school=school, created_by=who))
                    saved.save()
                    record_contact_change(saved, str(ChangeAction.ADDED), None, who)
                    messages.success(request, f"Added {saved.name} as {saved.get_role_display()}.")
                else:
                    before = contact_values(contact)
                    saved = form.apply(contact)
                    saved.save()
                    changed = record_contact_change(saved, str(ChangeAction.CHANGED), before, who)
                    messages.success(
                        request, f"Saved the changes to {saved.name}." if changed else "Nothing was changed."
                    )
            return redirect(reverse("schools:school", args=[school.urn]) + "#contacts")
    else:
        form = ContactForm(school=school, instance=contact)
    return render(
        request,
        "schools/contact_form.html",
        {
            "title": f"{'Change' if contact else 'Add'} a contact: {school.name}",
            "heading": "Change a contact" if contact else "Add a contact",
            "school": school,
            "contact": contact,
            "form": form,
            "page_error": bool(form.errors),
            "dates": {name: date_items(form, name) for name in ("from_date", "to_date")},
        },
        status=400 if form.errors else 200,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def contact_remove(request: HttpRequest, urn: str, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=contact_id, school__urn=urn)
    if request.method == "POST":
        name = contact.name
        with transaction.atomic():
            record_contact_change(contact, str(ChangeAction.REMOVED), contact_values(contact), viewer(request).username)
            contact.delete()
        messages.success(request, f"Removed {name}. The history of changes keeps a record of them.")
        return redirect(reverse("schools:school", args=[urn]) + "#contacts")
    return render(
        request,
        "schools/contact_remove.html",
        {"title": f"Remove {contact.name}", "school": contact.school, "contact": contact},
    )


# --- tiers ---------------------------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def tier(request: HttpRequest, urn: str) -> HttpResponse:
    """Set the school's tier of the offer, with a reason, beside the suggestion from its figures."""
    record = get_object_or_404(School, urn=urn)
    context = _tier_context(request, record)
    figures = context["figures"]
    current = context["current_tier"]
    if request.method == "POST":
        form = TierForm(request.POST)
        if form.is_valid():
            TierDecision.objects.create(
                school=record,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
                suggested=(figures.suggested or "") if figures else "",
                cwsw_count=figures.count if figures else None,
                share=figures.share if figures else None,
                academic_year=figures.academic_year if figures else "",
                decided_by=viewer(request).username,
            )
            messages.success(request, f"Set the tier of {record.name} to {TIER_LABELS[form.cleaned_data['tier']]}.")
            return redirect(reverse("schools:school", args=[urn]) + "#tier")
    else:
        initial = current.tier if current else (figures.suggested if figures else None)
        form = TierForm(initial={"tier": initial} if initial else None)
    return render(
        request,
        "schools/tier_form.html",
        {
            "title": f"Set the tier: {record.name}",
            "school": record,
            "form": form,
            "page_error": bool(form.errors),
            "tier_choices": Tier.choices,
            **context,
        },
        status=400 if form.errors else 200,
    )
