"""An authority's localities: which postcodes lie in which locality (or ward), and the errors in
saying so, each named by where it was said (the config file's ``[localities]`` entry, or the
lookup CSV's line and field).

Two ways to define them (``docs/cohort.md``, Localities):

- ``[localities] areas``: locality -> postcode districts (``CT1``) or sectors (``CT2 7``). A
  postcode is in the locality of its sector if one is listed, else of its district.
- ``[localities] lookup``: a CSV the authority supplies, ``postcode,locality`` (a full postcode
  each line), for wards or any other division.

Every postcode is compared in its normal form (:func:`ever6.postcode.normalise_postcode`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ever6.postcode import normalise_postcode

UNKNOWN = "unknown"  # the locality of a child or school with no postcode, or one no locality holds

_DISTRICT = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)$")
_SECTOR = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR) [0-9]$")


class LocalityError(ValueError):
    """The localities cannot be used as given; ``problems`` says where and why, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Localities:
    """Postcode sectors, districts and whole postcodes, each with its locality."""

    sectors: Mapping[str, str] = field(default_factory=dict)  # "CT2 7" -> locality
    districts: Mapping[str, str] = field(default_factory=dict)  # "CT1" -> locality
    postcodes: Mapping[str, str] = field(default_factory=dict)  # "CT1 1AA" -> locality

    def __bool__(self) -> bool:
        return bool(self.sectors or self.districts or self.postcodes)

    def names(self) -> list[str]:
        return sorted({*self.sectors.values(), *self.districts.values(), *self.postcodes.values()})

    def locality_of(self, postcode: str | None) -> str:
        """The locality of a postcode: its own entry, else its sector's, else its district's."""
        normal = normalise_postcode(postcode)
        if normal is None:
            return UNKNOWN
        outward, inward = normal.split(" ")
        for table, key in (
            (self.postcodes, normal),
            (self.sectors, f"{outward} {inward[0]}"),
            (self.districts, outward),
        ):
            if key in table:
                return table[key]
        return UNKNOWN


def _area(text: str) -> str:
    """A district or sector in its normal form: upper case, one space before the sector digit."""
    compact = "".join(text.split()).upper()
    if compact and compact[-1].isdigit() and _SECTOR.match(f"{compact[:-1]} {compact[-1]}"):
        sector = f"{compact[:-1]} {compact[-1]}"
        # "CT12" is district CT12, not sector "CT1 2": a sector is written with its space.
        if " " in text.strip():
            return sector
    return compact


def from_areas(areas: Mapping[str, Sequence[str]], *, where: str = "[localities] areas") -> Localities:
    """Localities from ``locality -> [district or sector, ...]``; overlaps and malformed entries
    are errors (all of them at once), each naming the locality and the entry."""
    problems: list[str] = []
    owner: dict[str, str] = {}
    for locality, entries in areas.items():
        if not str(locality).strip():
            problems.append(f"{where}: a locality has no name")
            continue
        if isinstance(entries, str) or not isinstance(entries, Sequence):
            problems.append(f"{where}.{locality}: expected a list of postcode districts or sectors")
            continue
        for entry in entries:
            area = _area(str(entry))
            if not (_DISTRICT.match(area) or _SECTOR.match(area)):
                problems.append(f"{where}.{locality}: {entry!r} is not a postcode district (CT1) or sector (CT2 7)")
                continue
            if area in owner:
                if owner[area] != locality:
                    problems.append(f"{where}: {area} is in both {owner[area]} and {locality}")
                continue
            owner[area] = locality
    # A sector inside a district listed for another locality: the two overlap.
    for area, locality in owner.items():
        if " " in area:
            district = area.split(" ")[0]
            if district in owner and owner[district] != locality:
                problems.append(f"{where}: sector {area} ({locality}) lies in district {district} ({owner[district]})")
    if problems:
        raise LocalityError(problems)
    return Localities(
        sectors={a: loc for a, loc in owner.items() if " " in a},
        districts={a: loc for a, loc in owner.items() if " " not in a},
    )


LOOKUP_COLUMNS = ("postcode", "locality")


def from_lookup(path: Path) -> Localities:
    """Localities from a ``postcode,locality`` CSV; every problem is named by file, line and field."""
    problems: list[str] = []
    postcodes: dict[str, str] = {}
    first_line: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LocalityError([f"{path}: cannot be read ({exc.strerror or exc})"]) from exc
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in LOOKUP_COLUMNS if c not in header]
    if missing:
        raise LocalityError([f"{path}, line 1: missing column {', '.join(missing)} (expected postcode,locality)"])
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        raw = (row.get("postcode") or "").strip()
        locality = (row.get("locality") or "").strip()
        postcode = normalise_postcode(raw)
        if postcode is None:
            problems.append(f"{path}, line {line}, postcode: {raw!r} is not a UK postcode")
            continue
        if not locality:
            problems.append(f"{path}, line {line}, locality: empty")
            continue
        if postcode in postcodes and postcodes[postcode] != locality:
            problems.append(
                f"{path}, line {line}, locality: {postcode} is {postcodes[postcode]!r} on line "
                f"{first_line[postcode]} and {locality!r} here"
            )
            continue
        postcodes.setdefault(postcode, locality)
        first_line.setdefault(postcode, line)
    if problems:
        raise LocalityError(problems)
    return Localities(postcodes=postcodes)
