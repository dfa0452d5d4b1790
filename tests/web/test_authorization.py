"""The authorisation matrix: every URL of the service, requested as every role and anonymously.

The URLs are read from Django's resolver, so a new page without an entry here fails the suite.
A school user must never see another school's pupils or unsuppressed figures, by any URL,
parameter or export; Virtual School roles never use the school portal; only the data manager sees
pupil-level rows across the authority.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.web.conftest import Published
from tests.web.events.helpers import allocated_event

pytestmark = pytest.mark.django_db

VS = frozenset({"vs_head", "vs_officer", "data_manager"})
PARTNERSHIP = frozenset({"vs_head", "vs_officer"})
EVERYONE = frozenset({"vs_head", "vs_officer", "data_manager", "school_dsl", "auditor", "social_worker", "finance"})
GRANT = frozenset({"vs_head", "finance", "auditor"})  # the grant ledger: read
GRANT_EDIT = frozenset({"vs_head", "finance"})  # the grant ledger: change
USERS = sorted(EVERYONE)


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]  # roles that get the page (200, or a redirect within their area)
    kwargs: Callable[[Published, dict[str, Any]], dict[str, Any]] = lambda p, ids: {}
    exports: tuple[str, ...] = ()  # tables the page downloads with ?format=csv|xlsx&table=NAME


def _urn(p: Published, ids: dict[str, Any]) -> dict[str, Any]:
    return {"urn": p.urn}


def _year(p: Published, ids: dict[str, Any]) -> dict[str, Any]:
    return {"start_year": ids["start_year"]}


# Every named URL outside Django's admin. ``ids`` holds objects made by the fixture below.
MATRIX: dict[str, Rule] = {
    "home": Rule(EVERYONE),
    "accounts:login": Rule(frozenset()),  # anyone may see the sign-in page; checked separately
    "accounts:logout": Rule(frozenset()),  # POST only; checked separately
    "accounts:users": Rule(frozenset({"vs_head"})),
    "accounts:user_new": Rule(frozenset({"vs_head"})),
    "accounts:user_edit": Rule(frozenset({"vs_head"}), lambda p, ids: {"user_id": ids["user_id"]}),
    "audit:index": Rule(frozenset({"auditor"}), exports=("audit",)),
    "dashboard:index": Rule(VS, exports=("headline", "cohort")),
    "dashboard:schools": Rule(VS, exports=("schools",)),
    "dashboard:flow": Rule(VS, exports=("flow",)),
    "dashboard:profile": Rule(VS, exports=("status", "factors")),
    "dashboard:localities": Rule(VS, exports=("localities",)),
    "dashboard:theme": Rule(VS, lambda p, ids: {"theme": "attendance"}, exports=("breakdown", "trends")),
    "portal:index": Rule(frozenset({"school_dsl"})),
    "portal:school": Rule(frozenset({"school_dsl"}), _urn, exports=("figures",)),
    "portal:pupils": Rule(frozenset({"school_dsl"}), _urn, exports=("pupils",)),
    "portal:marker_csv": Rule(frozenset({"school_dsl"}), _urn),
    "portal:marker_xml": Rule(frozenset({"school_dsl"}), _urn),
    "portal:governors_pack": Rule(frozenset({"school_dsl"}), _urn),
    "schools:index": Rule(PARTNERSHIP, exports=("register",)),
    "schools:agreements": Rule(PARTNERSHIP, exports=("agreements", "coverage")),
    "schools:school": Rule(PARTNERSHIP, _urn),
    "schools:agreement": Rule(PARTNERSHIP, _urn),
    "schools:governors_pack": Rule(PARTNERSHIP, _urn),
    "schools:signed_copy": Rule(PARTNERSHIP, lambda p, ids: {"urn": p.urn, "agreement_id": ids["agreement_id"]}),
    # The schools and settings register, contacts, tiers and bulk import.
    "schools:setting_new": Rule(PARTNERSHIP),
    "schools:import": Rule(PARTNERSHIP),
    "schools:import_preview": Rule(PARTNERSHIP),
    "schools:import_template": Rule(PARTNERSHIP, lambda p, ids: {"kind": "contacts"}),
    "schools:contact_new": Rule(PARTNERSHIP, _urn),
    "schools:contact_edit": Rule(PARTNERSHIP, lambda p, ids: {"urn": p.urn, "contact_id": ids["contact_id"]}),
    "schools:contact_remove": Rule(PARTNERSHIP, lambda p, ids: {"urn": p.urn, "contact_id": ids["contact_id"]}),
    "schools:tier": Rule(PARTNERSHIP, _urn),
    # The advice line, clinics and interventions.
    "support:index": Rule(PARTNERSHIP),
    "support:enquiries": Rule(PARTNERSHIP, exports=("enquiries",)),
    "support:enquiry_new": Rule(PARTNERSHIP),
    "support:report": Rule(PARTNERSHIP, exports=("summary", "category", "month", "school", "enquirer")),
    "support:enquiry": Rule(PARTNERSHIP, lambda p, ids: {"enquiry_id": ids["enquiry_id"]}),
    "support:enquiry_edit": Rule(PARTNERSHIP, lambda p, ids: {"enquiry_id": ids["enquiry_id"]}),
    "support:enquiry_respond": Rule(PARTNERSHIP, lambda p, ids: {"enquiry_id": ids["enquiry_id"]}),
    "support:clinics": Rule(PARTNERSHIP, exports=("clinics",)),
    "support:clinic_new": Rule(PARTNERSHIP),
    "support:clinic": Rule(
        PARTNERSHIP, lambda p, ids: {"clinic_id": ids["clinic_id"]}, exports=("bookings", "actions")
    ),
    "support:clinic_edit": Rule(PARTNERSHIP, lambda p, ids: {"clinic_id": ids["clinic_id"]}),
    "support:booking_new": Rule(PARTNERSHIP, lambda p, ids: {"clinic_id": ids["clinic_id"]}),
    "support:attendance": Rule(PARTNERSHIP, lambda p, ids: {"clinic_id": ids["clinic_id"]}),
    "support:clinic_summary": Rule(PARTNERSHIP, lambda p, ids: {"clinic_id": ids["clinic_id"]}),
    "support:action_new": Rule(PARTNERSHIP, lambda p, ids: {"clinic_id": ids["clinic_id"]}),
    "support:action_edit": Rule(
        PARTNERSHIP, lambda p, ids: {"clinic_id": ids["clinic_id"], "action_id": ids["action_id"]}
    ),
    "support:interventions": Rule(PARTNERSHIP, exports=("interventions",)),
    "support:intervention_new": Rule(PARTNERSHIP),
    "support:intervention": Rule(
        PARTNERSHIP, lambda p, ids: {"intervention_id": ids["intervention_id"]}, exports=("recommendations",)
    ),
    "support:intervention_edit": Rule(PARTNERSHIP, lambda p, ids: {"intervention_id": ids["intervention_id"]}),
    "support:recommendation_new": Rule(PARTNERSHIP, lambda p, ids: {"intervention_id": ids["intervention_id"]}),
    # The training programme.
    "training:index": Rule(PARTNERSHIP, exports=("courses",)),
    "training:course_new": Rule(PARTNERSHIP),
    "training:course": Rule(PARTNERSHIP, lambda p, ids: {"course_id": ids["course_id"]}, exports=("sessions",)),
    "training:course_edit": Rule(PARTNERSHIP, lambda p, ids: {"course_id": ids["course_id"]}),
    "training:session_new": Rule(PARTNERSHIP, lambda p, ids: {"course_id": ids["course_id"]}),
    "training:sessions": Rule(PARTNERSHIP, exports=("sessions",)),
    "training:session": Rule(PARTNERSHIP, lambda p, ids: {"session_id": ids["session_id"]}, exports=("registrations",)),
    "training:session_edit": Rule(PARTNERSHIP, lambda p, ids: {"session_id": ids["session_id"]}),
    "training:attendance": Rule(PARTNERSHIP, lambda p, ids: {"session_id": ids["session_id"]}),
    "training:register": Rule(PARTNERSHIP, lambda p, ids: {"session_id": ids["session_id"]}),
    "training:feedback": Rule(PARTNERSHIP, lambda p, ids: {"registration_id": ids["registration_id"]}),
    "training:withdraw": Rule(PARTNERSHIP, lambda p, ids: {"registration_id": ids["registration_id"]}),
    "training:feedback_summary": Rule(PARTNERSHIP, exports=("feedback",)),
    "training:coverage": Rule(PARTNERSHIP, exports=("tiers", "schools")),
    "training:import": Rule(PARTNERSHIP),
    # Partnership activity beside the cohort's outcomes.
    "outcomes:index": Rule(PARTNERSHIP, exports=("schools",)),
    # The half-termly round-up.
    "roundup:index": Rule(PARTNERSHIP),
    "roundup:new": Rule(PARTNERSHIP),
    "roundup:optouts": Rule(PARTNERSHIP),
    "roundup:detail": Rule(PARTNERSHIP, lambda p, ids: {"roundup_id": ids["roundup_id"]}),
    # The link in a round-up email: no sign-in, its signed token is the right (tests/web/roundup).
    "roundup:self_optout": Rule(frozenset()),
    # The grant ledger and its financial progress reports.
    "grant:index": Rule(GRANT),
    "grant:year_new": Rule(GRANT_EDIT),
    "grant:year": Rule(GRANT, _year, exports=("payments", "lines", "categories", "strands")),
    "grant:year_edit": Rule(GRANT_EDIT, _year),
    "grant:payment_edit": Rule(GRANT_EDIT, lambda p, ids: {**_year(p, ids), "instalment": 1}),
    "grant:line_new": Rule(GRANT_EDIT, _year),
    "grant:line_edit": Rule(GRANT_EDIT, lambda p, ids: {**_year(p, ids), "line_id": ids["line_id"]}),
    "grant:report_new": Rule(GRANT_EDIT, _year),
    "grant:report": Rule(GRANT, lambda p, ids: {"report_id": ids["report_id"]}),
    "grant:report_xlsx": Rule(GRANT, lambda p, ids: {"report_id": ids["report_id"]}),
    "grant:report_pdf": Rule(GRANT, lambda p, ids: {"report_id": ids["report_id"]}),
    "grant:report_submit": Rule(GRANT_EDIT, lambda p, ids: {"report_id": ids["report_id"]}),
    "grant:dfe_return": Rule(frozenset({"vs_head"})),
    "documents:annual": Rule(frozenset({"vs_head"})),
    "datamgmt:index": Rule(frozenset({"data_manager"})),
    "datamgmt:imports": Rule(frozenset({"data_manager"}), exports=("imports",)),
    "datamgmt:import_detail": Rule(
        frozenset({"data_manager"}), lambda p, ids: {"batch_id": "1"}, exports=("problems", "tables")
    ),
    "datamgmt:rollback": Rule(frozenset({"data_manager"}), lambda p, ids: {"batch_id": "1"}),
    "datamgmt:quality": Rule(frozenset({"data_manager"}), exports=("problems", "dfe", "methods", "unmatched")),
    "datamgmt:quality_issues": Rule(frozenset({"data_manager"}), exports=("issues",)),
    "datamgmt:linkage": Rule(frozenset({"data_manager"}), exports=("queue",)),
    "datamgmt:refresh": Rule(frozenset({"data_manager"})),
    "datamgmt:upload_new": Rule(frozenset({"data_manager"})),
    "datamgmt:upload": Rule(frozenset({"data_manager"}), lambda p, ids: {"pk": ids["upload_id"]}),
    # Telling the social worker: a school records, the allocated worker sees, the VS counts.
    "portal:record_event": Rule(frozenset({"school_dsl"}), _urn),
    "events:index": Rule(frozenset({"social_worker"})),
    "events:event": Rule(frozenset({"social_worker"}), lambda p, ids: {"pk": ids["event_id"]}),
    "events:record": Rule(VS, exports=("record",)),
}
# Pages that answer a GET with a redirect for some allowed users (e.g. one school: straight to it).
REDIRECTS_OK = {
    "home",
    "portal:index",
    "support:index",
    "schools:import_preview",
    "training:attendance",
    "training:import",
}
# Pages that only take a POST: allowed users get 405 from a GET (the POST is checked below).
POST_ONLY = {"grant:report_submit"}


def _named_urls() -> Iterator[str]:
    def walk(patterns: list[Any], namespace: str) -> Iterator[str]:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                yield from walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}:{p.name}" if namespace else p.name

    yield from walk(get_resolver().url_patterns, "")


def test_every_url_has_an_entry_in_the_matrix() -> None:
    missing = sorted(set(_named_urls()) - set(MATRIX))
    assert not missing, f"add these URLs to the authorisation matrix: {missing}"
    stale = sorted(set(MATRIX) - set(_named_urls()))
    assert not stale, f"these matrix entries name no URL: {stale}"


@pytest.fixture
def ids(accounts: dict[str, Any], published: Published) -> dict[str, Any]:
    from django.core.files.base import ContentFile

    from ever6.web.schools.models import DataSharingAgreement

    agreement = DataSharingAgreement.latest_for(published.urn)
    assert agreement is not None
    if hasattr(agreement, "signed_copy"):
        agreement.signed_copy.save("test.pdf", ContentFile(b"%PDF-1.4\n%test\n"), save=False)
        DataSharingAgreement.objects.filter(pk=agreement.pk).update(signed_copy=agreement.signed_copy.name)
    from datetime import date, time, timedelta

    from ever6.web.schools.models import Contact
    from ever6.web.support.models import AgreedAction, Clinic, Enquiry
    from ever6.web.training.models import Course, Registration, Session

    contact = Contact.objects.create(school_id=published.urn, name="Alex Brook", role="senco", email="a@b.sch.uk")
    from tests.web.support.helpers import _clinic, _intervention

    intervention = _intervention()
    enquiry = Enquiry.objects.create(
        received_on=date.today() - timedelta(days=3),
        channel="email",
        enquirer_type="school",
        enquirer_name="Sam Jones",
        school_id=published.urn,
        category="attendance",
        question="How should we support a pupil whose attendance has dropped?",
    )
    clinic: Clinic = _clinic(days=-7)
    action = AgreedAction.objects.create(clinic=clinic, text="Share the profile", owner="DSL", due_on=date.today())
    course = Course.objects.create(
        title="Attachment and trauma-informed practice", audience="both", duration_minutes=180, provider="VS"
    )
    session = Session.objects.create(
        course=course, date=date.today() - timedelta(days=7), start_time=time(9, 30), capacity=20
    )
    registration = Registration.objects.create(
        session=session,
        attendee_name="Priya Shah",
        email="p.shah@example.sch.uk",
        role="dsl",
        school_id=published.urn,
        attendance="attended",
    )
    event = allocated_event(published, accounts["social_worker"])
    from ever6.web.roundup.models import RoundUp

    roundup = RoundUp.objects.create(subject="Spring round-up", news="**News**", created_by="vs_officer")
    from ever6.web.grant.models import ProgressReport
    from tests.web.grant.helpers import make_line, make_year

    grant_year = make_year()
    line = make_line(grant_year, "staffing", "partnerships", "Adviser", {date(2025, 4, 1): ("1000.00", None)})
    report = ProgressReport.objects.create(year=grant_year, as_at=date(2025, 12, 31), created_by="finance")
    from ever6.web.datamgmt.models import ImportJob

    upload = ImportJob.objects.create(
        format="exclusions", files=["exclusions.csv"], folder="matrix", requested_by="data_manager", state="uploaded"
    )
    return {
        "upload_id": upload.pk,
        "event_id": event.pk,
        "roundup_id": roundup.pk,
        "start_year": grant_year.start_year,
        "line_id": line.pk,
        "report_id": report.pk,
        "user_id": accounts["auditor"].pk,  # type: ignore[attr-defined]
        "agreement_id": agreement.pk,
        "contact_id": contact.pk,
        "enquiry_id": enquiry.pk,
        "clinic_id": clinic.pk,
        "action_id": action.pk,
        "intervention_id": intervention.pk,
        "course_id": course.pk,
        "session_id": session.pk,
        "registration_id": registration.pk,
    }


def _get_urls(published: Published, ids: dict[str, Any]) -> list[tuple[str, str, Rule]]:
    urls = []
    for name, rule in MATRIX.items():
        if name in ("accounts:login", "accounts:logout", "roundup:self_optout"):
            continue
        url = reverse(name, kwargs=rule.kwargs(published, ids) or None)
        urls.append((name, url, rule))
        for table in rule.exports:
            urls += [(name, f"{url}?format={fmt}&table={table}", rule) for fmt in ("csv", "xlsx")]
    return urls


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(published: Published, ids: dict[str, Any]) -> None:
    client = Client()
    assert client.get(reverse("accounts:login")).status_code == 200
    for name, url, _ in _get_urls(published, ids):
        response = client.get(url)
        assert response.status_code == 302, (name, url, response.status_code)
        assert response["Location"].startswith(reverse("accounts:login")), (name, url)


@pytest.mark.parametrize("role", USERS)
def test_each_role_gets_exactly_the_pages_its_role_allows(
    role: str, client_for: Callable[[str], Client], published: Published, ids: dict[str, Any]
) -> None:
    client = client_for(role)
    for name, url, rule in _get_urls(published, ids):
        status = client.get(url).status_code
        if role in rule.allowed:
            ok = {405} if name in POST_ONLY else {200, 302} if name in REDIRECTS_OK else {200}
            assert status in ok, f"{role} should get {url} ({name}); got {status}"
        else:
            assert status == 403, f"{role} must not get {url} ({name}); got {status}"


@pytest.mark.parametrize("role", USERS)
def test_no_role_reaches_djangos_admin(role: str, client_for: Callable[[str], Client]) -> None:
    response = client_for(role).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


PORTAL_URLS = ("portal:school", "portal:pupils", "portal:marker_csv", "portal:marker_xml")


def test_a_school_user_never_reaches_another_schools_portal(
    client_for: Callable[[str], Client], published: Published
) -> None:
    client = client_for("school_dsl")
    for other in (published.other_urn, published.unsigned_urn, "999999", "../" + published.other_urn):
        for name in PORTAL_URLS:
            try:
                url = reverse(name, kwargs={"urn": other})
            except Exception:
                continue  # not even a URL
            for suffix in ("", "?format=csv", "?format=xlsx", f"?urn={published.urn}"):
                status = client.get(url + suffix).status_code
                assert status in (403, 404), f"{url}{suffix}: {status}"


def test_without_a_signed_agreement_a_school_sees_figures_but_no_pupils(
    client_for: Callable[[str], Client], published: Published
) -> None:
    client = client_for("dsl_unsigned")
    assert client.get(reverse("portal:school", kwargs={"urn": published.unsigned_urn})).status_code == 200
    for name in ("portal:pupils", "portal:marker_csv", "portal:marker_xml"):
        url = reverse(name, kwargs={"urn": published.unsigned_urn})
        assert client.get(url).status_code == 403, url
        assert client.get(url + "?format=csv").status_code == 403, url


def test_a_school_users_figure_downloads_hold_only_its_own_school_and_are_suppressed(
    client_for: Callable[[str], Client], published: Published
) -> None:
    client = client_for("school_dsl")
    url = reverse("portal:school", kwargs={"urn": published.urn})
    for params in ({}, {"suppressed": "0"}, {"unsuppressed": "1"}, {"breakdown": "school"}):
        for fmt in ("csv",):
            response = client.get(url, {**params, "format": fmt})
            assert response.status_code in (200, 400), (params, response.status_code)
            text = response.content.decode()
            assert published.other_urn not in text, params
            assert published.unsigned_urn not in text, params


@pytest.mark.parametrize("role", USERS)
def test_changes_are_refused_to_roles_without_the_right(
    role: str, client_for: Callable[[str], Client], published: Published, ids: dict[str, Any]
) -> None:
    """A POST (with a valid session and CSRF handled by the test client) changes nothing it may not."""
    client = client_for(role)
    posts = {
        "accounts:user_new": {"username": "intruder", "role": "vs_head", "password": "x" * 20},
        "schools:agreement": {"status": "signed"},
        "datamgmt:rollback": {"confirm": "yes"},
        "datamgmt:refresh": {},
        "datamgmt:linkage": {},
        "schools:setting_new": {"name": "X", "kind": "college", "in_la": "yes"},
        "schools:tier": {"tier": "targeted", "reason": "x"},
        "schools:contact_new": {"name": "X", "role": "dsl", "email": "x@y.sch.uk"},
        "support:enquiry_new": {"category": "other", "question": "x"},
        "support:intervention_new": {"name": "Intruder"},
        "training:course_new": {"title": "Intruder", "audience": "schools", "duration_minutes": "60", "provider": "x"},
        "training:register": {"attendee_name": "X", "email": "x@example.org", "role": "other"},
        "training:withdraw": {},
        "events:event": {},  # acknowledging an event
        "portal:record_event": {"kind": "suspension_risk"},
        "grant:year_new": {"start_year": "2031", "baseline": "1", "determination_ref": "intruder"},
        "grant:line_new": {"category": "other", "strand": "advice", "description": "Intruder"},
        "grant:report_submit": {},
        "datamgmt:upload_new": {"format": "exclusions"},
        "datamgmt:upload": {"action": "cancel"},
    }
    for name, data in posts.items():
        rule = MATRIX[name]
        if role in rule.allowed:
            continue
        url = reverse(name, kwargs=rule.kwargs(published, ids) or None)
        assert client.post(url, data).status_code == 403, (role, name)
    from ever6.web.accounts.models import User

    assert not User.objects.filter(username="intruder").exists()
    from ever6.web.support.models import Intervention
    from ever6.web.training.models import Course

    assert not Intervention.objects.filter(name="Intruder").exists()
    assert not Course.objects.filter(title="Intruder").exists()
    from ever6.web.events.models import Event

    assert not Event.objects.filter(acknowledged_at__isnull=False).exists()
    from ever6.web.grant.models import GrantYear, ProgressReport, SpendLine

    assert not GrantYear.objects.filter(start_year=2031).exists()
    assert not SpendLine.objects.filter(description="Intruder").exists()
    if role not in GRANT_EDIT:
        assert not ProgressReport.objects.filter(submitted_at__isnull=False).exists()
    from ever6.web.datamgmt.models import ImportJob

    if role != "data_manager":
        assert ImportJob.objects.get(pk=ids["upload_id"]).state == "uploaded"


# --- Account management, in proportion ----------------------------------------------------------
#
# Who may make which change to which account. The Virtual School Head manages the other roles; an
# account that can manage accounts (a superuser, or the head's) is changed only by a superuser;
# nobody changes their own role; a school user's email is the register's named contact for the
# school. Every change that goes through is in the audit log, with who made it and from where.

NEW = "new"  # a new account, not an existing one


@dataclass(frozen=True)
class AccountChange:
    actor: str  # "root" is a superuser who also has the head's role
    target: str  # an account's username, or NEW
    data: dict[str, str]
    allowed: bool


ACCOUNT_CHANGES = [
    AccountChange("vs_head", "root", {"password": "taken over by the head 42"}, False),
    AccountChange("vs_head", "other_head", {"password": "taken over by the head 42"}, False),
    AccountChange("vs_head", "other_head", {"is_active": ""}, False),
    AccountChange("vs_head", "vs_head", {"role": "data_manager"}, False),
    AccountChange("vs_head", NEW, {"role": "vs_head"}, False),
    AccountChange("vs_head", NEW, {"role": "school_dsl", "school_urns": "{urn}", "email": "anyone@x.sch.uk"}, False),
    AccountChange("vs_head", NEW, {"role": "school_dsl", "school_urns": "{other}", "email": "lead@x.sch.uk"}, False),
    AccountChange("vs_head", NEW, {"role": "school_dsl", "school_urns": "{urn}", "email": "lead@x.sch.uk"}, True),
    AccountChange("vs_head", "vs_officer", {"role": "data_manager"}, True),
    AccountChange("vs_head", "auditor", {"password": "a fresh auditor password 7"}, True),
    AccountChange("vs_head", "auditor", {"is_active": ""}, True),
    AccountChange("root", "other_head", {"role": "vs_officer"}, True),
    AccountChange("root", NEW, {"role": "vs_head"}, True),
    AccountChange("root", "root", {"role": "data_manager"}, False),
]


def _form(account: Any | None, **changes: str) -> dict[str, str]:
    """The user form as its page would post it, for ``account`` (or a new one), with ``changes``."""
    if account is None:
        base = {"username": "newcomer", "first_name": "Robin", "last_name": "Hale", "email": "robin@example.org"}
        base |= {"role": "vs_officer", "school_urns": "", "password": "a newcomer password 31", "is_active": "on"}
    else:
        base = {
            "username": account.username,
            "first_name": account.first_name or "First",
            "last_name": account.last_name or "Last",
            "email": account.email,
            "role": account.role,
            "school_urns": ", ".join(account.schools.values_list("urn", flat=True)),
            "password": "",
            "is_active": "on" if account.is_active else "",
        }
    return base | changes


def _state(username: str) -> tuple[Any, ...] | None:
    from ever6.web.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        return None
    schools = tuple(user.schools.values_list("urn", flat=True))
    return (user.role, user.is_superuser, user.is_active, user.password, user.email, schools)


@pytest.mark.parametrize("change", ACCOUNT_CHANGES, ids=lambda c: f"{c.actor}-{c.target}-{'-'.join(c.data)}")
def test_account_changes_follow_the_matrix_and_are_audited(
    change: AccountChange, accounts: dict[str, Any], published: Published
) -> None:
    from ever6.web.accounts.models import User
    from ever6.web.audit.models import AuditEvent
    from ever6.web.schools.models import Contact

    root = User.objects.create_superuser("root", "root@example.org", "a long root password 5", role="vs_head")
    User.objects.create_user("other_head", "head2@example.org", "a long head password 5", role="vs_head")
    Contact.objects.create(school_id=published.urn, name="Lee Lead", role="dsl", email="Lead@x.sch.uk")
    Contact.objects.create(school_id=published.other_urn, name="Lee Lead", role="senco", email="lead@x.sch.uk")
    actor = root if change.actor == "root" else accounts[change.actor]
    client = Client()
    client.force_login(actor)

    account = None if change.target == NEW else User.objects.get(username=change.target)
    data = {k: v.format(urn=published.urn, other=published.other_urn) for k, v in change.data.items()}
    form = _form(account, **data)
    username = form["username"]
    before = _state(username)
    url = reverse("accounts:user_new") if account is None else reverse("accounts:user_edit", args=[account.pk])
    events = AuditEvent.objects.count()
    response = client.post(url, form, REMOTE_ADDR="192.0.2.7")

    after = _state(username)
    if not change.allowed:
        assert response.status_code in (400, 403), response.status_code
        assert after == before, "a refused change changes nothing"
        assert not AuditEvent.objects.filter(action="account").exists()
        return
    assert response.status_code == 302, response.content.decode()[:2000]
    assert after != before
    logged = list(AuditEvent.objects.filter(action="account").order_by("id"))
    assert AuditEvent.objects.count() > events
    assert logged
    assert all(e.username == actor.username and e.ip_address == "192.0.2.7" for e in logged)
    assert all(e.object_id == username for e in logged)
    expected = {
        "role": "role_changed" if account else "account_created",
        "password": "password_reset",
        "is_active": "deactivated",
    }
    assert {expected[k] for k in change.data if k in expected} <= {e.what for e in logged}


def test_a_school_users_schools_change_is_audited(client_for: Callable[[str], Client], published: Published) -> None:
    from ever6.web.accounts.models import User
    from ever6.web.audit.models import AuditEvent
    from ever6.web.schools.models import Contact

    account = User.objects.get(username="school_dsl")
    for urn in (published.urn, published.other_urn):
        Contact.objects.create(school_id=urn, name="Dee Lead", role="designated_teacher", email=account.email)
    urns = f"{published.urn}, {published.other_urn}"
    response = client_for("vs_head").post(
        reverse("accounts:user_edit", args=[account.pk]), _form(account, school_urns=urns)
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="account", what="schools_changed")
    assert event.detail == {"from": [published.urn], "to": sorted([published.urn, published.other_urn])}
    assert event.username == "vs_head"


def test_the_users_page_links_only_the_accounts_the_viewer_may_change(
    accounts: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    from ever6.web.accounts.models import User

    root = User.objects.create_superuser("root", "root@example.org", "a long root password 5", role="vs_head")
    page = client_for("vs_head").get(reverse("accounts:users")).content.decode()
    assert f'href="{reverse("accounts:user_edit", args=[accounts["auditor"].pk])}"' in page
    assert f'href="{reverse("accounts:user_edit", args=[root.pk])}"' not in page
    assert f'href="{reverse("accounts:user_edit", args=[accounts["vs_head"].pk])}"' not in page
    assert "root" in page
