"""2024/25 attendance as termly totals per enrolment, as the school census returns it.

The same pupil model as the 2025/26 marks, drawn as counts rather than marks: days missed whole
and as single sessions are binomial in the days on roll, so each term's totals have the
spread real marks would give. A pupil's absence tendency carries over between years
(correlation about 0.85), so last year's persistent absentees are mostly this year's too.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ever6.synth.exclusions import Exclusions
from ever6.synth.school_calendar import SchoolYear
from ever6.synth.school_pupils import Enrols, Kids

TERMLY_COLUMNS = (
    "urn",
    "upn",
    "academic_year",
    "term",
    "sessions_possible",
    "sessions_authorised",
    "sessions_unauthorised",
)
TERM_FACTOR = np.array([0.99, 1.12, 0.95])  # illness peaks in the spring term; holidays are in the rate


@dataclass
class TermTotals:
    """Per (enrolment, term): possible, authorised and unauthorised sessions."""

    possible: np.ndarray  # [enrolment, term]
    authorised: np.ndarray
    unauthorised: np.ndarray
    on_roll_days: np.ndarray


def termly_totals(
    rng: np.random.Generator,
    year: SchoolYear,
    days: np.ndarray,
    school_open: np.ndarray,
    enrols: Enrols,
    rate: np.ndarray,
    unauth_share: np.ndarray,
    part_time: np.ndarray,
    sixth: np.ndarray,
    suspended: Exclusions,
) -> TermTotals:
    n = enrols.n
    term = year.term_of(days)
    a = np.searchsorted(days, enrols.first)
    b = np.searchsorted(days, enrols.last, side="right") - 1
    open_days = np.zeros((n, 3), dtype=np.int64)
    # Open school days on roll per term, from cumulative counts per school (no per-day loop).
    cum = np.concatenate([np.zeros((school_open.shape[0], 1), dtype=np.int64), np.cumsum(school_open, axis=1)], axis=1)
    for t in range(3):
        in_t = np.flatnonzero(term == t)
        lo = np.clip(a, in_t[0], in_t[-1] + 1)
        hi = np.clip(b + 1, in_t[0], in_t[-1] + 1)
        hi = np.maximum(hi, lo)
        open_days[:, t] = cum[enrols.school, hi] - cum[enrols.school, lo]
    # Sixth formers are sometimes not required to attend (X), which is not a possible session.
    x = rng.binomial(2 * open_days, np.where(sixth, 0.025, 0.0)[:, None])
    possible = 2 * open_days - x
    p = np.minimum(rate[:, None] * TERM_FACTOR[None, :], 0.9)
    whole = rng.binomial(open_days, 0.9 * p)
    half = rng.binomial(open_days - whole, np.minimum(0.2 * p / (1 - 0.9 * p), 1.0))
    absent = np.minimum(2 * whole + half, possible)
    # Part-time timetables: afternoons missed for a few weeks, authorised (C2).
    c2 = np.minimum(part_time, possible - absent)
    unauth = rng.binomial(absent, unauth_share[:, None])
    auth = absent - unauth + c2
    # Suspension sessions (E) are authorised absence; they replace sessions attended.
    e_term = np.zeros((n, 3), dtype=np.int64)
    np.add.at(e_term, (suspended.enrol, year.term_of(suspended.day)), suspended.sessions)
    attended = possible - auth - unauth
    auth += np.minimum(e_term, attended)
    return TermTotals(possible, auth, unauth, open_days)


def write_termly(path: Path, label: str, enrols: Enrols, totals: TermTotals, urns: list[str], kids: Kids) -> int:
    names = ("autumn", "spring", "summer")
    rows: list[tuple[str, str, int, str, int, int, int]] = []
    e_idx, t_idx = np.nonzero(totals.on_roll_days > 0)
    for e, t in zip(e_idx.tolist(), t_idx.tolist(), strict=True):
        rows.append(
            (
                urns[int(enrols.school[e])],
                str(kids.upn[enrols.kid[e]]),
                t,
                names[t],
                int(totals.possible[e, t]),
                int(totals.authorised[e, t]),
                int(totals.unauthorised[e, t]),
            )
        )
    rows.sort()
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(TERMLY_COLUMNS)
        w.writerows((r[0], r[1], label, r[3], r[4], r[5], r[6]) for r in rows)
    return len(rows)
