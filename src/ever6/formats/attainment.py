"""Attainment reader: one result per pupil, year and measure (``upn,urn,academic_year,measure,value``).

The measures are the ones the DfE publishes for children in need: the EYFS good level of
development, KS2 reading, writing and maths at the expected standard, and KS4 Attainment 8 and
English and maths at grade 4 / 5 or above. A value outside its measure's range, an unknown
measure, or a row without a key refuses the file; a blank value is a result not recorded (null).
"""

from __future__ import annotations

from pathlib import Path

from ever6 import formats
from ever6.formats.csv_source import (
    BoundCsv,
    CsvFile,
    CsvRecord,
    bind_fixed_columns,
    parse_academic_year,
    read_one_table,
)
from ever6.formats.problems import Problem, ReadResult
from ever6.model import ATTAINMENT
from ever6.upn import compact

FORMAT = formats.ATTAINMENT.name

# Measure -> (lowest, highest, whole numbers only). Standards are met (1) or not (0); Attainment 8
# is the sum of eight qualifications' points, double-weighted English and maths: 0 to 90.
MEASURES: dict[str, tuple[float, float, bool]] = {
    "eyfs_gld": (0, 1, True),
    "ks2_rwm_expected": (0, 1, True),
    "ks4_attainment8": (0, 90, False),
    "ks4_em_grade4": (0, 1, True),
    "ks4_em_grade5": (0, 1, True),
}
COLUMNS: tuple[str, ...] = ("upn", "urn", "academic_year", "measure", "value")
REQUIRED_COLUMNS: tuple[str, ...] = ("upn", "academic_year", "measure", "value")


def read_attainment(path: Path) -> ReadResult:
    """Read an attainment CSV into ``attainment``.

    When any error is found the table is empty: the import is refused, and every problem found
    is still reported.
    """
    return read_one_table(path, FORMAT, ATTAINMENT, _bind, _read_rows)


def _bind(csv_file: CsvFile, problems: list[Problem]) -> BoundCsv | None:
    return bind_fixed_columns(csv_file, COLUMNS, REQUIRED_COLUMNS, ",".join(COLUMNS), problems)


def _value(bound: BoundCsv, record: CsvRecord, measure: str | None) -> tuple[float | None, bool]:
    """The value and whether it is acceptable for the measure."""
    text = bound.text(record, "value")
    if not text:
        return None, True
    try:
        value = float(text)
    except ValueError:
        bound.error(record, "value", f"value {text!r} is not a number")
        return None, False
    if measure is None:
        return value, False
    low, high, whole = MEASURES[measure]
    if value != value or not low <= value <= high or (whole and not value.is_integer()):
        allowed = "0 or 1" if whole else f"{low:g} to {high:g}"
        bound.error(record, "value", f"{measure} value {text!r} is out of range ({allowed})")
        return None, False
    return value, True


def _read_rows(bound: BoundCsv) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    first_line: dict[tuple[str, int, str], int] = {}
    for record in bound.csv.records:
        upn = compact(bound.text(record, "upn"))
        if not upn:
            bound.error(record, "upn", "upn is blank: the result has no key")
        year_text = bound.text(record, "academic_year")
        year = parse_academic_year(year_text)
        if year is None:
            bound.error(record, "academic_year", f"academic year {year_text!r} is not like 2024/25 or 2024")
        measure_text = bound.text(record, "measure")
        measure = measure_text.casefold() if measure_text.casefold() in MEASURES else None
        if measure is None:
            bound.error(record, "measure", f"measure {measure_text!r} is not one of {', '.join(MEASURES)}")
        value, ok = _value(bound, record, measure)
        if not upn or year is None or measure is None or not ok:
            continue
        key = (upn, year, measure)
        if key in first_line:
            bound.error(record, "measure", f"{measure} {year} for this pupil is on line {first_line[key]} too")
            continue
        first_line[key] = record.line
        urn = bound.text(record, "urn") or None
        rows.append({"upn": upn, "urn": urn, "academic_year": year, "measure": measure, "value": value})
    return rows
