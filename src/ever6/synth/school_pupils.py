"""The pupils the school data hang on: their lasting propensities, and their enrolments by year.

Every pupil gets three latent scores drawn once and kept for both years, which is what makes
the measures hang together the way they do in real data: ``absence`` (a persistent tendency to
miss school), ``behaviour`` (correlated with it; drives suspensions and exclusions) and
``ability`` noise (attainment also falls with absence, SEN, FSM and social-care history). The
social-care status is the simulation's own knowledge of the Ever6 CWSW cohort (the truth files),
not something re-derived here.

The 2024/25 roll is an approximation (only 2025/26 enrolments exist in ``pupils.csv``): this
year's pupils one NC year younger, without this year's Reception, at the school they were
already at; those who joined their school at the September transfer get a school of the
right phase; those who joined mid-2025/26 came from outside the authority and are left out;
and last year's Year 11, most of whom left for FE colleges, are added back so that KS4 results
cover the whole year group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from ever6.synth.population import Population
from ever6.synth.pupils import Enrolment, PupilAttrs, ncyear_of
from ever6.synth.schools import School

# Status at a reference date; 0 = not in the cohort. 1-4 are the CWSW statuses, 5 is CLA.
STATUSES = ("", "EVER6_PREVIOUS", "CIN_OTHER", "CINP", "CPP", "CLA")
STATUS_INDEX = {s: i for i, s in enumerate(STATUSES)}
CLA = 5
NO_LEAVING = date(2100, 1, 1).toordinal()
SEP_2024 = date(2024, 9, 1).toordinal()
SEP_2025 = date(2025, 9, 1).toordinal()
TRANSFER_LAST = date(2025, 9, 5).toordinal()  # pupils.py starts a year's entrants on 1-5 September


def is_cwsw(status: np.ndarray) -> np.ndarray:
    """In the Ever6 CWSW cohort (the looked-after are reported beside it, not inside it)."""
    result: np.ndarray = (status >= 1) & (status <= 4)
    return result


@dataclass
class Kids:
    """Every pupil of either year, indexed so that the first ``n_on_roll`` match ``PupilAttrs``."""

    person: np.ndarray
    ncyear: np.ndarray  # NC year in 2025/26 (0 = Reception); last year's Year 11 leavers have 12
    male: np.ndarray
    fsm: np.ndarray
    sen: np.ndarray  # 0 N, 1 K (SEN support), 2 E (EHC plan)
    status: np.ndarray  # at 2026-03-31 (STATUSES index)
    upn: np.ndarray
    dob: np.ndarray
    deprivation: np.ndarray
    absence: np.ndarray
    behaviour: np.ndarray
    ability: np.ndarray
    n_on_roll: int

    @property
    def n(self) -> int:
        return len(self.person)


@dataclass
class Enrols:
    """One year's enrolments as columns; ``last`` is the leaving date ordinal or NO_LEAVING."""

    kid: np.ndarray
    school: np.ndarray  # index into the schools list
    first: np.ndarray
    last: np.ndarray

    @property
    def n(self) -> int:
        return len(self.kid)


def _sen_codes(sen: np.ndarray) -> np.ndarray:
    return np.select([sen == "K", sen == "E"], [1, 2], 0).astype(np.int8)


def make_kids(
    rng: np.random.Generator,
    pop: Population,
    attrs: PupilAttrs,
    status_of: dict[int, str],
    cwsw_persons: set[int],
    dead_before_2024: set[int],
) -> Kids:
    on_roll = set(attrs.person.tolist())
    nc_all = ncyear_of(pop.dob)
    # Last year's Year 11 who are no longer at school: state-school pupils with a UPN.
    leavers = np.array(
        [
            p
            for p in np.flatnonzero((nc_all == 12) & ~pop.independent & ~pop.home_educated & (pop.upn != "")).tolist()
            if p not in on_roll and p not in dead_before_2024
        ],
        dtype=np.int64,
    )
    n_l = len(leavers)
    # Their FSM and SEN are drawn as pupils.py draws them for pupils on roll.
    cw = np.array([p in cwsw_persons for p in leavers.tolist()], dtype=bool)
    z = pop.deprivation[leavers]
    fsm_l = rng.random(n_l) < 1 / (1 + np.exp(-(-1.55 + 1.05 * z + 1.6 * cw)))
    u = rng.random(n_l)
    p_e = 0.028 + 0.08 * cw + 0.01 * (z > 1)
    p_k = 0.12 + 0.16 * cw + 0.03 * (z > 0.5)
    sen_l = np.where(u < p_e, 2, np.where(u < p_e + p_k, 1, 0)).astype(np.int8)

    person = np.concatenate([attrs.person.astype(np.int64), leavers])
    n = len(person)
    status = np.array([STATUS_INDEX[status_of.get(p, "")] for p in person.tolist()], dtype=np.int8)
    absence = rng.standard_normal(n)
    # Behaviour shares about a third of its variance with absence: suspended pupils miss more school.
    behaviour = 0.55 * absence + np.sqrt(1 - 0.55**2) * rng.standard_normal(n)
    ability = rng.standard_normal(n)
    return Kids(
        person=person,
        ncyear=np.concatenate([attrs.ncyear.astype(np.int64), np.full(n_l, 12, dtype=np.int64)]),
        male=pop.male[person].astype(bool),
        fsm=np.concatenate([attrs.fsm.astype(bool), fsm_l]),
        sen=np.concatenate([_sen_codes(attrs.sen), sen_l]),
        status=status,
        upn=pop.upn[person],
        dob=pop.dob[person].astype(np.int64),
        deprivation=pop.deprivation[person],
        absence=absence,
        behaviour=behaviour,
        ability=ability,
        n_on_roll=len(attrs.person),
    )


def enrols_2025(enrolments: list[Enrolment], kids: Kids, urn_index: dict[str, int]) -> Enrols:
    """This year's enrolments in the order of ``pupils.csv`` (URN, UPN, entry date)."""
    order = sorted(
        range(len(enrolments)),
        key=lambda i: (enrolments[i].urn, str(kids.upn[enrolments[i].pupil]), enrolments[i].entry.isoformat()),
    )
    es = [enrolments[i] for i in order]
    return Enrols(
        kid=np.array([e.pupil for e in es], dtype=np.int64),
        school=np.array([urn_index[e.urn] for e in es], dtype=np.int64),
        first=np.array([e.entry.toordinal() for e in es], dtype=np.int64),
        last=np.array([e.leaving.toordinal() if e.leaving else NO_LEAVING for e in es], dtype=np.int64),
    )


@dataclass
class Roster2024:
    """The approximate 2024/25 roll; ``prior`` marks an enrolment before a mid-year move."""

    enrols: Enrols
    prior: np.ndarray
    transfer: np.ndarray  # the school is a stand-in for one the data do not name


def weighted_pick(rng: np.random.Generator, group: list[int], schools: list[School], k: int) -> np.ndarray:
    w = np.array([schools[i].size for i in group])
    picked: np.ndarray = np.array(group, dtype=np.int64)[rng.choice(len(group), k, p=w / w.sum())]
    return picked


def phase_groups(schools: list[School]) -> tuple[list[int], list[int]]:
    """In-LA mainstream schools by phase (primary, secondary), as indices into ``schools``."""
    primary = [i for i, s in enumerate(schools) if s.in_la and s.kind in ("primary", "all_through")]
    secondary = [i for i, s in enumerate(schools) if s.in_la and s.kind in ("secondary", "all_through")]
    return primary, secondary


def roster_2024(rng: np.random.Generator, kids: Kids, now: Enrols, schools: list[School]) -> Roster2024:
    primary, secondary = phase_groups(schools)
    earliest_entry = np.full(kids.n, NO_LEAVING, dtype=np.int64)
    earliest_school = np.full(kids.n, -1, dtype=np.int64)
    first_any = np.full(kids.n, NO_LEAVING, dtype=np.int64)
    # Enrolments are few per pupil: a loop over them is cheap even at the la scale.
    for k, s, f in zip(now.kid.tolist(), now.school.tolist(), now.first.tolist(), strict=True):
        first_any[k] = min(first_any[k], f)
        if f < SEP_2025 and f < earliest_entry[k]:
            earliest_entry[k], earliest_school[k] = f, s
    nc_then = kids.ncyear - 1
    kid_ids: list[np.ndarray] = []
    school_ids: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    priors: list[np.ndarray] = []
    transfers: list[np.ndarray] = []

    def add(k: np.ndarray, s: np.ndarray, f: np.ndarray, prior: bool, transfer: bool) -> None:
        kid_ids.append(k)
        school_ids.append(s)
        firsts.append(f)
        priors.append(np.full(len(k), prior))
        transfers.append(np.full(len(k), transfer))

    eligible = nc_then >= 0
    stayed = eligible & (earliest_school >= 0)
    k_stay = np.flatnonzero(stayed)
    add(k_stay, earliest_school[k_stay], np.maximum(earliest_entry[k_stay], SEP_2024), False, False)
    # Joined their school mid-2024/25 (alternative provision placements): somewhere before that.
    mid = k_stay[earliest_entry[k_stay] > SEP_2024 + 14]
    mid_primary = mid[nc_then[mid] <= 6]
    mid_secondary = mid[nc_then[mid] > 6]
    for group, ks in ((primary, mid_primary), (secondary, mid_secondary)):
        add(ks, weighted_pick(rng, group, schools, len(ks)), np.full(len(ks), SEP_2024), True, True)
    # Started at this school at the September 2025 transfer (Year 7, special schools, sixth forms).
    moved = np.flatnonzero(eligible & (earliest_school < 0) & (first_any <= TRANSFER_LAST))
    moved = np.concatenate([moved, np.arange(kids.n_on_roll, kids.n)])  # and last year's Year 11 leavers
    moved_primary = moved[nc_then[moved] <= 6]
    moved_secondary = moved[nc_then[moved] > 6]
    for group, ks in ((primary, moved_primary), (secondary, moved_secondary)):
        add(ks, weighted_pick(rng, group, schools, len(ks)), np.full(len(ks), SEP_2024), False, True)
    kid = np.concatenate(kid_ids)
    school = np.concatenate(school_ids)
    first = np.concatenate(firsts)
    prior = np.concatenate(priors)
    transfer = np.concatenate(transfers)
    last = np.full(len(kid), NO_LEAVING, dtype=np.int64)
    # A prior enrolment ends the day before the pupil joined the school they are at now.
    if prior.any():
        entry_now = dict(zip(kid[~prior].tolist(), first[~prior].tolist(), strict=True))
        last[prior] = np.array([entry_now[k] - 1 for k in kid[prior].tolist()], dtype=np.int64)
    order = np.lexsort((first, kid))
    return Roster2024(Enrols(kid[order], school[order], first[order], last[order]), prior[order], transfer[order])


# --- the absence model ---------------------------------------------------------------------------

# Log-odds of a pupil's absence rate; calibrated (tests/synth) to the national pattern: rising
# through secondary, higher with FSM and SEN, much higher with a social worker (worst on a plan).
ABSENCE_BASE = -4.66
ABSENCE_SPREAD = 1.85
ABSENCE_AGE = np.array([0.25, 0.0, -0.05, -0.05, -0.05, 0.0, 0.05, 0.28, 0.45, 0.62, 0.75, 0.82, 0.6, 0.7])
ABSENCE_SEN = np.array([0.0, 0.35, 0.55])
ABSENCE_STATUS = np.array([0.0, 1.05, 1.33, 1.57, 1.67, 0.4])
# Children with a social worker differ more among themselves: a wider spread as well as a shift.
ABSENCE_SPREAD_CWSW = 1.05
ABSENCE_KIND = {"alternative": 1.3, "special": 0.3}


def absence_rate(
    kids: Kids,
    enrols: Enrols,
    ncyear: np.ndarray,
    school_effect: np.ndarray,
    kinds: np.ndarray,
    latent: np.ndarray | None = None,
) -> np.ndarray:
    """Each enrolment's expected share of possible sessions missed (before seasons and events)."""
    k = enrols.kid
    latent = kids.absence if latent is None else latent
    kind_effect = np.array([ABSENCE_KIND.get(str(x), 0.0) for x in kinds])
    logit = (
        ABSENCE_BASE
        + ABSENCE_AGE[np.clip(ncyear[k], 0, len(ABSENCE_AGE) - 1)]
        + 0.45 * kids.fsm[k]
        + ABSENCE_SEN[kids.sen[k]]
        + ABSENCE_STATUS[kids.status[k]]
        + 0.08 * kids.deprivation[k]
        + school_effect[enrols.school]
        + kind_effect[enrols.school]
        + ABSENCE_SPREAD * np.where(is_cwsw(kids.status[k]), ABSENCE_SPREAD_CWSW, 1.0) * latent[k]
    )
    rate: np.ndarray = 1 / (1 + np.exp(-logit))
    return rate
