"""Sessions: the list (upcoming, past), one session with its registrations, adding and changing one,
and recording attendance.

Every change is a POST by a partnership role; a form with errors is shown again with a GOV.UK
error summary (status 400) and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.web.forms import choice, date_items, posted, saved_on_post
from ever6.web.guard import require, viewer
from ever6.web.tables import Table, download, requested_format
from ever6.web.training.forms import AttendanceForm, SessionForm
from ever6.web.training.models import Attendance, AttendeeRole, Course, Registration, Session
from ever6.web.training.views.common import SESSION_COLUMNS, options, session_rows, with_session_links

REGISTRATION_COLUMNS = (
    ("name", "Attendee"),
    ("email", "Email"),
    ("role", "Role"),
    ("school", "School"),
    ("urn", "URN"),
    ("attendance", "Attendance"),
    ("score", "Feedback score"),
    ("comment", "Feedback comment"),
)

WHEN_CHOICES = {"upcoming": "Upcoming sessions", "past": "Past sessions", "all": "All sessions"}


@require(Capability.PARTNERSHIP)
def sessions(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    when = choice(request, "when", WHEN_CHOICES, "upcoming")
    found = Session.objects.all()
    if when == "upcoming":
        found = found.filter(date__gte=today).order_by("date", "start_time", "id")
    else:
        found = found.order_by("-date", "-start_time", "-id")
        if when == "past":
            found = found.filter(date__lt=today)
    rows = session_rows(found)
    table = Table(WHEN_CHOICES[when], SESSION_COLUMNS, rows, frozenset({"capacity", "registered", "attended"}))
    if fmt := requested_format(request):
        return download(table, fmt, f"ever6-training-sessions-{when}")
    return render(
        request,
        "training/sessions.html",
        {
            "title": "Training sessions",
            "table": table,
            "rows": with_session_links(rows),
            "when_items": options(WHEN_CHOICES, when),
        },
    )


def _session_form_page(
    request: HttpRequest, form: SessionForm, record: Course, session: Session | None
) -> HttpResponse:
    return render(
        request,
        "training/session_form.html",
        {
            "title": (f"Change the session: {session}" if session else f"Add a session: {record.title}"),
            "form": form,
            "course": record,
            "session": session,
            "date_items": date_items(form, "date"),
            "page_error": bool(form.errors),
        },
        status=400 if form.errors else 200,
    )


def _session_fields(form: SessionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "date": data["date"],
        "start_time": data["start_time"],
        "delivery": data["delivery"],
        "location": data["location"],
        "capacity": data["capacity"],
        "trainer": data["trainer"],
    }


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, course_id: int) -> HttpResponse:
    record = get_object_or_404(Course, pk=course_id)
    form = SessionForm(posted(request), initial={"delivery": "in_person", "trainer": ""})

    def save() -> tuple[str, HttpResponse]:
        made = Session.objects.create(course=record, **_session_fields(form), created_by=viewer(request).username)
        return f"Added a session of {record.title} on {made.when}.", redirect("training:session", session_id=made.pk)

    if done := saved_on_post(request, form, save):
        return done
    return _session_form_page(request, form, record, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    record = get_object_or_404(Session.objects.select_related("course"), pk=session_id)
    initial = {
        "date": record.date,
        "start_time": f"{record.start_time:%H:%M}" if record.start_time else "",
        "delivery": record.delivery if record.delivery in ("in_person", "online") else "",
        "location": record.location,
        "capacity": record.capacity if record.capacity is not None else "",
        "trainer": record.trainer,
    }
    form = SessionForm(posted(request), session=record, initial=initial)

    def save() -> tuple[str, HttpResponse]:
        for key, value in _session_fields(form).items():
            setattr(record, key, value)
        record.save()
        message = f"Saved the session of {record.course.title} on {record.when}."
        return message, redirect("training:session", session_id=record.pk)

    if done := saved_on_post(request, form, save):
        return done
    return _session_form_page(request, form, record.course, record)


def _registration_rows(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "id": r.pk,
            "name": r.attendee_name,
            "email": r.email,
            "role": AttendeeRole(r.role).label,
            "school": r.school.name if r.school else "",
            "urn": r.school.urn if r.school else "",
            "attendance": Attendance(r.attendance).label,
            "attended": r.attended,
            "score": "" if r.feedback_score is None else r.feedback_score,
            "comment": r.feedback_comment,
        }
        for r in session.registrations.select_related("school").order_by("attendee_name", "id")
    ]


def _session_page(request: HttpRequest, record: Session, form: AttendanceForm | None = None) -> HttpResponse:
    rows = _registration_rows(record)
    table = Table(
        f"People registered for {record.course.title}, {record.when}",
        REGISTRATION_COLUMNS,
        rows,
        frozenset({"score"}),
    )
    if form is None and (fmt := requested_format(request)):
        return download(table, fmt, f"ever6-training-registrations-session-{record.pk}")
    form = form or AttendanceForm(session=record)
    attendance_items = []
    for reg in form.registrations:
        name = f"attendance_{reg.pk}"
        chosen = str(form[name].value() or "")
        attendance_items.append(
            {
                "name": name,
                "legend": reg.attendee_name + (f", {reg.school.name}" if reg.school else ""),
                "items": [
                    {"value": value, "text": label, "checked": chosen == value}
                    for value, label in form.fields[name].choices
                ],
            }
        )
    places = None if record.capacity is None else max(record.capacity - len(rows), 0)
    return render(
        request,
        "training/session.html",
        {
            "title": str(record),
            "session": record,
            "table": table,
            "rows": rows,
            "form": form,
            "attendance_items": attendance_items,
            "started": record.has_started(),
            "places_left": places,
            "page_error": bool(form.errors),
        },
        status=400 if form.errors else 200,
    )


@require(Capability.PARTNERSHIP)
def session(request: HttpRequest, session_id: int) -> HttpResponse:
    record = get_object_or_404(Session.objects.select_related("course"), pk=session_id)
    return _session_page(request, record)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    """The attendance form is on the session's page; this records what it sends."""
    record = get_object_or_404(Session.objects.select_related("course"), pk=session_id)
    if request.method != "POST":
        return redirect(reverse("training:session", args=[record.pk]) + "#attendance")
    form = AttendanceForm(request.POST, session=record)
    if not form.is_valid():
        return _session_page(request, record, form)
    changes = form.changes()
    now, who = timezone.now(), viewer(request).username
    with transaction.atomic():
        for reg_id, value in changes.items():
            Registration.objects.filter(pk=reg_id, session=record).update(
                attendance=value, attendance_recorded_by=who, attendance_recorded_at=now
            )
    messages.success(request, f"Recorded attendance for {len(changes)} {'person' if len(changes) == 1 else 'people'}.")
    return redirect("training:session", session_id=record.pk)
