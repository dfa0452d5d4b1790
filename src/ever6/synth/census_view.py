"""What each year's file shows of the simulated history: a real return, as the DfE accepts it.

A CIN census file for collection year Y (reference date 31 March Y) holds every child with an
episode open at any time from 1 April Y-1 to 31 March Y, as recorded on the reference date: an
episode closed later is still open in it, and a record the authority corrected later shows its
earlier version. Of each episode it holds only that year's activity, as the DfE validation rules
require: the assessments authorised in the year or still in progress (started in the year), the
CIN plans and child protection plans open at some time in the year, and the section 47 enquiries
whose initial conference fell in the year or that are still waiting for one (started in the year).
An assessment or plan that ended in an earlier year is in that year's file only. The SSDA903
files work the same way for periods of care. Writers render these views; the ground truth
(``truth``) is computed from the simulation itself, not from these views.

Schema limits of the liia-tools-pipeline XSDs are applied here too: those for 2017-2021 have no
``CINPlanDates``, so CIN plans are not shown in the 2020 and 2021 files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ever6.synth.noise import below_school_age, recorded_upn
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


def _in(day: int | None, first: int, ref: int) -> bool:
    return day is not None and first <= day <= ref


def _open_in(start: int, end: int | None, first: int, ref: int) -> bool:
    return start <= ref and (end is None or end >= first)


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
    limit = min(ref, closure) if early and closure is not None else ref
    hide_work = early and nfa  # the earlier record called it NFA: no assessment shown
    assessments: tuple[AssessmentView, ...] = ()
    s47s: tuple[Section47View, ...] = ()
    cps: tuple[CpPlanView, ...] = ()
    plans: tuple[PlanView, ...] = ()
    if not hide_work:
        # Authorised in the year, or still in progress at its end (then started in it).
        assessments = tuple(
            AssessmentView(date.fromordinal(a.start), _d(a.review, ref), _d(a.auth, ref), a.factors)
            for a in ep.assessments
            if a.start <= limit
            and (_in(a.auth, first, ref) or ((a.auth is None or a.auth > ref) and _in(a.start, first, ref)))
        )
        # The initial conference held in the year, or none held yet (then started in it).
        s47s = tuple(
            Section47View(date.fromordinal(s.start), date.fromordinal(s.target), _d(s.icpc, ref), s.not_required)
            for s in ep.s47s
            if s.start <= limit
            and (_in(s.icpc, first, ref) or ((s.icpc is None or s.icpc > ref) and _in(s.start, first, ref)))
        )
        cps = tuple(
            CpPlanView(
                date.fromordinal(c.start),
                _d(c.end, ref),
                c.initial_category,
                c.latest_category,
                c.previous,
                tuple(date.fromordinal(r) for r in c.reviews if first <= r <= ref),
            )
            for c in ep.cp_plans
            if c.start <= limit and _open_in(c.start, c.end, first, ref)
        )
        if year >= CIN_PLANS_FROM_YEAR:
            plans = tuple(
                PlanView(date.fromordinal(p.start), _d(p.end, ref))
                for p in ep.cin_plans
                if p.start <= limit and _open_in(p.start, p.end, first, ref)
            )
    return EpisodeView(
        referral=date.fromordinal(ep.referral),
        source=ep.source,
        need=ep.need,
        closure=shown_closure,
        reason=reason if shown_closure is not None else None,
        # Recorded with its section 47 enquiry only: DfE rule 2884 forbids recording it twice.
        initial_cpc=None,
        nfa=nfa,
        assessments=assessments,
        cin_plans=plans,
        s47s=s47s,
        cp_plans=cps,
    )


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
    # The 903 return uses UN1-UN5 where no UPN is held; UN1 = not yet of school age (DfE 209).
    upn = true if true and issued <= ref else ("UN1" if below_school_age(child.dob, ref) else "UN2")
    return CareChildView(child.la_child_id, child.male, date.fromordinal(child.dob), child.ethnicity, upn, rows)
