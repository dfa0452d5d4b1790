"""Suspensions and permanent exclusions for 2024/25 and 2025/26 to date.

A pupil's number of suspensions in a year is Poisson with a lognormal rate (their ``behaviour``
score, plus age, sex, SEN, FSM and social-care status): that concentrates suspensions in a few
pupils, as nationally (about 3% of pupils suspended, about 3 suspensions each), and mostly in
secondary. Each year is calibrated to the same national full-year bands, so 2025/26 to date is
busier per day than a real year would be; the bands are what the tests and demos compare to.

Permanent exclusions are a fixed share of each group (all pupils, CWSW), so that small
authorities still land in the narrow national bands. They are placed where the data stay
consistent: in 2025/26 on an enrolment that ends (the pupil came off roll after the exclusion);
in 2024/25 preferably on a school the pupil was no longer at in 2025/26.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from ever6.synth.school_pupils import NO_LEAVING, Enrols, Kids, Roster2024, is_cwsw, phase_groups, weighted_pick
from ever6.synth.schools import School

EXCLUSION_COLUMNS = ("urn", "upn", "start_date", "category", "sessions", "reason")
# DfE reason codes in force since 2020/21 (school census schema), with approximate national shares
# (suspensions, permanent exclusions). The 2020/21 list replaced PD (persistent disruptive
# behaviour) with DB, "abuse relating to disability" is DS, and "other" (OT) was withdrawn.
REASONS: tuple[tuple[str, float, float], ...] = (
    ("DB", 0.55, 0.405),  # persistent or general disruptive behaviour
    ("VP", 0.12, 0.07),  # verbal abuse / threatening behaviour against an adult
    ("PA", 0.10, 0.13),  # physical assault against a pupil
    ("PP", 0.04, 0.09),  # physical assault against an adult
    ("VA", 0.05, 0.02),  # verbal abuse / threatening behaviour against a pupil
    ("DA", 0.04, 0.11),  # drug and alcohol related
    ("OW", 0.015, 0.07),  # use or threat of use of an offensive weapon or prohibited item
    ("DM", 0.02, 0.01),  # damage
    ("BU", 0.01, 0.01),  # bullying
    ("RA", 0.01, 0.005),  # racist abuse
    ("SM", 0.008, 0.02),  # sexual misconduct
    ("TH", 0.007, 0.01),  # theft
    ("MT", 0.01, 0.005),  # inappropriate use of social media or online technology
    ("LG", 0.005, 0.002),  # abuse against sexual orientation and gender identity
    ("DS", 0.003, 0.001),  # abuse relating to disability
)
REASON_CODES = tuple(r[0] for r in REASONS)
# Length in sessions (half days): most are a day or two.
SUSPENSION_SESSIONS = np.array([1, 2, 3, 4, 5, 6, 8, 10])
SUSPENSION_SESSIONS_P = np.array([0.16, 0.36, 0.07, 0.2, 0.03, 0.1, 0.05, 0.03])

# A hurdle model: whether a pupil is suspended at all in a year (logistic), then how many more
# times (Poisson). A single lognormal rate cannot give both the national concentration (about
# three suspensions per suspended pupil) and the CWSW gap in who is suspended at all.
SUSPENSION_BASE = -4.2
SUSPENSION_SPREAD = 0.9
# By NC year in the year of the suspension (0 = Reception).
SUSPENSION_AGE = np.array([-3.0, -2.6, -2.3, -2.0, -1.8, -1.6, -1.4, 0.0, 0.4, 0.6, 0.65, 0.4, -1.5, -1.7])
SUSPENSION_SEN = np.array([0.0, 0.6, 0.5])
SUSPENSION_STATUS = np.array([0.0, 1.55, 1.7, 1.85, 1.9, 1.2])
REPEAT_BASE = 0.25
REPEAT_SPREAD = 0.5
PERM_RATE_ALL = 0.0009
PERM_RATE_CWSW = 0.004


@dataclass
class Exclusions:
    """One year's suspensions and permanent exclusions, as columns."""

    enrol: np.ndarray  # index into the year's Enrols
    day: np.ndarray  # ordinal of the start date
    session: np.ndarray  # 0 starts in the morning, 1 in the afternoon
    sessions: np.ndarray  # length in sessions; for PERM the sessions until the pupil left roll
    perm: np.ndarray
    reason: np.ndarray  # index into REASON_CODES

    @property
    def n(self) -> int:
        return len(self.enrol)


def suspension_chance(kids: Kids, ncyear: np.ndarray) -> np.ndarray:
    """Chance of one or more suspensions over a full year."""
    logit = (
        SUSPENSION_BASE
        + SUSPENSION_AGE[np.clip(ncyear, 0, len(SUSPENSION_AGE) - 1)]
        + 0.4 * kids.male
        + SUSPENSION_SEN[kids.sen]
        + 0.45 * kids.fsm
        + SUSPENSION_STATUS[kids.status]
        + SUSPENSION_SPREAD * kids.behaviour
    )
    chance: np.ndarray = 1 / (1 + np.exp(-logit))
    return chance


def repeats(kids: Kids) -> np.ndarray:
    """Expected further suspensions in the year of a pupil suspended once."""
    rate: np.ndarray = np.exp(REPEAT_BASE + REPEAT_SPREAD * kids.behaviour + 0.2 * is_cwsw(kids.status))
    return rate


def _gumbel_top(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` indices drawn without replacement with probability proportional to ``weights``."""
    k = min(k, int((weights > 0).sum()))
    if k <= 0:
        return np.array([], dtype=np.int64)
    keys = np.where(weights > 0, np.log(np.maximum(weights, 1e-300)) + rng.gumbel(size=len(weights)), -np.inf)
    top: np.ndarray = np.argsort(-keys, kind="stable")[:k]
    return top


def _reasons(rng: np.random.Generator, n: int, perm: bool) -> np.ndarray:
    p = np.array([r[2] if perm else r[1] for r in REASONS])
    picked: np.ndarray = rng.choice(len(p), n, p=p / p.sum())
    return picked


def perm_counts(kids: Kids, pupils: np.ndarray) -> tuple[int, int]:
    """How many permanent exclusions for (CWSW, everyone else) among ``pupils`` (kid indices)."""
    cw = is_cwsw(kids.status[pupils])
    n_cw = round(PERM_RATE_CWSW * int(cw.sum()))
    n_all = round(PERM_RATE_ALL * len(pupils))
    return n_cw, max(0, n_all - n_cw)


def suspensions(
    rng: np.random.Generator,
    kids: Kids,
    enrols: Enrols,
    ncyear: np.ndarray,
    days: np.ndarray,
    full_year_days: int,
    school_open: np.ndarray,
) -> Exclusions:
    """Suspensions on the school days of each enrolment (``school_open[school, day]``)."""
    a = np.searchsorted(days, enrols.first)
    b = np.searchsorted(days, enrols.last, side="right") - 1
    n_days = np.maximum(b - a + 1, 0)
    chance = suspension_chance(kids, ncyear)[enrols.kid] * np.minimum(n_days / full_year_days, 1.0)
    count = (rng.random(enrols.n) < chance) * (1 + rng.poisson(repeats(kids)[enrols.kid]))
    e = np.repeat(np.arange(enrols.n), count)
    # A day within the enrolment; a closed day (INSET) moves to the next open one, if any.
    idx = a[e] + np.floor(rng.random(len(e)) * n_days[e]).astype(np.int64)
    for _ in range(6):
        closed = ~school_open[enrols.school[e], idx]
        if not closed.any():
            break
        idx = np.where(closed & (idx < b[e]), idx + 1, idx)
    ok = school_open[enrols.school[e], idx]
    e, idx = e[ok], idx[ok]
    session = (rng.random(len(e)) < 0.12).astype(np.int64)
    length = SUSPENSION_SESSIONS[rng.choice(len(SUSPENSION_SESSIONS), len(e), p=SUSPENSION_SESSIONS_P)]
    # One suspension per pupil, school and start date (the key of the exclusions table).
    key = e * 1_000_000 + idx
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    return Exclusions(
        enrol=e[first],
        day=days[idx[first]],
        session=session[first],
        sessions=length[first],
        perm=np.zeros(len(first), dtype=bool),
        reason=_reasons(rng, len(first), perm=False),
    )


def perms_at_leaving(
    rng: np.random.Generator,
    kids: Kids,
    enrols: Enrols,
    ncyear: np.ndarray,
    days: np.ndarray,
    school_open: np.ndarray,
    pupils: np.ndarray,
) -> Exclusions:
    """2025/26: permanent exclusions on enrolments that end, a few school days before they end."""
    a = np.searchsorted(days, enrols.first)
    b = np.searchsorted(days, enrols.last, side="right") - 1
    ends = (enrols.last != NO_LEAVING) & (enrols.last <= days[-1]) & (b - a >= 3)
    weight = suspension_chance(kids, ncyear)[enrols.kid] * np.where(ncyear[enrols.kid] >= 7, 6.0, 1.0) * ends
    cw = is_cwsw(kids.status[enrols.kid])
    n_cw, n_other = perm_counts(kids, pupils)
    chosen = np.concatenate([_gumbel_top(rng, weight * cw, n_cw), _gumbel_top(rng, weight * ~cw, n_other)])
    # One permanent exclusion per pupil.
    _, uniq = np.unique(enrols.kid[chosen], return_index=True)
    chosen = np.sort(chosen[uniq])
    back = rng.integers(2, 11, len(chosen))
    idx = np.maximum(b[chosen] - back, a[chosen])
    for _ in range(6):
        closed = ~school_open[enrols.school[chosen], idx]
        idx = np.where(closed & (idx < b[chosen]), idx + 1, idx)
    return Exclusions(
        enrol=chosen,
        day=days[idx],
        session=np.zeros(len(chosen), dtype=np.int64),
        sessions=2 * (b[chosen] - idx + 1),
        perm=np.ones(len(chosen), dtype=bool),
        reason=_reasons(rng, len(chosen), perm=True),
    )


def concat(parts: list[Exclusions]) -> Exclusions:
    return Exclusions(
        *(
            np.concatenate([getattr(p, f) for p in parts])
            for f in ("enrol", "day", "session", "sessions", "perm", "reason")
        )
    )


def rows(ex: Exclusions, enrols: Enrols, kids: Kids, urns: list[str]) -> list[tuple[str, str, str, str, str, str]]:
    out: list[tuple[str, str, str, str, str, str]] = []
    for e, d, n, perm, reason in zip(
        ex.enrol.tolist(), ex.day.tolist(), ex.sessions.tolist(), ex.perm.tolist(), ex.reason.tolist(), strict=True
    ):
        out.append(
            (
                urns[int(enrols.school[e])],
                str(kids.upn[enrols.kid[e]]),
                date.fromordinal(d).isoformat(),
                "PERM" if perm else "SUSP",
                "" if perm else str(n),  # a permanent exclusion has no length
                REASON_CODES[reason],
            )
        )
    return out


def write_exclusions(path: Path, rows_: list[tuple[str, str, str, str, str, str]]) -> int:
    rows_ = sorted(rows_, key=lambda r: (r[2], r[0], r[1], r[3]))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(EXCLUSION_COLUMNS)
        w.writerows(rows_)
    return len(rows_)


def perms_2024(
    rng: np.random.Generator,
    kids: Kids,
    roster: Roster2024,
    ncyear: np.ndarray,
    days: np.ndarray,
    school_open: np.ndarray,
    pupils: np.ndarray,
    term_firsts: np.ndarray,
    schools: list[School],
) -> tuple[Roster2024, Exclusions]:
    """2024/25 permanent exclusions; the excluded pupil comes off that school's roll.

    Preferably at a school the pupil was no longer at in 2025/26 (a stand-in school before a
    transfer, or before a mid-year move to alternative provision), where that is consistent with
    ``pupils.csv``; otherwise at a stand-in previous school, the pupil joining their current
    school the next term (an approximation: their recorded entry date is earlier).
    """
    en = roster.enrols
    a = np.searchsorted(days, en.first)
    b = np.searchsorted(days, en.last, side="right") - 1
    consistent = roster.transfer
    weight = (
        suspension_chance(kids, ncyear)[en.kid]
        * np.where(ncyear[en.kid] >= 7, 6.0, 1.0)
        * np.where(consistent, 6.0, 1.0)
        * (b - a >= 12)
    )
    cw = is_cwsw(kids.status[en.kid])
    n_cw, n_other = perm_counts(kids, pupils)
    chosen = np.concatenate([_gumbel_top(rng, weight * cw, n_cw), _gumbel_top(rng, weight * ~cw, n_other)])
    _, uniq = np.unique(en.kid[chosen], return_index=True)
    chosen = np.sort(chosen[uniq])
    # Before a move to alternative provision: shortly before it; otherwise any time in the year.
    span = b[chosen] - a[chosen] - 5
    idx = np.where(
        roster.prior[chosen],
        b[chosen] - rng.integers(3, 21, len(chosen)),
        a[chosen] + np.floor(rng.random(len(chosen)) * span).astype(np.int64),
    )
    idx = np.clip(idx, a[chosen], b[chosen] - 5)
    for _ in range(6):
        closed = ~school_open[en.school[chosen], idx]
        idx = np.where(closed, idx + 1, idx)
    off_roll = np.minimum(idx + 5, b[chosen])  # on roll until the governors' review, about a week
    _, secondary = phase_groups(schools)
    kid, school, first, last = (x.copy() for x in (en.kid, en.school, en.first, en.last))
    prior, transfer = roster.prior.copy(), roster.transfer.copy()
    perm_enrol = chosen.copy()
    fallback = np.flatnonzero(~consistent[chosen])
    stand_in = weighted_pick(rng, secondary, schools, len(fallback))
    new_kid: list[int] = []
    new_school: list[int] = []
    new_first: list[int] = []
    new_last: list[int] = []
    for j, s in zip(fallback.tolist(), stand_in.tolist(), strict=True):
        e = int(chosen[j])
        if s == school[e]:
            s = secondary[(secondary.index(s) + 1) % len(secondary)]
        if s == school[e]:
            continue  # a one-secondary authority: leave this exclusion where it is
        perm_enrol[j] = len(kid) + len(new_kid)
        new_kid.append(int(kid[e]))
        new_school.append(s)
        new_first.append(int(first[e]))
        new_last.append(int(days[off_roll[j]]))
        nxt = term_firsts[term_firsts > days[off_roll[j]]]
        first[e] = int(nxt[0]) if len(nxt) else int(last[e])
    keep_last = np.ones(len(chosen), dtype=bool)
    keep_last[fallback] = False
    last[chosen[keep_last]] = days[off_roll[keep_last]]
    n_new = len(new_kid)
    roster2 = Roster2024(
        Enrols(
            np.concatenate([kid, np.array(new_kid, dtype=np.int64)]),
            np.concatenate([school, np.array(new_school, dtype=np.int64)]),
            np.concatenate([first, np.array(new_first, dtype=np.int64)]),
            np.concatenate([last, np.array(new_last, dtype=np.int64)]),
        ),
        np.concatenate([prior, np.ones(n_new, dtype=bool)]),
        np.concatenate([transfer, np.ones(n_new, dtype=bool)]),
    )
    ex = Exclusions(
        enrol=perm_enrol,
        day=days[idx],
        session=np.zeros(len(chosen), dtype=np.int64),
        sessions=2 * (off_roll - idx + 1),
        perm=np.ones(len(chosen), dtype=bool),
        reason=_reasons(rng, len(chosen), perm=True),
    )
    return roster2, ex
