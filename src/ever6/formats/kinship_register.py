"""Kinship register reader: the authority's own list of children in kinship arrangements.

One row per child: the LA child id (required), the arrangement (required: a special
guardianship order, a child arrangements order, kinship foster care or another kinship
arrangement), and optionally UPN, names, date of birth and the arrangement's start and end.
Column names are found by name or alias, or named in a TOML mapping, as for case-management
extracts (``docs/importing.md``). Any error refuses the file, every problem named by file, line
and field.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from ever6.formats import KINSHIP_REGISTER
from ever6.formats.child_rows import PERSON_ALIASES, PERSON_COLUMNS, dated, person
from ever6.formats.csv_source import (
    BoundCsv,
    ColumnSet,
    SourceMapping,
    load_source_mapping,
    mapped_columns,
    read_one_table,
)
from ever6.formats.problems import ReadResult
from ever6.model import KINSHIP_REGISTER as TABLE

FORMAT = KINSHIP_REGISTER.name

CANONICAL_COLUMNS: tuple[str, ...] = (*PERSON_COLUMNS, "arrangement", "start_date", "end_date")
REQUIRED_COLUMNS: tuple[str, ...] = ("la_child_id", "arrangement")
ALIASES: dict[str, tuple[str, ...]] = {
    **PERSON_ALIASES,
    "arrangement": ("order", "order_type", "kinship_arrangement", "legal_order", "type"),
    "start_date": ("order_date", "arrangement_start", "start"),
    "end_date": ("arrangement_end", "end", "order_end_date"),
}
COLUMNS = ColumnSet(CANONICAL_COLUMNS, ALIASES, REQUIRED_COLUMNS)

# How registers write each arrangement (compared case-blind, spaces and punctuation collapsed).
ARRANGEMENT_SPELLINGS: dict[str, str] = {
    "sgo": "sgo",
    "special guardianship": "sgo",
    "special guardianship order": "sgo",
    "cao": "cao",
    "child arrangements order": "cao",
    "child arrangement order": "cao",
    "residence order": "cao",
    "kinship foster": "kinship_foster",
    "kinship foster care": "kinship_foster",
    "kinship_foster": "kinship_foster",
    "connected person": "kinship_foster",
    "connected person foster care": "kinship_foster",
    "family and friends foster care": "kinship_foster",
    "other kinship": "other_kinship",
    "other_kinship": "other_kinship",
    "informal kinship": "other_kinship",
}


class ColumnMapping(SourceMapping):
    """Which source column holds each canonical column, and how dates are written."""

    KNOWN: ClassVar[tuple[str, ...]] = CANONICAL_COLUMNS


def load_mapping(path: Path) -> ColumnMapping:
    return load_source_mapping(path, ColumnMapping)


def _spelling(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()


_SPELLINGS = {_spelling(k): v for k, v in ARRANGEMENT_SPELLINGS.items()}


def read_kinship_register(path: Path, *, mapping: ColumnMapping | None = None, today: date | None = None) -> ReadResult:
    """Read a kinship register CSV into ``kinship_register``; empty, and refused, on any error."""
    mapping = mapping or ColumnMapping()
    today = today or date.today()
    formats = mapping.date_formats
    bind = mapped_columns(mapping, COLUMNS)
    return read_one_table(path, FORMAT, TABLE, bind, lambda bound: _read_rows(bound, formats, today))


def _read_rows(bound: BoundCsv, formats: tuple[str, ...], today: date) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    first_line: dict[str, int] = {}
    for record in bound.csv.records:
        child = person(bound, record, formats, today)
        text = bound.text(record, "arrangement")
        arrangement = _SPELLINGS.get(_spelling(text))
        if arrangement is None:
            known = "SGO, CAO, kinship foster care or other kinship"
            bound.error(record, "arrangement", f"arrangement {text.strip()!r} is not one of {known}")
        start = dated(bound, record, "start_date", formats, today, required=False)
        end = dated(bound, record, "end_date", formats, today, required=False, future=True)
        if start and end and end < start:
            bound.error(record, "end_date", f"the arrangement ends ({end}) before it starts ({start})")
        if child is None or arrangement is None:
            continue
        cid = str(child["la_child_id"])
        if cid in first_line:
            bound.error(record, "la_child_id", f"child id {cid} is listed twice (first on line {first_line[cid]})")
            continue
        first_line[cid] = record.line
        rows.append({**child, "arrangement": arrangement, "start_date": start, "end_date": end})
    return rows
