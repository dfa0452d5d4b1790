"""Bulk import of training records (kind ``training`` on the shared import page): every row is
checked, with its errors, before anything is saved; confirming saves the valid rows."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import Published

HEADINGS = "Course title,Session date,Attendee name,Email,Role,School URN,Attended,Feedback score"


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def programme(accounts: dict[str, object]) -> dict[str, Any]:
    from ever6.web.training.models import Course, Registration, Session

    course = Course.objects.create(title="Emotion coaching", audience="both", duration_minutes=180, provider="EPS")
    full = Course.objects.create(title="DSL forum", audience="schools", duration_minutes=90, provider="VS")
    last_month = date.today() - timedelta(days=30)
    small = Session.objects.create(course=full, date=last_month, start_time=time(9, 30), capacity=2, location="x")
    Registration.objects.create(session=small, attendee_name="Already Here", email="here@example.org", role="other")
    return {"course": course, "full": full, "small": small, "day": last_month}


def _check(text: str) -> Any:
    from django.utils import timezone

    from ever6.web import bulk

    importer = bulk.get("training")
    assert importer is not None
    context = bulk.Context(username="vs_officer", today=timezone.localdate())
    return bulk.check_rows(importer, text.encode(), "csv", context), context


def _file(*rows: str) -> str:
    return "\n".join([HEADINGS, *rows]) + "\n"


def test_the_training_importer_is_registered(programme: dict[str, Any]) -> None:
    from ever6.web import bulk

    importer = bulk.get("training")
    assert importer is not None
    assert [c.name for c in importer.columns] == [
        "course_title",
        "session_date",
        "attendee_name",
        "email",
        "role",
        "school_urn",
        "attended",
        "feedback_score",
    ]
    assert [c.name for c in importer.columns if c.required] == [
        "course_title",
        "session_date",
        "attendee_name",
        "email",
        "role",
    ]


def test_every_kind_of_bad_row_is_refused_with_its_reason(programme: dict[str, Any], published: Published) -> None:
    day = programme["day"].strftime("%d/%m/%Y")
    future = (date.today() + timedelta(days=10)).strftime("%d/%m/%Y")
    urn = published.urn
    preview, _ = _check(
        _file(
            f"Emotion coaching,{day},Good Row,good@example.sch.uk,DSL / CWSW lead,{urn},yes,5",  # 2 ok
            f"No such course,{day},A Person,a@example.org,other,,yes,",  # 3
            "Emotion coaching,31/02/2026,A Person,b@example.org,other,,yes,",  # 4
            f"Emotion coaching,{day},A Person,not-an-email,other,,yes,",  # 5
            f"Emotion coaching,{day},A Person,c@example.org,Caretaker,,yes,",  # 6
            f"Emotion coaching,{day},A Person,d@example.org,SENCO,,yes,",  # 7 school role, no school
            f"Emotion coaching,{day},A Person,e@example.org,SENCO,999999,yes,",  # 8 unknown school
            f"Emotion coaching,{future},A Person,f@example.org,social worker,,yes,",  # 9 future attendance
            f"Emotion coaching,{day},A Person,g@example.org,social worker,,no,4",  # 10 feedback, did not attend
            f"Emotion coaching,{day},A Person,h@example.org,social worker,,maybe,",  # 11
            f"Emotion coaching,{day},A Person,i@example.org,social worker,,yes,7",  # 12
            f"Emotion coaching,{day},Again,GOOD@example.sch.uk,DSL,{urn},yes,",  # 13 duplicate in the file
            f"DSL forum,{day},Dup,here@example.org,other,,yes,",  # 14 already registered
            f"DSL forum,{day},Fits,one@example.org,other,,yes,",  # 15 ok: the last place
            f"DSL forum,{day},Too Many,two@example.org,other,,yes,",  # 16 full
            f",{day},,,,,,",  # 17 missing everything
        )
    )
    errors: dict[int, list[tuple[str, str]]] = {}
    for e in preview.errors():
        errors.setdefault(e["row"], []).append((e["column"], e["message"]))
    assert [o.row for o in preview.valid] == [2, 15]
    assert errors[3] == [
        ("course_title", "No course is called “No such course”: add the course to the programme first")
    ]
    assert errors[4] == [("session_date", "Session date must be a real date, like 14/10/2025 or 2025-10-14")]
    assert errors[5] == [("email", "Enter an email address in the correct format, like name@example.com")]
    assert errors[6][0][0] == "role"
    assert errors[6][0][1].startswith("Role must be one of: DSL / CWSW lead, Designated teacher")
    assert errors[7] == [("school_urn", "Enter the URN of the SENCO's school")]
    assert errors[8] == [("school_urn", "No school or setting in the register has the URN 999999")]
    assert errors[9] == [
        ("session_date", "Session date must be today or in the past when attendance or feedback is recorded")
    ]
    assert errors[10] == [("feedback_score", "A feedback score is only for someone who attended: set attended to yes")]
    assert errors[11] == [("attended", "Attended must be yes, no, or left blank if not yet known")]
    assert errors[12] == [("feedback_score", "Feedback score must be a whole number from 1 to 5")]
    assert errors[13] == [("email", "Row 2 has the same email address on this session")]
    assert errors[14] == [("email", "This email address is already registered for this session")]
    assert errors[16] == [("session_date", "The session is full: it has 2 places")]
    assert {c for c, _ in errors[17]} == {"course_title", "attendee_name", "email", "role"}
    assert "Good Row (DSL / CWSW lead" in preview.valid[0].checked.summary
    assert "(a new session)" in preview.valid[0].checked.summary
    assert "(a new session)" not in preview.valid[1].checked.summary


def test_checking_saves_nothing_and_confirming_saves_the_valid_rows(
    programme: dict[str, Any], published: Published
) -> None:
    from django.db import transaction

    from ever6.web import bulk
    from ever6.web.training.models import Registration, Session

    day = programme["day"]
    text = _file(
        f"emotion  COACHING,{day.isoformat()},Priya Shah,P.Shah@Example.sch.uk,dsl,{published.urn},Yes,4",
        f"Emotion coaching,{day.strftime('%d/%m/%Y')},Tom Green,t.green@example.org,Social worker,,no,",
        f"Emotion coaching,{(day - timedelta(days=7)).isoformat()},Kim Lee,k.lee@example.org,SMHL,{published.urn},,",
        "Emotion coaching,not a date,Bad Row,bad@example.org,other,,,",
    )
    before = (Session.objects.count(), Registration.objects.count())
    preview, context = _check(text)
    assert (Session.objects.count(), Registration.objects.count()) == before
    assert len(preview.valid) == 3
    assert len(preview.invalid) == 1
    with transaction.atomic():
        assert bulk.save_valid(preview, context) == 3
    made = Registration.objects.filter(session__course=programme["course"]).order_by("attendee_name")
    assert [(r.attendee_name, r.email, r.role, r.attendance, r.feedback_score, r.source) for r in made] == [
        ("Kim Lee", "k.lee@example.org", "mental_health_lead", "not_recorded", None, "imported"),
        ("Priya Shah", "p.shah@example.sch.uk", "dsl", "attended", 4, "imported"),
        ("Tom Green", "t.green@example.org", "social_worker", "did_not_attend", None, "imported"),
    ]
    sessions = Session.objects.filter(course=programme["course"])
    assert sorted(s.date for s in sessions) == [day - timedelta(days=7), day]  # one session per date
    assert {s.source for s in sessions} == {"imported"}
    # The same file again: every row is now a duplicate.
    again, _ = _check(text)
    assert not again.valid


def test_two_sessions_on_one_day_cannot_be_told_apart(programme: dict[str, Any]) -> None:
    from ever6.web.training.models import Session

    day = programme["day"]
    for start in (time(9, 30), time(13, 30)):
        Session.objects.create(course=programme["course"], date=day, start_time=start, capacity=20)
    preview, _ = _check(_file(f"Emotion coaching,{day.isoformat()},A Person,a@example.org,other,,yes,"))
    assert preview.errors()[0]["message"].startswith("Emotion coaching has 2 sessions on")


def test_importing_through_the_shared_page(client_for: Callable[[str], Client], programme: dict[str, Any]) -> None:
    from ever6.web import bulk
    from ever6.web.training.models import Registration

    client = client_for("vs_officer")
    assert client.get("/training/import/")["Location"] == "/schools/import/?kind=training"
    page = client.get("/schools/import/?kind=training")
    assert page.status_code == 200
    assert "Training records" in page.content.decode()
    template = client.get("/schools/import/template/training.csv")
    assert template.status_code == 200
    assert template.content.decode().splitlines()[0] == (
        "course_title,session_date,attendee_name,email,role,school_urn,attended,feedback_score"
    )
    day = programme["day"].isoformat()
    upload = SimpleUploadedFile(
        "training.csv",
        _file(f"Emotion coaching,{day},Sam Okafor,sam@example.org,social worker,,yes,5").encode(),
        content_type="text/csv",
    )
    response = client.post("/schools/import/", {"kind": "training", "upload": upload})
    assert response.status_code == 302
    assert not Registration.objects.filter(email="sam@example.org").exists()  # only previewed
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "Sam Okafor" in preview.content.decode()
    token = client.session[bulk.SESSION_KEY]["token"]
    confirmed = client.post(response["Location"], {"token": token, "action": "confirm"})
    assert confirmed.status_code == 302
    made = Registration.objects.get(email="sam@example.org")
    assert (made.attendance, made.feedback_score, made.registered_by) == ("attended", 5, "vs_officer")


def test_an_excel_file_is_read_too(programme: dict[str, Any]) -> None:
    from django.utils import timezone
    from openpyxl import Workbook

    from ever6.web import bulk

    wb = Workbook()
    ws = wb.active
    ws.append(HEADINGS.split(","))
    ws.append(["Emotion coaching", programme["day"], "Sam Okafor", "sam@example.org", "Social worker", None, "yes", 5])
    out = io.BytesIO()
    wb.save(out)
    importer = bulk.get("training")
    assert importer is not None
    context = bulk.Context(username="vs_officer", today=timezone.localdate())
    preview = bulk.check_rows(importer, out.getvalue(), "xlsx", context)
    assert len(preview.valid) == 1
    assert preview.valid[0].checked.record.score == 5
