"""Demo records for the support pages: an interventions library, a year of advice-line enquiries,
consultations and clinics with bookings, summaries and actions, and recommendations to schools.

Professionals' names come from Faker; no child is named or numbered anywhere. Every record made
here has ``recorded_by="demo"`` and is replaced on each run, so seeding twice gives the same
result for the same random generator and day. The evidence ratings are illustrative: an authority
checks them against the live toolkits before relying on them.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from faker import Faker

from ever6.access import Role, Viewer
from ever6.web.schools.models import School
from ever6.web.support.models import (
    DEMO,
    AgreedAction,
    Attendance,
    BookerType,
    Booking,
    Channel,
    Clinic,
    EnquirerType,
    Enquiry,
    Intervention,
    Mode,
    Recommendation,
)

EEF = "https://educationendowmentfoundation.org.uk/education-evidence/teaching-learning-toolkit/"
EEF_EY = "https://educationendowmentfoundation.org.uk/education-evidence/early-years-toolkit/"
WWCSC = "https://whatworks-csc.org.uk/"

# name, description, source, evidence, cost band, phase, link
LIBRARY: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "Metacognition and self-regulation",
        "Explicit teaching of how to plan, monitor and evaluate learning. Low cost and suited to whole classes, "
        "so pupils with a social worker benefit without being singled out.",
        "eef",
        "p4",
        "1",
        "all",
        EEF + "metacognition-and-self-regulation",
    ),
    (
        "Reading comprehension strategies",
        "Teaching strategies such as inference, summarising and questioning, with texts at the right level of "
        "challenge. Useful where gaps in schooling have left reading behind.",
        "eef",
        "p4",
        "1",
        "all",
        EEF + "reading-comprehension-strategies",
    ),
    (
        "Oral language interventions",
        "Structured talk and vocabulary work, in class or in small groups. Many children who have experienced "
        "neglect start school with weaker language.",
        "eef",
        "p4",
        "1",
        "all",
        EEF + "oral-language-interventions",
    ),
    (
        "One to one tuition",
        "Short, regular sessions with a trained tutor linked to classroom teaching. Consider the relationship with "
        "the tutor: consistency matters for this cohort.",
        "eef",
        "p3",
        "2",
        "all",
        EEF + "one-to-one-tuition",
    ),
    (
        "Small group tuition",
        "Teaching two to five pupils together, focused on identified gaps; a cheaper alternative to one to one "
        "tuition.",
        "eef",
        "p3",
        "2",
        "all",
        EEF + "small-group-tuition",
    ),
    (
        "Social and emotional learning",
        "Whole-school and targeted programmes that teach recognising and managing emotions and relationships. "
        "Pair with trauma-informed practice.",
        "eef",
        "p2",
        "1",
        "all",
        EEF + "social-and-emotional-learning",
    ),
    (
        "Mentoring",
        "A trusted adult or older peer meets the pupil regularly. Effects on attainment are small, with benefits "
        "for attendance and attitudes to school; poor or broken pairings can do harm.",
        "eef",
        "p3",
        "2",
        "secondary",
        EEF + "mentoring",
    ),
    (
        "Parental engagement",
        "Helping parents and carers support learning at home, with a main point of contact and planned, not only "
        "crisis, communication.",
        "eef",
        "p3",
        "1",
        "all",
        EEF + "parental-engagement",
    ),
    (
        "Behaviour interventions",
        "Targeted approaches for pupils at risk of suspension, with clear routines and reasonable adjustments. "
        "Involve the social worker early when suspension is a risk.",
        "eef",
        "p2",
        "2",
        "all",
        EEF + "behaviour-interventions",
    ),
    (
        "Communication and language approaches (early years)",
        "Adults modelling and extending children's talk in early years settings, through reading together and "
        "everyday interactions.",
        "eef",
        "p3",
        "1",
        "early_years",
        EEF_EY + "communication-and-language-approaches",
    ),
    (
        "Key adult and Team Around the Child",
        "A named key adult in school and a small team that meets regularly, with a one-page profile of what helps "
        "the pupil learn and what triggers distress.",
        "other",
        "moderate",
        "1",
        "all",
        "",
    ),
    (
        "Attendance support plan with the social worker",
        "A joint plan agreed by the school, the family and the social worker when attendance starts to slip, "
        "reviewed every few weeks.",
        "wwcsc",
        "moderate",
        "1",
        "all",
        WWCSC,
    ),
    (
        "Tutoring for children with a social worker",
        "Tutoring programmes studied with children in need: evidence of modest gains when sessions are regular "
        "and the tutor stays the same.",
        "wwcsc",
        "low",
        "2",
        "all",
        WWCSC,
    ),
    (
        "Attachment and trauma awareness training",
        "Training for all staff in attachment and trauma-informed practice, so that behaviour is understood as "
        "communication.",
        "other",
        "low",
        "2",
        "all",
        "",
    ),
    (
        "Transition programme for vulnerable pupils",
        "Extra visits, a transition passport and a named contact for the move from primary to secondary, or into "
        "post-16.",
        "other",
        "low",
        "1",
        "all",
        "",
    ),
)

QUESTIONS: dict[str, tuple[str, ...]] = {
    "attendance": (
        "A Year 8 pupil on a child in need plan has attendance below 70% this term. What should the school try "
        "before a referral to the attendance service, and how should the social worker be involved?",
        "Several pupils with a social worker in our Year 10 are persistently absent. Is there an approach that "
        "has worked in other schools?",
        "A primary pupil on a child protection plan arrives late most days. What reasonable adjustments and "
        "conversations with the family would you suggest?",
    ),
    "suspension": (
        "A Year 9 pupil with a social worker is at risk of a further suspension. What should the school do "
        "before deciding, and who must be told?",
        "We are considering a permanent exclusion for a pupil open to children's social care. What does the "
        "guidance say about the social worker's part in the process?",
    ),
    "send": (
        "A pupil on a child in need plan may have unmet SEND needs. How do we request an EHC needs assessment "
        "while the family situation is unsettled?",
        "How can the SENCO and the social worker work together on a pupil's SEN support plan?",
    ),
    "mental_health": (
        "A Year 11 pupil with a social worker is self-harming and on the CAMHS waiting list. What support can "
        "school put in place while they wait?",
        "Staff are worried about anxiety-based school avoidance in a group of pupils with social workers. Which "
        "services can help?",
    ),
    "transition": (
        "Three pupils with a social worker move to secondary in September. What should the transition plan "
        "include, and what should be shared with the new school?",
        "A pupil on a child protection plan is moving school mid-year after a placement change. How do we make "
        "sure the new school has what it needs?",
    ),
    "ehe": (
        "A parent of a pupil on a child in need plan wants to home educate. What should the school and the "
        "social worker do?",
    ),
    "post16": (
        "A Year 11 pupil with a social worker has no post-16 place yet. What options and support are there?",
        "How can a college support a student whose child in need plan closed last year?",
    ),
    "other": (
        "Can the Virtual School provide training for our staff on children with a social worker?",
        "Where can we find our school's figures for children with a social worker?",
    ),
}

RESPONSES: dict[str, str] = {
    "advice": "Talked through the guidance and the school's options; shared the Virtual School's good "
    "practice note for children with a social worker.",
    "signposted": "Signposted to the relevant local service and shared the referral route.",
    "clinic": "Offered a place at the next consultation clinic, ideally with the social worker attending.",
    "training": "Recommended the rolling training programme for school staff and shared the dates.",
    "intervention": "Recommended an evidence-based intervention from the library and how to evaluate it.",
    "no_action": "Answered the question; no further action needed.",
}

CLINIC_TOPICS: dict[str, tuple[str, ...]] = {
    "camhs": ("Emotionally based school avoidance: case consultations", "Self-harm and anxiety in school"),
    "ep": ("Learning needs after trauma: consultation", "Planning support for pupils with gaps in schooling"),
    "sen": ("EHC needs assessments for children with a social worker", "SEN support plans and reviews"),
    "yos": ("Pupils at risk of exploitation: education planning", "Reducing suspensions with the YOS"),
    "ssw": ("Working with social workers on attendance", "Child in need plans and education"),
}
VENUES = ("County Hall, Committee Room 2", "Civic Centre, Room 4", "Education Centre, Training Suite")
ACTIONS = (
    ("Share the one-page profile with all staff who teach the group", "DSL"),
    ("Invite the social worker to the next attendance review", "Head of year"),
    ("Send the school the CAMHS consultation line details", "Virtual School officer"),
    ("Review the part-time timetable and agree an end date", "Deputy headteacher"),
    ("Book a place on the attachment and trauma training", "SENCO"),
    ("Circulate the anonymised case study to the DSL forum", "Virtual School officer"),
)

_SYSTEM = Viewer(username="system:demo-support", role=Role.VS_OFFICER)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())[:24] or "school"


def _email(first: str, last: str, domain: str) -> str:
    return f"{_slug(first)}.{_slug(last)}@{domain}"


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _school_weights() -> tuple[list[School], list[float]]:
    """Schools weighted by their Ever6 CWSW pupils (the published counts), or equally before a refresh."""
    from ever6.access import NotPublished
    from ever6.web.guard import snapshot

    schools = list(School.objects.all())
    try:
        counts = snapshot().cohort_counts_by_school(_SYSTEM)
    except NotPublished:
        counts = {}
    weights = [1.0 + 3.0 * counts.get(s.urn, 0) for s in schools]
    return schools, weights


def delete_demo() -> None:
    Enquiry.objects.filter(recorded_by=DEMO).delete()
    Clinic.objects.filter(recorded_by=DEMO).delete()  # bookings and actions with them
    Recommendation.objects.filter(recorded_by=DEMO).delete()
    Intervention.objects.filter(recorded_by=DEMO).delete()


def seed_demo(rng: random.Random, today: date) -> None:
    """Replace the demo's support records with a realistic year of the Virtual School's work."""
    fake = Faker("en_GB")
    fake.seed_instance(rng.randrange(2**32))
    with transaction.atomic():
        delete_demo()
        library = _interventions()
        schools, weights = _school_weights()
        _enquiries(rng, fake, today, schools, weights, library)
        _clinics(rng, fake, today, schools, weights, library)
        _recommendations(rng, today, schools, weights, library)


def _interventions() -> list[Intervention]:
    made = []
    for name, description, source, evidence, cost, phase, link in LIBRARY:
        if Intervention.objects.filter(name__iexact=name).exists():  # the authority's own copy: keep it
            made.append(Intervention.objects.get(name__iexact=name))
            continue
        made.append(
            Intervention.objects.create(
                name=name,
                description=description,
                source=source,
                evidence=evidence,
                cost_band=cost,
                phase=phase,
                link=link,
                recorded_by=DEMO,
            )
        )
    return made


def _enquiries(
    rng: random.Random,
    fake: Faker,
    today: date,
    schools: list[School],
    weights: list[float],
    library: list[Intervention],
) -> None:
    categories = list(QUESTIONS)
    category_weights = [24, 14, 14, 18, 10, 4, 6, 10]
    outcomes = list(RESPONSES)
    for _ in range(140):
        received = _weekday(today - timedelta(days=rng.randrange(0, 365)))
        category = rng.choices(categories, category_weights)[0]
        enquirer = rng.choices(list(EnquirerType), [60, 30, 10])[0]
        school = rng.choices(schools, weights)[0] if schools and rng.random() < 0.85 else None
        first, last = fake.first_name(), fake.last_name()
        domain = (
            f"{_slug(school.name)}.example.sch.uk"
            if school and enquirer == EnquirerType.SCHOOL
            else ("childrens-services.example.gov.uk" if enquirer == EnquirerType.SOCIAL_WORKER else "nhs.example.net")
        )
        enquiry = Enquiry(
            received_on=received,
            channel=rng.choices(list(Channel), [35, 40, 20, 5])[0],
            enquirer_type=enquirer,
            enquirer_name=f"{first} {last}",
            enquirer_email=_email(first, last, domain) if rng.random() < 0.9 else "",
            school=school,
            category=category,
            question=rng.choice(QUESTIONS[category]),
            recorded_by=DEMO,
        )
        age = (today - received).days
        if rng.random() < (0.95 if age > 2 else 0.4):  # a few stay open, awaiting information
            delay = min(rng.choice((0, 0, 1, 1, 2, 2, 3, 4, 5, 7, 9, 12)), age)
            outcome = rng.choices(outcomes, [40, 18, 15, 10, 12, 5])[0]
            enquiry.responded_on = _weekday(received + timedelta(days=delay))
            if enquiry.responded_on < received:
                enquiry.responded_on = received
            enquiry.response = RESPONSES[outcome]
            enquiry.outcome = outcome
            enquiry.closed = age > 14 and rng.random() < 0.85
        enquiry.save()
        if enquiry.outcome == "intervention":
            enquiry.interventions.set(rng.sample(library, k=rng.randint(1, 2)))


def _clinics(
    rng: random.Random,
    fake: Faker,
    today: date,
    schools: list[School],
    weights: list[float],
    library: list[Intervention],
) -> None:
    partners = list(CLINIC_TOPICS)
    # Fortnightly sessions over the past six months, and three ahead.
    for n, offset in enumerate(range(-182, 43, 14)):
        day = _weekday(today + timedelta(days=offset))
        partner = partners[n % len(partners)]
        online = n % 3 == 1
        starts = timezone.make_aware(datetime.combine(day, time(rng.choice((9, 13, 15)), rng.choice((0, 30)))))
        clinic = Clinic.objects.create(
            partner=partner,
            topic=rng.choice(CLINIC_TOPICS[partner]),
            starts_at=starts,
            duration_minutes=rng.choice((60, 90, 120)),
            mode=Mode.ONLINE if online else Mode.IN_PERSON,
            location="Microsoft Teams" if online else rng.choice(VENUES),
            capacity=rng.choice((6, 8, 10)),
            recorded_by=DEMO,
        )
        held = clinic.has_started()
        for _ in range(rng.randint(2, clinic.capacity)):
            social_worker = rng.random() < 0.35
            school = rng.choices(schools, weights)[0] if schools and (not social_worker or rng.random() < 0.6) else None
            first, last = fake.first_name(), fake.last_name()
            domain = (
                "childrens-services.example.gov.uk"
                if social_worker or school is None
                else (f"{_slug(school.name)}.example.sch.uk")
            )
            attendance = Attendance.BOOKED
            if held:
                attendance = rng.choices(
                    [Attendance.ATTENDED, Attendance.DID_NOT_ATTEND, Attendance.CANCELLED], [78, 12, 10]
                )[0]
            elif rng.random() < 0.05:
                attendance = Attendance.CANCELLED
            email = _email(first, last, domain)
            if clinic.bookings.filter(email=email).exists():
                continue
            Booking.objects.create(
                clinic=clinic,
                booker_type=BookerType.SOCIAL_WORKER if social_worker else BookerType.SCHOOL,
                name=f"{first} {last}",
                email=email,
                school=school,
                attendance=attendance,
                recorded_by=DEMO,
            )
        if held:
            clinic.summary = (
                f"{clinic.bookings.filter(attendance=Attendance.ATTENDED).count()} professionals attended. "
                "Situations were discussed without identifying children: barriers to attendance, how the "
                "school and social worker share information, and what support is available from the partner. "
                "Good practice from one school was shared with the group."
            )
            clinic.save()
            clinic.interventions.set(rng.sample(library, k=rng.randint(1, 3)))
            for text, owner in rng.sample(ACTIONS, k=rng.randint(1, 3)):
                due = day + timedelta(days=rng.choice((7, 14, 28)))
                AgreedAction.objects.create(
                    clinic=clinic,
                    text=text,
                    owner=owner,
                    due_on=due,
                    done=due < today and rng.random() < 0.8,
                    recorded_by=DEMO,
                )


def _recommendations(
    rng: random.Random, today: date, schools: list[School], weights: list[float], library: list[Intervention]
) -> None:
    if not schools:
        return
    for _ in range(min(30, 3 * len(schools))):
        intervention = rng.choice(library)
        Recommendation.objects.create(
            intervention=intervention,
            school=rng.choices(schools, weights)[0],
            recommended_on=today - timedelta(days=rng.randrange(0, 300)),
            note=f"Suggested for the school's pupils with a social worker after a Virtual School visit "
            f"({intervention.get_phase_display().lower()}).",
            recorded_by=DEMO,
        )
