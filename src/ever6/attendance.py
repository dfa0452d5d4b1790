"""The attendance code table: which code means what, and since when (``data/attendance_codes.csv``).

One table, used by every reader that validates codes and by the measures, which join marks to it
(a join, not a Python loop). Codes change: those in force from August 2024 differ from the ones
before (``H``, ``J`` and ``Y`` retired; ``K``, ``C1``, ``C2``, ``J1``, ``Y1``-``Y7`` and ``Q``
added), so each code carries the dates it is valid for. A local authority may point
``[attendance] codes_file`` at its own copy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa


class Category(StrEnum):
    PRESENT = "present"
    APPROVED_ACTIVITY = "approved_activity"  # counts as attending
    AUTHORISED = "authorised"
    UNAUTHORISED = "unauthorised"
    NOT_POSSIBLE = "not_possible"  # not a possible session


# Categories that make a session possible, and those that make it an absence.
POSSIBLE = frozenset({Category.PRESENT, Category.APPROVED_ACTIVITY, Category.AUTHORISED, Category.UNAUTHORISED})
ABSENT = frozenset({Category.AUTHORISED, Category.UNAUTHORISED})

# Summary rows of ``attendance_termly`` when a source holds only totals, not per-code counts.
SUMMARY_POSSIBLE = "*possible"
SUMMARY_AUTHORISED = "*authorised"
SUMMARY_UNAUTHORISED = "*unauthorised"
SUMMARY_CODES = (SUMMARY_POSSIBLE, SUMMARY_AUTHORISED, SUMMARY_UNAUTHORISED)


@dataclass(frozen=True)
class Code:
    code: str
    category: Category
    valid_from: date
    valid_to: date | None
    meaning: str

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _default_file() -> Path:
    return Path(str(resources.files("ever6") / "data" / "attendance_codes.csv"))


@cache
def load_codes(path: Path | None = None) -> tuple[Code, ...]:
    """The code table; raises ``ValueError`` naming the line of a malformed row."""
    path = path or _default_file()
    codes: list[Code] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                codes.append(
                    Code(
                        code=row["code"].strip(),
                        category=Category(row["category"].strip()),
                        valid_from=date.fromisoformat(row["valid_from"]),
                        valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                        meaning=row["meaning"],
                    )
                )
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path}:{line}: {exc}") from exc
    return tuple(codes)


def code_table(path: Path | None = None) -> pa.Table:
    """The code table as Arrow, for joining marks to their category."""
    codes = load_codes(path)
    return pa.table(
        {
            "code": pa.array([c.code for c in codes], pa.string()),
            "category": pa.array([c.category.value for c in codes], pa.string()),
            "valid_from": pa.array([c.valid_from for c in codes], pa.date32()),
            "valid_to": pa.array([c.valid_to for c in codes], pa.date32()),
        }
    )


def category_of(code: str, on: date, path: Path | None = None) -> Category | None:
    """The category of ``code`` on a day, or None when the code was not valid then."""
    for c in load_codes(path):
        if c.code == code and c.valid_on(on):
            return c.category
    return None
