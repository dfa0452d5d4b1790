"""The annual report for the Director of Children's Services and the corporate parenting board: a
PDF, and its tables as an Excel workbook.

- The year's figures for the authority's Ever6 CWSW pupils against their peers (pupils never
  CWSW), all pupils and the latest national figures, with the trend over every published year;
- the same by phase and in and out of the authority;
- partnership work in the academic year: training, the advice line and clinics;
- the data sharing agreement's coverage of the schools with Ever6 CWSW pupils;
- the Virtual School Head grant, for each financial year the academic year overlaps that the grant
  ledger holds (left out when it holds none): the ledger's own figures (:func:`grant_table`).

Figures are suppressed (``Shared``) unless the report is made for use inside the Virtual School
(``internal=True``, for a Virtual School role only: the access layer refuses anyone else the
unsuppressed figures). The grant's figures are money, not counts of children: no disclosure
control applies to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ever6.access import MetricQuery, Snapshot, Viewer
from ever6.metrics.measures import BY_NAME
from ever6.web.charts import Point, bar_chart, line_chart
from ever6.web.dashboard.figures import latest_national
from ever6.web.dashboard.labels import measure_label
from ever6.web.documents import governors
from ever6.web.documents.render import INTERNAL, SHARED, Masthead, chart_svg, render_pdf
from ever6.web.tables import Figure, Table, workbook

TEMPLATE = "documents/annual.html"
# The governors' measures, and permanent exclusions (too rare to show school by school).
MEASURES = (*governors.MEASURES, "permanent_exclusion_rate")
GROUPS = (("cwsw", "Ever6 CWSW"), ("not_cwsw", "Never CWSW (peers)"), ("all_pupils", "All pupils"))
BREAKDOWNS = (("phase", "Phase"), ("in_la", "In or out of the authority"))
NOTE_SUPPRESSED = (
    "Figures with disclosure control applied: c means withheld because it counts 1 to 5 pupils or would "
    "let such a count be worked out; z means not applicable; x means not published."
)
NOTE_INTERNAL = "Figures without disclosure control, for use inside the Virtual School only: do not share them."
NOTE_GRANT = (
    "The Virtual School Head grant's figures are money from the grant ledger, not counts of children: "
    "disclosure control does not apply to them."
)


def _cells(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], Figure]:
    """(year, measure, group, breakdown value: "" for the whole authority) -> figure."""
    return {
        (
            r["academic_year"],
            r["measure"],
            r["group"],
            "" if r["breakdown"] == "all" else str(r["breakdown_value"]),
        ): Figure.of(r, count=r["measure"] == "pupils")
        for r in rows
    }


def trend_table(cells: dict[tuple[str, str, str, str], Figure], years: Sequence[str], note: str) -> Table:
    rows = [
        {"measure": measure_label(m), "year": y, **{g: cells.get((y, m, g, ""), Figure("x")) for g, _ in GROUPS}}
        for m in MEASURES
        for y in years
    ]
    return Table(
        f"The authority's pupils, {years[0]} to {years[-1]}",
        [("measure", "Measure"), ("year", "Year"), *GROUPS],
        rows,
        frozenset(g for g, _ in GROUPS),
        note,
    )


def trend_chart(cells: dict[tuple[str, str, str, str], Figure], years: Sequence[str]) -> dict[str, Any] | None:
    points = [
        Point(y, label, n, panel=measure_label(m))
        for m in MEASURES
        if m != "pupils"
        for y in years
        for g, label in GROUPS
        if (n := cells.get((y, m, g, ""), Figure("")).number) is not None
    ]
    return line_chart(
        points,
        title="Ever6 CWSW pupils against their peers and all pupils, by year",
        category_title="Academic year",
        value_title="Rate",
        categories=list(years),
        series=[label for _, label in GROUPS],
    )


def breakdown_table(
    rows: list[dict[str, Any]], year: str, breakdown: str, heading: str, note: str
) -> tuple[Table, dict[str, Any] | None]:
    cells = _cells(rows)
    values = sorted({k[3] for k in cells})
    table_rows = [
        {"measure": measure_label(m), "value": v, **{g: cells.get((year, m, g, v), Figure("x")) for g, _ in GROUPS[:2]}}
        for m in MEASURES
        for v in values
    ]
    table = Table(
        f"By {heading.lower()}, {year}",
        [("measure", "Measure"), ("value", heading), *GROUPS[:2]],
        table_rows,
        frozenset(g for g, _ in GROUPS[:2]),
        note,
    )
    points = [
        Point(v, label, n, panel=measure_label(m))
        for m in ("overall_absence_rate", "persistent_absence_rate", "suspension_rate")
        for v in values
        for g, label in GROUPS[:2]
        if (n := cells.get((year, m, g, v), Figure("")).number) is not None
    ]
    spec = bar_chart(
        points,
        title=f"Ever6 CWSW pupils against their peers by {heading.lower()}, {year}",
        category_title=heading,
        value_title="Rate",
        categories=values,
        series=[label for _, label in GROUPS[:2]],
    )
    return table, spec


def national_table() -> Table:
    rows = [
        {
            "measure": measure_label(m),
            "group": n.comparison,
            "year": n.academic_year,
            "value": Figure(f"{n.value:g}", n.value),
        }
        for m in MEASURES
        for n in (latest_national(m, all_pupils=False), latest_national(m, all_pupils=True))
        if n is not None
    ]
    return Table(
        "National figures (England) to compare with",
        [("measure", "Measure"), ("group", "Pupils"), ("year", "Year"), ("value", "Figure")],
        rows,
        frozenset({"value"}),
        "National figures are for England and for the year shown, which may be earlier than this report's.",
    )


def year_bounds(year: str) -> tuple[date, date]:
    """An academic year ``2024/25`` as 1 September 2024 to 31 August 2025."""
    start = int(year[:4])
    return date(start, 9, 1), date(start + 1, 8, 31)


def activity_table(year: str) -> Table:
    """Partnership and training activity in the academic year, from the web database."""
    from ever6.web.support.models import Clinic, Enquiry
    from ever6.web.training.models import Attendance, Registration, Session

    start, end = year_bounds(year)
    sessions = Session.objects.filter(date__range=(start, end))
    attended = Registration.objects.filter(session__date__range=(start, end), attendance=Attendance.ATTENDED)
    enquiries = Enquiry.objects.filter(received_on__range=(start, end))
    clinics = Clinic.objects.filter(starts_at__date__range=(start, end))
    rows = [
        ("Training sessions held", sessions.count()),
        ("Training places attended", attended.count()),
        ("Schools whose staff attended training", attended.exclude(school=None).values("school").distinct().count()),
        ("Advice line enquiries received", enquiries.count()),
        ("Enquiries from schools", enquiries.filter(enquirer_type="school").count()),
        ("Enquiries from social workers", enquiries.filter(enquirer_type="social_worker").count()),
        ("Consultations and clinics held", clinics.count()),
    ]
    return Table(
        f"Partnership and training activity, {year} (1 September to 31 August)",
        [("what", "Activity"), ("count", "Number")],
        [{"what": w, "count": n} for w, n in rows],
        frozenset({"count"}),
    )


def enquiry_table(year: str) -> Table:
    from django.db.models import Count

    from ever6.web.support.models import Category, Enquiry

    start, end = year_bounds(year)
    labels = dict(Category.choices)
    counts = (
        Enquiry.objects.filter(received_on__range=(start, end))
        .values("category")
        .annotate(n=Count("id"))
        .order_by("-n", "category")
    )
    return Table(
        f"Advice line enquiries by category, {year}",
        [("category", "Category"), ("count", "Enquiries")],
        [{"category": str(labels.get(c["category"], c["category"])), "count": c["n"]} for c in counts],
        frozenset({"count"}),
    )


def agreement_table(snap: Snapshot, viewer: Viewer, today: date) -> Table:
    """How many schools with Ever6 CWSW pupils have a signed agreement in force, and a named lead."""
    from ever6.web.schools.models import Contact, ContactRole, DataSharingAgreement

    with_pupils = sorted(snap.cohort_counts_by_school(viewer))
    signed = sum(1 for urn in with_pupils if DataSharingAgreement.in_force(urn, today))
    leads = {
        c.school_id
        for c in Contact.objects.filter(role=ContactRole.DSL, school_id__in=with_pupils)
        if c.current_on(today)
    }
    total = len(with_pupils)

    def share(n: int) -> str:
        return f"{100 * n / total:.0f}%" if total else "z"

    rows = [
        {"what": "Schools with Ever6 CWSW pupils on roll", "count": total, "share": ""},
        {"what": "with a signed data sharing agreement in force", "count": signed, "share": share(signed)},
        {"what": "with a named CWSW lead known", "count": len(leads), "share": share(len(leads))},
    ]
    return Table(
        f"Data sharing agreements on {today:%-d %B %Y}",
        [("what", "Schools"), ("count", "Number"), ("share", "Share")],
        rows,
        frozenset({"count", "share"}),
    )


def financial_starts(year: str) -> tuple[int, int]:
    """The financial years (April to March, by the year they start) that an academic year overlaps:
    2024/25 (1 September 2024 to 31 August 2025) overlaps 2024-25 and 2025-26."""
    start = int(year[:4])
    return start, start + 1


def grant_table(year: str, today: date) -> Table | None:
    """The grant for each financial year the academic year overlaps that the ledger holds, as the
    ledger's own calculation gives it on ``today`` (the figures the year's page shows that day);
    ``None`` when the ledger holds none of them."""
    from ever6.web.grant.ledger import money, position
    from ever6.web.grant.models import GrantYear

    records = list(GrantYear.objects.filter(start_year__in=financial_starts(year)).order_by("start_year"))
    if not records:
        return None

    def figures(c: dict[str, Any]) -> list[tuple[str, str]]:
        """(what, amount as the ledger gives it) in the table's order."""
        return [
            ("Allocation: baseline", c["baseline"]),
            ("Allocation: top-up", c["top_up"]),
            ("Allocation: total", c["allocation"]),
            ("Payments received", c["received"]),
            *((f"Spent: {k['label']}", k["actual"]) for k in c["categories"]),
            ("Spent: total", c["total"]["actual"]),
            ("Committed (forecast for the rest of the year)", c["total"]["forecast"]),
            ("Balance (allocation less spent and committed)", c["variance"]),
        ]

    columns = [(f"fy{r.start_year}", r.label) for r in records]
    by_year = [figures(position(r, today, today=today)) for r in records]

    def pounds(text: str) -> Figure:
        return Figure(money(Decimal(text)), float(text))

    rows = [
        {"what": what, **{k: pounds(f[i][1]) for (k, _), f in zip(columns, by_year, strict=True)}}
        for i, (what, _) in enumerate(by_year[0])
    ]
    return Table(
        f"Virtual School Head grant, financial year{'s' if len(records) > 1 else ''} "
        f"{' and '.join(r.label for r in records)}, as at {today:%-d %B %Y}",
        [("what", "Grant"), *columns],
        rows,
        frozenset(k for k, _ in columns),
        "Pounds, from the grant ledger: spent is the actual spend of the months begun by this date; committed is "
        "the forecast for the months still to come. " + NOTE_GRANT,
    )


def build(
    snap: Snapshot, viewer: Viewer, year: str, *, internal: bool = False, today: date | None = None
) -> dict[str, Any]:
    """The report's context: every table, and the specifications of the charts before them."""
    today = today or date.today()
    years = [y for y in snap.academic_years() if y <= year]
    suppressed = not internal
    note = NOTE_INTERNAL if internal else NOTE_SUPPRESSED
    rows = snap.metrics(
        viewer, MetricQuery(None, "year", MEASURES, tuple(g for g, _ in GROUPS), "all"), suppressed=suppressed
    )
    cells = _cells([r for r in rows if r["academic_year"] in years])
    sections: list[dict[str, Any]] = [
        {
            "heading": "The year's figures and the trend",
            "table": trend_table(cells, years, note),
            "spec": trend_chart(cells, years),
        },
        {"heading": "", "table": national_table(), "spec": None},
    ]
    for breakdown, heading in BREAKDOWNS:
        brows = snap.metrics(
            viewer, MetricQuery(year, "year", MEASURES, ("cwsw", "not_cwsw"), breakdown), suppressed=suppressed
        )
        table, spec = breakdown_table(brows, year, breakdown, heading, note)
        sections.append({"heading": f"By {heading.lower()}", "table": table, "spec": spec})
    sections += [
        {"heading": "Partnership and training", "table": activity_table(year), "spec": None},
        {"heading": "The advice line", "table": enquiry_table(year), "spec": None},
        {"heading": "Data sharing agreements", "table": agreement_table(snap, viewer, today), "spec": None},
    ]
    from ever6.web.grant.models import year_label

    grant = grant_table(year, today)
    if grant is not None:
        sections.append({"heading": "Virtual School Head grant", "table": grant, "spec": None})
    grant_years = " and ".join(year_label(s) for s in financial_starts(year))
    as_at = snap.run().as_at
    sources = (
        f"Attendance, exclusions and children's social care records held by the authority, published by "
        f"the Virtual School on {as_at:%-d %B %Y}; partnership records kept by the Virtual School"
        + ("; the grant ledger kept by the Virtual School." if grant is not None else "."),
        *dict.fromkeys(
            f"National figures: {n.source}."
            for m in MEASURES
            for n in (latest_national(m, all_pupils=False), latest_national(m, all_pupils=True))
            if n
        ),
    )
    notes = (
        note,
        "Ever6 CWSW: children with a social worker now or at any time in the last six years. Peers: pupils "
        "who have not had a social worker in that time.",
        *(f"{measure_label(m)}: {BY_NAME[m].description}." for m in MEASURES),
        NOTE_GRANT
        if grant is not None
        else f"There is no grant summary: the grant ledger holds no record of the financial years {grant_years}.",
    )
    title = f"Children with a social worker: annual report {year}"
    return {
        "masthead": Masthead(title, INTERNAL if internal else SHARED, today, sources, notes),
        "year": year,
        "years": years,
        "sections": sections,
    }


def render(ctx: dict[str, Any]) -> bytes:
    sections = [{**s, "chart": chart_svg(s["spec"])} for s in ctx["sections"]]
    return render_pdf(TEMPLATE, {**ctx, "sections": sections})


def tables_workbook(ctx: dict[str, Any]) -> bytes:
    """The report's tables as an Excel workbook, one sheet each, formula-safe."""
    names = (
        "Figures by year",
        "National",
        "By phase",
        "In or out of LA",
        "Activity",
        "Advice line",
        "Agreements",
        "Grant",
    )
    return workbook(
        [(names[i] if i < len(names) else f"Table {i + 1}", s["table"]) for i, s in enumerate(ctx["sections"])]
    )


def filename(year: str, ext: str) -> str:
    return f"annual-report-{year.replace('/', '-')}.{ext}"
