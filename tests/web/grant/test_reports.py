"""The financial progress report: generated as at a date, read back from its Excel and PDF files,
and frozen once submitted."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from tests.web.grant.helpers import START, make_line, make_year

pytestmark = pytest.mark.django_db


def xlsx_summary(body: bytes) -> dict[str, object]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(body), read_only=True)["Summary"]
    return {row[0]: row[1] for row in ws.iter_rows(min_row=2, values_only=True) if row and row[0]}


def pdf_text(body: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _report(client: Client, as_at: date, narrative: str = "") -> int:
    from ever6.web.grant.models import ProgressReport

    response = client.post(
        f"/grant/{START}/reports/new/",
        {
            "as_at_day": str(as_at.day),
            "as_at_month": str(as_at.month),
            "as_at_year": str(as_at.year),
            "narrative": narrative,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return ProgressReport.objects.latest("id").pk


def test_a_submitted_report_is_frozen_and_its_files_hold_the_ledgers_totals(
    client_for: Callable[[str], Client], tmp_path: Path
) -> None:
    year = make_year()
    make_line(
        year,
        "staffing",
        "partnerships",
        "Virtual School adviser (children with a social worker)",
        {
            date(2025, 4, 1): ("3200.00", None),
            date(2025, 10, 1): ("3200.00", None),
            date(2026, 1, 1): (None, "3300.00"),
        },
    )
    make_line(
        year,
        "commissioned",
        "advice",
        '=HYPERLINK("x") educational psychology',
        {date(2025, 11, 1): ("1234.56", "9.99")},
    )
    year.payments.filter(instalment=1).update(received_on=date(2025, 9, 29), received=Decimal("40000.00"))
    client = client_for("finance")
    report_id = _report(client, date(2025, 12, 15), "Spend is on track.\nThe adviser started in April.")
    # Actual: 3200 + 3200 + 1234.56 = 7634.56; forecast after 15 December: 3300; outturn 10934.56.
    page = client.get(f"/grant/reports/{report_id}/").content.decode()
    assert "£7,634.56" in page
    assert "£10,934.56" in page
    assert "Draft" in page

    summary = xlsx_summary(client.get(f"/grant/reports/{report_id}/report.xlsx").content)
    assert summary["Actual spend to date"] == pytest.approx(7634.56)
    assert summary["Forecast outturn"] == pytest.approx(10934.56)
    assert summary["Allocation"] == pytest.approx(120000)
    assert summary["Payments received"] == pytest.approx(40000)
    assert summary["Variance (allocation less forecast outturn)"] == pytest.approx(120000 - 10934.56)
    assert summary["Narrative"].startswith("Spend is on track.")

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(client.get(f"/grant/reports/{report_id}/report.xlsx").content))
    lines = [row for row in wb["Spend lines"].iter_rows(min_row=2, values_only=True)]
    assert all(not str(r[0]).startswith("=") for r in lines), "text is formula-safe"

    text = pdf_text(client.get(f"/grant/reports/{report_id}/report.pdf").content, tmp_path)
    for figure in ("£120,000.00", "£7,634.56", "£10,934.56", "£40,000.00", "£109,065.44", "Draft"):
        assert figure in text, figure

    assert client.post(f"/grant/reports/{report_id}/submit/").status_code == 302
    # The ledger changes afterwards; the submitted report does not.
    make_line(year, "other", "needs", "Late addition", {date(2025, 5, 1): ("500.00", None)})
    page = client.get(f"/grant/reports/{report_id}/").content.decode()
    assert "£7,634.56" in page
    assert "Submitted on" in page
    assert "Submit the report" not in page
    assert xlsx_summary(client.get(f"/grant/reports/{report_id}/report.xlsx").content)[
        "Actual spend to date"
    ] == pytest.approx(7634.56)
    text = pdf_text(client.get(f"/grant/reports/{report_id}/report.pdf").content, tmp_path)
    assert "£7,634.56" in text
    assert "Submitted on" in text
    assert client.post(f"/grant/reports/{report_id}/submit/").status_code == 409
    # A new report sees the change.
    later = _report(client, date(2025, 12, 15))
    assert "£8,134.56" in client.get(f"/grant/reports/{later}/").content.decode()
