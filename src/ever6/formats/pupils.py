"""Pupils-on-roll reader: one row per enrolment (a pupil at a school from entry to leaving).

Schools and MIS exports name columns freely, so columns are found by canonical name, a common
alias, or a TOML mapping (the same mechanism as the case-management extract). An enrolment is
keyed by (URN, UPN, entry date): a row without one of them, or one that leaves before it
enters, refuses the file. Unknown codes are dropped with a warning; a UPN whose check letter is
wrong is kept (linkage reports it) with a warning.

The code lists here (NC years, SEN, FSM) are also used by the school census reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from ever6.formats import PUPILS
from ever6.formats.csv_source import (
    SEX_CODES,
    BoundCsv,
    ColumnSet,
    CsvRecord,
    KeyedRows,
    SourceMapping,
    blank_to_none,
    load_source_mapping,
    mapped_columns,
    parse_date,
    read_one_table,
)
from ever6.formats.problems import ReadResult, Severity
from ever6.model import PUPIL_ENROLMENT
from ever6.postcode import normalise_postcode
from ever6.upn import LA_CODES, check_upn, compact

FORMAT = PUPILS.name

CANONICAL_COLUMNS: tuple[str, ...] = (
    "urn",
    "upn",
    "former_upn",
    "forename",
    "surname",
    "birth_date",
    "sex",
    "postcode",
    "ncyear",
    "entry_date",
    "leaving_date",
    "fsm_ever6",
    "sen",
    "ethnicity",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("urn", "upn", "entry_date")

# Column names recognised without a mapping (compared loosely: case and punctuation ignored).
ALIASES: dict[str, tuple[str, ...]] = {
    "urn": ("school_urn", "establishment_urn"),
    "upn": ("unique_pupil_number", "pupil_upn"),
    "former_upn": ("formerupn", "previous_upn", "old_upn"),
    "forename": ("first_name", "legal_forename", "given_name", "firstname"),
    "surname": ("last_name", "legal_surname", "family_name", "lastname"),
    "birth_date": ("dob", "date_of_birth", "birthdate"),
    "sex": ("gender",),
    "postcode": ("post_code", "home_postcode"),
    "ncyear": ("nc_year", "ncyearactual", "year_group", "national_curriculum_year"),
    "entry_date": ("entrydate", "date_of_entry", "admission_date", "start_date"),
    "leaving_date": ("leavingdate", "date_of_leaving", "leave_date", "end_date"),
    "fsm_ever6": ("fsm6", "ever6fsm", "ever_6_fsm", "fsm_ever_6", "pupil_premium_fsm6"),
    "sen": ("sen_status", "sen_provision", "senprovision"),
    "ethnicity": ("ethnic", "ethnic_code"),
}
COLUMNS = ColumnSet(CANONICAL_COLUMNS, ALIASES, REQUIRED_COLUMNS)

# National Curriculum year groups: nursery (N1, N2), reception (R), 1-14, and X (outside the NC).
NC_YEARS: frozenset[str] = frozenset({"N1", "N2", "R", "X", *(str(n) for n in range(1, 15))})
# Early-years groups below nursery that the school census also returns (E1, E2); kept from the census.
EARLY_YEARS: frozenset[str] = frozenset({"E1", "E2"})

# SEN provision: N (none), K (SEN support), E (EHC plan). School Action (A) and Action Plus (P)
# became SEN support, and statements (S) became EHC plans, in 2014: the DfE's own time series
# treats them as the same groups, and the census code list still allows them.
SEN_CODES: Mapping[str, str] = MappingProxyType({"N": "N", "K": "K", "E": "E", "A": "K", "P": "K", "S": "E"})

# Ever6 FSM flag spellings.
FSM_VALUES: Mapping[str, bool] = MappingProxyType(
    {"1": True, "0": False, "true": True, "false": False, "y": True, "n": False, "yes": True, "no": False}
)

_URN = re.compile(r"^\d{6}$")


class PupilMapping(SourceMapping):
    """Which source column holds each canonical pupil column, and how dates are written."""

    KNOWN: ClassVar[tuple[str, ...]] = CANONICAL_COLUMNS


def load_mapping(path: Path) -> PupilMapping:
    """Read a pupils mapping TOML (``[columns]`` canonical = source, optional ``[options]``)."""
    return load_source_mapping(path, PupilMapping)


def normalise_ncyear(text: str) -> str | None:
    """An NC year in its canonical spelling ("07" -> "7", "r" -> "R"), or None if not one."""
    value = text.strip().upper()
    if value.isdigit():
        value = str(int(value))
    return value if value in NC_YEARS else None


def read_pupils(
    path: Path,
    *,
    mapping: PupilMapping | None = None,
    today: date | None = None,
    la_codes: Iterable[str] = LA_CODES,
) -> ReadResult:
    """Read a pupils-on-roll CSV into ``pupil_enrolment``.

    ``today`` (default: the current date) is when a birth date counts as in the future. When any
    error is found the table is empty: the import is refused, and every problem is reported.
    """
    mapping = mapping or PupilMapping()
    today = today or date.today()
    formats, codes = mapping.date_formats, frozenset(la_codes)
    bind = mapped_columns(mapping, COLUMNS)
    return read_one_table(path, FORMAT, PUPIL_ENROLMENT, bind, lambda bound: _read_rows(bound, formats, today, codes))


def _upn(bound: BoundCsv, record: CsvRecord, canonical: str, la_codes: frozenset[str]) -> str | None:
    value = compact(bound.text(record, canonical)) or None
    check = check_upn(value, la_codes)
    if value is not None and check.message:
        bound.warn(record, canonical, f"{check.message}; kept as given for linkage")
    return value


def _date(
    bound: BoundCsv, record: CsvRecord, canonical: str, formats: tuple[str, ...], severity: Severity
) -> tuple[date | None, bool]:
    """The date, and whether the column held text that is not a date (reported at ``severity``)."""
    text = bound.text(record, canonical)
    parsed = parse_date(text, formats)
    if text and parsed is None:
        consequence = "value dropped" if severity is Severity.WARNING else "the enrolment cannot be placed in time"
        bound.report(
            record,
            canonical,
            f"{bound.source_name(canonical)} {text!r} is not a date ({' or '.join(formats)}); {consequence}",
            severity,
        )
        return None, True
    return parsed, False


def _code(bound: BoundCsv, record: CsvRecord, canonical: str, codes: Mapping[str, object], what: str) -> object:
    text = bound.text(record, canonical)
    if not text:
        return None
    value = codes.get(text.casefold() if canonical in {"sex", "fsm_ever6"} else text.upper())
    if value is None:
        bound.warn(record, canonical, f"{bound.source_name(canonical)} {text!r} is not {what}; value dropped")
    return value


def _read_rows(
    bound: BoundCsv, formats: tuple[str, ...], today: date, la_codes: frozenset[str]
) -> list[dict[str, object]]:
    kept = KeyedRows("enrolment", "upn")  # one row per enrolment: (URN, UPN, entry date)
    for record in bound.csv.records:
        urn = bound.text(record, "urn")
        upn = _upn(bound, record, "upn", la_codes)
        entry, _ = _date(bound, record, "entry_date", formats, Severity.ERROR)
        for canonical, value in (("urn", urn), ("upn", upn)):
            if not value:
                bound.error(record, canonical, f"{bound.source_name(canonical)} is blank: the enrolment has no key")
        if not bound.text(record, "entry_date"):
            bound.error(record, "entry_date", "the entry date is blank: the enrolment has no key")
        if urn and not _URN.match(urn):
            bound.warn(record, "urn", f"URN {urn!r} is not six digits (a DfE number or LAESTAB?); kept as given")
        leaving, _ = _date(bound, record, "leaving_date", formats, Severity.ERROR)
        if entry is not None and leaving is not None and leaving < entry:
            bound.error(record, "leaving_date", f"the leaving date {leaving} is before the entry date {entry}")
        if not urn or upn is None or entry is None:
            continue
        birth_date, _ = _date(bound, record, "birth_date", formats, Severity.WARNING)
        if birth_date is not None and birth_date > today:
            bound.warn(record, "birth_date", f"birth date {birth_date} is in the future; value dropped")
            birth_date = None
        ncyear_text = bound.text(record, "ncyear")
        ncyear = normalise_ncyear(ncyear_text) if ncyear_text else None
        if ncyear_text and ncyear is None:
            bound.warn(record, "ncyear", f"NC year {ncyear_text!r} is not N1, N2, R, 1-14 or X; value dropped")
        postcode = bound.text(record, "postcode")
        if postcode and normalise_postcode(postcode) is None:
            bound.warn(record, "postcode", f"postcode {postcode!r} is not a UK postcode; kept as given")
        row: dict[str, object] = {
            "urn": urn,
            "upn": upn,
            "former_upn": _upn(bound, record, "former_upn", la_codes),
            "forename": blank_to_none(" ".join(bound.text(record, "forename").split())),
            "surname": blank_to_none(" ".join(bound.text(record, "surname").split())),
            "birth_date": birth_date,
            "sex": _code(bound, record, "sex", SEX_CODES, "M, F, U, Male, Female, 1 or 2"),
            "postcode": (normalise_postcode(postcode) or postcode) if postcode else None,
            "ncyear": ncyear,
            "entry_date": entry,
            "leaving_date": leaving,
            "fsm_ever6": _code(bound, record, "fsm_ever6", FSM_VALUES, "0, 1, true, false, Y or N"),
            "sen": _code(bound, record, "sen", SEN_CODES, "N, K or E"),
            "ethnicity": blank_to_none(bound.text(record, "ethnicity").upper()),
        }
        first_line = kept.add(bound, record, (urn, upn, entry), row)
        if first_line is not None:
            message = f"URN {urn} UPN {upn} entry {entry} is on line {first_line} too, with different values"
            bound.error(record, "upn", message)
    return kept.rows
