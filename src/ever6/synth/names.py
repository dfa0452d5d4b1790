"""Pools of names and postcodes, made once per run and sampled with numpy.

Faker is slow per call and its en_GB first names are those of adults (Derek, Brian), so the
pools mix Faker's names with a list of names common among children born since 2005, weighted
towards the latter. Postcodes are real units of the ONS Postcode Directory in Kent and its
neighbours (``ever6/data/postcode_units.csv``), as the DfE's SSDA903 rules look each one up
there; Faker's are often not even well-formed (``LU8H 6QU``).
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from faker import Faker

from ever6.synth.scales import LA_CODE, ONS_CODES


def _words(text: str) -> list[str]:
    return text.split()


MODERN_FEMALE = _words(
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Willow Freya Florence Emily "
    "Ella Poppy Evie Elsie Charlotte Evelyn Sienna Sofia Daisy Phoebe Sophie Alice Harper Matilda "
    "Ruby Emilia Maya Millie Isabelle Jessica Chloe Ellie Erin Holly Lucy Megan Amber Katie Hannah "
    "Lola Molly Scarlett Elizabeth Katherine Rebecca Jennifer Abigail Harriet Margaret Victoria "
    "Samantha Eleanor Natalie Aisha Fatima Maryam Zara Layla Nevaeh Aaliyah Amira Leah Summer "
    "Bethany Jasmine Imogen"
)
MODERN_MALE = _words(
    "Muhammad Noah Oliver George Arthur Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie "
    "Theo Alfie Jacob Thomas Finley Arlo Lucas Isaac Tommy Ethan Joshua James Samuel William Daniel "
    "Benjamin Alexander Matthew Michael Christopher Nicholas Jonathan Edward Robert Frederick "
    "Joseph Dylan Logan Mason Riley Harrison Jayden Kai Tyler Reuben Ollie Max Ronnie Louie Callum "
    "Liam Adam Ryan Luke Kian Zain Ibrahim Yusuf Ali Aryan Rohan Kacper Jakub"
)
# Names that a case-management system often holds in a familiar form.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Will", "Billy", "Bill"),
    "Elizabeth": ("Lizzie", "Beth", "Libby"),
    "Alexander": ("Alex", "Xander"),
    "Katherine": ("Kate", "Katie"),
    "Thomas": ("Tom", "Tommy"),
    "James": ("Jamie", "Jim"),
    "Samuel": ("Sam", "Sammy"),
    "Jessica": ("Jess", "Jessie"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Michael": ("Mike", "Mikey"),
    "Joshua": ("Josh",),
    "Benjamin": ("Ben", "Benji"),
    "Oliver": ("Ollie", "Olly"),
    "Charlotte": ("Lottie", "Charlie"),
    "Rebecca": ("Becky", "Becca"),
    "Jennifer": ("Jenny", "Jen"),
    "Abigail": ("Abbie", "Abby"),
    "Christopher": ("Chris",),
    "Nicholas": ("Nick", "Nicky"),
    "Jonathan": ("Jon", "Jonny"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Harriet": ("Hattie",),
    "Margaret": ("Maggie", "Meg"),
    "Robert": ("Rob", "Bobby"),
    "Isabella": ("Bella", "Izzy"),
    "Olivia": ("Liv", "Livvy"),
    "Frederick": ("Freddie", "Fred"),
    "Joseph": ("Joe", "Joey"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam", "Sammie"),
    "Eleanor": ("Ellie", "Nell"),
    "Natalie": ("Nat",),
    "Theodore": ("Theo", "Teddy"),
    "Isabelle": ("Izzy",),
    "Alfred": ("Alfie",),
}
# Given names and surnames a system may store differently (diacritics, hyphens, apostrophes).
SPECIAL_FEMALE = ("Zoë", "Chloë", "Siân", "Renée", "Anaïs", "Noémie", "Lily-Rose", "Ellie-May", "Mary-Jane")
SPECIAL_MALE = ("Seán", "Rhys-James", "José", "Zoltán", "Jean-Luc", "Tomás")
SPECIAL_SURNAMES = (
    "Smith-Jones",
    "Taylor-Brown",
    "O'Brien",
    "O'Neill",
    "Müller",
    "Pérez",
    "Nowak-Kowalska",
    "D'Souza",
    "Wójcik",
    "Ní Bhriain",
    "Lewis-Hamilton",
    "Çelik",
    "Núñez",
)
EXTRA_SURNAMES = (
    "Khan",
    "Ahmed",
    "Hussain",
    "Begum",
    "Ali",
    "Patel",
    "Singh",
    "Kaur",
    "Nowak",
    "Kowalski",
    "Okafor",
    "Mensah",
    "Osei",
    "Ibrahim",
    "Chen",
    "Nguyen",
    "Popescu",
    "Silva",
    "Santos",
)


def ascii_fold(text: str) -> str:
    """Strip diacritics, as many older systems do on entry."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_special(name: str) -> bool:
    return name != ascii_fold(name) or "-" in name or "'" in name or " " in name


@dataclass(frozen=True)
class NamePools:
    female: list[str]
    female_p: np.ndarray
    male: list[str]
    male_p: np.ndarray
    surnames: list[str]
    surname_p: np.ndarray


def _pool(
    faker_names: set[str], modern: list[str], special: tuple[str, ...], modern_weight: float, special_share: float
) -> tuple[list[str], np.ndarray]:
    names = sorted(faker_names - set(modern) - set(special)) + list(modern) + list(special)
    n_old = len(names) - len(modern) - len(special)
    weights = np.concatenate(
        [
            np.full(n_old, 1.0),
            np.full(len(modern), modern_weight),
            np.full(len(special), 0.0),
        ]
    )
    weights = weights / weights.sum() * (1 - special_share)
    weights[len(names) - len(special) :] = special_share / len(special)
    return names, weights


def make_name_pools(faker: Faker) -> NamePools:
    """Name pools with selection probabilities; a sorted Faker set keeps the order seed-stable."""
    female_fk = {faker.first_name_female() for _ in range(1500)}
    male_fk = {faker.first_name_male() for _ in range(1500)}
    sur_fk = {faker.last_name() for _ in range(3000)}
    female, female_p = _pool(female_fk, MODERN_FEMALE, SPECIAL_FEMALE, 6.0, 0.012)
    male, male_p = _pool(male_fk, MODERN_MALE, SPECIAL_MALE, 6.0, 0.008)
    surnames, surname_p = _pool(sur_fk, list(EXTRA_SURNAMES), SPECIAL_SURNAMES, 1.5, 0.012)
    return NamePools(female, female_p, male, male_p, surnames, surname_p)


def _postcode_file() -> Path:
    return Path(str(resources.files("ever6") / "data" / "postcode_units.csv"))


@cache
def postcode_units(ons_code: str) -> tuple[str, ...]:
    """The real postcode units the synthetic authority uses in the authority ``ons_code``, sorted.

    From the ONS Postcode Directory (Open Government Licence v3.0; the file's header says how it
    was made): every unit of the home authority, a fixed sample of each neighbour's.
    """
    units: list[str] = []
    with _postcode_file().open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for row in rows:
            if row["authority"] == ons_code:
                units += [f"{row['sector']}{end}" for end in row["units"].split()]
    if not units:
        raise KeyError(f"no postcode units for the authority {ons_code}")
    return tuple(sorted(units))


def make_postcodes(rng: np.random.Generator, n: int, *, la: str = LA_CODE) -> np.ndarray:
    """``n`` real postcode units of the authority ``la`` (a DfE LA number), distinct while it has
    that many; beyond that (homes at the largest scales) every unit, then units again, as
    households share a real unit.
    """
    units = np.array(postcode_units(ONS_CODES[la]), dtype=object)
    if n <= len(units):
        return units[rng.choice(len(units), n, replace=False)]
    return np.concatenate([rng.permutation(units), units[rng.integers(0, len(units), n - len(units))]])
