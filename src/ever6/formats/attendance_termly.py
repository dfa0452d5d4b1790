"""Termly attendance reader: sessions per pupil, school and term, as totals or per code.

Two layouts, recognised by their columns:

* totals: ``urn,upn,academic_year,term,sessions_possible,sessions_authorised,sessions_unauthorised``
  becomes the summary rows ``*possible``, ``*authorised`` and ``*unauthorised``;
* per code: ``urn,upn,academic_year,term,code,sessions`` (codes from the attendance code table,
  in use at some time in the term, or the summary codes themselves).

A row is keyed by (urn, upn, academic year, term, code); a row without a key, a negative or
fractional count, or more absences than possible sessions refuses the file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ever6 import formats
from ever6.attendance import SUMMARY_AUTHORISED, SUMMARY_CODES, SUMMARY_POSSIBLE, SUMMARY_UNAUTHORISED, load_codes
from ever6.formats.csv_source import (
    BoundCsv,
    CsvFile,
    CsvRecord,
    bind_fixed_columns,
    parse_academic_year,
    read_one_table,
)
from ever6.formats.problems import Problem, ReadResult
from ever6.model import ATTENDANCE_TERMLY
from ever6.upn import compact

FORMAT = formats.ATTENDANCE_TERMLY.name

KEY_COLUMNS: tuple[str, ...] = ("urn", "upn", "academic_year", "term")
# Totals layout: column -> the summary code its count is stored under.
TOTAL_COLUMNS: dict[str, str] = {
    "sessions_possible": SUMMARY_POSSIBLE,
    "sessions_authorised": SUMMARY_AUTHORISED,
    "sessions_unauthorised": SUMMARY_UNAUTHORISED,
}
PER_CODE_COLUMNS: tuple[str, ...] = ("code", "sessions")

# The span of each term (month, day) from the year the academic year starts (offset 0) or the
# next (1). Census attendance counts autumn from 1 August; spring ends at Easter, which moves,
# so spring and summer overlap in April: a code is accepted if in use at any time in its term.
TERMS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "autumn": ((0, 8, 1), (0, 12, 31)),
    "spring": ((1, 1, 1), (1, 4, 30)),
    "summer": ((1, 3, 22), (1, 7, 31)),
}


def term_span(academic_year: int, term: str) -> tuple[date, date]:
    """The first and last day a term can cover."""
    (y0, m0, d0), (y1, m1, d1) = TERMS[term]
    return date(academic_year + y0, m0, d0), date(academic_year + y1, m1, d1)


def parse_sessions(text: str) -> int | None:
    """A session count: a whole number, also written as a float ("12.0"); None if not one."""
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
        return None
    return int(value)


def codes_in_use(academic_year: int, term: str, codes_file: Path | None = None) -> frozenset[str]:
    """Attendance codes in use at some time in the term."""
    start, end = term_span(academic_year, term)
    return frozenset(
        c.code for c in load_codes(codes_file) if c.valid_from <= end and (c.valid_to is None or c.valid_to >= start)
    )


def read_attendance_termly(path: Path, *, codes_file: Path | None = None) -> ReadResult:
    """Read a termly attendance CSV (totals or per-code layout) into ``attendance_termly``.

    When any error is found the table is empty: the import is refused, and every problem found
    is still reported.
    """
    return read_one_table(path, FORMAT, ATTENDANCE_TERMLY, _bind, lambda bound: _read_rows(bound, codes_file))


def _bind(csv_file: CsvFile, problems: list[Problem]) -> BoundCsv | None:
    per_code = all(csv_file.find(name) is not None for name in PER_CODE_COLUMNS)
    wanted = KEY_COLUMNS + (PER_CODE_COLUMNS if per_code else tuple(TOTAL_COLUMNS))
    layouts = f"{','.join(KEY_COLUMNS + tuple(TOTAL_COLUMNS))} or {','.join(KEY_COLUMNS + PER_CODE_COLUMNS)}"
    return bind_fixed_columns(csv_file, wanted, wanted, layouts, problems)


def _key(bound: BoundCsv, record: CsvRecord) -> tuple[str, str, int, str] | None:
    """(urn, upn, academic year, term), or None with an error for each part that is missing."""
    urn, upn = bound.text(record, "urn"), compact(bound.text(record, "upn"))
    year_text, term = bound.text(record, "academic_year"), bound.text(record, "term").casefold()
    year = parse_academic_year(year_text)
    for name, value in (("urn", urn), ("upn", upn)):
        if not value:
            bound.error(record, name, f"{name} is blank: the row has no key")
    if year is None:
        bound.error(record, "academic_year", f"academic year {year_text!r} is not like 2024/25 or 2024")
    if term not in TERMS:
        bound.error(record, "term", f"term {bound.text(record, 'term')!r} is not autumn, spring or summer")
    if not urn or not upn or year is None or term not in TERMS:
        return None
    return urn, upn, year, term


def _count(bound: BoundCsv, record: CsvRecord, column: str) -> int | None:
    text = bound.text(record, column)
    if not text:
        return None
    value = parse_sessions(text)
    if value is None:
        bound.error(record, column, f"{column} {text!r} is not a whole number of sessions")
    elif value < 0:
        bound.error(record, column, f"{column} {value} is negative")
        return None
    return value


def _read_rows(bound: BoundCsv, codes_file: Path | None) -> list[dict[str, object]]:
    per_code = bound.has("code")
    rows: list[dict[str, object]] = []
    first_line: dict[tuple[str, str, int, str, str], int] = {}
    in_use: dict[tuple[int, str], frozenset[str]] = {}
    for record in bound.csv.records:
        key = _key(bound, record)
        counts: dict[str, int] = {}
        if per_code:
            code = bound.text(record, "code").upper()
            sessions = _count(bound, record, "sessions")
            if key is not None and code:
                allowed = in_use.setdefault(key[2:], codes_in_use(key[2], key[3], codes_file))
                if code not in allowed and code not in {c.upper() for c in SUMMARY_CODES}:
                    bound.error(record, "code", f"code {code!r} is not an attendance code in use in {key[3]} {key[2]}")
            elif not code:
                bound.error(record, "code", "code is blank")
            if sessions is not None and code:
                counts[code.lower() if code.startswith("*") else code] = sessions
        else:
            for column, summary in TOTAL_COLUMNS.items():
                value = _count(bound, record, column)
                if value is not None:
                    counts[summary] = value
            absent = counts.get(SUMMARY_AUTHORISED, 0) + counts.get(SUMMARY_UNAUTHORISED, 0)
            possible = counts.get(SUMMARY_POSSIBLE)
            if possible is not None and absent > possible:
                bound.error(
                    record,
                    "sessions_possible",
                    f"{absent} sessions absent (authorised + unauthorised) but only {possible} possible",
                )
            elif possible is None and absent:
                bound.warn(record, "sessions_possible", "sessions_possible is blank: the absences have no rate")
        if key is None:
            continue
        for code, sessions in counts.items():
            full_key = (*key, code)
            if full_key in first_line:
                bound.error(record, None, f"{code} for this pupil and term is on line {first_line[full_key]} too")
                continue
            first_line[full_key] = record.line
            urn, upn, year, term = key
            rows.append(
                {"urn": urn, "upn": upn, "academic_year": year, "term": term, "code": code, "sessions": sessions}
            )
    return rows
