"""The Ever6 CWSW marker a school loads into its management information system (MIS).

Two shapes of the same list, for a school that has signed the data sharing agreement:

- CSV, one row per pupil: UPN, the marker code ``EVER6CWSW``, what it means, and the date the
  cohort was found at. Nothing about the child's social care status leaves in the marker: a
  school needs to know *that* a pupil is in the cohort, not why.
- A CTF-style XML file (the DfE Common Transfer File's shape: a ``CTfile`` with a ``Header`` and
  ``CTFpupilData/Pupil`` elements) that MIS import routines can match on UPN, name and date of
  birth. The CTF schema has no element for a local marker, so each pupil carries it in a
  ``Groups/Group`` element the school maps to a user-defined group or field on import.

Pure functions, no web framework: the web layer checks who may download it and records that.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from ever6.dates import academic_year_start
from ever6.exports import safe_cell

MARKER_CODE = "EVER6CWSW"
MARKER_DESCRIPTION = "Ever6 child with a social worker: a child in need or child protection plan in the last six years"
CSV_COLUMNS = ("UPN", "Marker", "Marker description", "As at")
CTF_VERSION = "25.0"
SUPPLIER_ID = "ever6"
# The CTF file-name convention marks a file sent by a local authority, not a school, with this
# establishment number.
LA_SENDER_ESTAB = "LLLL"

# Characters XML 1.0 cannot carry at all (lxml refuses them); names come from other systems.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Establishment:
    """A CTF header's school (or, for the sender, the local authority: ``estab`` ``LLLL``)."""

    lea: str
    estab: str
    name: str
    urn: str = ""


@dataclass(frozen=True)
class MarkerPupil:
    upn: str
    surname: str
    forename: str
    birth_date: date | None


def pupils_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[MarkerPupil]:
    """The marker's pupils from school pupil rows (``upn``, ``surname``, ``forename``, ``birth_date``),
    once each, in UPN order: a pupil listed twice at one school is marked once."""
    seen: dict[str, MarkerPupil] = {}
    for row in rows:
        upn = str(row.get("upn") or "").strip()
        if not upn or upn in seen:
            continue
        birth = row.get("birth_date")
        seen[upn] = MarkerPupil(
            upn=upn,
            surname=str(row.get("surname") or ""),
            forename=str(row.get("forename") or ""),
            birth_date=birth if isinstance(birth, date) else None,
        )
    return [seen[k] for k in sorted(seen)]


def marker_rows(pupils: Iterable[MarkerPupil], as_at: date) -> list[dict[str, str]]:
    """The CSV's rows, keyed by :data:`CSV_COLUMNS`."""
    return [
        {"UPN": p.upn, "Marker": MARKER_CODE, "Marker description": MARKER_DESCRIPTION, "As at": as_at.isoformat()}
        for p in pupils
    ]


def marker_csv(pupils: Iterable[MarkerPupil], as_at: date) -> str:
    """The marker as CSV text with a header row; every cell formula-safe for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in marker_rows(pupils, as_at):
        writer.writerow([safe_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = _NOT_XML.sub("", value)
    return element


def _establishment(parent: etree._Element, tag: str, school: Establishment, academic_year: str | None) -> None:
    element = etree.SubElement(parent, tag)
    _text(element, "LEA", school.lea)
    _text(element, "Estab", school.estab)
    if school.urn:
        _text(element, "URN", school.urn)
    _text(element, "SchoolName", school.name)
    if academic_year:
        _text(element, "AcademicYear", academic_year)


def ctf_academic_year(as_at: date) -> str:
    """The CTF's academic year: the calendar year it starts in (1 September)."""
    return str(academic_year_start(as_at))


def marker_ctf(
    pupils: Iterable[MarkerPupil],
    *,
    as_at: date,
    source: Establishment,
    dest: Establishment,
    generated_at: datetime,
) -> bytes:
    """The marker as a CTF-style XML document (UTF-8, with its declaration, no DTD or entities)."""
    root = etree.Element("CTfile")
    header = etree.SubElement(root, "Header")
    _text(header, "DocumentName", "Common Transfer File")
    _text(header, "CTFversion", CTF_VERSION)
    _text(header, "DateTime", generated_at.replace(microsecond=0, tzinfo=None).isoformat())
    _text(header, "DocumentQualifier", "partial")
    _text(header, "DataDescriptor", MARKER_CODE)
    _text(header, "SupplierID", SUPPLIER_ID)
    _establishment(header, "SourceSchool", source, ctf_academic_year(as_at))
    _establishment(header, "DestSchool", dest, None)

    data = etree.SubElement(root, "CTFpupilData")
    for pupil in pupils:
        element = etree.SubElement(data, "Pupil")
        _text(element, "UPN", pupil.upn)
        _text(element, "Surname", pupil.surname)
        _text(element, "Forename", pupil.forename)
        _text(element, "DOB", pupil.birth_date.isoformat() if pupil.birth_date else "")
        groups = etree.SubElement(element, "Groups")
        group = etree.SubElement(groups, "Group")
        _text(group, "Code", MARKER_CODE)
        _text(group, "Description", MARKER_DESCRIPTION)
        _text(group, "StartDate", as_at.isoformat())
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def ctf_filename(source: Establishment, dest: Establishment) -> str:
    """The CTF naming convention: sender LA and estab, ``CTF``, receiving LA and estab, sequence."""

    def part(school: Establishment) -> str:
        return re.sub(r"[^A-Za-z0-9]", "", school.lea + school.estab)

    return f"{part(source)}_CTF_{part(dest)}_001.xml"
