"""The advice line: recording and answering enquiries, refusals that save nothing (UPN-like text,
bad email, future dates, impossible orders of dates), the list's filters and downloads, and the
report's counts.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from openpyxl import load_workbook

from ever6.web.support.models import Enquiry
from tests.web.conftest import Published
from tests.web.support.helpers import UPN_TEXT, _csv, _date, _enquiry_post, _intervention, _make_enquiries, _refused


def test_record_and_answer_an_enquiry(client_for: Callable[[str], Client], published: Published) -> None:
    client = client_for("vs_officer")
    form = client.get("/support/enquiries/new/").content.decode()
    assert "does not take on individual cases" in form
    assert "date of birth" in form  # the hint warns against names and dates of birth
    response = client.post("/support/enquiries/new/", _enquiry_post(published))
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert response["Location"] == f"/support/enquiries/{enquiry.pk}/"
    assert (enquiry.recorded_by, enquiry.school_id, enquiry.status) == ("vs_officer", published.urn, "open")

    mentoring = _intervention()
    answer = {
        "response": "Suggested a key adult and an attendance plan agreed with the social worker.",
        **_date("responded_on", date(2026, 3, 10)),  # the Tuesday after: 2 working days
        "outcome": "intervention",
        "closed": "no",
        "interventions": [str(mentoring.pk)],
    }
    assert client.post(f"/support/enquiries/{enquiry.pk}/respond/", answer).status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.status == "answered"
    assert enquiry.days_to_respond == 2
    assert list(enquiry.interventions.all()) == [mentoring]
    page = client.get(f"/support/enquiries/{enquiry.pk}/").content.decode()
    assert "Mentoring" in page
    assert "Suggested a key adult" in page

    client.post(f"/support/enquiries/{enquiry.pk}/respond/", {**answer, "closed": "yes"})
    enquiry.refresh_from_db()
    assert enquiry.status == "closed"
    listed = client.get(f"/support/interventions/{mentoring.pk}/").content.decode()
    assert enquiry.reference in listed


def test_an_enquiry_with_a_upn_is_refused_and_not_saved(
    client_for: Callable[[str], Client], published: Published
) -> None:
    client = client_for("vs_officer")
    body = _refused(
        client.post("/support/enquiries/new/", _enquiry_post(published, question=UPN_TEXT)),
        "id_question",
        "The question must not contain a pupil's UPN",
    )
    assert "does not take on individual cases" in body
    assert Enquiry.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"enquirer_email": "not-an-email"}, "id_enquirer_email", "Enter an email address in the correct format"),
        (_date("received_on", date.today() + timedelta(days=1)), "id_received_on_day", "must be today or in the past"),
        (_date("received_on", None), "id_received_on_day", "Enter the date the enquiry was received"),
        ({"received_on_day": "31", "received_on_month": "2"}, "id_received_on_day", "must be a real date"),
        ({"category": ""}, "id_category", "Select the category"),
        ({"category": "gossip"}, "id_category", "Select the category"),
        ({"school": "999999"}, "id_school", "Select a school from the list"),
        ({"question": ""}, "id_question", "Enter the question"),
    ],
)
def test_invalid_enquiries_save_nothing(
    client_for: Callable[[str], Client], published: Published, fields: dict[str, str], field: str, message: str
) -> None:
    response = client_for("vs_head").post("/support/enquiries/new/", _enquiry_post(published, **fields))
    _refused(response, field, message)
    assert Enquiry.objects.count() == 0


def test_invalid_responses_save_nothing(client_for: Callable[[str], Client], records: dict[str, int]) -> None:
    client = client_for("vs_officer")
    url = f"/support/enquiries/{records['enquiry']}/respond/"
    good = {"response": "Advice given.", **_date("responded_on", date(2026, 3, 3)), "outcome": "", "closed": "no"}
    cases = [
        ({**good, **_date("responded_on", date(2026, 3, 1))}, "id_responded_on_day", "same as or after the date"),
        ({**good, **_date("responded_on", date.today() + timedelta(days=2))}, "id_responded_on_day", "in the past"),
        ({**good, "response": UPN_TEXT}, "id_response", "must not contain a pupil's UPN"),
        ({**good, "closed": "yes"}, "id_outcome", "Select the outcome before closing the enquiry"),
        ({**good, "interventions": ["999999"]}, "id_interventions", "Select only items from the list"),
    ]
    for data, field, message in cases:
        _refused(client.post(url, data), field, message)
    enquiry = Enquiry.objects.get(pk=records["enquiry"])
    assert (enquiry.response, enquiry.responded_on, enquiry.closed) == ("", None, False)


def test_editing_keeps_received_on_or_before_the_answer(
    client_for: Callable[[str], Client], published: Published, records: dict[str, int]
) -> None:
    enquiry = Enquiry.objects.get(pk=records["enquiry"])
    enquiry.responded_on, enquiry.response = date(2026, 3, 4), "Answered."
    enquiry.save()
    client = client_for("vs_head")
    url = f"/support/enquiries/{enquiry.pk}/edit/"
    _refused(
        client.post(url, _enquiry_post(published, **_date("received_on", date(2026, 3, 5)))),
        "id_received_on_day",
        "on or before the date it was answered",
    )
    enquiry.refresh_from_db()
    assert enquiry.received_on == date(2026, 3, 2)
    assert client.post(url, _enquiry_post(published, **_date("received_on", date(2026, 3, 3)))).status_code == 302
    enquiry.refresh_from_db()
    assert (enquiry.received_on, enquiry.category, enquiry.days_to_respond) == (date(2026, 3, 3), "attendance", 1)


def test_enquiry_list_filters_and_downloads(
    client_for: Callable[[str], Client], accounts: dict[str, object], published: Published
) -> None:
    _make_enquiries(published)
    client = client_for("vs_officer")
    everything = _csv(client.get("/support/enquiries/?format=csv"))
    assert len(everything) == 5
    assert {"Question", "Response", "Working days to respond", "Enquirer's email"} <= set(everything[0])

    def refs(query: str) -> int:
        return len(_csv(client.get(f"/support/enquiries/?{query}&format=csv")))

    assert refs("category=attendance") == 3
    assert refs("status=open") == 2
    assert refs("status=answered") == 3
    assert refs("status=closed") == 0
    assert refs(f"school={published.unsigned_urn}") == 2
    assert refs("month=2026-02") == 3
    assert refs("category=attendance&month=2026-01") == 2
    assert refs("category=nonsense") == 5  # an unknown filter value shows everything
    answered = {r["Received"]: r["Working days to respond"] for r in everything if r["Responded"]}
    assert answered == {"2026-01-05": "0", "2026-01-09": "3", "2026-02-02": "5"}

    page = client.get("/support/enquiries/?category=attendance").content.decode()
    assert "3 enquiries match" in page
    xlsx = client.get("/support/enquiries/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + 1 + 5  # caption, headings, rows


def test_report_counts_by_category_school_and_month(
    client_for: Callable[[str], Client], accounts: dict[str, object], published: Published
) -> None:
    _make_enquiries(published)
    client = client_for("vs_head")
    period = "period=2025-26"
    category = {r["Category"]: r for r in _csv(client.get(f"/support/enquiries/report/?{period}&format=csv"))}
    assert category["Attendance"]["Enquiries"] == "3"
    assert category["Attendance"]["Answered"] == "2"
    assert category["Attendance"]["Median working days to respond"] == "1.5"
    assert category["SEND"]["Enquiries"] == "1"
    assert category["Elective home education"]["Enquiries"] == "0"

    months = _csv(client.get(f"/support/enquiries/report/?{period}&format=csv&table=month"))
    assert len(months) == 12  # September to August
    counts = {r["Month"]: int(r["Enquiries"]) for r in months}
    assert (counts["Jan 2026"], counts["Feb 2026"], counts["Sep 2025"]) == (2, 3, 0)

    schools = _csv(client.get(f"/support/enquiries/report/?{period}&format=csv&table=school"))
    by_urn = {r["URN"]: r for r in schools}
    assert by_urn[published.urn]["Enquiries"] == "2"
    assert by_urn[""]["School"] == "No school recorded"
    assert int(by_urn[published.urn]["Ever6 CWSW pupils"]) > 0  # beside the published cohort

    summary = {
        r["Measure"]: r["Value"]
        for r in _csv(client.get(f"/support/enquiries/report/?{period}&format=csv&table=summary"))
    }
    assert summary["Enquiries received"] == "5"
    assert summary["Open (not yet answered)"] == "2"
    assert summary["Median working days to respond"] == "3.0"

    page = client.get(f"/support/enquiries/report/?{period}").content.decode()
    assert 'data-ever6-chart="report-category-spec"' in page
    assert 'data-ever6-chart="report-month-spec"' in page
    assert "Enquiries by school" in page
    everything = _csv(client.get("/support/enquiries/report/?period=all&format=csv&table=summary"))
    assert everything[0] == {"Measure": "Enquiries received", "Value": "5"}
    unknown = client.get("/support/enquiries/report/?period=1999-00").content.decode()
    assert '<h2 class="govuk-heading-m">Last 12 months</h2>' in unknown  # an unknown period: the default
