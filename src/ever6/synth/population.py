"""Every child who lives in the authority at some time the files cover, as numpy columns.

A person is anyone born from ``OLDEST_BIRTH`` (so under 18 on 1 April 2019, the start of the
oldest CIN census year) to the reference date. Attributes that later modules need are drawn
here once: ``deprivation`` is a latent score that drives both social-care risk and FSM, so that
CWSW pupils are more often FSM without either being derived from the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from stdnum.gb import upn as upn_mod

from ever6.dates import academic_year_start
from ever6.synth.names import NamePools, make_postcodes
from ever6.synth.scales import LA_CODE, NEIGHBOURS, OLDEST_BIRTH, REFERENCE_DATE, Scale

ETHNICITY = {
    "WBRI": 0.735,
    "WOTH": 0.06,
    "WIRI": 0.003,
    "WIRT": 0.002,
    "WROM": 0.004,
    "MWBC": 0.013,
    "MWBA": 0.008,
    "MWAS": 0.012,
    "MOTH": 0.015,
    "AIND": 0.02,
    "APKN": 0.006,
    "ABAN": 0.005,
    "AOTH": 0.02,
    "BCRB": 0.004,
    "BAFR": 0.032,
    "BOTH": 0.004,
    "CHNE": 0.005,
    "OOTH": 0.017,
    "REFU": 0.01,
    "NOBT": 0.01,
}
# On-roll rates by NC year beyond independent / home-educated children: most 16-18 year olds
# in Kent study at FE colleges, not school sixth forms.
STAYING_ON = {12: 0.48, 13: 0.42}
_OTHER_LA_CODES = (*(code for code, _ in NEIGHBOURS), "873", "926", "850", "352", "212")


@dataclass
class Population:
    """Column arrays, one entry per person; ``dob`` is a date ordinal."""

    dob: np.ndarray
    male: np.ndarray
    ethnicity: np.ndarray
    deprivation: np.ndarray
    forename: np.ndarray
    surname: np.ndarray
    postcode: np.ndarray
    prev_postcode: np.ndarray
    independent: np.ndarray
    home_educated: np.ndarray
    upn: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    former_upn: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    upn_issued: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))

    @property
    def n(self) -> int:
        return len(self.dob)


def births_per_year(scale: Scale) -> float:
    on_roll_years = 12 * 0.93 + sum(STAYING_ON.values()) * 0.93
    return scale.pupils / on_roll_years


def _attributes(
    rng: np.random.Generator, dob: np.ndarray, pools: NamePools, postcodes: np.ndarray
) -> dict[str, np.ndarray]:
    n = len(dob)
    male = rng.random(n) < 0.512
    eth_codes = np.array(list(ETHNICITY), dtype=object)
    eth_p = np.array(list(ETHNICITY.values()))
    forename = np.where(
        male,
        np.array(pools.male, dtype=object)[rng.choice(len(pools.male), n, p=pools.male_p)],
        np.array(pools.female, dtype=object)[rng.choice(len(pools.female), n, p=pools.female_p)],
    )
    deprivation = rng.standard_normal(n)
    # Independent schooling is rarer in deprived families; home education slightly commoner.
    independent = rng.random(n) < np.clip(0.06 - 0.03 * deprivation, 0.005, 0.15)
    home_educated = ~independent & (rng.random(n) < 0.012 + 0.004 * (deprivation > 1))
    home = rng.integers(0, len(postcodes), n)
    moved = rng.random(n) < 0.3
    prev = np.where(moved, (home + rng.integers(1, len(postcodes), n)) % len(postcodes), home)
    return {
        "dob": dob,
        "male": male,
        "ethnicity": eth_codes[rng.choice(len(eth_codes), n, p=eth_p / eth_p.sum())],
        "deprivation": deprivation,
        "forename": forename,
        "surname": np.array(pools.surnames, dtype=object)[rng.choice(len(pools.surnames), n, p=pools.surname_p)],
        "postcode": postcodes[home],
        "prev_postcode": postcodes[prev],
        "independent": independent,
        "home_educated": home_educated,
    }


def make_population(rng: np.random.Generator, scale: Scale, pools: NamePools) -> Population:
    per_year = births_per_year(scale)
    first, last = OLDEST_BIRTH.toordinal(), REFERENCE_DATE.toordinal()
    years = (last - first) / 365.25
    n = round(per_year * years)
    # Births in England fell by about a sixth from 2012 to 2024: a gentle linear trend.
    u = rng.random(n)
    slope = -0.15
    # Inverse CDF of density proportional to (1 + slope * x) on [0, 1].
    x = (-1 + np.sqrt(1 + slope * (2 + slope) * u)) / slope
    dob = np.sort((first + x * (last - first)).astype(np.int64))
    postcodes = make_postcodes(rng, max(200, n // 3))
    return Population(**_attributes(rng, dob, pools, postcodes))


def append_persons(pop: Population, rng: np.random.Generator, dobs: list[int], pools: NamePools) -> list[int]:
    """Add hand-made persons (the deliberate edge cases); returns their indices."""
    start = pop.n
    uniq = np.unique(pop.postcode)
    extra = _attributes(rng, np.array(dobs, dtype=np.int64), pools, uniq)
    extra["independent"][:] = False
    extra["home_educated"][:] = False
    for name, values in extra.items():
        setattr(pop, name, np.concatenate([getattr(pop, name), values]))
    return list(range(start, pop.n))


def _upn(la: str, estab: int, year: int, serial: int, temporary: bool, letter: str) -> str:
    body = f"{la}{estab:04d}{year % 100:02d}" + (f"{serial % 100:02d}{letter}" if temporary else f"{serial:03d}")
    return upn_mod.calc_check_digit(body) + body


def assign_upns(pop: Population, rng: np.random.Generator, estab_numbers: list[int]) -> None:
    """Issue a UPN to everyone who has started school in England by the reference date.

    The UPN is issued on entry to Reception by the first school (LA number and establishment
    number of that school, two-digit year, serial); children who moved in were issued one by
    another authority. A few pupils also carry a former UPN (usually a temporary one).
    """
    n = pop.n
    ay = np.array([academic_year_start(date.fromordinal(int(d))) for d in pop.dob])
    reception = ay + 5
    issue = np.array([date(int(y), 9, 1).toordinal() for y in reception], dtype=np.int64)
    eligible = (~pop.independent) & (issue <= REFERENCE_DATE.toordinal())
    other_la = rng.random(n) < 0.1
    la_pick = rng.integers(0, len(_OTHER_LA_CODES), n)
    estab_pick = rng.integers(0, len(estab_numbers), n)
    other_estab = rng.integers(2000, 4000, n)
    serial = rng.integers(0, 1000, n)
    has_former = rng.random(n) < 0.025
    temp_former = rng.random(n) < 0.6
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    letter_pick = rng.integers(0, len(letters), n)
    upns = np.full(n, "", dtype=object)
    former = np.full(n, "", dtype=object)
    seen: set[str] = set()
    for i in np.flatnonzero(eligible):
        la = _OTHER_LA_CODES[la_pick[i]] if other_la[i] else LA_CODE
        estab = int(other_estab[i]) if other_la[i] else estab_numbers[estab_pick[i]]
        s = int(serial[i])
        code = _upn(la, estab, int(reception[i]), s, False, "")
        while code in seen:  # a serial clash at the same school and year: take the next serial
            s = (s + 1) % 1000
            code = _upn(la, estab, int(reception[i]), s, False, "")
        seen.add(code)
        upns[i] = code
        if has_former[i]:
            s2 = (s + 37) % 1000
            f = _upn(
                la,
                estab,
                int(reception[i]) - int(not temp_former[i]),
                s2,
                bool(temp_former[i]),
                letters[letter_pick[i]],
            )
            if f not in seen:
                seen.add(f)
                former[i] = f
    pop.upn = upns
    pop.former_upn = former
    pop.upn_issued = np.where(eligible, issue, 0)
