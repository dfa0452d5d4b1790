"""The Ever6 CWSW cohort: who is in it at a reference date, and with what status."""

from ever6.cohort.rules import COHORT_COLUMNS, Status, cohort
from ever6.cohort.sources import CurrentTables, current_tables, latest_version

__all__ = ["COHORT_COLUMNS", "CurrentTables", "Status", "cohort", "current_tables", "latest_version"]
