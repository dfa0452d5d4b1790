"""The cohort's profile: how many children, by status and by each characteristic, at the run's date
and the same day of each earlier year the figures hold (``docs/cohort.md``, The cohort's profile).

Each characteristic is a chart followed by its table. Counts of children, never a child: exact for
the Virtual School, and as shared outside it (``?suppressed=1``, and downloads named so) through
disclosure control, computed by the refresh (:mod:`ever6.metrics.profile`) and read through
:meth:`ever6.access.Snapshot.profile`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ever6.access import Capability, NotPublished
from ever6.assessment_factors import FACTOR_GROUPS
from ever6.web.charts import Point, bar_chart
from ever6.web.dashboard import figures
from ever6.web.dashboard.forms import select_items
from ever6.web.dashboard.labels import GROUP_LABELS, THEME_LABELS
from ever6.web.dashboard.views import _not_published as page_not_published
from ever6.web.guard import require, snapshot, viewer
from ever6.web.pagecache import cacheable, cached_page
from ever6.web.tables import Figure, Table, requested_download

# Kept here, not imported from the analytics: the web layer loads no Ibis. The names are the
# snapshot's (ever6.metrics.profile); tests check both agree.
FACTOR_PREFIX = "assessment_factor/"
DISABILITY_PREFIX = "disability_type/"
RECORDED = "recorded"

PROFILE_GROUPS = {
    "cwsw": GROUP_LABELS["cwsw"],
    "cpp": GROUP_LABELS["cpp"],
    "cin": GROUP_LABELS["cin"],
    "cinp": GROUP_LABELS["cinp"],
    "cin_other": GROUP_LABELS["cin_other"],
    "ever6_previous": GROUP_LABELS["ever6_previous"],
    "cla": GROUP_LABELS["cla"],
    "all_children": "All children (Ever6 CWSW and looked after)",
}
STATUS_ROWS = ("cpp", "cinp", "cin_other", "ever6_previous", "cla")


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    values: Mapping[str, str] | None = None  # value -> label, in order; None: as found, sorted


SECTIONS = (
    Section(
        "age_band",
        "Age",
        {
            "under 1": "Under 1",
            "1 to 4": "1 to 4",
            "5 to 9": "5 to 9",
            "10 to 15": "10 to 15",
            "16 and over": "16 and over",
        },
    ),
    Section("sex", "Sex"),
    Section("ethnicity", "Ethnicity"),
    Section(
        "disability",
        "Disability",
        {"disability": "One or more disabilities", "no disability": "No disability", "not known": "Not recorded"},
    ),
    Section(
        "primary_need",
        "Primary need (latest qualifying episode)",
        {
            "N1": "N1 Abuse or neglect",
            "N2": "N2 Child's disability",
            "N3": "N3 Parental disability or illness",
            "N4": "N4 Family in acute stress",
            "N5": "N5 Family dysfunction",
            "N6": "N6 Socially unacceptable behaviour",
            "N7": "N7 Low income",
            "N8": "N8 Absent parenting",
            "N9": "N9 Cases other than children in need",
            "N0": "N0 Not stated",
            "not known": "Not known",
        },
    ),
    Section(
        "category_of_abuse",
        "Latest category of abuse (child protection plans)",
        {
            "NEG": "Neglect",
            "EMO": "Emotional abuse",
            "PHY": "Physical abuse",
            "SAB": "Sexual abuse",
            "MUL": "Multiple",
            "no child protection plan": "No child protection plan",
            "not known": "Not known",
        },
    ),
    Section(
        "sen",
        "Special educational needs (school census)",
        {"E": "EHC plan", "K": "SEN support", "N": "No SEN", "not known": "Not known (no school record)"},
    ),
    Section(
        "fsm",
        "Free school meals (Ever6, school census)",
        {"FSM": "Ever6 FSM", "not FSM": "Not Ever6 FSM", "not known": "Not known (no school record)"},
    ),
)
MULTI = (
    (FACTOR_PREFIX, "factors", "Assessment factors ever recorded", "Assessment factor"),
    (DISABILITY_PREFIX, "disabilities", "Types of disability recorded", "Type of disability"),
)
NOTE_EXACT = "Children counted once in each row. Unsuppressed: for use inside the Virtual School only."
NOTE_SHARED = "As shared outside the Virtual School: c means withheld, to protect the children behind small counts."
NOTE_MULTI = " A child with several is counted in each; percentages are of all children in the group."


class ProfileForm(forms.Form):
    group = forms.ChoiceField(
        label="Children",
        choices=list(PROFILE_GROUPS.items()),
        required=False,
        error_messages={"invalid_choice": "Select which children to show from the list"},
    )
    suppressed = forms.BooleanField(required=False)

    def clean_suppressed(self) -> bool:
        raw = self.data.get("suppressed", "")
        if raw not in ("", "1", "on", "true"):
            raise forms.ValidationError("Choose whether to show suppressed figures using the checkbox")
        return bool(raw)


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _figure(row: Mapping[str, Any] | None) -> Figure:
    if row is None:
        return Figure("0", 0.0, count=True)
    return Figure(str(row["value"]), row["figure"], count=True)


def _share(n: Figure, total: Figure) -> Figure:
    """A count as a percentage of its group, when both are shown (a withheld count shows ``c``)."""
    if n.number is None:
        return Figure(n.text)
    if total.number is None:
        return Figure("c" if total.text == "c" else "x")
    if not total.number:
        return Figure("z")
    return Figure(f"{100 * n.number / total.number:.1f}", round(100 * n.number / total.number, 1))


class Profile:
    """The profile's rows for one group, indexed by date, breakdown and value."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], group: str) -> None:
        self.cells: dict[tuple[str, str, str, str], Mapping[str, Any]] = {}
        for r in rows:
            self.cells[(str(r["as_at"]), str(r["group"]), str(r["breakdown"]), str(r["breakdown_value"]))] = r
        self.dates = sorted({k[0] for k in self.cells})
        self.group = group

    def get(self, day: str, breakdown: str, value: str, group: str | None = None) -> Figure:
        return _figure(self.cells.get((day, group or self.group, breakdown, value)))

    def values(self, breakdown: str) -> list[str]:
        return sorted({k[3] for k in self.cells if k[2] == breakdown and k[1] == self.group})

    def breakdowns(self, prefix: str) -> list[str]:
        return sorted({k[2] for k in self.cells if k[2].startswith(prefix)})


def _table(
    profile: Profile,
    caption: str,
    first: str,
    rows: Sequence[tuple[str, str, str, str]],
    note: str,
) -> tuple[Table, dict[str, Any] | None]:
    """Rows (label, breakdown, value, group) down; for each date the count and the share of the
    group. The chart: each row's count at each date."""
    dates = profile.dates
    labels = [_day(date.fromisoformat(d)) for d in dates]
    columns: list[tuple[str, str]] = [("label", first)]
    for i, label in enumerate(labels):
        columns += [(f"n{i}", f"Children, {label}"), (f"p{i}", f"% of the group, {label}")]
    table_rows, points = [], []
    for label, breakdown, value, group in rows:
        row: dict[str, Any] = {"label": label}
        for i, day in enumerate(dates):
            n = profile.get(day, breakdown, value, group)
            total = profile.get(day, "all", "all")  # the share is of the profile's own group
            row[f"n{i}"] = n
            row[f"p{i}"] = _share(n, total)
            if n.number is not None:
                points.append(Point(label, labels[i], float(n.number)))
        table_rows.append(row)
    numeric = frozenset(k for k, _ in columns[1:])
    table = Table(caption, columns, table_rows, numeric=numeric, note=note)
    spec = bar_chart(
        points,
        title=caption,
        category_title=first,
        value_title="Children",
        categories=[r[0] for r in rows],
        series=labels,
    )
    return table, spec


def profile_tables(
    rows: Iterable[Mapping[str, Any]], group: str, shared: bool
) -> list[tuple[str, Table, dict[str, Any] | None]]:
    """Every figure of the page, in order: ``(key, table, chart)``."""
    profile = Profile(rows, group)
    note = NOTE_SHARED if shared else NOTE_EXACT
    who = PROFILE_GROUPS[group]
    out: list[tuple[str, Table, dict[str, Any] | None]] = []
    status_rows = [(GROUP_LABELS[g], "all", "all", g) for g in STATUS_ROWS]
    status_rows.append((PROFILE_GROUPS["all_children"], "all", "all", "all_children"))
    # By status the share is of all children.
    status = Profile(rows, "all_children")
    out.append(("status", *_table(status, "Children by status", "Status", status_rows, note)))
    for section in SECTIONS:
        values = section.values or {v: v for v in profile.values(section.key)}
        found = set(profile.values(section.key))
        ordered = [(label, section.key, v, group) for v, label in values.items() if v in found]
        ordered += [(v, section.key, v, group) for v in sorted(found - set(values))]
        caption = f"{section.heading}: {who.lower() if group != 'cwsw' else who}"
        out.append((section.key, *_table(profile, caption, section.heading, ordered, note)))
    for prefix, key, heading, first in MULTI:
        breakdowns = profile.breakdowns(prefix)
        if key == "factors":
            order = {b: i for i, b in enumerate(FACTOR_GROUPS)}
            breakdowns.sort(key=lambda b: (order.get(b[len(prefix) :], len(order)), b))
        ordered = [(b[len(prefix) :], b, RECORDED, group) for b in breakdowns]
        caption = f"{heading}: {who.lower() if group != 'cwsw' else who}"
        out.append((key, *_table(profile, caption, first, ordered, note + NOTE_MULTI)))
    return out


@require(Capability.COHORT_FIGURES)
@cached_page
def profile(request: HttpRequest) -> HttpResponse:
    """The profile page: which children and which version, then each characteristic's chart and table."""
    snap = snapshot()
    form = ProfileForm(request.GET)
    valid = form.is_valid()
    group = (form.cleaned_data.get("group") or "cwsw") if valid else "cwsw"
    shared = bool(valid and form.cleaned_data.get("suppressed"))
    try:
        run = snap.run()
        rows = snap.profile(viewer(request), shared=shared)
    except NotPublished:  # including a snapshot from before the profile was published
        return page_not_published(request)
    context: dict[str, Any] = {
        "title": "The cohort's profile",
        "form": form,
        "group_items": select_items(form, "group", group if valid else str(request.GET.get("group", ""))),
        "suppressed": shared,
        "run_summary": figures.run_summary(run),
        "themes": list(THEME_LABELS.items()),
        **cacheable(request),
    }
    if not valid:
        return render(request, "dashboard/profile.html", context, status=400)
    figures_ = profile_tables(rows, group, shared)
    suffix = f"-{group}-{figures.file_suffix(shared)}"
    if response := requested_download(request, {k: t for k, t, _ in figures_}, "ever6-profile", suffix=suffix):
        return response
    return render(request, "dashboard/profile.html", {**context, "figures": figures_, "has_rows": bool(rows)})
