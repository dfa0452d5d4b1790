"""Flow into and out of social care per month: referrals, entry into CIN, plans started and ended,
episodes closed and the net change, by the child's status at the run's date and, where the
authority defines localities, the child's locality of residence (``docs/cohort.md``, Flow per
month), as a chart and its table.

Counts of children's social-care events, unsuppressed: for use inside the Virtual School only,
like the dashboard's unsuppressed figures; the page says so and the downloads are named so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from ever6.access import Capability, NotPublished
from ever6.localities import UNKNOWN
from ever6.web.charts import Point, line_chart
from ever6.web.dashboard import figures
from ever6.web.dashboard.forms import select_items
from ever6.web.dashboard.labels import THEME_LABELS
from ever6.web.dashboard.views import _not_published as page_not_published
from ever6.web.guard import require, snapshot, viewer
from ever6.web.pagecache import cacheable, cached_page
from ever6.web.tables import Table, requested_download

EVENT_LABELS = {
    "referrals": "Referrals",
    "assessments_authorised": "Assessments authorised (entry into CIN)",
    "cin_plans_started": "CIN plans started",
    "cin_plans_ended": "CIN plans ended",
    "cp_plans_started": "CP plans started",
    "cp_plans_ended": "CP plans ended",
    "episodes_closed": "Episodes closed",
    "net_change": "Net change in open episodes",
}
STATUS_LABELS = {
    "": "All children",
    "CLA": "Looked after now",
    "CPP": "On a child protection plan now",
    "CINP": "On a child in need plan now",
    "CIN_OTHER": "Other child in need now",
    "EVER6_PREVIOUS": "Previously CWSW (no longer open)",
    "not in cohort": "Not in the cohort now (for example, no further action)",
}


ALL_LOCALITIES = "All localities"
UNKNOWN_LOCALITY = "Unknown (no postcode, or one in no locality)"


class FlowForm(forms.Form):
    status = forms.ChoiceField(
        label="Children",
        choices=list(STATUS_LABELS.items()),
        required=False,
        error_messages={"invalid_choice": "Select which children to show from the list"},
    )

    def __init__(self, data: QueryDict, *, localities: list[str]) -> None:
        super().__init__(data)
        # The localities the published flow holds (none when the authority defines none).
        self.fields["locality"] = forms.ChoiceField(
            label="Locality where the child lives",
            choices=[("", ALL_LOCALITIES), *((name, locality_label(name)) for name in localities)],
            required=False,
            error_messages={"invalid_choice": "Select a locality from the list"},
        )


def locality_label(name: str) -> str:
    return UNKNOWN_LOCALITY if name == UNKNOWN else name


def flow_localities(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The localities of the published flow, by name with ``unknown`` last."""
    names = {r["locality"] for r in rows if r["locality"] is not None}
    return sorted(names, key=lambda n: (n == UNKNOWN, n))


def _month(day: date) -> str:
    return f"{day:%b %Y}"


def flow_table(
    rows: Iterable[Mapping[str, Any]], status: str, locality: str = "", *, by_locality: bool = False
) -> tuple[Table, dict[str, Any] | None]:
    """Months down, events across (a month with no event shows 0), and the chart of the same, for
    one locality of residence (``""``: all localities). ``by_locality``: the flow has localities,
    and the table carries the locality chosen as a column (for its downloads)."""
    counts: dict[tuple[date, str], int] = {}
    for r in rows:
        if (status and r["status"] != status) or r["locality"] != (locality or None):
            continue
        key = (r["month"], r["event"])
        counts[key] = counts.get(key, 0) + int(r["count"])
    months = sorted({m for m, _ in counts})
    if months:  # every month of the range, including those with no event
        first, last = months[0], months[-1]
        months, day = [], first
        while day <= last:
            months.append(day)
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    who = STATUS_LABELS[status].lower()
    caption = f"Flow into and out of social care per month: {who}"
    place: dict[str, str] = {}
    if by_locality:
        place = {"locality": locality_label(locality) if locality else ALL_LOCALITIES}
        caption += f", {place['locality'] if locality else ALL_LOCALITIES.lower()}"
    table = Table(
        caption,
        [*(("locality", "Locality") for _ in place), ("month", "Month"), *EVENT_LABELS.items()],
        [{**place, "month": _month(m), **{e: counts.get((m, e), 0) for e in EVENT_LABELS}} for m in months],
        numeric=frozenset(EVENT_LABELS),
        note="Counts of events in each month, as known at the date of the figures. Unsuppressed: for use "
        "inside the Virtual School only.",
    )
    points = [Point(_month(m), EVENT_LABELS[e], float(counts.get((m, e), 0))) for m in months for e in EVENT_LABELS]
    spec = line_chart(
        points,
        title=caption,
        category_title="Month",
        value_title="Number",
        categories=[_month(m) for m in months],
        series=list(EVENT_LABELS.values()),
    )
    return table, spec


@require(Capability.COHORT_FIGURES)
@cached_page
def flow(request: HttpRequest) -> HttpResponse:
    """The flow page: a status choice, a chart and its table, each downloadable."""
    snap = snapshot()
    try:
        run = snap.run()
        rows = snap.flow(viewer(request))
    except NotPublished:  # including a snapshot from before flow was published
        return page_not_published(request)
    localities = flow_localities(rows)
    form = FlowForm(request.GET, localities=localities)
    valid = form.is_valid()
    status = form.cleaned_data.get("status", "") if valid else ""
    locality = form.cleaned_data.get("locality", "") if valid else ""
    context: dict[str, Any] = {
        "title": "Flow into and out of social care",
        "form": form,
        "status_items": select_items(form, "status", status if valid else str(request.GET.get("status", ""))),
        "locality_items": select_items(form, "locality", locality if valid else str(request.GET.get("locality", ""))),
        "by_locality": bool(localities),
        "run_summary": figures.run_summary(run),
        "themes": list(THEME_LABELS.items()),
        **cacheable(request),
    }
    if not valid:
        return render(request, "dashboard/flow.html", context, status=400)
    table, spec = flow_table(rows, status, locality, by_locality=bool(localities))
    place = f"-{locality}" if locality else ""
    suffix = f"-{status or 'all'}{place}-{figures.file_suffix(False)}".replace(" ", "-")
    if response := requested_download(request, {"flow": table}, "ever6-flow", suffix=suffix):
        return response
    # The page names the locality in the caption; the downloads carry it as a column too.
    shown = table.only([k for k, _ in table.columns if k != "locality"])
    return render(request, "dashboard/flow.html", {**context, "table": shown, "spec": spec})
