"""The governors' pack: one school's figures for its governing body, as a PDF.

It leaves the Virtual School, so every figure in it is the **suppressed** one, as a school's own
users see it (:meth:`ever6.access.Snapshot.metrics` with ``suppressed=True``, which a school user
gets whatever it asks): the school's Ever6 CWSW pupils and its other pupils, the authority's Ever6
CWSW pupils and all its pupils, over the last three years, beside the latest national figures
(published by the DfE, with their sources). Then what the Virtual School knows of the school:
its tier and what that offers, the data sharing agreement, whether the named CWSW lead is known,
and the training its staff attended.

The figures for many schools are read in one query (:func:`gather`); the partnership details come
from the web database (:func:`details`); :func:`context` puts the two together for the template,
and rendering (:func:`render`) needs neither, so the command line renders packs in parallel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ever6.access import MetricQuery, Snapshot, Viewer
from ever6.metrics.measures import BY_NAME
from ever6.web.charts import Point, line_chart
from ever6.web.dashboard.figures import latest_national
from ever6.web.dashboard.labels import measure_label
from ever6.web.documents.render import SHARED, Masthead, chart_svg, render_pdf
from ever6.web.tables import Figure, Table

TEMPLATE = "documents/governors.html"
YEARS = 3  # the last three academic years, the latest the one asked for

# Attendance, part-time timetables and suspensions: what governors are asked to review.
MEASURES = (
    "pupils",
    "overall_absence_rate",
    "persistent_absence_rate",
    "severe_absence_rate",
    "c2_per_1000_sessions",
    "suspension_rate",
    "one_plus_suspension_rate",
)
# Table columns: (key, heading, group, breakdown): which published row fills each column.
COLUMNS = (
    ("school_cwsw", "This school: Ever6 CWSW", "cwsw", "school"),
    ("school_other", "This school: other pupils", "not_cwsw", "school"),
    ("la_cwsw", "Authority: Ever6 CWSW", "cwsw", "all"),
    ("la_all", "Authority: all pupils", "all_pupils", "all"),
)
SUPPRESSION_NOTE = (
    "Figures as shared outside the Virtual School: c means withheld because it counts 1 to 5 pupils "
    "or would let such a count be worked out; z means not applicable; x means not published."
)
OFFERS = {
    "standard": "The standard offer, for every school: the DSL forum, half-termly round-up emails, "
    "training for staff and the advice line.",
    "enhanced": "The enhanced offer: everything in the standard offer, with termly contact from a "
    "Virtual School officer and priority places on training.",
    "targeted": "The targeted offer: everything in the enhanced offer, with clinics and case "
    "consultations with partners (CAMHS, educational psychology, SEN, youth offending).",
}

Cells = dict[tuple[str, str, str], Figure]  # (year, measure, column key) -> figure


@dataclass(frozen=True)
class Details:
    """What the Virtual School's register holds on the school (from the web database)."""

    name: str
    phase: str
    la_name: str
    tier: str  # "" when no tier has been decided
    agreement: str  # the agreement's status, as the register says it
    agreement_in_force: bool
    lead_known: bool
    training: tuple[tuple[str, str, str], ...]  # (date, course, attendee's role), newest first


def pack_years(snap: Snapshot, year: str) -> list[str]:
    """The chosen year and the two before it that were published, oldest first."""
    years = [y for y in snap.academic_years() if y <= year]
    return years[-YEARS:]


def gather(snap: Snapshot, viewer: Viewer, urns: Sequence[str], years: Sequence[str]) -> dict[str, Cells]:
    """Each school's suppressed figures for ``years``: one query for the schools, one for the
    authority (a school user's own schools only, by the access layer's rule)."""
    by_school: dict[str, Cells] = defaultdict(dict)
    authority: Cells = {}
    school_cols = {(g, b): k for k, _, g, b in COLUMNS}
    for year in years:
        rows = snap.metrics(
            viewer, MetricQuery(year, "year", MEASURES, ("cwsw", "not_cwsw"), "school", tuple(urns)), suppressed=True
        )
        for row in rows:
            if (key := school_cols.get((row["group"], "school"))) is not None:
                by_school[str(row["breakdown_value"])][(year, row["measure"], key)] = _figure(row)
        rows = snap.metrics(
            viewer, MetricQuery(year, "year", MEASURES, ("cwsw", "all_pupils"), "all", None), suppressed=True
        )
        for row in rows:
            if (key := school_cols.get((row["group"], "all"))) is not None:
                authority[(year, row["measure"], key)] = _figure(row)
    return {urn: {**authority, **by_school.get(urn, {})} for urn in urns}


def _figure(row: dict[str, Any]) -> Figure:
    return Figure.of(row, count=row["measure"] == "pupils")


def details(urn: str, *, today: date | None = None) -> Details:
    """The school's name, tier, agreement, named lead and training, from the web database."""
    return details_for([urn], today=today)[urn]


def details_for(urns: Sequence[str], *, today: date | None = None) -> dict[str, Details]:
    """:func:`details` for many schools, in one query a table rather than one a school."""
    from ever6.web.dashboard.tiers import TIER_LABELS
    from ever6.web.schools.models import (
        AgreementStatus,
        Contact,
        ContactRole,
        DataSharingAgreement,
        School,
        TierDecision,
    )
    from ever6.web.training.models import Attendance, Registration

    today = today or date.today()
    wanted = list(dict.fromkeys(urns))
    records = {s.urn: s for s in School.objects.filter(urn__in=wanted)}
    # The latest of each (ordered oldest first, so the last one seen wins): as ``latest_for``.
    decisions = {d.school_id: d for d in TierDecision.objects.filter(school_id__in=wanted).order_by("decided_at", "id")}
    agreements = {
        a.school_id: a for a in DataSharingAgreement.objects.filter(school_id__in=wanted).order_by("recorded_at", "id")
    }
    leads_known = {
        c.school_id for c in Contact.objects.filter(school_id__in=wanted, role=ContactRole.DSL) if c.current_on(today)
    }
    since = today - timedelta(days=365 * YEARS)
    training: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for r in (
        Registration.objects.filter(school_id__in=wanted, attendance=Attendance.ATTENDED, session__date__gte=since)
        .select_related("session__course")
        .order_by("-session__date", "session__course__title")
    ):
        training[r.school_id].append((f"{r.session.date:%-d %B %Y}", r.session.course.title, r.get_role_display()))
    statuses = dict(AgreementStatus.choices)
    out = {}
    for urn in wanted:
        record, decision, agreement = records.get(urn), decisions.get(urn), agreements.get(urn)
        status = agreement.effective_status(today) if agreement else str(AgreementStatus.NOT_SENT)
        out[urn] = Details(
            name=record.name if record else f"School {urn}",
            phase=record.phase if record else "",
            la_name=record.la_name if record else "",
            tier=TIER_LABELS.get(decision.tier, decision.tier) if decision else "",
            agreement=str(statuses.get(status, status)),
            agreement_in_force=agreement is not None and agreement.in_force_on(today),
            lead_known=urn in leads_known,
            training=tuple(training[urn]),
        )
    return out


def figures_table(cells: Cells, years: Sequence[str]) -> Table:
    rows = [
        {"measure": measure_label(m), "year": y, **{k: cells.get((y, m, k), Figure("x")) for k, *_ in COLUMNS}}
        for m in MEASURES
        for y in years
    ]
    caption = f"Attendance, part-time timetables and suspensions, {years[0]} to {years[-1]}" if years else ""
    return Table(
        caption,
        [("measure", "Measure"), ("year", "Year"), *((k, h) for k, h, *_ in COLUMNS)],
        rows,
        frozenset(k for k, *_ in COLUMNS),
        SUPPRESSION_NOTE,
    )


def chart_spec(cells: Cells, years: Sequence[str]) -> dict[str, Any] | None:
    """The rates over the years, a panel per measure; withheld figures are not drawn (they are in
    the table after the chart)."""
    points = [
        Point(y, heading, number, panel=measure_label(m))
        for m in MEASURES
        if m != "pupils"  # a count on a rate scale would mislead
        for y in years
        for k, heading, *_ in COLUMNS
        if (number := cells.get((y, m, k), Figure("")).number) is not None
    ]
    return line_chart(
        points,
        title="Ever6 CWSW pupils against this school's other pupils and the authority",
        category_title="Academic year",
        value_title="Rate",
        categories=list(years),
        series=[h for _, h, *_ in COLUMNS],
    )


def national_table() -> Table:
    """The latest national figures the DfE published for these measures, with their years."""
    rows = []
    for m in MEASURES:
        for nat in (latest_national(m, all_pupils=False), latest_national(m, all_pupils=True)):
            if nat is not None:
                rows.append(
                    {
                        "measure": measure_label(m),
                        "group": nat.comparison,
                        "year": nat.academic_year,
                        "value": Figure(f"{nat.value:g}", nat.value),
                    }
                )
    return Table(
        "National figures (England) to compare with",
        [("measure", "Measure"), ("group", "Pupils"), ("year", "Year"), ("value", "Figure")],
        rows,
        frozenset({"value"}),
        "National figures are for England and for the year shown, which may be earlier than this pack's.",
    )


def context(
    urn: str, cells: Cells, years: Sequence[str], info: Details, *, as_at: date, made_on: date
) -> dict[str, Any]:
    """Everything the template needs, as plain data (it can be rendered in another process)."""
    sources = (
        f"Attendance, exclusions and children's social care records held by the authority, "
        f"published by the Virtual School on {as_at:%-d %B %Y}.",
        *dict.fromkeys(f"National figures: {nat.source}." for m in MEASURES for nat in _nationals(m)),
    )
    notes = (
        SUPPRESSION_NOTE,
        "Ever6 CWSW: children with a social worker now or at any time in the last six years.",
        *(f"{measure_label(m)}: {BY_NAME[m].description}." for m in MEASURES),
    )
    return {
        "masthead": Masthead(f"Governors' pack: {info.name}", SHARED, made_on, sources, notes),
        "urn": urn,
        "info": info,
        "years": list(years),
        "table": figures_table(cells, years),
        "spec": chart_spec(cells, years),
        "national": national_table(),
        "offer": OFFERS.get(info.tier.lower(), ""),
    }


def _nationals(measure: str) -> Iterable[Any]:
    return [n for n in (latest_national(measure, all_pupils=False), latest_national(measure, all_pupils=True)) if n]


def render(ctx: dict[str, Any]) -> bytes:
    """The pack as PDF bytes (the chart drawn here, so that it is drawn where the PDF is made)."""
    return render_pdf(TEMPLATE, {**ctx, "chart": chart_svg(ctx["spec"])})


def filename(urn: str, year: str) -> str:
    return f"governors-pack-{urn}-{year.replace('/', '-')}.pdf"
