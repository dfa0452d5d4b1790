"""The ledger's sums as at a date: spend by category and strand against the allocation, the
payments received, the variance and the warnings. The ledger page, the progress report and its
Excel and PDF files all read this one calculation (:func:`position`).

As at a date, a month that has begun counts its actual spend; a later month counts its forecast.
The forecast outturn is the actual to date plus the forecast for the rest of the year; the
variance is the allocation less the outturn (negative: an overspend).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ever6.web.grant.models import Category, GrantYear, Strand, year_months

ZERO = Decimal("0.00")


def money(value: Decimal | None) -> str:
    """£1,234.50; negative as −£1,234.50."""
    amount = value if value is not None else ZERO
    sign = "−" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


@dataclass
class Sums:
    actual: Decimal = ZERO
    forecast: Decimal = ZERO  # the rest of the year

    @property
    def outturn(self) -> Decimal:
        return self.actual + self.forecast

    def as_dict(self) -> dict[str, str]:
        return {"actual": str(self.actual), "forecast": str(self.forecast), "outturn": str(self.outturn)}


def _sum_line(months: Iterable[Any], as_at: date) -> Sums:
    sums = Sums()
    for m in months:
        if m.month <= as_at:
            sums.actual += m.actual or ZERO
        else:
            sums.forecast += m.forecast or ZERO
    return sums


def position(year: GrantYear, as_at: date, *, today: date | None = None) -> dict[str, Any]:
    """The year's figures as at ``as_at``, as JSON-ready text (a frozen report keeps exactly this)."""
    today = today or as_at
    categories = {value: Sums() for value, _ in Category.choices}
    strands = {value: Sums() for value, _ in Strand.choices}
    lines = []
    for line in year.lines.prefetch_related("months").order_by("category", "description", "id"):
        sums = _sum_line(line.months.all(), as_at)
        for bucket in (categories[line.category], strands[line.strand]):
            bucket.actual += sums.actual
            bucket.forecast += sums.forecast
        lines.append(
            {
                "id": line.pk,
                "category": line.get_category_display(),
                "strand": line.get_strand_display(),
                "description": line.description,
                "fte": "" if line.fte is None else str(line.fte),
                **sums.as_dict(),
            }
        )
    total = Sums(
        sum((s.actual for s in categories.values()), ZERO), sum((s.forecast for s in categories.values()), ZERO)
    )
    payments = []
    received = ZERO
    overdue = []
    for p in year.payments.order_by("instalment"):
        counted = p.received_on is not None and p.received_on <= as_at
        if counted:
            received += p.received or ZERO
        if p.overdue(today):
            overdue.append(p.instalment)
        payments.append(
            {
                "instalment": p.instalment,
                "due_on": p.due_on.isoformat(),
                "expected": str(p.expected),
                "received_on": p.received_on.isoformat() if counted and p.received_on else "",
                "received": str(p.received) if counted and p.received is not None else "",
                "overdue": p.overdue(today),
            }
        )
    allocation = year.total
    flags = []
    if total.outturn > allocation:
        flags.append(f"The forecast outturn, {money(total.outturn)}, is above the allocation, {money(allocation)}.")
    for n in overdue:
        flags.append(f"Payment {n} is overdue: it was due and has not been recorded as received.")
    return {
        "year": year.label,
        "start_year": year.start_year,
        "as_at": as_at.isoformat(),
        "determination_ref": year.determination_ref,
        "baseline": str(year.baseline),
        "top_up": str(year.top_up),
        "allocation": str(allocation),
        "mou_signed_on": year.mou_signed_on.isoformat() if year.mou_signed_on else "",
        "mou_signatory": year.mou_signatory,
        "la_top_up": str(year.la_top_up),
        "categories": [{"key": k, "label": label, **categories[k].as_dict()} for k, label in Category.choices],
        "strands": [{"key": k, "label": label, **strands[k].as_dict()} for k, label in Strand.choices],
        "lines": lines,
        "total": total.as_dict(),
        "payments": payments,
        "received": str(received),
        "variance": str(allocation - total.outturn),
        "flags": flags,
    }


def months_of(year: GrantYear) -> list[date]:
    return year_months(year.start_year)
