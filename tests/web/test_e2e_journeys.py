"""Journeys in a real browser, with axe on each page (tests/web/browser.py: the impacts it
refuses): the dashboard's first screen, a school's page reached from Schools, and the portal's
pupil search, pages, persistent-absence filter and sort by attendance."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.web.browser import axe_violations
from tests.web.conftest import Published
from tests.web.test_e2e import browser, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
__all__ = ["browser"]  # the module's Chromium, shared with the role walks


def _no_violations(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, f"accessibility problems on {page.url}: {violations}"


def test_the_dashboard_leads_with_the_gap(browser: Any, live_server: Any, accounts: dict[str, object]) -> None:
    page = sign_in(browser, live_server.url, "vs_head")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/dashboard/")
    gap = page.locator("#gap-heading")
    assert "against their peers" in gap.inner_text()
    assert gap.bounding_box()["y"] < 900, "the gap is on the first screen"
    page.wait_for_selector("[data-ever6-chart='gap-spec'] svg")  # the chart is drawn
    assert not page.locator("#dashboard-controls").get_attribute("open"), "the controls start closed"
    page.locator("#dashboard-controls summary").click()
    assert page.locator("#id_year").is_visible()
    _no_violations(page)
    # On a phone the page does not scroll sideways.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    page.wait_for_selector("[data-ever6-chart='gap-spec'] svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.context.close()


def test_a_school_page_from_schools(
    browser: Any, live_server: Any, accounts: dict[str, object], published: Published
) -> None:
    page = sign_in(browser, live_server.url, "vs_officer")
    page.goto(f"{live_server.url}/dashboard/schools/")
    _no_violations(page)
    page.locator(f"a[href='/schools/{published.urn}/']").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/schools/{published.urn}/")
    assert page.locator("#figures").is_visible()
    assert page.locator("#activity").is_visible()
    _no_violations(page)
    page.context.close()


def test_the_portal_search_and_pages(
    browser: Any, live_server: Any, accounts: dict[str, object], published: Published
) -> None:
    page = sign_in(browser, live_server.url, "school_dsl")
    page.goto(f"{live_server.url}/portal/{published.urn}/")
    _no_violations(page)
    page.goto(f"{live_server.url}/portal/{published.urn}/pupils/")
    _no_violations(page)
    shown = page.locator("#pupils-shown").inner_text()
    if "of " in shown and page.locator("a[rel='next']").count():
        page.locator("a[rel='next']").first.click()
        page.wait_for_load_state()
        assert "page=2" in page.url
        assert "Showing 26 to" in page.locator("#pupils-shown").inner_text()
        _no_violations(page)
    # The list's own table (the page also lists, apart, whose plan is open and the allocated team).
    listed = page.locator("[aria-label^='Your Ever6 CWSW pupils'] tbody tr th")
    first_surname = listed.first.inner_text()
    page.get_by_label("Search by name or UPN").fill(first_surname)
    page.get_by_role("button", name="Show pupils").click()
    page.wait_for_load_state()
    surnames = listed.all_inner_texts()
    assert surnames
    assert all(first_surname.lower() in s.lower() for s in surnames)
    _no_violations(page)
    # Only the persistently absent, lowest attendance first: the form's checkbox and sort.
    page.get_by_label("Search by name or UPN").fill("")
    page.get_by_label("Only pupils persistently absent this year").check()
    page.get_by_label("Sort by").select_option("attendance")
    page.get_by_role("button", name="Show pupils").click()
    page.wait_for_load_state()
    assert "attendance=low" in page.url
    assert "sort=attendance" in page.url
    heads = page.locator("[aria-label^='Your Ever6 CWSW pupils'] thead th").all_inner_texts()
    rows = page.locator("[aria-label^='Your Ever6 CWSW pupils'] tbody tr")
    assert rows.count()
    at, flag = heads.index("Attendance (%)"), heads.index("Persistently absent")
    cells = [rows.nth(i).locator("th, td").all_inner_texts() for i in range(rows.count())]
    assert all(c[flag] == "Yes" for c in cells)
    rates = [float(c[at]) for c in cells]
    assert rates == sorted(rates)
    assert max(rates) <= 90
    _no_violations(page)
    page.context.close()
