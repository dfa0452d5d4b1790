"""The Virtual School's advice line, consultations and clinics, and interventions library.

All pages are for the partnership roles (Virtual School Head and officers). Every change is a POST
checked by its form; an invalid form is shown again with a GOV.UK error summary, status 400, and
nothing saved. Every list downloads as CSV and Excel.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, linebreaks
from django.views.decorators.http import require_http_methods

from ever6.access import Capability, NotPublished
from ever6.web import charts
from ever6.web.forms import date_items
from ever6.web.guard import require, snapshot, viewer
from ever6.web.schools.models import School
from ever6.web.support import forms as f
from ever6.web.support.models import (
    AgreedAction,
    Attendance,
    Category,
    Clinic,
    Enquiry,
    Intervention,
    Partner,
    Phase,
    Recommendation,
    Source,
    Status,
    status_filter,
)
from ever6.web.support.report import Report, choose_period, periods
from ever6.web.tables import Table, download, requested_format

PAGE_SIZE = 50
ANONYMITY = (
    "The Virtual School gives advice about groups of pupils and situations; it does not take on "
    "individual cases. Do not write a child's name, date of birth or unique pupil number (UPN): "
    "describe them, for example 'a Year 9 pupil on a child protection plan'. Text with a UPN is refused."
)


def long_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def short_date(day: date | None) -> str:
    return day.isoformat() if day else ""


def when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}, {local:%H:%M}"


def paragraphs(text: str) -> str:
    """Free text as escaped paragraphs, keeping the writer's line breaks."""
    return linebreaks(text or "", autoescape=True)


def render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return django_render(request, template, {**context, "paragraphs": paragraphs}, status=status)


def _who(request: HttpRequest) -> str:
    return viewer(request).username


def _link(name: str, args: list[Any], text: str) -> str:
    return format_html('<a class="govuk-link" href="{}">{}</a>', reverse(name, args=args), text)


def _form_page(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    """A form page: status 400 with the error summary when the form was refused."""
    context = {**context, "form": form, "page_error": bool(form.errors), "anonymity": ANONYMITY}
    return render(request, template, context, status=400 if form.errors else 200)


def _cohort(request: HttpRequest) -> dict[str, int] | None:
    try:
        return snapshot().cohort_counts_by_school(viewer(request))
    except NotPublished:
        return None


def _choice(request: HttpRequest, name: str, allowed: dict[str, str]) -> str:
    value = request.GET.get(name, "")
    return value if value in allowed else ""


def _filter_items(choices: dict[str, str], chosen: str, everything: str) -> list[dict[str, Any]]:
    return [{"value": "", "text": everything, "selected": not chosen}] + [
        {"value": value, "text": label, "selected": value == chosen} for value, label in choices.items()
    ]


@require(Capability.PARTNERSHIP)
def index(request: HttpRequest) -> HttpResponse:
    return redirect("support:enquiries")


# --- the advice line ----------------------------------------------------------------------------

ENQUIRY_COLUMNS = (
    ("reference", "Reference"),
    ("received_on", "Received"),
    ("enquirer_type", "Enquirer"),
    ("school", "School"),
    ("category", "Category"),
    ("status", "Status"),
    ("days", "Working days to respond"),
)
ENQUIRY_EXPORT_COLUMNS = (
    ("reference", "Reference"),
    ("received_on", "Received"),
    ("channel", "Channel"),
    ("enquirer_type", "Enquirer"),
    ("enquirer_name", "Enquirer's name"),
    ("enquirer_email", "Enquirer's email"),
    ("school", "School"),
    ("urn", "URN"),
    ("category", "Category"),
    ("question", "Question"),
    ("response", "Response"),
    ("responded_on", "Responded"),
    ("days", "Working days to respond"),
    ("outcome", "Outcome"),
    ("status", "Status"),
    ("interventions", "Interventions"),
)
STATUS_LABELS = dict(Status.choices)


def _enquiry_row(e: Enquiry, *, export: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {
        "reference": e.reference,
        "received_on": short_date(e.received_on) if export else long_date(e.received_on),
        "enquirer_type": e.get_enquirer_type_display(),
        "school": e.school.name if e.school else "",
        "category": e.get_category_display(),
        "status": STATUS_LABELS[e.status],
        "days": e.days_to_respond,
    }
    if export:
        row |= {
            "channel": e.get_channel_display(),
            "enquirer_name": e.enquirer_name,
            "enquirer_email": e.enquirer_email,
            "urn": e.school.urn if e.school else "",
            "question": e.question,
            "response": e.response,
            "responded_on": short_date(e.responded_on),
            "outcome": e.get_outcome_display() if e.outcome else "",
            "interventions": "; ".join(i.name for i in e.interventions.all()),
        }
    return row


def _months_with_enquiries() -> dict[str, str]:
    return {f"{d:%Y-%m}": f"{d:%B %Y}" for d in Enquiry.objects.dates("received_on", "month", order="DESC")}


@require(Capability.PARTNERSHIP)
def enquiries(request: HttpRequest) -> HttpResponse:
    categories = dict(Category.choices)
    schools = dict(School.objects.filter(enquiries__isnull=False).distinct().values_list("urn", "name"))
    months = _months_with_enquiries()
    chosen = {
        "category": _choice(request, "category", categories),
        "status": _choice(request, "status", STATUS_LABELS),
        "school": _choice(request, "school", schools),
        "month": _choice(request, "month", months),
    }
    query: QuerySet[Enquiry] = Enquiry.objects.select_related("school").order_by("-received_on", "-id")
    if chosen["category"]:
        query = query.filter(category=chosen["category"])
    if chosen["status"]:
        query = query.filter(status_filter(chosen["status"]))
    if chosen["school"]:
        query = query.filter(school_id=chosen["school"])
    if chosen["month"]:
        year, month = (int(x) for x in chosen["month"].split("-"))
        query = query.filter(received_on__year=year, received_on__month=month)
    if fmt := requested_format(request):
        rows = [_enquiry_row(e, export=True) for e in query.prefetch_related("interventions")]
        return download(
            Table("Advice line enquiries", ENQUIRY_EXPORT_COLUMNS, rows, frozenset({"days"})), fmt, "ever6-enquiries"
        )
    page = Paginator(query, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {**_enquiry_row(e), "reference_html": _link("support:enquiry", [e.pk], e.reference)} for e in page.object_list
    ]
    table = Table("Advice line enquiries", ENQUIRY_COLUMNS, rows, frozenset({"days"}))
    return render(
        request,
        "support/enquiries.html",
        {
            "title": "Advice line enquiries",
            "table": table,
            "page": page,
            "total": page.paginator.count,
            "filters": {
                "category": _filter_items(categories, chosen["category"], "All categories"),
                "status": _filter_items(STATUS_LABELS, chosen["status"], "Any status"),
                "school": _filter_items(schools, chosen["school"], "All schools"),
                "month": _filter_items(months, chosen["month"], "Any month"),
            },
            "filtered": any(chosen.values()),
        },
    )


def _enquiry_initial(e: Enquiry) -> dict[str, Any]:
    return {
        "received_on": e.received_on,
        "channel": e.channel,
        "enquirer_type": e.enquirer_type,
        "enquirer_name": e.enquirer_name,
        "enquirer_email": e.enquirer_email,
        "school": e.school_id or "",
        "category": e.category,
        "question": e.question,
    }


def _enquiry_form(request: HttpRequest, record: Enquiry | None) -> HttpResponse:
    if request.method == "POST":
        form = f.EnquiryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            saved = record or Enquiry(recorded_by=_who(request))
            for name in ("received_on", "channel", "enquirer_type", "enquirer_name", "category", "question", "school"):
                setattr(saved, name, data[name])
            saved.enquirer_email = data["enquirer_email"] or ""
            if saved.responded_on and saved.responded_on < saved.received_on:
                form.add_error("received_on", "Date received must be on or before the date it was answered")
            else:
                saved.save()
                messages.success(request, f"Saved enquiry {saved.reference}.")
                return redirect("support:enquiry", enquiry_id=saved.pk)
    else:
        form = f.EnquiryForm(initial=_enquiry_initial(record) if record else {})
    return _form_page(
        request,
        "support/enquiry_form.html",
        {
            "title": f"Change enquiry {record.reference}" if record else "Record an enquiry",
            "record": record,
            "dates": {"received_on": date_items(form, "received_on")},
        },
        form,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def enquiry_new(request: HttpRequest) -> HttpResponse:
    return _enquiry_form(request, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def enquiry_edit(request: HttpRequest, enquiry_id: int) -> HttpResponse:
    return _enquiry_form(request, get_object_or_404(Enquiry, pk=enquiry_id))


@require(Capability.PARTNERSHIP)
def enquiry(request: HttpRequest, enquiry_id: int) -> HttpResponse:
    record = get_object_or_404(Enquiry.objects.select_related("school"), pk=enquiry_id)
    return render(
        request,
        "support/enquiry.html",
        {
            "title": f"Enquiry {record.reference}",
            "e": record,
            "status": STATUS_LABELS[record.status],
            "received": long_date(record.received_on),
            "responded": long_date(record.responded_on),
            "interventions": list(record.interventions.all()),
        },
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def enquiry_respond(request: HttpRequest, enquiry_id: int) -> HttpResponse:
    record = get_object_or_404(Enquiry, pk=enquiry_id)
    linked = tuple(record.interventions.values_list("pk", flat=True))
    if request.method == "POST":
        form = f.ResponseForm(request.POST, received_on=record.received_on, linked=linked)
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                record.response, record.responded_on = data["response"], data["responded_on"]
                record.outcome, record.closed = data["outcome"], data["closed"] == "yes"
                record.save()
                record.interventions.set([int(pk) for pk in data["interventions"]])
            messages.success(request, f"Recorded the response to {record.reference}.")
            return redirect("support:enquiry", enquiry_id=record.pk)
    else:
        form = f.ResponseForm(
            received_on=record.received_on,
            linked=linked,
            initial={
                "response": record.response,
                "responded_on": record.responded_on,
                "outcome": record.outcome,
                "closed": "yes" if record.closed else "no",
                "interventions": [str(pk) for pk in linked],
            },
        )
    return _form_page(
        request,
        "support/respond_form.html",
        {
            "title": f"Respond to enquiry {record.reference}",
            "e": record,
            "received": long_date(record.received_on),
            "dates": {"responded_on": date_items(form, "responded_on")},
        },
        form,
    )


@require(Capability.PARTNERSHIP)
def report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    options = periods(today, Enquiry.objects.dates("received_on", "month"))
    period = choose_period(options, request.GET.get("period"))
    query = Enquiry.objects.select_related("school")
    if period.start is not None:
        query = query.filter(received_on__gte=period.start)
    if period.end is not None:
        query = query.filter(received_on__lte=period.end)
    result = Report(period, list(query), _cohort(request))
    tables = {
        "summary": result.summary_table(),
        "category": result.by_category(),
        "month": result.by_month(),
        "school": result.by_school(),
        "enquirer": result.by_enquirer(),
    }
    if fmt := requested_format(request):
        name = request.GET.get("table", "category")
        table = tables.get(name, tables["category"])
        return download(table, fmt, f"ever6-advice-line-{name if name in tables else 'category'}-{period.key}")
    category_rows = tables["category"].rows
    month_rows = tables["month"].rows
    specs = {
        "category": charts.bar_chart(
            [charts.Point(r["category"], "Enquiries", r["enquiries"]) for r in category_rows],
            title="Enquiries by category",
            category_title="Category",
            value_title="Enquiries",
            categories=[r["category"] for r in category_rows],
            series=["Enquiries"],
        )
        if result.enquiries
        else None,
        "month": charts.line_chart(
            [charts.Point(r["month"], "Enquiries", r["enquiries"]) for r in month_rows],
            title="Enquiries by month received",
            category_title="Month",
            value_title="Enquiries",
            categories=[r["month"] for r in month_rows],
            series=["Enquiries"],
        )
        if result.enquiries
        else None,
    }
    return render(
        request,
        "support/report.html",
        {
            "title": "Advice line report",
            "period": period,
            "period_items": [{"value": p.key, "text": p.label, "selected": p == period} for p in options],
            "headline": result.headline(),
            "tables": tables,
            "specs": specs,
        },
    )


# --- consultations and clinics ------------------------------------------------------------------

CLINIC_COLUMNS = (
    ("starts_at", "Date and time"),
    ("partner", "Partner"),
    ("topic", "Topic"),
    ("mode", "In person or online"),
    ("booked", "Places booked"),
    ("capacity", "Places"),
    ("attended", "Attended"),
    ("state", "Status"),
    ("open_actions", "Open actions"),
)
WHEN_CHOICES = {"upcoming": "Upcoming", "past": "Held"}


def _clinic_rows(clinics: QuerySet[Clinic], *, export: bool) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for c in clinics:
        state = "Upcoming" if not c.has_started(now) else ("Summary recorded" if c.summary else "Held: no summary yet")
        rows.append(
            {
                "starts_at": timezone.localtime(c.starts_at).strftime("%Y-%m-%d %H:%M")
                if export
                else when(c.starts_at),
                "partner": c.get_partner_display(),
                "topic": c.topic,
                "mode": c.get_mode_display(),
                "location": c.location,
                "booked": c.n_booked,
                "capacity": c.capacity,
                "attended": c.n_attended,
                "state": state,
                "open_actions": c.n_open_actions,
                "topic_html": _link("support:clinic", [c.pk], c.topic),
            }
        )
    return rows


@require(Capability.PARTNERSHIP)
def clinics(request: HttpRequest) -> HttpResponse:
    partners = dict(Partner.choices)
    chosen = {"partner": _choice(request, "partner", partners), "when": _choice(request, "when", WHEN_CHOICES)}
    query = Clinic.objects.annotate(
        n_booked=Count("bookings", filter=~Q(bookings__attendance=Attendance.CANCELLED), distinct=True),
        n_attended=Count("bookings", filter=Q(bookings__attendance=Attendance.ATTENDED), distinct=True),
        n_open_actions=Count("actions", filter=Q(actions__done=False), distinct=True),
    ).order_by("-starts_at", "-id")
    if chosen["partner"]:
        query = query.filter(partner=chosen["partner"])
    now = timezone.now()
    if chosen["when"] == "upcoming":
        query = query.filter(starts_at__gt=now).order_by("starts_at", "id")
    elif chosen["when"] == "past":
        query = query.filter(starts_at__lte=now).order_by("-starts_at")
    columns = (*CLINIC_COLUMNS[:4], ("location", "Location"), *CLINIC_COLUMNS[4:])
    if fmt := requested_format(request):
        table = Table(
            "Consultations and clinics",
            columns,
            _clinic_rows(query, export=True),
            frozenset({"booked", "capacity", "attended", "open_actions"}),
        )
        return download(table, fmt, "ever6-clinics")
    page = Paginator(query, PAGE_SIZE).get_page(request.GET.get("page"))
    table = Table(
        "Consultations and clinics",
        CLINIC_COLUMNS,
        _clinic_rows(page.object_list, export=False),
        frozenset({"booked", "capacity", "attended", "open_actions"}),
    )
    return render(
        request,
        "support/clinics.html",
        {
            "title": "Consultations and clinics",
            "table": table,
            "page": page,
            "filters": {
                "partner": _filter_items(partners, chosen["partner"], "All partners"),
                "when": _filter_items(WHEN_CHOICES, chosen["when"], "Upcoming and held"),
            },
        },
    )


BOOKING_COLUMNS = (
    ("name", "Name"),
    ("booker_type", "Booked by"),
    ("school", "School"),
    ("email", "Email"),
    ("attendance", "Attendance"),
)
ACTION_COLUMNS = (("text", "Action"), ("owner", "Owner"), ("due_on", "Due"), ("done", "Done"))


@require(Capability.PARTNERSHIP)
def clinic(request: HttpRequest, clinic_id: int) -> HttpResponse:
    record = get_object_or_404(Clinic, pk=clinic_id)
    bookings = [
        {
            "name": b.name,
            "booker_type": b.get_booker_type_display(),
            "school": b.school.name if b.school else "",
            "email": b.email,
            "attendance": b.get_attendance_display(),
        }
        for b in record.bookings.select_related("school")
    ]
    export = requested_format(request)
    actions = [
        {
            "id": a.pk,
            "text": a.text,
            "owner": a.owner,
            "due_on": short_date(a.due_on) if export else long_date(a.due_on),
            "done": "Yes" if a.done else "No",
            "change_html": format_html(
                '<a class="govuk-link" href="{}">Change<span class="govuk-visually-hidden"> action due {}</span></a>',
                reverse("support:action_edit", args=[record.pk, a.pk]),
                long_date(a.due_on),
            ),
        }
        for a in record.actions.all()
    ]
    booking_table = Table(f"Bookings: {record.topic}", BOOKING_COLUMNS, bookings)
    action_table = Table(f"Agreed actions: {record.topic}", ACTION_COLUMNS, actions)
    if export:
        if request.GET.get("table") == "actions":
            return download(action_table, export, f"ever6-clinic-{record.pk}-actions")
        return download(booking_table, export, f"ever6-clinic-{record.pk}-bookings")
    return render(
        request,
        "support/clinic.html",
        {
            "title": f"{record.get_partner_display()}: {record.topic}",
            "c": record,
            "starts": when(record.starts_at),
            "started": record.has_started(),
            "taken": record.places_taken(),
            "booking_table": booking_table,
            "action_table": action_table,
            "actions": actions,
            "interventions": list(record.interventions.all()),
        },
    )


def _clinic_form(request: HttpRequest, record: Clinic | None) -> HttpResponse:
    if request.method == "POST":
        form = f.ClinicForm(request.POST, instance=record)
        if form.is_valid():
            saved = form.save(_who(request))
            messages.success(request, f"Saved the session: {saved.topic}.")
            return redirect("support:clinic", clinic_id=saved.pk)
    else:
        initial: dict[str, Any] = {"duration_minutes": 90, "capacity": 6}
        if record is not None:
            local = timezone.localtime(record.starts_at)
            initial = {
                "partner": record.partner,
                "topic": record.topic,
                "day": local.date(),
                "start_time": f"{local:%H:%M}",
                "duration_minutes": record.duration_minutes,
                "mode": record.mode,
                "location": record.location,
                "capacity": record.capacity,
            }
        form = f.ClinicForm(initial=initial, instance=record)
    return _form_page(
        request,
        "support/clinic_form.html",
        {
            "title": "Change the session" if record else "Add a consultation or clinic",
            "record": record,
            "dates": {"day": date_items(form, "day")},
        },
        form,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def clinic_new(request: HttpRequest) -> HttpResponse:
    return _clinic_form(request, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def clinic_edit(request: HttpRequest, clinic_id: int) -> HttpResponse:
    return _clinic_form(request, get_object_or_404(Clinic, pk=clinic_id))


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest, clinic_id: int) -> HttpResponse:
    record = get_object_or_404(Clinic, pk=clinic_id)
    if request.method == "POST":
        form = f.BookingForm(request.POST, clinic=record)
        with transaction.atomic():
            # One booking at a time per session, so two officers cannot both take the last place.
            Clinic.objects.select_for_update().filter(pk=record.pk).first()
            if form.is_valid():
                booking = form.save(_who(request))
                messages.success(request, f"Booked a place for {booking.name}.")
                return redirect("support:clinic", clinic_id=record.pk)
    else:
        form = f.BookingForm(clinic=record)
    return _form_page(
        request,
        "support/booking_form.html",
        {
            "title": f"Book a place: {record.topic}",
            "c": record,
            "starts": when(record.starts_at),
            "taken": record.places_taken(),
        },
        form,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, clinic_id: int) -> HttpResponse:
    record = get_object_or_404(Clinic, pk=clinic_id)
    if request.method == "POST":
        form = f.AttendanceForm(request.POST, clinic=record)
        if form.is_valid():
            with transaction.atomic():
                changed = form.save()
            messages.success(request, f"Recorded attendance ({changed} changed).")
            return redirect("support:clinic", clinic_id=record.pk)
    else:
        form = f.AttendanceForm(clinic=record)
    return _form_page(
        request,
        "support/attendance_form.html",
        {
            "title": f"Record attendance: {record.topic}",
            "c": record,
            "starts": when(record.starts_at),
            "started": record.has_started(),
            "bookings": [
                {"field": f"booking_{b.pk}", "name": b.name, "school": b.school.name if b.school else ""}
                for b in form.bookings
            ],
        },
        form,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def clinic_summary(request: HttpRequest, clinic_id: int) -> HttpResponse:
    record = get_object_or_404(Clinic, pk=clinic_id)
    if request.method == "POST":
        form = f.SummaryForm(request.POST, clinic=record)
        if form.is_valid():
            with transaction.atomic():
                record.summary = form.cleaned_data["summary"]
                record.save()
                record.interventions.set([int(pk) for pk in form.cleaned_data["interventions"]])
            messages.success(request, "Recorded the summary of the session.")
            return redirect("support:clinic", clinic_id=record.pk)
    else:
        form = f.SummaryForm(
            clinic=record,
            initial={
                "summary": record.summary,
                "interventions": [str(pk) for pk in record.interventions.values_list("pk", flat=True)],
            },
        )
    return _form_page(
        request,
        "support/summary_form.html",
        {"title": f"Summary: {record.topic}", "c": record, "starts": when(record.starts_at)},
        form,
    )


def _action_form(request: HttpRequest, record: Clinic, action: AgreedAction | None) -> HttpResponse:
    if request.method == "POST":
        form = f.ActionForm(request.POST, clinic=record)
        if form.is_valid():
            data = form.cleaned_data
            saved = action or AgreedAction(clinic=record, recorded_by=_who(request))
            saved.text, saved.owner, saved.due_on = data["text"], data["owner"], data["due_on"]
            saved.done = data.get("done") == "yes"
            saved.save()
            messages.success(request, f"Saved the action for {saved.owner}.")
            return redirect("support:clinic", clinic_id=record.pk)
    else:
        initial: dict[str, Any] = {"done": "no"}
        if action is not None:
            initial = {
                "text": action.text,
                "owner": action.owner,
                "due_on": action.due_on,
                "done": "yes" if action.done else "no",
            }
        form = f.ActionForm(clinic=record, initial=initial)
    return _form_page(
        request,
        "support/action_form.html",
        {
            "title": "Change the agreed action" if action else "Add an agreed action",
            "c": record,
            "action": action,
            "starts": when(record.starts_at),
            "dates": {"due_on": date_items(form, "due_on")},
        },
        form,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def action_new(request: HttpRequest, clinic_id: int) -> HttpResponse:
    return _action_form(request, get_object_or_404(Clinic, pk=clinic_id), None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, clinic_id: int, action_id: int) -> HttpResponse:
    action = get_object_or_404(AgreedAction.objects.select_related("clinic"), pk=action_id, clinic_id=clinic_id)
    return _action_form(request, action.clinic, action)


# --- interventions ------------------------------------------------------------------------------

INTERVENTION_COLUMNS = (
    ("name", "Intervention"),
    ("source", "Source"),
    ("evidence", "Evidence"),
    ("cost_band", "Cost"),
    ("phase", "Phase"),
    ("schools", "Schools recommended to"),
    ("enquiries", "Enquiries"),
    ("clinics", "Clinics"),
)
INTERVENTION_EXPORT_COLUMNS = (
    *INTERVENTION_COLUMNS[:5],
    ("active", "Recommended now"),
    ("description", "Description"),
    ("link", "Link"),
    *INTERVENTION_COLUMNS[5:],
)
COUNTS = frozenset({"schools", "enquiries", "clinics"})


@require(Capability.PARTNERSHIP)
def interventions(request: HttpRequest) -> HttpResponse:
    sources, phases = dict(Source.choices), dict(Phase.choices)
    shown_choices = {"active": "Recommended now", "retired": "No longer recommended"}
    chosen = {
        "source": _choice(request, "source", sources),
        "phase": _choice(request, "phase", phases),
        "shown": _choice(request, "shown", shown_choices),
    }
    query = Intervention.objects.annotate(
        n_schools=Count("recommendations__school", distinct=True),
        n_enquiries=Count("enquiries", distinct=True),
        n_clinics=Count("clinics", distinct=True),
    ).order_by("name")
    if chosen["source"]:
        query = query.filter(source=chosen["source"])
    if chosen["phase"]:
        # An intervention for all phases suits every phase.
        query = query.filter(phase__in=[chosen["phase"], Phase.ALL])
    if chosen["shown"]:
        query = query.filter(active=chosen["shown"] == "active")
    rows = [
        {
            "name": i.name,
            "name_html": _link("support:intervention", [i.pk], i.name),
            "source": i.get_source_display(),
            "evidence": i.get_evidence_display(),
            "cost_band": i.get_cost_band_display(),
            "phase": i.get_phase_display(),
            "active": "Yes" if i.active else "No",
            "description": i.description,
            "link": i.link,
            "schools": i.n_schools,
            "enquiries": i.n_enquiries,
            "clinics": i.n_clinics,
        }
        for i in query
    ]
    if fmt := requested_format(request):
        return download(
            Table("Interventions library", INTERVENTION_EXPORT_COLUMNS, rows, COUNTS), fmt, "ever6-interventions"
        )
    return render(
        request,
        "support/interventions.html",
        {
            "title": "Interventions library",
            "table": Table("Interventions library", INTERVENTION_COLUMNS, rows, COUNTS),
            "filters": {
                "source": _filter_items(sources, chosen["source"], "All sources"),
                "phase": _filter_items(phases, chosen["phase"], "All phases"),
                "shown": _filter_items(shown_choices, chosen["shown"], "Recommended now and retired"),
            },
        },
    )


RECOMMENDATION_COLUMNS = (("school", "School"), ("urn", "URN"), ("recommended_on", "Recommended"), ("note", "Note"))


@require(Capability.PARTNERSHIP)
def intervention(request: HttpRequest, intervention_id: int) -> HttpResponse:
    record = get_object_or_404(Intervention, pk=intervention_id)
    export = requested_format(request)
    rows = [
        {
            "school": r.school.name,
            "urn": r.school.urn,
            "recommended_on": short_date(r.recommended_on) if export else long_date(r.recommended_on),
            "note": r.note,
        }
        for r in record.recommendations.select_related("school")
    ]
    table = Table(f"Schools {record.name} was recommended to", RECOMMENDATION_COLUMNS, rows)
    if export:
        return download(table, export, f"ever6-intervention-{record.pk}-recommendations")
    return render(
        request,
        "support/intervention.html",
        {
            "title": record.name,
            "i": record,
            "link_html": format_html('<a class="govuk-link" href="{}">{}</a>', record.link, record.link)
            if record.link
            else "",
            "table": table,
            "enquiries": [
                {
                    "html": _link("support:enquiry", [e.pk], e.reference),
                    "category": e.get_category_display(),
                    "received": long_date(e.received_on),
                }
                for e in record.enquiries.order_by("-received_on")[:50]
            ],
            "clinics": [
                {
                    "html": _link("support:clinic", [c.pk], c.topic),
                    "partner": c.get_partner_display(),
                    "starts": when(c.starts_at),
                }
                for c in record.clinics.order_by("-starts_at")[:50]
            ],
        },
    )


def _intervention_form(request: HttpRequest, record: Intervention | None) -> HttpResponse:
    if request.method == "POST":
        form = f.InterventionForm(request.POST, instance=record)
        if form.is_valid():
            saved = form.save(_who(request))
            messages.success(request, f"Saved {saved.name}.")
            return redirect("support:intervention", intervention_id=saved.pk)
    else:
        initial: dict[str, Any] = {"active": "yes"}
        if record is not None:
            initial = {
                "name": record.name,
                "description": record.description,
                "source": record.source,
                "evidence": record.evidence,
                "cost_band": record.cost_band,
                "phase": record.phase,
                "link": record.link,
                "active": "yes" if record.active else "no",
            }
        form = f.InterventionForm(initial=initial, instance=record)
    return _form_page(
        request,
        "support/intervention_form.html",
        {"title": f"Change {record.name}" if record else "Add an intervention", "record": record},
        form,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def intervention_new(request: HttpRequest) -> HttpResponse:
    return _intervention_form(request, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def intervention_edit(request: HttpRequest, intervention_id: int) -> HttpResponse:
    return _intervention_form(request, get_object_or_404(Intervention, pk=intervention_id))


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def recommendation_new(request: HttpRequest, intervention_id: int) -> HttpResponse:
    record = get_object_or_404(Intervention, pk=intervention_id)
    if request.method == "POST":
        form = f.RecommendationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            Recommendation.objects.create(
                intervention=record,
                school=data["school"],
                recommended_on=data["recommended_on"],
                note=data["note"],
                recorded_by=_who(request),
            )
            messages.success(request, f"Recorded the recommendation to {data['school'].name}.")
            return redirect("support:intervention", intervention_id=record.pk)
    else:
        form = f.RecommendationForm(initial={"school": request.GET.get("school", "")})
    return _form_page(
        request,
        "support/recommendation_form.html",
        {
            "title": f"Recommend {record.name} to a school",
            "i": record,
            "dates": {"recommended_on": date_items(form, "recommended_on")},
        },
        form,
    )
