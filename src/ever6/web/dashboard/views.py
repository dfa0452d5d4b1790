"""The Virtual School's cohort dashboard: headline figures, a page per theme, and the schools page.

Cohort-level figures only (docs/domain.md, section 1). Virtual School roles see the unsuppressed
figures, for internal use, and can switch to the suppressed version that is shared outside the
Virtual School; every table on every page downloads as CSV or Excel with the page's filters.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from ever6.access import Capability, MetricQuery, NotPublished, RefreshNeeded, RunInfo, Snapshot, Viewer
from ever6.access.counts import latest_counts
from ever6.metrics.measures import GROUPS, MEASURES
from ever6.web.dashboard import figures, gap, ranking
from ever6.web.dashboard.forms import (
    DEFAULT_GROUPS,
    SORTS,
    FiguresForm,
    SchoolsForm,
    ThemeForm,
    checkbox_items,
    select_items,
)
from ever6.web.dashboard.labels import BREAKDOWN_LABELS, GROUP_LABELS, PERIOD_LABELS, THEME_LABELS, theme_measures
from ever6.web.dashboard.tiers import TIER_LABELS, TIERS, describe_rule
from ever6.web.guard import require, snapshot, viewer
from ever6.web.pagecache import cacheable, cached_page
from ever6.web.schools.models import School
from ever6.web.tables import Figure, Table, requested_download

THEMES = tuple(THEME_LABELS)

# The measures a theme page shows by default and charts over time; the others can be ticked.
MAIN_MEASURES = {
    "attendance": ("overall_absence_rate", "persistent_absence_rate", "severe_absence_rate"),
    "exclusions": ("suspension_rate", "one_plus_suspension_rate", "permanent_exclusion_rate"),
    "provision": ("alternative_provision_share",),
    "attainment": ("ks2_rwm_expected_rate", "attainment8_average", "em_grade4_rate"),
}
TREND_GROUPS = ("cwsw", "not_cwsw")

HEADLINE_MEASURES = (
    "overall_absence_rate",
    "persistent_absence_rate",
    "severe_absence_rate",
    "suspension_rate",
    "one_plus_suspension_rate",
    "permanent_exclusion_rate",
    "alternative_provision_share",
    *(m.name for m in MEASURES if m.theme == "attainment"),
)


def _main_measures(theme: str) -> tuple[str, ...]:
    available = theme_measures(theme)
    main = tuple(m for m in MAIN_MEASURES.get(theme, ()) if m in available)
    return main or tuple(m for m in available if m != "pupils")


def _published(snap: Snapshot) -> tuple[RunInfo, list[str]] | None:
    """The run and its academic years, or ``None`` when nothing has been published yet."""
    try:
        run, years = snap.run(), snap.academic_years()
    except NotPublished:
        return None
    return (run, years) if years else None


def _not_published(request: HttpRequest) -> HttpResponse:
    try:
        snapshot().run()
        outdated = False
    except RefreshNeeded:  # written by an earlier version of ever6: the next refresh rewrites it
        outdated = True
    except NotPublished:
        outdated = False
    title = "A refresh is needed" if outdated else "No figures published yet"
    return render(request, "dashboard/not_published.html", {"title": title, "outdated": outdated})


def _of_published_figures(
    view: Callable[[HttpRequest, Snapshot, RunInfo, list[str]], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A page of the published figures: the view is given the snapshot, its run and academic
    years; until something is published the page says so instead."""

    @functools.wraps(view)
    def page(request: HttpRequest) -> HttpResponse:
        snap = snapshot()
        published = _published(snap)
        if published is None:
            return _not_published(request)
        run, years = published
        return view(request, snap, run, years)

    return page


def _common(request: HttpRequest, run: RunInfo, suppressed: bool) -> dict[str, Any]:
    return {
        "run_summary": figures.run_summary(run),
        "suppressed": suppressed,
        "suppression_note": figures.note(suppressed),
        "themes": [(t, THEME_LABELS[t]) for t in THEMES],
        **cacheable(request),
    }


PAGE_SIZE = 50  # rows of a long table (schools) per page; downloads always have every row


def _paginate(request: HttpRequest, table: Table) -> tuple[Table, Page | None]:
    """The page's share of a long table: rendering hundreds of schools' rows would make the page
    slow and unwieldy, so the page shows 50 at a time and the downloads have them all."""
    if len(table.rows) <= PAGE_SIZE:
        return table, None
    page = Paginator(table.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = dataclasses.replace(table, rows=list(page.object_list))
    return shown, page


def _download(request: HttpRequest, tables: dict[str, Table], name: str, suppressed: bool) -> HttpResponse | None:
    """The requested table as a file, its name saying whether small numbers are suppressed."""
    return requested_download(request, tables, name, suffix=f"-{figures.file_suffix(suppressed)}")


@require(Capability.COHORT_FIGURES)
@cached_page
@_of_published_figures
def index(request: HttpRequest, snap: Snapshot, run: RunInfo, years: list[str]) -> HttpResponse:
    """Headline tiles and table for one academic year (the latest by default)."""
    form = FiguresForm(request.GET, years=years)
    context: dict[str, Any] = {"title": "Cohort dashboard", "form": form, "year_items": []}
    if not form.is_valid():
        context["year_items"] = select_items(form, "year", str(request.GET.get("year", "")))
        return render(request, "dashboard/index.html", {**context, **_common(request, run, False)}, status=400)
    year, suppressed = form.year, form.is_suppressed
    # Every year up to the chosen one, at the authority level: attainment is published a year behind.
    rows = snap.metrics(
        viewer(request),
        MetricQuery(None, "year", ("pupils", *HEADLINE_MEASURES), None, "all"),
        suppressed=suppressed,
    )
    cells = figures.index_rows(rows)
    cohort_tiles, cohort_table = figures.cohort(cells, year, suppressed=suppressed)
    tiles, headline_table = figures.headline(cells, HEADLINE_MEASURES, year, years, suppressed=suppressed)
    # The gap leads: for the year asked for, else the latest complete one (a year part-way through
    # compares a few terms with a whole year's national figures).
    complete = gap.complete_year(years, run.as_at)
    the_gap = gap.gap(cells, year if request.GET.get("year") else complete, years, suppressed=suppressed)
    trend_table, trend_spec = gap.trend(cells, years, complete=complete, suppressed=suppressed)
    name = f"ever6-dashboard-{year}"
    tables = {"gap": the_gap.table, "trend": trend_table, "cohort": cohort_table, "headline": headline_table}
    if response := _download(request, tables, name, suppressed):
        return response
    context.update(
        year=year,
        year_items=select_items(form, "year", year),
        cohort_tiles=cohort_tiles,
        cohort_table=cohort_table,
        tiles=tiles,
        headline_table=headline_table,
        gap=the_gap,
        trend_table=trend_table,
        trend_spec=trend_spec,
        cla_in_cwsw=run.cla_in_cwsw,
        counts=latest_counts(snap, viewer(request)),
    )
    return render(request, "dashboard/index.html", {**context, **_common(request, run, suppressed)})


def _latest_year_with_figures(snap: Snapshot, who: Viewer, measures: Sequence[str], years: list[str]) -> str | None:
    """The latest academic year in which any of ``measures`` has a figure for the authority."""
    rows = snap.metrics(who, MetricQuery(None, "year", tuple(measures), TREND_GROUPS, "all"))
    with_figures = {r["academic_year"] for r in rows if Figure.of(r).number is not None}
    return next((y for y in reversed(years) if y in with_figures), None)


def _published_groups(snap: Snapshot, who: Viewer, years: list[str]) -> tuple[str, ...]:
    """The groups the latest run published: the optional ones (kinship care, early help) only
    when the authority switched them on."""
    optional = ("kinship", "early_help")
    query = MetricQuery(years[-1] if years else None, "year", ("pupils",), optional, "all")
    present = {r["group"] for r in snap.metrics(who, query)}
    return tuple(g for g in GROUPS if g not in optional or g in present)


@require(Capability.COHORT_FIGURES)
@cached_page
def theme(request: HttpRequest, theme: str) -> HttpResponse:
    """One theme's measures by a breakdown, for the chosen groups, and its trends over time."""
    if theme not in THEMES:
        raise Http404("no such theme")
    snap = snapshot()
    published = _published(snap)
    if published is None:
        return _not_published(request)
    run, years = published
    available = theme_measures(theme)
    default_year = _latest_year_with_figures(snap, viewer(request), _main_measures(theme), years)
    offered = _published_groups(snap, viewer(request), years)
    form = ThemeForm(request.GET, years=years, measures=available, default_year=default_year, groups=offered)
    valid = form.is_valid()
    year = form.year
    period = form.value_of("period", "year")
    breakdown = form.value_of("breakdown", "all")
    # In registry order, so the same choice is the same cached query whatever order it came in.
    chosen_groups = set(form.value_of("groups", DEFAULT_GROUPS))
    groups = tuple(g for g in offered if g in chosen_groups)
    chosen_measures = set(form.value_of("measures", _main_measures(theme)))
    measures = tuple(m for m in available if m in chosen_measures)
    suppressed = form.is_suppressed
    selected: dict[str, Any] = {
        "year": year if valid else str(request.GET.get("year", "")),
        "period": period if valid else str(request.GET.get("period", "")),
        "breakdown": breakdown if valid else str(request.GET.get("breakdown", "")),
        "groups": groups if valid else request.GET.getlist("groups"),
        "measures": measures if valid else request.GET.getlist("measures"),
    }
    context: dict[str, Any] = {
        "title": f"{THEME_LABELS[theme]}: Ever6 CWSW",
        "theme": theme,
        "theme_label": THEME_LABELS[theme],
        "form": form,
        "year_items": select_items(form, "year", selected["year"]),
        "period_items": select_items(form, "period", selected["period"]),
        "breakdown_items": select_items(form, "breakdown", selected["breakdown"]),
        "group_items": checkbox_items(form, "groups", selected["groups"]),
        "measure_items": checkbox_items(form, "measures", selected["measures"]),
        "suppressed_checked": suppressed if valid else bool(request.GET.get("suppressed")),
    }
    if not valid:
        return render(request, "dashboard/theme.html", {**context, **_common(request, run, False)}, status=400)

    who = viewer(request)
    rows = snap.metrics(who, MetricQuery(year, period, measures, groups, breakdown), suppressed=suppressed)
    schools = {s["urn"]: s for s in snap.schools(who)} if breakdown == "school" else {}
    by = "" if breakdown == "all" else f" by {BREAKDOWN_LABELS[breakdown].lower()}"
    caption = f"{THEME_LABELS[theme]}{by}, {year}, {PERIOD_LABELS[period].lower()}"
    breakdown_table, breakdown_spec = figures.breakdown_table(
        rows,
        breakdown=breakdown,
        measures=measures,
        groups=groups,
        schools=schools,
        caption=caption,
        suppressed=suppressed,
    )
    trend_measures = _main_measures(theme)
    trend_rows = snap.metrics(who, MetricQuery(None, None, trend_measures, TREND_GROUPS, "all"), suppressed=suppressed)
    trends_table, trends_spec, by_term = figures.trends_table(
        trend_rows,
        measures=trend_measures,
        groups=TREND_GROUPS,
        caption=f"{THEME_LABELS[theme]} over time: Ever6 CWSW and pupils never CWSW",
        suppressed=suppressed,
    )
    name = f"ever6-{theme}-{year}-{period}-{breakdown}"
    if response := _download(request, {"breakdown": breakdown_table, "trends": trends_table}, name, suppressed):
        return response
    shown, page = _paginate(request, breakdown_table)
    context.update(
        breakdown_table=shown,
        page=page,
        breakdown_spec=breakdown_spec,
        breakdown_rows=len(breakdown_table.rows),
        trends_table=trends_table,
        trends_spec=trends_spec,
        trends_by_term=by_term,
        period_label=PERIOD_LABELS[period],
        year=year,
        group_labels=GROUP_LABELS,
    )
    return render(request, "dashboard/theme.html", {**context, **_common(request, run, suppressed)})


@require(Capability.COHORT_FIGURES)
@cached_page
@_of_published_figures
def schools(request: HttpRequest, snap: Snapshot, run: RunInfo, years: list[str]) -> HttpResponse:
    """Schools ranked by their Ever6 CWSW pupils, share and gaps, with a suggested tier of offer;
    filtered by phase, tier and in or out of the authority; each school linked to its page."""
    who = viewer(request)
    register = {s["urn"]: s for s in snap.schools(who)}
    phases = sorted({str(s["phase"]) for s in register.values() if s.get("phase")})
    form = SchoolsForm(request.GET, years=years, phases=phases)
    valid = form.is_valid()
    thresholds = settings.EVER6_TIERS
    context: dict[str, Any] = {"title": "Schools", "form": form, "tier_rule": describe_rule(thresholds)}
    year, period = form.year, form.value_of("period", "year")
    sort, suppressed = form.value_of("sort", "count"), form.is_suppressed
    show = form.value_of("show", "summary")
    chosen = {name: form.value_of(name, "") for name in ("phase", "tier", "in_la")}

    def items(name: str, value: str, everything: str | None = None) -> list[dict[str, Any]]:
        listed = select_items(form, name, value if valid else str(request.GET.get(name, "")))
        return [{"value": "", "text": everything}, *listed] if everything else listed

    context.update(
        year_items=items("year", year),
        period_items=items("period", period),
        sort_items=items("sort", sort),
        show_items=items("show", show),
        phase_items=items("phase", chosen["phase"], "Every phase"),
        tier_items=items("tier", chosen["tier"], "Every tier"),
        in_la_items=items("in_la", chosen["in_la"], "In and out of the authority"),
        suppressed_checked=suppressed if valid else bool(request.GET.get("suppressed")),
        filtered=any(chosen.values()),
    )
    if not valid:
        return render(request, "dashboard/schools.html", {**context, **_common(request, run, False)}, status=400)

    rows = snap.metrics(
        who, MetricQuery(year, period, ranking.MEASURES, ranking.GROUPS, "school"), suppressed=suppressed
    )
    all_rows = ranking.school_rows(rows, schools=register, la_code=snap.authority_la_code(), thresholds=thresholds)
    school_rows = ranking.sort_rows(ranking.filtered(all_rows, **chosen), sort)
    if who.can(Capability.PARTNERSHIP):  # the school's page is the partnership register's
        in_register = set(School.objects.filter(urn__in=[r["urn"] for r in school_rows]).values_list("urn", flat=True))
        for row in school_rows:
            if row["urn"] in in_register:
                row["href"] = reverse("schools:school", args=[row["urn"]])
    table = ranking.table(
        school_rows,
        caption=f"Schools, {year}, {PERIOD_LABELS[period].lower()}, sorted by {_sentence_case(SORTS[sort])}",
        suppressed=suppressed,
        rule=context["tier_rule"],
    )
    if response := _download(request, {"schools": table}, f"ever6-schools-{year}-{period}-by-{sort}", suppressed):
        return response
    tier_counts = {label: sum(1 for r in all_rows if r["tier"] == label) for label in _tier_labels()}
    shown, page = _paginate(request, table.only(ranking.SHOWN[show]))
    context.update(
        table=shown, page=page, year=year, tier_counts=tier_counts, group_labels=GROUP_LABELS, matched=len(school_rows)
    )
    return render(request, "dashboard/schools.html", {**context, **_common(request, run, suppressed)})


def _sentence_case(label: str) -> str:
    """A label in the middle of a sentence: "Share of ..." -> "share of ...", "Ever6" as it is."""
    return label if label.startswith("Ever6") else label[:1].lower() + label[1:]


def _tier_labels() -> list[str]:
    return [TIER_LABELS[t] for t in reversed(TIERS)] + [ranking.UNDETERMINED]
