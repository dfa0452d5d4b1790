"""What the kinship register and the early-help extract share: a child's id, names, date of birth
and UPN, read from one CSV row with problems recorded against the source column."""

from __future__ import annotations

from datetime import date

from ever6.formats.csv_source import BoundCsv, CsvRecord, blank_to_none, parse_date
from ever6.upn import compact

# The columns every such extract may hold, and their aliases (compared by alias_key).
PERSON_COLUMNS: tuple[str, ...] = ("la_child_id", "upn", "forename", "surname", "birth_date")
PERSON_ALIASES: dict[str, tuple[str, ...]] = {
    "la_child_id": ("child_id", "person_id", "LAchildID", "child_ref", "client_id", "CHILD", "id"),
    "upn": ("unique_pupil_number", "UPN"),
    "forename": ("first_name", "forenames", "given_name", "given_names", "firstname"),
    "surname": ("last_name", "family_name", "lastname"),
    "birth_date": ("dob", "date_of_birth", "birthdate", "PersonBirthDate"),
}


def person(bound: BoundCsv, record: CsvRecord, formats: tuple[str, ...], today: date) -> dict[str, object] | None:
    """The row's child: id, UPN, names and date of birth; None (an error recorded) without an id."""
    child = blank_to_none(bound.text(record, "la_child_id"))
    if child is None:
        bound.error(record, "la_child_id", "the child id is blank: the row has no key")
        return None
    return {
        "la_child_id": child,
        "upn": compact(bound.text(record, "upn")) or None,
        "forename": " ".join(bound.text(record, "forename").split()) or None,
        "surname": " ".join(bound.text(record, "surname").split()) or None,
        "birth_date": dated(bound, record, "birth_date", formats, today, required=False),
    }


def dated(
    bound: BoundCsv,
    record: CsvRecord,
    column: str,
    formats: tuple[str, ...],
    today: date,
    *,
    required: bool,
    future: bool = False,
) -> date | None:
    """A date column: blank is None (an error when ``required``); a value that is not a date, or
    (unless ``future``: a planned end) a date after ``today``, is an error naming line and column."""
    text = bound.text(record, column).strip()
    if not text:
        if required:
            bound.error(record, column, f"the {column.replace('_', ' ')} is blank")
        return None
    value = parse_date(text, formats)
    if value is None:
        bound.error(record, column, f"{text!r} is not a date ({' or '.join(formats)})")
    elif value > today and not future:
        bound.error(record, column, f"{value.isoformat()} is in the future")
        return None
    return value
