"""Attendance marks reader: one row per session mark (``urn,upn,date,session,code``).

A county has about 95 million marks a year (a 3 GB CSV), so this reader never loops over rows
in Python. ``pyarrow.csv`` parses the file on every core straight into dictionary-encoded
columns; every check runs once per *distinct* value (a few hundred dates, a few dozen codes) and
reaches the rows through the dictionary indices with numpy. Only the problems listed in the
result (at most ``MAX_LISTED`` per rule) are turned into Python objects.

Line numbers. The header is line 1 and the row at index ``i`` is on line ``i + 2``, because
blank lines are kept as (empty) rows rather than skipped, and quoting is switched off when the
file has no ``"`` at all (one memchr pass). A file that does quote is parsed with quoting, and
any newline inside a quoted value is counted back into the line numbers; rows the parser has to
skip (a wrong number of fields) are found again single-threaded, which gives their line numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from ever6.attendance import Code, load_codes
from ever6.formats.csv_source import DEFAULT_DATE_FORMATS, binary_signature, header_key, parse_date
from ever6.formats.problems import Problem, ReadResult, Severity
from ever6.model import ATTENDANCE_MARK

FORMAT = "attendance"
COLUMNS: tuple[str, ...] = ("urn", "upn", "date", "session", "code")
SESSIONS: tuple[str, ...] = ("AM", "PM")  # sorted, so that a sorted file has rising keys
MAX_LISTED = 50  # problems listed per rule; the rest are counted in one "and N more" problem

_HEAD_BYTES = 1 << 16
_SCAN_BYTES = 64 << 20
_BLOCK_BYTES = 16 << 20

Ids = npt.NDArray[np.int64]
SmallIds = npt.NDArray[np.int32]
Mask = npt.NDArray[np.bool_]


@dataclass
class _Column:
    """A dictionary-encoded column: per row an id into ``values``, its distinct cleaned values.

    Ids are dense and follow the sorted order of the cleaned values, so raw spellings that clean
    to the same value ("am", " AM") share an id, and sorted input gives rising ids.
    """

    name: str  # the column's name in the file, for problems
    ids: SmallIds
    values: list[str]

    def is_value(self, value: str) -> Mask:
        if value not in self.values:
            return np.zeros(len(self.ids), dtype=np.bool_)
        matches: Mask = self.ids == self.values.index(value)
        return matches


def read_attendance_marks(path: Path, *, codes_file: Path | None = None) -> ReadResult:
    """Read an attendance marks CSV into ``attendance_mark``.

    Codes are checked against the attendance code table (``codes_file``, default the shipped
    one) on the mark's own date. When any error is found the table is empty: the import is
    refused, and the problems list every bad line (up to ``MAX_LISTED`` per rule).
    """
    path = Path(path)
    file = str(path)
    problems: list[Problem] = []
    result = ReadResult(format=FORMAT, path=path, tables={ATTENDANCE_MARK.name: ATTENDANCE_MARK.schema.empty_table()})
    result.problems = problems

    header = _read_header(path, problems)
    if header is None:
        return result
    names, body_offset = header
    indexes = _bind(file, names, problems)
    if indexes is None:
        return result
    quoted = _contains(path, body_offset, b'"')
    table, skipped = _parse(path, names, indexes, quoted, problems)
    if table is None:
        return result

    columns = {
        canonical: _column(table.column(i), names[indexes[canonical]], canonical) for i, canonical in enumerate(COLUMNS)
    }
    line_of = _line_numbers(table, skipped)
    marks = _Marks(file, columns, line_of, problems)
    keep = marks.check(load_codes(codes_file))
    if any(p.severity is Severity.ERROR for p in problems):
        return result
    result.tables[ATTENDANCE_MARK.name] = marks.table(keep)
    return result


def _read_header(path: Path, problems: list[Problem]) -> tuple[list[str], int] | None:
    """The header's column names and the byte offset where the data starts, or None (an error)."""
    file = str(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError as exc:
        problems.append(Problem(file, None, None, f"cannot read the file: {exc.strerror or exc}"))
        return None
    if not head.strip():
        problems.append(Problem(file, None, None, "the file is empty"))
        return None
    what = binary_signature(head)
    if what is not None:
        problems.append(Problem(file, None, None, f"not a CSV file: {what}"))
        return None
    end = head.find(b"\n")
    if end < 0 and len(head) == _HEAD_BYTES:
        problems.append(Problem(file, 1, None, f"the first line is longer than {_HEAD_BYTES} bytes: not a header"))
        return None
    first = head if end < 0 else head[:end]
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(file, 1, None, "the header is not UTF-8 text"))
        return None
    names = next(csv.reader([text.rstrip("\r")]), [])
    return [name.strip() for name in names], (len(head) if end < 0 else end + 1)


def _bind(file: str, names: list[str], problems: list[Problem]) -> dict[str, int] | None:
    """Canonical column -> position in the header; None when one is missing or repeated."""
    indexes: dict[str, int] = {}
    for canonical in COLUMNS:
        found = [i for i, name in enumerate(names) if header_key(name) == canonical]
        if not found:
            message = f"no {canonical} column: expected {', '.join(COLUMNS)} (found: {', '.join(names)})"
            problems.append(Problem(file, 1, None, message))
        elif len(found) > 1:
            problems.append(Problem(file, 1, canonical, f"column {canonical} appears {len(found)} times"))
        else:
            indexes[canonical] = found[0]
    return indexes if len(indexes) == len(COLUMNS) else None


def _contains(path: Path, offset: int, needle: bytes) -> bool:
    """Whether the file holds ``needle`` after ``offset``: a memchr pass, about 2 GB/s."""
    with path.open("rb") as fh:
        fh.seek(offset)
        while chunk := fh.read(_SCAN_BYTES):
            if needle in chunk:
                return True
    return False


def _parse(
    path: Path, names: list[str], indexes: dict[str, int], quoted: bool, problems: list[Problem]
) -> tuple[pa.Table | None, list[int]]:
    """Parse the data rows; returns the table and the lines of rows the parser skipped."""
    file = str(path)
    # Positional names: the file's own may repeat or be blank in columns we do not read.
    column_names = [f"c{i}" for i in range(len(names))]
    wanted = [column_names[indexes[canonical]] for canonical in COLUMNS]
    text_type = pa.dictionary(pa.int32(), pa.string())
    invalid: list[tuple[int | None, str]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    def read(use_threads: bool) -> pa.Table:
        return pv.read_csv(
            path,
            read_options=pv.ReadOptions(
                column_names=column_names, skip_rows=1, use_threads=use_threads, block_size=_BLOCK_BYTES
            ),
            parse_options=pv.ParseOptions(
                # No quotes anywhere: parse without quoting, which is faster and keeps one row per line.
                quote_char='"' if quoted else False,
                ignore_empty_lines=False,  # a blank line stays a row, so row i is on line i + 2
                invalid_row_handler=on_invalid,
            ),
            convert_options=pv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, text_type),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        table = read(use_threads=True)
        if invalid:
            # Multithreaded parsing cannot number skipped rows; the (rare) bad file is re-read.
            invalid.clear()
            table = read(use_threads=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        message = str(exc).splitlines()[0]
        if "UTF8" in message or "UTF-8" in message:
            message = "not UTF-8 text (save the file as CSV UTF-8): " + message
        problems.append(Problem(file, None, None, f"not a readable marks file: {message}"))
        return None, []
    skipped: list[int] = []
    for number, text in invalid:
        if number is not None:
            skipped.append(number)
        if text.strip():  # whitespace-only lines are blank lines, harmless
            fields = len(next(csv.reader([text]), []))
            message = f"the row has {fields} fields but the header has {len(names)}"
            problems.append(Problem(file, number, None, message))
    return table.unify_dictionaries(), sorted(skipped)


def _column(chunked: pa.ChunkedArray, name: str, canonical: str) -> _Column:
    """Dense ids of the cleaned values (trimmed; uppercased except the URN) for each row."""
    if chunked.num_chunks == 0 or len(chunked) == 0:
        return _Column(name, np.zeros(0, dtype=np.int32), [])
    raw_values: list[str] = chunked.chunk(0).dictionary.to_pylist()
    indices = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in chunked.chunks])
    clean = [v.strip() if canonical == "urn" else v.strip().upper() for v in raw_values]
    values = sorted(set(clean))
    position = {value: i for i, value in enumerate(values)}
    remap = np.array([position[v] for v in clean], dtype=np.int32)
    return _Column(name, remap[indices], values)


def _line_numbers(table: pa.Table, skipped: list[int]) -> Callable[[Ids], list[int]]:
    """A function from row indexes to the lines they start on."""
    # Newlines inside quoted values push later rows down; counted per distinct value.
    extra: Ids | None = None
    for chunked in table.columns:
        if chunked.num_chunks == 0 or len(chunked) == 0:
            continue
        per_value = pc.count_substring(chunked.chunk(0).dictionary, "\n").to_numpy(zero_copy_only=False)
        if per_value.any():
            indices = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in chunked.chunks])
            counts = per_value[indices].astype(np.int64)
            extra = counts if extra is None else extra + counts
    before = None if extra is None else np.concatenate([[0], np.cumsum(extra)[:-1]])

    def line_of(rows: Ids) -> list[int]:
        lines = rows + 2 if before is None else rows + 2 + before[rows]
        out: list[int] = []
        for line in lines.tolist():
            for skipped_line in skipped:  # skipped rows are not in the table: step past them
                if skipped_line <= line:
                    line += 1
            out.append(line)
        return out

    return line_of


def _constant(message: str) -> Callable[[int], str]:
    """A row describer that says the same for every row."""
    return lambda _row: message


class _Marks:
    """The parsed columns, the checks on them, and the canonical table they make."""

    def __init__(
        self, file: str, columns: dict[str, _Column], line_of: Callable[[Ids], list[int]], problems: list[Problem]
    ) -> None:
        self.file = file
        self.columns = columns
        self.line_of = line_of
        self.problems = problems
        self.days: list[date | None] = [parse_date(v, DEFAULT_DATE_FORMATS) for v in columns["date"].values]

    def report(self, canonical: str, bad: Mask, describe: Callable[[int], str], rule: str) -> None:
        """One error per bad row (up to MAX_LISTED), then one counting the rest."""
        rows = np.flatnonzero(bad)
        if not len(rows):
            return
        column = self.columns[canonical].name
        listed = rows[:MAX_LISTED]
        for row, line in zip(listed.tolist(), self.line_of(listed), strict=True):
            self.problems.append(Problem(self.file, line, column, describe(row)))
        if len(rows) > MAX_LISTED:
            self.problems.append(Problem(self.file, None, column, f"... and {len(rows) - MAX_LISTED} more rows {rule}"))

    def value(self, canonical: str, row: int) -> str:
        column = self.columns[canonical]
        return column.values[int(column.ids[row])]

    def check(self, codes: tuple[Code, ...]) -> Mask:
        """Report every rule; returns the rows that are marks (not blank lines)."""
        c = self.columns
        blank = {name: col.is_value("") for name, col in c.items()}
        keep = ~(blank["urn"] & blank["upn"] & blank["date"] & blank["session"] & blank["code"])
        for canonical in ("urn", "upn"):
            self.report(
                canonical, keep & blank[canonical], _constant(f"{canonical} is blank: the mark has no key"), "blank"
            )

        bad_day = np.array([day is None for day in self.days], dtype=np.bool_)
        date_ok = keep & ~bad_day[c["date"].ids] if len(self.days) else keep
        self.report(
            "date",
            keep & ~date_ok,
            lambda row: f"date {self.value('date', row)!r} is not a date (YYYY-MM-DD)",
            "with a bad date",
        )
        session_ok = np.array([v in SESSIONS for v in c["session"].values], dtype=np.bool_)
        self.report(
            "session",
            keep & ~session_ok[c["session"].ids] if len(session_ok) else keep,
            lambda row: f"session {self.value('session', row)!r} is not AM or PM",
            "with a bad session",
        )
        self._check_codes(codes, keep, date_ok)
        self._check_duplicates(keep & date_ok)
        return keep

    def _check_codes(self, codes: tuple[Code, ...], keep: Mask, date_ok: Mask) -> None:
        """Each code on each distinct date: 0 valid, 1 unknown, 2 not in force on that day."""
        c = self.columns
        by_code: dict[str, list[Code]] = {}
        for code in codes:
            by_code.setdefault(code.code, []).append(code)
        status = np.zeros((max(1, len(c["code"].values)), max(1, len(self.days))), dtype=np.int8)
        for i, value in enumerate(c["code"].values):
            versions = by_code.get(value)
            for j, day in enumerate(self.days):
                if not versions:
                    status[i, j] = 1
                elif day is not None and not any(v.valid_on(day) for v in versions):
                    status[i, j] = 2
        if not len(c["code"].ids):
            return
        per_row = status[c["code"].ids, c["date"].ids]

        def unknown(row: int) -> str:
            value = self.value("code", row)
            return f"code {value!r} is not an attendance code" if value else "code is blank"

        def not_in_force(row: int) -> str:
            value = self.value("code", row)
            spans = ", ".join(f"{v.valid_from} to {v.valid_to or 'now'}" for v in by_code[value])
            return f"code {value!r} was not in use on {self.value('date', row)} (in use {spans})"

        self.report("code", keep & (per_row == 1), unknown, "with unknown codes")
        self.report("code", date_ok & (per_row == 2), not_in_force, "with codes not in use on their date")

    def _check_duplicates(self, rows: Mask) -> None:
        """A second mark for the same (urn, upn, date, session) is an error, whatever its code."""
        c = self.columns
        day_values = sorted({day for day in self.days if day is not None})
        day_position = {day: i for i, day in enumerate(day_values)}
        day_id = np.array([day_position[d] if d is not None else 0 for d in self.days] or [0], dtype=np.int32)
        sizes = [len(c["urn"].values), len(c["upn"].values), len(day_values), len(c["session"].values)]
        if any(size == 0 for size in sizes) or not rows.any():
            return
        if int(np.prod([float(s) for s in sizes])) >= 2**62:  # cannot happen for a year of marks
            raise ValueError("too many distinct values to check for repeated marks")
        # One int64 per mark, ordered as (urn, upn, date, session): a sorted file needs no sort.
        positions = np.flatnonzero(rows)
        key = c["urn"].ids[positions].astype(np.int64)
        for size, ids in ((sizes[1], c["upn"].ids), (sizes[2], day_id[c["date"].ids]), (sizes[3], c["session"].ids)):
            key *= size
            key += ids[positions]
        order = (np.arange(len(key)) if bool(np.all(key[1:] >= key[:-1])) else np.argsort(key, kind="stable")).astype(
            np.int64
        )
        sorted_key = key[order]
        starts = np.concatenate([[True], sorted_key[1:] != sorted_key[:-1]])
        if starts.all():
            return
        first_of_group = order[starts][np.cumsum(starts) - 1]
        repeat = np.zeros(len(self.columns["urn"].ids), dtype=np.bool_)
        repeat[positions[order[~starts]]] = True
        first_row = np.zeros(len(repeat), dtype=np.int64)
        first_row[positions[order[~starts]]] = positions[first_of_group[~starts]]

        def describe(row: int) -> str:
            (first_line,) = self.line_of(np.array([first_row[row]], dtype=np.int64))
            return (
                f"a second mark for URN {self.value('urn', row)} UPN {self.value('upn', row)} "
                f"{self.value('date', row)} {self.value('session', row)} (first on line {first_line})"
            )

        self.report("session", repeat, describe, "repeating an earlier mark")

    def table(self, keep: Mask) -> pa.Table:
        """The canonical table of the kept rows, values as cleaned."""
        rows = np.flatnonzero(keep)
        arrays: dict[str, pa.Array] = {}
        for canonical, column in self.columns.items():
            ids = pa.array(column.ids[rows])
            if canonical == "date":
                arrays[canonical] = pa.array(self.days, pa.date32()).take(ids)
            else:
                arrays[canonical] = pa.array(column.values, pa.string()).take(ids)
        return pa.table(arrays, schema=ATTENDANCE_MARK.schema)
