"""The grant tests' data, made through the ORM (not the forms under test), and the form posts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

START = 2025  # 1 April 2025 to 31 March 2026


def make_year(start: int = START, baseline: str = "100000.00", top_up: str = "20000.00") -> Any:
    from ever6.web.grant.models import GrantYear, Payment

    year = GrantYear.objects.create(
        start_year=start, baseline=Decimal(baseline), top_up=Decimal(top_up), determination_ref="GDL-31/5521"
    )
    third = (year.total / 3).quantize(Decimal("0.01"))
    for n, (due, amount) in enumerate(
        ((date(start, 9, 30), third), (date(start, 12, 31), third), (date(start + 1, 3, 31), year.total - 2 * third)),
        start=1,
    ):
        Payment.objects.create(year=year, instalment=n, due_on=due, expected=amount)
    return year


def make_line(
    year: Any, category: str, strand: str, description: str, months: dict[date, tuple[str | None, str | None]]
) -> Any:
    from ever6.web.grant.models import MonthSpend, SpendLine

    line = SpendLine.objects.create(year=year, category=category, strand=strand, description=description)
    for month, (actual, forecast) in months.items():
        MonthSpend.objects.create(
            line=line,
            month=month,
            actual=Decimal(actual) if actual is not None else None,
            forecast=Decimal(forecast) if forecast is not None else None,
        )
    return line


def line_post(**changes: str) -> dict[str, str]:
    data = {"category": "training", "strand": "advice", "description": "Trauma-informed practice training", "fte": ""}
    for i in range(1, 13):
        data[f"actual_{i}"] = ""
        data[f"forecast_{i}"] = ""
    return data | changes


def year_post(**changes: str) -> dict[str, str]:
    data = {
        "start_year": str(START),
        "baseline": "100,000",
        "top_up": "£20,000.00",
        "determination_ref": "GDL-31/5521",
        "mou_signed_on_day": "30",
        "mou_signed_on_month": "4",
        "mou_signed_on_year": str(START),
        "mou_signatory": "Director of Children's Services",
        "la_top_up": "15000",
        "la_top_up_note": "An extra 0.3 FTE adviser",
    }
    return data | changes
