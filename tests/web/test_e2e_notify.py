"""The whole path in a real browser against a real SMTP server: a DSL records a part-time timetable,
the social worker's email arrives with no detail of the child, the worker signs in from its link,
sees the event and acknowledges it, and the Virtual School's figure changes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from ever6.web.outbox.service import Delivery, deliver_due
from tests.web.browser import axe_violations
from tests.web.conftest import Published
from tests.web.events.helpers import open_pupils
from tests.web.smtp import Mailbox, free_port, smtp_server, use_server
from tests.web.test_e2e import _fill_date, browser, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
__all__ = ["browser"]  # the module's Chromium, shared with the other browser tests' pattern

ACKNOWLEDGED = "Acknowledged by the social worker (%)"


def _authority_figure(page: Any, base: str, heading: str) -> str:
    page.goto(f"{base}/social-work/record/")
    assert not axe_violations(page)
    if page.locator("table").count() == 0:
        return ""
    headings = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    column = headings.index(heading)
    row = page.locator("table tbody tr").first
    assert "The authority" in row.inner_text()
    return str(row.locator("th, td").nth(column).inner_text().strip())


def test_dsl_records_worker_is_emailed_sees_and_acknowledges(
    browser: Any, live_server: Any, accounts: dict[str, Any], published: Published, settings: Any
) -> None:
    port = free_port()
    use_server(settings, port)
    settings.EVER6_BASE_URL = live_server.url
    pupil = open_pupils(published)[0]
    worker = accounts["social_worker"]
    worker.email = pupil.worker_email
    worker.save()

    vs = sign_in(browser, live_server.url, "vs_officer")
    assert _authority_figure(vs, live_server.url, ACKNOWLEDGED) == ""  # no events yet

    dsl = sign_in(browser, live_server.url, "school_dsl")
    dsl.goto(f"{live_server.url}/portal/{published.urn}/")
    dsl.get_by_role("link", name=re.compile("Tell a pupil's social worker")).click()
    assert not axe_violations(dsl)
    dsl.select_option("#id_pupil", pupil.upn)
    dsl.check("input[name=kind][value=part_time_timetable]")
    start = date.today()
    _fill_date(dsl, "event_date", start)
    _fill_date(dsl, "review_date", start + timedelta(days=14))
    _fill_date(dsl, "proposed_end_date", start + timedelta(days=42))
    dsl.check("input[name=carer_agreed][value=yes]")
    dsl.get_by_role("button", name="Record and tell the social worker").click()
    dsl.wait_for_load_state()
    assert "Event recorded" in dsl.locator(".govuk-notification-banner, .govuk-panel, main").first.inner_text()
    dsl.context.close()

    with smtp_server(port, Mailbox()) as box:
        assert deliver_due() == Delivery(sent=1)
    (mail,) = box.received
    assert sorted(mail.envelope_to) == sorted({pupil.worker_email, pupil.team_email})
    body = mail.message.get_payload(decode=True).decode()
    for secret in (pupil.forename, pupil.surname, pupil.upn, pupil.la_child_id, published.urn, "timetable"):
        assert secret.lower() not in (body + str(mail.message["Subject"])).lower(), secret
    link = re.search(r"https?://\S+/social-work/events/\d+/", body)
    assert link is not None

    sw = sign_in(browser, live_server.url, "social_worker")
    sw.goto(link.group(0))
    assert not axe_violations(sw)
    assert pupil.surname in sw.locator("main").inner_text()
    assert "Part-time timetable" in sw.locator("h1").inner_text()
    sw.get_by_role("button", name="Acknowledge this event").click()
    sw.wait_for_load_state()
    assert "You have acknowledged this event" in sw.locator("main").inner_text()
    sw.context.close()

    assert _authority_figure(vs, live_server.url, ACKNOWLEDGED) == "100"
    vs.context.close()
