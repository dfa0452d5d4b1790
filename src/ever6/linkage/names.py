"""Names as people write them: nicknames, transliterations, surnames in parts, names swapped.

Used in two places, one rule each:

* the probabilistic pass compares ``forename_keys`` (and ``surname_parts``) as a Splink level
  (:mod:`ever6.linkage.probabilistic`);
* a UPN pair is linked only when the person agrees (:func:`forename_agrees`,
  :func:`birth_date_agrees`), so that a sibling's or another pupil's valid UPN does not link.

Nicknames and diminutives come from the ``nicknames`` package (Apache-2.0, a hand-curated list
of English given names and their nicknames, pinned in ``pyproject.toml``), with a few British
diminutives it lacks (:data:`DIMINUTIVES`). Transliterations of the same name (Mohammed,
Muhammad, Mohammad) are not in it: the groups in :data:`TRANSLITERATIONS` are.

Every function takes names already normalised by :func:`ever6.linkage.normalise.normalise_name`
(upper-case ASCII letters), except :func:`surname_parts`, which splits the recorded surname
before its separators are removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from functools import cache

from ever6.linkage.normalise import normalise_name

# Spellings of one name in the Latin alphabet (Arabic and South Asian names most often). The
# first spelling of each group is its key. Extend with care: every member must be the same name.
TRANSLITERATIONS: tuple[tuple[str, ...], ...] = (
    ("MUHAMMAD", "MOHAMMED", "MOHAMMAD", "MOHAMED", "MUHAMMED", "MOHAMAD", "MUHAMAD", "MOHAMMET"),
    ("AHMED", "AHMAD", "AHMET"),
    ("YUSUF", "YOUSEF", "YUSEF", "YOUSSEF", "YOUSUF"),
    ("HUSSEIN", "HUSSAIN", "HUSAIN", "HUSEIN", "HOSSEIN"),
    ("HASSAN", "HASAN"),
    ("AISHA", "AYESHA", "AYSHA", "AISHAH", "AYSHA"),
    ("FATIMA", "FATIMAH", "FATEMA", "FATMA"),
    ("OMAR", "UMAR"),
    ("OSMAN", "USMAN", "UTHMAN", "OTHMAN"),
    ("KHADIJA", "KHADIJAH", "KHADIJAH"),
    ("ZAINAB", "ZAYNAB", "ZEINAB"),
    ("MUSTAFA", "MOSTAFA", "MUSTAPHA"),
    ("IBRAHIM", "EBRAHIM", "IBRAHEEM"),
    ("ABDULLAH", "ABDALLAH", "ABDULLA"),
    ("KHALID", "KHALED"),
    ("MARYAM", "MARIAM", "MERYEM"),
    ("CHAUDHRY", "CHAUDHARY", "CHOUDHURY", "CHOWDHURY", "CHAUDHARI"),
    ("RAHMAN", "REHMAN"),
    ("MAHMOOD", "MAHMUD", "MEHMOOD"),
)

# British diminutives the package lacks (full name, diminutive).
DIMINUTIVES: tuple[tuple[str, str], ...] = (
    ("ISABEL", "IZZY"),
    ("ISABELLE", "IZZY"),
    ("ISABELLA", "IZZY"),
    ("ELIZABETH", "IZZY"),
    ("SAMANTHA", "SAMMIE"),
    ("SAMUEL", "SAMMIE"),
    ("ALFRED", "ALFIE"),
    ("EVELYN", "EVIE"),
    ("EVE", "EVIE"),
    ("MARGARET", "MAISIE"),
    ("ROSEMARY", "ROSIE"),
    ("ROSE", "ROSIE"),
    ("CHARLOTTE", "CHARLIE"),
    ("CHARLOTTE", "LOTTIE"),
    ("GEORGINA", "GEORGIE"),
    ("GEORGIA", "GEORGIE"),
    ("KATHERINE", "KATIE"),
    ("CATHERINE", "KATIE"),
    ("OLIVIA", "LIV"),
    ("ALEXANDER", "ZANDER"),
    ("LEONARDO", "LEO"),
    ("BENJAMIN", "BENJI"),
    ("OLIVER", "OLLY"),
    ("OLIVER", "OLLIE"),
    ("OLIVIA", "LIVVY"),
    ("OLIVIA", "LIVVIE"),
    ("ALEXANDER", "XANDER"),
    ("MARGARET", "MEG"),
)


@cache
def _keys_of() -> dict[str, frozenset[str]]:
    """Normalised name -> the names it may be written as: its nicknames, the full names it is a
    nickname of, and its other spellings."""
    import nicknames

    out: dict[str, set[str]] = defaultdict(set)
    for triplet in nicknames.name_triplets():
        full, short = normalise_name(triplet.name1), normalise_name(triplet.name2)
        if full and short:
            out[short].add(full)
            out[full].add(short)
    for full, short in DIMINUTIVES:
        out[short].add(full)
        out[full].add(short)
    for group in TRANSLITERATIONS:
        for name in group:
            out[name].update(group)
    return {name: frozenset(keys) for name, keys in out.items()}


@cache
def name_keys(name: str | None) -> str | None:
    """The name and every way it may be written, as ``|A|B|C|`` (None for no name).

    Two forenames are the same given name when either is among the other's keys: ``BILLY`` and
    ``WILLIAM`` (a nickname), ``MOHAMMED`` and ``MUHAMMAD`` (spellings). Text, not a list, so the
    comparison is a substring test every engine runs fast (``instr``).
    """
    if not name:
        return None
    return "|" + "|".join(sorted({name, *_keys_of().get(name, frozenset())})) + "|"


def is_written_as(a: str, b: str) -> bool:
    """Whether ``b`` is one of the ways ``a`` may be written (symmetric)."""
    return f"|{b}|" in (name_keys(a) or "")


_SEPARATORS = re.compile(r"[\s\-‐‑–—/]+")


@cache
def surname_parts(recorded: str | None) -> str | None:
    """A double-barrelled or hyphenated surname's parts, each normalised, plus the whole, as text.

    ``Smith-Jones`` -> ``|JONES|SMITH|SMITHJONES|``: it agrees with ``Jones``, ``Smith`` and
    ``Smith Jones`` (a surname agrees when it is among the other's parts). Each part's other
    spellings are added (``Hussain`` -> ``HUSSEIN``, ...).
    """
    if recorded is None:
        return None
    whole = normalise_name(recorded)
    if whole is None:
        return None
    parts = {p for p in (normalise_name(x) for x in _SEPARATORS.split(recorded)) if p and len(p) > 1}
    keys: set[str] = {whole, *parts}
    for p in list(keys):
        keys.update(_spellings().get(p, ()))
    return "|" + "|".join(sorted(keys)) + "|"


@cache
def _spellings() -> dict[str, tuple[str, ...]]:
    return {name: group for group in TRANSLITERATIONS for name in group}


def within_one_edit(a: str, b: str) -> bool:
    """One letter typed wrong, missed, added, or two neighbouring letters swapped."""
    if a == b:
        return True
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] if len(a) == len(b) else a[i:] == b[i + 1 :]


def same_given_name(a: str, b: str) -> bool:
    """Exact, one typo apart, or the same name by nickname or transliteration."""
    return within_one_edit(a, b) or is_written_as(a, b)


def forename_agrees(
    child_forename: str | None,
    child_surname: str | None,
    pupil_forename: str | None,
    pupil_surname: str | None,
    *,
    same_sex: bool = False,
) -> bool:
    """Whether the forenames can be the same child's (True when either is not recorded).

    Agrees: the same name, a typo, a nickname or transliteration, forename and surname swapped
    on one side, or (``same_sex`` known) the first three letters (Sammie / Samantha; but Oliver
    and Olivia, twins, differ in sex). A sibling's different forename does not.
    """
    if child_forename is None or pupil_forename is None:
        return True
    if same_given_name(child_forename, pupil_forename):
        return True
    if same_sex and len(child_forename) >= 3 and child_forename[:3] == pupil_forename[:3]:
        return True
    return child_forename == pupil_surname and child_surname == pupil_forename


def birth_date_agrees(child: date | None, pupil: date | None) -> bool:
    """The same birth date, or day and month swapped (True when either is not recorded)."""
    if child is None or pupil is None or child == pupil:
        return True
    return child.day <= 12 and child.year == pupil.year and (child.day, child.month) == (pupil.month, pupil.day)
