"""The school data: attendance marks (2025/26 to date), termly attendance (2024/25), suspensions
and permanent exclusions, attainment (2024/25), the 2024/25 roll they hang on, and the
generator's own headline figures.

Draws come from their own children of the seed (after the twelve the rest of the generator
uses), so adding or changing school data never changes any other file for the same seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from ever6.synth.attainment import MEASURES, results, write_attainment
from ever6.synth.exclusions import (
    Exclusions,
    concat,
    perms_2024,
    perms_at_leaving,
    suspensions,
    write_exclusions,
)
from ever6.synth.exclusions import rows as exclusion_rows
from ever6.synth.marks import C, Events, MarkPlan, write_marks
from ever6.synth.population import Population
from ever6.synth.pupils import Enrolment, PupilAttrs
from ever6.synth.roll_2024 import ROLL_2024_FILE, write_roll_2024
from ever6.synth.scales import REFERENCE_DATE
from ever6.synth.school_calendar import YEAR_2024_25, YEAR_2025_26, inset_matrix
from ever6.synth.school_measures import (
    Figure,
    attainment_figures,
    attendance_figures,
    calibration,
    exclusion_figures,
    write_measures,
)
from ever6.synth.school_pupils import (
    Enrols,
    Kids,
    absence_rate,
    enrols_2025,
    is_cwsw,
    make_kids,
    roster_2024,
)
from ever6.synth.schools import School
from ever6.synth.termly import termly_totals, write_termly

MARKS_FILE = "attendance/attendance_2025-26.csv"
TERMLY_FILE = "attendance/attendance_termly_2024-25.csv"
EXCLUSIONS_FILE = "exclusions.csv"
ATTAINMENT_FILE = "attainment.csv"
MEASURES_FILE = "truth/measures_2025-26.csv"
FIRST_STREAM = 12  # the generator's own stages use children 0-11 of the seed
N_STREAMS = 7  # the seventh (the 2024/25 roll's stand-in entry dates) was added last: 0-5 are unchanged


@dataclass
class SchoolData:
    rows: dict[str, int] = field(default_factory=dict)  # file (relative path) -> data rows
    counts: dict[str, int] = field(default_factory=dict)
    calibration: dict[str, float] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)


def _unauth_share(rate: np.ndarray, kids: Kids, enrols: Enrols, kinds: np.ndarray) -> np.ndarray:
    """Share of absence unauthorised: the more a pupil misses, the more of it is unauthorised."""
    cw = is_cwsw(kids.status[enrols.kid])
    ap = kinds[enrols.school] == "alternative"
    share: np.ndarray = np.clip(0.06 + 0.7 * rate + 0.08 * cw + 0.1 * ap, 0.04, 0.85)
    return share


def _part_time_p(kids: Kids, enrols: Enrols, ncyear: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Chance an enrolment has a part-time timetable at some point (far commoner for CWSW)."""
    st = kids.status[enrols.kid]
    by_status = np.array([0.0015, 0.018, 0.03, 0.035, 0.035, 0.012])[st]
    p: np.ndarray = (
        by_status + 0.01 * (kinds[enrols.school] == "alternative") + 0.006 * (kids.sen[enrols.kid] == 2)
    ) * np.where(ncyear[enrols.kid] >= 7, 2.0, 0.8)
    return p


def _day_index(days: np.ndarray, day: date) -> int:
    i = int(np.searchsorted(days, day.toordinal()))
    return i if i < len(days) and days[i] == day.toordinal() else -1


def build_plan(
    rng: np.random.Generator,
    kids: Kids,
    now: Enrols,
    kinds: np.ndarray,
    days: np.ndarray,
    inset: np.ndarray,
    school_effect: np.ndarray,
    excluded: Exclusions,
) -> MarkPlan:
    n = now.n
    n_schools = inset.shape[0]
    a = np.searchsorted(days, now.first)
    b = np.searchsorted(days, now.last, side="right") - 1
    nc = kids.ncyear[now.kid]
    rate = absence_rate(kids, now, kids.ncyear, school_effect, kinds)
    cw = is_cwsw(kids.status[now.kid])
    sen_e = kids.sen[now.kid] == 2
    k_flag = rng.random(n) < 0.002 + 0.02 * cw + 0.015 * sen_e
    k_day = np.where(k_flag, rng.integers(0, 5, n), -1)

    # Dual registration: overlapping enrolments of one pupil. The alternative provision (else the
    # later one) is the subsidiary registration; the pupil is there one to four weekdays, and
    # each school codes D on the days the pupil is at the other.
    dual_from = np.full(n, len(days), dtype=np.int64)
    dual_to = np.full(n, -1, dtype=np.int64)
    dual_days = np.zeros(n, dtype=np.int64)
    by_kid: dict[int, list[int]] = {}
    for e in np.flatnonzero(np.bincount(now.kid, minlength=kids.n)[now.kid] > 1).tolist():
        by_kid.setdefault(int(now.kid[e]), []).append(e)
    for es in by_kid.values():
        for i, e1 in enumerate(es):
            for e2 in es[i + 1 :]:
                lo, hi = max(a[e1], a[e2]), min(b[e1], b[e2])
                if lo > hi:
                    continue  # a move, not dual registration
                if kinds[now.school[e1]] == "alternative" or (
                    kinds[now.school[e2]] != "alternative" and now.first[e1] > now.first[e2]
                ):
                    sub, main = e1, e2
                else:
                    sub, main = e2, e1
                at_sub = rng.permutation(5)[: int(rng.integers(1, 5))]
                mask = int(sum(1 << int(d) for d in at_sub))
                dual_days[main], dual_days[sub] = mask, 31 & ~mask
                for e in (main, sub):
                    dual_from[e], dual_to[e] = lo, hi

    school_code = np.full((n_schools, len(days)), 255, dtype=np.uint8)
    school_code[inset] = C["#"]
    closed_once = np.flatnonzero(rng.random(n_schools) < 0.015)
    for s in closed_once.tolist():  # a boiler fails: the school closes unexpectedly for a day
        open_days = np.flatnonzero(~inset[s])
        school_code[s, open_days[int(rng.integers(len(open_days)))]] = C["Y4"]
    snow = np.zeros((n_schools, len(days)), dtype=bool)
    snow_day = _day_index(days, date(2026, 1, 8))
    if snow_day >= 0:
        snow[rng.random(n_schools) < 0.25, snow_day] = True

    events = Events()
    # Z: a few mid-year joiners were on the system a day or three before being admitted.
    late = np.flatnonzero((now.first > date(2025, 9, 8).toordinal()) & (a <= b) & (rng.random(n) < 0.25))
    events.add(late, 2 * a[late], 2 * rng.integers(1, 4, len(late)), 1, "Z")
    # X: phased Reception starts at half the primaries: afternoons not required for a week or two.
    phased_school: np.ndarray = rng.random((n_schools,)) < 0.5
    first_teaching = 2  # 1 and 2 September are INSET everywhere
    rec = np.flatnonzero((nc == 0) & phased_school[now.school] & (a <= first_teaching))
    events.add(rec, 2 * first_teaching + 1, rng.integers(3, 9, len(rec)), 2, "X")
    # G: term-time holidays, next to a half-term or the Christmas break.
    edges = [
        (_day_index(days, d), before)
        for d, before in (
            (date(2025, 10, 24), True),
            (date(2025, 11, 3), False),
            (date(2025, 12, 19), True),
            (date(2026, 1, 5), False),
            (date(2026, 2, 13), True),
            (date(2026, 2, 23), False),
            (date(2026, 3, 27), True),
        )
    ]
    hol = np.flatnonzero(rng.random(n) < 0.045)
    edge = rng.integers(0, len(edges), len(hol))
    length = rng.integers(2, 6, len(hol))
    edge_day = np.array([edges[i][0] for i in edge.tolist()], dtype=np.int64)
    before = np.array([edges[i][1] for i in edge.tolist()], dtype=bool)
    events.add(hol, 2 * np.where(before, edge_day - length + 1, edge_day), 2 * length, 1, "G")
    # W: Year 10 work experience, a week in March at a third of secondaries.
    week = _day_index(days, date(2026, 3, 9))
    we_school: np.ndarray = rng.random((n_schools,)) < 0.33
    we = np.flatnonzero((nc == 10) & we_school[now.school] & (rng.random(n) < 0.75))
    if week >= 0:
        events.add(we, np.full(len(we), 2 * week), np.full(len(we), 10), 1, "W")
    # C2: part-time timetables, afternoons for a few weeks.
    pt = np.flatnonzero((rng.random(n) < _part_time_p(kids, now, kids.ncyear, kinds)) & (a <= b))
    start = a[pt] + np.floor(rng.random(len(pt)) * (b[pt] - a[pt] + 1)).astype(np.int64)
    events.add(pt, 2 * start + 1, rng.integers(10, 61, len(pt)), 2, "C2")
    # Y5: a few older CWSW pupils in custody for a while.
    custody = np.flatnonzero(cw & (nc >= 8) & (rng.random(n) < 0.003) & (a <= b))
    start = a[custody] + np.floor(rng.random(len(custody)) * (b[custody] - a[custody] + 1)).astype(np.int64)
    events.add(custody, 2 * start, 2 * rng.integers(5, 31, len(custody)), 1, "Y5")
    # E: suspensions and permanent exclusions (from their start session for their length).
    ex_day = np.searchsorted(days, excluded.day)
    events.add(excluded.enrol, 2 * ex_day + excluded.session, excluded.sessions, 1, "E")

    return MarkPlan(
        days=days,
        day_text=[date.fromordinal(int(d)).isoformat() for d in days],
        first=a,
        last=b,
        rate=rate,
        unauth_share=_unauth_share(rate, kids, now, kinds),
        k_day=k_day,
        sixth=nc >= 12,
        transport=sen_e & (kinds[now.school] == "special"),
        dual_from=dual_from,
        dual_to=dual_to,
        dual_days=dual_days,
        school_code=school_code,
        snow=snow,
        events=events,
    )


def make_school_data(
    seed: int,
    out: Path,
    pop: Population,
    attrs: PupilAttrs,
    enrolments: list[Enrolment],
    schools: list[School],
    status_of: dict[int, str],
    cwsw_persons: set[int],
    dead_before_2024: set[int],
    step: Callable[[str, float], None] | None = None,
) -> SchoolData:
    """Write the school-data files under ``out`` and return their row counts and figures."""

    def report(stage: str, fraction: float) -> None:
        if step is not None:
            step(stage, fraction)

    streams = np.random.SeedSequence(seed).spawn(FIRST_STREAM + N_STREAMS)[FIRST_STREAM:]
    rng = [np.random.default_rng(s) for s in streams]
    (out / "attendance").mkdir(parents=True, exist_ok=True)
    result = SchoolData()
    kids = make_kids(rng[0], pop, attrs, status_of, cwsw_persons, dead_before_2024)
    urns = [s.urn for s in schools]
    urn_index = {u: i for i, u in enumerate(urns)}
    kinds = np.array([s.kind for s in schools], dtype=object)
    now = enrols_2025(enrolments, kids, urn_index)
    school_effect = rng[1].normal(0.0, 0.18, len(schools))

    # --- 2025/26 to date: exclusions first, since suspended sessions are E in the marks ---
    report("attendance marks", 0.92)
    days = YEAR_2025_26.school_days(until=REFERENCE_DATE)
    inset = inset_matrix(rng[1], YEAR_2025_26, days, len(schools))
    pupils_now = np.unique(now.kid)
    susp = suspensions(rng[2], kids, now, kids.ncyear, days, len(days), ~inset)
    perm = perms_at_leaving(rng[2], kids, now, kids.ncyear, days, ~inset, pupils_now)
    plan = build_plan(rng[3], kids, now, kinds, days, inset, school_effect, concat([susp, perm]))
    tally = write_marks(out / MARKS_FILE, plan, now, kids, urns, rng[4])
    result.rows[MARKS_FILE] = tally.rows
    possible = tally.by_category[:, :4].sum(axis=1)
    figures = attendance_figures(
        YEAR_2025_26.label,
        2025,
        kids,
        now.kid,
        possible,
        tally.by_category[:, 2],
        tally.by_category[:, 3],
        tally.c2,
    )
    figures += exclusion_figures(YEAR_2025_26.label, kids, pupils_now, now.kid[susp.enrol], now.kid[perm.enrol])

    # --- 2024/25: the approximate roll, its exclusions, termly totals and results ---
    report("termly attendance, exclusions, attainment", 0.95)
    r5 = rng[5]
    days24 = YEAR_2024_25.school_days()
    inset24 = inset_matrix(rng[1], YEAR_2024_25, days24, len(schools))
    nc_then = kids.ncyear - 1
    roster = roster_2024(r5, kids, now, schools)
    pupils_then = np.unique(roster.enrols.kid)
    term_firsts = np.array([t.first.toordinal() for t in YEAR_2024_25.terms], dtype=np.int64)
    roster, perm24 = perms_2024(r5, kids, roster, nc_then, days24, ~inset24, pupils_then, term_firsts, schools)
    en24 = roster.enrols
    susp24 = suspensions(r5, kids, en24, nc_then, days24, len(days24), ~inset24)
    # The absence tendency carries over between years with a correlation of about 0.85.
    latent24 = 0.85 * kids.absence + np.sqrt(1 - 0.85**2) * r5.standard_normal(kids.n)
    rate24 = absence_rate(kids, en24, nc_then, school_effect, kinds, latent24)
    part_time = np.zeros((en24.n, 3), dtype=np.int64)
    pt = np.flatnonzero(r5.random(en24.n) < _part_time_p(kids, en24, nc_then, kinds))
    part_time[pt, r5.integers(0, 3, len(pt))] = r5.integers(10, 61, len(pt))
    totals = termly_totals(
        r5,
        YEAR_2024_25,
        days24,
        ~inset24,
        en24,
        rate24,
        _unauth_share(rate24, kids, en24, kinds),
        part_time,
        nc_then[en24.kid] >= 12,
        concat([susp24, perm24]),
    )
    result.rows[TERMLY_FILE] = write_termly(out / TERMLY_FILE, YEAR_2024_25.label, en24, totals, urns, kids)
    result.rows[ROLL_2024_FILE] = write_roll_2024(out / ROLL_2024_FILE, rng[6], pop, kids, roster, now, urns)
    figures += attendance_figures(
        YEAR_2024_25.label,
        2024,
        kids,
        en24.kid,
        totals.possible.sum(axis=1),
        totals.authorised.sum(axis=1),
        totals.unauthorised.sum(axis=1),
    )
    figures += exclusion_figures(YEAR_2024_25.label, kids, pupils_then, en24.kid[susp24.enrol], en24.kid[perm24.enrol])
    result.rows[EXCLUSIONS_FILE] = write_exclusions(
        out / EXCLUSIONS_FILE,
        exclusion_rows(concat([susp, perm]), now, kids, urns)
        + exclusion_rows(concat([susp24, perm24]), en24, kids, urns),
    )
    # Results belong to the school the pupil ended 2024/25 at.
    school_of = np.full(kids.n, -1, dtype=np.int64)
    main = np.flatnonzero(~roster.prior)
    school_of[en24.kid[main]] = en24.school[main]
    res = results(r5, kids, school_of, nc_then)
    result.rows[ATTAINMENT_FILE] = write_attainment(out / ATTAINMENT_FILE, res, kids, urns, YEAR_2024_25.label)
    figures += attainment_figures(YEAR_2024_25.label, kids, res.kid, res.measure, res.value, MEASURES)
    result.rows[MEASURES_FILE] = write_measures(out / MEASURES_FILE, figures)

    result.figures = figures
    result.calibration = calibration(figures)
    result.counts = {
        "attendance_marks": tally.rows,
        "attendance_enrolments": int((possible > 0).sum()),
        "suspensions_2025_26": susp.n,
        "permanent_exclusions_2025_26": perm.n,
        "suspensions_2024_25": susp24.n,
        "permanent_exclusions_2024_25": perm24.n,
        "pupils_2024_25": len(pupils_then),
        "attainment_results": len(res.kid),
        **{f"marks_{code}": int(n) for code, n in zip(C, tally.code_counts.tolist(), strict=True)},
    }
    return result
