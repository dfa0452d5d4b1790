"""Turning the snapshot's display rows into the dashboard's tables and charts.

Rows come from :meth:`ever6.access.Snapshot.metrics` already filtered to what the page asked for
(a year, a period, a breakdown, a few measures and groups), so the work here is proportional to
what the page shows, never to the whole metric table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from ever6.access import RunInfo
from ever6.metrics import gaps
from ever6.metrics.gaps import NationalFigure
from ever6.web.charts import MAX_CATEGORIES, Point, bar_chart, line_chart
from ever6.web.dashboard.labels import (
    BREAKDOWN_LABELS,
    GROUP_LABELS,
    PERIOD_LABELS,
    PERIOD_ORDER,
    breakdown_sort_key,
    measure_description,
    measure_label,
)
from ever6.web.tables import Figure, Table

Cell = tuple[str, str, str, str, str]  # academic_year, period, measure, group, breakdown_value

SUPPRESSED_NOTE = (
    "Suppressed: these figures are as shared outside the Virtual School. c = 1 to 5 pupils, or a figure "
    "that would reveal one; z = not applicable (nothing to divide by); x = not published."
)
UNSUPPRESSED_NOTE = (
    "Unsuppressed: for use inside the Virtual School only. Do not share these figures outside it; "
    "use the suppressed version instead. z = not applicable (nothing to divide by); x = not published."
)
NOT_PUBLISHED = Figure("x")
# National figures for children with a social worker are published rarely: the latest may be years
# older than the authority's, and must never read as the same year's.
NATIONAL_YEARS_NOTE = (
    "National figures are the latest the DfE has published, often for an earlier year than the "
    "authority's: each is labelled with its own academic year."
)  # DfE convention: not available


def note(suppressed: bool) -> str:
    return SUPPRESSED_NOTE if suppressed else UNSUPPRESSED_NOTE


def file_suffix(suppressed: bool) -> str:
    """Downloads carry in their name which version they are."""
    return "suppressed" if suppressed else "unsuppressed-internal-only"


def run_summary(run: RunInfo) -> str:
    return f"Figures as at {_day(run.as_at)}, refreshed {_day(run.finished_at)} at {run.finished_at:%H:%M}."


def _day(value: date | datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def index_rows(rows: Iterable[Mapping[str, Any]]) -> dict[Cell, Mapping[str, Any]]:
    return {(r["academic_year"], r["period"], r["measure"], r["group"], r["breakdown_value"]): r for r in rows}


def count(row: Mapping[str, Any] | None) -> Figure:
    """A published count, so pages show 1,739 and Excel keeps a number; symbols as they are."""
    return Figure.of(row, count=True)


def gap(a: Figure, b: Figure) -> Figure:
    """``a - b`` in the measure's unit, from the published (rounded) figures, as the DfE's tables
    compute gaps; a symbol when either is one (a gap over a suppressed figure is suppressed too)."""
    if a.number is not None and b.number is not None:
        difference = a.number - b.number
        return Figure(f"{difference:.1f}", round(difference, 1))
    return Figure(a.text if a.number is None else b.text)


# --- the headline dashboard -----------------------------------------------------------------------

COHORT_GROUPS = ("cwsw", "cpp", "cinp", "cin_other", "ever6_previous", "cla")
COHORT_LABELS = {
    "cwsw": "Ever6 CWSW pupils on roll",
    "cpp": "Child protection plan",
    "cinp": "Child in need plan",
    "cin_other": "Other child in need",
    "ever6_previous": "Previously, in the last six years",
    "cla": "Looked after (reported beside the cohort)",
}
HEADLINE_GROUPS = ("cwsw", "not_cwsw", "all_pupils")


def latest_national(measure: str, *, all_pupils: bool) -> NationalFigure | None:
    """The latest national figure for a measure: for all pupils, or for the CWSW-type group the
    DfE published (children in need, CiN excluding CPP and CLA ...)."""
    if all_pupils:
        return gaps.latest_national(measure, lambda g: g == "all_pupils")
    return gaps.latest_national(measure, lambda g: g not in ("all_pupils", "not_cwsw"))


def year_for(cells: Mapping[Cell, Mapping[str, Any]], measure: str, chosen: str, years: Sequence[str]) -> str | None:
    """The chosen year if the measure was published for it, else the latest earlier year that has
    it (attainment is published a year behind attendance)."""
    for year in sorted((y for y in years if y <= chosen), reverse=True):
        if (year, "year", measure, "cwsw", "all") in cells:
            return year
    return None


def headline(
    cells: Mapping[Cell, Mapping[str, Any]],
    measures: Sequence[str],
    chosen: str,
    years: Sequence[str],
    *,
    suppressed: bool,
) -> tuple[list[dict[str, Any]], Table]:
    """Tiles and the table with the same figures: each measure for Ever6 CWSW against pupils never
    CWSW, all pupils and the latest national figure."""

    def value(year: str | None, measure: str, group: str) -> Figure:
        return Figure.of(cells.get((year or "", "year", measure, group, "all")))

    tiles: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for measure in measures:
        year = year_for(cells, measure, chosen, years)
        nat = latest_national(measure, all_pupils=False)
        nat_all = latest_national(measure, all_pupils=True)
        same_group = nat.group if nat and nat.group in GROUP_LABELS and nat.group != "cwsw" else None
        row = {
            "measure": measure_label(measure),
            "year": year or "",
            "cwsw": value(year, measure, "cwsw"),
            "not_cwsw": value(year, measure, "not_cwsw"),
            "gap": gap(value(year, measure, "cwsw"), value(year, measure, "not_cwsw")),
            "all_pupils": value(year, measure, "all_pupils"),
            "national_group": nat.comparison if nat else "",
            "national_year": nat.academic_year if nat else "",
            "national": _national(nat.value) if nat else "",
            "la_same_group": value(year, measure, same_group) if same_group else "",
            "national_all": _national(nat_all.value) if nat_all else "",
            "national_all_year": nat_all.academic_year if nat_all else "",
            # Not a column: the page lists sources as footnotes (a column of them made rows ~400 px tall).
            "source": "; ".join(dict.fromkeys(f.source for f in (nat, nat_all) if f)),
        }
        rows.append(row)
        tiles.append(
            {
                "id": measure,
                "label": measure_label(measure),
                "description": _description(measure),
                "value": row["cwsw"],
                "year": year,
                "stale": year is not None and year != chosen,
                "comparisons": [
                    (f"{GROUP_LABELS['not_cwsw']} pupils", row["not_cwsw"]),
                    ("Gap (CWSW minus never CWSW)", row["gap"]),
                    (GROUP_LABELS["all_pupils"], row["all_pupils"]),
                    *([(f"National, {nat.comparison} ({nat.academic_year})", row["national"])] if nat else []),
                    *([(f"This authority: {GROUP_LABELS[same_group]}", row["la_same_group"])] if same_group else []),
                    *([(f"National, all pupils ({nat_all.academic_year})", row["national_all"])] if nat_all else []),
                ],
            }
        )
    table = Table(
        "Headline figures: Ever6 CWSW against their peers and national figures",
        [
            ("measure", "Measure"),
            ("year", "Academic year"),
            ("cwsw", "Ever6 CWSW"),
            ("not_cwsw", "Never CWSW"),
            ("gap", "Gap (CWSW minus never CWSW)"),
            ("all_pupils", "All pupils"),
            ("national_group", "National comparison group"),
            ("national_year", "Year of the national figure"),
            ("national", "National figure"),
            ("la_same_group", "This authority, same group as national"),
            ("national_all", "National, all pupils"),
            ("national_all_year", "Year of the national all pupils figure"),
        ],
        rows,
        numeric=frozenset({"cwsw", "not_cwsw", "gap", "all_pupils", "national", "la_same_group", "national_all"}),
        note=note(suppressed) + " " + NATIONAL_YEARS_NOTE,
    )
    return tiles, table


def cohort(
    cells: Mapping[Cell, Mapping[str, Any]], year: str, *, suppressed: bool
) -> tuple[list[dict[str, Any]], Table]:
    rows = []
    for group in COHORT_GROUPS:
        row = cells.get((year, "year", "pupils", group, "all"))
        rows.append({"status": COHORT_LABELS[group], "pupils": count(row)})
    tiles = [
        {"id": f"pupils-{g}", "label": r["status"], "value": r["pupils"]}
        for g, r in zip(COHORT_GROUPS, rows, strict=True)
    ]
    table = Table(
        f"Ever6 CWSW pupils by status, {year}",
        [("status", "Status"), ("pupils", "Pupils (enrolments with a possible session)")],
        rows,
        numeric=frozenset({"pupils"}),
        note=note(suppressed)
        + f" Pupils: linked children with a school enrolment with at least one possible session in {year}. "
        "Not the cohort counts below (children of any age at the refresh date), by definition: a child not "
        "linked, or on no school's roll that year, is in the cohort and not here."
        + " Cohort statuses are exclusive: child protection plan, child in need plan, other child in need and "
        "previously add up to Ever6 CWSW; looked-after children are reported beside it.",
    )
    return tiles, table


def _national(value: float) -> str:
    return f"{value:g}"


def _description(measure: str) -> str:
    return measure_description(measure)


# --- theme pages ----------------------------------------------------------------------------------


def breakdown_table(
    rows: Sequence[Mapping[str, Any]],
    *,
    breakdown: str,
    measures: Sequence[str],
    groups: Sequence[str],
    schools: Mapping[str, Mapping[str, Any]],
    caption: str,
    suppressed: bool,
) -> tuple[Table, dict[str, Any] | None]:
    """Rows = breakdown values, columns = measure x group, and a bar chart of the numeric figures."""
    by_value: dict[str, dict[str, Any]] = {}
    for r in rows:
        out = by_value.setdefault(r["breakdown_value"], {"breakdown_value": r["breakdown_value"]})
        out[f"{r['measure']}:{r['group']}"] = Figure.of(r, count=r["measure"] == "pupils")
    if breakdown == "school":
        for urn, out in by_value.items():
            out["name"] = (schools.get(urn) or {}).get("name") or "Not in the school register"
        ordered = sorted(by_value.values(), key=lambda o: (str(o["name"]).lower(), o["breakdown_value"]))
    else:
        ordered = sorted(by_value.values(), key=lambda o: breakdown_sort_key(breakdown, o["breakdown_value"]))
    keys = [f"{m}:{g}" for m in measures for g in groups]
    for out in ordered:
        for key in keys:
            out.setdefault(key, NOT_PUBLISHED)
    first = (
        [("breakdown_value", "URN"), ("name", "School")]
        if breakdown == "school"
        else [("breakdown_value", BREAKDOWN_LABELS[breakdown])]
    )
    columns = [*first, *((f"{m}:{g}", f"{measure_label(m)}: {GROUP_LABELS[g]}") for m in measures for g in groups)]
    table = Table(caption, columns, ordered, numeric=frozenset(keys), note=note(suppressed))

    def category(out: Mapping[str, Any]) -> str:
        return f"{out['name']} ({out['breakdown_value']})" if breakdown == "school" else str(out["breakdown_value"])

    if len(ordered) > MAX_CATEGORIES:  # unreadable as a chart: the table alone carries the figures
        return table, None
    labels = {m: measure_label(m) for m in measures}
    points = [
        Point(category(out), GROUP_LABELS[g], v, labels[m])
        for out in ordered
        for m in measures
        for g in groups
        if (v := out[f"{m}:{g}"].number) is not None
    ]
    spec = bar_chart(
        points,
        title=caption,
        category_title=BREAKDOWN_LABELS[breakdown] if breakdown != "all" else "Authority",
        value_title="Figure",
        categories=[category(o) for o in ordered],
        series=[GROUP_LABELS[g] for g in groups],
    )
    return table, spec


def trends_table(
    rows: Sequence[Mapping[str, Any]], *, measures: Sequence[str], groups: Sequence[str], caption: str, suppressed: bool
) -> tuple[Table, dict[str, Any] | None, bool]:
    """Each published year and term (rows) for each measure and group (columns), and a line chart:
    of the terms where there are any (the whole-year figures are in the table), else of the years.
    Returns whether the chart shows terms."""
    by_time: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        out = by_time.setdefault(
            (r["academic_year"], r["period"]),
            {
                "academic_year": r["academic_year"],
                "period": PERIOD_LABELS.get(r["period"], r["period"]),
                "_p": r["period"],
            },
        )
        out[f"{r['measure']}:{r['group']}"] = Figure.of(r)
    order = {p: i for i, p in enumerate(PERIOD_ORDER)}
    ordered = [by_time[k] for k in sorted(by_time, key=lambda k: (k[0], order.get(k[1], 99)))]
    keys = [f"{m}:{g}" for m in measures for g in groups]
    for out in ordered:
        for key in keys:
            out.setdefault(key, NOT_PUBLISHED)
    columns = [
        ("academic_year", "Academic year"),
        ("period", "Period"),
        *((f"{m}:{g}", f"{measure_label(m)}: {GROUP_LABELS[g]}") for m in measures for g in groups),
    ]
    table = Table(caption, columns, ordered, numeric=frozenset(keys), note=note(suppressed))
    terms = [o for o in ordered if o["_p"] != "year"]
    charted = terms or ordered

    def when(out: Mapping[str, Any]) -> str:
        return f"{out['academic_year']} {out['_p']}" if terms else str(out["academic_year"])

    points = [
        Point(when(out), GROUP_LABELS[g], v, measure_label(m))
        for out in charted
        for m in measures
        for g in groups
        if (v := out[f"{m}:{g}"].number) is not None
    ]
    spec = line_chart(
        points,
        title=caption,
        category_title="Term" if terms else "Academic year",
        value_title="Figure",
        categories=[when(o) for o in charted],
        series=[GROUP_LABELS[g] for g in groups],
    )
    return table, spec, bool(terms)
