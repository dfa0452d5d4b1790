"""The interventions library: the list, one intervention, and recommending it to a school.

Every change is a POST checked by its form; an invalid form is shown again with a GOV.UK error
summary, status 400, and nothing saved. The list downloads as CSV and Excel.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from ever6.access import Capability
from ever6.web.forms import date_items, posted, saved_on_post
from ever6.web.guard import require
from ever6.web.support import forms as f
from ever6.web.support.models import Intervention, Phase, Recommendation, Source
from ever6.web.support.views.common import (
    choice,
    filter_items,
    form_page,
    link,
    long_date,
    render,
    short_date,
    when,
    who,
)
from ever6.web.tables import Table, download, requested_format

INTERVENTION_COLUMNS = (
    ("name", "Intervention"),
    ("source", "Source"),
    ("evidence", "Evidence"),
    ("cost_band", "Cost"),
    ("phase", "Phase"),
    ("schools", "Schools recommended to"),
    ("enquiries", "Enquiries"),
    ("clinics", "Clinics"),
)
INTERVENTION_EXPORT_COLUMNS = (
    *INTERVENTION_COLUMNS[:5],
    ("active", "Recommended now"),
    ("description", "Description"),
    ("link", "Link"),
    *INTERVENTION_COLUMNS[5:],
)
COUNTS = frozenset({"schools", "enquiries", "clinics"})


@require(Capability.PARTNERSHIP)
def interventions(request: HttpRequest) -> HttpResponse:
    sources, phases = dict(Source.choices), dict(Phase.choices)
    shown_choices = {"active": "Recommended now", "retired": "No longer recommended"}
    chosen = {
        "source": choice(request, "source", sources),
        "phase": choice(request, "phase", phases),
        "shown": choice(request, "shown", shown_choices),
    }
    query = Intervention.objects.annotate(
        n_schools=Count("recommendations__school", distinct=True),
        n_enquiries=Count("enquiries", distinct=True),
        n_clinics=Count("clinics", distinct=True),
    ).order_by("name")
    if chosen["source"]:
        query = query.filter(source=chosen["source"])
    if chosen["phase"]:
        # An intervention for all phases suits every phase.
        query = query.filter(phase__in=[chosen["phase"], Phase.ALL])
    if chosen["shown"]:
        query = query.filter(active=chosen["shown"] == "active")
    rows = [
        {
            "name": i.name,
            "name_html": link("support:intervention", [i.pk], i.name),
            "source": i.get_source_display(),
            "evidence": i.get_evidence_display(),
            "cost_band": i.get_cost_band_display(),
            "phase": i.get_phase_display(),
            "active": "Yes" if i.active else "No",
            "description": i.description,
            "link": i.link,
            "schools": i.n_schools,
            "enquiries": i.n_enquiries,
            "clinics": i.n_clinics,
        }
        for i in query
    ]
    if fmt := requested_format(request):
        return download(
            Table("Interventions library", INTERVENTION_EXPORT_COLUMNS, rows, COUNTS), fmt, "ever6-interventions"
        )
    return render(
        request,
        "support/interventions.html",
        {
            "title": "Interventions library",
            "table": Table("Interventions library", INTERVENTION_COLUMNS, rows, COUNTS),
            "filters": {
                "source": filter_items(sources, chosen["source"], "All sources"),
                "phase": filter_items(phases, chosen["phase"], "All phases"),
                "shown": filter_items(shown_choices, chosen["shown"], "Recommended now and retired"),
            },
        },
    )


RECOMMENDATION_COLUMNS = (("school", "School"), ("urn", "URN"), ("recommended_on", "Recommended"), ("note", "Note"))


@require(Capability.PARTNERSHIP)
def intervention(request: HttpRequest, intervention_id: int) -> HttpResponse:
    record = get_object_or_404(Intervention, pk=intervention_id)
    export = requested_format(request)
    rows = [
        {
            "school": r.school.name,
            "urn": r.school.urn,
            "recommended_on": short_date(r.recommended_on) if export else long_date(r.recommended_on),
            "note": r.note,
        }
        for r in record.recommendations.select_related("school")
    ]
    table = Table(f"Schools {record.name} was recommended to", RECOMMENDATION_COLUMNS, rows)
    if export:
        return download(table, export, f"ever6-intervention-{record.pk}-recommendations")
    return render(
        request,
        "support/intervention.html",
        {
            "title": record.name,
            "i": record,
            "link_html": format_html('<a class="govuk-link" href="{}">{}</a>', record.link, record.link)
            if record.link
            else "",
            "table": table,
            "enquiries": [
                {
                    "html": link("support:enquiry", [e.pk], e.reference),
                    "category": e.get_category_display(),
                    "received": long_date(e.received_on),
                }
                for e in record.enquiries.order_by("-received_on")[:50]
            ],
            "clinics": [
                {
                    "html": link("support:clinic", [c.pk], c.topic),
                    "partner": c.get_partner_display(),
                    "starts": when(c.starts_at),
                }
                for c in record.clinics.order_by("-starts_at")[:50]
            ],
        },
    )


def _intervention_form(request: HttpRequest, record: Intervention | None) -> HttpResponse:
    initial: dict[str, Any] = {"active": "yes"}
    if record is not None:
        initial = {
            "name": record.name,
            "description": record.description,
            "source": record.source,
            "evidence": record.evidence,
            "cost_band": record.cost_band,
            "phase": record.phase,
            "link": record.link,
            "active": "yes" if record.active else "no",
        }
    form = f.InterventionForm(posted(request), initial=initial, instance=record)

    def save() -> tuple[str, HttpResponse]:
        saved = form.save(who(request))
        return f"Saved {saved.name}.", redirect("support:intervention", intervention_id=saved.pk)

    if done := saved_on_post(request, form, save):
        return done
    return form_page(
        request,
        "support/intervention_form.html",
        {"title": f"Change {record.name}" if record else "Add an intervention", "record": record},
        form,
    )


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def intervention_new(request: HttpRequest) -> HttpResponse:
    return _intervention_form(request, None)


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def intervention_edit(request: HttpRequest, intervention_id: int) -> HttpResponse:
    return _intervention_form(request, get_object_or_404(Intervention, pk=intervention_id))


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def recommendation_new(request: HttpRequest, intervention_id: int) -> HttpResponse:
    record = get_object_or_404(Intervention, pk=intervention_id)
    form = f.RecommendationForm(posted(request), initial={"school": request.GET.get("school", "")})

    def save() -> tuple[str, HttpResponse]:
        data = form.cleaned_data
        Recommendation.objects.create(
            intervention=record,
            school=data["school"],
            recommended_on=data["recommended_on"],
            note=data["note"],
            recorded_by=who(request),
        )
        message = f"Recorded the recommendation to {data['school'].name}."
        return message, redirect("support:intervention", intervention_id=record.pk)

    if done := saved_on_post(request, form, save):
        return done
    return form_page(
        request,
        "support/recommendation_form.html",
        {
            "title": f"Recommend {record.name} to a school",
            "i": record,
            "dates": {"recommended_on": date_items(form, "recommended_on")},
        },
        form,
    )
