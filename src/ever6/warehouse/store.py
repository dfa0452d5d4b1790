"""The warehouse: canonical tables in one DuckDB file, filled by atomic, provenanced batches.

Every import is one batch: its rows in every canonical table carry its ``batch_id``, and the
batch's provenance (files, sha256, format, collection year, row counts, time, who) and the
problems its reader recovered from are stored beside it. A batch is written in one transaction,
so a failure part-way leaves the warehouse exactly as it was. Rolling a batch back deletes its
rows and keeps its provenance, marked ``rolled_back``, as the record of what happened.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import itertools
import json
import os
import shutil
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ever6.dates import academic_year_start
from ever6.formats import FORMATS
from ever6.formats.problems import ImportRefused, Problem, ReadResult, Severity, StreamedResult, problems_table
from ever6.model import TABLES
from ever6.private import private_dir, private_files
from ever6.provenance import Batch, file_sha256
from ever6.warehouse.read_ahead import ReadAhead

SCHEMA_VERSION = 1

_DUCKDB_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.date32(): "DATE",
    pa.bool_(): "BOOLEAN",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
}


def _duckdb_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_list(arrow_type):
        return _duckdb_type(arrow_type.value_type) + "[]"
    return _DUCKDB_TYPES[arrow_type]


def _create_statement(name: str, schema: pa.Schema) -> str:
    columns = ["batch_id INTEGER NOT NULL"]
    for field in schema:
        null = "" if field.nullable else " NOT NULL"
        columns.append(f'"{field.name}" {_duckdb_type(field.type)}{null}')
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({", ".join(columns)})'


# Tables derived from the canonical ones, bound for the analytics when the warehouse has them (a
# read-only warehouse may predate them).
_DERIVED = ("attendance_mark_day", "attendance_session_count")

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS ever6_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS import_batch_seq START 1;
CREATE TABLE IF NOT EXISTS import_batch (
    batch_id INTEGER PRIMARY KEY,
    format VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_files VARCHAR[] NOT NULL,
    sha256 VARCHAR NOT NULL,
    year INTEGER,
    reference_date DATE,
    row_counts VARCHAR NOT NULL,
    warning_count INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    imported_by VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    rolled_back_at TIMESTAMP,
    rolled_back_by VARCHAR,
    source_bytes BIGINT
);
-- Warehouses from before it: the source's size in bytes (NULL for their batches), which tells an
-- import whether a file can be one already held before it has the file's digest.
ALTER TABLE import_batch ADD COLUMN IF NOT EXISTS source_bytes BIGINT;
-- Which days each batch of attendance marks holds, and how many marks: a few hundred rows that
-- tell the analytics where two batches overlap without scanning the marks.
CREATE TABLE IF NOT EXISTS attendance_mark_day (batch_id INTEGER NOT NULL, date DATE NOT NULL, marks BIGINT NOT NULL);
-- Each batch of marks' session counts per enrolment and term of an academic year (computed by a
-- refresh, ever6.publish.session_counts): a new day's refresh counts that day's marks, not the year's.
CREATE TABLE IF NOT EXISTS attendance_session_count (
    batch_id INTEGER NOT NULL, academic_year INTEGER NOT NULL, urn VARCHAR, upn VARCHAR, term VARCHAR NOT NULL,
    possible BIGINT NOT NULL, authorised BIGINT NOT NULL, unauthorised BIGINT NOT NULL,
    c2 BIGINT NOT NULL, k BIGINT NOT NULL, b BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS import_problem (
    batch_id INTEGER NOT NULL,
    file VARCHAR, line INTEGER, field VARCHAR, severity VARCHAR, source VARCHAR, message VARCHAR,
    rule VARCHAR, child VARCHAR
);
-- Warehouses from before the DfE rules on import: the rule and child columns.
ALTER TABLE import_problem ADD COLUMN IF NOT EXISTS rule VARCHAR;
ALTER TABLE import_problem ADD COLUMN IF NOT EXISTS child VARCHAR;
"""


def _schema_statements() -> list[str]:
    """What :meth:`Warehouse._ensure_schema` makes sure of: any change to it changes the digest below."""
    columns = [f"{spec.name}.{f.name} {f.type} {f.nullable}" for spec in TABLES.values() for f in spec.schema]
    creates = [_create_statement(spec.name, spec.schema) for spec in TABLES.values()]
    return [str(SCHEMA_VERSION), _BOOKKEEPING, *creates, *columns]


# Recorded in ever6_meta when the schema is made current; a warehouse that holds it needs nothing done.
_SCHEMA_DIGEST = hashlib.sha256("\n".join(_schema_statements()).encode()).hexdigest()


@dataclass(frozen=True)
class ImportOutcome:
    batch: Batch
    created: bool  # False when the same content was already imported and nothing changed
    warnings: tuple[Problem, ...] = ()


class RollbackError(ValueError):
    pass


def _check_tables(result: ReadResult) -> None:
    """A reader must hand over exactly the canonical tables of its format (a programming error if not)."""
    expected = set(FORMATS[result.format].tables)
    if set(result.tables) != expected:
        raise ValueError(f"{result.format} reader returned tables {sorted(result.tables)}")
    for name, table in result.tables.items():
        if not table.schema.equals(TABLES[name].schema):
            raise ValueError(f"{name}: schema differs from the canonical model")
    if isinstance(result, StreamedResult) and result.stream_table not in expected:
        raise ValueError(f"{result.format} reader streams table {result.stream_table}")


def _check_batch(name: str, batch: pa.RecordBatch) -> None:
    """A streamed batch has the canonical columns; strings may come dictionary-encoded."""
    expected = TABLES[name].schema
    if batch.schema.names != expected.names:
        raise ValueError(f"{name}: streamed columns differ from the canonical model")
    for got, want in zip(batch.schema, expected, strict=True):
        value_type = got.type.value_type if pa.types.is_dictionary(got.type) else got.type
        if value_type != want.type or got.nullable != want.nullable:
            raise ValueError(f"{name}: streamed column {got.name} differs from the canonical model")


def current_user() -> str:
    return os.environ.get("EVER6_USER") or getpass.getuser()


_BATCH_COLUMNS = (
    "batch_id, format, source_file, source_files, sha256, year, reference_date, row_counts, "
    "warning_count, imported_at, imported_by, status, rolled_back_at, rolled_back_by"
)


def _batch(row: tuple[Any, ...]) -> Batch:
    return Batch(
        batch_id=row[0],
        format=row[1],
        source_file=row[2],
        source_files=tuple(row[3]),
        sha256=row[4],
        year=row[5],
        reference_date=row[6],
        row_counts=json.loads(row[7]),
        warning_count=row[8],
        imported_at=row[9],
        imported_by=row[10],
        status=row[11],
        rolled_back_at=row[12],
        rolled_back_by=row[13],
    )


def holder_path(path: Path) -> Path:
    """The small file beside the warehouse saying who holds it for writing, and since when."""
    return path.with_name(path.name + ".holder")


def read_holder(path: Path) -> dict[str, Any] | None:
    """Who holds the warehouse for writing, as its writer recorded it; None if nobody said."""
    try:
        holder = json.loads(holder_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


@functools.lru_cache(maxsize=256)
def _ibis_type(duckdb_type: str, nullable: bool) -> Any:
    """A DuckDB column type as Ibis reads it (as its DuckDB backend's ``get_schema`` does)."""
    from ibis.backends.sql.datatypes import DuckDBType

    return DuckDBType.from_string(duckdb_type, nullable=nullable)


class Warehouse:
    """The canonical model in one DuckDB file.

    A writer records what it is doing (``purpose``: "a refresh", "an import"), who and since when
    in :func:`holder_path`, so that another process refused the lock can say so.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False, purpose: str = "an ever6 command") -> None:
        self.path = Path(path)
        self.read_only = read_only
        if not read_only:
            private_dir(self.path.parent)
        with private_files():
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        self._backends: list[Any] = []  # the Ibis backends bound to this connection (raw_tables)
        if not read_only:
            self._record_holder(purpose)
            self._ensure_schema()

    def _record_holder(self, purpose: str) -> None:
        holder = {
            "purpose": purpose,
            "user": current_user(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now().replace(microsecond=0).isoformat(),
        }
        with private_files():
            holder_path(self.path).write_text(json.dumps(holder), encoding="utf-8")

    def close(self) -> None:
        # Ibis drops a cached (temporary) table when its expression is collected, which may be
        # at interpreter exit, after this connection is closed: each would then print a
        # "Connection already closed" traceback. The connection takes its temporary tables with
        # it, so the finalisers are detached first.
        for backend in self._backends:
            for entry in list(backend._cache_name_to_entry.values()):
                entry.finalizer.detach()
            backend._cache_name_to_entry.clear()
            backend._cache_op_to_entry.clear()
        self._backends.clear()
        self.con.close()
        if not self.read_only:
            mine = read_holder(self.path)
            if mine is not None and mine.get("pid") == os.getpid():
                holder_path(self.path).unlink(missing_ok=True)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        # Every command opens the warehouse: when it was last made current by this very schema
        # (one row of ever6_meta says so), the statements below would change nothing, and they
        # were a tenth of a small command's time.
        if self._schema_current():
            return
        with self.transaction():
            had_days = self._has_table("attendance_mark_day")
            self.con.execute(_BOOKKEEPING)
            for spec in TABLES.values():
                self.con.execute(_create_statement(spec.name, spec.schema))
            # A warehouse made by an earlier version lacks the optional columns added since (the
            # allocated worker's in cm_identity); appended, so each table keeps the model's order.
            present = set(self.con.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall())
            for spec in TABLES.values():
                for f in spec.schema:
                    if f.nullable and (spec.name, f.name) not in present:
                        self.con.execute(f'ALTER TABLE "{spec.name}" ADD COLUMN "{f.name}" {_duckdb_type(f.type)}')
            self.con.execute(
                "INSERT INTO ever6_meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [str(SCHEMA_VERSION)],
            )
            if not had_days:  # a warehouse from before the day index: build it once
                self.con.execute(
                    "INSERT INTO attendance_mark_day SELECT batch_id, date, count(*) FROM attendance_mark GROUP BY ALL"
                )
            self.con.execute(
                "INSERT INTO ever6_meta VALUES ('schema_statements', ?) "
                "ON CONFLICT DO UPDATE SET value = excluded.value",
                [_SCHEMA_DIGEST],
            )

    def _schema_current(self) -> bool:
        """Whether :meth:`_ensure_schema` last ran on this warehouse with exactly today's statements."""
        if not self._has_table("ever6_meta"):
            return False
        row = self.con.execute("SELECT value FROM ever6_meta WHERE key = 'schema_statements'").fetchall()
        return bool(row) and row[0][0] == _SCHEMA_DIGEST

    def _has_table(self, name: str) -> bool:
        # duckdb_tables(), not information_schema.tables: the same answer, at a fraction of the cost.
        query = "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'"
        return bool(self.con.execute(query, [name]).fetchall())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside are committed together, or none is."""
        self.con.begin()
        try:
            yield
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    # --- imports ---------------------------------------------------------------------------

    def import_result(self, result: ReadResult, *, who: str | None = None) -> ImportOutcome:
        """Store one reader's result as one batch, or refuse it and change nothing."""
        return self.import_results([result], who=who)[0]

    def import_results(self, results: Sequence[ReadResult], *, who: str | None = None) -> list[ImportOutcome]:
        """Store several sources, one batch each, all or none: one refusal refuses them all.

        A :class:`StreamedResult` is written batch by batch as it is read, inside the one
        transaction; if its reader finds an error on the way (or after its last batch), the
        other sources are still read for their problems, and the whole transaction is rolled
        back before :class:`ImportRefused` lists them.
        """
        if any(r.errors for r in results):
            for result in results:
                if isinstance(result, StreamedResult):
                    result.drain()  # every refused file's problems, as for the others
            raise ImportRefused([p for r in results for p in r.errors])
        for result in results:
            _check_tables(result)
        outcomes: list[ImportOutcome] = []
        with self.transaction():
            seen: dict[tuple[str, str], int] = {}
            refused = False
            for result in results:
                if refused:
                    if isinstance(result, StreamedResult):
                        result.drain()
                    continue
                paths = (result.path, *result.extra_paths)
                size = sum(path.stat().st_size for path in paths)
                digest = self._digest_first(result, paths, size)
                if digest is not None:
                    existing = self._active_batch_with(digest, result.format)
                    if existing is not None or (digest, result.format) in seen:
                        outcomes.append(
                            ImportOutcome(existing or self.batch(seen[digest, result.format]), created=False)
                        )
                        continue
                batch_id, digest, created = self._write_batch(result, paths, digest, size, who or current_user())
                if result.errors:  # a streamed file found bad part-way: nothing of this command stays
                    refused = True
                    continue
                if not created:  # hashed while read, and held after all: its rows were taken out again
                    outcomes.append(ImportOutcome(self.batch(batch_id), created=False))
                    continue
                seen[digest, result.format] = batch_id
                warnings = tuple(p for p in result.problems if p.severity is Severity.WARNING)
                outcomes.append(ImportOutcome(self.batch(batch_id), created=True, warnings=warnings))
            if refused:
                raise ImportRefused([p for r in results for p in r.errors])  # rolls the transaction back
        return outcomes

    def _digest_first(self, result: ReadResult, paths: Sequence[Path], size: int) -> str | None:
        """The source's digest before it is read, or None when the reader hashes it while it is
        read and the warehouse holds no active batch of its format and size: then it cannot be
        one already imported, and the file is read once, not twice."""
        if not isinstance(result, StreamedResult) or result.extra_paths or result.sha256 is None:
            return file_sha256(paths)
        if result.hashed_while_read and not self._may_hold(result.format, size):
            return None
        return result.sha256()

    def _may_hold(self, fmt: str, size: int) -> bool:
        """Whether an active batch of this format may have a source of this size (unknown for the
        batches of a warehouse from before sizes were kept)."""
        rows = self.con.execute(
            "SELECT 1 FROM import_batch WHERE format = ? AND status = 'active' "
            "AND (source_bytes IS NULL OR source_bytes = ?) LIMIT 1",
            [fmt, size],
        ).fetchall()
        return bool(rows)

    def _write_batch(
        self, result: ReadResult, paths: Sequence[Path], digest: str | None, size: int, who: str
    ) -> tuple[int, str, bool]:
        """Write one source as a batch: its id, its digest and True; or, for a source hashed while
        it was read (``digest`` None) that turns out to be held already, the held batch's id, the
        digest and False, with nothing of it left written."""
        (batch_id,) = self._one("SELECT nextval('import_batch_seq')")
        for name, table in result.tables.items():
            if isinstance(result, StreamedResult) and name == result.stream_table:
                continue
            self._insert(name, table, batch_id)
        if isinstance(result, StreamedResult):
            self._insert_stream(result.stream_table, result.batches(), batch_id)
            if result.errors:
                return int(batch_id), digest or "", True
        if digest is None:
            assert isinstance(result, StreamedResult)
            assert result.sha256 is not None  # _digest_first gives None only then
            digest = result.sha256()
            existing = self._active_batch_with(digest, result.format)
            if existing is not None:  # same content under another size cannot be: kept as a safeguard
                self._delete_rows(int(batch_id), result.format)
                return existing.batch_id, digest, False
        warnings = [p for p in result.problems if p.severity is Severity.WARNING]
        self.con.execute(
            f"INSERT INTO import_batch ({_BATCH_COLUMNS}, source_bytes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', NULL, NULL, ?)",
            [
                batch_id,
                result.format,
                str(result.path),
                [str(p) for p in paths],
                digest,
                result.year,
                result.reference_date,
                json.dumps(result.row_counts(), sort_keys=True),
                len(warnings),
                datetime.now().replace(microsecond=0),
                who,
                size,
            ],
        )
        if result.problems:
            self._insert("import_problem", problems_table(result.problems), batch_id)
        return int(batch_id), digest, True

    def _insert_stream(self, name: str, batches: Iterable[pa.RecordBatch], batch_id: int) -> None:
        """Append record batches as they come, in one ``INSERT`` scanning them as one Arrow stream
        (one statement for the file, not one a batch). The batches are read (and checked) one
        ahead, in a thread of their own, while DuckDB writes (:mod:`ever6.warehouse.read_ahead`);
        memory is bounded by a few batches."""
        view = f"_incoming_{name}"
        marks_per_day: dict[date, int] = {}

        def prepared() -> Iterator[pa.RecordBatch]:
            schema: pa.Schema | None = None
            for batch in batches:
                _check_batch(name, batch)
                if schema is None:
                    schema = batch.schema
                elif batch.schema != schema:
                    batch = batch.cast(schema)
                if name == "attendance_mark":
                    counts = pc.value_counts(batch.column("date"))
                    for day, marks in zip(
                        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
                    ):
                        marks_per_day[day] = marks_per_day.get(day, 0) + marks
                yield batch

        with ReadAhead(prepared()) as ahead:
            stream = iter(ahead)
            first = next(stream, None)
            if first is None:
                return
            failure: list[BaseException] = []

            def checked() -> Iterator[pa.RecordBatch]:
                # Raised inside DuckDB's scan, an error would reach the caller as DuckDB's own: it
                # is kept, the scan ends, and it is raised again here (the transaction then rolls back).
                try:
                    yield from itertools.chain([first], stream)
                except Exception as exc:
                    failure.append(exc)

            columns = ", ".join(f'"{c}"' for c in first.schema.names)
            self.con.register(view, pa.RecordBatchReader.from_batches(first.schema, checked()))
            try:
                insert = f'INSERT INTO "{name}" (batch_id, {columns}) SELECT ?, {columns} FROM "{view}"'
                self.con.execute(insert, [batch_id])
            finally:
                self.con.unregister(view)
            if failure:
                raise failure[0]
        if marks_per_day:
            self.con.executemany(
                "INSERT INTO attendance_mark_day VALUES (?, ?, ?)",
                [[batch_id, day, marks] for day, marks in sorted(marks_per_day.items())],
            )

    def _insert(self, name: str, table: pa.Table, batch_id: int) -> None:
        view = f"_incoming_{name}"
        self.con.register(view, table)
        try:
            columns = ", ".join(f'"{c}"' for c in table.column_names)
            self.con.execute(
                f'INSERT INTO "{name}" (batch_id, {columns}) SELECT ?, {columns} FROM "{view}"', [batch_id]
            )
            if name == "attendance_mark":
                self.con.execute(
                    f'INSERT INTO attendance_mark_day SELECT ?, date, count(*) FROM "{view}" GROUP BY date', [batch_id]
                )
        finally:
            self.con.unregister(view)

    def _delete_rows(self, batch_id: int, fmt: str) -> None:
        """Delete every row a batch brought in (not its provenance)."""
        for name in FORMATS[fmt].tables:
            self.con.execute(f'DELETE FROM "{name}" WHERE batch_id = ?', [batch_id])
        if "attendance_mark" in FORMATS[fmt].tables:  # and its day index and counts
            self.con.execute("DELETE FROM attendance_mark_day WHERE batch_id = ?", [batch_id])
            if self._has_table("attendance_session_count"):
                self.con.execute("DELETE FROM attendance_session_count WHERE batch_id = ?", [batch_id])

    def _active_batch_with(self, digest: str, fmt: str) -> Batch | None:
        row = self.con.execute(
            f"SELECT {_BATCH_COLUMNS} FROM import_batch WHERE sha256 = ? AND format = ? AND status = 'active'",
            [digest, fmt],
        ).fetchall()
        return _batch(row[0]) if row else None

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
        rows = self.con.execute(sql, list(params)).fetchall()  # fetch all: DuckDB wants results finished
        if not rows:
            raise LookupError(sql)
        return tuple(rows[0])

    # --- provenance --------------------------------------------------------------------------

    def batches(self, *, include_rolled_back: bool = True) -> list[Batch]:
        where = "" if include_rolled_back else "WHERE status = 'active'"
        rows = self.con.execute(f"SELECT {_BATCH_COLUMNS} FROM import_batch {where} ORDER BY batch_id").fetchall()
        return [_batch(r) for r in rows]

    def batch(self, batch_id: int) -> Batch:
        row = self.con.execute(f"SELECT {_BATCH_COLUMNS} FROM import_batch WHERE batch_id = ?", [batch_id]).fetchall()
        if not row:
            raise RollbackError(f"there is no import batch {batch_id}")
        return _batch(row[0])

    def problems(self, batch_id: int) -> list[Problem]:
        rows = self.con.execute(
            "SELECT file, line, field, message, severity, source, rule, child FROM import_problem WHERE batch_id = ? "
            "ORDER BY source = 'dfe', file, line NULLS FIRST, rule, child",
            [batch_id],
        ).fetchall()
        return [Problem(r[0], r[1], r[2], r[3], Severity(r[4]), r[5], r[6], r[7]) for r in rows]

    def record_rule_problems(self, batch_id: int, problems: Sequence[Problem]) -> Batch:
        """Record the DfE rules' findings on a batch, replacing any earlier run's; its warning
        count follows. The batch's data is untouched: the rules warn, they never refuse."""
        self.batch(batch_id)
        with self.transaction():
            self.con.execute("DELETE FROM import_problem WHERE batch_id = ? AND source = 'dfe'", [batch_id])
            if problems:
                self._insert("import_problem", problems_table(problems), batch_id)
            self.con.execute(
                "UPDATE import_batch SET warning_count = (SELECT count(*) FROM import_problem "
                "WHERE batch_id = ? AND severity = 'warning') WHERE batch_id = ?",
                [batch_id, batch_id],
            )
        return self.batch(batch_id)

    def rollback(self, batch_id: int, *, who: str | None = None) -> Batch:
        """Remove every row a batch brought in; its provenance stays, marked rolled back."""
        batch = self.batch(batch_id)
        if not batch.active:
            raise RollbackError(f"batch {batch_id} was already rolled back on {batch.rolled_back_at}")
        with self.transaction():
            self._delete_rows(batch_id, batch.format)
            self.con.execute(
                "UPDATE import_batch SET status = 'rolled_back', rolled_back_at = ?, rolled_back_by = ? "
                "WHERE batch_id = ?",
                [datetime.now().replace(microsecond=0), who or current_user(), batch_id],
            )
        return self.batch(batch_id)

    def row_count(self, table: str) -> int:
        if table not in TABLES and table not in {"import_batch", "import_problem"}:
            raise KeyError(table)
        (n,) = self._one(f'SELECT count(*) FROM "{table}"')
        return int(n)

    def fingerprint(self) -> dict[str, int]:
        """Row counts of every table: a cheap way to show that a refused import changed nothing."""
        names = [*TABLES, "import_batch", "import_problem"]
        return {name: self.row_count(name) for name in names}

    # --- analytics binding -------------------------------------------------------------------

    def raw_tables(self) -> dict[str, Any]:
        """The canonical tables, ``import_batch`` and (when the warehouse has it) the marks' day
        index ``attendance_mark_day`` as Ibis tables bound to this warehouse."""
        import ibis  # only analytics need Ibis; imports alone stay light
        import ibis.expr.operations as ops
        import ibis.expr.schema as sch

        import ever6.engines  # noqa: F401  (Ibis's SQL options, set once for every engine)

        backend = ibis.duckdb.from_connection(self.con)
        self._backends.append(backend)
        # What ``backend.table(name)`` binds, without its DESCRIBE of each table and its parse of
        # each column's type: one catalog query for all of them (a tenth of a command's set-up).
        wanted = [*TABLES, "import_batch", *_DERIVED]
        rows = self.con.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' AND list_contains(?, table_name) "
            "ORDER BY table_name, column_index",
            [wanted],
        ).fetchall()
        columns: dict[str, dict[str, Any]] = {}
        for table, column, data_type, nullable in rows:
            columns.setdefault(table, {})[column] = _ibis_type(data_type, bool(nullable))
        missing = [name for name in wanted if name not in columns and name not in _DERIVED]
        if missing:  # as backend.table would
            raise LookupError(f"the warehouse has no table {missing[0]}")
        namespace = ops.Namespace(catalog=None, database=None)
        # A read-only warehouse may predate the marks' day index.
        return {
            name: ops.DatabaseTable(
                name, schema=sch.Schema(columns[name]), source=backend, namespace=namespace
            ).to_expr()
            for name in wanted
            if name in columns
        }

    def mark_years(self, batch_ids: Iterable[int]) -> set[int]:
        """The academic years (start years) the marks of these batches fall in, from the day index."""
        ids = sorted(set(batch_ids))
        if not ids:
            return set()
        rows = self.con.execute(
            "SELECT DISTINCT date FROM attendance_mark_day WHERE list_contains(?, batch_id)", [ids]
        ).fetchall()
        return {academic_year_start(r[0]) for r in rows}

    def raw_table_names(self) -> list[str]:
        """The names :meth:`raw_tables` binds."""
        names = [*TABLES, "import_batch"]
        return [*names, *(name for name in _DERIVED if self._has_table(name))]

    # --- session counts kept per batch (ever6.publish.session_counts) -----------------------

    def counted_batch_years(self, computed_by: str) -> set[tuple[int, int]]:
        """The (batch, academic year) pairs whose session counts are kept, as ``computed_by`` (the
        release and code table) counts them; counts kept by another are removed first."""
        with self.transaction():
            row = self.con.execute("SELECT value FROM ever6_meta WHERE key = 'session_counts_by'").fetchall()
            if not row or row[0][0] != computed_by:
                self.con.execute("DELETE FROM attendance_session_count")
                self.con.execute(
                    "INSERT INTO ever6_meta VALUES ('session_counts_by', ?) "
                    "ON CONFLICT DO UPDATE SET value = excluded.value",
                    [computed_by],
                )
        rows = self.con.execute("SELECT DISTINCT batch_id, academic_year FROM attendance_session_count").fetchall()
        return {(int(b), int(y)) for b, y in rows}

    def keep_session_counts(self, academic_year: int, batch_ids: Sequence[int], counts: pa.Table) -> None:
        """Keep batches' session counts for an academic year (``batch_id`` and the other columns of
        ``attendance_session_count``), replacing any kept for them."""
        view = "_incoming_session_count"
        self.con.register(view, counts)
        try:
            with self.transaction():
                self.con.execute(
                    "DELETE FROM attendance_session_count WHERE academic_year = ? AND list_contains(?, batch_id)",
                    [academic_year, list(batch_ids)],
                )
                self.con.execute(
                    "INSERT INTO attendance_session_count SELECT batch_id, ?, urn, upn, term, possible, authorised, "
                    f'unauthorised, c2, k, b FROM "{view}"',
                    [academic_year],
                )
        finally:
            self.con.unregister(view)

    def export_parquet(self, directory: Path) -> dict[str, Path]:
        """Write each of :meth:`raw_tables` to ``directory/<name>`` as Parquet (a folder of files),
        for another engine (Spark) to read: DuckDB writes it in parallel, columnar to columnar,
        far faster than handing rows over through Python."""
        directory.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name in self.raw_table_names():
            target = directory / name
            if target.exists():
                shutil.rmtree(target)
            # PER_THREAD_OUTPUT: several files, so that Spark reads the marks in parallel.
            quoted = str(target).replace("'", "''")
            self.con.execute(f"COPY (SELECT * FROM \"{name}\") TO '{quoted}' (FORMAT parquet, PER_THREAD_OUTPUT true)")
            written[name] = target
        return written
