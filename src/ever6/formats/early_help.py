"""Early-help extract reader: episodes of early help (family support) from the authority's system.

One row per episode: the LA child id and the episode's start date (required), its end date, and
optionally the child's UPN, names and date of birth. Column names are found by name or alias, or
named in a TOML mapping, as for case-management extracts. Any error refuses the file, every
problem named by file, line and field.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from ever6.formats import EARLY_HELP
from ever6.formats.child_rows import PERSON_ALIASES, PERSON_COLUMNS, dated, person
from ever6.formats.csv_source import (
    BoundCsv,
    ColumnSet,
    KeyedRows,
    SourceMapping,
    load_source_mapping,
    mapped_columns,
    read_one_table,
)
from ever6.formats.problems import ReadResult
from ever6.model import EARLY_HELP_EPISODE as TABLE

FORMAT = EARLY_HELP.name

CANONICAL_COLUMNS: tuple[str, ...] = (*PERSON_COLUMNS, "start_date", "end_date")
REQUIRED_COLUMNS: tuple[str, ...] = ("la_child_id", "start_date")
ALIASES: dict[str, tuple[str, ...]] = {
    **PERSON_ALIASES,
    "start_date": ("episode_start", "episode_start_date", "eh_start_date", "start", "opened"),
    "end_date": ("episode_end", "episode_end_date", "eh_end_date", "end", "closed"),
}
COLUMNS = ColumnSet(CANONICAL_COLUMNS, ALIASES, REQUIRED_COLUMNS)


class ColumnMapping(SourceMapping):
    """Which source column holds each canonical column, and how dates are written."""

    KNOWN: ClassVar[tuple[str, ...]] = CANONICAL_COLUMNS


def load_mapping(path: Path) -> ColumnMapping:
    return load_source_mapping(path, ColumnMapping)


def read_early_help(path: Path, *, mapping: ColumnMapping | None = None, today: date | None = None) -> ReadResult:
    """Read an early-help extract CSV into ``early_help_episode``; empty, and refused, on any error."""
    mapping = mapping or ColumnMapping()
    today = today or date.today()
    formats = mapping.date_formats
    bind = mapped_columns(mapping, COLUMNS)
    return read_one_table(path, FORMAT, TABLE, bind, lambda bound: _read_rows(bound, formats, today))


def _read_rows(bound: BoundCsv, formats: tuple[str, ...], today: date) -> list[dict[str, object]]:
    kept = KeyedRows("episode", "start_date")
    for record in bound.csv.records:
        child = person(bound, record, formats, today)
        start = dated(bound, record, "start_date", formats, today, required=True)
        end = dated(bound, record, "end_date", formats, today, required=False)
        if start and end and end < start:
            bound.error(record, "end_date", f"the episode ends ({end}) before it starts ({start})")
        if child is None or start is None:
            continue
        row = {**child, "start_date": start, "end_date": end}
        first = kept.add(bound, record, (child["la_child_id"], start), row)
        if first is not None:
            bound.error(record, "start_date", f"the episode on line {first} starts the same day with other values")
    return kept.rows
