"""The cohort's education measures (DfE methodology), for every group, breakdown and period."""

from ever6.metrics.measures import BREAKDOWNS, BY_NAME, GROUPS, MEASURES, PERIODS, Measure
from ever6.metrics.rules import METRIC_COLUMNS, Inputs, compute_metrics, years_with_data

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
