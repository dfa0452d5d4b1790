"""Bulk import of existing training records (kind ``training`` of :mod:`ever6.web.bulk`, on the
shared import page ``/schools/import/``): upload, preview with each row's errors, confirm.

One row is one person on one session of a course: course title, session date, attendee name,
email, role, school URN, attended (yes / no / blank) and feedback score (1 to 5, attendees only).

- The course must already be in the programme (matched by title, ignoring case and spacing).
- The session is the course's session on that date; when the course has none that day, the import
  adds one (no time, place or capacity recorded: the file does not say); when it has more than one,
  the row is refused because the file cannot say which.
- A row is refused for: a missing or unreadable value, a bad email address, a role the programme
  does not know, a school role without a school in the register, attendance or feedback for a
  session in the future, feedback from someone who did not attend, the same email twice on one
  session (in the file, or already registered), and places beyond a session's capacity.

Registered from :class:`ever6.web.training.apps.TrainingConfig`. ``validate`` only reads; the
shared machinery runs it again on confirm and saves the valid rows in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms

from ever6.web import bulk
from ever6.web.schools.models import School
from ever6.web.training.forms import clean_email
from ever6.web.training.models import (
    SCHOOL_ROLES,
    Attendance,
    AttendeeRole,
    Course,
    Delivery,
    Registration,
    Session,
    Source,
    long_date,
)

KIND = "training"
ATTENDED = str(Attendance.ATTENDED)
DID_NOT_ATTEND = str(Attendance.DID_NOT_ATTEND)
NOT_RECORDED = str(Attendance.NOT_RECORDED)
ROLE_LABELS: dict[str, str] = {str(v): str(label) for v, label in AttendeeRole.choices}

COLUMNS = (
    bulk.Column(
        "course_title", "The course's title, as in the programme (add the course first)", True, "Emotion coaching"
    ),
    bulk.Column(
        "session_date",
        "The date of the session, like 14/10/2025 or 2025-10-14; today or earlier if attendance is recorded",
        True,
        "14/10/2025",
    ),
    bulk.Column("attendee_name", "The attendee's full name", True, "Sam Okafor"),
    bulk.Column("email", "Their work email address: once per session", True, "s.okafor@example.sch.uk"),
    bulk.Column("role", "One of: " + ", ".join(ROLE_LABELS.values()), True, ROLE_LABELS["dsl"]),
    bulk.Column(
        "school_urn", "The URN of their school (needed for school staff; blank for social workers)", False, "100001"
    ),
    bulk.Column("attended", "yes, no, or blank if not yet known", False, "yes"),
    bulk.Column("feedback_score", "1 (very poor) to 5 (excellent), for someone who attended (optional)", False, "5"),
)

# Other ways a spreadsheet names a role (matched after the codes and labels).
ROLE_SYNONYMS: dict[str, str] = {
    "dsl": "dsl",
    "cwsw lead": "dsl",
    "designated safeguarding lead": "dsl",
    "dt": "designated_teacher",
    "sendco": "senco",
    "smhl": "mental_health_lead",
    "mental health lead": "mental_health_lead",
    "head": "headteacher",
    "head teacher": "headteacher",
    "sw": "social_worker",
}
YES = frozenset({"yes", "y", "true", "1", "attended"})
NO = frozenset({"no", "n", "false", "0", "did not attend", "dna", "absent"})
LONG_DATE_FORMATS = ("%d %B %Y", "%d %b %Y")


@dataclass(frozen=True)
class Planned:
    """A valid row: the registration it will create (and the session, when ``session`` is None)."""

    course: Course
    day: date
    session: Session | None
    name: str
    email: str
    role: str
    school: School | None
    attendance: str
    score: int | None


def _norm(text: str) -> str:
    """``DSL/CWSW  lead`` and ``dsl / cwsw lead`` alike."""
    return " ".join(text.lower().replace("_", " ").replace("/", " / ").split())


ROLE_NAMES: dict[str, str] = {
    **{_norm(value): value for value in ROLE_LABELS},
    **{_norm(label): value for value, label in ROLE_LABELS.items()},
    **{_norm(name): value for name, value in ROLE_SYNONYMS.items()},
}


def role_of(text: str) -> str | None:
    """A role by its label, its code or a common short name, ignoring case and spacing."""
    return ROLE_NAMES.get(_norm(text))


def parse_day(text: str) -> date | None:
    """A session date; ``None`` when it is not a real date. Also reads ``14 October 2025``."""
    try:
        return bulk.parse_date(text)
    except ValueError:
        pass
    for fmt in LONG_DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _cached(context: bulk.Context) -> dict[str, Any]:
    cache: dict[str, Any] = context.cache
    if "courses" not in cache:
        cache["courses"] = {" ".join(c.title.lower().split()): c for c in Course.objects.all()}
        cache["schools"] = {s.urn: s for s in School.objects.all()}
        cache["sessions"] = {}  # (course id, date) -> [Session]
        cache["registered"] = {}  # session id -> set of emails
        cache["taken"] = {}  # session id -> places taken, counting valid rows so far
    return cache


def _sessions(cache: dict[str, Any], course: Course, day: date) -> list[Session]:
    key = (course.pk, day)
    if key not in cache["sessions"]:
        cache["sessions"][key] = list(Session.objects.filter(course=course, date=day).order_by("start_time", "id"))
    found: list[Session] = cache["sessions"][key]
    return found


def _registered(cache: dict[str, Any], session: Session) -> set[str]:
    if session.pk not in cache["registered"]:
        emails = set(Registration.objects.filter(session=session).values_list("email", flat=True))
        cache["registered"][session.pk] = emails
        cache["taken"][session.pk] = len(emails)
    found: set[str] = cache["registered"][session.pk]
    return found


def validate(values: dict[str, str], context: bulk.Context) -> bulk.Checked:
    cache = _cached(context)
    errors: list[tuple[str, str]] = []

    title = " ".join(values["course_title"].split())
    course: Course | None = None
    if not title:
        errors.append(("course_title", "Enter the course title"))
    else:
        course = cache["courses"].get(title.lower())
        if course is None:
            errors.append(("course_title", f"No course is called “{title}”: add the course to the programme first"))

    day: date | None = None
    if not values["session_date"].strip():
        errors.append(("session_date", "Enter the session date"))
    else:
        day = parse_day(values["session_date"])
        if day is None:
            errors.append(("session_date", "Session date must be a real date, like 14/10/2025 or 2025-10-14"))

    name = " ".join(values["attendee_name"].split())
    if not name:
        errors.append(("attendee_name", "Enter the attendee's full name"))
    elif len(name) > 200:
        errors.append(("attendee_name", "Attendee name must be 200 characters or fewer"))

    email = ""
    try:
        email = clean_email(values["email"])
    except forms.ValidationError as exc:
        errors.append(("email", str(exc.messages[0])))

    role = ""
    if not values["role"].strip():
        errors.append(("role", "Enter the attendee's role"))
    else:
        role = role_of(values["role"]) or ""
        if not role:
            errors.append(("role", "Role must be one of: " + ", ".join(ROLE_LABELS.values())))

    urn = values.get("school_urn", "").strip()
    school: School | None = None
    if urn:
        school = cache["schools"].get(urn)
        if school is None:
            errors.append(("school_urn", f"No school or setting in the register has the URN {urn}"))
    elif role in SCHOOL_ROLES:
        errors.append(("school_urn", f"Enter the URN of the {ROLE_LABELS[role]}'s school"))

    attended_text = " ".join(values.get("attended", "").lower().split())
    attendance = NOT_RECORDED
    if attended_text in YES:
        attendance = ATTENDED
    elif attended_text in NO:
        attendance = DID_NOT_ATTEND
    elif attended_text:
        errors.append(("attended", "Attended must be yes, no, or left blank if not yet known"))

    score_text = values.get("feedback_score", "").strip()
    score: int | None = None
    if score_text:
        if re.fullmatch(r"[1-5](\.0+)?", score_text):
            score = int(float(score_text))
            if attendance != ATTENDED:
                errors.append(
                    ("feedback_score", "A feedback score is only for someone who attended: set attended to yes")
                )
        else:
            errors.append(("feedback_score", "Feedback score must be a whole number from 1 to 5"))

    if day is not None and day > context.today and (attendance != NOT_RECORDED or score is not None):
        errors.append(
            ("session_date", "Session date must be today or in the past when attendance or feedback is recorded")
        )

    session: Session | None = None
    if course is not None and day is not None:
        found = _sessions(cache, course, day)
        if len(found) > 1:
            errors.append(
                (
                    "session_date",
                    f"{course.title} has {len(found)} sessions on {long_date(day)}: "
                    "register this person on the session's own page",
                )
            )
        elif found:
            session = found[0]
        if email and len(found) <= 1:
            key = (course.pk, day, email)
            if key in context.seen:
                errors.append(("email", f"Row {context.seen[key]} has the same email address on this session"))
            else:
                context.seen[key] = context.row
                if session is not None and email in _registered(cache, session):
                    errors.append(("email", "This email address is already registered for this session"))

    if errors or course is None or day is None:
        return bulk.Checked(errors=errors)

    if session is not None and session.capacity is not None:
        taken = cache["taken"][session.pk] + 1
        if taken > session.capacity:
            return bulk.Checked(errors=[("session_date", f"The session is full: it has {session.capacity} places")])
        cache["taken"][session.pk] = taken

    planned = Planned(course, day, session, name, email, role, school, attendance, score)
    return bulk.Checked(record=planned, summary=_summary(planned))


def _summary(p: Planned) -> str:
    who = f"{p.name} ({ROLE_LABELS[p.role]}" + (f", {p.school.name} {p.school.urn})" if p.school else ")")
    where = f"{p.course.title}, {long_date(p.day)}" + ("" if p.session else " (a new session)")
    outcome = {ATTENDED: "attended", DID_NOT_ATTEND: "did not attend", NOT_RECORDED: "attendance not recorded"}
    feedback = f", feedback {p.score} out of 5" if p.score is not None else ""
    return f"{who} on {where}: {outcome[p.attendance]}{feedback}"


def save(records: list[Any], context: bulk.Context) -> int:
    """Create the sessions the file needs (one per course and date) and every registration."""
    from django.utils import timezone

    now = timezone.now()
    made_sessions: dict[tuple[int, date], Session] = {}
    for p in records:
        session = p.session
        if session is None:
            key = (p.course.pk, p.day)
            session = made_sessions.get(key)
            if session is None:
                session = Session.objects.create(
                    course=p.course,
                    date=p.day,
                    delivery=Delivery.NOT_RECORDED,
                    source=Source.IMPORTED,
                    created_by=context.username,
                )
                made_sessions[key] = session
        recorded = p.attendance != NOT_RECORDED
        Registration.objects.create(
            session=session,
            attendee_name=p.name,
            email=p.email,
            role=p.role,
            school=p.school,
            attendance=p.attendance,
            attendance_recorded_by=context.username if recorded else "",
            attendance_recorded_at=now if recorded else None,
            feedback_score=p.score,
            feedback_recorded_by=context.username if p.score is not None else "",
            feedback_recorded_at=now if p.score is not None else None,
            source=Source.IMPORTED,
            registered_by=context.username,
        )
    return len(records)


def register() -> None:
    bulk.register(
        bulk.Importer(
            kind=KIND,
            label="Training records",
            noun="training records",
            columns=COLUMNS,
            validate=validate,
            save=save,
        )
    )
