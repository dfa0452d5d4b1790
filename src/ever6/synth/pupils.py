"""Pupils on roll in 2025/26: who is at which school, with which attributes, and their moves.

Pupil attributes are kept per person (``PupilAttrs``) separately from the enrolment rows so the
next issue (attendance, suspensions, attainment) can hang measures on the same pupils. Social
care history shifts them the way the national figures do: CWSW pupils are more often FSM and
SEN, move school mid-year more often, and are much more often at alternative provision.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from ever6.synth.population import STAYING_ON, Population
from ever6.synth.scales import ACADEMIC_YEAR_START, REFERENCE_DATE
from ever6.synth.schools import School

PUPIL_COLUMNS = (
    "urn",
    "upn",
    "former_upn",
    "forename",
    "surname",
    "dob",
    "sex",
    "postcode",
    "ncyear",
    "entry_date",
    "leaving_date",
    "fsm_ever6",
    "sen",
    "ethnicity",
)
YEAR_START = ACADEMIC_YEAR_START.year


@dataclass
class PupilAttrs:
    """One entry per pupil (a person on roll), indexed like ``person``."""

    person: np.ndarray
    ncyear: np.ndarray
    fsm: np.ndarray
    sen: np.ndarray  # "N" / "K" / "E"
    cwsw: np.ndarray  # had a social worker (an assessed episode) since 2019: drives attributes
    looked_after: np.ndarray


@dataclass(frozen=True)
class Enrolment:
    pupil: int  # index into PupilAttrs
    urn: str
    entry: date
    leaving: date | None


def ncyear_of(dob_ordinals: np.ndarray) -> np.ndarray:
    """National curriculum year in 2025/26 (0 = Reception) from the academic year of birth."""
    years = np.array([date.fromordinal(int(d)).year for d in dob_ordinals])
    months = np.array([date.fromordinal(int(d)).month for d in dob_ordinals])
    birth_ay = np.where(months >= 9, years, years - 1)
    return YEAR_START - birth_ay - 5


def _sept(rng: np.random.Generator, year: int) -> date:
    return date(year, 9, int(rng.integers(1, 6)))


def _random_day(rng: np.random.Generator, first: date, last: date) -> date:
    return date.fromordinal(int(rng.integers(first.toordinal(), last.toordinal() + 1)))


def make_pupils(
    rng: np.random.Generator,
    pop: Population,
    schools: list[School],
    cwsw_persons: set[int],
    cla_persons: set[int],
    dead_before_year: set[int],
) -> tuple[PupilAttrs, list[Enrolment]]:
    nc = ncyear_of(pop.dob)
    n = pop.n
    in_range = (nc >= 0) & (nc <= 13)
    stay = np.ones(n)
    for year, p in STAYING_ON.items():
        stay[nc == year] = p
    cwsw_all = np.zeros(n, dtype=bool)
    cwsw_all[list(cwsw_persons)] = True
    # CWSW young people stay on at school less often after 16.
    stay = np.where(cwsw_all & (nc >= 12), stay * 0.7, stay)
    on_roll = in_range & ~pop.independent & ~pop.home_educated & (rng.random(n) < stay * 0.995)
    if dead_before_year:
        on_roll[list(dead_before_year)] = False
    person = np.flatnonzero(on_roll)
    m = len(person)
    cw = cwsw_all[person]
    cla = np.zeros(m, dtype=bool)
    cla_idx = {p: i for i, p in enumerate(person.tolist())}
    for p in cla_persons:
        if p in cla_idx:
            cla[cla_idx[p]] = True
    z = pop.deprivation[person]
    fsm = rng.random(m) < 1 / (1 + np.exp(-(-1.55 + 1.05 * z + 1.6 * cw)))
    u = rng.random(m)
    p_e = 0.028 + 0.08 * cw + 0.01 * (z > 1)
    p_k = 0.12 + 0.16 * cw + 0.03 * (z > 0.5)
    sen = np.where(u < p_e, "E", np.where(u < p_e + p_k, "K", "N")).astype(object)
    attrs = PupilAttrs(person, nc[person], fsm, sen, cw, cla)

    by_kind: dict[str, list[School]] = {}
    for s in schools:
        key = s.kind if s.in_la else "out"
        by_kind.setdefault(key, []).append(s)
    out_primary = [s for s in by_kind.get("out", []) if s.kind == "primary"]
    out_secondary = [s for s in by_kind.get("out", []) if s.kind == "secondary"]
    primaries = by_kind["primary"] + by_kind.get("all_through", [])
    secondaries = by_kind["secondary"] + by_kind.get("all_through", [])
    sixth = [s for s in secondaries if s.sixth_form]

    def weights(group: list[School]) -> np.ndarray:
        w = np.array([s.size for s in group])
        p: np.ndarray = w / w.sum()
        return p

    def pick(group: list[School], k: int) -> list[School]:
        idx = rng.choice(len(group), k, p=weights(group))
        return [group[int(i)] for i in idx]

    main: list[School | None] = [None] * m
    special_p = np.where(sen == "E", 0.38, 0.0)
    in_special = rng.random(m) < special_p
    # State-funded AP: about 0.2% of pupils, mostly secondary age, far more often CWSW.
    ap_p = np.where(nc[person] >= 5, np.where(cw, 0.018, 0.0014), 0.0)
    in_ap = (rng.random(m) < ap_p) & ~in_special & bool(by_kind.get("alternative"))
    out_p = np.where(cla, 0.3, 0.025)
    out_la = rng.random(m) < out_p
    year_of = attrs.ncyear
    for kind_mask, group_primary, group_secondary in (
        (out_la & (year_of <= 6) & bool(out_primary), out_primary, None),
        (out_la & (year_of >= 7) & (year_of <= 11) & bool(out_secondary), None, out_secondary),
    ):
        idx = np.flatnonzero(kind_mask & ~in_special)
        group = group_primary or group_secondary or []
        for i, s in zip(idx.tolist(), pick(group, len(idx)), strict=True):
            main[i] = s
    specials = by_kind.get("special", [])
    for i, s in zip(np.flatnonzero(in_special).tolist(), pick(specials, int(in_special.sum())), strict=True):
        main[i] = s
    rest_primary = [i for i in range(m) if main[i] is None and year_of[i] <= 6]
    for i, s in zip(rest_primary, pick(primaries, len(rest_primary)), strict=True):
        main[i] = s
    rest_secondary = [i for i in range(m) if main[i] is None and 7 <= year_of[i] <= 11]
    for i, s in zip(rest_secondary, pick(secondaries, len(rest_secondary)), strict=True):
        main[i] = s
    rest_sixth = [i for i in range(m) if main[i] is None]
    for i, s in zip(rest_sixth, pick(sixth, len(rest_sixth)), strict=True):
        main[i] = s

    enrolments: list[Enrolment] = []
    aps = by_kind.get("alternative", [])
    move_p = np.where(cla, 0.14, np.where(cw, 0.08, 0.025))
    moves = rng.random(m) < move_p
    leave_only = rng.random(m) < 0.1  # of movers: left the area, no new enrolment in the data
    joined_late = rng.random(m) < 0.03
    dual = rng.random(m) < 0.6
    for i in range(m):
        school = main[i]
        if school is None:
            continue
        y = int(year_of[i])
        if school.kind in ("secondary", "all_through") and y >= 7:
            first_year = YEAR_START - (y - 7)
        elif school.kind in ("special", "alternative"):
            first_year = YEAR_START - int(rng.integers(0, min(y, 4) + 1))
        else:
            first_year = YEAR_START - y
        entry = _sept(rng, first_year)
        if joined_late[i]:
            entry = _random_day(rng, date(YEAR_START, 9, 8), date(YEAR_START + 1, 3, 20))
        if in_ap[i]:
            ap = aps[int(rng.integers(len(aps)))]
            ap_entry = _random_day(rng, date(YEAR_START - 1, 9, 8), date(YEAR_START + 1, 3, 1))
            enrolments.append(Enrolment(i, ap.urn, ap_entry, None))
            if dual[i]:  # dual registered: the main school keeps them on roll
                enrolments.append(Enrolment(i, school.urn, entry, None))
            continue
        if moves[i] and not joined_late[i]:
            leaving = _random_day(rng, date(YEAR_START, 9, 15), date(YEAR_START + 1, 3, 20))
            enrolments.append(Enrolment(i, school.urn, entry, leaving))
            if leave_only[i]:
                continue
            same = [s for s in (primaries if y <= 6 else sixth if y >= 12 else secondaries) if s is not school]
            if school.kind == "special":
                same = [s for s in specials if s is not school] or same
            if not same:  # a tiny authority may have one sixth form: the pupil leaves the area
                continue
            new_school = same[int(rng.choice(len(same), p=weights(same)))]
            new_entry = date.fromordinal(leaving.toordinal() + int(rng.integers(1, 22)))
            if new_entry <= REFERENCE_DATE:
                enrolments.append(Enrolment(i, new_school.urn, new_entry, None))
            continue
        enrolments.append(Enrolment(i, school.urn, entry, None))
    return attrs, enrolments


def write_pupils(path: Path, pop: Population, attrs: PupilAttrs, enrolments: list[Enrolment]) -> int:
    rows: list[tuple[str, ...]] = []
    for e in enrolments:
        p = int(attrs.person[e.pupil])
        nc = int(attrs.ncyear[e.pupil])
        rows.append(
            (
                e.urn,
                str(pop.upn[p]),
                str(pop.former_upn[p]),
                str(pop.forename[p]),
                str(pop.surname[p]),
                date.fromordinal(int(pop.dob[p])).isoformat(),
                "M" if pop.male[p] else "F",
                str(pop.postcode[p]),
                "R" if nc == 0 else str(nc),
                e.entry.isoformat(),
                e.leaving.isoformat() if e.leaving else "",
                "1" if attrs.fsm[e.pupil] else "0",
                str(attrs.sen[e.pupil]),
                str(pop.ethnicity[p]),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[9]))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PUPIL_COLUMNS)
        w.writerows(rows)
    return len(rows)
