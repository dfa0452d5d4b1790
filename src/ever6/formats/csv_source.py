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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ever6.formats.problems import Problem, Severity

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

# A full UK postcode, once spaces are removed (GIR 0AA is the one historical exception).
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)$")


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


def normalise_postcode(text: str) -> str | None:
    """A UK postcode uppercased with one space before the inward code; None if it is not one."""
    compact = "".join(text.split()).upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def _decode(path: Path, data: bytes) -> tuple[str | None, str, list[Problem]]:
    """Decode the bytes of ``path`` as text, or say why it is not a text file."""
    file = str(path)
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return None, "", [Problem(file, None, None, f"not a CSV file: {what}")]
    if b"\x00" in data:
        return None, "", [Problem(file, None, None, "not a CSV file: binary data (contains NUL bytes)")]
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
