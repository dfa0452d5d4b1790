"""Demonstration data for the training programme: the courses a Virtual School runs for schools
and for social workers (as the source documents describe them), a year of past sessions with
attendance and feedback, and the coming term's sessions with registrations.

Only professionals are named (made-up names from Faker); no child appears. Running it again
replaces the demo records and leaves records that people entered or imported alone.
"""

from __future__ import annotations

import random
import re
from datetime import date, time, timedelta

import faker
from django.db import transaction

from ever6.access import NotPublished, Role, Viewer
from ever6.web.guard import snapshot
from ever6.web.schools.models import School
from ever6.web.training.models import (
    SCHOOL_ROLES,
    Attendance,
    AttendeeRole,
    Audience,
    Course,
    Delivery,
    Registration,
    Session,
    Source,
)

_SEEDER = Viewer(username="system:demo", role=Role.VS_OFFICER)
DEMO_USER = "demo"

# (title, audience, minutes, provider, description, active)
COURSES = (
    (
        "Children with a social worker: the role of the DSL",
        Audience.SCHOOLS,
        120,
        "Virtual School",
        "Induction for DSLs and CWSW leads new to the post: the extended Virtual School Head role, "
        "the Ever6 CWSW cohort, data sharing and what the Virtual School offers.",
        True,
    ),
    (
        "Attachment and trauma-informed practice",
        Audience.BOTH,
        180,
        "Educational Psychology Service",
        "Understanding attachment and trauma, and the classroom strategies that help children who "
        "have experienced adversity.",
        True,
    ),
    (
        "Improving attendance for children with a social worker",
        Audience.SCHOOLS,
        90,
        "Virtual School",
        "Common barriers to attendance, working with social workers and families, and using the "
        "attendance data the Virtual School shares.",
        True,
    ),
    (
        "Education for social workers: admissions, attendance and exclusions",
        Audience.SOCIAL_WORKERS,
        120,
        "Virtual School",
        "The education system for social workers: how to challenge and support schools on "
        "admissions, part-time timetables, suspensions and exclusions.",
        True,
    ),
    (
        "SEND and EHC plans: what social workers need to know",
        Audience.SOCIAL_WORKERS,
        120,
        "SEND Service",
        "Statutory assessment, what social care advice in an EHC plan should say, and annual reviews.",
        True,
    ),
    (
        "Mental health and wellbeing: a whole-school approach",
        Audience.SCHOOLS,
        150,
        "CAMHS and the Mental Health Support Team",
        "For senior mental health leads and DSLs: factoring children with a social worker into the "
        "school's mental health strategy.",
        True,
    ),
    (
        "DSL and designated teacher forum",
        Audience.SCHOOLS,
        90,
        "Virtual School",
        "Termly forum: updates, case studies of effective practice, and evidence-based interventions "
        "(Education Endowment Foundation toolkit).",
        True,
    ),
    (
        "Emotion coaching",
        Audience.BOTH,
        180,
        "Educational Psychology Service",
        "Replaced by the attachment and trauma-informed practice course.",
        False,
    ),
)
TIMES = (time(9, 30), time(13, 30), time(15, 45))
VENUES = ("Civic Centre, Training Room 1", "Professional Development Centre, Room 4", "Town Hall, Committee Room 2")
SCHOOL_ROLE_WEIGHTS: tuple[tuple[str, int], ...] = (
    (str(AttendeeRole.DSL), 40),
    (str(AttendeeRole.DESIGNATED_TEACHER), 25),
    (str(AttendeeRole.SENCO), 15),
    (str(AttendeeRole.MENTAL_HEALTH_LEAD), 10),
    (str(AttendeeRole.HEADTEACHER), 5),
    (str(AttendeeRole.OTHER), 5),
)


def clear_demo() -> None:
    """Delete the demo's training records (sessions first: a course protects its sessions)."""
    Registration.objects.filter(session__course__source=Source.DEMO).delete()
    Session.objects.filter(course__source=Source.DEMO).delete()
    Course.objects.filter(source=Source.DEMO).delete()


def _cohort_urns() -> dict[str, int]:
    try:
        return snapshot().cohort_counts_by_school(_SEEDER)
    except NotPublished:
        return {}


def _person(fake: faker.Faker) -> str:
    """A made-up professional's name, without a title (Faker adds "Mr", "Dr" to some)."""
    return f"{fake.first_name()} {fake.last_name()}"


def _email(name: str, domain: str) -> str:
    first, _, last = name.partition(" ")
    local = f"{first}.{last}".lower()
    return re.sub(r"[^a-z.]", "", local) + f"@{domain}"


def seed_demo(rng: random.Random, today: date) -> None:
    """Replace the demo training programme: courses, sessions around ``today``, registrations."""
    fake = faker.Faker("en_GB")
    fake.seed_instance(rng.randrange(2**32))
    with transaction.atomic():
        clear_demo()
        schools = list(School.objects.all())
        counts = _cohort_urns()
        # Schools with Ever6 CWSW pupils send staff more often, but not all of them have yet.
        weights = [3.0 + min(counts.get(s.urn, 0), 30) / 3 if counts.get(s.urn) else 1.0 for s in schools]
        engaged = {s.urn for s in schools if rng.random() < 0.65}
        taken = {c.lower() for c in Course.objects.values_list("title", flat=True)}
        staff: dict[tuple[str, str], str] = {}  # (urn, role) -> the same person each time
        for title, audience, minutes, provider, description, active in COURSES:
            if title.lower() in taken:
                continue
            course = Course.objects.create(
                title=title,
                audience=audience,
                duration_minutes=minutes,
                provider=provider,
                description=description,
                active=active,
                source=Source.DEMO,
                created_by=DEMO_USER,
            )
            offsets = [-rng.randint(20, 360) for _ in range(rng.randint(3, 5))]
            if active:
                offsets += [rng.randint(7, 90) for _ in range(rng.randint(1, 2))]
            else:
                offsets = [-rng.randint(400, 700) for _ in range(2)]
            for offset in sorted(offsets):
                online = rng.random() < 0.4
                session = Session.objects.create(
                    course=course,
                    date=today + timedelta(days=offset),
                    start_time=rng.choice(TIMES),
                    delivery=Delivery.ONLINE if online else Delivery.IN_PERSON,
                    location="Microsoft Teams (joining link sent to those registered)"
                    if online
                    else rng.choice(VENUES),
                    capacity=rng.choice((20, 24, 30)),
                    trainer=_person(fake),
                    source=Source.DEMO,
                    created_by=DEMO_USER,
                )
                _register(rng, fake, session, schools, weights, engaged, staff, past=offset < 0)


def _register(
    rng: random.Random,
    fake: faker.Faker,
    session: Session,
    schools: list[School],
    weights: list[float],
    engaged: set[str],
    staff: dict[tuple[str, str], str],
    *,
    past: bool,
) -> None:
    capacity = session.capacity or 20
    wanted = rng.randint(capacity // 2, capacity)
    emails: set[str] = set()
    audience = session.course.audience
    for _ in range(wanted):
        to_school = audience == Audience.SCHOOLS or (audience == Audience.BOTH and rng.random() < 0.6)
        school: School | None = None
        if to_school and schools:
            school = rng.choices(schools, weights=weights)[0]
            if school.urn not in engaged:
                continue
            role = rng.choices([r for r, _ in SCHOOL_ROLE_WEIGHTS], weights=[w for _, w in SCHOOL_ROLE_WEIGHTS])[0]
            name = staff.setdefault((school.urn, role), _person(fake))
            email = _email(name, f"school-{school.urn}.example.org")
        else:
            role = str(AttendeeRole.SOCIAL_WORKER) if rng.random() < 0.9 else str(AttendeeRole.OTHER)
            name = _person(fake)
            email = _email(name, "childrens-services.example.org")
        if email in emails or (role in SCHOOL_ROLES and school is None):
            continue
        emails.add(email)
        attendance, score, comment = Attendance.NOT_RECORDED, None, ""
        if past:
            attendance = Attendance.ATTENDED if rng.random() < 0.85 else Attendance.DID_NOT_ATTEND
            if attendance == Attendance.ATTENDED and rng.random() < 0.7:
                score = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 8, 20, 18))[0]
                comment = rng.choice(
                    (
                        "",
                        "Practical strategies I can use straight away.",
                        "Helpful to hear how other schools do it.",
                        "Would like a follow-up session.",
                        "Too much content for the time.",
                        "Useful case studies.",
                    )
                )
        Registration.objects.create(
            session=session,
            attendee_name=name,
            email=email,
            role=role,
            school=school,
            attendance=attendance,
            attendance_recorded_by=DEMO_USER if past else "",
            feedback_score=score,
            feedback_comment=comment,
            feedback_recorded_by=DEMO_USER if score else "",
            source=Source.DEMO,
            registered_by=DEMO_USER,
        )
