"""Suspensions and permanent exclusions reader (``urn,upn,start_date,category,sessions,reason``).

Reasons come either as one ``reason`` column of ``;``-separated DfE codes or as the census's
``reason1``, ``reason2``, ``reason3``. The category is kept as given, uppercased: ``FIXD`` is the
old name of ``SUSP`` and the measures treat them alike. An exclusion is keyed by (urn, upn,
start date, category); a row without a key or with an unknown category refuses the file.

The code lists here are also used by the school census reader.
"""

from __future__ import annotations

from pathlib import Path

from ever6.formats import EXCLUSIONS
from ever6.formats.csv_source import (
    BoundCsv,
    CsvFile,
    CsvRecord,
    KeyedRows,
    bind_fixed_columns,
    parse_date,
    read_one_table,
)
from ever6.formats.problems import Problem, ReadResult
from ever6.model import EXCLUSION
from ever6.upn import compact

FORMAT = EXCLUSIONS.name

# SUSP suspension (FIXD, "fixed period", before 2020/21), PERM permanent, LNCH lunchtime.
CATEGORIES: frozenset[str] = frozenset({"SUSP", "FIXD", "PERM", "LNCH"})

# DfE reason codes: every code any school census schema 2015-2026 allowed (OW, LG, DS, MT and PH
# were added for 2020/21); a reason outside the list is kept with a warning.
REASONS: frozenset[str] = frozenset(
    {"PP", "PA", "VP", "VA", "OW", "BU", "RA", "LG", "DS", "SM", "DA", "DM", "TH", "DB", "MT", "PH", "OT"}
)

REQUIRED_COLUMNS: tuple[str, ...] = ("urn", "upn", "start_date", "category")
REASON_COLUMNS: tuple[str, ...] = ("reason1", "reason2", "reason3")


def split_reasons(values: list[str]) -> list[str]:
    """Reason codes from one or more fields (each may hold several separated by ``;``), uppercased."""
    return [code.strip().upper() for value in values for code in value.split(";") if code.strip()]


def parse_exclusion_sessions(text: str) -> float | None:
    """Sessions missed (half sessions occur, e.g. lunchtime), or None if not a number."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def read_exclusions(path: Path) -> ReadResult:
    """Read a suspensions and exclusions CSV into ``exclusion``.

    When any error is found the table is empty: the import is refused, and every problem found
    is still reported.
    """
    return read_one_table(path, FORMAT, EXCLUSION, _bind, _read_rows)


def _bind(csv_file: CsvFile, problems: list[Problem]) -> BoundCsv | None:
    names = (*REQUIRED_COLUMNS, "sessions", "reason", *REASON_COLUMNS)
    return bind_fixed_columns(
        csv_file, names, REQUIRED_COLUMNS, "urn,upn,start_date,category,sessions,reason", problems
    )


def _read_rows(bound: BoundCsv) -> list[dict[str, object]]:
    kept = KeyedRows("exclusion", "start_date")
    for record in bound.csv.records:
        row = _row(bound, record)
        if row is None:
            continue
        first_line = kept.add(bound, record, (row["urn"], row["upn"], row["start_date"], row["category"]), row)
        if first_line is not None:
            bound.error(
                record,
                "start_date",
                f"a second {row['category']} exclusion for this pupil and school starting "
                f"{row['start_date']} (first on line {first_line}), with different values",
            )
    return kept.rows


def _row(bound: BoundCsv, record: CsvRecord) -> dict[str, object] | None:
    urn = bound.text(record, "urn")
    upn = compact(bound.text(record, "upn"))
    for name, value in (("urn", urn), ("upn", upn)):
        if not value:
            bound.error(record, name, f"{name} is blank: the exclusion has no key")
    start_text = bound.text(record, "start_date")
    start = parse_date(start_text)
    if start is None:
        what = (
            f"start date {start_text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)"
            if start_text
            else "start date is blank"
        )
        bound.error(record, "start_date", f"{what}: the exclusion has no key")
    category = bound.text(record, "category").upper()
    if category not in CATEGORIES:
        bound.error(record, "category", f"category {category!r} is not one of {', '.join(sorted(CATEGORIES))}")
    sessions_text = bound.text(record, "sessions")
    sessions = parse_exclusion_sessions(sessions_text) if sessions_text else None
    if sessions_text and sessions is None:
        bound.warn(record, "sessions", f"sessions {sessions_text!r} is not a number; value dropped")
    elif sessions is not None and sessions < 0:
        bound.error(record, "sessions", f"sessions {sessions_text} is negative")
    fields = [bound.text(record, "reason")] + [bound.text(record, name) for name in REASON_COLUMNS]
    reasons = split_reasons(fields)
    for code in reasons:
        if code not in REASONS:
            column = "reason" if bound.has("reason") else REASON_COLUMNS[0]
            bound.warn(record, column, f"reason {code!r} is not a DfE exclusion reason code; kept as given")
    if not urn or not upn or start is None or category not in CATEGORIES:
        return None
    return {
        "urn": urn,
        "upn": upn,
        "start_date": start,
        "category": category,
        "sessions": sessions,
        "reasons": reasons,
    }
