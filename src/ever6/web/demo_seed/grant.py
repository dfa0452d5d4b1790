"""Demonstration data for the grant ledger: the current financial year's allocation, MoU and
payments, and its spend by month (staff posts, commissioned services, training and resources),
with the local authority's own top-up kept apart.

Running it again replaces the demo's year and leaves years that people entered alone.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from django.db import transaction

from ever6.web.grant.models import DEMO, GrantYear, MonthSpend, Payment, ProgressReport, SpendLine, year_months

# (category, strand, description, FTE, monthly cost in pounds, first month of the year it runs in)
LINES = (
    ("staffing", "partnerships", "Virtual School adviser: children with a social worker", "1.0", 3450, 1),
    ("staffing", "needs", "Data and information officer", "0.5", 1520, 1),
    ("staffing", "advice", "Advisory teacher: attendance and inclusion", "0.6", 2280, 4),
    ("commissioned", "advice", "Educational psychology consultation time", None, 1250, 6),
    ("commissioned", "advice", "CAMHS consultation clinics", None, 800, 6),
    ("training", "advice", "Trauma-informed practice training for DSLs and social workers", None, 600, 5),
    ("resources", "needs", "Attendance data service subscription", None, 250, 1),
    ("other", "partnerships", "Partnership events with schools and social care", None, 150, 3),
)


def clear_demo() -> None:
    years = GrantYear.objects.filter(updated_by=DEMO)
    ProgressReport.objects.filter(year__in=years).delete()
    years.delete()


@transaction.atomic
def seed_demo(rng: random.Random, today: date) -> None:
    clear_demo()
    start = today.year if today.month >= 4 else today.year - 1
    if GrantYear.objects.filter(start_year=start).exists():
        return  # a year someone entered: leave it alone
    baseline, top_up = Decimal("100000.00"), Decimal("25460.00")
    year = GrantYear.objects.create(
        start_year=start,
        baseline=baseline,
        top_up=top_up,
        determination_ref=f"31/{start}-VSH-CWSW",
        mou_signed_on=date(start, 5, 20) if today >= date(start, 5, 20) else None,
        mou_signatory="Director of Children's Services" if today >= date(start, 5, 20) else "",
        la_top_up=Decimal("18000.00"),
        la_top_up_note="0.4 FTE of the advisory teacher, paid by the authority",
        updated_by=DEMO,
    )
    total = year.total
    third = (total / 3).quantize(Decimal("0.01"))
    for n, (due, amount) in enumerate(
        ((date(start, 9, 30), third), (date(start, 12, 31), third), (date(start + 1, 3, 31), total - 2 * third)),
        start=1,
    ):
        received = due if due <= today else None
        Payment.objects.create(
            year=year,
            instalment=n,
            due_on=due,
            expected=amount,
            received_on=received,
            received=amount if received else None,
            updated_by=DEMO,
        )
    months = year_months(start)
    for category, strand, description, fte, monthly, first in LINES:
        line = SpendLine.objects.create(
            year=year,
            category=category,
            strand=strand,
            description=description,
            fte=Decimal(fte) if fte else None,
            updated_by=DEMO,
        )
        for index, month in enumerate(months, start=1):
            if index < first:
                continue
            planned = Decimal(monthly)
            begun = month <= today
            # What was spent differs a little from the plan; months to come have the plan.
            actual = (planned * Decimal(rng.uniform(0.9, 1.1))).quantize(Decimal("0.01")) if begun else None
            MonthSpend.objects.create(line=line, month=month, actual=actual, forecast=planned)
