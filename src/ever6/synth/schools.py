"""The establishments: in-LA schools of each kind and a few schools in neighbouring LAs.

Codes and names are GIAS's own (``TypeOfEstablishment``, ``EstablishmentTypeGroup``,
``PhaseOfEducation``) so that importers keyed on GIAS codes, such as the state-funded AP
measure, work unchanged on synthetic data.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ever6.synth.names import make_postcodes
from ever6.synth.scales import LA_CODE, LA_NAME, NEIGHBOURS, Scale

SCHOOL_COLUMNS = (
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (code)",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Postcode",
)

# (type code, type name, type group name, weight) per kind of school.
_TYPES: dict[str, tuple[tuple[str, str, str, float], ...]] = {
    "primary": (
        ("01", "Community school", "Local authority maintained schools", 0.30),
        ("02", "Voluntary aided school", "Local authority maintained schools", 0.09),
        ("03", "Voluntary controlled school", "Local authority maintained schools", 0.09),
        ("05", "Foundation school", "Local authority maintained schools", 0.04),
        ("34", "Academy converter", "Academies", 0.30),
        ("28", "Academy sponsor led", "Academies", 0.14),
        ("35", "Free schools", "Free Schools", 0.04),
    ),
    "secondary": (
        ("01", "Community school", "Local authority maintained schools", 0.10),
        ("05", "Foundation school", "Local authority maintained schools", 0.10),
        ("34", "Academy converter", "Academies", 0.50),
        ("28", "Academy sponsor led", "Academies", 0.25),
        ("35", "Free schools", "Free Schools", 0.05),
    ),
    "all_through": (("34", "Academy converter", "Academies", 1.0),),
    "special": (
        ("07", "Community special school", "Special schools", 0.6),
        ("44", "Academy special converter", "Academies", 0.3),
        ("36", "Free schools special", "Free Schools", 0.1),
    ),
    "alternative": (
        ("14", "Pupil referral unit", "Local authority maintained schools", 0.5),
        ("42", "Academy alternative provision converter", "Academies", 0.3),
        ("38", "Free schools alternative provision", "Free Schools", 0.2),
    ),
}
_PHASE = {
    "primary": ("2", "Primary"),
    "secondary": ("4", "Secondary"),
    "all_through": ("7", "All-through"),
    "special": ("0", "Not applicable"),
    "alternative": ("0", "Not applicable"),
}
_PLACES = (
    "Ashford",
    "Canterbury",
    "Dover",
    "Faversham",
    "Folkestone",
    "Gravesend",
    "Maidstone",
    "Margate",
    "Ramsgate",
    "Sevenoaks",
    "Sittingbourne",
    "Tonbridge",
    "Tunbridge Wells",
    "Whitstable",
    "Deal",
    "Herne Bay",
    "Dartford",
    "Swanley",
    "Hythe",
    "Sandwich",
    "Broadstairs",
    "Edenbridge",
    "Cranbrook",
    "Tenterden",
    "Westgate",
    "Minster",
    "Birchington",
    "Snodland",
    "Aylesham",
    "Lydd",
    "New Romney",
    "Paddock Wood",
    "Headcorn",
    "Marden",
    "Staplehurst",
    "Wye",
    "Charing",
    "Chartham",
    "Sturry",
)
_SAINTS = ("St Mary's", "St John's", "St Peter's", "Holy Trinity", "St Margaret's", "Christ Church")


@dataclass(frozen=True)
class School:
    urn: str
    la_code: str
    la_name: str
    estab: int
    name: str
    type_code: str
    type_name: str
    group_name: str
    phase_code: str
    phase_name: str
    low_age: int
    high_age: int
    postcode: str
    kind: str
    sixth_form: bool
    size: float  # relative intake weight within its kind

    @property
    def in_la(self) -> bool:
        return self.la_code == LA_CODE

    def row(self) -> list[str]:
        return [
            self.urn,
            self.la_code,
            self.la_name,
            f"{self.estab:04d}",
            self.name,
            self.type_code,
            self.type_name,
            self.group_name,
            "Open",
            self.phase_code,
            self.phase_name,
            str(self.low_age),
            str(self.high_age),
            self.postcode,
        ]


_SUFFIXES = {
    "primary": ("Primary School", "Community Primary School", "Infant and Junior School", "Primary Academy"),
    "secondary": ("Academy", "Grammar School", "High School", "School"),
    "all_through": ("All Through Academy",),
    "special": ("Special School", "Valley School", "Foundation Special School"),
    "alternative": ("Pupil Referral Unit", "Alternative Provision Academy", "Education Centre"),
}


def _name(rng: np.random.Generator, kind: str, type_code: str, used: set[str]) -> str:
    """A plausible, unique school name; church schools get a saint's name."""
    attempt = 0
    while True:
        place = _PLACES[int(rng.integers(len(_PLACES)))]
        if attempt > 3:  # small places run out of names: qualify by area, as real names do
            place = f"{place} {('North', 'South', 'East', 'West', 'Park', 'Hill')[int(rng.integers(6))]}"
        suffixes = _SUFFIXES[kind]
        if kind == "primary" and type_code in ("02", "03"):
            saint = _SAINTS[int(rng.integers(len(_SAINTS)))]
            name = f"{saint} Church of England Primary School, {place}"
        else:
            name = f"{place} {suffixes[int(rng.integers(len(suffixes)))]}"
        attempt += 1
        if name not in used:
            used.add(name)
            return name


def make_schools(rng: np.random.Generator, scale: Scale) -> list[School]:
    counts = {
        "primary": scale.primary,
        "secondary": scale.secondary,
        "all_through": scale.all_through,
        "special": scale.special,
        "alternative": scale.alternative,
    }
    total = scale.in_la_schools + scale.out_of_la
    urns = rng.choice(np.arange(100000, 150000), total, replace=False)
    postcodes = make_postcodes(rng, scale.in_la_schools)
    # Each out-of-LA school in its own authority (the j-th is in NEIGHBOURS[j % 5]).
    away_postcodes = {la: make_postcodes(rng, -(-scale.out_of_la // len(NEIGHBOURS)), la=la) for la, _ in NEIGHBOURS}
    schools: list[School] = []
    used: set[str] = set()
    estab_used: set[tuple[str, int]] = set()
    estab_base = {"primary": 2000, "secondary": 4000, "all_through": 4500, "special": 7000, "alternative": 1100}

    def estab_for(la: str, kind: str, type_code: str) -> int:
        base = 3000 if kind == "primary" and type_code in ("02", "03") else estab_base[kind]
        if type_code in ("28", "34", "35", "42", "44", "36", "38") and kind in ("primary", "secondary"):
            base += 900 if kind == "primary" else 0  # academies keep numbers at the top of the range
        while True:
            number = base + int(rng.integers(0, 99 if kind == "alternative" else 999))
            if (la, number) not in estab_used:
                estab_used.add((la, number))
                return number

    def build(kind: str, la: str, la_name: str, urn: int, postcode: str) -> School:
        types = _TYPES[kind]
        w = np.array([t[3] for t in types])
        t = types[int(rng.choice(len(types), p=w / w.sum()))]
        phase = _PHASE[kind]
        sixth = (kind in ("secondary", "all_through") and rng.random() < 0.6) or kind == "special"
        low, high = {
            "primary": (4 if rng.random() < 0.6 else 3, 11),
            "secondary": (11, 18 if sixth else 16),
            "all_through": (4, 18),
            "special": (2, 19),
            "alternative": (5 if rng.random() < 0.2 else 11, 16),
        }[kind]
        return School(
            urn=str(urn),
            la_code=la,
            la_name=la_name,
            estab=estab_for(la, kind, t[0]),
            name=_name(rng, kind, t[0], used),
            type_code=t[0],
            type_name=t[1],
            group_name=t[2],
            phase_code=phase[0],
            phase_name=phase[1],
            low_age=low,
            high_age=high,
            postcode=postcode,
            kind=kind,
            sixth_form=sixth,
            size=float(rng.lognormal(0.0, 0.45)),
        )

    i = 0
    for kind, count in counts.items():
        for _ in range(count):
            schools.append(build(kind, LA_CODE, LA_NAME, int(urns[i]), str(postcodes[i])))
            i += 1
    if not any(s.sixth_form and s.kind in ("secondary", "all_through") for s in schools):
        # Every authority has somewhere in-LA to stay on after 16.
        k = next(i for i, s in enumerate(schools) if s.kind == "secondary")
        schools[k] = dataclasses.replace(schools[k], sixth_form=True, high_age=18)
    for j in range(scale.out_of_la):
        la, la_name = NEIGHBOURS[j % len(NEIGHBOURS)]
        kind = ("primary", "secondary", "special", "alternative")[j % 4] if j >= 2 else ("primary", "secondary")[j]
        schools.append(build(kind, la, la_name, int(urns[i]), str(away_postcodes[la][j // len(NEIGHBOURS)])))
        i += 1
    return schools


def write_schools(path: Path, schools: list[School]) -> int:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SCHOOL_COLUMNS)
        for s in sorted(schools, key=lambda s: s.urn):
            w.writerow(s.row())
    return len(schools)
