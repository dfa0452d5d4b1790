"""Courses: the programme (the training home), one course with its sessions, adding and changing a course.

Every change is a POST by a partnership role; a form with errors is shown again with a GOV.UK
error summary (status 400) and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.web.forms import choice
from ever6.web.guard import require, viewer
from ever6.web.tables import Table, download, requested_format
from ever6.web.training.forms import CourseForm
from ever6.web.training.models import Attendance, Audience, Course, Registration
from ever6.web.training.views.common import (
    AUDIENCE_LABELS,
    SESSION_COLUMNS,
    link,
    options,
    session_rows,
    with_session_links,
)

COURSE_COLUMNS = (
    ("title", "Course"),
    ("audience", "For"),
    ("duration", "Duration"),
    ("provider", "Provider"),
    ("active", "Status"),
    ("upcoming", "Upcoming sessions"),
    ("sessions", "Sessions"),
    ("registered", "Registered"),
    ("attended", "Attended"),
)


@require(Capability.PARTNERSHIP)
def index(request: HttpRequest) -> HttpResponse:
    """The course list, with how many sessions each has run and who came."""
    today = timezone.localdate()
    audience: Any = choice(request, "audience", AUDIENCE_LABELS)  # compared with Django's (untyped) choices
    status = choice(request, "status", ("active", "inactive", "all"), "active")
    courses = Course.objects.annotate(
        n_sessions=Count("sessions", distinct=True),
        n_upcoming=Count("sessions", filter=Q(sessions__date__gte=today), distinct=True),
        n_registered=Count("sessions__registrations", distinct=True),
        n_attended=Count(
            "sessions__registrations",
            filter=Q(sessions__registrations__attendance=Attendance.ATTENDED),
            distinct=True,
        ),
    )
    if audience:
        courses = courses.filter(audience__in=[audience, Audience.BOTH] if audience != Audience.BOTH else [audience])
    if status != "all":
        courses = courses.filter(active=status == "active")
    rows = [
        {
            "id": c.pk,
            "title": c.title,
            "audience": AUDIENCE_LABELS[c.audience],
            "duration": c.duration_text,
            "provider": c.provider,
            "active": "Active" if c.active else "Not active",
            "upcoming": c.n_upcoming,
            "sessions": c.n_sessions,
            "registered": c.n_registered,
            "attended": c.n_attended,
        }
        for c in courses
    ]
    table = Table(
        "Courses in the training programme",
        COURSE_COLUMNS,
        rows,
        frozenset({"upcoming", "sessions", "registered", "attended"}),
    )
    if fmt := requested_format(request):
        return download(table, fmt, "ever6-training-courses")
    return render(
        request,
        "training/index.html",
        {
            "title": "Training programme",
            "table": table,
            "rows": [{**r, "title_html": link(reverse("training:course", args=[r["id"]]), r["title"])} for r in rows],
            "audience_items": [
                {"value": "", "text": "Everyone", "selected": not audience},
                *options(AUDIENCE_LABELS, audience),
            ],
            "status_items": options({"active": "Active", "inactive": "Not active", "all": "All"}, status),
        },
    )


def _course_form_page(request: HttpRequest, form: CourseForm, course: Course | None) -> HttpResponse:
    return render(
        request,
        "training/course_form.html",
        {
            "title": f"Change the course: {course.title}" if course else "Add a course",
            "form": form,
            "course": course,
            "page_error": bool(form.errors),
        },
        status=400 if form.errors else 200,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CourseForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    course = Course.objects.create(**_course_fields(form), created_by=viewer(request).username)
            except IntegrityError:  # the same title saved by someone else a moment ago
                form.add_error("title", "A course with this title already exists: choose a different title")
            else:
                messages.success(request, f"Added the course {course.title}.")
                return redirect("training:course", course_id=course.pk)
    else:
        form = CourseForm(initial={"active": True, "provider": "Virtual School"})
    return _course_form_page(request, form, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(Course, pk=course_id)
    if request.method == "POST":
        form = CourseForm(request.POST, course=course)
        if form.is_valid():
            for key, value in _course_fields(form).items():
                setattr(course, key, value)
            course.updated_at = timezone.now()
            try:
                with transaction.atomic():
                    course.save()
            except IntegrityError:
                form.add_error("title", "A course with this title already exists: choose a different title")
            else:
                messages.success(request, f"Saved the course {course.title}.")
                return redirect("training:course", course_id=course.pk)
    else:
        form = CourseForm(
            course=course,
            initial={
                "title": course.title,
                "audience": course.audience,
                "description": course.description,
                "duration_minutes": course.duration_minutes,
                "provider": course.provider,
                "active": course.active,
            },
        )
    return _course_form_page(request, form, course)


def _course_fields(form: CourseForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "audience": data["audience"],
        "description": data["description"],
        "duration_minutes": data["duration_minutes"],
        "provider": data["provider"],
        "active": bool(data.get("active")),
    }


@require(Capability.PARTNERSHIP)
def course(request: HttpRequest, course_id: int) -> HttpResponse:
    record = get_object_or_404(Course, pk=course_id)
    rows = session_rows(record.sessions.order_by("-date", "-start_time", "-id"))
    table = Table(
        f"Sessions of {record.title}",
        [c for c in SESSION_COLUMNS if c[0] != "course"],
        rows,
        frozenset({"capacity", "registered", "attended"}),
    )
    if fmt := requested_format(request):
        return download(table, fmt, f"ever6-training-sessions-course-{record.pk}")
    scores = Registration.objects.filter(session__course=record, feedback_score__isnull=False).aggregate(
        mean=Avg("feedback_score"), n=Count("id")
    )
    return render(
        request,
        "training/course.html",
        {
            "title": record.title,
            "course": record,
            "audience": AUDIENCE_LABELS[record.audience],
            "table": table,
            "rows": with_session_links(rows),
            "mean": f"{scores['mean']:.1f}" if scores["mean"] is not None else None,
            "responses": scores["n"],
        },
    )
