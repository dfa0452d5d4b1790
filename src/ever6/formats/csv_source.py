"""Reading CSV sources: encoding, BOM, line numbers and the values every CSV reader parses.

One place for the byte-level decisions (is this text? which encoding? where does a record
start?) so that every CSV reader reports problems the same way, with the line number an editor
shows (the header is line 1; a record spanning lines is reported at its first line).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tomllib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar, TypeVar

from ever6.formats.problems import ImportRefused, Problem, ReadResult, Severity
from ever6.model import TableSpec

# DD/MM/YYYY is what DfE returns and most LA exports use; ISO is what databases write.
DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%d/%m/%Y", "%Y-%m-%d")

# Signatures of files people export by mistake instead of CSV: a clear message beats "bad CSV".
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook?); save it as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document (.xls); save it as CSV UTF-8"),
    (b"%PDF", "a PDF document, not a CSV file"),
    (codecs.BOM_UTF16_LE, "UTF-16 text (Excel 'Unicode text'); save it as CSV UTF-8"),
    (codecs.BOM_UTF16_BE, "UTF-16 text; save it as CSV UTF-8"),
)

# C0 control characters other than tab, CR and LF do not occur in real text exports.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CsvRecord:
    """One data record: the line it starts on and its raw fields (not trimmed)."""

    line: int
    fields: tuple[str, ...]

    def get(self, index: int | None) -> str:
        """The field at ``index`` trimmed, or "" when the column is absent."""
        if index is None or index >= len(self.fields):
            return ""
        return self.fields[index].strip()


@dataclass(frozen=True)
class CsvFile:
    """A decoded CSV file: its header (trimmed, as written) and its non-blank records."""

    path: Path
    header: tuple[str, ...]
    records: tuple[CsvRecord, ...]
    encoding: str

    def find_all(self, name: str) -> list[int]:
        """Indexes of the header columns called ``name`` (case-insensitive, trimmed)."""
        key = header_key(name)
        return [i for i, column in enumerate(self.header) if header_key(column) == key]

    def find(self, name: str) -> int | None:
        """Index of the first column called ``name``, or None."""
        found = self.find_all(name)
        return found[0] if found else None


def header_key(name: str) -> str:
    """How a column name is compared: trimmed and case-insensitive."""
    return name.strip().casefold()


def blank_to_none(text: str) -> str | None:
    """A trimmed value, or None when it is empty: an absent value is null in the model."""
    text = text.strip()
    return text or None


def parse_date(text: str | None, formats: Sequence[str] = DEFAULT_DATE_FORMATS) -> date | None:
    """The date ``text`` holds in the first of ``formats`` that fits, or None.

    The caller tells a blank value (often allowed) from an invalid one by checking the text.
    """
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def binary_signature(data: bytes) -> str | None:
    """What ``data`` (the start of a file) is when it is clearly not CSV text, else None."""
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return what
    if b"\x00" in data:
        return "binary data (contains NUL bytes)"
    return None


# Sex as systems write it: M/F/U (CIN from 2025), 1/2/0/9 (ISO 5218 / GenderCurrent), words.
SEX_CODES: Mapping[str, str] = MappingProxyType(
    {
        "m": "M",
        "male": "M",
        "1": "M",
        "f": "F",
        "female": "F",
        "2": "F",
        "u": "U",
        "unknown": "U",
        "not known": "U",
        "not stated": "U",
        "indeterminate": "U",
        "0": "U",
        "9": "U",
    }
)


def _decode(path: Path, data: bytes) -> tuple[str | None, str, list[Problem]]:
    """Decode the bytes of ``path`` as text, or say why it is not a text file."""
    file = str(path)
    what = binary_signature(data)
    if what is not None:
        return None, "", [Problem(file, None, None, f"not a CSV file: {what}")]
    try:
        # utf-8-sig drops the BOM Excel writes with "CSV UTF-8", so the first column matches.
        return data.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
    # Excel's plain "CSV" on Windows writes Windows-1252: readable, but accents may be wrong.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is None or _CONTROL_CHARS.search(text):
        return None, "", [Problem(file, bad_line, None, "not a CSV file: binary data or an unknown encoding")]
    warning = Problem(
        file,
        bad_line,
        None,
        "not UTF-8: read as Windows-1252; check accented names, or save the file as CSV UTF-8",
        Severity.WARNING,
    )
    return text, "cp1252", [warning]


def read_csv(path: Path) -> tuple[CsvFile | None, list[Problem]]:
    """Read ``path`` as a comma-separated file with a header row.

    Returns the file (None when it cannot be read as CSV at all) and the problems found. Every
    problem from here is an error except an encoding fallback; blank records are skipped.
    """
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file, None, None, f"cannot read the file: {exc.strerror or exc}")]
    if not data.strip():
        return None, [Problem(file, None, None, "the file is empty")]
    text, encoding, problems = _decode(path, data)
    if text is None:
        return None, problems

    header: tuple[str, ...] | None = None
    records: list[CsvRecord] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    try:
        for fields in reader:
            # line_num is where the record ended; it started on the line after the previous one.
            line, previous_end = previous_end + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue
            if header is None:
                header = tuple(field.strip() for field in fields)
                continue
            # Trailing empty fields (Excel's stray commas) are harmless; anything else means the
            # values may sit under the wrong column, so the row cannot be trusted.
            extra = fields[len(header) :]
            if len(fields) < len(header) or any(field.strip() for field in extra):
                message = f"the row has {len(fields)} fields but the header has {len(header)}"
                problems.append(Problem(file, line, None, message))
            records.append(CsvRecord(line, tuple(fields)))
    except csv.Error as exc:
        # Raised for a field over csv.field_size_limit() among others; the reader cannot go on.
        problems.append(Problem(file, previous_end + 1, None, f"not a readable CSV file: {exc}"))
    if header is None:
        problems.append(Problem(file, None, None, "the file is empty"))
        return None, problems
    return CsvFile(path, header, tuple(records), encoding), problems


# --- Column mapping: canonical columns found by their name, an alias, or a TOML mapping -------


def alias_key(name: str) -> str:
    """Column names compared loosely: case, spaces, underscores and punctuation do not matter."""
    return re.sub(r"[\W_]+", "", name.casefold())


@dataclass(frozen=True)
class ColumnSet:
    """A format's canonical columns, the other names each is recognised by, and the required ones."""

    canonical: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...] = ()

    def lookup(self) -> dict[str, str]:
        """alias_key(name) -> canonical column, for the canonical names and every alias."""
        return {
            alias_key(alias): canonical
            for canonical in self.canonical
            for alias in (canonical, *self.aliases.get(canonical, ()))
        }


@dataclass(frozen=True)
class SourceMapping:
    """Which source column holds each canonical column, and how dates are written.

    A format subclasses this and sets ``KNOWN`` to its canonical columns, so that a typo in a
    mapping is an error rather than a column silently left unread.
    """

    KNOWN: ClassVar[tuple[str, ...]] = ()

    columns: Mapping[str, str] = field(default_factory=dict)  # canonical -> source column name
    date_format: str | None = None  # a strptime format; None accepts YYYY-MM-DD and DD/MM/YYYY

    def __post_init__(self) -> None:
        unknown = sorted(set(self.columns) - set(self.KNOWN))
        if unknown:
            raise ValueError(f"unknown canonical columns {unknown}; known: {', '.join(self.KNOWN)}")
        # Frozen means frozen: a caller's dict changing later must not change the mapping.
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))

    @property
    def date_formats(self) -> tuple[str, ...]:
        return (self.date_format,) if self.date_format else DEFAULT_DATE_FORMATS


M = TypeVar("M", bound=SourceMapping)

_MAPPING_OPTIONS = frozenset({"date_format"})
_MAPPING_TABLES = frozenset({"columns", "options"})


def load_source_mapping(path: Path, mapping_type: type[M]) -> M:
    """Read a mapping TOML (``[columns]`` and optional ``[options]``) into ``mapping_type``.

    Raises :class:`ImportRefused` naming the file and key for bad TOML or an unknown key: a
    silently ignored typo would leave a column unread.
    """
    file = str(path)
    known = mapping_type.KNOWN

    def refuse(key: str | None, message: str) -> ImportRefused:
        return ImportRefused([Problem(file, None, key, message, source="mapping")])

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise refuse(None, f"cannot read the mapping: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise refuse(None, f"not a valid TOML file: {exc}") from exc
    unknown = sorted(set(data) - _MAPPING_TABLES)
    if unknown:
        raise refuse(unknown[0], f"unknown key {unknown[0]!r}; expected [columns] and [options]")
    columns = data.get("columns", {})
    options = data.get("options", {})
    if not isinstance(columns, dict):
        raise refuse("columns", "[columns] must be a table of canonical column = source column")
    if not isinstance(options, dict):
        raise refuse("options", "[options] must be a table")
    for key, value in columns.items():
        if key not in known:
            raise refuse(f"columns.{key}", f"unknown column {key!r}; known: {', '.join(known)}")
        if not isinstance(value, str) or not value.strip():
            raise refuse(f"columns.{key}", f"columns.{key} must be a column name (a non-empty string)")
    for key, value in options.items():
        if key not in _MAPPING_OPTIONS:
            raise refuse(f"options.{key}", f"unknown option {key!r}; known: {', '.join(sorted(_MAPPING_OPTIONS))}")
        if not isinstance(value, str) or "%" not in value:
            raise refuse(f"options.{key}", f"options.{key} must be a strptime format such as '%d/%m/%Y'")
    date_format = options.get("date_format")
    return mapping_type(
        columns={key: value.strip() for key, value in columns.items()},
        date_format=date_format if isinstance(date_format, str) else None,
    )


def bind_columns(
    csv_file: CsvFile, mapping: SourceMapping, column_set: ColumnSet, problems: list[Problem]
) -> dict[str, int]:
    """Canonical column -> index in the file: the mapping first, then names and aliases.

    A mapped column that is absent, a column given twice, two columns that could each be the
    same canonical column, and a missing required column are errors (on line 1, the header).
    """
    file = str(csv_file.path)
    bound: dict[str, int] = {}
    for canonical, source in mapping.columns.items():
        found = csv_file.find_all(source)
        if not found:
            problems.append(
                Problem(
                    file,
                    1,
                    source,
                    f"the mapping names column {source!r} for {canonical} but the file has no such "
                    f"column (found: {', '.join(csv_file.header)})",
                )
            )
        elif len(found) > 1:
            problems.append(Problem(file, 1, source, f"column {source!r} appears {len(found)} times"))
        else:
            bound[canonical] = found[0]
    claimed = set(bound.values())
    lookup = column_set.lookup()
    candidates: dict[str, list[int]] = {}
    for index, name in enumerate(csv_file.header):
        alias_of = lookup.get(alias_key(name))
        if alias_of is not None and alias_of not in mapping.columns and index not in claimed:
            candidates.setdefault(alias_of, []).append(index)
    for canonical, indexes in candidates.items():
        if len(indexes) > 1:
            names = " and ".join(repr(csv_file.header[i]) for i in indexes)
            problems.append(Problem(file, 1, None, f"columns {names} could each be {canonical}; name one in a mapping"))
        else:
            bound[canonical] = indexes[0]
    for canonical in column_set.required:
        if canonical not in bound and canonical not in mapping.columns:
            accepted = ", ".join((canonical, *column_set.aliases.get(canonical, ())))
            problems.append(
                Problem(
                    file,
                    1,
                    None,
                    f"no {canonical} column: expected one of {accepted}, or a mapping "
                    f"(found: {', '.join(csv_file.header)})",
                )
            )
    return bound


@dataclass(frozen=True)
class BoundCsv:
    """A CSV file with its canonical columns found: values and problems by canonical name."""

    csv: CsvFile
    columns: Mapping[str, int]
    problems: list[Problem]

    @property
    def file(self) -> str:
        return str(self.csv.path)

    def has(self, canonical: str) -> bool:
        return canonical in self.columns

    def text(self, record: CsvRecord, canonical: str) -> str:
        """The trimmed value, or "" when blank or the column is absent."""
        return record.get(self.columns.get(canonical))

    def source_name(self, canonical: str) -> str:
        """The column's name as the file writes it, for problems."""
        index = self.columns.get(canonical)
        return self.csv.header[index] if index is not None else canonical

    def report(self, record: CsvRecord, canonical: str | None, message: str, severity: Severity) -> None:
        column = self.source_name(canonical) if canonical is not None else None
        self.problems.append(Problem(self.file, record.line, column, message, severity))

    def error(self, record: CsvRecord, canonical: str | None, message: str) -> None:
        self.report(record, canonical, message, Severity.ERROR)

    def warn(self, record: CsvRecord, canonical: str | None, message: str) -> None:
        self.report(record, canonical, message, Severity.WARNING)


@dataclass
class KeyedRows:
    """A file's rows, one per key (what identifies a record): a repeated key is harmless only when
    the rows agree. An exact repeat is dropped with a warning; a repeat with other values is an
    error (which one is right cannot be known), reported by the reader."""

    what: str  # the record, as the warning names it ("enrolment")
    column: str  # the canonical column the warning is recorded against
    rows: list[dict[str, object]] = field(default_factory=list)
    first: dict[Hashable, tuple[int, dict[str, object]]] = field(default_factory=dict)  # key -> line, row

    def add(self, bound: BoundCsv, record: CsvRecord, key: Hashable, row: dict[str, object]) -> int | None:
        """Keep ``row`` unless its key was seen. The line of the first row with the key when the
        two differ (the caller reports that error, in its own words); else None."""
        if key not in self.first:
            self.first[key] = (record.line, row)
            self.rows.append(row)
            return None
        first_line, first_row = self.first[key]
        if first_row != row:
            return first_line
        bound.warn(record, self.column, f"the {self.what} repeats line {first_line} exactly; row ignored")
        return None


# An academic year as people write it: 2024/25, 2024-25, 2024/2025 or 2024 (the starting year).
_ACADEMIC_YEAR = re.compile(r"^(\d{4})(?:\s*[/-]\s*(\d{2}|\d{4}))?$")


def parse_academic_year(text: str) -> int | None:
    """The year an academic year starts (2024 for 2024/25), or None if ``text`` is not one."""
    match = _ACADEMIC_YEAR.match(text.strip())
    if match is None:
        return None
    start, end = int(match.group(1)), match.group(2)
    # The second year must follow the first: "2024/26" is a typo, not a year.
    if end is not None and end != str(start + 1)[-len(end) :]:
        return None
    return start


Binder = Callable[[CsvFile, list[Problem]], BoundCsv | None]  # finds a file's columns, or None


def read_one_table(
    path: Path,
    fmt: str,
    spec: TableSpec,
    bind: Binder,
    read_rows: Callable[[BoundCsv], list[dict[str, object]]],
) -> ReadResult:
    """The shape every one-table CSV reader shares: read the file, bind its columns, read its rows.

    When any error is found the table is empty: the import is refused, and every problem found
    is still reported.
    """
    path = Path(path)
    csv_file, problems = read_csv(path)
    rows: list[dict[str, object]] = []
    if csv_file is not None:
        bound = bind(csv_file, problems)
        if bound is not None:
            rows = read_rows(bound)
    return ReadResult.of_rows(fmt, [path], {spec.name: rows}, problems)


def mapped_columns(
    mapping: SourceMapping, column_set: ColumnSet
) -> Callable[[CsvFile, list[Problem]], BoundCsv | None]:
    """:func:`read_one_table`'s ``bind`` for a source whose columns are found by name, alias or
    mapping (:func:`bind_columns`); None, and no rows read, when a required column is missing."""

    def bind(csv_file: CsvFile, problems: list[Problem]) -> BoundCsv | None:
        columns = bind_columns(csv_file, mapping, column_set, problems)
        if all(column in columns for column in column_set.required):
            return BoundCsv(csv_file, columns, problems)
        return None

    return bind


def bind_fixed_columns(
    csv_file: CsvFile, names: Sequence[str], required: Sequence[str], expected: str, problems: list[Problem]
) -> BoundCsv | None:
    """Find each named column once; a repeated column, or a missing required one, is an error.

    ``expected`` is the layout named in the message when a required column is missing.
    """
    file = str(csv_file.path)
    columns: dict[str, int] = {}
    for name in names:
        found = csv_file.find_all(name)
        if len(found) > 1:
            problems.append(Problem(file, 1, name, f"column {name} appears {len(found)} times"))
        elif found:
            columns[name] = found[0]
    missing = [name for name in required if name not in columns]
    if missing:
        problems.append(
            Problem(
                file,
                1,
                None,
                f"missing column(s) {', '.join(missing)}: expected {expected} (found: {', '.join(csv_file.header)})",
            )
        )
        return None
    return BoundCsv(csv_file, columns, problems)
