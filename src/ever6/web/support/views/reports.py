"""The advice line's report for a period: enquiries by category, month, school and enquirer, with charts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ever6.access import Capability, NotPublished
from ever6.web import charts
from ever6.web.guard import require, snapshot, viewer
from ever6.web.support.models import Enquiry
from ever6.web.support.report import Report, choose_period, periods
from ever6.web.support.views.common import render
from ever6.web.tables import download, requested_format


def _cohort(request: HttpRequest) -> dict[str, int] | None:
    try:
        return snapshot().cohort_counts_by_school(viewer(request))
    except NotPublished:
        return None


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
    if fmt := requested_format(request):
        name = request.GET.get("table", "category")
        table = tables.get(name, tables["category"])
        return download(table, fmt, f"ever6-advice-line-{name if name in tables else 'category'}-{period.key}")
    category_rows = tables["category"].rows
    month_rows = tables["month"].rows
    specs = {
        "category": charts.bar_chart(
            [charts.Point(r["category"], "Enquiries", r["enquiries"]) for r in category_rows],
            title="Enquiries by category",
            category_title="Category",
            value_title="Enquiries",
            categories=[r["category"] for r in category_rows],
            series=["Enquiries"],
        )
        if result.enquiries
        else None,
        "month": charts.line_chart(
            [charts.Point(r["month"], "Enquiries", r["enquiries"]) for r in month_rows],
            title="Enquiries by month received",
            category_title="Month",
            value_title="Enquiries",
            categories=[r["month"] for r in month_rows],
            series=["Enquiries"],
        )
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
