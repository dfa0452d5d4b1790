"""The measures by locality (``docs/cohort.md``, Localities): where the child lives (``locality``)
or where the school is (``school_locality``), a theme's main measures for Ever6 CWSW pupils and
pupils never CWSW, as a chart and its table; exact, or as shared outside the Virtual School.

The figures are the published measures' own ``locality`` and ``school_locality`` breakdowns, read
through :meth:`ever6.access.Snapshot.metrics` like every theme page's.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.http.request import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from ever6.access import Capability, MetricQuery, NotPublished, Snapshot
from ever6.web.dashboard import figures
from ever6.web.dashboard.flow import flow_localities, locality_label
from ever6.web.dashboard.forms import FiguresForm, select_items
from ever6.web.dashboard.labels import BREAKDOWN_LABELS, PERIOD_LABELS, THEME_LABELS
from ever6.web.dashboard.views import (
    TREND_GROUPS,
    _common,
    _download,
    _latest_year_with_figures,
    _main_measures,
    _not_published,
    _published,
)
from ever6.web.guard import require, snapshot, viewer
from ever6.web.pagecache import cached_page

PLACES = {"locality": "Where the child lives", "school_locality": "Where the school is"}


class LocalitiesForm(FiguresForm):
    """Year and version (as every figures page), which locality and which theme."""

    def __init__(self, data: QueryDict, *, years: list[str], default_year: str | None = None) -> None:
        super().__init__(data, years=years, default_year=default_year)
        self.fields["by"] = forms.ChoiceField(
            label="Locality",
            choices=list(PLACES.items()),
            required=False,
            error_messages={"invalid_choice": "Select where to place each pupil from the list"},
        )
        self.fields["theme"] = forms.ChoiceField(
            label="Theme",
            choices=list(THEME_LABELS.items()),
            required=False,
            error_messages={"invalid_choice": "Select a theme from the list"},
        )


def flow_links(snap: Snapshot, request: HttpRequest) -> list[tuple[str, str]]:
    """Each locality's flow into and out of social care (``/dashboard/flow/``): its label and
    link, for the localities the published flow holds (none before a refresh published them)."""
    try:
        rows = snap.flow(viewer(request))
    except NotPublished:
        return []
    base = reverse("dashboard:flow")
    return [(locality_label(name), f"{base}?{urlencode({'locality': name})}") for name in flow_localities(rows)]


def _theme_of(request: HttpRequest) -> str:
    chosen = str(request.GET.get("theme", ""))
    return chosen if chosen in THEME_LABELS else "attendance"


@require(Capability.COHORT_FIGURES)
@cached_page
def localities(request: HttpRequest) -> HttpResponse:
    """A theme's main measures by locality of residence or of school, for one academic year."""
    snap: Snapshot = snapshot()
    published = _published(snap)
    if published is None:
        return _not_published(request)
    run, years = published
    theme = _theme_of(request)
    measures = ("pupils", *_main_measures(theme)) if theme == "attendance" else _main_measures(theme)
    default_year = _latest_year_with_figures(snap, viewer(request), _main_measures(theme), years)
    form = LocalitiesForm(request.GET, years=years, default_year=default_year)
    valid = form.is_valid()
    year = form.year
    by = form.value_of("by", "locality")
    suppressed = form.is_suppressed
    context: dict[str, Any] = {
        "title": "Localities",
        "form": form,
        "year_items": select_items(form, "year", year if valid else str(request.GET.get("year", ""))),
        "by_items": select_items(form, "by", by if valid else str(request.GET.get("by", ""))),
        "theme_items": select_items(form, "theme", theme if valid else str(request.GET.get("theme", ""))),
        "suppressed_checked": suppressed if valid else bool(request.GET.get("suppressed")),
    }
    if not valid:
        return render(request, "dashboard/localities.html", {**context, **_common(request, run, False)}, status=400)
    rows = snap.metrics(viewer(request), MetricQuery(year, "year", measures, TREND_GROUPS, by), suppressed=suppressed)
    caption = f"{THEME_LABELS[theme]} by {BREAKDOWN_LABELS[by].lower()}, {year}, {PERIOD_LABELS['year'].lower()}"
    table, spec = figures.breakdown_table(
        rows, breakdown=by, measures=measures, groups=TREND_GROUPS, schools={}, caption=caption, suppressed=suppressed
    )
    if response := _download(request, {"localities": table}, f"ever6-localities-{theme}-{year}-{by}", suppressed):
        return response
    context.update(
        table=table, spec=spec, has_rows=bool(rows), by_label=PLACES[by], flow_links=flow_links(snap, request)
    )
    return render(request, "dashboard/localities.html", {**context, **_common(request, run, suppressed)})
