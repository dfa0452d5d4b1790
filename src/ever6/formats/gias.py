"""GIAS reader: the Get Information About Schools "edubasealldata" extract of establishments.

The full extract has about 140 columns; the few the measures need (type, phase, status, LA) are
read by their GIAS names and the rest ignored. GIAS downloads are Windows-1252, so that encoding
is expected here and not warned about. A row is keyed by its URN, which must be six digits: a
row without one cannot be joined to any pupil and refuses the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from ever6.formats import SCHOOLS
from ever6.formats.csv_source import BoundCsv, CsvFile, CsvRecord, blank_to_none, read_csv
from ever6.formats.problems import Problem, ReadResult
from ever6.model import ESTABLISHMENT
from ever6.postcode import normalise_postcode

FORMAT = SCHOOLS.name

# GIAS column -> canonical column (both the full extract and the synthetic subset use these).
COLUMNS: dict[str, str] = {
    "URN": "urn",
    "LA (code)": "la_code",
    "LA (name)": "la_name",
    "EstablishmentNumber": "establishment_number",
    "EstablishmentName": "name",
    "TypeOfEstablishment (code)": "type_code",
    "TypeOfEstablishment (name)": "type_name",
    "EstablishmentTypeGroup (name)": "type_group",
    "EstablishmentStatus (name)": "status",
    "PhaseOfEducation (code)": "phase_code",
    "PhaseOfEducation (name)": "phase",
    "StatutoryLowAge": "low_age",
    "StatutoryHighAge": "high_age",
    "Postcode": "postcode",
}
_AGES = ("low_age", "high_age")

_URN = re.compile(r"^\d{6}$")


def read_gias(path: Path) -> ReadResult:
    """Read a GIAS establishments CSV into ``establishment``.

    When any error is found the table is empty: the import is refused, and every problem found
    is still reported.
    """
    path = Path(path)
    csv_file, problems = read_csv(path)
    # GIAS publishes Windows-1252: reading it that way is right, not a problem to report.
    problems = [p for p in problems if not p.message.startswith("not UTF-8: read as Windows-1252")]
    rows: list[dict[str, object]] = []
    if csv_file is not None:
        bound = _bind(csv_file, problems)
        if bound.has("urn"):
            rows = _read_rows(bound)
    return ReadResult.of_rows(FORMAT, [path], {ESTABLISHMENT.name: rows}, problems)


def _bind(csv_file: CsvFile, problems: list[Problem]) -> BoundCsv:
    columns: dict[str, int] = {}
    for name, canonical in COLUMNS.items():
        found = csv_file.find_all(name)
        if len(found) > 1:
            problems.append(Problem(str(csv_file.path), 1, name, f"column {name} appears {len(found)} times"))
        if found:
            columns[canonical] = found[0]
    if "urn" not in columns:
        problems.append(
            Problem(
                str(csv_file.path),
                1,
                "URN",
                f"not a GIAS establishments file: no URN column (found: {', '.join(csv_file.header[:20])})",
            )
        )
    return BoundCsv(csv_file, columns, problems)


def _age(bound: BoundCsv, record: CsvRecord, canonical: str) -> int | None:
    text = bound.text(record, canonical)
    if not text:
        return None
    if text.isdigit() and int(text) <= 99:
        return int(text)
    bound.warn(record, canonical, f"{bound.source_name(canonical)} {text!r} is not an age in years; value dropped")
    return None


def _read_rows(bound: BoundCsv) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    first_line: dict[str, int] = {}
    for record in bound.csv.records:
        urn = bound.text(record, "urn")
        if not _URN.match(urn):
            what = f"URN {urn!r} is not six digits" if urn else "URN is blank"
            bound.error(record, "urn", f"{what}: the establishment has no key")
            continue
        if urn in first_line:
            bound.error(record, "urn", f"URN {urn} is repeated (first on line {first_line[urn]})")
            continue
        first_line[urn] = record.line
        row: dict[str, object] = {
            canonical: blank_to_none(bound.text(record, canonical)) for canonical in COLUMNS.values()
        }
        for canonical in _AGES:
            row[canonical] = _age(bound, record, canonical)
        postcode = bound.text(record, "postcode")
        if postcode:
            normalised = normalise_postcode(postcode)
            if normalised is None:
                bound.warn(record, "postcode", f"postcode {postcode!r} is not a UK postcode; kept as given")
            row["postcode"] = normalised or postcode
        rows.append(row)
    return rows
