"""The approximate 2024/25 roll as a file, ``pupils_2024-25.csv``, in the layout of ``pupils.csv``.

It is the roll the 2024/25 termly attendance, exclusions and attainment hang on (see
``school_pupils.roster_2024``), so every (URN, UPN) in those files has an enrolment here that
overlaps the year. The conventions follow ``pupils.csv``:

* ``ncyear`` is the year the pupil was in during 2024/25 (``R`` for Reception);
* ``entry_date`` is when the pupil joined the school: the date in ``pupils.csv`` where the school
  is one the pupil is still at, the date of a join within 2024/25 where the roll has one (after
  a permanent exclusion elsewhere, say), and otherwise the September the pupil would have
  started that phase (Reception, or Year 7 at a secondary) at a stand-in school;
* ``leaving_date`` is empty while the pupil stayed into 2025/26, the day they came off roll for
  a move or a permanent exclusion within 2024/25, and the last day of the summer term (22 July
  2025) for pupils who left at the end of the year (Year 11 leavers, and transfers such as Year 6
  to Year 7 whose 2024/25 school is a stand-in);
* identity fields (names, date of birth, sex, ethnicity, UPN and former UPN) and FSM Ever6 and
  SEN are the pupil's, as in ``pupils.csv``. The postcode is the current one except for pupils
  who changed school within 2025/26, taken to have moved house then: they have their previous
  postcode, where the population records a different one.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np

from ever6.synth.population import Population
from ever6.synth.pupils import PUPIL_COLUMNS
from ever6.synth.school_calendar import YEAR_2024_25
from ever6.synth.school_pupils import NO_LEAVING, SEP_2024, SEP_2025, Enrols, Kids, Roster2024

ROLL_2024_FILE = "pupils_2024-25.csv"
YEAR_END_2025 = YEAR_2024_25.terms[-1].last.toordinal()  # 22 July 2025
SEN_CODES = ("N", "K", "E")


def _phase_start(rng: np.random.Generator, nc_then: np.ndarray) -> np.ndarray:
    """A September entry (1-5th, as ``pupils.py`` draws them) to the phase of ``nc_then``."""
    year = np.where(nc_then <= 6, 2024 - nc_then, 2024 - (nc_then - 7))
    day = rng.integers(1, 6, len(nc_then))
    return np.array([date(int(y), 9, int(d)).toordinal() for y, d in zip(year, day, strict=True)], dtype=np.int64)


def write_roll_2024(
    path: Path,
    rng: np.random.Generator,
    pop: Population,
    kids: Kids,
    roster: Roster2024,
    now: Enrols,
    urns: list[str],
) -> int:
    """Write the 2024/25 roll ``roster`` (``now`` is 2025/26's, for entry dates and moves)."""
    en = roster.enrols
    nc_then = kids.ncyear - 1
    # Where the pupil is still at the school: their entry date there, as in pupils.csv.
    entry_now: dict[tuple[int, int], int] = {}
    moved_house = np.zeros(kids.n, dtype=bool)
    for k, s, f, last in zip(now.kid.tolist(), now.school.tolist(), now.first.tolist(), now.last.tolist(), strict=True):
        if f < SEP_2025:
            entry_now[(k, s)] = min(entry_now.get((k, s), f), f)
        if last != NO_LEAVING:
            moved_house[k] = True  # changed school (or left the area) within 2025/26
    stand_in_entry = _phase_start(rng, nc_then[en.kid])
    postcode = np.array(
        [
            str(pop.prev_postcode[p]) if moved_house[k] else str(pop.postcode[p])
            for k, p in enumerate(kids.person.tolist())
        ],
        dtype=object,
    )
    rows: list[tuple[str, ...]] = []
    for e in range(en.n):
        first, last = int(en.first[e]), int(en.last[e])
        if first >= SEP_2025 or last < SEP_2024:
            continue  # not on this roll during 2024/25 (an excluded pupil's next school, from September)
        k, s = int(en.kid[e]), int(en.school[e])
        if first > SEP_2024:
            entry = first  # joined within 2024/25
        elif (k, s) in entry_now:
            entry = entry_now[(k, s)]
        else:
            entry = int(stand_in_entry[e])
        if last != NO_LEAVING:
            leaving = last
        elif (k, s) in entry_now:
            leaving = NO_LEAVING  # still there in 2025/26
        else:
            leaving = YEAR_END_2025
        p = int(kids.person[k])
        nc = int(nc_then[k])
        rows.append(
            (
                urns[s],
                str(kids.upn[k]),
                str(pop.former_upn[p]),
                str(pop.forename[p]),
                str(pop.surname[p]),
                date.fromordinal(int(pop.dob[p])).isoformat(),
                "M" if pop.male[p] else "F",
                str(postcode[k]),
                "R" if nc == 0 else str(nc),
                date.fromordinal(entry).isoformat(),
                "" if leaving == NO_LEAVING else date.fromordinal(leaving).isoformat(),
                "1" if kids.fsm[k] else "0",
                SEN_CODES[int(kids.sen[k])],
                str(pop.ethnicity[p]),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[9]))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PUPIL_COLUMNS)
        w.writerows(rows)
    return len(rows)
