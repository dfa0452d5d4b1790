"""SSDA903 (looked-after children) reader: the ``header`` and ``episodes`` CSV tables.

The cohort needs the episodes (who was looked after when) and, optionally, the header (sex,
birth date, UPN). Files are recognised by their columns, not their names, because LAs name
their extracts freely. An episode is keyed by (CHILD, DECOM), so a row without either cannot be
imported and refuses the file; other bad values are dropped with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from ever6.formats import SSDA903
from ever6.formats.csv_source import (
    DEFAULT_DATE_FORMATS,
    CsvFile,
    CsvRecord,
    blank_to_none,
    parse_date,
    read_csv,
)
from ever6.formats.problems import Problem, ReadResult, Severity, has_errors
from ever6.model import LA_CHILD, LA_EPISODE
from ever6.postcode import normalise_postcode
from ever6.upn import recorded_upn

FORMAT = SSDA903.name

# 903 column -> canonical column. Other columns (MOTHER, MC_DOB, TEST_COLUMN, ...) are ignored.
HEADER_COLUMNS: dict[str, str] = {
    "CHILD": "la_child_id",
    "SEX": "sex",
    "DOB": "birth_date",
    "ETHNIC": "ethnicity",
    "UPN": "upn",
}
EPISODE_COLUMNS: dict[str, str] = {
    "CHILD": "la_child_id",
    "DECOM": "start_date",
    "RNE": "reason_new_episode",
    "LS": "legal_status",
    "CIN": "cin_code",
    "PLACE": "placement",
    "PLACE_PROVIDER": "placement_provider",
    "DEC": "end_date",
    "REC": "reason_episode_ceased",
    "REASON_PLACE_CHANGE": "reason_place_change",
    "HOME_POST": "home_postcode",
    "PL_POST": "placement_postcode",
    "URN": "urn",
}
_DATE_COLUMNS = frozenset({"DOB", "DECOM", "DEC"})

# The 903 records why a child has no UPN with a code (UN1 ... UN7) in the UPN column itself;
# those say "no UPN", they are not one (ever6.upn.recorded_upn drops them).

# Columns found only in these tables: how a file is recognised (uasc.csv also has CHILD, SEX, DOB,
# and every 903 table has CHILD, so those identify nothing).
_EPISODE_SIGNATURE = frozenset({"DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "PL_POST"})
_HEADER_SIGNATURE = frozenset({"ETHNIC", "UPN", "MOTHER", "MC_DOB"})

# SEX: 1/2 until 2024, M/F/U from 2025 (liia-tools-pipeline SSDA903 schema 2025 diff).
SEX_CODES: dict[str, str] = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}

# Code lists from the DfE 903 specification as published in the liia-tools-pipeline schemas,
# only those unchanged 2017-2026 (PLACE and REC change from year to year). A value outside its
# list is kept and warned about: the cohort uses only the dates.
EPISODE_CODES: dict[str, frozenset[str]] = {
    "RNE": frozenset({"S", "L", "P", "T", "B", "U"}),
    "LS": frozenset({"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"}),
    "CIN": frozenset({"N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"}),
    "PLACE_PROVIDER": frozenset({"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"}),
}
# Blank in a return that requires them: worth telling the data team, harmless to the cohort.
_REQUIRED_CODES = ("RNE", "LS", "CIN")
_POSTCODE_COLUMNS = ("HOME_POST", "PL_POST")

Kind = Literal["header", "episodes"]


@dataclass(frozen=True)
class _Table:
    kind: Kind
    csv: CsvFile
    columns: dict[str, int | None]  # 903 column -> index in the file

    @property
    def keyed(self) -> bool:
        """Whether the key columns are there; without them the rows are not read at all."""
        key = ("CHILD",) if self.kind == "header" else ("CHILD", "DECOM")
        return all(self.columns[column] is not None for column in key)

    @property
    def file(self) -> str:
        return str(self.csv.path)

    def value(self, record: CsvRecord, column: str) -> str:
        return record.get(self.columns[column])

    def source_name(self, column: str) -> str:
        """The column's name as the file writes it, for problems."""
        index = self.columns[column]
        return self.csv.header[index] if index is not None else column


def collection_year(day: date) -> int:
    """The 903 collection year containing ``day``: the year of the 31 March that ends it."""
    return day.year if (day.month, day.day) <= (3, 31) else day.year + 1


def _classify(csv_file: CsvFile) -> Kind | None:
    names = {name.strip().upper() for name in csv_file.header}
    if names & _EPISODE_SIGNATURE and ("DECOM" in names or len(names & _EPISODE_SIGNATURE) >= 2):
        return "episodes"
    if names & _HEADER_SIGNATURE:
        return "header"
    return None


def _bind(kind: Kind, csv_file: CsvFile, problems: list[Problem]) -> _Table:
    """Find each 903 column in the file; a repeated column is ambiguous and refuses the file."""
    wanted = HEADER_COLUMNS if kind == "header" else EPISODE_COLUMNS
    columns: dict[str, int | None] = {}
    for column in wanted:
        found = csv_file.find_all(column)
        if len(found) > 1:
            problems.append(Problem(str(csv_file.path), 1, column, f"column {column} appears {len(found)} times"))
        columns[column] = found[0] if found else None
    required = ("CHILD",) if kind == "header" else ("CHILD", "DECOM")
    for column in required:
        if columns[column] is None:
            problems.append(
                Problem(
                    str(csv_file.path),
                    1,
                    column,
                    f"the {kind} file has no {column} column (found: {', '.join(csv_file.header)})",
                )
            )
    return _Table(kind, csv_file, columns)


def _date(
    table: _Table, record: CsvRecord, column: str, problems: list[Problem], severity: Severity = Severity.WARNING
) -> date | None:
    """A date value, or None with a problem when it is present but not a date."""
    text = table.value(record, column)
    parsed = parse_date(text, DEFAULT_DATE_FORMATS)
    if text and parsed is None:
        consequence = "value dropped" if severity is Severity.WARNING else "the episode's end is unknown"
        problems.append(
            Problem(
                table.file,
                record.line,
                table.source_name(column),
                f"{column} {text!r} is not a date (DD/MM/YYYY); {consequence}",
                severity,
            )
        )
    return parsed


def _child_id(table: _Table, record: CsvRecord, problems: list[Problem]) -> str | None:
    child = table.value(record, "CHILD")
    if not child:
        problems.append(
            Problem(table.file, record.line, table.source_name("CHILD"), "CHILD is blank: the row has no key")
        )
        return None
    return child


def _read_header(table: _Table, problems: list[Problem]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    first_line: dict[str, int] = {}
    for record in table.csv.records:
        child = _child_id(table, record, problems)
        if child is None:
            continue
        if child in first_line:
            problems.append(
                Problem(
                    table.file,
                    record.line,
                    table.source_name("CHILD"),
                    f"CHILD {child} is repeated (first on line {first_line[child]}); this row is ignored",
                    Severity.WARNING,
                )
            )
            continue
        first_line[child] = record.line
        sex_text = table.value(record, "SEX")
        sex = SEX_CODES.get(sex_text.upper())
        if sex is None and table.columns["SEX"] is not None:
            problems.append(
                Problem(
                    table.file,
                    record.line,
                    table.source_name("SEX"),
                    f"SEX {sex_text!r} is not 1, 2, M, F or U; recorded as U",
                    Severity.WARNING,
                )
            )
            sex = "U"
        if table.columns["DOB"] is not None and not table.value(record, "DOB"):
            problems.append(
                Problem(table.file, record.line, table.source_name("DOB"), "DOB is blank", Severity.WARNING)
            )
        rows.append(
            {
                "la_child_id": child,
                "sex": sex,
                "birth_date": _date(table, record, "DOB", problems),
                "ethnicity": blank_to_none(table.value(record, "ETHNIC")),
                "upn": recorded_upn(table.value(record, "UPN")),
            }
        )
    return rows


def _check_codes(table: _Table, record: CsvRecord, problems: list[Problem]) -> None:
    """Warn about codes outside the 903 lists and malformed postcodes; values are kept."""
    for column, codes in EPISODE_CODES.items():
        if table.columns[column] is None:
            continue
        text = table.value(record, column)
        if not text:
            if column in _REQUIRED_CODES:
                problems.append(
                    Problem(
                        table.file,
                        record.line,
                        table.source_name(column),
                        f"{column} is blank",
                        Severity.WARNING,
                    )
                )
        elif text.upper() not in codes:
            problems.append(
                Problem(
                    table.file,
                    record.line,
                    table.source_name(column),
                    f"{column} {text!r} is not a 903 code",
                    Severity.WARNING,
                )
            )
    for column in _POSTCODE_COLUMNS:
        text = table.value(record, column)
        if text and normalise_postcode(text) is None:
            problems.append(
                Problem(
                    table.file,
                    record.line,
                    table.source_name(column),
                    f"{column} {text!r} is not a postcode",
                    Severity.WARNING,
                )
            )


def _read_episodes(table: _Table, problems: list[Problem]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    first_line: dict[tuple[str, date], int] = {}
    spans: dict[str, list[tuple[date, date | None]]] = {}  # child -> (DECOM, DEC) per episode
    for record in table.csv.records:
        child = _child_id(table, record, problems)
        start_text = table.value(record, "DECOM")
        start = parse_date(start_text, DEFAULT_DATE_FORMATS)
        if start is None:
            what = f"DECOM {start_text!r} is not a date (DD/MM/YYYY)" if start_text else "DECOM is blank"
            problems.append(
                Problem(table.file, record.line, table.source_name("DECOM"), f"{what}: the episode has no key")
            )
        if child is None or start is None:
            continue
        if (child, start) in first_line:
            problems.append(
                Problem(
                    table.file,
                    record.line,
                    table.source_name("DECOM"),
                    f"episode CHILD {child} DECOM {start:%d/%m/%Y} is repeated "
                    f"(first on line {first_line[child, start]}); this row is ignored",
                    Severity.WARNING,
                )
            )
            continue
        first_line[child, start] = record.line
        # An unreadable or impossible DEC is an error, not a dropped value: without it a closed
        # episode would read as open, and the child would be counted as looked after today.
        end = _date(table, record, "DEC", problems, Severity.ERROR)
        if end is not None and end < start:
            problems.append(
                Problem(
                    table.file,
                    record.line,
                    table.source_name("DEC"),
                    f"DEC {end:%d/%m/%Y} is before DECOM {start:%d/%m/%Y}: the episode's end is unknown",
                )
            )
            end = None
        _check_codes(table, record, problems)
        row: dict[str, object] = {
            canonical: blank_to_none(table.value(record, column))
            for column, canonical in EPISODE_COLUMNS.items()
            if column not in _DATE_COLUMNS
        }
        row.update(la_child_id=child, start_date=start, end_date=end)
        rows.append(row)
        spans.setdefault(child, []).append((start, end))
    _check_overlaps(table, spans, first_line, problems)
    return rows


def _check_overlaps(
    table: _Table,
    spans: dict[str, list[tuple[date, date | None]]],
    lines: dict[tuple[str, date], int],
    problems: list[Problem],
) -> None:
    """Warn when a child's episodes overlap: a 903 episode starts the day the previous one ends."""
    for child, episodes in spans.items():
        episodes.sort(key=lambda episode: episode[0])
        latest_start, latest_end = episodes[0]
        for start, end in episodes[1:]:
            if latest_end is None or start < latest_end:
                problems.append(
                    Problem(
                        table.file,
                        lines[child, start],
                        table.source_name("DECOM"),
                        f"CHILD {child}: the episode starting {start:%d/%m/%Y} overlaps the one "
                        f"on line {lines[child, latest_start]}",
                        Severity.WARNING,
                    )
                )
            if latest_end is not None and (end is None or end > latest_end):
                latest_start, latest_end = start, end


def read_ssda903(paths: Sequence[Path], *, year: int | None = None) -> ReadResult:
    """Read an SSDA903 episodes CSV and, optionally, its header CSV, in any order.

    ``year`` is the collection year (its reference date is 31 March of that year); without it
    the year is that of the latest DECOM or DEC. When any error is found the tables are empty:
    the import is refused, and every problem found is still reported.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("read_ssda903 needs at least one file")
    problems: list[Problem] = []
    tables: dict[Kind, _Table] = {}
    for path in paths:
        csv_file, csv_problems = read_csv(path)
        problems.extend(csv_problems)
        if csv_file is None:
            continue
        kind = _classify(csv_file)
        if kind is None:
            problems.append(
                Problem(
                    str(path),
                    1,
                    None,
                    f"{path.name} is not an SSDA903 header or episodes file: expected a header "
                    f"({', '.join(HEADER_COLUMNS)}) or episodes ({', '.join(EPISODE_COLUMNS)}) table; "
                    f"found columns {', '.join(csv_file.header)}",
                )
            )
        elif kind in tables:
            problems.append(
                Problem(
                    str(path),
                    None,
                    None,
                    f"a second {kind} file: {tables[kind].csv.path.name} is one already; "
                    "read one year's files at a time",
                )
            )
        else:
            tables[kind] = _bind(kind, csv_file, problems)

    if "episodes" not in tables and not has_errors(problems):
        # Only a header: without episodes nobody is known to be looked after, so refuse.
        problems.append(
            Problem(
                str(paths[0]),
                None,
                None,
                "no SSDA903 episodes file given (columns CHILD, DECOM, ..., DEC, ...): it is required",
            )
        )

    # A table without its key columns is already an error; reading its rows would only repeat it.
    keyed = {kind: table for kind, table in tables.items() if table.keyed}
    header_rows = _read_header(keyed["header"], problems) if "header" in keyed else []
    episode_rows = _read_episodes(keyed["episodes"], problems) if "episodes" in keyed else []

    if year is None:
        dates = [d for row in episode_rows for d in (row["start_date"], row["end_date"]) if isinstance(d, date)]
        year = collection_year(max(dates)) if dates else None

    return ReadResult.of_rows(
        FORMAT,
        paths,
        {LA_CHILD.name: header_rows, LA_EPISODE.name: episode_rows},
        problems,
        year=year,
        reference_date=date(year, 3, 31) if year is not None else None,
    )
