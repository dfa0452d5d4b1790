"""Case-management extract reader: who a child is (names, birth date, sex, postcode, UPN), and who
is allocated (social worker's name and email, team, team mailbox: optional).

Each system (Liquidlogic, Mosaic, Eclipse, ...) exports its own column names. Canonical names
and common aliases are recognised without configuration; anything else is named in a TOML
mapping. Values are tidied but not matched: linkage normalises names and checks UPNs later.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from ever6.formats import CASE_MANAGEMENT
from ever6.formats.csv_source import (
    SEX_CODES,
    BoundCsv,
    ColumnSet,
    CsvRecord,
    SourceMapping,
    alias_key,
    blank_to_none,
    load_source_mapping,
    mapped_columns,
    parse_date,
    read_one_table,
)
from ever6.formats.problems import ReadResult
from ever6.model import CM_IDENTITY
from ever6.postcode import normalise_postcode
from ever6.upn import compact

FORMAT = CASE_MANAGEMENT.name

CANONICAL_COLUMNS: tuple[str, ...] = (
    "la_child_id",
    "forename",
    "surname",
    "birth_date",
    "sex",
    "postcode",
    "upn",
    "former_upn",
    "worker_name",
    "worker_email",
    "team",
    "team_email",
    "cin_plan_start",
    "cin_plan_end",
    "cp_plan_start",
    "cp_plan_end",
)
# Plan dates: optional, read as dates (a planned end may be in the future).
PLAN_COLUMNS: tuple[str, ...] = ("cin_plan_start", "cin_plan_end", "cp_plan_start", "cp_plan_end")
REQUIRED_COLUMNS: tuple[str, ...] = ("la_child_id",)

# Column names recognised without a mapping. Compared by alias_key, so "Date of Birth",
# "date_of_birth" and "DateOfBirth" are one alias. The canonical name is always recognised.
ALIASES: dict[str, tuple[str, ...]] = {
    "la_child_id": ("child_id", "person_id", "LAchildID", "child_ref", "client_id", "CHILD", "id"),
    "forename": ("first_name", "forenames", "given_name", "given_names", "firstname"),
    "surname": ("last_name", "family_name", "lastname"),
    "birth_date": ("dob", "date_of_birth", "birthdate", "PersonBirthDate"),
    "sex": ("gender", "GenderCurrent"),
    "postcode": ("post_code", "postal_code", "home_postcode"),
    "upn": ("unique_pupil_number",),
    "former_upn": ("FormerUPN", "previous_upn", "old_upn"),
    "worker_name": ("allocated_worker", "social_worker", "allocated_social_worker", "worker"),
    "worker_email": ("allocated_worker_email", "social_worker_email", "worker_mail"),
    "team": ("team_name", "allocated_team"),
    "team_email": ("team_mailbox", "team_mail"),
    "cin_plan_start": ("CINPlanStartDate", "cin_plan_start_date"),
    "cin_plan_end": ("CINPlanEndDate", "cin_plan_end_date"),
    "cp_plan_start": ("CPPstartDate", "cp_plan_start_date", "cpp_start_date"),
    "cp_plan_end": ("CPPendDate", "cp_plan_end_date", "cpp_end_date"),
}

COLUMNS = ColumnSet(CANONICAL_COLUMNS, ALIASES, REQUIRED_COLUMNS)

__all__ = [
    "ALIASES",
    "CANONICAL_COLUMNS",
    "COLUMNS",
    "FORMAT",
    "REQUIRED_COLUMNS",
    "SEX_CODES",
    "ColumnMapping",
    "alias_key",
    "load_mapping",
    "read_case_management",
]


class ColumnMapping(SourceMapping):
    """Which source column holds each canonical column, and how the birth date is written.

    Canonical columns not named here are still found by their name or an alias.
    """

    KNOWN: ClassVar[tuple[str, ...]] = CANONICAL_COLUMNS


def load_mapping(path: Path) -> ColumnMapping:
    """Read a mapping TOML (``[columns]`` and optional ``[options]``).

    Raises :class:`ImportRefused` naming the file and key for bad TOML or an unknown key: a
    silently ignored typo would leave a column unread.
    """
    return load_source_mapping(path, ColumnMapping)


def _name(text: str) -> str | None:
    """Trimmed with internal runs of whitespace made one space; case and accents kept."""
    return " ".join(text.split()) or None


class _Row:
    """One record's canonical values, with warnings recorded against the source column."""

    def __init__(self, bound: BoundCsv, record: CsvRecord) -> None:
        self._bound = bound
        self._record = record

    def text(self, canonical: str) -> str:
        return self._bound.text(self._record, canonical)

    def warn(self, canonical: str, message: str) -> None:
        self._bound.warn(self._record, canonical, message)


def _sex(row: _Row) -> str | None:
    text = row.text("sex")
    if not text:
        return None
    sex = SEX_CODES.get(" ".join(text.split()).casefold())
    if sex is None:
        row.warn("sex", f"sex {text!r} is not M, F, U, Male, Female, 1, 2, 0 or 9; recorded as U")
        return "U"
    return sex


def _postcode(row: _Row) -> str | None:
    text = row.text("postcode")
    if not text:
        return None
    postcode = normalise_postcode(text)
    if postcode is None:
        row.warn("postcode", f"postcode {text!r} is not a UK postcode; kept as given")
        return text
    return postcode


def _email(row: _Row, canonical: str) -> str | None:
    text = "".join(row.text(canonical).split())
    if not text:
        return None
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain:
        row.warn(canonical, f"{text!r} is not an email address; value dropped")
        return None
    return text.lower()


def _birth_date(row: _Row, formats: tuple[str, ...], today: date) -> date | None:
    text = row.text("birth_date")
    if not text:
        return None
    birth_date = parse_date(text, formats)
    if birth_date is None:
        row.warn("birth_date", f"birth date {text!r} is not a date ({' or '.join(formats)}); value dropped")
    elif birth_date > today:
        row.warn("birth_date", f"birth date {birth_date.isoformat()} is in the future; value dropped")
        return None
    return birth_date


def _plan_date(row: _Row, canonical: str, formats: tuple[str, ...], today: date) -> date | None:
    text = row.text(canonical)
    if not text:
        return None
    value = parse_date(text, formats)
    if value is None:
        row.warn(canonical, f"plan date {text!r} is not a date ({' or '.join(formats)}); value dropped")
    elif value > today and canonical.endswith("_start"):
        row.warn(canonical, f"plan start {value.isoformat()} is in the future; value dropped")
        return None
    return value


def read_case_management(path: Path, *, mapping: ColumnMapping | None = None, today: date | None = None) -> ReadResult:
    """Read a case-management extract into ``cm_identity``.

    ``today`` (default: the current date) is when a birth date counts as in the future. When any
    error is found the table is empty: the import is refused, and every problem is reported.
    """
    mapping = mapping or ColumnMapping()
    today = today or date.today()
    formats = mapping.date_formats
    bind = mapped_columns(mapping, COLUMNS)
    return read_one_table(path, FORMAT, CM_IDENTITY, bind, lambda bound: _read_rows(bound, formats, today))


def _read_rows(bound: BoundCsv, formats: tuple[str, ...], today: date) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    first_line: dict[str, int] = {}
    for record in bound.csv.records:
        row = _Row(bound, record)
        child = blank_to_none(row.text("la_child_id"))
        if child is None:
            bound.error(record, "la_child_id", "the child id is blank: the row has no key")
            continue
        if child in first_line:
            row.warn("la_child_id", f"child id {child} is repeated (first on line {first_line[child]}); row ignored")
            continue
        first_line[child] = record.line
        rows.append(
            {
                "la_child_id": child,
                "forename": _name(row.text("forename")),
                "surname": _name(row.text("surname")),
                "birth_date": _birth_date(row, formats, today),
                "sex": _sex(row),
                "postcode": _postcode(row),
                "upn": compact(row.text("upn")) or None,
                "former_upn": compact(row.text("former_upn")) or None,
                "worker_name": _name(row.text("worker_name")),
                "worker_email": _email(row, "worker_email"),
                "team": _name(row.text("team")),
                "team_email": _email(row, "team_email"),
                **{c: _plan_date(row, c, formats, today) for c in PLAN_COLUMNS},
            }
        )
    return rows
