"""Code tables of the DfE CIN census: the values a reader accepts, as data in one place.

The sets are the union of every ``CIN_schema_YYYY.xsd`` (2017–2026) in both published schema
families (liia-tools and liia-tools-pipeline), so a value that any year's schema allowed is accepted
in every year: census files are re-read for six years and codes retire (18A/19A were split into
18B/18C and 19B/19C in 2021, and one family keeps the retired codes on purpose).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Spellings of a yes/no field: the older schemas allow true/false (any case), the newer only 0/1.
BOOLEANS: Mapping[str, bool] = MappingProxyType({"true": True, "1": True, "false": False, "0": False})

# GenderCurrent (to 2024) is numeric; Sex (from 2025) is already M/F/U. Both normalise to M/F/U.
GENDER_CURRENT: Mapping[str, str] = MappingProxyType({"1": "M", "2": "F", "0": "U", "9": "U"})
SEX: Mapping[str, str] = MappingProxyType({"M": "M", "F": "F", "U": "U"})

_FACTORS = (
    "1A 1B 1C 2A 2B 2C 3A 3B 3C 4A 4B 4C 5A 5B 5C 6A 6B 6C 7A 8B 8C 8D 8E 8F 9A 10A 11A 12A 13A "
    "14A 15A 16A 17A 18A 18B 18C 19A 19B 19C 20 21 22A 23A 24A"
)

# Code lists by element name. An element listed here whose value is not in its set is reported
# and the value dropped (set to null, or removed from its list).
CODES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "ReasonForClosure": frozenset(f"RC{n}" for n in range(1, 10)),
        "PrimaryNeedCode": frozenset(f"N{n}" for n in range(10)),
        "InitialCategoryOfAbuse": frozenset({"NEG", "PHY", "SAB", "EMO", "MUL"}),
        "LatestCategoryOfAbuse": frozenset({"NEG", "PHY", "SAB", "EMO", "MUL"}),
        "AssessmentFactors": frozenset(_FACTORS.split()),
    }
)
