"""What a reader says about its input: problems with file, line and field, and its result.

Every reader returns a :class:`ReadResult`. A problem is ``error`` when the file cannot be
imported safely (the import is refused and nothing changes) and ``warning`` when the reader
recovered (the value was dropped or normalised, and the problem is recorded with the batch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

import pyarrow as pa

from ever6.model import TABLES


class Severity(StrEnum):
    ERROR = "error"  # the file is refused
    WARNING = "warning"  # recovered; the import goes on


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str | None
    message: str
    severity: Severity = Severity.ERROR
    source: str = "reader"  # "reader", "xsd" for schema-validation messages, "dfe" for a DfE rule
    rule: str | None = None  # the DfE rule code (source "dfe"), e.g. "8696" or "8873Q"
    child: str | None = None  # the child the DfE rule names (LAchildID or CHILD)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" [{self.field}]"
        if self.rule is not None:
            who = f" child {self.child}" if self.child else ""
            return f"{where}: {self.severity.value}: DfE rule {self.rule}{who}: {self.message}"
        return f"{where}: {self.severity.value}: {self.message}"


def has_errors(problems: Iterable[Problem]) -> bool:
    """Whether any problem refuses the source."""
    return any(p.severity is Severity.ERROR for p in problems)


@dataclass
class ReadResult:
    """What a reader made of one source: canonical tables, problems and what the file is."""

    format: str
    path: Path
    tables: dict[str, pa.Table]
    problems: list[Problem] = field(default_factory=list)
    year: int | None = None  # collection year (the year of the reference date)
    reference_date: date | None = None
    extra_paths: tuple[Path, ...] = ()  # other files read into the same batch (SSDA903 header + episodes)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        """Whether the source may be imported: when not, its tables are empty (:meth:`of_rows`)
        and the warehouse refuses the batch."""
        return not has_errors(self.problems)

    def row_counts(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in self.tables.items()}

    @classmethod
    def of_rows(
        cls,
        fmt: str,
        paths: Sequence[Path],
        rows: Mapping[str, Iterable[Mapping[str, object]]],
        problems: list[Problem],
        *,
        year: int | None = None,
        reference_date: date | None = None,
    ) -> ReadResult:
        """A reader's result from its rows by canonical table, for the files of one batch.

        When any problem is an error every table is empty: the import is refused and nothing
        changes, but every problem found is still reported (the rule every reader follows).
        """
        result = cls(fmt, Path(paths[0]), {}, problems, year, reference_date, tuple(Path(p) for p in paths[1:]))
        result.tables = {name: table_from_rows(TABLES[name].schema, rows[name] if result.ok else ()) for name in rows}
        return result


@dataclass
class StreamedResult(ReadResult):
    """A result too big to hold at once: its table ``stream_table`` arrives from :meth:`batches`.

    The reader validates the file while it is read. ``batches()`` yields its validated rows in
    file order as Arrow record batches (the canonical columns, string columns possibly
    dictionary-encoded), and yields nothing more once it has found an error. ``problems`` is
    complete only when ``batches()`` is exhausted: a consumer that stored batches must then
    check ``errors`` and discard what it stored if there are any (the warehouse rolls its
    transaction back). Problems found before any row is read (an unreadable header) are there
    from the start. ``tables`` holds ``stream_table`` empty; ``row_counts()`` counts the rows
    yielded. The batches can be read once.
    """

    stream_table: str = ""
    source: Callable[[], Iterator[pa.RecordBatch]] | None = None
    # The file's SHA-256 as the reader computes it (None: the warehouse hashes the file itself).
    sha256: Callable[[], str] | None = None
    # True when the reader hashes the bytes as it parses them: ``sha256()`` then costs nothing once
    # ``batches()`` is exhausted, and asked before, it reads the file for its digest alone.
    hashed_while_read: bool = False
    rows_streamed: int = 0
    consumed: bool = False

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self.consumed:
            raise RuntimeError(f"{self.path}: a streamed result can be read only once")
        self.consumed = True
        if self.source is None:
            return
        for batch in self.source():
            self.rows_streamed += batch.num_rows
            yield batch

    def drain(self) -> None:
        """Read to the end without keeping anything, so that ``problems`` is complete."""
        if not self.consumed:
            for _ in self.batches():
                pass

    def row_counts(self) -> dict[str, int]:
        counts = super().row_counts()
        counts[self.stream_table] = self.rows_streamed
        return counts


class ImportRefused(Exception):
    """A source was refused; ``problems`` says why, each with file, line and field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.summary())

    def summary(self, limit: int = 50) -> str:
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        lines = [str(p) for p in errors[:limit]]
        if len(errors) > limit:
            lines.append(f"... and {len(errors) - limit} more errors")
        return "\n".join(lines) or "refused"


def problems_table(problems: Iterable[Problem]) -> pa.Table:
    """Problems as an Arrow table, for storing with a batch."""
    rows = list(problems)
    return pa.table(
        {
            "file": pa.array([p.file for p in rows], pa.string()),
            "line": pa.array([p.line for p in rows], pa.int32()),
            "field": pa.array([p.field for p in rows], pa.string()),
            "severity": pa.array([p.severity.value for p in rows], pa.string()),
            "source": pa.array([p.source for p in rows], pa.string()),
            "message": pa.array([p.message for p in rows], pa.string()),
            "rule": pa.array([p.rule for p in rows], pa.string()),
            "child": pa.array([p.child for p in rows], pa.string()),
        }
    )


def table_from_rows(schema: pa.Schema, rows: Iterable[Mapping[str, object]]) -> pa.Table:
    """Build a canonical table from row dicts, checking every column against the schema."""
    return pa.Table.from_pylist(list(rows), schema=schema)
