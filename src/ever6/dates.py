"""Date rules used everywhere: year shifts, ages and the academic year.

One place for each, so that the cohort engine, the synthetic authority and the measures agree
on what "six years before" and "aged under 18" mean, including for 29 February.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from dateutil.easter import easter


def shift_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (or earlier); 29 February becomes 28 February."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def birthday(birth_date: date, age: int) -> date:
    """The day a person born on ``birth_date`` reaches ``age``.

    In England and Wales someone born on 29 February comes of age on 1 March in a common year.
    """
    year = birth_date.year + age
    if birth_date.month == 2 and birth_date.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, birth_date.month, birth_date.day)


def latest_birth_date_reaching(age: int, on: date) -> date:
    """The latest birth date of someone who has reached ``age`` on ``on``.

    A child is *under* ``age`` on ``on`` exactly when born after this date; the engines compare
    against it so that none needs date arithmetic of its own. (A 29 February reference maps to
    28 February: someone born on 28 February that many years before has reached the age.)
    """
    return shift_years(on, -age)


def years_since_bands(window_years: int = 6) -> tuple[str, ...]:
    """The values of a child's ``years_since`` in order: social work still open at R, then the
    whole years since it ended. The window bounds the last band: "3–5 years" under six years."""
    return ("open", "under 1 year", "1 year", "2 years", f"3–{window_years - 1} years")


def academic_year_start(day: date) -> int:
    """The calendar year in which the academic year containing ``day`` starts (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


TERMS = ("autumn", "spring", "summer")


def academic_year_label(start_year: int) -> str:
    """``2025`` -> ``"2025/26"``."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def parse_academic_year(text: str) -> int:
    """``"2025/26"`` or ``"2025"`` -> 2025 (the calendar year the academic year starts)."""
    head, _, tail = text.strip().partition("/")
    start = int(head)
    if tail and int(tail) != (start + 1) % 100:
        raise ValueError(f"{text!r} is not an academic year such as 2025/26")
    return start


def academic_year_bounds(start_year: int) -> tuple[date, date]:
    """1 September to 31 August."""
    return date(start_year, 9, 1), date(start_year + 1, 8, 31)


def term_bounds(start_year: int) -> dict[str, tuple[date, date]]:
    """The three terms as DfE statistics define them: autumn September to December, spring
    January to Easter Sunday, summer from Easter Monday to August."""
    easter_sunday = easter(start_year + 1)
    return {
        "autumn": (date(start_year, 9, 1), date(start_year, 12, 31)),
        "spring": (date(start_year + 1, 1, 1), easter_sunday),
        "summer": (easter_sunday + timedelta(days=1), date(start_year + 1, 8, 31)),
    }
