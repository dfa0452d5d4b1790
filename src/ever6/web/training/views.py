"""The Virtual School's training programme (partnership roles): courses, sessions, registrations,
attendance and feedback, coverage of schools with Ever6 CWSW pupils, and bulk import.

Every list downloads as CSV and Excel. Every change is a POST by a partnership role; a form with
errors is shown again with a GOV.UK error summary (status 400) and nothing is saved.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.web.charts import Point, bar_chart
from ever6.web.forms import date_items
from ever6.web.guard import require, snapshot, viewer
from ever6.web.tables import Table, download, requested_format
from ever6.web.training import coverage as cov
from ever6.web.training import importers
from ever6.web.training.forms import (
    AttendanceForm,
    CourseForm,
    FeedbackForm,
    RegistrationForm,
    SessionForm,
)
from ever6.web.training.models import (
    Attendance,
    AttendeeRole,
    Audience,
    Course,
    Registration,
    Session,
)

AUDIENCE_LABELS = dict(Audience.choices)

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
SESSION_COLUMNS = (
    ("when", "Date and time"),
    ("course", "Course"),
    ("place", "Where"),
    ("trainer", "Trainer"),
    ("capacity", "Places"),
    ("registered", "Registered"),
    ("attended", "Attended"),
)
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
FEEDBACK_COLUMNS = (
    ("title", "Course"),
    ("audience", "For"),
    ("registered", "Registered"),
    ("attended", "Attended"),
    ("responses", "Feedback responses"),
    ("mean", "Mean score (1 to 5)"),
)
WHEN_CHOICES = {"upcoming": "Upcoming sessions", "past": "Past sessions", "all": "All sessions"}
SINCE_CHOICES = {"any": "At any time", "12": "In the last 12 months", "24": "In the last 2 years"}


def _options(choices: dict[str, str], chosen: str) -> list[dict[str, Any]]:
    return [{"value": k, "text": v, "selected": k == chosen} for k, v in choices.items()]


def _link(href: str, text: str) -> str:
    return format_html('<a class="govuk-link" href="{}">{}</a>', href, text)


# --- courses -------------------------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
def index(request: HttpRequest) -> HttpResponse:
    """The course list, with how many sessions each has run and who came."""
    today = timezone.localdate()
    audience = request.GET.get("audience", "")
    if audience not in AUDIENCE_LABELS:
        audience = ""
    status = request.GET.get("status", "active")
    if status not in ("active", "inactive", "all"):
        status = "active"
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
            "rows": [{**r, "title_html": _link(reverse("training:course", args=[r["id"]]), r["title"])} for r in rows],
            "audience_items": [
                {"value": "", "text": "Everyone", "selected": not audience},
                *_options(AUDIENCE_LABELS, audience),
            ],
            "status_items": _options({"active": "Active", "inactive": "Not active", "all": "All"}, status),
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


def _session_rows(sessions: Any) -> list[dict[str, Any]]:
    annotated = sessions.select_related("course").annotate(
        n_registered=Count("registrations"),
        n_attended=Count("registrations", filter=Q(registrations__attendance=Attendance.ATTENDED)),
    )
    return [
        {
            "id": s.pk,
            "when": s.when,
            "course": s.course.title,
            "place": s.place,
            "trainer": s.trainer,
            "capacity": "" if s.capacity is None else s.capacity,
            "registered": s.n_registered,
            "attended": s.n_attended,
        }
        for s in annotated
    ]


def _with_session_links(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "when_html": _link(reverse("training:session", args=[r["id"]]), r["when"])} for r in rows]


@require(Capability.PARTNERSHIP)
def course(request: HttpRequest, course_id: int) -> HttpResponse:
    record = get_object_or_404(Course, pk=course_id)
    rows = _session_rows(record.sessions.order_by("-date", "-start_time", "-id"))
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
            "rows": _with_session_links(rows),
            "mean": f"{scores['mean']:.1f}" if scores["mean"] is not None else None,
            "responses": scores["n"],
        },
    )


# --- sessions ------------------------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
def sessions(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    when = request.GET.get("when", "upcoming")
    if when not in WHEN_CHOICES:
        when = "upcoming"
    found = Session.objects.all()
    if when == "upcoming":
        found = found.filter(date__gte=today).order_by("date", "start_time", "id")
    else:
        found = found.order_by("-date", "-start_time", "-id")
        if when == "past":
            found = found.filter(date__lt=today)
    rows = _session_rows(found)
    table = Table(WHEN_CHOICES[when], SESSION_COLUMNS, rows, frozenset({"capacity", "registered", "attended"}))
    if fmt := requested_format(request):
        return download(table, fmt, f"ever6-training-sessions-{when}")
    return render(
        request,
        "training/sessions.html",
        {
            "title": "Training sessions",
            "table": table,
            "rows": _with_session_links(rows),
            "when_items": _options(WHEN_CHOICES, when),
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
    if request.method == "POST":
        form = SessionForm(request.POST)
        if form.is_valid():
            made = Session.objects.create(course=record, **_session_fields(form), created_by=viewer(request).username)
            messages.success(request, f"Added a session of {record.title} on {made.when}.")
            return redirect("training:session", session_id=made.pk)
    else:
        form = SessionForm(initial={"delivery": "in_person", "trainer": ""})
    return _session_form_page(request, form, record, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    record = get_object_or_404(Session.objects.select_related("course"), pk=session_id)
    if request.method == "POST":
        form = SessionForm(request.POST, session=record)
        if form.is_valid():
            with transaction.atomic():
                for key, value in _session_fields(form).items():
                    setattr(record, key, value)
                record.save()
            messages.success(request, f"Saved the session of {record.course.title} on {record.when}.")
            return redirect("training:session", session_id=record.pk)
    else:
        form = SessionForm(
            session=record,
            initial={
                "date": record.date,
                "start_time": f"{record.start_time:%H:%M}" if record.start_time else "",
                "delivery": record.delivery if record.delivery in ("in_person", "online") else "",
                "location": record.location,
                "capacity": record.capacity if record.capacity is not None else "",
                "trainer": record.trainer,
            },
        )
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


# --- registrations -------------------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, session_id: int) -> HttpResponse:
    record = get_object_or_404(Session.objects.select_related("course"), pk=session_id)
    if request.method == "POST":
        form = RegistrationForm(request.POST, session=record)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    # Check the places again, holding the session's row, in the transaction that
                    # takes one: two people cannot take the last place at once.
                    Session.objects.select_for_update().filter(pk=record.pk).first()
                    taken = Registration.objects.filter(session=record).count()
                    if record.capacity is not None and taken >= record.capacity:
                        raise _Full
                    Registration.objects.create(
                        session=record,
                        attendee_name=data["attendee_name"],
                        email=data["email"],
                        role=data["role"],
                        school=data.get("school"),
                        registered_by=viewer(request).username,
                    )
            except _Full:
                form.add_error(None, f"This session is full: all {record.capacity} places are taken")
            except IntegrityError:
                form.add_error("email", "This email address is already registered for this session")
            else:
                messages.success(request, f"Registered {data['attendee_name']} for this session.")
                return redirect("training:session", session_id=record.pk)
    else:
        form = RegistrationForm(session=record)
    taken = record.registrations.count()
    return render(
        request,
        "training/register.html",
        {
            "title": f"Register someone: {record}",
            "session": record,
            "form": form,
            "full": record.capacity is not None and taken >= record.capacity,
            "school_items": [
                {"value": value, "text": label, "selected": str(form["school"].value() or "") == value}
                for value, label in form.fields["school"].choices
            ],
            "page_error": bool(form.errors),
        },
        status=400 if form.errors else 200,
    )


class _Full(Exception):
    """The last place went while the form was being filled in."""


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, registration_id: int) -> HttpResponse:
    """Take someone off a session (frees the place). Refused once their attendance is recorded."""
    reg = get_object_or_404(Registration.objects.select_related("session__course"), pk=registration_id)
    recorded = reg.attendance != Attendance.NOT_RECORDED
    if request.method == "POST" and not recorded:
        name, session_id = reg.attendee_name, reg.session_id
        reg.delete()
        messages.success(request, f"Withdrew {name} from this session.")
        return redirect("training:session", session_id=session_id)
    return render(
        request,
        "training/withdraw.html",
        {"title": f"Withdraw {reg.attendee_name}", "reg": reg, "recorded": recorded, "page_error": recorded},
        status=400 if recorded and request.method == "POST" else 200,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = get_object_or_404(Registration.objects.select_related("session__course", "school"), pk=registration_id)
    if request.method == "POST":
        form = FeedbackForm(request.POST, attended=reg.attended)
        if form.is_valid():
            reg.feedback_score = form.cleaned_data["score"]
            reg.feedback_comment = form.cleaned_data["comment"]
            reg.feedback_recorded_by = viewer(request).username
            reg.feedback_recorded_at = timezone.now()
            reg.save(
                update_fields=["feedback_score", "feedback_comment", "feedback_recorded_by", "feedback_recorded_at"]
            )
            messages.success(request, f"Recorded feedback from {reg.attendee_name}.")
            return redirect("training:session", session_id=reg.session_id)
    else:
        initial = {"score": str(reg.feedback_score) if reg.feedback_score else "", "comment": reg.feedback_comment}
        form = FeedbackForm(attended=reg.attended, initial=initial)
    return render(
        request,
        "training/feedback_form.html",
        {
            "title": f"Feedback from {reg.attendee_name}",
            "reg": reg,
            "form": form,
            "score_items": [
                {"value": str(n), "text": f"{n} – {label}", "checked": str(form["score"].value() or "") == str(n)}
                for n, label in SCORE_LABELS.items()
            ],
            "page_error": bool(form.errors),
        },
        status=400 if form.errors else 200,
    )


SCORE_LABELS = {1: "very poor", 2: "poor", 3: "satisfactory", 4: "good", 5: "excellent"}


# --- feedback summary ----------------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
def feedback_summary(request: HttpRequest) -> HttpResponse:
    courses = Course.objects.annotate(
        n_registered=Count("sessions__registrations"),
        n_attended=Count("sessions__registrations", filter=Q(sessions__registrations__attendance="attended")),
        n_responses=Count("sessions__registrations__feedback_score"),
        mean=Avg("sessions__registrations__feedback_score"),
    ).order_by("title")
    rows = [
        {
            "title": c.title,
            "audience": AUDIENCE_LABELS[c.audience],
            "registered": c.n_registered,
            "attended": c.n_attended,
            "responses": c.n_responses,
            "mean": f"{c.mean:.2f}" if c.mean is not None else "x",
        }
        for c in courses
        if c.n_registered
    ]
    overall = Registration.objects.aggregate(mean=Avg("feedback_score"), n=Count("feedback_score"))
    table = Table(
        "Feedback by course: mean score from 1 (very poor) to 5 (excellent)",
        FEEDBACK_COLUMNS,
        rows,
        frozenset({"registered", "attended", "responses", "mean"}),
        "Only people who attended give feedback. x: no feedback recorded yet.",
    )
    if fmt := requested_format(request):
        return download(table, fmt, "ever6-training-feedback")
    scored = [r for r in rows if r["mean"] != "x"]
    spec = bar_chart(
        [Point(category=r["title"], series="Mean score", value=float(r["mean"])) for r in scored],
        title="Mean feedback score by course (1 to 5)",
        category_title="Course",
        value_title="Mean score (1 to 5)",
        categories=[r["title"] for r in scored],
        series=["Mean score"],
    )
    return render(
        request,
        "training/feedback.html",
        {
            "title": "Training feedback",
            "table": table,
            "spec": spec,
            "overall_mean": f"{overall['mean']:.2f}" if overall["mean"] is not None else None,
            "overall_n": overall["n"],
        },
    )


# --- coverage ------------------------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
def coverage(request: HttpRequest) -> HttpResponse:
    since_key = request.GET.get("since", "any")
    if since_key not in SINCE_CHOICES:
        since_key = "any"
    show = request.GET.get("show", "all")
    if show not in ("all", "uncovered"):
        show = "all"
    today = timezone.localdate()
    since: date | None = None if since_key == "any" else today - timedelta(days=round(int(since_key) * 365.25 / 12))
    period_text = SINCE_CHOICES[since_key].lower()
    found = cov.coverage(snapshot(), viewer(request), since)
    context: dict[str, Any] = {
        "title": "Training coverage of schools with Ever6 CWSW pupils",
        "since_items": _options(SINCE_CHOICES, since_key),
        "show_items": _options({"all": "All schools", "uncovered": "Only schools not yet covered"}, show),
        "published": found is not None,
    }
    if found is None:
        return render(request, "training/coverage.html", context)
    rows, any_suggested = found
    tiers = cov.by_tier(rows)
    tier_table = cov.tier_table(tiers, period_text)
    school_table = cov.school_table(rows, period_text, only_uncovered=show == "uncovered")
    if fmt := requested_format(request):
        if request.GET.get("table") == "schools":
            return download(school_table, fmt, f"ever6-training-coverage-schools-{since_key}")
        return download(tier_table, fmt, f"ever6-training-coverage-by-tier-{since_key}")
    total = tiers[-1]
    context.update(
        tier_table=tier_table,
        school_table=school_table,
        spec=cov.chart(tiers),
        total=total,
        any_suggested=any_suggested,
    )
    return render(request, "training/coverage.html", context)


# --- bulk import ---------------------------------------------------------------------------------


@require(Capability.PARTNERSHIP)
def import_records(request: HttpRequest) -> HttpResponse:
    """Training records are imported on the shared import page (kind ``training``)."""
    return redirect(reverse("schools:import") + "?kind=" + importers.KIND)
