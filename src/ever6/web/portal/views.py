"""The school portal: a designated safeguarding lead's view of their own school(s).

Each page takes the school's URN from the URL and goes through the access layer, which checks it
against the schools the user acts for (a URN they do not act for is a 403, whatever the page,
parameter or format). Figures are always the suppressed ones, as shared outside the Virtual
School. The pupil list and the MIS marker need a signed, unexpired data sharing agreement, and
every view or download of them is written to the audit log before the rows are returned.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from ever6.access import Capability, NotPublished
from ever6.markers import Establishment, ctf_filename, marker_csv, marker_ctf, pupils_from_rows
from ever6.metrics.measures import BY_NAME, PERIODS
from ever6.web.charts import Point, bar_chart
from ever6.web.guard import agreement_in_force, audit_recorder, require, snapshot, viewer
from ever6.web.portal import pupil_list
from ever6.web.schools.models import AgreementStatus, DataSharingAgreement, School
from ever6.web.tables import Figure, Table, download, requested_format

# What a school is shown: attendance and suspensions, the measures the DfE guidance puts first.
PORTAL_MEASURES = (
    "pupils",
    "overall_absence_rate",
    "persistent_absence_rate",
    "severe_absence_rate",
    "suspension_rate",
    "one_plus_suspension_rate",
)
MEASURE_LABELS = {
    "pupils": "Pupils (enrolments)",
    "overall_absence_rate": "Overall absence rate (%)",
    "persistent_absence_rate": "Persistent absence: missing 10% or more (%)",
    "severe_absence_rate": "Severe absence: missing 50% or more (%)",
    "suspension_rate": "Suspensions per 100 pupils",
    "one_plus_suspension_rate": "Pupils with one or more suspensions (%)",
}
# The chart's shorter names for the same rows, so that its labels leave room for the bars on a phone.
CHART_LABELS = {
    "overall_absence_rate": "Overall absence (%)",
    "persistent_absence_rate": "Persistent absence (%)",
    "severe_absence_rate": "Severe absence (%)",
    "suspension_rate": "Suspensions per 100",
    "one_plus_suspension_rate": "1+ suspensions (%)",
}
PERIOD_LABELS = {"year": "Whole year", "autumn": "Autumn term", "spring": "Spring term", "summer": "Summer term"}
# Table columns: (key, heading, group, breakdown) — which published row fills each column.
COLUMNS = (
    ("school_cwsw", "This school: Ever6 CWSW pupils", "cwsw", "school"),
    ("school_not_cwsw", "This school: other pupils", "not_cwsw", "school"),
    ("la_cwsw", "Authority: Ever6 CWSW pupils", "cwsw", "all"),
)
SUPPRESSION_NOTE = (
    "Figures as shared outside the Virtual School: c means the figure is withheld because it counts 1 to 5 "
    "pupils or would let such a count be worked out; z means not applicable; a blank means no figure."
)
PUPIL_COLUMNS = (
    ("surname", "Surname"),
    ("forename", "Forename"),
    ("upn", "UPN"),
    ("birth_date", "Date of birth"),
    ("ncyear", "Year group"),
    ("band", "Status"),
    ("attendance", "Attendance (%)"),
    ("missed", "Sessions missed"),
    ("persistent", "Persistently absent"),
    ("suspensions", "Suspensions"),
)
# The page shows the name in one column, so that the list fits a desktop screen, and the attendance
# next to it, in view on a phone before the table scrolls; downloads keep the columns above.
PUPIL_PAGE_COLUMNS = (
    ("name", "Name"),
    *(
        (k, dict(PUPIL_COLUMNS)[k])
        for k in ("ncyear", "attendance", "missed", "persistent", "suspensions", "band", "upn", "birth_date")
    ),
)
PUPIL_NUMERIC = frozenset({"attendance", "missed", "suspensions"})
NO_FIGURE = "–"  # no possible session this year, or no exclusion records held: nothing to show
PUPIL_NOTE = (
    "Attendance: sessions attended as a percentage of possible sessions this school year, to the "
    "data's date. Persistently absent: missing 10% or more of possible sessions (attendance of 90% "
    "or less), the DfE's rule. Suspensions: this school year. A dash means no figure: no possible "
    "session recorded, or no exclusion records held."
)


def _school_record(urn: str) -> School | None:
    return School.objects.filter(urn=urn).first()


def _school_name(request: HttpRequest, urn: str) -> str:
    """The school's name from GIAS (through the access layer, which checks the URN first)."""
    record = _school_record(urn)
    try:
        gias = snapshot().portal_school(viewer(request), urn)
    except NotPublished:
        viewer(request).require_school(urn)
        gias = None
    if gias and gias.get("name"):
        return str(gias["name"])
    return record.name if record else f"School {urn}"


def _agreement_status(urn: str) -> tuple[str, bool]:
    latest = DataSharingAgreement.latest_for(urn)
    if latest is None:
        return str(dict(AgreementStatus.choices)[str(AgreementStatus.NOT_SENT)]), False
    return str(dict(AgreementStatus.choices)[latest.effective_status()]), latest.in_force_on(timezone.localdate())


@require(Capability.SCHOOL_PORTAL)
def index(request: HttpRequest) -> HttpResponse:
    who = viewer(request)
    urns = sorted(who.urns)
    if len(urns) == 1:
        return redirect("portal:school", urn=urns[0])
    records = {s.urn: s for s in School.objects.filter(urn__in=urns)}
    schools = []
    for urn in urns:
        status, in_force = _agreement_status(urn)
        record = records.get(urn)
        name = record.name if record else f"School {urn}"
        link = format_html('<a class="govuk-link" href="{}">{}</a>', reverse("portal:school", args=[urn]), name)
        schools.append({"urn": urn, "name": name, "name_html": link, "status": status, "in_force": in_force})
    schools.sort(key=lambda s: (str(s["name"]).lower(), s["urn"]))
    return render(request, "portal/index.html", {"title": "Your schools", "schools": schools})


def _choice(request: HttpRequest, years: list[str]) -> tuple[str, str]:
    """The year and term asked for, or the latest year's whole-year figures."""
    year = request.GET.get("year", "")
    period = request.GET.get("period", "")
    if year not in years:
        year = years[-1] if years else ""
    if period not in PERIODS:
        period = "year"
    return year, period


def _figures_table(rows: list[dict[str, Any]], urn: str, year: str, period: str) -> Table:
    cells: dict[tuple[str, str], Figure] = {}
    for row in rows:
        for key, _, group, breakdown in COLUMNS:
            if (
                row["group"] == group
                and row["breakdown"] == breakdown
                and (breakdown == "all" or row["breakdown_value"] == urn)
            ):
                cells[(row["measure"], key)] = Figure.of(row, count=row["measure"] == "pupils")
    table_rows = [
        {"measure": MEASURE_LABELS[m], **{key: cells.get((m, key), Figure("")) for key, *_ in COLUMNS}}
        for m in PORTAL_MEASURES
    ]
    caption = f"Attendance and suspensions, {year}, {PERIOD_LABELS[period].lower()}"
    return Table(
        caption,
        [("measure", "Measure"), *((key, heading) for key, heading, *_ in COLUMNS)],
        table_rows,
        frozenset(key for key, *_ in COLUMNS),
        SUPPRESSION_NOTE,
    )


def _chart(table: Table) -> tuple[dict[str, Any] | None, list[str]]:
    """A bar chart of the rates in the table, and what it leaves out: a withheld figure (``c``) or
    one that does not apply (``z``) is never drawn, so it is named under the chart instead of
    reading as a zero bar."""
    points: list[Point] = []
    not_charted: list[str] = []
    series = [heading for _, heading in table.columns[1:]]
    for row in table.rows:
        if row["measure"] == MEASURE_LABELS["pupils"]:
            continue  # a count on a rate scale would mislead
        for key, heading in table.columns[1:]:
            figure = row[key]
            if figure.number is not None:
                points.append(Point(_chart_label(row["measure"]), heading, figure.number))
            elif figure.text:
                not_charted.append(f"{row['measure']}, {heading}: {figure.text}")  # the symbols are explained above
    spec = bar_chart(
        points,
        title=table.caption,
        category_title="",  # the measures name themselves; a title would overlap the long labels
        value_title="Per cent (suspensions: per 100 pupils)",
        categories=[_chart_label(r["measure"]) for r in table.rows if r["measure"] != MEASURE_LABELS["pupils"]],
        series=series,
    )
    return spec, not_charted


def _chart_label(label: str) -> str:
    by_label = {MEASURE_LABELS[m]: CHART_LABELS[m] for m in CHART_LABELS}
    return by_label.get(label, label)


SYMBOLS = {
    "c": "withheld: it counts 1 to 5 pupils, or would let such a count be worked out",
    "z": "not applicable: there is nothing to divide by",
    "x": "not published",
}


@require(Capability.SCHOOL_PORTAL)
def school(request: HttpRequest, urn: str) -> HttpResponse:
    who = viewer(request)
    who.require_school(urn)  # before anything else is read, even the list of years
    name = _school_name(request, urn)
    status, in_force = _agreement_status(urn)
    snap = snapshot()
    try:
        years = snap.academic_years()
    except NotPublished:
        years = []
    year, period = _choice(request, years)
    table = None
    if year:
        rows = snap.portal_figures(who, urn, academic_year=year, period=period, measures=PORTAL_MEASURES)
        table = _figures_table(rows, urn, year, period) if rows else None
    if (fmt := requested_format(request)) and table is not None:
        return download(table, fmt, f"ever6-{urn}-{year}-{period}")
    spec, not_charted = _chart(table) if table else (None, [])
    symbols = sorted({c.text for r in (table.rows if table else []) for c in r.values() if isinstance(c, Figure)})
    on_list = snap.portal_pupil_count(who, urn) if in_force and years else None
    return render(
        request,
        "portal/school.html",
        {
            "title": name,
            "urn": urn,
            "name": name,
            "status": status,
            "in_force": in_force,
            "table": table,
            "spec": spec,
            "not_charted": not_charted,
            "symbols": [(t, SYMBOLS[t]) for t in symbols if t in SYMBOLS],
            "on_list": on_list,
            "as_at": snap.run().as_at if years else None,
            "years": years,
            "year": year,
            "period": period,
            "period_labels": PERIOD_LABELS,
            "descriptions": [(MEASURE_LABELS[m], BY_NAME[m].description) for m in PORTAL_MEASURES],
            "single_school": len(who.urns) == 1,
        },
    )


def _pupil_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A pupil's row as the list and its downloads show it."""
    no_attendance = row.get("attendance") is None
    return {
        **row,
        "name": ", ".join(str(row[k]) for k in ("surname", "forename") if row.get(k)),
        "birth_date": f"{row['birth_date']:%d/%m/%Y}" if row.get("birth_date") else "",
        "attendance": NO_FIGURE if no_attendance else f"{row['attendance']:.1f}",
        "missed": NO_FIGURE if no_attendance else row.get("missed"),
        "persistent": NO_FIGURE if no_attendance else ("Yes" if row.get("persistent") else "No"),
        "suspensions": NO_FIGURE if row.get("suspensions") is None else row["suspensions"],
    }


def _no_agreement(request: HttpRequest, urn: str, name: str) -> HttpResponse:
    status, _ = _agreement_status(urn)
    return render(
        request,
        "portal/no_agreement.html",
        {"title": "Your school needs a data sharing agreement", "urn": urn, "name": name, "status": status},
        status=403,
    )


@require(Capability.SCHOOL_PORTAL)
def pupils(request: HttpRequest, urn: str) -> HttpResponse:
    who = viewer(request)
    who.require_school(urn)
    name = _school_name(request, urn)
    if not agreement_in_force(urn):
        return _no_agreement(request, urn, name)
    fmt = requested_format(request)
    # Which filters were used goes in the audit entry; their values do not (a search may be a name).
    used = [k for k in pupil_list.FILTERS if request.GET.get(k)]
    rows = snapshot().portal_pupils(
        who,
        urn,
        audit=audit_recorder(request),
        agreement_in_force=agreement_in_force,
        action="download" if fmt else "view",
        what="school_pupils",
        detail={"format": fmt} if fmt else ({"filters": used} if used else None),
    )
    year = next((str(r["attendance_year"]) for r in rows if r.get("attendance_year")), "")
    table = Table(
        f"Ever6 CWSW pupils on roll at {name}" + (f", with attendance and suspensions in {year}" if year else ""),
        PUPIL_COLUMNS,
        [_pupil_cells(r) for r in rows],
        PUPIL_NUMERIC,
        PUPIL_NOTE,
    )
    if fmt:
        return download(table, fmt, f"ever6-cwsw-pupils-{urn}")
    run = snapshot().run()
    from ever6.web.events.views import who_to_tell

    choice = pupil_list.Choice.of(request.GET, rows)
    kept = pupil_list.chosen_rows(rows, choice)
    page = pupil_list.page_of(kept, request.GET.get("page"))
    return render(
        request,
        "portal/pupils.html",
        {
            "title": f"Ever6 CWSW pupils: {name}",
            "urn": urn,
            "name": name,
            "table": table,
            "rows": page.object_list,
            "body": Table(
                table.caption, PUPIL_PAGE_COLUMNS, [_pupil_cells(r) for r in page.object_list], PUPIL_NUMERIC
            ).body(),
            "head": Table(table.caption, PUPIL_PAGE_COLUMNS, [], PUPIL_NUMERIC).head(),
            "attendance_year": year,
            "persistent": sum(1 for r in rows if r.get("persistent")),
            "low_attendance": pupil_list.LOW_ATTENDANCE,
            "page": page,
            "total": len(rows),
            "matched": len(kept),
            "choice": choice,
            "year_options": pupil_list.options(rows, "ncyear"),
            "band_options": pupil_list.options(rows, "band"),
            "sorts": pupil_list.SORTS,
            "as_at": run.as_at,
            "single_school": len(who.urns) == 1,
            "who_to_tell": who_to_tell(request, urn, rows),
        },
    )


def _marker(request: HttpRequest, urn: str, fmt: str) -> HttpResponse:
    who = viewer(request)
    who.require_school(urn)
    name = _school_name(request, urn)
    if not agreement_in_force(urn):
        return _no_agreement(request, urn, name)
    snap = snapshot()
    rows = snap.portal_pupils(
        who,
        urn,
        audit=audit_recorder(request),
        agreement_in_force=agreement_in_force,
        action="download",
        what=f"marker_{fmt}",
        detail={"format": fmt},
    )
    as_at = snap.run().as_at
    marked = pupils_from_rows(rows)
    if fmt == "csv":
        response = HttpResponse(marker_csv(marked, as_at), content_type="text/csv; charset=utf-8")
        filename = f"ever6-cwsw-marker-{urn}-{as_at.isoformat()}.csv"
    else:
        la_code, la_name = snap.home_authority()
        gias = snap.portal_school(who, urn) or {}
        source = Establishment(lea=la_code, estab="LLLL", name=f"{la_name or la_code} Virtual School".strip())
        dest = Establishment(
            lea=str(gias.get("la_code") or ""), estab=str(gias.get("establishment_number") or ""), name=name, urn=urn
        )
        body = marker_ctf(marked, as_at=as_at, source=source, dest=dest, generated_at=timezone.localtime())
        response = HttpResponse(body, content_type="application/xml; charset=utf-8")
        filename = ctf_filename(source, dest) if dest.lea and dest.estab else f"ever6-cwsw-marker-{urn}.xml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require(Capability.SCHOOL_PORTAL)
def marker_csv_view(request: HttpRequest, urn: str) -> HttpResponse:
    return _marker(request, urn, "csv")


@require(Capability.SCHOOL_PORTAL)
def marker_xml_view(request: HttpRequest, urn: str) -> HttpResponse:
    return _marker(request, urn, "xml")
