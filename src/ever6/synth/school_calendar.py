"""School term dates for 2024/25 and 2025/26, and which days each school is open.

The dates are the pattern most English authorities (Kent among them) used: autumn term from the
start of September to just before Christmas, spring term from early January to the Friday
before Easter, summer term to late July, each with a one-week half-term. Every school has five
INSET (training) days, coded ``#``: the first two school days of September at every school,
and three more each school chooses, so that schools' calendars differ as real ones do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np


@dataclass(frozen=True)
class Term:
    name: str  # autumn / spring / summer
    first: date
    last: date


@dataclass(frozen=True)
class SchoolYear:
    start_year: int  # 2025 for 2025/26
    terms: tuple[Term, ...]
    closed: tuple[tuple[date, date], ...]  # half-terms and bank holidays inside the terms
    common_inset: tuple[date, ...]  # INSET days at every school
    inset_choices: tuple[date, ...]  # each school picks ``INSET_DAYS - len(common_inset)`` of these

    @property
    def label(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    def school_days(self, until: date | None = None) -> np.ndarray:
        """Ordinals of the weekdays in term (INSET days included: they carry ``#`` marks)."""
        days: list[int] = []
        for term in self.terms:
            d = term.first
            while d <= term.last and (until is None or d <= until):
                if d.weekday() < 5 and not any(a <= d <= b for a, b in self.closed):
                    days.append(d.toordinal())
                d += timedelta(days=1)
        return np.array(days, dtype=np.int64)

    def term_of(self, days: np.ndarray) -> np.ndarray:
        """Index of the term (0 autumn, 1 spring, 2 summer) of each day ordinal."""
        bounds = np.array([t.first.toordinal() for t in self.terms[1:]], dtype=np.int64)
        return np.searchsorted(bounds, days, side="right")


INSET_DAYS = 5

YEAR_2025_26 = SchoolYear(
    2025,
    (
        Term("autumn", date(2025, 9, 1), date(2025, 12, 19)),
        Term("spring", date(2026, 1, 5), date(2026, 3, 27)),
        Term("summer", date(2026, 4, 13), date(2026, 7, 21)),
    ),
    (
        (date(2025, 10, 27), date(2025, 10, 31)),
        (date(2026, 2, 16), date(2026, 2, 20)),
        (date(2026, 5, 4), date(2026, 5, 4)),
        (date(2026, 5, 25), date(2026, 5, 29)),
    ),
    (date(2025, 9, 1), date(2025, 9, 2)),
    (
        date(2025, 10, 24),
        date(2025, 11, 3),
        date(2025, 11, 28),
        date(2026, 1, 5),
        date(2026, 2, 13),
        date(2026, 2, 23),
        date(2026, 3, 27),
    ),
)

YEAR_2024_25 = SchoolYear(
    2024,
    (
        Term("autumn", date(2024, 9, 2), date(2024, 12, 20)),
        Term("spring", date(2025, 1, 6), date(2025, 4, 4)),
        Term("summer", date(2025, 4, 22), date(2025, 7, 22)),
    ),
    (
        (date(2024, 10, 28), date(2024, 11, 1)),
        (date(2025, 2, 17), date(2025, 2, 21)),
        (date(2025, 5, 5), date(2025, 5, 5)),
        (date(2025, 5, 26), date(2025, 5, 30)),
    ),
    (date(2024, 9, 2), date(2024, 9, 3)),
    (
        date(2024, 10, 25),
        date(2024, 11, 4),
        date(2025, 1, 6),
        date(2025, 2, 24),
        date(2025, 6, 2),
        date(2025, 7, 21),
        date(2025, 7, 22),
    ),
)


def inset_matrix(rng: np.random.Generator, year: SchoolYear, days: np.ndarray, n_schools: int) -> np.ndarray:
    """``[school, day]`` True on that school's INSET days (among ``days``)."""
    common = np.isin(days, [d.toordinal() for d in year.common_inset])
    choices = np.array([d.toordinal() for d in year.inset_choices], dtype=np.int64)
    k = INSET_DAYS - len(year.common_inset)
    # Each school's own picks: the k smallest of uniform keys is a uniform k-subset.
    picks = np.argsort(rng.random((n_schools, len(choices))), axis=1)[:, :k]
    chosen = choices[picks]
    matrix = np.zeros((n_schools, len(days)), dtype=bool)
    matrix[:, common] = True
    col = np.searchsorted(days, chosen)
    found = (col < len(days)) & (days[np.minimum(col, len(days) - 1)] == chosen)
    rows = np.repeat(np.arange(n_schools), k).reshape(n_schools, k)
    matrix[rows[found], col[found]] = True
    return matrix
