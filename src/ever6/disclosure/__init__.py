"""Statistical disclosure control for published tables (DfE conventions, ``docs/domain.md`` §6).

:func:`suppress` turns the measures engine's long table into a publishable one: counts of 1 to 5
people are suppressed (``c``), rates and averages follow their counts, and secondary suppression
makes sure no suppressed cell can be recovered from totals, rows, columns or breakdowns. Every
suppressed cell carries its reason. :func:`for_school` is what one school's users may see.
:class:`Memo` lets a later run replay the interval protection of what did not change.
The algorithm and its limits are in :mod:`ever6.disclosure.suppression` and ``docs/disclosure.md``.
"""

from ever6.disclosure.memo import Memo
from ever6.disclosure.rules import DEFAULT_GROUP_SUMS, DisclosureRules, Kind, MeasureSpec, group_sums
from ever6.disclosure.suppression import BASE_COLUMNS, REASON_COLUMN, for_school, suppress

__all__ = [
    "BASE_COLUMNS",
    "DEFAULT_GROUP_SUMS",
    "REASON_COLUMN",
    "DisclosureRules",
    "Kind",
    "MeasureSpec",
    "Memo",
    "for_school",
    "group_sums",
    "suppress",
]
