"""The advice line: the support home, the list of enquiries, and recording and answering one.

Every change is a POST checked by its form; an invalid form is shown again with a GOV.UK error
summary, status 400, and nothing saved. The list downloads as CSV and Excel.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.web.forms import date_items, posted, saved_on_post
from ever6.web.guard import require
from ever6.web.schools.models import School
from ever6.web.support import forms as f
from ever6.web.support.models import Category, Enquiry, Status, status_filter
from ever6.web.support.views.common import (
    PAGE_SIZE,
    choice,
    filter_items,
    form_page,
    link,
    long_date,
    render,
    short_date,
    who,
)
from ever6.web.tables import Table, download, requested_format


@require(Capability.PARTNERSHIP)
def index(request: HttpRequest) -> HttpResponse:
    return redirect("support:enquiries")


ENQUIRY_COLUMNS = (
    ("reference", "Reference"),
    ("received_on", "Received"),
    ("enquirer_type", "Enquirer"),
    ("school", "School"),
    ("category", "Category"),
    ("status", "Status"),
    ("days", "Working days to respond"),
)
ENQUIRY_EXPORT_COLUMNS = (
    ("reference", "Reference"),
    ("received_on", "Received"),
    ("channel", "Channel"),
    ("enquirer_type", "Enquirer"),
    ("enquirer_name", "Enquirer's name"),
    ("enquirer_email", "Enquirer's email"),
    ("school", "School"),
    ("urn", "URN"),
    ("category", "Category"),
    ("question", "Question"),
    ("response", "Response"),
    ("responded_on", "Responded"),
    ("days", "Working days to respond"),
    ("outcome", "Outcome"),
    ("status", "Status"),
    ("interventions", "Interventions"),
)
STATUS_LABELS = dict(Status.choices)


def _enquiry_row(e: Enquiry, *, export: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {
        "reference": e.reference,
        "received_on": short_date(e.received_on) if export else long_date(e.received_on),
        "enquirer_type": e.get_enquirer_type_display(),
        "school": e.school.name if e.school else "",
        "category": e.get_category_display(),
        "status": STATUS_LABELS[e.status],
        "days": e.days_to_respond,
    }
    if export:
        row |= {
            "channel": e.get_channel_display(),
            "enquirer_name": e.enquirer_name,
            "enquirer_email": e.enquirer_email,
            "urn": e.school.urn if e.school else "",
            "question": e.question,
            "response": e.response,
            "responded_on": short_date(e.responded_on),
            "outcome": e.get_outcome_display() if e.outcome else "",
            "interventions": "; ".join(i.name for i in e.interventions.all()),
        }
    return row


def _months_with_enquiries() -> dict[str, str]:
    return {f"{d:%Y-%m}": f"{d:%B %Y}" for d in Enquiry.objects.dates("received_on", "month", order="DESC")}


@require(Capability.PARTNERSHIP)
def enquiries(request: HttpRequest) -> HttpResponse:
    categories = dict(Category.choices)
    schools = dict(School.objects.filter(enquiries__isnull=False).distinct().values_list("urn", "name"))
    months = _months_with_enquiries()
    chosen = {
        "category": choice(request, "category", categories),
        "status": choice(request, "status", STATUS_LABELS),
        "school": choice(request, "school", schools),
        "month": choice(request, "month", months),
    }
    query: QuerySet[Enquiry] = Enquiry.objects.select_related("school").order_by("-received_on", "-id")
    if chosen["category"]:
        query = query.filter(category=chosen["category"])
    if chosen["status"]:
        query = query.filter(status_filter(chosen["status"]))
    if chosen["school"]:
        query = query.filter(school_id=chosen["school"])
    if chosen["month"]:
        year, month = (int(x) for x in chosen["month"].split("-"))
        query = query.filter(received_on__year=year, received_on__month=month)
    if fmt := requested_format(request):
        rows = [_enquiry_row(e, export=True) for e in query.prefetch_related("interventions")]
        return download(
            Table("Advice line enquiries", ENQUIRY_EXPORT_COLUMNS, rows, frozenset({"days"})), fmt, "ever6-enquiries"
        )
    page = Paginator(query, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {**_enquiry_row(e), "reference_html": link("support:enquiry", [e.pk], e.reference)} for e in page.object_list
    ]
    table = Table("Advice line enquiries", ENQUIRY_COLUMNS, rows, frozenset({"days"}))
    return render(
        request,
        "support/enquiries.html",
        {
            "title": "Advice line enquiries",
            "table": table,
            "page": page,
            "total": page.paginator.count,
            "filters": {
                "category": filter_items(categories, chosen["category"], "All categories"),
                "status": filter_items(STATUS_LABELS, chosen["status"], "Any status"),
                "school": filter_items(schools, chosen["school"], "All schools"),
                "month": filter_items(months, chosen["month"], "Any month"),
            },
            "filtered": any(chosen.values()),
        },
    )


def _enquiry_initial(e: Enquiry) -> dict[str, Any]:
    return {
        "received_on": e.received_on,
        "channel": e.channel,
        "enquirer_type": e.enquirer_type,
        "enquirer_name": e.enquirer_name,
        "enquirer_email": e.enquirer_email,
        "school": e.school_id or "",
        "category": e.category,
        "question": e.question,
    }


def _enquiry_form(request: HttpRequest, record: Enquiry | None) -> HttpResponse:
    if request.method == "POST":
        form = f.EnquiryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            saved = record or Enquiry(recorded_by=who(request))
            for name in ("received_on", "channel", "enquirer_type", "enquirer_name", "category", "question", "school"):
                setattr(saved, name, data[name])
            saved.enquirer_email = data["enquirer_email"] or ""
            if saved.responded_on and saved.responded_on < saved.received_on:
                form.add_error("received_on", "Date received must be on or before the date it was answered")
            else:
                saved.save()
                messages.success(request, f"Saved enquiry {saved.reference}.")
                return redirect("support:enquiry", enquiry_id=saved.pk)
    else:
        form = f.EnquiryForm(initial=_enquiry_initial(record) if record else {})
    return form_page(
        request,
        "support/enquiry_form.html",
        {
            "title": f"Change enquiry {record.reference}" if record else "Record an enquiry",
            "record": record,
            "dates": {"received_on": date_items(form, "received_on")},
        },
        form,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def enquiry_new(request: HttpRequest) -> HttpResponse:
    return _enquiry_form(request, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def enquiry_edit(request: HttpRequest, enquiry_id: int) -> HttpResponse:
    return _enquiry_form(request, get_object_or_404(Enquiry, pk=enquiry_id))


@require(Capability.PARTNERSHIP)
def enquiry(request: HttpRequest, enquiry_id: int) -> HttpResponse:
    record = get_object_or_404(Enquiry.objects.select_related("school"), pk=enquiry_id)
    return render(
        request,
        "support/enquiry.html",
        {
            "title": f"Enquiry {record.reference}",
            "e": record,
            "status": STATUS_LABELS[record.status],
            "received": long_date(record.received_on),
            "responded": long_date(record.responded_on),
            "interventions": list(record.interventions.all()),
        },
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def enquiry_respond(request: HttpRequest, enquiry_id: int) -> HttpResponse:
    record = get_object_or_404(Enquiry, pk=enquiry_id)
    linked = tuple(record.interventions.values_list("pk", flat=True))
    initial = {
        "response": record.response,
        "responded_on": record.responded_on,
        "outcome": record.outcome,
        "closed": "yes" if record.closed else "no",
        "interventions": [str(pk) for pk in linked],
    }
    form = f.ResponseForm(posted(request), received_on=record.received_on, linked=linked, initial=initial)

    def save() -> tuple[str, HttpResponse]:
        data = form.cleaned_data
        record.response, record.responded_on = data["response"], data["responded_on"]
        record.outcome, record.closed = data["outcome"], data["closed"] == "yes"
        record.save()
        record.interventions.set([int(pk) for pk in data["interventions"]])
        return f"Recorded the response to {record.reference}.", redirect("support:enquiry", enquiry_id=record.pk)

    if done := saved_on_post(request, form, save):
        return done
    return form_page(
        request,
        "support/respond_form.html",
        {
            "title": f"Respond to enquiry {record.reference}",
            "e": record,
            "received": long_date(record.received_on),
            "dates": {"responded_on": date_items(form, "responded_on")},
        },
        form,
    )
