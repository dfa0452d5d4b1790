"""Activity against outcomes: what the Virtual School did with each school, beside how that
school's Ever6 CWSW pupils are doing, this year and last (issue: partnership operations, part 8)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from ever6.access import Capability, MetricQuery, NotPublished
from ever6.dates import parse_academic_year
from ever6.web.dashboard.labels import GROUP_LABELS
from ever6.web.guard import require, snapshot, viewer
from ever6.web.outcomes.activity import activity_by_school
from ever6.web.schools.models import School
from ever6.web.tables import Figure, Table, download, requested_format

MEASURES = ("pupils", "overall_absence_rate", "persistent_absence_rate", "suspension_rate")
MEASURE_LABELS = {
    "pupils": "pupils",
    "overall_absence_rate": "absence %",
    "persistent_absence_rate": "persistent absence %",
    "suspension_rate": "suspensions per 100",
}
KIND_LABELS = {
    "contact_changes": "Contact changes",
    "tier_decisions": "Tier decisions",
    "agreement_records": "Agreement records",
    "enquiries": "Enquiries",
    "clinic_bookings": "Clinic bookings",
    "clinic_attended": "Clinic attendances",
    "recommendations": "Interventions recommended",
    "training_registrations": "Training registrations",
    "training_attended": "Training attended",
}


# What the page shows: a few columns at a time (the whole table has over twenty); downloads have all.
SHOW = {
    "summary": "Activity and Ever6 CWSW outcomes this year",
    "activity": "Activity, by kind",
    **{m: f"{MEASURE_LABELS[m].capitalize()}: this year, last year and pupils never CWSW" for m in MEASURES[1:]},
}


def shown_columns(show: str, kinds: list[str]) -> list[str]:
    if show == "activity":
        return ["school", "urn", *kinds, "activity"]
    if show in MEASURES:
        return ["school", "urn", "activity", "pupils:cwsw", f"{show}:cwsw", f"{show}:cwsw:prev", f"{show}:not_cwsw"]
    return ["school", "urn", "activity", *(f"{m}:cwsw" for m in MEASURES)]


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def _year_bounds(label: str) -> tuple[date, date]:
    start = parse_academic_year(label)
    return date(start, 9, 1), date(start + 1, 8, 31)


def _figures(request: HttpRequest, year: str, suppressed: bool) -> dict[tuple[str, str, str], Figure]:
    rows = snapshot().metrics(
        viewer(request),
        MetricQuery(
            academic_year=year, period="year", measures=MEASURES, groups=("cwsw", "not_cwsw"), breakdown="school"
        ),
        suppressed=suppressed,
    )
    return {(r["breakdown_value"], r["measure"], r["group"]): Figure.of(r) for r in rows}


@require(Capability.PARTNERSHIP)
def index(request: HttpRequest) -> HttpResponse:
    try:
        years = snapshot().academic_years()
    except NotPublished:
        return render(request, "outcomes/index.html", {"title": "Activity against outcomes", "years": []})
    year = request.GET.get("year") or years[-1]
    if year not in years:
        raise Http404("no figures for that year")
    suppressed = request.GET.get("suppressed") == "1" or not viewer(request).can(Capability.UNSUPPRESSED_FIGURES)
    show = request.GET.get("show") or "summary"
    if show not in SHOW:
        raise Http404("no such choice of columns")
    previous = years[years.index(year) - 1] if years.index(year) > 0 else None
    start, end = _year_bounds(year)
    kinds, activity = activity_by_school(start, end)
    now = _figures(request, year, suppressed)
    before = _figures(request, previous, suppressed) if previous else {}
    schools = {s.urn: s for s in School.objects.all()}
    urns = sorted({u for (u, _, _) in now} | set(activity), key=lambda u: (schools[u].name if u in schools else u, u))

    columns: list[tuple[str, str]] = [("school", "School"), ("urn", "URN")]
    columns += [(k, kind_label(k)) for k in kinds]
    columns.append(("activity", "All activity"))
    for m in MEASURES:
        columns.append((f"{m}:cwsw", f"Ever6 CWSW {MEASURE_LABELS[m]} {year}"))
        if previous and m != "pupils":
            columns.append((f"{m}:cwsw:prev", f"Ever6 CWSW {MEASURE_LABELS[m]} {previous}"))
        if m != "pupils":
            columns.append((f"{m}:not_cwsw", f"{GROUP_LABELS['not_cwsw']} {MEASURE_LABELS[m]} {year}"))
    rows = []
    for urn in urns:
        counts = activity.get(urn, {})
        row: dict[str, Any] = {
            "school": schools[urn].name if urn in schools else "(not in the register)",
            "urn": urn,
            "href": reverse("schools:school", args=[urn]) if urn in schools else "",
            **{k: counts.get(k, 0) for k in kinds},
            "activity": sum(counts.values()),
        }
        for m in MEASURES:
            row[f"{m}:cwsw"] = now.get((urn, m, "cwsw"), "")
            row[f"{m}:cwsw:prev"] = before.get((urn, m, "cwsw"), "")
            row[f"{m}:not_cwsw"] = now.get((urn, m, "not_cwsw"), "")
        rows.append(row)
    rows.sort(key=lambda r: -int(r["activity"]))
    note = (
        "Suppressed as shared outside the Virtual School: c means 1 to 5 pupils or a figure that would reveal one."
        if suppressed
        else "Unsuppressed: for use inside the Virtual School only."
    )
    table = Table(
        f"Partnership activity and Ever6 CWSW outcomes by school, {year}",
        columns,
        rows,
        numeric=frozenset(k for k, _ in columns if k not in ("school", "urn")),
        note=note,
        link=("school", "href"),
    )
    if fmt := requested_format(request):
        suffix = "suppressed" if suppressed else "unsuppressed-internal-only"
        return download(table, fmt, f"ever6-activity-outcomes-{year.replace('/', '-')}-{suffix}")
    totals = {k: sum(int(r[k]) for r in rows) for k in kinds}
    return render(
        request,
        "outcomes/index.html",
        {
            "title": "Activity against outcomes",
            "years": years,
            "year": year,
            "previous": previous,
            "suppressed": suppressed,
            "table": table.only(shown_columns(show, kinds)),
            "show_items": [{"value": k, "text": v, "selected": k == show} for k, v in SHOW.items()],
            "totals": [(kind_label(k), n) for k, n in totals.items()],
        },
    )
