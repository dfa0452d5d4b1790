"""The grant ledger: for each financial year (April to March), the Virtual School Head grant's
allocation, its Memorandum of Understanding, the three payments, the spend against it by category
and strand (actual by month, forecast to the year's end), and the authority's own top-up funding,
kept apart from the grant (docs/grant.md).

Money is held as :class:`~decimal.Decimal` pounds and pence. Who changed what, and when, is in the
audit log (:mod:`ever6.web.grant.history`); each record also keeps its last editor.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models
from django.utils import timezone

DEMO = "demo"  # ``updated_by`` of the demo's records, so the demo can replace them
MONEY = {"max_digits": 12, "decimal_places": 2}
# The grant is paid in three equal payments, in September, December and March (the guidance, para 6).
INSTALMENT_MONTHS = (9, 12, 3)


def year_label(start: int) -> str:
    """``2025`` → ``"2025-26"``: the financial year from 1 April 2025 to 31 March 2026."""
    return f"{start}-{(start + 1) % 100:02d}"


def year_bounds(start: int) -> tuple[date, date]:
    return date(start, 4, 1), date(start + 1, 3, 31)


def year_months(start: int) -> list[date]:
    """The first day of each month of the financial year, April to March."""
    return [date(start + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]


class Category(models.TextChoices):
    STAFFING = "staffing", "Staffing"
    TRAINING = "training", "Training"
    COMMISSIONED = "commissioned", "Commissioned services"
    RESOURCES = "resources", "Resources"
    OTHER = "other", "Other"


class Strand(models.TextChoices):
    """The three strands of the Virtual School Head's role for children with a social worker."""

    PARTNERSHIPS = "partnerships", "Strategic partnerships"
    NEEDS = "needs", "Identifying the cohort's needs and data"
    ADVICE = "advice", "Advice, support and training"


class GrantYear(models.Model):
    start_year = models.PositiveSmallIntegerField(unique=True)  # 2025 is April 2025 to March 2026
    baseline = models.DecimalField(**MONEY)
    top_up = models.DecimalField(**MONEY, default=Decimal(0))
    determination_ref = models.CharField("grant determination reference", max_length=100)
    mou_signed_on = models.DateField("MoU signed", null=True, blank=True)
    mou_signatory = models.CharField("MoU signatory", max_length=150, blank=True)
    la_top_up = models.DecimalField("local authority top-up funding", **MONEY, default=Decimal(0))
    la_top_up_note = models.CharField(max_length=300, blank=True)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-start_year",)

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return year_label(self.start_year)

    @property
    def total(self) -> Decimal:
        return self.baseline + self.top_up

    @property
    def bounds(self) -> tuple[date, date]:
        return year_bounds(self.start_year)


class Payment(models.Model):
    year = models.ForeignKey(GrantYear, on_delete=models.CASCADE, related_name="payments")
    instalment = models.PositiveSmallIntegerField()  # 1, 2, 3
    due_on = models.DateField()
    expected = models.DecimalField(**MONEY)
    received_on = models.DateField(null=True, blank=True)
    received = models.DecimalField(**MONEY, null=True, blank=True)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("year", "instalment")
        constraints = (models.UniqueConstraint(fields=("year", "instalment"), name="grant_one_payment_per_instalment"),)

    def __str__(self) -> str:
        return f"{self.year} payment {self.instalment}"

    def overdue(self, today: date) -> bool:
        return self.received_on is None and self.due_on < today


class SpendLine(models.Model):
    year = models.ForeignKey(GrantYear, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(max_length=16, choices=Category.choices)
    strand = models.CharField(max_length=16, choices=Strand.choices)
    description = models.CharField(max_length=200)  # a post's title, a course, a service
    fte = models.DecimalField("FTE", max_digits=5, decimal_places=2, null=True, blank=True)  # staffing only
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("category", "description", "id")

    def __str__(self) -> str:
        return self.description


class MonthSpend(models.Model):
    """One line's money in one month: what was spent (actual) and, for months not yet closed, the
    forecast. A report as at a date counts actuals of months ended by then and forecasts after."""

    line = models.ForeignKey(SpendLine, on_delete=models.CASCADE, related_name="months")
    month = models.DateField()  # the first day of the month
    actual = models.DecimalField(**MONEY, null=True, blank=True)
    forecast = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ("line", "month")
        constraints = (models.UniqueConstraint(fields=("line", "month"), name="grant_one_amount_per_month"),)


class ProgressReport(models.Model):
    """A financial progress report as at a date. A draft shows the ledger's figures as they are now;
    once submitted it is frozen: its figures are kept as they were then (``content``), with the date
    and who submitted it, and it is never changed again."""

    year = models.ForeignKey(GrantYear, on_delete=models.PROTECT, related_name="reports")
    as_at = models.DateField()
    narrative = models.TextField(blank=True)
    content = models.JSONField(default=dict, blank=True)  # filled when submitted
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.CharField(max_length=150, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-as_at", "-id")

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    def __str__(self) -> str:
        return f"{self.year} as at {self.as_at}"
