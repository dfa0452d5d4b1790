"""What each year's file shows of the simulated history.

A CIN census file for collection year Y (reference date 31 March Y) holds every child with an
episode open at any time from 1 April Y-1 to 31 March Y, as recorded on the reference date: an
episode closed later is still open in it, a plan or assessment not yet started is absent, and a
record the authority corrected later shows its earlier version. The SSDA903 files work the same
way for periods of care. Writers render these views, and the ground truth is computed from the
latest file's view of each record, so the truth is exactly "what the files say".

Schema limits of the liia-tools-pipeline XSDs are applied here too: those for 2017-2021 have no
``CINPlanDates``, so CIN plans are not shown in the 2020 and 2021 files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ever6.synth.population import Population
from ever6.synth.social_care import CareRow, Episode, ScChild

CIN_PLANS_FROM_YEAR = 2022
SEX_CODES_FROM_YEAR = 2025  # GenderCurrent 1/2/0/9 until 2024; Sex M/F/U from 2025


def reference_date(year: int) -> date:
    return date(year, 3, 31)


def year_start(year: int) -> date:
    return date(year - 1, 4, 1)


@dataclass(frozen=True)
class AssessmentView:
    start: date
    review: date | None
    auth: date | None
    factors: tuple[str, ...]


@dataclass(frozen=True)
class PlanView:
    start: date
    end: date | None


@dataclass(frozen=True)
class Section47View:
    start: date
    target: date
    icpc: date | None
    not_required: bool


@dataclass(frozen=True)
class CpPlanView:
    start: date
    end: date | None
    initial_category: str
    latest_category: str
    previous: int
    reviews: tuple[date, ...]


@dataclass(frozen=True)
class EpisodeView:
    referral: date
    source: str
    need: str | None
    closure: date | None
    reason: str | None
    initial_cpc: date | None
    nfa: bool
    assessments: tuple[AssessmentView, ...]
    cin_plans: tuple[PlanView, ...]
    s47s: tuple[Section47View, ...]
    cp_plans: tuple[CpPlanView, ...]


@dataclass(frozen=True)
class ChildView:
    la_child_id: str
    upn: str | None
    former_upn: str | None
    upn_unknown: str | None
    birth: date | None
    expected_birth: date | None
    sex: str  # M / F / U
    death: date | None
    ethnicity: str
    disabilities: tuple[str, ...]
    episodes: tuple[EpisodeView, ...] = field(default=())


def _d(ordinal: int | None, ref: int) -> date | None:
    return date.fromordinal(ordinal) if ordinal is not None and ordinal <= ref else None


def episode_view(ep: Episode, year: int) -> EpisodeView | None:
    """The episode as the file of ``year`` shows it, or None when that file does not hold it."""
    ref = reference_date(year).toordinal()
    first = year_start(year).toordinal()
    closure, reason, nfa = ep.closure, ep.reason, ep.nfa
    early = ep.early is not None and year <= ep.early.until_year
    if ep.early is not None and early:
        closure, reason, nfa = ep.early.closure, ep.early.reason, ep.early.nfa
    if ep.referral > ref or (closure is not None and closure < first):
        return None
    shown_closure = _d(closure, ref)
    limit = closure if early and closure is not None else ref
    hide_work = early and nfa  # the earlier record called it NFA: no assessment shown
    assessments = (
        ()
        if hide_work
        else tuple(
            AssessmentView(date.fromordinal(a.start), _d(a.review, ref), _d(a.auth, ref), a.factors)
            for a in ep.assessments
            if a.start <= min(ref, limit)
        )
    )
    plans: tuple[PlanView, ...] = ()
    if year >= CIN_PLANS_FROM_YEAR and not hide_work:
        plans = tuple(
            PlanView(date.fromordinal(p.start), _d(p.end, ref)) for p in ep.cin_plans if p.start <= min(ref, limit)
        )
    s47s = (
        ()
        if hide_work
        else tuple(
            Section47View(date.fromordinal(s.start), date.fromordinal(s.target), _d(s.icpc, ref), s.not_required)
            for s in ep.s47s
            if s.start <= min(ref, limit)
        )
    )
    cps = (
        ()
        if hide_work
        else tuple(
            CpPlanView(
                date.fromordinal(c.start),
                _d(c.end, ref),
                c.initial_category,
                c.latest_category,
                c.previous,
                tuple(date.fromordinal(r) for r in c.reviews if r <= ref),
            )
            for c in ep.cp_plans
            if c.start <= min(ref, limit)
        )
    )
    icpcs = [s.icpc for s in s47s if s.icpc is not None]
    return EpisodeView(
        referral=date.fromordinal(ep.referral),
        source=ep.source,
        need=ep.need,
        closure=shown_closure,
        reason=reason if shown_closure is not None else None,
        initial_cpc=min(icpcs) if icpcs else None,
        nfa=nfa,
        assessments=assessments,
        cin_plans=plans,
        s47s=s47s,
        cp_plans=cps,
    )


def recorded_upn(child: ScChild, pop: Population, ref: int) -> tuple[str | None, str | None, str | None]:
    """(UPN, FormerUPN, UPNunknown) as social care recorded them on the reference date."""
    if child.dob > ref:
        return None, None, "UN1"
    true = str(pop.upn[child.person])
    if not true or int(pop.upn_issued[child.person]) > ref:
        return None, None, "UN1" if ref - child.dob < 6 * 365 else "UN2"
    former = str(pop.former_upn[child.person]) or None
    mode = child.upn_recording
    if mode == "missing":
        return None, None, "UN5"
    if mode == "stale":
        return former, None, None
    if mode == "mistyped":
        return child.recorded_upn, None, None
    return true, former, None


def child_view(child: ScChild, pop: Population, year: int) -> ChildView | None:
    if not child.in_cin:
        return None
    episodes = tuple(v for v in (episode_view(ep, year) for ep in child.episodes) if v is not None)
    if not episodes:
        return None
    ref = reference_date(year).toordinal()
    upn, former, unknown = recorded_upn(child, pop, ref)
    born = child.dob <= ref
    return ChildView(
        la_child_id=child.la_child_id,
        upn=upn,
        former_upn=former,
        upn_unknown=unknown,
        birth=date.fromordinal(child.dob) if born else None,
        expected_birth=None if born else date.fromordinal(child.expected_dob or child.dob),
        sex=("M" if child.male else "F") if born else "U",
        death=_d(child.death, ref),
        ethnicity=child.ethnicity if born else "NOBT",
        disabilities=child.disabilities if born else (),
        episodes=episodes,
    )


@dataclass(frozen=True)
class CareRowView:
    decom: date
    rne: str
    ls: str
    cin: str
    place: str
    provider: str
    dec: date | None
    rec: str | None
    reason_place_change: str | None
    home_post: str
    pl_post: str
    urn: str


@dataclass(frozen=True)
class CareChildView:
    la_child_id: str
    male: bool
    birth: date
    ethnicity: str
    upn: str
    rows: tuple[CareRowView, ...]


def care_row_view(row: CareRow, year: int) -> CareRowView | None:
    ref = reference_date(year).toordinal()
    first = year_start(year).toordinal()
    if row.decom > ref or (row.dec is not None and row.dec < first):
        return None
    dec = _d(row.dec, ref)
    return CareRowView(
        date.fromordinal(row.decom),
        row.rne,
        row.ls,
        row.cin,
        row.place,
        row.provider,
        dec,
        row.rec if dec is not None else None,
        row.reason_place_change if dec is not None else None,
        row.home_post,
        row.pl_post,
        row.urn,
    )


def care_child_view(child: ScChild, pop: Population, year: int) -> CareChildView | None:
    rows = tuple(v for v in (care_row_view(r, year) for r in child.care) if v is not None)
    if not rows:
        return None
    ref = reference_date(year).toordinal()
    true = str(pop.upn[child.person])
    issued = int(pop.upn_issued[child.person])
    # The 903 return uses UN1-UN5 where no UPN is held; UN1 = under school age.
    upn = true if true and issued <= ref else ("UN1" if ref - child.dob < 6 * 365 else "UN2")
    return CareChildView(child.la_child_id, child.male, date.fromordinal(child.dob), child.ethnicity, upn, rows)
