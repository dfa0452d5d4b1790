"""The advice line's report for a period: enquiries by category, month, school and enquirer, with charts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ever6.access import Capability, NotPublished
from ever6.web import charts
from ever6.web.guard import require, snapshot, viewer
from ever6.web.support.models import Enquiry
from ever6.web.support.report import Report, choose_period, periods
from ever6.web.support.views.common import render
from ever6.web.tables import Table, requested_download


def _cohort(request: HttpRequest) -> dict[str, int] | None:
    try:
        return snapshot().cohort_counts_by_school(viewer(request))
    except NotPublished:
        return None


def _enquiries_chart(
    chart: Callable[..., dict[str, Any] | None], table: Table, key: str, title: str
) -> dict[str, Any] | None:
    """Enquiries by ``key`` (a column of ``table``), drawn by ``chart`` (a bar or a line)."""
    return chart(
        [charts.Point(r[key], "Enquiries", r["enquiries"]) for r in table.rows],
        title=title,
        category_title=key.capitalize(),
        value_title="Enquiries",
        categories=[r[key] for r in table.rows],
        series=["Enquiries"],
    )


@require(Capability.PARTNERSHIP)
def report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    options = periods(today, Enquiry.objects.dates("received_on", "month"))
    period = choose_period(options, request.GET.get("period"))
    query = Enquiry.objects.select_related("school")
    if period.start is not None:
        query = query.filter(received_on__gte=period.start)
    if period.end is not None:
        query = query.filter(received_on__lte=period.end)
    result = Report(period, list(query), _cohort(request))
    tables = {
        "summary": result.summary_table(),
        "category": result.by_category(),
        "month": result.by_month(),
        "school": result.by_school(),
        "enquirer": result.by_enquirer(),
    }
    name = "ever6-advice-line"
    if response := requested_download(request, tables, name, suffix=f"-{period.key}", default="category"):
        return response
    specs = {
        "category": _enquiries_chart(charts.bar_chart, tables["category"], "category", "Enquiries by category")
        if result.enquiries
        else None,
        "month": _enquiries_chart(charts.line_chart, tables["month"], "month", "Enquiries by month received")
        if result.enquiries
        else None,
    }
    return render(
        request,
        "support/report.html",
        {
            "title": "Advice line report",
            "period": period,
            "period_items": [{"value": p.key, "text": p.label, "selected": p == period} for p in options],
            "headline": result.headline(),
            "tables": tables,
            "specs": specs,
        },
    )
