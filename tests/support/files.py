"""A small, independent writer of source files, as an authority's systems would export them.

For tests that must go through the real readers (not :mod:`ever6.synth`, whose files are what
is under test elsewhere): CIN census XML, SSDA903 CSVs, a case-management extract, GIAS, pupils
on roll, attendance marks and termly totals, exclusions and attainment. Each writer takes plain
records and writes the documented layout (``docs/importing.md``); check letters are computed
here from the rule in ``docs/domain.md`` section 3, not by ever6.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

_CHECK = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn(la: str, school: int, serial: int) -> str:
    """A permanent UPN with its check letter."""
    body = f"{la}{school:04d}{serial % 100:02d}{serial % 1000:03d}"
    values = {c: i for i, c in enumerate(_CHECK)} | {str(d): d for d in range(10)}
    return _CHECK[sum(i * values[c] for i, c in enumerate(body, start=2)) % 23] + body


@dataclass(frozen=True)
class Child:
    la_child_id: str
    birth_date: date
    sex: str  # M / F
    forename: str
    surname: str
    postcode: str
    upn: str | None
    referral: date  # a CIN episode opened on this date, within its census year
    plan: str  # "", "CIN" or "CP": a plan that starts a week after the referral
    looked_after: bool


@dataclass(frozen=True)
class Pupil:
    upn: str
    urn: str
    forename: str
    surname: str
    birth_date: date
    sex: str
    postcode: str


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def cin_census(path: Path, year: int, children: list[Child]) -> Path:
    """One year's CIN census return (31 March ``year``): the children referred that year."""
    sex_element = "Sex" if year >= 2025 else "GenderCurrent"
    parts = [
        "<Message><Header><CollectionDetails><Collection>CIN</Collection>",
        f"<Year>{year}</Year><ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails>",
        "<Source><SourceLevel>L</SourceLevel><LEA>886</LEA><SoftwareCode>Test</SoftwareCode>",
        f"<Release>1</Release><SerialNo>001</SerialNo><DateTime>{year}-04-10T09:00:00</DateTime></Source>",
        "</Header><Children>",
    ]
    for c in children:
        sex = c.sex if year >= 2025 else {"M": "1", "F": "2"}[c.sex]
        identifiers = f"<LAchildID>{escape(c.la_child_id)}</LAchildID>"
        identifiers += f"<UPN>{c.upn}</UPN>" if c.upn else "<UPNunknown>UN1</UPNunknown>"
        identifiers += f"<PersonBirthDate>{c.birth_date}</PersonBirthDate><{sex_element}>{sex}</{sex_element}>"
        start = c.referral + timedelta(days=7)
        plans = ""
        if c.plan == "CIN":
            plans = f"<CINPlanDates><CINPlanStartDate>{start}</CINPlanStartDate></CINPlanDates>"
        elif c.plan == "CP":
            plans = (
                f"<ChildProtectionPlans><CPPstartDate>{start}</CPPstartDate>"
                "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse><LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>"
                "<NumberOfPreviousCPP>0</NumberOfPreviousCPP></ChildProtectionPlans>"
            )
        parts.append(
            f"<Child><ChildIdentifiers>{identifiers}</ChildIdentifiers>"
            "<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>"
            f"<CINdetails><CINreferralDate>{c.referral}</CINreferralDate><ReferralSource>1A</ReferralSource>"
            f"<PrimaryNeedCode>N1</PrimaryNeedCode><ReferralNFA>false</ReferralNFA>{plans}</CINdetails></Child>"
        )
    parts.append("</Children></Message>")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def ssda903(folder: Path, year: int, children: list[Child]) -> list[Path]:
    """One year's SSDA903 header and episodes: a care episode from each child's referral."""
    folder.mkdir(parents=True, exist_ok=True)
    dmy = "%d/%m/%Y"
    header = [
        [
            c.la_child_id,
            {"M": "1", "F": "2"}[c.sex] if year < 2025 else c.sex,
            c.birth_date.strftime(dmy),
            "WBRI",
            c.upn or "UN1",
            "",
            "",
        ]
        for c in children
    ]
    episodes = [
        [c.la_child_id, c.referral.strftime(dmy), "S", "C2", "N1", "U1", "PR1", "", "", "", "ME1 7JJ", "ME2 4AA", ""]
        for c in children
    ]
    return [
        _write_csv(folder / "header.csv", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"], header),
        _write_csv(
            folder / "episodes.csv",
            [
                "CHILD",
                "DECOM",
                "RNE",
                "LS",
                "CIN",
                "PLACE",
                "PLACE_PROVIDER",
                "DEC",
                "REC",
                "REASON_PLACE_CHANGE",
                "HOME_POST",
                "PL_POST",
                "URN",
            ],
            episodes,
        ),
    ]


def case_management(path: Path, children: list[Child], *, names: bool = True) -> Path:
    rows = [
        [
            c.la_child_id,
            c.forename if names else "",
            c.surname if names else "",
            c.birth_date.isoformat(),
            c.sex,
            c.postcode,
            c.upn,
        ]
        for c in children
    ]
    return _write_csv(path, ["la_child_id", "forename", "surname", "birth_date", "sex", "postcode", "upn"], rows)


def gias(path: Path, urns: list[str]) -> Path:
    header = [
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
    ]
    rows: list[list[object]] = [
        [
            urn,
            "886",
            "Kent",
            f"{2000 + i}",
            f"School {i}",
            "1",
            "Community school",
            "Local authority maintained schools",
            "Open",
            "2",
            "Primary",
            "4",
            "11",
            "ME1 7JJ",
        ]
        for i, urn in enumerate(urns)
    ]
    return _write_csv(path, header, rows)


def pupils(path: Path, roll: list[Pupil], entry: date) -> Path:
    header = [
        "urn",
        "upn",
        "former_upn",
        "forename",
        "surname",
        "dob",
        "sex",
        "postcode",
        "ncyear",
        "entry_date",
        "leaving_date",
    ]
    rows: list[list[object]] = [
        [
            p.urn,
            p.upn,
            "",
            p.forename,
            p.surname,
            p.birth_date.isoformat(),
            p.sex,
            p.postcode,
            "5",
            entry.isoformat(),
            "",
        ]
        for p in roll
    ]
    return _write_csv(path, header, rows)


def attendance_marks(path: Path, roll: list[Pupil], days: list[date]) -> Path:
    rows: list[list[object]] = [
        [p.urn, p.upn, day.isoformat(), session, "/" if (i + j) % 7 else "I"]
        for i, p in enumerate(roll)
        for j, day in enumerate(days)
        for session in ("AM", "PM")
    ]
    return _write_csv(path, ["urn", "upn", "date", "session", "code"], rows)


def attendance_termly(path: Path, roll: list[Pupil], academic_year: int) -> Path:
    label = f"{academic_year}/{(academic_year + 1) % 100:02d}"
    rows: list[list[object]] = [
        [p.urn, p.upn, label, term, 120, i % 5, i % 3] for i, p in enumerate(roll) for term in ("autumn", "spring")
    ]
    header = [
        "urn",
        "upn",
        "academic_year",
        "term",
        "sessions_possible",
        "sessions_authorised",
        "sessions_unauthorised",
    ]
    return _write_csv(path, header, rows)


def exclusions(path: Path, roll: list[Pupil], start: date) -> Path:
    rows: list[list[object]] = [[p.urn, p.upn, start.isoformat(), "SUSP", 2, "PP"] for p in roll[::2]]
    return _write_csv(path, ["urn", "upn", "start_date", "category", "sessions", "reason"], rows)


def attainment(path: Path, roll: list[Pupil], academic_year: int) -> Path:
    label = f"{academic_year}/{(academic_year + 1) % 100:02d}"
    rows: list[list[object]] = [[p.upn, p.urn, label, "ks2_rwm_expected", i % 2] for i, p in enumerate(roll)]
    return _write_csv(path, ["upn", "urn", "academic_year", "measure", "value"], rows)
