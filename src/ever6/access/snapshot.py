"""Reading the web snapshot, with the viewer's permissions applied in one place.

Every figure and every pupil row the web service shows comes through :class:`Snapshot`:

- a viewer who may not see unsuppressed figures (a school user) gets the suppressed table, whatever
  they ask for, and only the rows :func:`ever6.disclosure.for_school` allows;
- pupil-level rows need the capability, the school (for a school user), and a signed agreement,
  and are recorded by the audit recorder before they are returned.

The snapshot is replaced atomically by each refresh; a reader notices and reopens.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ever6.access.roles import Capability
from ever6.access.viewer import AccessDenied, AuditEntry, AuditRecorder, Viewer
from ever6.disclosure import REASON_COLUMN, for_school
from ever6.metrics.export import display_row, published_figure
from ever6.metrics.measures import METRIC_COLUMNS, METRIC_KEY

if TYPE_CHECKING:
    # DuckDB reads the snapshot, and loads (about half a second) only when a page first reads it:
    # importing this interface, as every web request module does, loads no analytics engine.
    import duckdb
from ever6.publish.counts import COUNTS_TABLE, CohortCounts
from ever6.publish.layout import (
    ALLOCATION_TABLE,
    EVENT_TABLE,
    FIGURE_COLUMN,
    PROFILE_SUPPRESSED_TABLE,
    PROFILE_TABLE,
    PUPIL_ATTENDANCE_TABLE,
    REQUIRED_COLUMNS,
    SCHOOL_PUPIL_COLUMNS,
)

# The figures a page reads: the measures' columns and, once suppressed, the reason; and beside the
# published text (``value``) the number it shows (``figure``, ``None`` for a symbol).
METRIC_FIELDS = (*METRIC_COLUMNS, REASON_COLUMN, FIGURE_COLUMN)


# Beside each pupil on a school's list: the academic year of the attendance, possible sessions,
# sessions missed, attendance (%), persistently absent, suspensions (None: no figure).
ATTENDANCE_FIELDS = ("attendance_year", "possible", "missed", "attendance", "persistent", "suspensions")


class NotPublished(LookupError):
    """Nothing has been published yet: the data manager has to run a refresh."""


class RefreshNeeded(NotPublished):
    """The snapshot was written by an earlier version of ever6, in an older layout: the next
    refresh rewrites it; until then pages say a refresh is needed, as before the first one."""


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    as_at: date
    strict: bool
    finished_at: datetime
    run_by: str
    la_code: str
    cla_in_cwsw: bool
    event_retention_days: int = 730  # [notifications] retention_days (a snapshot before it: the default)


@dataclass(frozen=True)
class MetricQuery:
    """What a page asks for; ``None`` means all."""

    academic_year: str | None = None
    period: str | None = "year"
    measures: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None
    breakdown: str | None = "all"
    breakdown_values: tuple[str, ...] | None = None


class Snapshot:
    """The published figures and pupil lists of the latest refresh, for one web process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._local = threading.local()

    # --- connection ---------------------------------------------------------------------------

    def version(self) -> str:
        """Which published snapshot this is: changes whenever a refresh replaces the file."""
        inode, mtime = self._file_identity()
        return f"{inode}-{mtime}"

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Inside, every read in this thread comes from the snapshot as it was on entry, even if a
        refresh swaps in a new one meanwhile: a page shows one run, never parts of two."""
        if getattr(self._local, "pin", None) is not None:  # already pinned by an outer caller
            yield
            return
        import duckdb

        try:
            self._local.pin = self._cursor()
        except (NotPublished, duckdb.Error):
            self._local.pin = None  # nothing (readable) published: each read says so, as unpinned
        try:
            yield
        finally:
            self._local.pin = None

    def _file_identity(self) -> tuple[int, int]:
        pin = getattr(self._local, "pin", None)
        if pin is not None:
            return pin[1]  # type: ignore[no-any-return]
        try:
            st = os.stat(self.path)
        except FileNotFoundError as exc:
            raise NotPublished("nothing has been published yet: a data manager needs to run a refresh") from exc
        return (st.st_ino, st.st_mtime_ns)

    def _open(self) -> duckdb.DuckDBPyConnection:
        """A fresh read of the file as it is now.

        Attached to a new in-memory database rather than opened by path: DuckDB keeps one instance
        per path in a process, so opening the path again while an older connection lives would
        give the old file's contents after a refresh replaced it.
        """
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute("ATTACH ? AS snapshot (READ_ONLY)", [str(self.path)])
        try:
            _check_layout(con)
        except RefreshNeeded:
            con.close()
            raise
        return con

    def _cursor(self) -> tuple[duckdb.DuckDBPyConnection, tuple[int, int]]:
        pin = getattr(self._local, "pin", None)
        if pin is not None:
            return pin  # type: ignore[no-any-return]
        identity = self._file_identity()
        with self._lock:
            if identity != self._identity or self._con is None:
                # A new refresh: read the new file; cursors on the old one finish on the old one.
                self._con = self._open()
                self._identity = identity
            con, current = self._con, self._identity
        local = self._local
        if getattr(local, "identity", None) != current:
            local.cursor = con.cursor()
            local.cursor.execute("USE snapshot")
            local.identity = current
        return local.cursor, current

    def _query(self, sql: str, params: Sequence[Any] = ()) -> tuple[pa.Table, tuple[int, int]]:
        cursor, identity = self._cursor()
        return cursor.sql(sql, params=list(params)).to_arrow_table(), identity

    # --- what was published ---------------------------------------------------------------------

    def run(self) -> RunInfo:
        table, _ = self._query("SELECT * FROM run")
        row = table.to_pylist()[0]
        return RunInfo(**row)

    def counts(self, viewer: Viewer) -> CohortCounts | None:
        """The latest refresh's cohort, linked, not linked and on roll (:mod:`ever6.publish.counts`);
        ``None`` from a snapshot written before they were kept (the next refresh adds them)."""
        if not (viewer.can(Capability.COHORT_FIGURES) or viewer.can(Capability.DATA_PAGES)):
            raise AccessDenied(f"{viewer.username} may not see cohort counts")
        present, _ = self._query(
            "SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = 'snapshot' AND table_name = ?",
            [COUNTS_TABLE],
        )
        if not present.column("n")[0].as_py():
            return None
        table, _ = self._query(f"SELECT * FROM {COUNTS_TABLE}")  # noqa: S608 (our own table name)
        return CohortCounts(**table.to_pylist()[0])

    def academic_years(self) -> list[str]:
        table, _ = self._query("SELECT DISTINCT academic_year FROM metric ORDER BY academic_year")
        return [str(v) for v in table.column("academic_year").to_pylist()]

    # --- figures ------------------------------------------------------------------------------

    def metrics(self, viewer: Viewer, query: MetricQuery, *, suppressed: bool = False) -> list[dict[str, Any]]:
        """Figures for display and export: ``value`` is the published text (``c``, ``z``, ``12.3``),
        ``figure`` the number it shows (``None`` for a symbol), for charts, gaps and sorting.

        Suppressed whenever the viewer may not see unsuppressed figures, whatever ``suppressed`` says.
        """
        if not (viewer.can(Capability.COHORT_FIGURES) or viewer.can(Capability.SCHOOL_PORTAL)):
            raise AccessDenied(f"{viewer.username} may not see cohort figures")
        if not viewer.can(Capability.UNSUPPRESSED_FIGURES):
            suppressed = True
        identity = self._file_identity()
        rows = _cached_metrics(self, identity, query, suppressed)
        if viewer.can(Capability.UNSUPPRESSED_FIGURES):
            return list(rows)
        # A school user: only its own schools' rows under the school breakdown (the one rule, in
        # ever6.disclosure.for_school), and never a school it does not act for.
        table = pa.Table.from_pylist(list(rows), schema=_SUPPRESSED_SCHEMA)
        allowed: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        for urn in sorted(viewer.urns):
            for row in for_school(table, urn).to_pylist():
                key = tuple(row[f] for f in METRIC_KEY)
                if key not in seen:
                    seen.add(key)
                    allowed.append(row)
        if not viewer.urns:
            allowed = [r for r in table.to_pylist() if r["breakdown"] != "school"]
        return allowed

    def _fetch_metrics(self, query: MetricQuery, suppressed: bool) -> tuple[dict[str, Any], ...]:
        where, params = _where(query)
        name = "metric_suppressed" if suppressed else "metric"
        reason = "suppression_reason, figure" if suppressed else "NULL::VARCHAR AS suppression_reason"
        sql = f"""
            SELECT academic_year, period, measure, "group", breakdown, breakdown_value,
                   numerator, denominator, value, {reason}
            FROM {name} WHERE {where}
            ORDER BY academic_year, period, measure, "group", breakdown, breakdown_value
        """  # noqa: S608 (identifiers are fixed above; values are bound)
        table, _ = self._query(sql, params)
        if suppressed:
            return tuple(table.to_pylist())
        return tuple(
            {**display_row(r), "suppression_reason": None, FIGURE_COLUMN: published_figure(r)}
            for r in table.to_pylist()
        )

    def flow(self, viewer: Viewer) -> list[dict[str, Any]]:
        """Flow into and out of social care per month (``month, event, status, locality, count``;
        ``locality`` null for all localities, and a row per locality of residence when the
        authority defines localities), for Virtual School roles: counts of children, unsuppressed,
        for use inside the Virtual School."""
        viewer.require(Capability.COHORT_FIGURES)
        present, _ = self._query(
            "SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = 'snapshot' AND table_name = 'flow'"
        )
        if not present.column("n")[0].as_py():  # written by a version before flow was published
            raise RefreshNeeded("the published figures predate flow: a data manager needs to run a refresh")
        by_place, _ = self._query(
            "SELECT count(*) AS n FROM duckdb_columns() WHERE database_name = 'snapshot' AND table_name = 'flow'"
            " AND column_name = 'locality'"
        )
        # A snapshot from before the flow had localities holds the all-localities rows only.
        locality = "locality" if by_place.column("n")[0].as_py() else "NULL::VARCHAR AS locality"
        table, _ = self._query(
            f'SELECT month, event, status, {locality}, "count" FROM flow'  # noqa: S608 (fixed text)
            " ORDER BY month, event, status, locality NULLS FIRST"
        )
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows

    def profile(self, viewer: Viewer, *, shared: bool = False) -> list[dict[str, Any]]:
        """The cohort's profile (:mod:`ever6.metrics.profile`): ``as_at, academic_year, group,
        breakdown, breakdown_value, value, figure``, counts of children, never a child's row.

        For Virtual School roles. Exact (``value`` the count) unless ``shared``, or the viewer may
        not see unsuppressed figures: then as shared outside the Virtual School (``value`` the
        published text, ``c`` where withheld, ``figure`` the number it shows).
        """
        viewer.require(Capability.COHORT_FIGURES)
        if not viewer.can(Capability.UNSUPPRESSED_FIGURES):
            shared = True
        present, _ = self._query(
            "SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = 'snapshot' AND table_name = ?",
            [PROFILE_SUPPRESSED_TABLE],
        )
        if not present.column("n")[0].as_py():  # written by a version before the profile was published
            raise RefreshNeeded(
                "the published figures predate the cohort's profile: a data manager needs to run a refresh"
            )
        if shared:
            sql = f"""SELECT as_at, academic_year, "group", breakdown, breakdown_value, value, figure
                      FROM {PROFILE_SUPPRESSED_TABLE}"""  # noqa: S608 (our own table name)
        else:
            sql = f"""SELECT as_at, academic_year, "group", breakdown, breakdown_value,
                             CAST(numerator AS BIGINT)::VARCHAR AS value, numerator AS figure
                      FROM {PROFILE_TABLE}"""  # noqa: S608 (our own table name)
        table, _ = self._query(sql + ' ORDER BY as_at, "group", breakdown, breakdown_value')
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows

    # --- schools and pupils -------------------------------------------------------------------

    def schools(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The school register of the snapshot (GIAS); a school user sees only its own schools."""
        table, _ = self._query("SELECT * FROM school ORDER BY name, urn")
        rows: list[dict[str, Any]] = table.to_pylist()
        if viewer.can(Capability.COHORT_FIGURES) or viewer.can(Capability.PARTNERSHIP):
            return rows
        if viewer.can(Capability.SCHOOL_PORTAL):
            return [r for r in rows if r["urn"] in viewer.urns]
        raise AccessDenied(f"{viewer.username} may not see the school register")

    def school_pupils(
        self,
        viewer: Viewer,
        urn: str,
        *,
        audit: AuditRecorder,
        agreement_in_force: Callable[[str], bool],
        purpose: str = "view",
    ) -> list[dict[str, Any]]:
        """A school's Ever6 CWSW pupils on roll at the snapshot date, each with their attendance and
        suspensions this year (:data:`ATTENDANCE_FIELDS`), for that school's own users, under a
        signed, unexpired data sharing agreement. Recorded in the audit log first."""
        viewer.require_school(urn)
        if not agreement_in_force(urn):
            raise AccessDenied(f"school {urn} has no signed, unexpired data sharing agreement")
        cols = ", ".join(f'p."{c}"' for c in SCHOOL_PUPIL_COLUMNS if c != "la_child_id")
        if self._has_table(PUPIL_ATTENDANCE_TABLE):
            # Each pupil's attendance and suspensions this year (ever6.publish.pupil_attendance).
            extra = ", ".join(f'a."{c}" AS "{c}"' for c in ATTENDANCE_FIELDS if c != "attendance_year")
            sql = (
                f"SELECT {cols}, a.academic_year AS attendance_year, {extra} FROM school_pupil p "  # noqa: S608
                f"LEFT JOIN {PUPIL_ATTENDANCE_TABLE} a USING (urn, upn) WHERE p.urn = ? "
                "ORDER BY p.surname, p.forename"
            )
        else:  # a snapshot written before they were published: no figure, not a zero
            nulls = ", ".join(f'NULL AS "{c}"' for c in ATTENDANCE_FIELDS)
            sql = f"SELECT {cols}, {nulls} FROM school_pupil p WHERE p.urn = ? ORDER BY p.surname, p.forename"  # noqa: S608
        table, _ = self._query(sql, [urn])
        rows: list[dict[str, Any]] = table.to_pylist()
        audit(viewer, AuditEntry(action=purpose, what="school_pupils", object_id=urn, rows=len(rows)))
        return rows

    def cohort_counts_by_school(self, viewer: Viewer) -> dict[str, int]:
        """Linked Ever6 CWSW pupils on roll per school (for coverage views), for Virtual School roles."""
        if not (viewer.can(Capability.COHORT_FIGURES) or viewer.can(Capability.PARTNERSHIP)):
            raise AccessDenied(f"{viewer.username} may not see cohort counts")
        table, _ = self._query("SELECT urn, count(*) AS n FROM school_pupil GROUP BY urn")
        return {str(r["urn"]): int(r["n"]) for r in table.to_pylist()}

    # --- school portal queries ----------------------------------------------------------------
    # A school user's own schools only: every method checks the URN against the viewer first, so a
    # page cannot reach another school's rows whatever URN it is given.

    def portal_school(self, viewer: Viewer, urn: str) -> dict[str, Any] | None:
        """The GIAS details of a school the viewer acts for; ``None`` when GIAS no longer lists it."""
        viewer.require_school(urn)
        table, _ = self._query("SELECT * FROM school WHERE urn = ?", [urn])
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows[0] if rows else None

    def authority_la_code(self) -> str:
        """The authority's LA number: ``[authority] la_code`` as the refresh recorded it or, without
        one, the LA most of the published schools belong to, as the linkage report takes it;
        otherwise every school, the authority's own included, would read as outside it."""
        la_code = self.run().la_code
        if la_code:
            return str(la_code)
        table, _ = self._query(
            "SELECT la_code FROM school WHERE la_code IS NOT NULL AND la_code <> '' "
            "GROUP BY la_code ORDER BY count(*) DESC, la_code LIMIT 1"
        )
        codes = table.column("la_code").to_pylist()
        return str(codes[0]) if codes else ""

    def home_authority(self) -> tuple[str, str]:
        """The authority's LA number and name (as GIAS names it on its own schools), for file headers."""
        la_code = self.authority_la_code()
        table, _ = self._query(
            "SELECT la_name FROM school WHERE la_code = ? AND la_name IS NOT NULL "
            "GROUP BY la_name ORDER BY count(*) DESC, la_name LIMIT 1",
            [la_code],
        )
        names = [str(v) for v in table.column("la_name").to_pylist()]
        return la_code, (names[0] if names else "")

    def portal_figures(
        self, viewer: Viewer, urn: str, *, academic_year: str, period: str, measures: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """A school's figures as shared outside the Virtual School (always suppressed): its Ever6
        CWSW pupils and its other pupils (``school`` breakdown), and the authority's Ever6 CWSW
        pupils (``all`` breakdown) to compare with."""
        viewer.require_school(urn)
        school = self.metrics(
            viewer,
            MetricQuery(academic_year, period, measures, ("cwsw", "not_cwsw"), "school", (urn,)),
            suppressed=True,
        )
        authority = self.metrics(
            viewer, MetricQuery(academic_year, period, measures, ("cwsw",), "all", None), suppressed=True
        )
        return [*school, *authority]

    def portal_pupil_count(self, viewer: Viewer, urn: str) -> int:
        """How many Ever6 CWSW pupils a school's list has (a count, no pupil's row), for its own
        users: the page reconciles it with the figures' count of the year's enrolments."""
        viewer.require_school(urn)
        table, _ = self._query("SELECT count(*) AS n FROM school_pupil WHERE urn = ?", [urn])
        return int(table.column("n").to_pylist()[0])

    def portal_pupils(
        self,
        viewer: Viewer,
        urn: str,
        *,
        audit: AuditRecorder,
        agreement_in_force: Callable[[str], bool],
        action: str = "view",
        what: str = "school_pupils",
        detail: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """:meth:`school_pupils` (same checks, same query), recorded as ``action`` of ``what``: a
        download of the list or of the MIS marker is audited as such, with its format."""

        def recorder(who: Viewer, entry: AuditEntry) -> None:
            audit(who, replace(entry, action=action, what=what, detail={**entry.detail, **(detail or {})}))

        return self.school_pupils(viewer, urn, audit=recorder, agreement_in_force=agreement_in_force, purpose=action)

    # --- allocation and events (docs/notifications.md) ------------------------------------------

    def _has_table(self, name: str) -> bool:
        table, _ = self._query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ?", [name])
        return bool(table.column("n")[0].as_py())

    def event_retention_days(self) -> int:
        """How long events are kept (``[notifications] retention_days`` at the last refresh)."""
        return self.run().event_retention_days

    def data_events(self, viewer: Viewer, *, audit: AuditRecorder) -> list[dict[str, Any]]:
        """Every event the last refresh found in the data, with the child's allocation: for the
        notification process only (pupil rows across the authority), recorded in the audit log."""
        viewer.require(Capability.PUPIL_ROWS)
        if not self._has_table(EVENT_TABLE):
            return []
        table, _ = self._query(
            f"SELECT e.*, a.worker_email, a.team_email FROM {EVENT_TABLE} e "  # noqa: S608 (our own table names)
            f"LEFT JOIN {ALLOCATION_TABLE} a USING (la_child_id) ORDER BY e.event_date, e.la_child_id, e.kind"
        )
        rows: list[dict[str, Any]] = table.to_pylist()
        audit(viewer, AuditEntry(action="process", what="data_events", rows=len(rows)))
        return rows

    def allocation(self, viewer: Viewer, la_child_id: str) -> dict[str, Any] | None:
        """One child's allocation (worker, team, plan open), for the notification process."""
        viewer.require(Capability.PUPIL_ROWS)
        if not self._has_table(ALLOCATION_TABLE):
            return None
        table, _ = self._query(f"SELECT * FROM {ALLOCATION_TABLE} WHERE la_child_id = ?", [la_child_id])  # noqa: S608
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows[0] if rows else None

    def allocated_children(self, viewer: Viewer, *, audit: AuditRecorder) -> list[dict[str, Any]]:
        """The children allocated to a social worker (by their email), with their schools on roll.
        Recorded in the audit log first."""
        email = viewer.require_allocated()
        if not self._has_table(ALLOCATION_TABLE):
            return []
        table, _ = self._query(
            f"SELECT a.la_child_id, a.forename, a.surname, a.birth_date, a.plan_open, a.open_plans, "  # noqa: S608
            f"a.team, p.urn, p.upn FROM {ALLOCATION_TABLE} a LEFT JOIN school_pupil p USING (la_child_id) "
            "WHERE lower(a.worker_email) = ? ORDER BY a.surname, a.forename, a.la_child_id",
            [email],
        )
        rows: list[dict[str, Any]] = table.to_pylist()
        audit(viewer, AuditEntry(action="view", what="allocated_children", object_id=email, rows=len(rows)))
        return rows

    def portal_allocations(
        self,
        viewer: Viewer,
        urn: str,
        *,
        audit: AuditRecorder,
        agreement_in_force: Callable[[str], bool],
    ) -> dict[str, dict[str, Any]]:
        """For each of a school's Ever6 CWSW pupils (by UPN): whether a plan is open now and how to
        reach the allocated team, for that school's own users under a signed agreement; audited."""
        viewer.require_school(urn)
        if not agreement_in_force(urn):
            raise AccessDenied(f"school {urn} has no signed, unexpired data sharing agreement")
        if not self._has_table(ALLOCATION_TABLE):
            return {}
        table, _ = self._query(
            "SELECT p.upn, p.la_child_id, a.plan_open, a.open_plans, a.worker_name, a.worker_email, "  # noqa: S608
            f"a.team, a.team_email FROM school_pupil p JOIN {ALLOCATION_TABLE} a USING (la_child_id) WHERE p.urn = ?",
            [urn],
        )
        rows = {str(r["upn"]): r for r in table.to_pylist()}
        audit(viewer, AuditEntry(action="view", what="pupil_allocations", object_id=urn, rows=len(rows)))
        return rows


_SUPPRESSED_SCHEMA = pa.schema(
    [
        *(pa.field(f, pa.string()) for f in METRIC_KEY),
        pa.field("numerator", pa.float64()),
        pa.field("denominator", pa.float64()),
        pa.field("value", pa.string()),
        pa.field("suppression_reason", pa.string()),
        pa.field(FIGURE_COLUMN, pa.float64()),
    ]
)


def _check_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Raise :class:`RefreshNeeded` when the attached snapshot lacks a column this version reads."""
    present = set(
        con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'snapshot'").fetchall()
    )
    tables = {t for t, _ in present}
    for table, columns in REQUIRED_COLUMNS.items():
        if table in tables and any((table, c) not in present for c in columns):
            raise RefreshNeeded(
                "the published figures were written by an earlier version of ever6: "
                "a data manager needs to run a refresh"
            )


def _in(column: str, values: Iterable[str]) -> tuple[str, list[str]]:
    values = list(values)
    return f'"{column}" IN ({", ".join("?" for _ in values)})', values


def _where(query: MetricQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = ["TRUE"]
    params: list[Any] = []
    for column, value in (
        ("academic_year", query.academic_year),
        ("period", query.period),
        ("breakdown", query.breakdown),
    ):
        if value is not None:
            clauses.append(f'"{column}" = ?')
            params.append(value)
    for column, values in (
        ("measure", query.measures),
        ("group", query.groups),
        ("breakdown_value", query.breakdown_values),
    ):
        if values is not None:
            if not values:
                clauses.append("FALSE")
                continue
            clause, vals = _in(column, values)
            clauses.append(clause)
            params += vals
    return " AND ".join(clauses), params


@lru_cache(maxsize=2048)
def _cached_metrics(
    snapshot: Snapshot, identity: tuple[int, int], query: MetricQuery, suppressed: bool
) -> tuple[dict[str, Any], ...]:
    """Figures change only with a new snapshot (a new file identity), so a page's query is cached."""
    return snapshot._fetch_metrics(query, suppressed)
