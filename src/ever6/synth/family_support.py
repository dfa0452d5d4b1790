"""The synthetic authority's kinship register and early-help extract, with their ground truth.

Both come from the simulation, never from ever6's readers or rules:

- the **kinship register** lists about half the children the simulation placed under a special
  guardianship or child arrangements order (SSDA903 ``E41``/``E45``-``E47``, CIN ``RC3``/``RC4``),
  as an authority's register is incomplete, and a few children of the population in informal
  kinship care whom social care never knew (their UPN is all that links them to a school);
- the **early-help extract** holds an episode for children whose CIN episode closed "referred to
  early help" (``RC9``), starting a week later, and episodes for children of the population whom
  social care never knew.

``truth/optional_groups.csv`` says, for each register and extract child, whether they are in the
group at the reference date by the definitions of ``docs/cohort.md`` (their own arrangement or
episode, under 18 then). Children in kinship care only through SSDA903 or CIN census codes are
not in it: those codes are in the returns, and the returns have their own truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from ever6.dates import latest_birth_date_reaching, shift_years
from ever6.synth.population import Population
from ever6.synth.scales import REFERENCE_DATE
from ever6.synth.social_care import ScChild
from ever6.synth.writers import write_csv

KINSHIP_COLUMNS = ("Child Ref", "UPN", "Forename", "Surname", "Date of Birth", "Arrangement", "Order Date", "End Date")
KINSHIP_MAPPING = """\
[columns]
la_child_id = "Child Ref"
upn = "UPN"
forename = "Forename"
surname = "Surname"
birth_date = "Date of Birth"
arrangement = "Arrangement"
start_date = "Order Date"
end_date = "End Date"

[options]
date_format = "%d/%m/%Y"
"""
EARLY_HELP_COLUMNS = ("Family Solutions ID", "UPN", "First Name", "Last Name", "DOB", "Episode Start", "Episode End")
EARLY_HELP_MAPPING = """\
[columns]
la_child_id = "Family Solutions ID"
upn = "UPN"
forename = "First Name"
surname = "Last Name"
birth_date = "DOB"
start_date = "Episode Start"
end_date = "Episode End"

[options]
date_format = "%d/%m/%Y"
"""
TRUTH_COLUMNS = ("group", "id", "member")

_ORDERS = {"E41": "Child Arrangements Order", "RC3": "Child Arrangements Order"}
_SGO = {"E45", "E46", "E47", "RC4"}
_FIRST_DAY = date(2019, 4, 1).toordinal()  # the oldest return's year: nothing earlier is simulated


@dataclass(frozen=True)
class Entry:
    id: str
    upn: str
    forename: str
    surname: str
    dob: int
    start: int
    end: int | None
    arrangement: str = ""


def _fmt(day: int | None) -> str:
    return "" if day is None else date.fromordinal(day).strftime("%d/%m/%Y")


def _under_18(dob: int, r: date) -> bool:
    return latest_birth_date_reaching(18, r).toordinal() < dob <= r.toordinal()


def _strangers(rng: np.random.Generator, pop: Population, known: set[int], n: int) -> list[int]:
    """``n`` children of the population under 18 at the reference date whom social care never knew."""
    r = REFERENCE_DATE
    dob = np.asarray(pop.dob, dtype=np.int64)
    young = (dob > latest_birth_date_reaching(18, r).toordinal()) & (dob <= r.toordinal())
    young &= np.array([bool(str(u)) for u in pop.upn], dtype=bool) if len(pop.upn) == pop.n else False
    young[list(known)] = False
    candidates = np.flatnonzero(young)
    if len(candidates) == 0:
        return []
    return [int(p) for p in rng.choice(candidates, min(n, len(candidates)), replace=False)]


def make_kinship_register(rng: np.random.Generator, pop: Population, children: list[ScChild]) -> list[Entry]:
    entries: list[Entry] = []
    for c in children:
        orders = [(row.dec, row.rec) for row in c.care if row.rec in (*_ORDERS, *_SGO) and row.dec is not None]
        orders += [(ep.closure, ep.reason) for ep in c.episodes if ep.reason in ("RC3", "RC4") and ep.closure]
        if not orders or c.dob > REFERENCE_DATE.toordinal() or rng.random() >= 0.5:
            continue
        day, code = max(orders)
        p = c.person
        entries.append(
            Entry(
                c.la_child_id,
                c.recorded_upn,
                str(pop.forename[p]),
                str(pop.surname[p]),
                c.dob,
                int(day),
                None,
                _ORDERS.get(str(code), "Special Guardianship Order"),
            )
        )
    known = {c.person for c in children}
    for i, p in enumerate(_strangers(rng, pop, known, max(3, pop.n // 3000))):
        start = int(rng.integers(max(int(pop.dob[p]), _FIRST_DAY), REFERENCE_DATE.toordinal()))
        end = start + int(rng.integers(200, 1500))
        entries.append(
            Entry(
                f"KR{i + 1:05d}",
                str(pop.upn[p]),
                str(pop.forename[p]),
                str(pop.surname[p]),
                int(pop.dob[p]),
                start,
                end if end <= REFERENCE_DATE.toordinal() else None,
                "Other kinship",
            )
        )
    return entries


def make_early_help(rng: np.random.Generator, pop: Population, children: list[ScChild]) -> list[Entry]:
    last = REFERENCE_DATE.toordinal()
    entries: list[Entry] = []
    for c in children:
        if c.dob > last:  # unborn at the reference date: no extract row yet
            continue
        for ep in c.episodes:
            if ep.reason == "RC9" and ep.closure is not None and ep.closure + 7 <= last:
                p = c.person
                end = ep.closure + 7 + int(rng.integers(60, 300))
                entries.append(
                    Entry(
                        c.la_child_id,
                        c.recorded_upn,
                        str(pop.forename[p]),
                        str(pop.surname[p]),
                        c.dob,
                        ep.closure + 7,
                        end if end <= last else None,
                    )
                )
    known = {c.person for c in children}
    for i, p in enumerate(_strangers(rng, pop, known, max(10, pop.n // 400))):
        start = int(rng.integers(max(int(pop.dob[p]), _FIRST_DAY), last))
        end = start + int(rng.integers(60, 500))
        entries.append(
            Entry(
                f"FS{i + 1:06d}",
                str(pop.upn[p]),
                str(pop.forename[p]),
                str(pop.surname[p]),
                int(pop.dob[p]),
                start,
                end if end <= last else None,
            )
        )
    return entries


def truth(kinship: list[Entry], early_help: list[Entry], r: date = REFERENCE_DATE) -> list[tuple[str, str, bool]]:
    """Who is in each group at ``r``, by the definitions (not by ever6's code)."""
    day = r.toordinal()
    window_start = shift_years(r, -6).toordinal()
    rows = [
        ("kinship", e.id, _under_18(e.dob, r) and e.start <= day and (e.end is None or e.end >= day)) for e in kinship
    ]
    members: dict[str, bool] = {}
    for e in early_help:
        open_in_window = e.start <= day and (e.end is None or e.end > window_start)
        members[e.id] = members.get(e.id, False) or (_under_18(e.dob, r) and open_in_window)
    rows += [("early_help", i, m) for i, m in sorted(members.items())]
    return rows


def write_family_support(
    out: Path, rng: np.random.Generator, pop: Population, children: list[ScChild]
) -> dict[str, int]:
    """Write ``kinship_register.csv``, ``early_help.csv``, their mappings and their truth."""
    kinship = make_kinship_register(rng, pop, children)
    early = make_early_help(rng, pop, children)
    counts = {
        "kinship_register": write_csv(
            out / "kinship_register.csv",
            KINSHIP_COLUMNS,
            (
                [e.id, e.upn, e.forename, e.surname, _fmt(e.dob), e.arrangement, _fmt(e.start), _fmt(e.end)]
                for e in kinship
            ),
        ),
        "early_help": write_csv(
            out / "early_help.csv",
            EARLY_HELP_COLUMNS,
            ([e.id, e.upn, e.forename, e.surname, _fmt(e.dob), _fmt(e.start), _fmt(e.end)] for e in early),
        ),
    }
    (out / "kinship_register_mapping.toml").write_text(KINSHIP_MAPPING, encoding="utf-8")
    (out / "early_help_mapping.toml").write_text(EARLY_HELP_MAPPING, encoding="utf-8")
    counts["truth_optional_groups"] = write_csv(
        out / "truth" / "optional_groups.csv", TRUTH_COLUMNS, ([g, i, int(m)] for g, i, m in truth(kinship, early))
    )
    return counts


__all__ = ["make_early_help", "make_kinship_register", "truth", "write_family_support"]
