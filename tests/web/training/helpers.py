"""Shared by the training tests: downloads, form dates, snapshot counts, and records made directly."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, time, timedelta
from typing import Any

import duckdb

from tests.conftest import Published


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(html.unescape(response.content.decode()))))


def _counts(published: Published) -> dict[str, int]:
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        return {u: n for u, n in con.execute("SELECT urn, count(*) FROM school_pupil GROUP BY urn").fetchall()}
    finally:
        con.close()


def _date(prefix: str, day: date | None) -> dict[str, str]:
    if day is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": ""}
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def _course(title: str = "Attachment and trauma-informed practice", **fields: Any) -> Any:
    from ever6.web.training.models import Course

    values = {"audience": "both", "duration_minutes": 180, "provider": "Educational Psychology Service"}
    values.update(fields)
    return Course.objects.create(title=title, **values)


def _session(course: Any, days: int, capacity: int | None = 20, start: time | None = time(9, 30)) -> Any:
    from ever6.web.training.models import Session

    return Session.objects.create(
        course=course,
        date=date.today() + timedelta(days=days),
        start_time=start,
        delivery="in_person",
        location="Civic Centre",
        capacity=capacity,
        trainer="Alex Trainer",
    )


def _reg(session: Any, name: str, email: str, role: str = "dsl", urn: str | None = None, **fields: Any) -> Any:
    from ever6.web.training.models import Registration

    return Registration.objects.create(
        session=session, attendee_name=name, email=email, role=role, school_id=urn, **fields
    )
