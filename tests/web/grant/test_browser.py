"""The grant ledger in a real browser (its forms are plain HTML posts, no script needed): the finance
officer enters a year's allocation, records a payment and adds spend lines, a bad line is refused,
then generates the progress report and reads its Excel and PDF files back; their totals equal the
ledger's. Every page passes the axe accessibility check."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import axe_violations
from tests.web.conftest import Published
from tests.web.grant.test_reports import pdf_text, xlsx_summary
from tests.web.test_e2e import browser, sign_in  # noqa: F401 (the module's browser fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert not violations, f"accessibility problems on {page.url}: {violations}"


def _fill_date(page: Any, name: str, day: int, month: int, year: int) -> None:
    page.fill(f"#id_{name}_day", str(day))
    page.fill(f"#id_{name}_month", str(month))
    page.fill(f"#id_{name}_year", str(year))


def test_finance_enters_the_ledger_and_the_reports_totals_equal_it(
    browser: Any,  # noqa: F811
    live_server: Any,
    accounts: dict[str, object],
    published: Published,
    tmp_path: Path,
) -> None:
    from ever6.web.grant.ledger import position
    from ever6.web.grant.models import GrantYear, SpendLine

    page = sign_in(browser, live_server.url, "finance")
    assert page.url.endswith("/grant/"), "the finance officer starts at the grant"
    _accessible(page)
    page.get_by_role("button", name="Add a financial year").click()
    _accessible(page)
    page.fill("#id_start_year", "2025")
    page.fill("#id_baseline", "100,000")
    page.fill("#id_top_up", "20000")
    page.fill("#id_determination_ref", "GDL-31/5521")
    _fill_date(page, "mou_signed_on", 30, 4, 2025)
    page.fill("#id_mou_signatory", "Director of Children's Services")
    page.fill("#id_la_top_up", "15000")
    page.get_by_role("button", name="Save").click()
    assert "Saved the grant for 2025-26" in page.content()
    _accessible(page)

    page.get_by_role("link", name="Change payment 1").click()
    _fill_date(page, "received_on", 29, 9, 2025)
    page.fill("#id_received", "40000")
    page.get_by_role("button", name="Save payment").click()
    assert "Saved payment 1" in page.content()

    lines = (
        (
            "staffing",
            "partnerships",
            "Virtual School adviser",
            "0.6",
            {"actual_1": "2000", "actual_7": "2100.50", "forecast_10": "2200"},
        ),
        ("commissioned", "advice", "Educational psychology time", "", {"actual_8": "1500", "forecast_12": "750.25"}),
        ("training", "needs", "Data analyst course", "", {"actual_3": "300"}),
    )
    for category, strand, description, fte, months in lines:
        page.get_by_role("button", name="Add a spend line").click()
        page.check(f"input[name=category][value={category}]")
        page.check(f"input[name=strand][value={strand}]")
        page.fill("#id_description", description)
        page.fill("#id_fte", fte)
        for name, amount in months.items():
            page.fill(f"#id_{name}", amount)
        page.get_by_role("button", name="Save spend line").click()
        assert f"Saved the spend line: {description}" in page.content()

    # A line without a strand is refused: the error summary, and nothing saved.
    before = SpendLine.objects.count()
    page.get_by_role("button", name="Add a spend line").click()
    page.check("input[name=category][value=other]")
    page.fill("#id_description", "Unclassified")
    page.fill("#id_actual_1", "-5")
    page.get_by_role("button", name="Save spend line").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Select the strand" in summary
    assert "must be £0 or more" in summary
    assert page.title().startswith("Error:")
    _accessible(page)
    assert SpendLine.objects.count() == before
    page.goto(f"{live_server.url}/grant/2025/")

    page.get_by_role("button", name="Generate a progress report").click()
    _fill_date(page, "as_at", 15, 12, 2025)
    page.fill("#id_narrative", "On track; the adviser started in April.")
    page.get_by_role("button", name="Generate report").click()
    _accessible(page)
    page.get_by_role("button", name="Submit the report").click()
    assert "Submitted on" in page.content()

    with page.expect_download() as excel:
        page.get_by_role("link", name="Excel").click()
    workbook = Path(excel.value.path()).read_bytes()
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF").click()
    document = Path(pdf.value.path()).read_bytes()
    page.context.close()

    from datetime import date

    ledger = position(GrantYear.objects.get(start_year=2025), date(2025, 12, 15))
    # Independently of the report code: actual 2000 + 2100.50 + 1500 + 300; forecast 2200 + 750.25.
    assert Decimal(ledger["total"]["actual"]) == Decimal("5900.50")
    assert Decimal(ledger["total"]["outturn"]) == Decimal("8850.75")
    summary_cells = xlsx_summary(workbook)
    assert summary_cells["Actual spend to date"] == pytest.approx(5900.50)
    assert summary_cells["Forecast outturn"] == pytest.approx(8850.75)
    assert summary_cells["Allocation"] == pytest.approx(120000)
    assert summary_cells["Payments received"] == pytest.approx(40000)
    text = pdf_text(document, tmp_path)
    for figure in ("£120,000.00", "£5,900.50", "£8,850.75", "£40,000.00", "£111,149.25"):
        assert figure in text, figure
