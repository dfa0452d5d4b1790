"""The grant ledger's pages: the years, one year's allocation, MoU, payments and spend, the spend
line and payment forms, and the financial progress reports with their Excel and PDF files.

``vs_head`` and ``finance`` change the ledger (:attr:`Capability.GRANT_EDIT`); the ``auditor``
reads it (:attr:`Capability.GRANT_LEDGER`); nobody else sees it. Every change is a POST checked by
its form, in one transaction, and written to the audit log (:mod:`ever6.web.grant.history`).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from ever6.access import Capability
from ever6.web.forms import date_items, posted, saved_on_post
from ever6.web.grant import documents
from ever6.web.grant import forms as f
from ever6.web.grant.history import record_change, record_event, state
from ever6.web.grant.ledger import money, position
from ever6.web.grant.models import (
    INSTALMENT_MONTHS,
    GrantYear,
    MonthSpend,
    Payment,
    ProgressReport,
    SpendLine,
    year_months,
)
from ever6.web.guard import require, viewer
from ever6.web.tables import Table, requested_download

YEAR_FIELDS = (
    "baseline",
    "top_up",
    "determination_ref",
    "mou_signed_on",
    "mou_signatory",
    "la_top_up",
    "la_top_up_note",
)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    who = viewer(request)
    return django_render(
        request,
        template,
        {**context, "may_edit": who.can(Capability.GRANT_EDIT), "may_return": who.can(Capability.DFE_RETURN)},
        status=status,
    )


def _form_page(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    context = {**context, "form": form, "page_error": bool(form.errors)}
    return _render(request, template, context, status=400 if form.errors else 200)


def _who(request: HttpRequest) -> str:
    return viewer(request).username


def _long(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def _year(start_year: int) -> GrantYear:
    return get_object_or_404(GrantYear, start_year=start_year)


def _amount(text: str, export: bool) -> Any:
    return float(Decimal(text)) if export else money(Decimal(text))


# --- the years ----------------------------------------------------------------------------------


@require(Capability.GRANT_LEDGER)
def index(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = []
    for year in GrantYear.objects.all():
        now = position(year, today, today=today)
        rows.append(
            {
                "year": year.label,
                "year_html": format_html(
                    '<a class="govuk-link" href="{}">{}</a>', reverse("grant:year", args=[year.start_year]), year.label
                ),
                "allocation": money(year.total),
                "outturn": money(Decimal(now["total"]["outturn"])),
                "received": money(Decimal(now["received"])),
                "warnings": len(now["flags"]),
            }
        )
    return _render(request, "grant/index.html", {"title": "Virtual School Head grant", "years": rows})


def _year_initial(year: GrantYear | None) -> dict[str, Any]:
    if year is None:
        today = timezone.localdate()
        return {"start_year": today.year if today.month >= 4 else today.year - 1}
    return {"start_year": year.start_year, **{k: getattr(year, k) for k in YEAR_FIELDS}}


def _expected_payments(year: GrantYear) -> list[tuple[int, date, Decimal]]:
    """Three equal payments (the last takes any odd penny), due on the last day of September,
    December and March; the dates and amounts can be changed afterwards."""
    third = (year.total / 3).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    amounts = [third, third, year.total - 2 * third]
    out = []
    for n, (month, amount) in enumerate(zip(INSTALMENT_MONTHS, amounts, strict=True), start=1):
        calendar_year = year.start_year + (month < 4)
        last_day = 30 if month == 9 else 31
        out.append((n, date(calendar_year, month, last_day), amount))
    return out


def _year_form(request: HttpRequest, year: GrantYear | None) -> HttpResponse:
    form = f.YearForm(posted(request), initial=_year_initial(year), instance=year)

    def save() -> tuple[str, HttpResponse]:
        data = form.cleaned_data
        before = state(year, YEAR_FIELDS)
        saved = year or GrantYear(start_year=data["start_year"])
        for key in YEAR_FIELDS:
            value = data.get(key)
            if key in ("top_up", "la_top_up") and value is None:
                value = Decimal(0)
            setattr(
                saved, key, value if value is not None else ("" if key in ("mou_signatory", "la_top_up_note") else None)
            )
        saved.updated_by, saved.updated_at = _who(request), timezone.now()
        saved.save()
        record_change(request, "grant_year", saved.label, before, state(saved, YEAR_FIELDS))
        if year is None:
            for n, due, amount in _expected_payments(saved):
                payment = Payment.objects.create(
                    year=saved, instalment=n, due_on=due, expected=amount, updated_by=_who(request)
                )
                record_change(request, "grant_payment", f"{saved.label}/{n}", {}, state(payment))
        return f"Saved the grant for {saved.label}.", redirect("grant:year", start_year=saved.start_year)

    if done := saved_on_post(request, form, save):
        return done
    return _form_page(
        request,
        "grant/year_form.html",
        {
            "title": f"Change the grant for {year.label}" if year else "Add a financial year",
            "year": year,
            "dates": {"mou_signed_on": date_items(form, "mou_signed_on")},
        },
        form,
    )


@require(Capability.GRANT_EDIT)
@require_http_methods(["GET", "POST"])
def year_new(request: HttpRequest) -> HttpResponse:
    return _year_form(request, None)


@require(Capability.GRANT_EDIT)
@require_http_methods(["GET", "POST"])
def year_edit(request: HttpRequest, start_year: int) -> HttpResponse:
    return _year_form(request, _year(start_year))


def _tables(
    content: dict[str, Any], *, export: bool, links: bool = False, year: GrantYear | None = None
) -> dict[str, Table]:
    """The position's tables, for the page (money as £) or a download (money as numbers)."""
    money_cols = frozenset({"actual", "forecast", "outturn", "expected", "received", "allocation"})
    sums = (("actual", "Actual to date"), ("forecast", "Forecast to year end"), ("outturn", "Forecast outturn"))

    def amounts(row: dict[str, Any]) -> dict[str, Any]:
        return {
            k: _amount(row[k], export) if k in money_cols and row.get(k) not in (None, "") else row.get(k, "")
            for k in row
        }

    total = {"label": "Total", **amounts(content["total"])}
    categories = Table(
        "Spend by category",
        (("label", "Category"), *sums),
        [amounts(r) for r in content["categories"]] + [total],
        money_cols,
    )
    strands = Table(
        "Spend by strand", (("label", "Strand"), *sums), [amounts(r) for r in content["strands"]] + [total], money_cols
    )
    line_rows = []
    for r in content["lines"]:
        row = amounts(r)
        if links and year is not None:
            row["description_html"] = format_html(
                '<a class="govuk-link" href="{}">{}</a>',
                reverse("grant:line_edit", args=[year.start_year, r["id"]]),
                r["description"],
            )
        line_rows.append(row)
    lines = Table(
        "Spend lines",
        (("description", "Line"), ("category", "Category"), ("strand", "Strand"), ("fte", "FTE"), *sums),
        line_rows,
        money_cols | {"fte"},
    )
    payment_rows = []
    for p in content["payments"]:
        row = amounts(p)
        row["due_on"] = p["due_on"] if export else _long(date.fromisoformat(p["due_on"]))
        row["received_on"] = (
            (p["received_on"] if export else _long(date.fromisoformat(p["received_on"]))) if p["received_on"] else ""
        )
        row["state"] = "Received" if p["received_on"] else ("Overdue" if p["overdue"] else "Expected")
        if links and year is not None:
            row["change_html"] = format_html(
                '<a class="govuk-link" href="{}">Change<span class="govuk-visually-hidden"> payment {}</span></a>',
                reverse("grant:payment_edit", args=[year.start_year, p["instalment"]]),
                p["instalment"],
            )
        payment_rows.append(row)
    payments = Table(
        "Payments",
        (
            ("instalment", "Payment"),
            ("due_on", "Due"),
            ("expected", "Expected"),
            ("received_on", "Received on"),
            ("received", "Received"),
            ("state", "Status"),
        ),
        payment_rows,
        money_cols | {"instalment"},
    )
    return {"categories": categories, "strands": strands, "lines": lines, "payments": payments}


@require(Capability.GRANT_LEDGER)
def year(request: HttpRequest, start_year: int) -> HttpResponse:
    record = _year(start_year)
    today = timezone.localdate()
    content = position(record, today, today=today)
    export_tables = _tables(content, export=True)
    if response := requested_download(request, export_tables, f"ever6-grant-{record.label}", default="lines"):
        return response
    tables = _tables(content, export=False, links=viewer(request).can(Capability.GRANT_EDIT), year=record)
    return _render(
        request,
        "grant/year.html",
        {
            "title": f"Virtual School Head grant {record.label}",
            "year": record,
            "content": content,
            "tables": tables,
            "money": money,
            "D": Decimal,
            "mou_signed": _long(record.mou_signed_on),
            "today": _long(today),
            "reports": list(record.reports.all()),
            "long": _long,
        },
    )


# --- payments and spend lines -------------------------------------------------------------------


@require(Capability.GRANT_EDIT)
@require_http_methods(["GET", "POST"])
def payment_edit(request: HttpRequest, start_year: int, instalment: int) -> HttpResponse:
    record = _year(start_year)
    payment = get_object_or_404(Payment, year=record, instalment=instalment)
    fields = ("due_on", "expected", "received_on", "received")
    form = f.PaymentForm(posted(request), start_year=start_year, initial={k: getattr(payment, k) for k in fields})

    def save() -> tuple[str, HttpResponse]:
        before = state(payment)
        for key in fields:
            setattr(payment, key, form.cleaned_data.get(key))
        payment.updated_by, payment.updated_at = _who(request), timezone.now()
        payment.save()
        record_change(request, "grant_payment", f"{record.label}/{instalment}", before, state(payment))
        return f"Saved payment {instalment}.", redirect("grant:year", start_year=start_year)

    if done := saved_on_post(request, form, save):
        return done
    return _form_page(
        request,
        "grant/payment_form.html",
        {
            "title": f"Payment {instalment}",
            "year": record,
            "dates": {name: date_items(form, name) for name in ("due_on", "received_on")},
        },
        form,
    )


def _line_state(line: SpendLine | None) -> dict[str, str]:
    if line is None or line.pk is None:
        return {}
    result = state(line, ("category", "strand", "description", "fte"))
    for m in line.months.all():
        result[f"{m.month:%Y-%m} actual"] = "" if m.actual is None else str(m.actual)
        result[f"{m.month:%Y-%m} forecast"] = "" if m.forecast is None else str(m.forecast)
    return result


def _line_form(request: HttpRequest, record: GrantYear, line: SpendLine | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if line is not None:
        initial = {"category": line.category, "strand": line.strand, "description": line.description, "fte": line.fte}
        by_month = {m.month: m for m in line.months.all()}
        for i, month in enumerate(year_months(record.start_year), start=1):
            if month in by_month:
                initial[f.month_field("actual", i)] = by_month[month].actual
                initial[f.month_field("forecast", i)] = by_month[month].forecast
    form = f.SpendLineForm(posted(request), start_year=record.start_year, initial=initial)

    def save() -> tuple[str, HttpResponse]:
        before = _line_state(line)
        data = form.cleaned_data
        saved = line or SpendLine(year=record)
        saved.category, saved.strand, saved.description, saved.fte = (
            data["category"],
            data["strand"],
            data["description"].strip(),
            data.get("fte"),
        )
        saved.updated_by, saved.updated_at = _who(request), timezone.now()
        saved.save()
        for month, actual, forecast in form.month_amounts():
            if actual is None and forecast is None:
                MonthSpend.objects.filter(line=saved, month=month).delete()
            else:
                MonthSpend.objects.update_or_create(
                    line=saved, month=month, defaults={"actual": actual, "forecast": forecast}
                )
        record_change(request, "grant_spend", f"{record.label}/{saved.pk}", before, _line_state(saved))
        return f"Saved the spend line: {saved.description}.", redirect("grant:year", start_year=record.start_year)

    if done := saved_on_post(request, form, save):
        return done
    months = [
        {
            "label": f"{month:%B %Y}",
            "actual": f.month_field("actual", i),
            "forecast": f.month_field("forecast", i),
        }
        for i, month in enumerate(form.months, start=1)
    ]
    return _form_page(
        request,
        "grant/line_form.html",
        {
            "title": "Change the spend line" if line else "Add a spend line",
            "year": record,
            "line": line,
            "months": months,
        },
        form,
    )


@require(Capability.GRANT_EDIT)
@require_http_methods(["GET", "POST"])
def line_new(request: HttpRequest, start_year: int) -> HttpResponse:
    return _line_form(request, _year(start_year), None)


@require(Capability.GRANT_EDIT)
@require_http_methods(["GET", "POST"])
def line_edit(request: HttpRequest, start_year: int, line_id: int) -> HttpResponse:
    record = _year(start_year)
    return _line_form(request, record, get_object_or_404(SpendLine, pk=line_id, year=record))


# --- financial progress reports -----------------------------------------------------------------


@require(Capability.GRANT_EDIT)
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, start_year: int) -> HttpResponse:
    record = _year(start_year)
    form = f.ReportForm(
        posted(request), start_year=start_year, initial={"as_at": min(timezone.localdate(), record.bounds[1])}
    )

    def save() -> tuple[str, HttpResponse]:
        report = ProgressReport.objects.create(
            year=record,
            as_at=form.cleaned_data["as_at"],
            narrative=form.cleaned_data.get("narrative") or "",
            created_by=_who(request),
        )
        record_event(
            request, "grant_report_created", report.pk, {"year": record.label, "as_at": report.as_at.isoformat()}
        )
        return "Generated the progress report (a draft until you submit it).", redirect(
            "grant:report", report_id=report.pk
        )

    if done := saved_on_post(request, form, save):
        return done
    return _form_page(
        request,
        "grant/report_form.html",
        {
            "title": f"Financial progress report {record.label}",
            "year": record,
            "dates": {"as_at": date_items(form, "as_at")},
        },
        form,
    )


def report_content(report: ProgressReport) -> dict[str, Any]:
    """A submitted report's frozen figures; a draft's, from the ledger as it is now."""
    if report.submitted:
        return dict(report.content)
    content = position(report.year, report.as_at, today=report.as_at)
    content["narrative"] = report.narrative
    return content


def _report_context(report: ProgressReport) -> dict[str, Any]:
    content = report_content(report)
    return {
        "report": report,
        "content": content,
        "tables": _tables(content, export=False),
        "as_at": _long(report.as_at),
        "submitted_on": _long(timezone.localtime(report.submitted_at).date()) if report.submitted_at else "",
        "money": money,
        "D": Decimal,
    }


@require(Capability.GRANT_LEDGER)
def report(request: HttpRequest, report_id: int) -> HttpResponse:
    record = get_object_or_404(ProgressReport.objects.select_related("year"), pk=report_id)
    return _render(
        request,
        "grant/report.html",
        {"title": f"Financial progress report {record.year.label}", **_report_context(record)},
    )


def _attachment(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _file_name(report: ProgressReport, ext: str) -> str:
    state_ = "submitted" if report.submitted else "draft"
    return f"ever6-grant-progress-{report.year.label}-{report.as_at.isoformat()}-{state_}.{ext}"


@require(Capability.GRANT_LEDGER)
def report_xlsx(request: HttpRequest, report_id: int) -> HttpResponse:
    record = get_object_or_404(ProgressReport.objects.select_related("year"), pk=report_id)
    body = documents.report_xlsx(report_content(record), submitted_at=record.submitted_at)
    return _attachment(body, documents.XLSX_TYPE, _file_name(record, "xlsx"))


@require(Capability.GRANT_LEDGER)
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    from django.template.loader import render_to_string

    record = get_object_or_404(ProgressReport.objects.select_related("year"), pk=report_id)
    context = {"title": f"Financial progress report {record.year.label}", **_report_context(record)}
    html = render_to_string("grant/report_print.html", context, request=request)
    return _attachment(documents.render_pdf(html), "application/pdf", _file_name(record, "pdf"))


@require(Capability.GRANT_EDIT)
@require_POST
def report_submit(request: HttpRequest, report_id: int) -> HttpResponse:
    with transaction.atomic():
        record = get_object_or_404(ProgressReport.objects.select_for_update().select_related("year"), pk=report_id)
        if record.submitted:
            messages.error(request, "This report was submitted already; it cannot be changed.")
            return _render(
                request,
                "grant/report.html",
                {"title": f"Financial progress report {record.year.label}", **_report_context(record)},
                status=409,
            )
        record.content = report_content(record)
        record.submitted_at, record.submitted_by = timezone.now(), _who(request)
        record.save()
        record_event(
            request,
            "grant_report_submitted",
            record.pk,
            {
                "year": record.year.label,
                "as_at": record.as_at.isoformat(),
                "outturn": record.content["total"]["outturn"],
            },
        )
    messages.success(request, "Submitted the report. It is kept as it is now and cannot be changed.")
    return redirect("grant:report", report_id=record.pk)


# --- the data and information return --------------------------------------------------------------


@require(Capability.DFE_RETURN)
def dfe_return(request: HttpRequest) -> HttpResponse:
    """The return for an academic year: each file as CSV with its metadata, or the workbook."""
    from ever6.access import NotPublished
    from ever6.web.grant import dfe_return as ret
    from ever6.web.guard import snapshot

    try:
        years = snapshot().academic_years()
    except NotPublished:
        return _render(
            request, "grant/dfe_return.html", {"title": "Data and information return", "years": [], "files": []}
        )
    chosen = request.GET.get("year", "")
    year = chosen if chosen in years else (years[-1] if years else "")
    files = ret.build(snapshot(), viewer(request), year, ret.authority(snapshot())) if year else []
    kind, name = request.GET.get("kind", ""), request.GET.get("file", "")
    stem = f"ever6-dfe-return-{ret.time_period(year)}" if year else "ever6-dfe-return"
    if kind == "xlsx":
        return _attachment(ret.workbook(files), documents.XLSX_TYPE, f"{stem}.xlsx")
    if kind in ("csv", "meta"):
        found = next((f for f in files if f.name == name), None)
        if found is None:
            from django.http import Http404

            raise Http404("no such file in the return")
        text = found.csv_text() if kind == "csv" else found.meta_text()
        suffix = ".csv" if kind == "csv" else ".meta.csv"
        return _attachment(text.encode("utf-8"), "text/csv; charset=utf-8", f"{found.name}{suffix}")
    return _render(
        request,
        "grant/dfe_return.html",
        {
            "title": "Data and information return",
            "year": year,
            "year_items": [{"value": y, "text": y, "selected": y == year} for y in years],
            "files": [{"name": f.name, "title": f.title, "rows": len(f.rows)} for f in files],
        },
    )
