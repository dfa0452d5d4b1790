"""How the authority's records of a child differ from the truth: the linkage problem.

Two things are decided here. How social care holds each child's UPN (correct, missing, stale
= the former UPN, or mistyped), which both the CIN census and the case-management extract
show. And the case-management identity itself, with the noise a real extract has: typos,
nicknames, changed surnames, stale postcodes, day/month swaps, folded diacritics. Each
applied noise is tagged so the truth records exactly what was done, and the rates go in the
manifest.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from stdnum.gb import upn as upn_mod

from ever6.synth.names import NICKNAMES, NamePools, ascii_fold, is_special
from ever6.synth.population import Population
from ever6.synth.rand import Draws
from ever6.synth.scales import REFERENCE_DATE
from ever6.synth.social_care import ScChild

CM_COLUMNS = (
    "Person ID",
    "First Name",
    "Last Name",
    "Date of Birth",
    "Gender",
    "Post Code",
    "UPN",
    "Former UPN",
    "Allocated Worker",
    "Worker Email",
    "Team",
    "Team Mailbox",
)
CM_MAPPING = """\
# Column mapping for the synthetic case-management extract (cm_identity).
[columns]
la_child_id = "Person ID"
forename = "First Name"
surname = "Last Name"
birth_date = "Date of Birth"
sex = "Gender"
postcode = "Post Code"
upn = "UPN"
former_upn = "Former UPN"
worker_name = "Allocated Worker"
worker_email = "Worker Email"
team = "Team"
team_email = "Team Mailbox"

[options]
date_format = "%d/%m/%Y"
"""
_REF = REFERENCE_DATE.toordinal()
NOISE_TAGS = (
    "missing_upn",
    "stale_upn",
    "mistyped_upn",
    "name_typo",
    "nickname",
    "surname_changed",
    "stale_postcode",
    "dob_day_month_swap",
    "unicode_variant",
)


@dataclass(frozen=True)
class CmRecord:
    la_child_id: str
    forename: str
    surname: str
    dob: date
    gender: str
    postcode: str
    upn: str
    former_upn: str
    noise: tuple[str, ...]


def _mistype(d: Draws, upn: str) -> str:
    """Swap two adjacent differing digits (or change one); never a valid UPN by accident."""
    for _ in range(50):
        chars = list(upn)
        i = d.int(4, 11)
        if chars[i] != chars[i + 1] and d.chance(0.6):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = str((int(chars[i]) + d.int(1, 9)) % 10)
        typo = "".join(chars)
        if typo != upn and not upn_mod.is_valid(typo):
            return typo
    return upn[0] + upn[1:4] + upn[4:12][::-1] + upn[12]


def assign_upn_recording(rng: np.random.Generator, pop: Population, children: list[ScChild]) -> None:
    d = Draws(rng)
    for child in children:
        if child.edge_case:
            child.upn_recording = "ok" if pop.upn[child.person] else "none"
            child.recorded_upn = str(pop.upn[child.person])
            continue
        true = str(pop.upn[child.person])
        if not true:
            child.upn_recording = "none"
            continue
        former = str(pop.former_upn[child.person])
        r = d.u()
        if r < 0.10:
            child.upn_recording = "missing"
        elif r < 0.115:
            child.upn_recording = "mistyped"
            child.recorded_upn = _mistype(d, true)
        elif former and r < 0.6:
            child.upn_recording = "stale"
            child.recorded_upn = former
        else:
            child.upn_recording = "ok"
            child.recorded_upn = true


def _typo(d: Draws, name: str) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 3:
        return name + name[-1]
    if d.chance(0.5):
        i = d.pick(letters[:-1])
        if name[i + 1].isalpha() and name[i] != name[i + 1]:
            return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    i = d.pick(letters[1:])
    return name[:i] + name[i + 1 :]


def make_case_management(
    rng: np.random.Generator, pop: Population, pools: NamePools, children: list[ScChild]
) -> list[CmRecord]:
    d = Draws(rng)
    records: list[CmRecord] = []
    for child in children:
        p = child.person
        tags: list[str] = []
        forename = str(pop.forename[p])
        surname = str(pop.surname[p])
        born = child.dob <= _REF
        if not born:
            forename = "Unborn"  # case-management systems record an unborn child this way
        dob = date.fromordinal(child.dob if born else (child.expected_dob or child.dob))
        postcode = str(pop.postcode[p])
        upn = child.recorded_upn if child.upn_recording in ("ok", "stale", "mistyped") else ""
        former = str(pop.former_upn[p]) if child.upn_recording == "ok" and d.chance(0.7) else ""
        if child.upn_recording in ("missing", "stale", "mistyped"):
            tags.append(f"{child.upn_recording}_upn")
        if not child.edge_case and born:
            if forename in NICKNAMES and d.chance(0.3):
                forename = d.pick(NICKNAMES[forename])
                tags.append("nickname")
            if d.chance(0.03):
                surname = str(pools.surnames[d.int(0, len(pools.surnames) - 1)])
                if surname != str(pop.surname[p]):
                    tags.append("surname_changed")
            if (is_special(forename) or is_special(surname)) and d.chance(0.5):
                # Older systems fold diacritics and drop hyphens / apostrophes on entry.
                forename2 = ascii_fold(forename).replace("-", " ").replace("'", "")
                surname2 = ascii_fold(surname).replace("-", " ").replace("'", "")
                if (forename2, surname2) != (forename, surname):
                    forename, surname = forename2, surname2
                    tags.append("unicode_variant")
            if d.chance(0.04):
                if d.chance(0.5):
                    forename2 = _typo(d, forename)
                    changed = forename2 != forename
                    forename = forename2
                else:
                    surname2 = _typo(d, surname)
                    changed = surname2 != surname
                    surname = surname2
                if changed:
                    tags.append("name_typo")
            prev = str(pop.prev_postcode[p])
            if prev != postcode and d.chance(0.25):
                postcode = prev
                tags.append("stale_postcode")
            if dob.day <= 12 and dob.day != dob.month and d.chance(0.02):
                dob = date(dob.year, dob.day, dob.month)
                tags.append("dob_day_month_swap")
        gender = ("Male" if child.male else "Female") if born else "Unknown"
        records.append(CmRecord(child.la_child_id, forename, surname, dob, gender, postcode, upn, former, tuple(tags)))
    return records


# The authority's social work teams and their workers (made-up professionals, never pupils): each
# child's allocation follows from its id alone, so the rest of the authority's draws are unchanged.
SOCIAL_WORK_TEAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Assessment North", ("Amira Osei", "Tom Hale", "Priya Nair")),
    ("Family Support East", ("Grace Mensah", "Owen Price", "Leah Novak")),
    ("Child Protection West", ("Daniel Boateng", "Ruth Adeyemi", "Sean Carr")),
    ("Children in Care", ("Hannah Ward", "Kofi Asante", "Mia Lund")),
)


def allocation(la_child_id: str) -> tuple[str, str, str, str]:
    """The allocated worker's name and email, the team and its mailbox, for one child."""
    n = zlib.crc32(la_child_id.encode())
    team, workers = SOCIAL_WORK_TEAMS[n % len(SOCIAL_WORK_TEAMS)]
    worker = workers[(n // len(SOCIAL_WORK_TEAMS)) % len(workers)]
    slug = team.lower().replace(" ", ".")
    return worker, worker.lower().replace(" ", ".") + "@example.org", team, f"{slug}@example.org"


def write_case_management(out: Path, records: list[CmRecord]) -> int:
    with (out / "case_management.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CM_COLUMNS)
        for r in sorted(records, key=lambda r: r.la_child_id):
            w.writerow(
                [
                    r.la_child_id,
                    r.forename,
                    r.surname,
                    r.dob.strftime("%d/%m/%Y"),
                    r.gender,
                    r.postcode,
                    r.upn,
                    r.former_upn,
                    *allocation(r.la_child_id),
                ]
            )
    (out / "case_management_mapping.toml").write_text(CM_MAPPING, encoding="utf-8")
    return len(records)


def noise_rates(records: list[CmRecord]) -> tuple[dict[str, int], dict[str, float]]:
    counts = {tag: 0 for tag in NOISE_TAGS}
    for r in records:
        for tag in r.noise:
            counts[tag] += 1
    n = max(1, len(records))
    return counts, {tag: round(c / n, 6) for tag, c in counts.items()}


def below_school_age(dob: int, ref: int) -> bool:
    """Whether ``UN1`` ("not of school age") is the code for a child with no UPN on the reference
    date: born after 31 August six years before it (DfE CIN 8770Q, SSDA903 209)."""
    return dob > date(date.fromordinal(ref).year - 6, 8, 31).toordinal()


def recorded_upn(child: ScChild, pop: Population, ref: int) -> tuple[str | None, str | None, str | None]:
    """(UPN, FormerUPN, UPNunknown) as social care recorded them on the reference date."""
    if child.dob > ref:
        return None, None, "UN1"
    true = str(pop.upn[child.person])
    if not true or int(pop.upn_issued[child.person]) > ref:
        return None, None, "UN1" if below_school_age(child.dob, ref) else "UN2"
    former = str(pop.former_upn[child.person]) or None
    mode = child.upn_recording
    if mode == "missing":
        return None, None, "UN5"
    if mode == "stale":
        return former, None, None
    # A mistyped UPN fails the DfE check-letter rule (1510, an error), so the authority corrected
    # it in the return; the case-management extract keeps the typo.
    return true, former, None
