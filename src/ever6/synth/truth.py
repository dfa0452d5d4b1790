"""The ground truth: who is in the Ever6 CWSW cohort at a reference date, and with what status.

This is a deliberately plain, independent implementation of ``docs/domain.md`` section 2, written
from the simulation's own records and not from any other ever6 module (only ``ever6.dates``),
so that the cohort engine can be tested against it. It works on what the files say: for every
CIN episode (and SSDA903 row) the version in the most recent file that holds it, and for every
child the identifiers in the most recent file that holds them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ever6.dates import latest_birth_date_reaching, shift_years
from ever6.synth.census_view import CareChildView, CareRowView, ChildView, EpisodeView

COHORT_HEADER = ("la_child_id", "upn", "status", "last_qualifying_date", "cwsw", "looked_after")
CLOSED_NOT_IN_NEED = frozenset({"RC8", "RC9"})


@dataclass
class Latest:
    """The latest view of every record across all files."""

    cin_children: dict[str, ChildView]
    episodes: dict[tuple[str, date], EpisodeView]
    care_children: dict[str, CareChildView]
    care_rows: dict[tuple[str, date], CareRowView]


def latest_views(
    cin_by_year: Iterable[tuple[int, list[ChildView]]], care_by_year: Iterable[tuple[int, list[CareChildView]]]
) -> Latest:
    latest = Latest({}, {}, {}, {})
    for _, children in sorted(cin_by_year, key=lambda item: item[0]):
        for child in children:
            latest.cin_children[child.la_child_id] = child
            for ep in child.episodes:
                latest.episodes[(child.la_child_id, ep.referral)] = ep
    for _, care_children in sorted(care_by_year, key=lambda item: item[0]):
        for cc in care_children:
            latest.care_children[cc.la_child_id] = cc
            for row in cc.rows:
                latest.care_rows[(cc.la_child_id, row.decom)] = row
    return latest


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


def _known_closure(ep: EpisodeView, r: date) -> date | None:
    """The closure as known on R: a closure after R means the episode was open at R."""
    return ep.closure if ep.closure is not None and ep.closure <= r else None


def _qualifying(ep: EpisodeView, r: date) -> bool:
    if ep.nfa:
        return False
    if any(p.start <= r for p in ep.cin_plans) or any(p.start <= r for p in ep.cp_plans):
        return True
    closure = _known_closure(ep, r)
    closed_not_in_need = closure is not None and ep.reason in CLOSED_NOT_IN_NEED
    return any(a.auth is not None and a.auth <= r for a in ep.assessments) and not closed_not_in_need


def _plan_end(end: date | None, ep: EpisodeView, r: date) -> date:
    """A plan's effective end as known on R; a plan with no end date ends with its episode."""
    if end is not None and end <= r:
        return end
    if end is None:
        closure = _known_closure(ep, r)
        if closure is not None:
            return closure
    return r


def cohort(latest: Latest, r: date, *, strict: bool) -> list[CohortRow]:
    window_start = shift_years(r, -6)  # in the window = open on a day after this
    born_after = latest_birth_date_reaching(18, r)
    by_child: dict[str, list[EpisodeView]] = {}
    for (child_id, _), ep in latest.episodes.items():
        by_child.setdefault(child_id, []).append(ep)
    care_by_child: dict[str, list[CareRowView]] = {}
    for (child_id, _), row in latest.care_rows.items():
        care_by_child.setdefault(child_id, []).append(row)

    rows: list[CohortRow] = []
    for child_id in sorted(set(latest.cin_children) | set(latest.care_children)):
        cin = latest.cin_children.get(child_id)
        care = latest.care_children.get(child_id)
        birth = cin.birth if cin is not None else care.birth if care is not None else None
        death = cin.death if cin is not None else None
        if birth is None or birth > r or birth <= born_after:
            continue
        if death is not None and death <= r:
            continue
        looked_after = any(
            row.decom <= r and (row.dec is None or row.dec >= r) for row in care_by_child.get(child_id, [])
        )
        episodes = [ep for ep in by_child.get(child_id, []) if ep.referral <= r]

        ends: list[date] = []
        for ep in episodes:
            if strict:
                if ep.nfa:
                    continue
                plans = [(p.start, p.end) for p in ep.cin_plans] + [(p.start, p.end) for p in ep.cp_plans]
                for start, end in plans:
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

        def plan_open(kind: str, episodes: list[EpisodeView]) -> bool:
            for ep in episodes:
                if ep.nfa:
                    continue
                plans = ep.cp_plans if kind == "cp" else ep.cin_plans
                for p in plans:
                    if p.start <= r and _plan_end(p.end, ep, r) >= r:
                        return True
            return False

        open_qualifying = any(_qualifying(ep, r) and _open_at(ep.referral, _known_closure(ep, r), r) for ep in episodes)
        if looked_after:
            status = "CLA"
        elif plan_open("cp", episodes):
            status = "CPP"
        elif plan_open("cin", episodes):
            status = "CINP"
        elif open_qualifying:
            status = "CIN_OTHER"
        else:
            status = "EVER6_PREVIOUS"
        # The UPN social care holds: the latest CIN file's, else the latest SSDA903 header's.
        # UN1-UN5 are "no UPN" codes, not UPNs, so they give an empty value.
        upn = (cin.upn or "") if cin is not None else ""
        if not upn and care is not None and not care.upn.startswith("UN"):
            upn = care.upn
        rows.append(CohortRow(child_id, upn, status, max(ends) if ends else None, cwsw, looked_after))
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
