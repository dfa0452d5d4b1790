"""The cohort's education measures (DfE methodology), for every group, breakdown and period.

The rules (:mod:`ever6.metrics.rules`, Ibis) load only when one of their names is first used: the
web service reads the measures' definitions (:mod:`ever6.metrics.measures`) through this package
and must not load the analytics to do so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ever6.metrics.measures import BREAKDOWNS, BY_NAME, GROUPS, MEASURES, METRIC_COLUMNS, PERIODS, Measure

if TYPE_CHECKING:
    from ever6.metrics.rules import Inputs, compute_metrics, years_with_data

_RULES = ("Inputs", "compute_metrics", "years_with_data")


def __getattr__(name: str) -> Any:
    if name in _RULES:
        from ever6.metrics import rules

        return getattr(rules, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BREAKDOWNS",
    "BY_NAME",
    "GROUPS",
    "MEASURES",
    "METRIC_COLUMNS",
    "PERIODS",
    "Inputs",
    "Measure",
    "compute_metrics",
    "years_with_data",
]
