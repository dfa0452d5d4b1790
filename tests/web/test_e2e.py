"""End to end in a real browser: each role signs in through the form and walks its main pages in
headless Chromium, with an axe accessibility check on every page (no violations of any impact),
and the pages work without JavaScript."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import CHROMIUM_ARGS, axe_violations, chromium_path
from tests.web.conftest import PASSWORD, Published

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Playwright's sync API runs an event loop in this thread; the test's own database calls are
# ordinary synchronous ones, made before and after the browser acts.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def sign_in(browser: Any, base: str, username: str, *, javascript: bool = True) -> Any:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{base}/")
    assert "/accounts/sign-in/" in page.url, "an anonymous visitor is sent to sign in"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/accounts/sign-in/" not in page.url, f"{username} could not sign in"
    return page


def check_page(page: Any, url: str, *, heading: str | None = None) -> None:
    response = page.goto(url)
    assert response is not None, url
    assert response.status == 200, f"{url}: {response.status}"
    if heading:
        assert heading in page.locator("h1").first.inner_text()
    violations = axe_violations(page)
    assert not violations, f"accessibility problems on {url}: {violations}"


# The pages each role walks: (path, part of the page's main heading). Paths may use {urn}.
VS_PAGES: list[tuple[str, str | None]] = [
    ("/dashboard/", None),
    ("/dashboard/?suppressed=1", None),
    ("/dashboard/attendance/", None),
    ("/dashboard/attendance/?breakdown=sex&period=autumn", None),
    ("/dashboard/exclusions/", None),
    ("/dashboard/provision/", None),
    ("/dashboard/attainment/", None),
    ("/dashboard/schools/", None),
    ("/dashboard/schools/?sort=share&suppressed=1", None),
    ("/dashboard/attendance/?breakdown=locality", None),
    ("/dashboard/attendance/?breakdown=school_locality&groups=cwsw", None),
    ("/dashboard/flow/", "Flow into and out of social care"),
    ("/dashboard/flow/?status=CPP", None),
    ("/dashboard/profile/", "The cohort's profile"),
    ("/dashboard/profile/?group=cla&suppressed=1", None),
    ("/dashboard/localities/", "Localities"),
    ("/dashboard/localities/?by=school_locality&theme=exclusions&suppressed=1", None),
]
WALKS: dict[str, list[tuple[str, str | None]]] = {
    "vs_head": [
        *VS_PAGES,
        ("/accounts/users/", "Users"),
        ("/accounts/users/new/", "New user"),
        ("/grant/", "Virtual School Head grant"),
        ("/grant/return/", "Data and information return"),
    ],
    "vs_officer": [
        *VS_PAGES,
        ("/schools/", None),
        ("/schools/?cohort=yes&contacts=missing", None),
        ("/schools/new/", None),
        ("/schools/{urn}/", None),
        ("/schools/{urn}/contacts/new/", None),
        ("/schools/{urn}/tier/", None),
        ("/schools/import/", None),
        ("/schools/agreements/", None),
        ("/schools/{urn}/agreement/", None),
        ("/support/enquiries/", None),
        ("/support/enquiries/new/", None),
        ("/support/enquiries/report/", None),
        ("/support/clinics/", None),
        ("/support/clinics/new/", None),
        ("/support/interventions/", None),
        ("/support/interventions/new/", None),
        ("/training/", None),
        ("/training/courses/new/", None),
        ("/training/sessions/", None),
        ("/training/feedback/", None),
        ("/training/coverage/", None),
        ("/outcomes/", "Activity against outcomes"),
        ("/social-work/record/", "Telling social workers"),
    ],
    "data_manager": [
        ("/data/", None),
        ("/data/imports/", None),
        ("/data/imports/1/", None),
        ("/data/quality/", None),
        ("/data/quality/records/", None),
        ("/data/linkage/", None),
        ("/data/refresh/", None),
        ("/dashboard/", None),
    ],
    "school_dsl": [("/portal/{urn}/", None), ("/portal/{urn}/pupils/", None), ("/portal/{urn}/events/new/", None)],
    "auditor": [("/audit/", "Audit log")],
    "social_worker": [("/social-work/", "Events for children allocated to you")],
}


@pytest.mark.parametrize("role", sorted(WALKS))
def test_each_role_signs_in_and_walks_its_pages(
    role: str, browser: Any, live_server: Any, accounts: dict[str, object], published: Published
) -> None:
    page = sign_in(browser, live_server.url, role)
    check_page(page, page.url)  # the role's start page
    for path, heading in WALKS[role]:
        check_page(page, live_server.url + path.format(urn=published.urn), heading=heading)
    page.context.close()


def test_a_wrong_password_shows_an_error_summary(browser: Any, live_server: Any, accounts: dict[str, object]) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("Username").fill("vs_head")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "Enter a correct username and password" in summary.inner_text()
    assert not axe_violations(page)
    context.close()


def test_signing_out_ends_the_session(browser: Any, live_server: Any, accounts: dict[str, object]) -> None:
    page = sign_in(browser, live_server.url, "auditor")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/audit/")
    assert "/accounts/sign-in/" in page.url
    page.context.close()


def test_a_page_prints_its_figures_without_the_services_controls(
    browser: Any, live_server: Any, accounts: dict[str, object]
) -> None:
    page = sign_in(browser, live_server.url, "vs_officer")
    page.goto(f"{live_server.url}/dashboard/attendance/")
    chrome = (".govuk-service-navigation", ".ever6-status", ".govuk-footer", "form[method='get']", ".govuk-button")
    assert page.locator(".govuk-service-navigation").is_visible()  # on screen
    page.emulate_media(media="print")
    for selector in chrome:
        assert all(not e.is_visible() for e in page.locator(selector).all()), selector
    assert page.locator("main h1").is_visible()
    assert page.locator("main table").first.is_visible()
    page.context.close()


def test_charts_are_drawn_with_javascript_and_tables_carry_the_figures_without(
    browser: Any, live_server: Any, accounts: dict[str, object]
) -> None:
    page = sign_in(browser, live_server.url, "vs_officer")
    page.goto(f"{live_server.url}/dashboard/attendance/")
    page.wait_for_selector(".ever6-chart svg", timeout=15_000)  # Vega-Lite drew the chart
    with_js = page.locator("table").first.inner_text()
    page.context.close()

    page = sign_in(browser, live_server.url, "vs_officer", javascript=False)
    page.goto(f"{live_server.url}/dashboard/attendance/")
    assert page.locator(".ever6-chart svg").count() == 0
    assert page.locator("table").first.inner_text() == with_js  # the same figures, no script needed
    assert not axe_violations_without_js(page)
    page.context.close()


def test_no_page_breaks_the_content_security_policy(
    browser: Any, live_server: Any, accounts: dict[str, object], published: Published
) -> None:
    """The policy refuses inline script and styles: the pages, charts and GOV.UK's components work
    within it (a refusal shows as a console error, and as a securitypolicyviolation event)."""
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(f"{page.url}: {m.text}") if "Content Security" in m.text else None)
    page.goto(f"{live_server.url}/accounts/sign-in/")
    assert page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')")
    page.close()
    page = sign_in(browser, live_server.url, "vs_officer")
    page.on("console", lambda m: refused.append(f"{page.url}: {m.text}") if "Content Security" in m.text else None)
    for path in ("/dashboard/attendance/", "/dashboard/schools/", "/schools/", f"/schools/{published.urn}/"):
        response = page.goto(live_server.url + path)
        assert response is not None
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
        if path == "/dashboard/attendance/":
            page.wait_for_selector(".ever6-chart svg", timeout=15_000)
    assert not refused, "\n".join(refused)
    page.context.close()
    context.close()


def axe_violations_without_js(page: Any) -> list[dict[str, Any]]:
    """axe needs script in the page; a second context with JavaScript checks the same HTML."""
    html = page.content()
    context = page.context.browser.new_context()
    checker = context.new_page()
    checker.set_content(html)
    try:
        return axe_violations(checker)
    finally:
        context.close()


def test_a_school_user_loads_its_pupils_and_downloads_the_marker(
    browser: Any, live_server: Any, accounts: dict[str, object], published: Published
) -> None:
    from ever6.web.audit.models import AuditEvent

    page = sign_in(browser, live_server.url, "school_dsl")
    assert f"/portal/{published.urn}/" in page.url  # one school: straight to it
    page.goto(f"{live_server.url}/portal/{published.urn}/pupils/")
    rows = page.locator("table tbody tr")
    assert rows.count() > 0
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("marker.*CSV|CSV.*marker", re.I)).first.click()
    content = Path(download.value.path()).read_text()
    assert content.splitlines()[0].startswith("UPN")
    assert AuditEvent.objects.filter(username="school_dsl", action="download").exists()
    assert AuditEvent.objects.filter(username="school_dsl", action="view", object_id=published.urn).exists()
    page.context.close()


def _fill_date(page: Any, name: str, day: Any) -> None:
    page.fill(f"#id_{name}_day", str(day.day))
    page.fill(f"#id_{name}_month", str(day.month))
    page.fill(f"#id_{name}_year", str(day.year))


def _error_summary(page: Any) -> str:
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible(), "a GOV.UK error summary is shown"
    assert not axe_violations(page)
    return str(summary.inner_text())


def test_an_officer_records_an_enquiry_and_a_upn_is_refused(
    browser: Any, live_server: Any, accounts: dict[str, object], published: Published
) -> None:
    from datetime import date, timedelta

    from ever6.web.support.models import Enquiry

    page = sign_in(browser, live_server.url, "vs_officer")
    page.goto(f"{live_server.url}/support/enquiries/new/")
    _fill_date(page, "received_on", date.today() - timedelta(days=2))
    page.check("input[name=channel][value=phone]")
    page.check("input[name=enquirer_type][value=school]")
    page.fill("#id_enquirer_name", "Priya Shah")
    page.fill("#id_enquirer_email", "not-an-email")
    page.select_option("#id_school", published.urn)
    page.locator("[name=category]").first.evaluate(
        "el => el.tagName === 'SELECT' ? (el.value = 'attendance') : document.querySelector("
        "'input[name=category][value=attendance]').click()"
    )
    page.fill("#id_question", "Pupil A123456789012 has stopped attending: what can we do?")
    page.get_by_role("button", name=re.compile("Save|Record", re.I)).first.click()
    errors = _error_summary(page)
    assert "UPN" in errors or "individual" in errors
    assert "email" in errors.lower()
    assert Enquiry.objects.count() == 0  # nothing saved

    page.fill("#id_enquirer_email", "p.shah@school.example.org")
    page.fill("#id_question", "A pupil on a child in need plan has stopped attending: what can the school try?")
    page.get_by_role("button", name=re.compile("Save|Record", re.I)).first.click()
    page.wait_for_load_state()
    assert Enquiry.objects.count() == 1
    assert not axe_violations(page)
    page.context.close()


def test_an_officer_adds_a_contact_and_sets_a_tier(
    browser: Any, live_server: Any, accounts: dict[str, object], published: Published
) -> None:
    from ever6.web.schools.models import Contact, TierDecision

    page = sign_in(browser, live_server.url, "vs_officer")
    page.goto(f"{live_server.url}/schools/{published.urn}/contacts/new/")
    page.get_by_label("Full name").fill("Morgan Lee")
    page.get_by_label("Email address").fill("morgan.lee@@school")
    page.locator("input[name=role]").first.check()
    page.get_by_role("button").filter(has_text=re.compile("Save|Add", re.I)).first.click()
    assert "email" in _error_summary(page).lower()
    assert Contact.objects.count() == 0
    page.get_by_label("Email address").fill("morgan.lee@school.example.org")
    page.get_by_role("button").filter(has_text=re.compile("Save|Add", re.I)).first.click()
    page.wait_for_load_state()
    assert Contact.objects.filter(email="morgan.lee@school.example.org").count() == 1

    page.goto(f"{live_server.url}/schools/{published.urn}/tier/")
    page.locator("input[name=tier][value=targeted]").check()
    page.get_by_label("Reason").fill("High share of pupils on child protection plans this year")
    page.get_by_role("button").filter(has_text=re.compile("Save|Set", re.I)).first.click()
    page.wait_for_load_state()
    assert TierDecision.objects.filter(school_id=published.urn, tier="targeted").exists()
    assert "Morgan Lee" in page.content() or "targeted" in page.content().lower()
    assert not axe_violations(page)
    page.context.close()


def test_an_officer_imports_contacts_with_a_preview_of_each_rows_errors(
    browser: Any, live_server: Any, accounts: dict[str, object], published: Published, tmp_path: Path, settings: Any
) -> None:
    from ever6.web.schools.models import Contact

    settings.MEDIA_ROOT = tmp_path / "uploads"
    upload = tmp_path / "contacts.csv"
    upload.write_text(
        "urn,name,role,email,phone,from_date,to_date,notes\n"
        f"{published.urn},Jo Bloggs,senco,jo.bloggs@school.example.org,,,,\n"
        f"{published.urn},No Email,dsl,not-an-email,,,,\n"
    )
    page = sign_in(browser, live_server.url, "vs_officer")
    page.goto(f"{live_server.url}/schools/import/")
    page.locator("input[name=kind][value=contacts]").check()
    page.set_input_files("input[name=upload]", str(upload))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    errors = page.locator("table").first
    assert errors.locator("tbody tr").count() == 1
    assert errors.locator("tbody tr th, tbody tr td").first.inner_text().strip() == "3"  # the bad row, by its line
    assert "email" in errors.inner_text().lower()
    assert Contact.objects.count() == 0  # nothing saved until confirmed
    assert not axe_violations(page)
    page.get_by_role("button", name=re.compile("^Import 1")).click()
    page.wait_for_load_state()
    assert list(Contact.objects.values_list("email", flat=True)) == ["jo.bloggs@school.example.org"]
    page.context.close()


def test_an_officer_registers_a_dsl_for_training_and_records_attendance(
    browser: Any, live_server: Any, accounts: dict[str, object], published: Published
) -> None:
    from datetime import date, time, timedelta

    from ever6.web.training.models import Course, Registration, Session

    course = Course.objects.create(title="Children with a social worker", audience="schools", duration_minutes=120)
    session = Session.objects.create(
        course=course, date=date.today() - timedelta(days=1), start_time=time(9, 30), capacity=10
    )
    page = sign_in(browser, live_server.url, "vs_officer")
    page.goto(f"{live_server.url}/training/sessions/{session.pk}/register/")
    page.get_by_label("Full name").fill("Robin Hart")
    page.get_by_label("Email address").fill("robin.hart@school.example.org")
    page.locator("input[name=role][value=dsl]").check()
    page.select_option("#id_school", published.urn)
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    registration = Registration.objects.get(email="robin.hart@school.example.org")

    page.goto(f"{live_server.url}/training/sessions/{session.pk}/register/")  # the same person again
    page.get_by_label("Full name").fill("Robin Hart")
    page.get_by_label("Email address").fill("robin.hart@school.example.org")
    page.locator("input[name=role][value=dsl]").check()
    page.select_option("#id_school", published.urn)
    page.get_by_role("button", name="Register").click()
    _error_summary(page)
    assert Registration.objects.filter(session=session).count() == 1

    page.goto(f"{live_server.url}/training/sessions/{session.pk}/")
    page.locator(f"input[name=attendance_{registration.pk}][value=attended]").check()
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_load_state()
    registration.refresh_from_db()
    assert registration.attendance == "attended"
    assert not axe_violations(page)
    page.context.close()
