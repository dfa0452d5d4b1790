"""Date rules used everywhere: year shifts, ages and the academic year.

One place for each, so that the cohort engine, the synthetic authority and the measures agree
on what "six years before" and "aged under 18" mean, including for 29 February.
"""

from __future__ import annotations

import calendar
from datetime import date


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

    A child is *under* ``age`` on ``on`` exactly when born after this date; the cohort engine
    compares against it so that no engine needs date arithmetic of its own.
    """
    cutoff = shift_years(on, -age)
    # shift_years maps a 29 February reference to 28 February, which is right: someone born on
    # 28 February that many years before has reached the age; someone born on 1 March has not.
    # For a 29 February birth date the cut-off year is never a leap year unless ``on`` is one.
    return cutoff


def academic_year_start(day: date) -> int:
    """The calendar year in which the academic year containing ``day`` starts (1 September)."""
    return day.year if day.month >= 9 else day.year - 1
