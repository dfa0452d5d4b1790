"""Sizes of the synthetic authority and the fixed dates every part of the simulation shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Scale:
    """How big the synthetic local authority is.

    ``pupils`` is the target number of distinct pupils on roll in 2025/26; the birth cohort size
    is derived from it so that the whole 0-17 population (and its social-care activity) scales
    with it. School counts are per kind because the mix, not just the total, drives realism.
    """

    name: str
    pupils: int
    primary: int
    secondary: int
    special: int
    alternative: int
    all_through: int
    out_of_la: int

    @property
    def in_la_schools(self) -> int:
        return self.primary + self.secondary + self.special + self.alternative + self.all_through


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 2_000, primary=7, secondary=2, special=1, alternative=1, all_through=0, out_of_la=3),
    "small": Scale("small", 20_000, primary=40, secondary=7, special=2, alternative=1, all_through=0, out_of_la=6),
    "la": Scale("la", 250_000, primary=470, secondary=98, special=20, alternative=8, all_through=4, out_of_la=30),
    # Two large counties' worth: the size above "la" the bench runs on Spark (local mode).
    "region": Scale(
        "region", 500_000, primary=940, secondary=196, special=40, alternative=16, all_through=8, out_of_la=60
    ),
}

# The authority: Kent's real LA number and name, because UPNs must carry a real LA number
# (stdnum checks it) and a real neighbour set makes the out-of-LA schools plausible. The data
# are synthetic; nothing here describes real Kent children.
LA_CODE = "886"
LA_NAME = "Kent"
NEIGHBOURS: tuple[tuple[str, str], ...] = (
    ("887", "Medway"),
    ("845", "East Sussex"),
    ("936", "Surrey"),
    ("303", "Bexley"),
    ("305", "Bromley"),
)
# Each authority's ONS code (upper tier), which the SSDA903 rules derive from a placement's
# postcode (PL_LA) and compare with the return's own authority: homes and placements are real
# postcode units of these authorities (src/ever6/data/postcode_units.csv).
ONS_CODES: dict[str, str] = {
    LA_CODE: "E10000016",
    "887": "E06000035",
    "845": "E10000011",
    "936": "E10000030",
    "303": "E09000004",
    "305": "E09000006",
}
LA_ONS_CODE = ONS_CODES[LA_CODE]

REFERENCE_DATE = date(2026, 3, 31)
PREVIOUS_REFERENCE_DATE = date(2025, 3, 31)
TRUTH_REFERENCE_DATES: tuple[date, ...] = (REFERENCE_DATE, PREVIOUS_REFERENCE_DATE)
CIN_YEARS: tuple[int, ...] = tuple(range(2020, 2027))
SSDA903_YEARS: tuple[int, ...] = tuple(range(2021, 2027))
ACADEMIC_YEAR_START = date(2025, 9, 1)
# The simulation starts well before the first file so that episodes open in 2019 have a
# history (earlier CP plans for NumberOfPreviousCPP, long-running care episodes).
SIM_START = date(2012, 4, 1)
# Everyone who could be under 18 at some time covered by the oldest file (from 1 April 2019).
OLDEST_BIRTH = date(2001, 4, 1)
