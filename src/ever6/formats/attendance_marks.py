"""Attendance marks reader: one row per session mark (``urn,upn,date,session,code``).

A county has about 95 million marks a year (a 3 GB CSV), so this reader never holds the file
and never loops over rows in Python. ``pyarrow.csv`` streams the file in blocks of
``_BLOCK_BYTES`` straight into dictionary-encoded columns; every check runs once per *distinct*
value of a block (a few hundred dates, a few dozen codes) and reaches the rows through the
dictionary indices with numpy. Each block's validated marks are handed on as one Arrow record
batch (:func:`stream_attendance_marks`), so memory is bounded by the block, plus one 8-byte key
per mark for the check for repeated marks, which needs the whole file. Only the problems listed
(at most ``MAX_LISTED`` per rule) are turned into Python objects.

Line numbers. The header is line 1 and the row at index ``i`` is on line ``i + 2``, because
blank lines are kept as (empty) rows rather than skipped, and quoting is switched off when the
file has no ``"`` at all (one memchr pass). A file that does quote is parsed with quoting, and
any newline inside a quoted value is counted back into the line numbers; rows the parser has to
skip (a wrong number of fields) are reported by the parser with their line numbers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import mmap
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from ever6.attendance import Code, load_codes
from ever6.formats import ATTENDANCE
from ever6.formats.csv_source import DEFAULT_DATE_FORMATS, binary_signature, header_key, parse_date
from ever6.formats.problems import Problem, ReadResult, StreamedResult
from ever6.model import ATTENDANCE_MARK, empty_table
from ever6.provenance import file_sha256

FORMAT = ATTENDANCE.name
COLUMNS: tuple[str, ...] = ("urn", "upn", "date", "session", "code")
SESSIONS: tuple[str, ...] = ("AM", "PM")  # sorted, so that a sorted file has rising keys
MAX_LISTED = 50  # problems listed per rule; the rest are counted in one "and N more" problem

_HEAD_BYTES = 1 << 16
_SCAN_BYTES = 64 << 20
_BLOCK_BYTES = 16 << 20

_TEXT = pa.dictionary(pa.int32(), pa.string())
#: The schema of the streamed batches: the canonical table, its strings dictionary-encoded.
STREAM_SCHEMA = pa.schema(
    [pa.field(f.name, _TEXT if f.type == pa.string() else f.type, nullable=f.nullable) for f in ATTENDANCE_MARK.schema]
)

# The repeated-mark key packs (enrolment, day, session) into one int64: the enrolment's id (its
# first (urn, upn) in file order, so a file sorted by school and pupil has rising keys), the
# day's proleptic ordinal (< 2**22 for any year up to 9999), and the session (AM 0, PM 1, any
# other spelling 2 and up, capped at 255).
_DAY_BITS = 22
_SESSION_BITS = 8
_UNIX_EPOCH = date(1970, 1, 1).toordinal()

Ids = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def read_attendance_marks(path: Path, *, codes_file: Path | None = None) -> ReadResult:
    """Read an attendance marks CSV into ``attendance_mark``, held in memory.

    Codes are checked against the attendance code table (``codes_file``, default the shipped
    one) on the mark's own date. When any error is found the table is empty: the import is
    refused, and the problems list every bad line (up to ``MAX_LISTED`` per rule). For a file
    too big to hold, :func:`stream_attendance_marks` reads the same way, batch by batch.
    """
    streamed = stream_attendance_marks(path, codes_file=codes_file)
    batches = [pa.Table.from_batches([b]).cast(ATTENDANCE_MARK.schema) for b in streamed.batches()]
    result = ReadResult(format=FORMAT, path=streamed.path, tables={}, problems=streamed.problems)
    ok = streamed.ok and batches
    result.tables[ATTENDANCE_MARK.name] = (
        pa.concat_tables(batches).combine_chunks() if ok else empty_table(ATTENDANCE_MARK.name)
    )
    return result


def stream_attendance_marks(path: Path, *, codes_file: Path | None = None) -> StreamedResult:
    """The streaming reader: :meth:`StreamedResult.batches` yields each block's valid marks.

    The header is read now (its problems are in the result at once); the rest as the batches
    are read. The checks, messages and line numbers are those of :func:`read_attendance_marks`;
    a repeated mark may be found only after the last batch, so a consumer must check ``errors``
    once the batches are exhausted.
    """
    path = Path(path)
    problems: list[Problem] = []
    result = StreamedResult(
        format=FORMAT,
        path=path,
        tables={ATTENDANCE_MARK.name: empty_table(ATTENDANCE_MARK.name)},
        problems=problems,
        stream_table=ATTENDANCE_MARK.name,
    )
    header = _read_header(path, problems)
    if header is None:
        return result
    names, body_offset = header
    indexes = _bind(str(path), names, problems)
    if indexes is None:
        return result
    source = _Source(path, body_offset)
    result.sha256 = source.sha256
    result.hashed_while_read = True
    result.source = lambda: _Reader(path, names, indexes, source, load_codes(codes_file), problems).batches()
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


class _Source:
    """The file's bytes, read once: the parser reads them through :meth:`open`, which hashes them
    on the way (the warehouse's SHA-256 of the source), so the file is not read a second time for
    its digest. :meth:`sha256` asked before the parse (the warehouse does when the file may be one
    it already holds, to recognise it without parsing it) reads the file for its digest alone.

    Whether the data holds a ``"`` at all decides the parser's quoting, so it is known before
    the parse: one memchr over the file mapped into memory, nothing copied (about 0.4 s of CPU
    for 2.3 GB, against 1.7 s to read it).
    """

    def __init__(self, path: Path, body_offset: int) -> None:
        self.path = path
        self.body_offset = body_offset
        self._digest: str | None = None
        self._reading: _HashingReader | None = None

    def open(self) -> io.RawIOBase | io.BufferedReader:
        """The file, for the parser; hashed as it is read unless its digest is already known."""
        fh = self.path.open("rb")
        if self._digest is not None:
            return fh
        self._reading = _HashingReader(fh)
        return self._reading

    def sha256(self) -> str:
        if self._digest is None:
            reading = self._reading
            if reading is not None and reading.at_end:
                self._digest = reading.hexdigest()
            else:  # asked before the parse, or the parse stopped part-way: hash the file alone
                self._digest = file_sha256([self.path])
        return self._digest

    def quoted(self) -> bool:
        # Mapped a window at a time: pages of a mapping count as the process's own memory while
        # mapped (the whole file at once was 2.3 GB at the peak for a 2.3 GB file).
        with self.path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            offset = self.body_offset - self.body_offset % mmap.ALLOCATIONGRANULARITY
            while offset < size:
                length = min(_SCAN_BYTES, size - offset)
                with mmap.mmap(fh.fileno(), length, access=mmap.ACCESS_READ, offset=offset) as window:
                    if window.find(b'"', max(self.body_offset - offset, 0)) >= 0:
                        return True
                offset += length
        return False


class _HashingReader(io.RawIOBase):
    """A file whose bytes are hashed as they are read (sequentially, as the parser reads)."""

    def __init__(self, fh: io.BufferedReader) -> None:
        super().__init__()
        self._fh = fh
        self._digest = hashlib.sha256()
        self.at_end = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        whole = size is None or size < 0
        data = self._fh.read(-1 if whole else size)
        if data:
            self._digest.update(data)
        if whole or (not data and size != 0):
            self.at_end = True
        return data

    def readinto(self, buffer: Any) -> int:
        n: int = self._fh.readinto(buffer)
        if n:
            self._digest.update(memoryview(buffer)[:n])
        elif len(buffer):
            self.at_end = True
        return n

    def hexdigest(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        self._fh.close()
        super().close()


class _Vocabulary:
    """The cleaned values one column has had so far, each with an id in order of first sight.

    Raw spellings are cleaned (trimmed; uppercased except the URN) once each and cached, so
    spellings that clean to the same value ("am", " AM") share an id in every block.
    """

    def __init__(self, upper: bool) -> None:
        self.upper = upper
        self.values: list[str] = []
        self._ids: dict[str, int] = {}
        self._raw: dict[str, int] = {}

    def id_of(self, value: str) -> int:
        found = self._ids.get(value)
        if found is None:
            found = self._ids[value] = len(self.values)
            self.values.append(value)
        return found

    def ids(self, raw_values: list[str]) -> Ids:
        """The id of each raw spelling (a block's dictionary)."""
        out = np.empty(len(raw_values), dtype=np.int64)
        raw = self._raw
        for i, value in enumerate(raw_values):
            found = raw.get(value)
            if found is None:
                clean = value.strip().upper() if self.upper else value.strip()
                found = raw[value] = self.id_of(clean)
            out[i] = found
        return out

    def blank(self, ids: Ids) -> Mask:
        blank_id = self._ids.get("")
        return np.zeros(len(ids), dtype=np.bool_) if blank_id is None else ids == blank_id


@dataclass
class _Rule:
    """One check's findings: the first ``MAX_LISTED`` bad rows as problems, and a count."""

    canonical: str
    rule: str
    listed: list[Problem] = field(default_factory=list)
    count: int = 0


@dataclass
class _Block:
    """One parsed block: per row, indices into its dictionaries, and the rows' global numbering."""

    start: int  # index of its first row in the file's rows
    rows: int
    indices: dict[str, npt.NDArray[np.int32]]
    ids: dict[str, Ids]  # per dictionary entry, the vocabulary id
    raw: dict[str, pa.Array]


class _Lines:
    """Row index -> line: rows skipped by the parser and newlines inside quoted values push
    later rows down."""

    def __init__(self) -> None:
        self.skipped: list[int] = []  # lines of rows the parser skipped, rising
        self._starts: list[int] = []  # first row of each block with quoted newlines...
        self._extra: list[Ids] = []  # ...and, per row of it, the newlines before it in the file
        self.newlines = 0  # newlines inside quoted values so far

    def add_block(self, start: int, per_row: Ids | None) -> None:
        if per_row is None or not per_row.any():
            if self.newlines:
                self._starts.append(start)
                self._extra.append(np.array([self.newlines], dtype=np.int64))
            return
        before = self.newlines + np.concatenate([[0], np.cumsum(per_row)[:-1]])
        self._starts.append(start)
        self._extra.append(before.astype(np.int64))
        self.newlines += int(per_row.sum())

    def _newlines_before(self, rows: Ids) -> Ids:
        out = np.zeros(len(rows), dtype=np.int64)
        if not self._starts:
            return out
        which = np.searchsorted(np.array(self._starts), rows, side="right") - 1
        for i, (row, block) in enumerate(zip(rows.tolist(), which.tolist(), strict=True)):
            if block >= 0:
                extra = self._extra[block]
                out[i] = extra[min(row - self._starts[block], len(extra) - 1)]
        return out

    def __call__(self, rows: Ids) -> list[int]:
        lines = rows + 2 + self._newlines_before(rows)
        out: list[int] = []
        for line in lines.tolist():
            for skipped_line in self.skipped:  # skipped rows are not in the table: step past them
                if skipped_line <= line:
                    line += 1
            out.append(line)
        return out


class _Reader:
    """Reads the file block by block: checks each block and yields its marks while all is well."""

    def __init__(
        self,
        path: Path,
        names: list[str],
        indexes: dict[str, int],
        source: _Source,
        codes: tuple[Code, ...],
        problems: list[Problem],
    ) -> None:
        self.path = path
        self.file = str(path)
        self.names = names
        self.indexes = indexes
        self.source = source
        self.problems = problems
        self.column_name = {canonical: names[indexes[canonical]] for canonical in COLUMNS}
        self.vocab = {canonical: _Vocabulary(upper=canonical != "urn") for canonical in COLUMNS}
        self.by_code: dict[str, list[Code]] = {}
        for code in codes:
            self.by_code.setdefault(code.code, []).append(code)
        self.rules = [
            _Rule("urn", "blank"),
            _Rule("upn", "blank"),
            _Rule("date", "with a bad date"),
            _Rule("session", "with a bad session"),
            _Rule("code", "with unknown codes"),
            _Rule("code", "with codes not in use on their date"),
            _Rule("session", "repeating an earlier mark"),
        ]
        self.parse_problems: list[Problem] = []
        self.lines = _Lines()
        self.days: dict[int, date | None] = {}  # date vocabulary id -> the day
        self.spelling: dict[int, str] = {}  # day ordinal -> its first spelling in the file
        self.status: dict[tuple[int, int], int] = {}  # (code id, day ordinal) -> 0 ok, 1 unknown, 2 not in force
        # The same by (code id, date id) of the vocabularies (-1: not yet worked out).
        self.code_date_status = np.zeros((0, 0), dtype=np.int8)
        # Enrolments: (urn id << 32 | upn id), sorted, with their ids in order of first sight.
        self.pairs = np.zeros(0, dtype=np.int64)
        self.pair_ids = np.zeros(0, dtype=np.int64)
        self.enrolment_urn: list[int] = []
        self.enrolment_upn: list[int] = []
        # Repeated marks: every row's key (-1 when not checked), and while the keys rise, the
        # repeated ones found on the way; once they stop rising, the keys are sorted at the end.
        self.keys: list[tuple[int, Ids]] = []
        self.rising = True
        self.last_key = -1
        self.repeated: list[Ids] = []

    # --- the stream ----------------------------------------------------------------------

    def batches(self) -> Iterator[pa.RecordBatch]:
        quoted = self.source.quoted()
        column_names = [f"c{i}" for i in range(len(self.names))]  # the file's own may repeat or be blank
        wanted = [column_names[self.indexes[canonical]] for canonical in COLUMNS]

        def on_invalid(row: Any) -> str:
            self._invalid_row(row.number, row.text)
            return "skip"

        try:
            with self.source.open() as fh:
                reader = pv.open_csv(
                    fh,
                    read_options=pv.ReadOptions(
                        # One thread: the parser then numbers the rows it skips (and streaming gains
                        # nothing from more).
                        column_names=column_names,
                        skip_rows=1,
                        use_threads=False,
                        block_size=_BLOCK_BYTES,
                    ),
                    parse_options=pv.ParseOptions(
                        # No quotes anywhere: parse without quoting, faster and one row per line.
                        quote_char='"' if quoted else False,
                        ignore_empty_lines=False,  # a blank line stays a row, so row i is on line i + 2
                        invalid_row_handler=on_invalid,
                    ),
                    convert_options=pv.ConvertOptions(
                        include_columns=wanted,
                        column_types=dict.fromkeys(wanted, _TEXT),
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )
                start = 0
                while True:
                    try:
                        raw = reader.read_next_batch()
                    except StopIteration:
                        break
                    batch = self._check_block(raw, start, quoted)
                    start += raw.num_rows
                    if batch is not None and not self._failed():
                        yield batch
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
            message = str(exc).splitlines()[0]
            if "UTF8" in message or "UTF-8" in message:
                message = "not UTF-8 text (save the file as CSV UTF-8): " + message
            # The file cannot be read: that is the one thing to say about it.
            self.problems.append(Problem(self.file, None, None, f"not a readable marks file: {message}"))
            return
        self._check_repeats()
        self.problems.extend(self.parse_problems)
        for rule in self.rules:
            self.problems.extend(rule.listed)
            if rule.count > MAX_LISTED:
                column = self.column_name[rule.canonical]
                more = f"... and {rule.count - MAX_LISTED} more rows {rule.rule}"
                self.problems.append(Problem(self.file, None, column, more))

    def _failed(self) -> bool:
        return bool(self.parse_problems) or any(rule.count for rule in self.rules)

    def _invalid_row(self, number: int | None, text: str) -> None:
        if number is not None:
            self.lines.skipped.append(number)  # rows come in file order: the list stays sorted
        if text.strip():  # whitespace-only lines are blank lines, harmless
            fields = len(next(csv.reader([text]), []))
            message = f"the row has {fields} fields but the header has {len(self.names)}"
            self.parse_problems.append(Problem(self.file, number, None, message))

    def _report(self, rule: _Rule, block: _Block, bad: Mask, describe: Callable[[int], str]) -> None:
        """List the bad rows of a block while the rule has room, and count them all."""
        rows = np.flatnonzero(bad)
        if not len(rows):
            return
        rule.count += len(rows)
        room = MAX_LISTED - len(rule.listed)
        if room <= 0:
            return
        listed = rows[:room]
        column = self.column_name[rule.canonical]
        for row, line in zip(listed.tolist(), self.lines(listed + block.start), strict=True):
            rule.listed.append(Problem(self.file, line, column, describe(row)))

    # --- one block -------------------------------------------------------------------------

    def _value(self, block: _Block, canonical: str, row: int) -> str:
        vocab = self.vocab[canonical]
        return vocab.values[int(block.ids[canonical][block.indices[canonical][row]])]

    def _check_block(self, raw: pa.RecordBatch, start: int, quoted: bool) -> pa.RecordBatch | None:
        """Report every rule on a block; its marks (blank lines dropped) as a canonical batch."""
        block = _Block(start, raw.num_rows, {}, {}, {})
        for i, canonical in enumerate(COLUMNS):
            column = raw.column(i)
            block.raw[canonical] = column.dictionary
            block.indices[canonical] = column.indices.to_numpy(zero_copy_only=False)
            block.ids[canonical] = self.vocab[canonical].ids(column.dictionary.to_pylist())
        self.lines.add_block(start, self._quoted_newlines(block) if quoted else None)
        n = block.rows
        # Per row, the vocabulary id of its enrolment's URN and UPN (the other columns are reached
        # through their dictionaries, value by value).
        row_ids = {c: block.ids[c][block.indices[c]] for c in ("urn", "upn")}

        # Per row, whether a column is blank; gathered only for a column whose block has a blank value.
        blank_entries = {c: self.vocab[c].blank(block.ids[c]) for c in COLUMNS}
        none = np.zeros(n, dtype=np.bool_)
        blank = {c: e[block.indices[c]] if e.any() else none for c, e in blank_entries.items()}
        keep = ~(blank["urn"] & blank["upn"] & blank["date"] & blank["session"] & blank["code"])
        for rule, canonical in zip(self.rules[:2], ("urn", "upn"), strict=True):
            self._report(rule, block, keep & blank[canonical], _constant(f"{canonical} is blank: the mark has no key"))

        entry_day = np.array([self._day(i) for i in block.ids["date"].tolist()], dtype=np.int64)
        day = entry_day[block.indices["date"]] if n else np.zeros(0, dtype=np.int64)
        date_ok = keep & (day >= 0)
        self._report(
            self.rules[2],
            block,
            keep & ~date_ok,
            lambda row: f"date {self._value(block, 'date', row)!r} is not a date (YYYY-MM-DD)",
        )
        session_values = self.vocab["session"].values
        entry_session = np.array(
            [_session_code(session_values[i], i) for i in block.ids["session"].tolist()], dtype=np.int64
        )
        session = entry_session[block.indices["session"]] if n else np.zeros(0, dtype=np.int64)
        self._report(
            self.rules[3],
            block,
            keep & (session > 1),
            lambda row: f"session {self._value(block, 'session', row)!r} is not AM or PM",
        )
        self._check_codes(block, keep, date_ok, entry_day)
        self._keys(block, date_ok, row_ids, day, session)
        if not keep.any():
            return None
        if self._failed():
            return None  # refused: no batch is needed any more, only the checks
        rows = np.flatnonzero(keep).astype(np.int32) if not keep.all() else None
        arrays: list[pa.Array] = []
        for canonical in COLUMNS:
            indices = block.indices[canonical] if rows is None else block.indices[canonical][rows]
            if canonical == "date":
                epoch_days = pa.array(entry_day - _UNIX_EPOCH, pa.int32()).cast(pa.date32())
                arrays.append(epoch_days.take(pa.array(indices)))
            else:
                values = self.vocab[canonical].values
                dictionary = pa.array([values[i] for i in block.ids[canonical].tolist()], pa.string())
                arrays.append(pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), dictionary))
        return pa.RecordBatch.from_arrays(arrays, schema=STREAM_SCHEMA)

    def _quoted_newlines(self, block: _Block) -> Ids | None:
        """Per row, the newlines inside its quoted values."""
        per_row: Ids | None = None
        for canonical in COLUMNS:
            per_value = pc.count_substring(block.raw[canonical], "\n").to_numpy(zero_copy_only=False)
            if per_value.any():
                counts = per_value[block.indices[canonical]].astype(np.int64)
                per_row = counts if per_row is None else per_row + counts
        return per_row

    def _day(self, date_id: int) -> int:
        """The proleptic ordinal of a date spelling, or -1 when it is not a date."""
        if date_id not in self.days:
            day = parse_date(self.vocab["date"].values[date_id], DEFAULT_DATE_FORMATS)
            self.days[date_id] = day
            if day is not None:
                self.spelling.setdefault(day.toordinal(), self.vocab["date"].values[date_id])
        day = self.days[date_id]
        return -1 if day is None else day.toordinal()

    def _code_status(self, code_id: int, day: int) -> int:
        """0 valid, 1 unknown, 2 not in force on that day (-1: not a date)."""
        key = (code_id, day)
        found = self.status.get(key)
        if found is None:
            versions = self.by_code.get(self.vocab["code"].values[code_id])
            if not versions:
                found = 1
            elif day >= 0 and not any(v.valid_on(date.fromordinal(day)) for v in versions):
                found = 2
            else:
                found = 0
            self.status[key] = found
        return found

    def _status_matrix(self, code_ids: Ids, date_ids: Ids, entry_day: Ids) -> npt.NDArray[np.int8]:
        """:meth:`_code_status` of each (code entry, date entry) of a block's dictionaries, from a
        matrix kept by vocabulary ids (code x date spelling): only pairs never seen are worked out."""
        shape = (len(self.vocab["code"].values), len(self.vocab["date"].values))
        if self.code_date_status.shape != shape:
            grown = np.full(shape, -1, dtype=np.int8)
            old_codes, old_dates = self.code_date_status.shape
            grown[:old_codes, :old_dates] = self.code_date_status
            self.code_date_status = grown
        status = self.code_date_status[np.ix_(code_ids, date_ids)]
        for i, j in np.argwhere(status < 0).tolist():
            found = self._code_status(int(code_ids[i]), int(entry_day[j]))
            status[i, j] = self.code_date_status[code_ids[i], date_ids[j]] = found
        return status

    def _check_codes(self, block: _Block, keep: Mask, date_ok: Mask, entry_day: Ids) -> None:
        if not len(block.ids["code"]) or not len(entry_day) or not block.rows:
            return
        status = self._status_matrix(block.ids["code"], block.ids["date"], entry_day)
        per_row = status[block.indices["code"], block.indices["date"]]

        def unknown(row: int) -> str:
            value = self._value(block, "code", row)
            return f"code {value!r} is not an attendance code" if value else "code is blank"

        def not_in_force(row: int) -> str:
            value = self._value(block, "code", row)
            spans = ", ".join(f"{v.valid_from} to {v.valid_to or 'now'}" for v in self.by_code[value])
            return f"code {value!r} was not in use on {self._value(block, 'date', row)} (in use {spans})"

        self._report(self.rules[4], block, keep & (per_row == 1), unknown)
        self._report(self.rules[5], block, date_ok & (per_row == 2), not_in_force)

    # --- repeated marks --------------------------------------------------------------------

    def _enrolments(self, urn: Ids, upn: Ids) -> Ids:
        """Per row, the id of its (urn, upn): ids in order of first sight in the file."""
        pair = (urn << 32) | upn
        starts = np.flatnonzero(np.concatenate([[True], pair[1:] != pair[:-1]]))
        run_pairs = pair[starts]
        unique: tuple[Ids, Ids, Ids] = np.unique(run_pairs, return_index=True, return_inverse=True)
        distinct, first, inverse = unique
        at: Ids = np.searchsorted(self.pairs, distinct)
        known: Mask = at < len(self.pairs)
        known[known] = self.pairs[at[known]] == distinct[known]
        if not known.all():
            new = np.flatnonzero(~known)
            new_ids = np.empty(len(new), dtype=np.int64)
            new_ids[np.argsort(first[new], kind="stable")] = np.arange(len(new)) + len(self.enrolment_urn)
            for i in new[np.argsort(first[new], kind="stable")].tolist():
                self.enrolment_urn.append(int(distinct[i] >> 32))
                self.enrolment_upn.append(int(distinct[i] & 0xFFFFFFFF))
            self.pairs = np.insert(self.pairs, at[new], distinct[new])
            self.pair_ids = np.insert(self.pair_ids, at[new], new_ids)
            at = np.searchsorted(self.pairs, distinct)
        run_ids = self.pair_ids[at][inverse.reshape(-1)]
        lengths = np.diff(np.append(starts, len(pair)))
        return np.repeat(run_ids, lengths)

    def _keys(self, block: _Block, checked: Mask, row_ids: dict[str, Ids], day: Ids, session: Ids) -> None:
        """A second mark for the same (urn, upn, date, session) is an error, whatever its code."""
        if not block.rows:
            return
        enrolment = self._enrolments(row_ids["urn"], row_ids["upn"])
        if int(enrolment.max()) >= 1 << (63 - _DAY_BITS - _SESSION_BITS):  # cannot happen for a year of marks
            raise ValueError("too many distinct pupils to check for repeated marks")
        key = (enrolment << (_DAY_BITS + _SESSION_BITS)) | (day << _SESSION_BITS) | np.minimum(session, 255)
        key[~checked] = -1
        self.keys.append((block.start, key))
        if not self.rising:
            return
        valid = key[checked]
        if not len(valid):
            return
        if valid[0] < self.last_key or bool(np.any(valid[1:] < valid[:-1])):
            self.rising = False
            self.repeated = []
            return
        same = np.concatenate([[valid[0] == self.last_key], valid[1:] == valid[:-1]])
        if same.any():
            self.repeated.append(np.unique(valid[same]))
        self.last_key = int(valid[-1])

    def _check_repeats(self) -> None:
        if self.rising:
            repeated = np.unique(np.concatenate(self.repeated)) if self.repeated else np.zeros(0, np.int64)
        else:
            valid = np.concatenate([key[key >= 0] for _, key in self.keys])
            valid.sort()
            repeated = np.unique(valid[1:][valid[1:] == valid[:-1]])
            del valid
        if not len(repeated):
            return
        rows_found: list[Ids] = []
        keys_found: list[Ids] = []
        for start, key in self.keys:
            at = np.flatnonzero(np.isin(key, repeated))
            rows_found.append(at + start)
            keys_found.append(key[at])
        rows = np.concatenate(rows_found)
        keys = np.concatenate(keys_found)
        order = np.argsort(keys, kind="stable")  # by key, then file order
        sorted_keys = keys[order]
        starts = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
        first_of_group = rows[order][starts][np.cumsum(starts) - 1]
        repeat_rows = rows[order][~starts]
        first_rows = first_of_group[~starts]
        in_file_order = np.argsort(repeat_rows, kind="stable")
        repeat_rows, first_rows = repeat_rows[in_file_order], first_rows[in_file_order]
        repeat_keys = sorted_keys[~starts][in_file_order]

        rule = self.rules[6]
        rule.count = len(repeat_rows)
        column = self.column_name[rule.canonical]
        listed = slice(0, MAX_LISTED)
        lines = self.lines(repeat_rows[listed])
        first_lines = self.lines(first_rows[listed])
        for line, first_line, key in zip(lines, first_lines, repeat_keys[listed].tolist(), strict=True):
            rule.listed.append(Problem(self.file, line, column, self._describe_repeat(key, first_line)))

    def _describe_repeat(self, key: int, first_line: int) -> str:
        enrolment = key >> (_DAY_BITS + _SESSION_BITS)
        day = (key >> _SESSION_BITS) & ((1 << _DAY_BITS) - 1)
        session = key & ((1 << _SESSION_BITS) - 1)
        urn = self.vocab["urn"].values[self.enrolment_urn[enrolment]]
        upn = self.vocab["upn"].values[self.enrolment_upn[enrolment]]
        session_text = SESSIONS[session] if session < len(SESSIONS) else self.vocab["session"].values[session - 2]
        return f"a second mark for URN {urn} UPN {upn} {self.spelling[day]} {session_text} (first on line {first_line})"


def _constant(message: str) -> Callable[[int], str]:
    """A row describer that says the same for every row."""
    return lambda _row: message


def _session_code(value: str, vocabulary_id: int) -> int:
    """AM 0, PM 1, anything else 2 + its vocabulary id (a bad session)."""
    return SESSIONS.index(value) if value in SESSIONS else 2 + vocabulary_id
