"""The financial progress report as files: an Excel workbook (numbers as numbers, text
formula-safe, as every export of ever6) and a PDF.

:func:`render_pdf` hands the report's HTML to the service's document pipeline
(``ever6.web.documents.render``).
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ever6.exports import safe_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = '"£"#,##0.00;[Red]-"£"#,##0.00'


def render_pdf(html: str) -> bytes:
    """An HTML page (with its print CSS inline) as PDF bytes, by the service's document pipeline."""
    from ever6.web.documents.render import html_to_pdf

    return html_to_pdf(html)


def _money(text: str) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def report_xlsx(content: dict[str, Any], *, submitted_at: datetime | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    bold = Font(bold=True)
    status = f"Submitted {timezone.localtime(submitted_at):%Y-%m-%d %H:%M}" if submitted_at else "Draft (not submitted)"
    rows: list[tuple[str, Any]] = [
        ("Financial year", content["year"]),
        ("As at", content["as_at"]),
        ("Status", status),
        ("Grant determination reference", content["determination_ref"]),
        ("MoU signed", content["mou_signed_on"]),
        ("MoU signatory", content["mou_signatory"]),
        ("Baseline", _money(content["baseline"])),
        ("Top-up", _money(content["top_up"])),
        ("Allocation", _money(content["allocation"])),
        ("Payments received", _money(content["received"])),
        ("Actual spend to date", _money(content["total"]["actual"])),
        ("Forecast to year end", _money(content["total"]["forecast"])),
        ("Forecast outturn", _money(content["total"]["outturn"])),
        ("Variance (allocation less forecast outturn)", _money(content["variance"])),
        ("Local authority top-up funding (kept apart, not in the figures above)", _money(content["la_top_up"])),
    ]
    summary.append(["Virtual School Head grant: financial progress report"])
    summary["A1"].font = bold
    for label, value in rows:
        summary.append([label, value if isinstance(value, Decimal) else safe_cell(value)])
        if isinstance(value, Decimal):
            summary.cell(summary.max_row, 2).number_format = MONEY_FORMAT
    for text in content["flags"]:
        summary.append(["Warning", safe_cell(text)])
    summary.append(["Narrative", safe_cell(content.get("narrative", ""))])
    summary.column_dimensions["A"].width = 60
    summary.column_dimensions["B"].width = 40

    sums = ("Actual to date", "Forecast to year end", "Forecast outturn")

    def sheet(title: str, head: tuple[str, ...], body: list[list[Any]]) -> None:
        ws = wb.create_sheet(title)
        ws.append(list(head))
        for cell in ws[1]:
            cell.font = bold
        for values in body:
            ws.append([v if isinstance(v, (Decimal, int, float)) or v is None else safe_cell(v) for v in values])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = MONEY_FORMAT
        ws.column_dimensions["A"].width = 45

    def sum_cells(row: dict[str, Any]) -> list[Any]:
        return [_money(row["actual"]), _money(row["forecast"]), _money(row["outturn"])]

    total = ["Total", *sum_cells(content["total"])]
    sheet("By category", ("Category", *sums), [[r["label"], *sum_cells(r)] for r in content["categories"]] + [total])
    sheet("By strand", ("Strand", *sums), [[r["label"], *sum_cells(r)] for r in content["strands"]] + [total])
    sheet(
        "Spend lines",
        ("Line", "Category", "Strand", "FTE", *sums),
        [
            [r["description"], r["category"], r["strand"], float(r["fte"]) if r["fte"] else None, *sum_cells(r)]
            for r in content["lines"]
        ],
    )
    sheet(
        "Payments",
        ("Payment", "Due", "Expected", "Received on", "Received"),
        [
            [p["instalment"], p["due_on"], _money(p["expected"]), p["received_on"], _money(p["received"])]
            for p in content["payments"]
        ],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
