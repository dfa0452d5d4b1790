"""The ground truth: who is in the Ever6 CWSW cohort at a reference date, and with what status.

This is a deliberately plain, independent implementation of ``docs/domain.md`` section 2, written
from the simulation's own records (``social_care``), not from what the files show and not from
any other ever6 module (only ``ever6.dates``), so that both the writers and the cohort engine
are tested against it.

The one thing it takes from the returns is what they *can* hold: an authority knows its
children's history only through the returns it has. Its CIN census returns start with the
2019/20 census (activity from 1 April 2019), and CIN plan dates only with the 2021/22 one (the
schemas before 2022 have no ``CINPlanDates``); its SSDA903 returns start with 2020/21. So an
assessment authorised, or a plan ended, before those dates is unknown here too. Everything is
the final version of each record: where the authority corrected a record between returns, the
newest return holding it carries the correction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ever6.dates import latest_birth_date_reaching, shift_years
from ever6.synth.noise import recorded_upn
from ever6.synth.population import Population
from ever6.synth.social_care import CinPlan, CpPlan, Episode, ScChild

COHORT_HEADER = ("la_child_id", "upn", "status", "last_qualifying_date", "cwsw", "looked_after")
CLOSED_NOT_IN_NEED = frozenset({"RC8", "RC9"})

Period = tuple[date, date | None]


@dataclass(frozen=True)
class EpisodeFacts:
    referral: date
    closure: date | None
    reason: str | None
    nfa: bool
    authorised: tuple[date, ...]  # the authorisation dates of its assessments
    cin_plans: tuple[Period, ...]
    cp_plans: tuple[Period, ...]


@dataclass(frozen=True)
class ChildFacts:
    """A child as the authority knows them from its returns."""

    la_child_id: str
    in_cin: bool  # in some CIN census return
    in_care: bool  # in some SSDA903 return
    birth: date | None  # None: not yet born on the newest return's reference date
    death: date | None
    upn: str  # the UPN social care holds ("" when none)
    episodes: tuple[EpisodeFacts, ...]
    care: tuple[Period, ...]


@dataclass(frozen=True)
class Coverage:
    """The census years of the returns the authority holds."""

    cin_years: tuple[int, ...]
    care_years: tuple[int, ...]
    cin_plans_from_year: int


def _year_start(year: int) -> int:
    return date(year - 1, 4, 1).toordinal()


def _year_of(day: int) -> int:
    d = date.fromordinal(day)
    return d.year + 1 if d.month >= 4 else d.year


def _d(day: int | None) -> date | None:
    return date.fromordinal(day) if day is not None else None


def _ends_after(plan: CinPlan | CpPlan, ep: Episode, day: int) -> bool:
    """Whether a plan was open on ``day`` or later; a plan with no end date ends with its episode."""
    end = plan.end if plan.end is not None else ep.closure
    return end is None or end >= day


def from_simulation(children: Iterable[ScChild], pop: Population, coverage: Coverage) -> list[ChildFacts]:
    """What the authority's returns can tell about each simulated child, from the simulation."""
    cin_from = _year_start(coverage.cin_years[0])
    plans_from = _year_start(max(coverage.cin_plans_from_year, coverage.cin_years[0]))
    care_from = _year_start(coverage.care_years[0])
    last_cin, last_care = coverage.cin_years[-1], coverage.care_years[-1]
    facts: list[ChildFacts] = []
    for child in children:
        episodes = [ep for ep in child.episodes if child.in_cin and (ep.closure is None or ep.closure >= cin_from)]
        care = [row for row in child.care if row.dec is None or row.dec >= care_from]
        if not episodes and not care:
            continue
        birth: date | None = None
        death: date | None = None
        upn = ""
        if episodes:
            newest = max(last_cin if ep.closure is None else min(last_cin, _year_of(ep.closure)) for ep in episodes)
            ref = date(newest, 3, 31).toordinal()
            birth = _d(child.dob) if child.dob <= ref else None
            death = _d(child.death) if child.death is not None and child.death <= ref else None
            upn = recorded_upn(child, pop, ref)[0] or ""
        else:
            birth = _d(child.dob)
        if care and not upn:
            newest = max(last_care if row.dec is None else min(last_care, _year_of(row.dec)) for row in care)
            ref = date(newest, 3, 31).toordinal()
            true = str(pop.upn[child.person])
            upn = true if true and int(pop.upn_issued[child.person]) <= ref else ""
        facts.append(
            ChildFacts(
                la_child_id=child.la_child_id,
                in_cin=bool(episodes),
                in_care=bool(care),
                birth=birth,
                death=death,
                upn=upn,
                episodes=tuple(
                    EpisodeFacts(
                        referral=date.fromordinal(ep.referral),
                        closure=_d(ep.closure),
                        reason=ep.reason if ep.closure is not None else None,
                        nfa=ep.nfa,
                        authorised=tuple(
                            date.fromordinal(auth)
                            for auth in (a.auth for a in ep.assessments)
                            if auth is not None and auth >= cin_from
                        ),
                        cin_plans=tuple(
                            (date.fromordinal(p.start), _d(p.end))
                            for p in ep.cin_plans
                            if _ends_after(p, ep, plans_from)
                        ),
                        cp_plans=tuple(
                            (date.fromordinal(p.start), _d(p.end)) for p in ep.cp_plans if _ends_after(p, ep, cin_from)
                        ),
                    )
                    for ep in episodes
                ),
                care=tuple((date.fromordinal(row.decom), _d(row.dec)) for row in care),
            )
        )
    return facts


@dataclass(frozen=True)
class CohortRow:
    la_child_id: str
    upn: str
    status: str
    last_qualifying_date: date | None
    cwsw: bool
    looked_after: bool


def _open_at(start: date, end: date | None, r: date) -> bool:
    return start <= r and (end is None or end >= r)


def _known_closure(ep: EpisodeFacts, r: date) -> date | None:
    """The closure as known on R: a closure after R means the episode was open at R."""
    return ep.closure if ep.closure is not None and ep.closure <= r else None


def _qualifying(ep: EpisodeFacts, r: date) -> bool:
    if ep.nfa:
        return False
    if any(start <= r for start, _ in ep.cin_plans) or any(start <= r for start, _ in ep.cp_plans):
        return True
    closure = _known_closure(ep, r)
    closed_not_in_need = closure is not None and ep.reason in CLOSED_NOT_IN_NEED
    return any(auth <= r for auth in ep.authorised) and not closed_not_in_need


def _plan_end(end: date | None, ep: EpisodeFacts, r: date) -> date:
    """A plan's effective end as known on R; a plan with no end date ends with its episode."""
    if end is not None and end <= r:
        return end
    if end is None:
        closure = _known_closure(ep, r)
        if closure is not None:
            return closure
    return r


def _plan_open(plans: Iterable[tuple[Period, EpisodeFacts]], r: date) -> bool:
    return any(not ep.nfa and start <= r and _plan_end(end, ep, r) >= r for (start, end), ep in plans)


def cohort(children: Iterable[ChildFacts], r: date, *, strict: bool) -> list[CohortRow]:
    window_start = shift_years(r, -6)  # in the window = open on a day after this
    born_after = latest_birth_date_reaching(18, r)
    rows: list[CohortRow] = []
    for child in sorted(children, key=lambda c: c.la_child_id):
        if child.birth is None or child.birth > r or child.birth <= born_after:
            continue
        if child.death is not None and child.death <= r:
            continue
        looked_after = any(_open_at(start, end, r) for start, end in child.care)
        episodes = [ep for ep in child.episodes if ep.referral <= r]
        ends: list[date] = []
        for ep in episodes:
            if strict:
                if ep.nfa:
                    continue
                for start, end in ep.cin_plans + ep.cp_plans:
                    if start > r:
                        continue
                    eff = _plan_end(end, ep, r)
                    if eff > window_start:
                        ends.append(eff)
            elif _qualifying(ep, r):
                closure = _known_closure(ep, r)
                eff = closure if closure is not None else r
                if eff > window_start:
                    ends.append(eff)
        cwsw = bool(ends)
        if not (cwsw or looked_after):
            continue
        open_qualifying = any(_qualifying(ep, r) and _open_at(ep.referral, _known_closure(ep, r), r) for ep in episodes)
        if looked_after:
            status = "CLA"
        elif _plan_open(((p, ep) for ep in episodes for p in ep.cp_plans), r):
            status = "CPP"
        elif _plan_open(((p, ep) for ep in episodes for p in ep.cin_plans), r):
            status = "CINP"
        elif open_qualifying:
            status = "CIN_OTHER"
        else:
            status = "EVER6_PREVIOUS"
        rows.append(CohortRow(child.la_child_id, child.upn, status, max(ends) if ends else None, cwsw, looked_after))
    return rows


def write_cohort(path: Path, rows: list[CohortRow]) -> int:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COHORT_HEADER)
        for row in sorted(rows, key=lambda row: row.la_child_id):
            w.writerow(
                [
                    row.la_child_id,
                    row.upn,
                    row.status,
                    row.last_qualifying_date.isoformat() if row.last_qualifying_date else "",
                    "true" if row.cwsw else "false",
                    "true" if row.looked_after else "false",
                ]
            )
    return len(rows)
