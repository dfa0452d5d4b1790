"""The schools and settings register as the Virtual School reads it: each school's cohort count
and share from the published snapshot, its agreement, its tier (set and suggested) and which named
contacts it is missing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from ever6.access import MetricQuery, NotPublished, Viewer
from ever6.web.dashboard.ranking import share as share_text
from ever6.web.dashboard.tiers import TIER_LABELS, suggest_tier
from ever6.web.guard import snapshot
from ever6.web.schools.models import (
    AgreementStatus,
    Contact,
    ContactRole,
    DataSharingAgreement,
    School,
    SettingKind,
    TierDecision,
)
from ever6.web.tables import Figure

STATUS_LABELS = dict(AgreementStatus.choices)
ROLE_LABELS = dict(ContactRole.choices)
KIND_LABELS = dict(SettingKind.choices)


@dataclass(frozen=True)
class TierFigures:
    """A school's Ever6 CWSW count and share in the latest published year, and the suggested tier."""

    academic_year: str
    count: int | None  # None: not published for this school
    share: float | None  # percent of the school's pupils
    suggested: str | None  # a tier, or None when the figures cannot support a suggestion

    @property
    def suggested_label(self) -> str:
        return TIER_LABELS[self.suggested] if self.suggested else "No suggestion: figures not published"


def tier_figures(who: Viewer, urns: Iterable[str] | None = None) -> dict[str, TierFigures]:
    """Figures for the schools named (all when ``None``), from the latest published year.

    Empty before the first refresh.
    """
    snap = snapshot()
    try:
        years = snap.academic_years()
    except NotPublished:
        return {}
    if not years:
        return {}
    year = years[-1]
    values = tuple(urns) if urns is not None else None
    rows = snap.metrics(who, MetricQuery(year, "year", ("pupils",), ("cwsw", "all_pupils"), "school", values))
    cells: dict[str, dict[str, Figure]] = defaultdict(dict)
    for row in rows:
        cells[str(row["breakdown_value"])][str(row["group"])] = Figure.of(row, count=True)
    out: dict[str, TierFigures] = {}
    for urn, c in cells.items():
        cwsw, total = c.get("cwsw", Figure("x")), c.get("all_pupils", Figure("x"))
        count, pct = cwsw.number, share_text(cwsw, total).number
        out[urn] = TierFigures(
            year,
            None if count is None else int(count),
            pct,
            suggest_tier(count, pct, settings.EVER6_TIERS),
        )
    return out


def latest_agreements() -> dict[str, DataSharingAgreement]:
    latest: dict[str, DataSharingAgreement] = {}
    for agreement in DataSharingAgreement.objects.order_by("-recorded_at", "-id"):
        latest.setdefault(agreement.school_id, agreement)
    return latest


def latest_tiers() -> dict[str, TierDecision]:
    latest: dict[str, TierDecision] = {}
    for decision in TierDecision.objects.order_by("-decided_at", "-id"):
        latest.setdefault(decision.school_id, decision)
    return latest


def missing_roles(contacts: Iterable[Contact], today: date) -> list[str]:
    """The named roles with no contact in post today, in the guidance's order."""
    held = {c.role for c in contacts if c.current_on(today)}
    return [value for value, _ in ContactRole.choices if value not in held]


def contacts_by_school() -> dict[str, list[Contact]]:
    out: dict[str, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.all():
        out[contact.school_id].append(contact)
    return out


REGISTER_COLUMNS = (
    ("name", "School or setting"),
    ("urn", "URN"),
    ("kind", "Kind"),
    ("phase", "Phase"),
    ("in_la", "In this authority"),
    ("pupils", "Ever6 CWSW pupils"),
    ("agreement", "Agreement status"),
    ("tier", "Tier"),
    ("suggested", "Suggested tier"),
    ("missing", "Missing contacts"),
)


@dataclass(frozen=True)
class RegisterEntry:
    school: School
    pupils: int | None  # None before the first refresh
    agreement: str
    tier: str  # "" when no tier has been set
    suggested: str | None
    missing: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.school.name,
            "urn": self.school.urn,
            "kind": KIND_LABELS.get(self.school.kind, self.school.kind),
            "phase": self.school.phase,
            "in_la": "Yes" if self.school.in_la else "No",
            "pupils": self.pupils,
            "agreement": STATUS_LABELS[self.agreement],
            "tier": TIER_LABELS.get(self.tier, "Not set"),
            "suggested": TIER_LABELS[self.suggested] if self.suggested else "None",
            "missing": ", ".join(ROLE_LABELS[r] for r in self.missing) if self.missing else "None missing",
        }


def register_entries(who: Viewer, counts: dict[str, int] | None, today: date) -> list[RegisterEntry]:
    agreements = latest_agreements()
    tiers = latest_tiers()
    contacts = contacts_by_school()
    figures = tier_figures(who) if counts is not None else {}
    entries = []
    for school in School.objects.all():
        agreement = agreements.get(school.urn)
        decision = tiers.get(school.urn)
        figure = figures.get(school.urn)
        entries.append(
            RegisterEntry(
                school=school,
                pupils=None if counts is None else counts.get(school.urn, 0),
                agreement=agreement.effective_status(today) if agreement else str(AgreementStatus.NOT_SENT),
                tier=decision.tier if decision else "",
                suggested=figure.suggested if figure else None,
                missing=missing_roles(contacts.get(school.urn, []), today),
            )
        )
    return sorted(entries, key=lambda e: (e.school.name.lower(), e.school.urn))
