"""The dashboard's GET filter forms. Every value is checked against what was published, so a
mistyped or stale link gives an error message, never a server error or an unfiltered query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import QueryDict

from ever6.metrics.measures import GROUPS, PERIODS
from ever6.web.dashboard.labels import BREAKDOWN_LABELS, GROUP_LABELS, PERIOD_LABELS, measure_label
from ever6.web.dashboard.ranking import IN_LA_FILTERS, SHOWN_LABELS, TIER_FILTERS

DEFAULT_GROUPS = ("cwsw", "not_cwsw", "all_pupils")

SORTS = {
    "count": "Ever6 CWSW pupils (most first)",
    "share": "Share of pupils who are Ever6 CWSW (highest first)",
    "absence_gap": "Absence gap against pupils never CWSW (widest first)",
    "suspension_gap": "Suspension gap against pupils never CWSW (widest first)",
    "name": "School name (A to Z)",
}


def _choice(label: str, choices: Sequence[tuple[str, str]], message: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=list(choices), required=False, error_messages={"invalid_choice": message}
    )


class _Checkboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose label id is the first box's (``id_groups_0``): Django's own gives none for
    a group, and the GOV.UK error summary must link to a box."""

    def id_for_label(self, id_: str, index: str | None = "0") -> str:
        return f"{id_}_{index or 0}" if id_ else ""


def _multiple(label: str, choices: Sequence[tuple[str, str]], message: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=list(choices),
        required=False,
        widget=_Checkboxes,
        error_messages={"invalid_choice": message},
    )


class FiguresForm(forms.Form):
    """The filters every figures page has: academic year and the suppression toggle."""

    suppressed = forms.BooleanField(required=False)

    def __init__(
        self, data: QueryDict, *, years: Sequence[str], default_year: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.years = list(years)
        # The year shown when none is chosen: the latest, unless the page's measures have no figures
        # for it (attainment is published a year behind).
        self.default_year = default_year if default_year in self.years else None
        self.fields["year"] = _choice(
            "Academic year", [(y, y) for y in reversed(self.years)], "Select an academic year that has been published"
        )

    @property
    def year(self) -> str:
        chosen = self.cleaned_data.get("year") if self.is_valid() else None
        return chosen or self.default_year or self.years[-1]

    @property
    def is_suppressed(self) -> bool:
        return bool(self.is_valid() and self.cleaned_data.get("suppressed"))

    def value_of(self, name: str, default: Any) -> Any:
        """A cleaned value, or ``default`` when it was not given (or the form has errors)."""
        if not self.is_valid():
            return default
        chosen = self.cleaned_data.get(name)
        return chosen if chosen else default

    def clean_suppressed(self) -> bool:
        # A checkbox sends "1"; anything else that is not empty is a tampered link.
        raw = self.data.get("suppressed", "")
        if raw not in ("", "1", "on", "true"):
            raise forms.ValidationError("Choose whether to show suppressed figures using the checkbox")
        return bool(raw)


class ThemeForm(FiguresForm):
    """A theme page: year, period, breakdown, groups and measures."""

    def __init__(
        self,
        data: QueryDict,
        *,
        years: Sequence[str],
        measures: Sequence[str],
        default_year: str | None = None,
        groups: Sequence[str] = GROUPS,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, years=years, default_year=default_year, **kwargs)
        self.fields["period"] = _choice(
            "Period", [(p, PERIOD_LABELS[p]) for p in PERIODS], "Select a period: the whole year or a term"
        )
        self.fields["breakdown"] = _choice(
            "Break down by", list(BREAKDOWN_LABELS.items()), "Select a breakdown from the list"
        )
        self.fields["groups"] = _multiple(
            "Groups", [(g, GROUP_LABELS[g]) for g in groups], "Select groups from the list"
        )
        self.fields["measures"] = _multiple(
            "Measures", [(m, measure_label(m)) for m in measures], "Select measures from the list"
        )


class SchoolsForm(FiguresForm):
    """The schools page: year, period, sort order, columns, and filters by phase, tier and whether
    the school is in the authority."""

    def __init__(self, data: QueryDict, *, years: Sequence[str], phases: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(data, years=years, **kwargs)
        self.fields["phase"] = _choice("Phase", [(p, p) for p in phases], "Select a phase from the list")
        self.fields["tier"] = _choice("Suggested tier", list(TIER_FILTERS.items()), "Select a tier from the list")
        self.fields["in_la"] = _choice(
            "In or out of the authority", list(IN_LA_FILTERS.items()), "Select in or out of the authority"
        )
        self.fields["period"] = _choice(
            "Period", [(p, PERIOD_LABELS[p]) for p in PERIODS], "Select a period: the whole year or a term"
        )
        self.fields["sort"] = _choice("Sort schools by", list(SORTS.items()), "Select a sort order from the list")
        self.fields["show"] = _choice("Columns to show", list(SHOWN_LABELS.items()), "Select columns from the list")


def checkbox_items(form: forms.Form, name: str, selected: Sequence[str]) -> list[dict[str, Any]]:
    """GOV.UK checkbox items with the ids Django's error summary links to (``id_<name>_<n>``)."""
    field = form.fields[name]
    return [
        {"value": value, "text": label, "id": f"id_{name}_{i}", "checked": value in selected}
        for i, (value, label) in enumerate(field.choices)
    ]


def select_items(form: forms.Form, name: str, selected: str) -> list[dict[str, Any]]:
    field = form.fields[name]
    return [{"value": value, "text": label, "selected": value == selected} for value, label in field.choices]
