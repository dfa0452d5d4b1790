"""Training coverage: of the schools with Ever6 CWSW pupils, how many have had their DSL / CWSW
lead or designated teacher at a session, by the tier of the Virtual School's offer.

The cohort comes from the published snapshot (linked Ever6 CWSW pupils on roll per school). A
school's tier is the Virtual School's latest decision for it (``schools.TierDecision``); a school
with no decision has the tier the figures suggest (the dashboard's rule, on the latest published
academic year); when those figures are suppressed the tier is "not determined".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from ever6.access import MetricQuery, NotPublished, Snapshot, Viewer
from ever6.web.charts import Point, bar_chart
from ever6.web.dashboard import ranking
from ever6.web.dashboard.tiers import TIER_LABELS, TIERS
from ever6.web.schools.models import School, TierDecision
from ever6.web.tables import Table
from ever6.web.training.models import COVERAGE_ROLES, Attendance, AttendeeRole, Registration, long_date

NOT_DETERMINED = "Not determined"
DECIDED = "Decided by the Virtual School"
SUGGESTED = "Suggested from the published figures"
UNKNOWN = "Figures suppressed or not published"

# Tiers as rows, highest first, then the schools whose tier cannot be told.
TIER_ORDER = (*(TIER_LABELS[t] for t in reversed(TIERS)), NOT_DETERMINED)

TIER_COLUMNS = (
    ("tier", "Tier"),
    ("schools", "Schools with Ever6 CWSW pupils"),
    ("covered", "Schools whose DSL or designated teacher attended"),
    ("share", "Schools covered (%)"),
    ("pupils", "Ever6 CWSW pupils at these schools"),
    ("pupils_covered", "Ever6 CWSW pupils at covered schools"),
)
SCHOOL_COLUMNS = (
    ("name", "School"),
    ("urn", "URN"),
    ("tier", "Tier"),
    ("tier_basis", "Tier from"),
    ("pupils", "Ever6 CWSW pupils"),
    ("dsl", "DSL / CWSW lead attended"),
    ("designated_teacher", "Designated teacher attended"),
    ("last_attended", "Last attended"),
    ("covered", "Covered"),
)


@dataclass(frozen=True)
class SchoolCoverage:
    urn: str
    name: str
    tier: str
    tier_basis: str
    pupils: int
    dsl_attended: date | None  # the latest session a DSL / CWSW lead attended
    teacher_attended: date | None

    @property
    def covered(self) -> bool:
        return self.dsl_attended is not None or self.teacher_attended is not None

    def as_dict(self) -> dict[str, Any]:
        last = max((d for d in (self.dsl_attended, self.teacher_attended) if d), default=None)
        return {
            "name": self.name,
            "urn": self.urn,
            "tier": self.tier,
            "tier_basis": self.tier_basis,
            "pupils": self.pupils,
            "dsl": "Yes" if self.dsl_attended else "No",
            "designated_teacher": "Yes" if self.teacher_attended else "No",
            "last_attended": long_date(last),
            "covered": "Yes" if self.covered else "No",
        }


def suggested_tiers(snap: Snapshot, who: Viewer) -> dict[str, str]:
    """URN to the suggested tier's label, from the latest published year (as the dashboard does)."""
    years = snap.academic_years()
    if not years:
        return {}
    rows = snap.metrics(who, MetricQuery(years[-1], "year", ranking.MEASURES, ranking.GROUPS, "school"))
    register = {s["urn"]: s for s in snap.schools(who)}
    school_rows = ranking.school_rows(
        rows, schools=register, la_code=snap.authority_la_code(), thresholds=settings.EVER6_TIERS
    )
    return {r["urn"]: r["tier"] for r in school_rows if r["tier"] in TIER_ORDER}


def decided_tiers(urns: Iterable[str]) -> dict[str, str]:
    """URN to the label of the Virtual School's latest tier decision, where one was made."""
    latest: dict[str, str] = {}
    for decision in TierDecision.objects.filter(school_id__in=list(urns)).order_by("-decided_at", "-id"):
        latest.setdefault(decision.school_id, decision.get_tier_display())
    return latest


def attended_by_school(since: date | None = None, until: date | None = None) -> dict[str, dict[str, date]]:
    """URN to {role: latest session date} for DSLs and designated teachers who attended."""
    found = Registration.objects.filter(attendance=Attendance.ATTENDED, role__in=COVERAGE_ROLES, school__isnull=False)
    if since is not None:
        found = found.filter(session__date__gte=since)
    if until is not None:
        found = found.filter(session__date__lte=until)
    out: dict[str, dict[str, date]] = {}
    for urn, role, day in found.values_list("school_id", "role", "session__date"):
        by_role = out.setdefault(urn, {})
        if role not in by_role or day > by_role[role]:
            by_role[role] = day
    return out


def school_coverage(
    counts: Mapping[str, int],
    *,
    decided: Mapping[str, str],
    suggested: Mapping[str, str],
    attended: Mapping[str, Mapping[str, date]],
    names: Mapping[str, str],
) -> list[SchoolCoverage]:
    """One row per school with Ever6 CWSW pupils, most pupils first."""
    rows = []
    for urn, pupils in counts.items():
        if pupils <= 0:
            continue
        if urn in decided:
            tier, basis = decided[urn], DECIDED
        elif urn in suggested:
            tier, basis = suggested[urn], SUGGESTED
        else:
            tier, basis = NOT_DETERMINED, UNKNOWN
        went = attended.get(urn, {})
        rows.append(
            SchoolCoverage(
                urn=urn,
                name=names.get(urn, "Not in the schools register"),
                tier=tier,
                tier_basis=basis,
                pupils=pupils,
                dsl_attended=went.get(str(AttendeeRole.DSL)),
                teacher_attended=went.get(str(AttendeeRole.DESIGNATED_TEACHER)),
            )
        )
    return sorted(rows, key=lambda r: (-r.pupils, r.name.lower(), r.urn))


def share(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}" if whole else "z"


def by_tier(rows: list[SchoolCoverage]) -> list[dict[str, Any]]:
    """One row per tier (highest first; a tier with no schools is left out) and a total row."""
    out = []
    for tier in TIER_ORDER:
        in_tier = [r for r in rows if r.tier == tier]
        if not in_tier:
            continue
        out.append(_summary(tier, in_tier))
    out.append(_summary("All tiers", rows))
    return out


def _summary(label: str, rows: list[SchoolCoverage]) -> dict[str, Any]:
    covered = [r for r in rows if r.covered]
    return {
        "tier": label,
        "schools": len(rows),
        "covered": len(covered),
        "share": share(len(covered), len(rows)),
        "pupils": sum(r.pupils for r in rows),
        "pupils_covered": sum(r.pupils for r in covered),
    }


def tier_table(rows: list[dict[str, Any]], period_text: str) -> Table:
    return Table(
        f"Schools with Ever6 CWSW pupils whose DSL or designated teacher attended training, by tier ({period_text})",
        TIER_COLUMNS,
        rows,
        frozenset({"schools", "covered", "share", "pupils", "pupils_covered"}),
        "A school is covered when its DSL / CWSW lead or its designated teacher has attended a session. "
        "z: no schools in the tier.",
    )


def school_table(rows: list[SchoolCoverage], period_text: str, *, only_uncovered: bool) -> Table:
    shown = [r for r in rows if not (only_uncovered and r.covered)]
    caption = "Schools with Ever6 CWSW pupils" + (" not yet covered" if only_uncovered else "")
    return Table(
        f"{caption}: training attended by their DSL or designated teacher ({period_text})",
        SCHOOL_COLUMNS,
        [r.as_dict() for r in shown],
        frozenset({"pupils"}),
    )


def chart(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    tiers = [r for r in rows if r["tier"] != "All tiers" and r["share"] != "z"]
    points = [Point(category=r["tier"], series="Schools covered (%)", value=float(r["share"])) for r in tiers]
    return bar_chart(
        points,
        title="Share of schools with Ever6 CWSW pupils whose DSL or designated teacher attended, by tier",
        category_title="Tier",
        value_title="Schools covered (%)",
        categories=[r["tier"] for r in tiers],
        series=["Schools covered (%)"],
    )


def coverage(snap: Snapshot, who: Viewer, since: date | None) -> tuple[list[SchoolCoverage], bool] | None:
    """Each school's coverage, and whether any tier had to be suggested from the figures.

    ``None`` before the first refresh (no cohort counts)."""
    try:
        counts = snap.cohort_counts_by_school(who)
    except NotPublished:
        return None
    urns = [u for u, n in counts.items() if n > 0]
    decided = decided_tiers(urns)
    suggested: dict[str, str] = {}
    if any(u not in decided for u in urns):
        try:
            suggested = suggested_tiers(snap, who)
        except NotPublished:
            suggested = {}
    names = dict(School.objects.filter(urn__in=urns).values_list("urn", "name"))
    rows = school_coverage(
        counts, decided=decided, suggested=suggested, attended=attended_by_school(since), names=names
    )
    return rows, any(r.tier_basis != DECIDED for r in rows)
