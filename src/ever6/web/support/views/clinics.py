"""Consultations and clinics: the list, a clinic's bookings, attendance, summary and agreed actions.

Every change is a POST checked by its form; an invalid form is shown again with a GOV.UK error
summary, status 400, and nothing saved. The list downloads as CSV and Excel.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.web.forms import date_items, posted, saved_on_post
from ever6.web.guard import require
from ever6.web.support import forms as f
from ever6.web.support.models import AgreedAction, Attendance, Clinic, Partner
from ever6.web.support.views.common import (
    PAGE_SIZE,
    choice,
    filter_items,
    form_page,
    link,
    long_date,
    render,
    short_date,
    when,
    who,
)
from ever6.web.tables import Table, download, requested_download, requested_format

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
                "topic_html": link("support:clinic", [c.pk], c.topic),
            }
        )
    return rows


@require(Capability.PARTNERSHIP)
def clinics(request: HttpRequest) -> HttpResponse:
    partners = dict(Partner.choices)
    chosen = {"partner": choice(request, "partner", partners), "when": choice(request, "when", WHEN_CHOICES)}
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
                "partner": filter_items(partners, chosen["partner"], "All partners"),
                "when": filter_items(WHEN_CHOICES, chosen["when"], "Upcoming and held"),
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
    tables = {"bookings": booking_table, "actions": action_table}
    if response := requested_download(request, tables, f"ever6-clinic-{record.pk}", default="bookings"):
        return response
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


def _clinic_initial(record: Clinic | None) -> dict[str, Any]:
    if record is None:
        return {"duration_minutes": 90, "capacity": 6}
    local = timezone.localtime(record.starts_at)
    return {
        "partner": record.partner,
        "topic": record.topic,
        "day": local.date(),
        "start_time": f"{local:%H:%M}",
        "duration_minutes": record.duration_minutes,
        "mode": record.mode,
        "location": record.location,
        "capacity": record.capacity,
    }


def _clinic_form(request: HttpRequest, record: Clinic | None) -> HttpResponse:
    form = f.ClinicForm(posted(request), initial=_clinic_initial(record), instance=record)

    def save() -> tuple[str, HttpResponse]:
        saved = form.save(who(request))
        return f"Saved the session: {saved.topic}.", redirect("support:clinic", clinic_id=saved.pk)

    if done := saved_on_post(request, form, save):
        return done
    return form_page(
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
                booking = form.save(who(request))
                messages.success(request, f"Booked a place for {booking.name}.")
                return redirect("support:clinic", clinic_id=record.pk)
    else:
        form = f.BookingForm(clinic=record)
    return form_page(
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
    form = f.AttendanceForm(posted(request), clinic=record)

    def save() -> tuple[str, HttpResponse]:
        changed = form.save()
        return f"Recorded attendance ({changed} changed).", redirect("support:clinic", clinic_id=record.pk)

    if done := saved_on_post(request, form, save):
        return done
    return form_page(
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
    initial = {
        "summary": record.summary,
        "interventions": [str(pk) for pk in record.interventions.values_list("pk", flat=True)],
    }
    form = f.SummaryForm(posted(request), clinic=record, initial=initial)

    def save() -> tuple[str, HttpResponse]:
        record.summary = form.cleaned_data["summary"]
        record.save()
        record.interventions.set([int(pk) for pk in form.cleaned_data["interventions"]])
        return "Recorded the summary of the session.", redirect("support:clinic", clinic_id=record.pk)

    if done := saved_on_post(request, form, save):
        return done
    return form_page(
        request,
        "support/summary_form.html",
        {"title": f"Summary: {record.topic}", "c": record, "starts": when(record.starts_at)},
        form,
    )


def _action_form(request: HttpRequest, record: Clinic, action: AgreedAction | None) -> HttpResponse:
    initial: dict[str, Any] = {"done": "no"}
    if action is not None:
        initial = {
            "text": action.text,
            "owner": action.owner,
            "due_on": action.due_on,
            "done": "yes" if action.done else "no",
        }
    form = f.ActionForm(posted(request), clinic=record, initial=initial)

    def save() -> tuple[str, HttpResponse]:
        data = form.cleaned_data
        saved = action or AgreedAction(clinic=record, recorded_by=who(request))
        saved.text, saved.owner, saved.due_on = data["text"], data["owner"], data["due_on"]
        saved.done = data.get("done") == "yes"
        saved.save()
        return f"Saved the action for {saved.owner}.", redirect("support:clinic", clinic_id=record.pk)

    if done := saved_on_post(request, form, save):
        return done
    return form_page(
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
