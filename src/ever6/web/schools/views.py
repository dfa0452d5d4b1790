"""The Virtual School's schools register and data sharing agreements (partnership roles).

Every state of an agreement is a new record (the latest counts), so the history of who recorded
what, and when, is kept. Coverage counts come from the published snapshot: which schools hold
Ever6 CWSW pupils without an agreement in force, and how many children that leaves out of the
school portal.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from ever6.access import Capability, NotPublished
from ever6.web.guard import require, snapshot, viewer
from ever6.web.schools.forms import AgreementForm, date_items
from ever6.web.schools.models import AgreementStatus, DataSharingAgreement, School
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


@require(Capability.PARTNERSHIP)
def index(request: HttpRequest) -> HttpResponse:
    return redirect("schools:agreements")


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
    return render(
        request,
        "schools/school.html",
        {
            "title": record.name,
            "school": record,
            "gias": gias,
            "pupils": None if counts is None else counts.get(urn, 0),
            "latest": latest,
            "in_force": latest is not None and latest.in_force_on(timezone.localdate()),
            "latest_status": STATUS_LABELS[latest.effective_status()] if latest else STATUS_LABELS["not_sent"],
            "history": _history(record),
        },
    )


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
