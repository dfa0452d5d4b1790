"""Helpers shared by the training pages: audience labels, the sessions table, filter options and links."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from ever6.web.training.models import Attendance, Audience

AUDIENCE_LABELS = dict(Audience.choices)

SESSION_COLUMNS = (
    ("when", "Date and time"),
    ("course", "Course"),
    ("place", "Where"),
    ("trainer", "Trainer"),
    ("capacity", "Places"),
    ("registered", "Registered"),
    ("attended", "Attended"),
)


def options(choices: dict[str, str], chosen: str) -> list[dict[str, Any]]:
    return [{"value": k, "text": v, "selected": k == chosen} for k, v in choices.items()]


def link(href: str, text: str) -> str:
    return format_html('<a class="govuk-link" href="{}">{}</a>', href, text)


def session_rows(sessions: Any) -> list[dict[str, Any]]:
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


def with_session_links(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "when_html": link(reverse("training:session", args=[r["id"]]), r["when"])} for r in rows]
