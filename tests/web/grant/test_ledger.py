"""The grant ledger through its forms: a year with its three payments, spend lines by month, the
sums as at a date, bad input refused with nothing changed, the warnings, and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from tests.web.grant.helpers import START, line_post, make_line, make_year, year_post

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[object, ...]:
    """Everything the ledger holds, to show a refused form changed nothing."""
    from ever6.web.audit.models import AuditEvent
    from ever6.web.grant.models import GrantYear, MonthSpend, Payment, SpendLine

    return (
        list(GrantYear.objects.values()),
        list(Payment.objects.values()),
        list(SpendLine.objects.values()),
        list(MonthSpend.objects.values()),
        AuditEvent.objects.filter(action="grant").count(),
    )


def test_a_new_year_has_three_equal_payments_and_each_change_is_audited(
    client_for: Callable[[str], Client], accounts: dict[str, object]
) -> None:
    from ever6.web.audit.models import AuditEvent
    from ever6.web.grant.models import GrantYear

    client = client_for("finance")
    response = client.post("/grant/new/", year_post(baseline="100000.01", top_up="0"))
    assert response.status_code == 302, response.content.decode()[:2000]
    year = GrantYear.objects.get(start_year=START)
    assert year.total == Decimal("100000.01")
    assert year.la_top_up == Decimal("15000.00")
    payments = list(year.payments.order_by("instalment"))
    assert [p.due_on for p in payments] == [date(2025, 9, 30), date(2025, 12, 31), date(2026, 3, 31)]
    assert [p.expected for p in payments] == [Decimal("33333.33"), Decimal("33333.33"), Decimal("33333.35")]
    events = AuditEvent.objects.filter(action="grant", username="finance")
    assert {e.what for e in events} == {"grant_year_created", "grant_payment_created"}
    created = events.get(what="grant_year_created")
    assert created.detail["baseline"]["to"] == "100000.01"

    response = client.post(
        f"/grant/{START}/payments/1/",
        {
            "due_on_day": "15",
            "due_on_month": "9",
            "due_on_year": "2025",
            "expected": "33333.33",
            "received_on_day": "16",
            "received_on_month": "9",
            "received_on_year": "2025",
            "received": "33333.33",
        },
    )
    assert response.status_code == 302
    change = AuditEvent.objects.get(what="grant_payment_changed")
    assert change.username == "finance"
    assert change.detail["received"] == {"from": "", "to": "33333.33"}
    assert change.detail["due_on"] == {"from": "2025-09-30", "to": "2025-09-15"}


def test_spend_lines_sum_by_category_and_strand_as_at_a_date(accounts: dict[str, object]) -> None:
    from ever6.web.grant.ledger import position

    year = make_year()
    make_line(
        year,
        "staffing",
        "partnerships",
        "Adviser",
        {
            date(2025, 4, 1): ("1000.00", "1100.00"),  # begun by the date: the actual counts
            date(2025, 5, 1): (None, "1100.00"),  # begun, no actual yet: nothing counts
            date(2025, 6, 1): ("999.99", "1100.00"),  # not begun: the forecast counts
        },
    )
    make_line(year, "training", "advice", "Courses", {date(2026, 3, 1): (None, "250.50")})
    got = position(year, date(2025, 5, 31))
    assert got["total"] == {"actual": "1000.00", "forecast": "1350.50", "outturn": "2350.50"}
    by_cat = {r["key"]: r["outturn"] for r in got["categories"]}
    assert by_cat == {
        "staffing": "2100.00",
        "training": "250.50",
        "commissioned": "0.00",
        "resources": "0.00",
        "other": "0.00",
    }
    by_strand = {r["key"]: r["actual"] for r in got["strands"]}
    assert by_strand == {"partnerships": "1000.00", "needs": "0.00", "advice": "0.00"}
    assert got["variance"] == str(Decimal("120000.00") - Decimal("2350.50"))
    assert got["flags"] == []


def test_an_empty_year_sums_to_nothing(accounts: dict[str, object]) -> None:
    from ever6.web.grant.ledger import position

    got = position(make_year(baseline="0", top_up="0"), date(2025, 4, 1))
    assert got["total"]["outturn"] == "0.00" or Decimal(got["total"]["outturn"]) == 0
    assert Decimal(got["variance"]) == 0


@pytest.mark.parametrize(
    ("url", "post", "field", "message"),
    [
        ("/grant/new/", year_post(start_year="2030", baseline="-5"), "baseline", "Baseline must be £0 or more"),
        ("/grant/new/", year_post(start_year="2030", baseline="lots"), "baseline", "Baseline must be an amount"),
        (
            "/grant/new/",
            year_post(start_year="2024", mou_signed_on_year="2026"),
            "mou_signed_on",
            "must be in the financial year 2024-25",
        ),
        ("/grant/new/", year_post(start_year=str(START)), "start_year", "already has the year 2025-26"),
        (f"/grant/{START}/spend/new/", line_post(strand=""), "strand", "Select the strand"),
        (
            f"/grant/{START}/spend/new/",
            line_post(actual_1="-100"),
            "actual_1",
            "Actual spend in April 2025 must be £0 or more",
        ),
        (f"/grant/{START}/spend/new/", line_post(fte="0.5"), "fte", "Give an FTE only for a staffing post"),
        (
            f"/grant/{START}/payments/2/",
            {"due_on_day": "1", "due_on_month": "4", "due_on_year": "2026", "expected": "40000"},
            "due_on",
            "must be in the financial year 2025-26",
        ),
        (
            f"/grant/{START}/payments/2/",
            {"due_on_day": "31", "due_on_month": "12", "due_on_year": "2025", "expected": "-1"},
            "expected",
            "Expected amount must be £0 or more",
        ),
        (
            f"/grant/{START}/reports/new/",
            {"as_at_day": "1", "as_at_month": "3", "as_at_year": "2025"},
            "as_at",
            "must be in the financial year",
        ),
    ],
)
def test_bad_input_is_refused_with_an_error_summary_and_changes_nothing(
    client_for: Callable[[str], Client], url: str, post: dict[str, str], field: str, message: str
) -> None:
    from ever6.web.grant.models import ProgressReport

    year = make_year()
    make_line(year, "staffing", "partnerships", "Adviser", {date(2025, 4, 1): ("1000.00", None)})
    before = _snapshot()
    response = client_for("vs_head").post(url, post)
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "There is a problem" in page
    assert f'href="#id_{field}' in page
    assert message in page.replace("&#x27;", "'")
    assert page.count("govuk-error-message") >= 1
    assert _snapshot() == before
    assert not ProgressReport.objects.exists()


def test_the_year_page_warns_of_an_overspend_and_an_overdue_payment(client_for: Callable[[str], Client]) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    start = today.year if today.month >= 4 else today.year - 1
    year = make_year(start=start, baseline="1000", top_up="0")
    # Payment 1 was due on the year's first day and has not arrived; payment 3 (31 March) is not due yet.
    year.payments.filter(instalment=1).update(due_on=date(start, 4, 1))
    year.payments.filter(instalment=2).update(received_on=date(start, 4, 2), received=Decimal("333.33"))
    make_line(year, "resources", "needs", "Data analyst licence", {date(start, 4, 1): ("1500.00", None)})
    page = client_for("auditor").get(f"/grant/{start}/").content.decode()
    assert "is above the allocation, £1,000.00" in page
    assert ("Payment 1 is overdue" in page) == (today > date(start, 4, 1))
    assert "Payment 2 is overdue" not in page
    assert "Payment 3 is overdue" not in page
    assert "Add a spend line" not in page  # the auditor reads, does not edit


def test_only_the_grant_roles_see_the_ledger(client_for: Callable[[str], Client]) -> None:
    from ever6.web.grant.models import GrantYear

    make_year()
    for role in ("vs_officer", "data_manager", "school_dsl"):
        client = client_for(role)
        for url in ("/grant/", f"/grant/{START}/", f"/grant/{START}/?format=csv&table=lines"):
            assert client.get(url).status_code == 403, (role, url)
    auditor = client_for("auditor")
    assert auditor.get(f"/grant/{START}/").status_code == 200
    assert auditor.post(f"/grant/{START}/edit/", year_post(baseline="1")).status_code == 403
    assert GrantYear.objects.get().baseline == Decimal("100000.00")
    for role in ("vs_head", "finance"):
        assert client_for(role).get(f"/grant/{START}/spend/new/").status_code == 200
    # The return to the DfE, and each of its downloads, is the Virtual School Head's alone.
    for role in ("finance", "auditor", "vs_officer", "data_manager", "school_dsl"):
        for query in ("", "?kind=xlsx", "?kind=csv&file=cohort_by_status", "?kind=meta&file=cohort_by_status"):
            assert client_for(role).get(f"/grant/return/{query}").status_code == 403, (role, query)
