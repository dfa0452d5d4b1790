"""Data management through the permission-checked interface: imports, rollback, data quality,
the clerical review queue and refreshes, for the data manager's pages.

The web layer may not reach the warehouse, the linkage or the publish stage itself (an import-linter
contract); it calls :class:`Operations`, whose every method takes the :class:`Viewer` first,
checks the viewer's capability, and records pupil-level views and linkage decisions with the
:data:`AuditRecorder` it is given.

The warehouse is one DuckDB file with a single writer, and ``ever6 import`` or ``ever6 refresh``
may hold it for minutes. So each call opens it only for as long as the call takes (read-only to
read), and a file another process (or this process's own refresh) holds is
:class:`WarehouseBusy`, at once, never a wait.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ever6.access.roles import Capability
from ever6.access.viewer import AuditEntry, AuditRecorder, Viewer
from ever6.config import Settings, load_settings

# One import batch's provenance, as the data manager sees it: the warehouse's own record.
from ever6.provenance import Batch as ImportRecord

if TYPE_CHECKING:
    from ever6.linkage.report import MatchReport
    from ever6.warehouse.store import Warehouse

# The warehouse, the linkage and the publish stage are imported where an operation needs them, not
# here: every web request module imports this interface, and must not load DuckDB or Ibis to do so
# (tests/access/test_import_time.py).

BUSY_MESSAGE = "The warehouse is busy: an import or refresh is running; try again in a few minutes."

# One writer per web process: a refresh thread holds this for its whole run, so a rollback or a
# linkage decision made meanwhile is refused as busy instead of racing the refresh.
_WRITER = threading.Lock()

# DuckDB's words for "another connection holds this file": another process's lock, or (inside this
# process) a connection opened with the other read-only setting.
_BUSY_SIGNS = ("lock", "different configuration")

IDENTITY_FIELDS = (
    ("forename", "Forename"),
    ("surname", "Surname"),
    ("birth_date", "Date of birth"),
    ("sex", "Sex"),
    ("postcode", "Postcode"),
)


class WarehouseBusy(RuntimeError):
    """Another process (an import, a refresh) holds the warehouse; try again shortly."""

    def __init__(self, message: str = BUSY_MESSAGE) -> None:
        super().__init__(message)


class NoWarehouse(LookupError):
    """Nothing has been imported yet, so there is no warehouse to read."""


class NotFound(LookupError):
    """No such import batch, or no such pair in the review queue."""


class OperationRefused(ValueError):
    """The operation cannot be done as asked (already rolled back, no reason given, ...)."""


# --- what the pages show ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int | None
    field: str | None
    severity: str
    message: str
    rule: str | None = None  # the DfE validation rule, for their issues


@dataclass(frozen=True)
class ImportPreview:
    """What importing files would bring in, read and not kept: rows per table and the problems."""

    format: str
    files: tuple[str, ...]
    rows: dict[str, int]
    problems: list[ImportProblem]
    years: tuple[int, ...] = ()  # the collection years the files are of
    reference_dates: tuple[date, ...] = ()  # their reference dates (a census's), earliest first
    already: tuple[ImportRecord, ...] = ()  # active batches of the same content: nothing would change
    same_period: tuple[ImportRecord, ...] = ()  # active batches of the format and year: their records are replaced

    @property
    def refused(self) -> bool:
        """Whether the import would be refused (an error in any file): nothing would be imported."""
        return any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class ImportFormat:
    """An import format as the upload page offers it (the registry's entry, without its reader)."""

    name: str
    help: str
    tables: tuple[str, ...]
    mapping: bool  # takes a column mapping
    year: bool  # takes the collection year
    one_batch: bool  # its files make one batch together
    dfe_rules: bool  # the DfE rules run on its batches (reading its files again)


def import_formats() -> list[ImportFormat]:
    """Every format ``ever6 import`` takes, in the registry's order."""
    from ever6.formats import FORMATS

    return [
        ImportFormat(f.name, " ".join(f.help.split()), f.tables, f.mapping, f.year, f.one_batch, f.dfe_rules)
        for f in FORMATS.values()
    ]


class ImportFilesRefused(OperationRefused):
    """The files were refused: nothing was imported; ``problems`` says why, line by line."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"Refused: {len(problems)} problem(s); nothing was imported.")
        self.problems = problems


@dataclass(frozen=True)
class RunSummary:
    """A published refresh run."""

    run_id: int
    as_at: date
    started_at: datetime
    finished_at: datetime
    run_by: str
    row_counts: dict[str, int]
    batches: tuple[int, ...]


@dataclass(frozen=True)
class Overview:
    latest_run: RunSummary | None
    imports_active: int
    imports_rolled_back: int
    imports_since_run: int  # active batches the latest run did not include
    review_queue: int | None  # None: linkage has not run
    warnings: int  # recovered problems in active batches
    linkage_issues: int | None


@dataclass(frozen=True)
class QualityReport:
    """Counts only (no pupil rows): safe to show and download as they are."""

    latest_run: RunSummary | None
    problems_by_format: list[dict[str, Any]]  # format, severity, batches, problems
    problems_by_field: list[dict[str, Any]]  # format, field, problems
    dfe_rules: list[dict[str, Any]]  # format, rule, message, batches, issues, children (DfE rules on import)
    linkage_issues: list[dict[str, Any]]  # kind, source_table, issues
    linked_by_method: list[dict[str, Any]]  # method, children
    unmatched_by_reason: list[dict[str, Any]]  # reason, children (school age)
    match_rate: dict[str, Any]  # children, linked, rate; school_age_children, school_age_linked
    link_run: dict[str, Any] | None  # run_at, run_by, engine
    cohort_upn: list[dict[str, Any]]  # status, children, without_upn
    enrolments_without_school: dict[str, int]  # schools, enrolments
    stale_batches: list[dict[str, Any]]  # batches rolled back since the latest run used them
    notes: list[str] = field(default_factory=list)


# --- the interface -------------------------------------------------------------------------------


class Operations:
    """The data manager's operations on one warehouse file."""

    def __init__(self, warehouse_path: Path, *, settings: Settings | None = None) -> None:
        self.path = Path(warehouse_path)
        self._settings = settings

    @property
    def settings(self) -> Settings:
        """The authority's ever6 settings (``ever6.toml`` beside the warehouse), read each time: a
        change to the file applies to the next refresh without restarting the web service."""
        return self._settings or load_settings(self.path.parent)

    # --- opening the warehouse ----------------------------------------------------------------

    @contextmanager
    def _open(self, *, write: bool = False, wait: float = 2.0, create: bool = False) -> Iterator[Warehouse]:
        """The warehouse for one call. ``wait``: seconds to keep trying when this process's own
        brief readers hold it (another process's import is reported busy at once). ``create``: a
        first import makes it."""
        import duckdb

        from ever6.warehouse.opening import who_holds
        from ever6.warehouse.store import Warehouse

        if write and not _WRITER.acquire(blocking=False):
            raise WarehouseBusy
        try:
            if not self.path.exists() and not (write and create):
                raise NoWarehouse("nothing has been imported yet: import files first (Data management, Import files)")
            deadline = time.monotonic() + wait
            while True:
                try:
                    wh = Warehouse(self.path, read_only=not write, purpose="a change from the web service")
                    break
                except (duckdb.IOException, duckdb.ConnectionException) as exc:
                    if not any(sign in str(exc).lower() for sign in _BUSY_SIGNS):
                        raise
                    # Another process holds the lock: busy now, and likely for minutes.
                    if isinstance(exc, duckdb.IOException) or time.monotonic() >= deadline:
                        held = who_holds(self.path, exc)  # what another process recorded doing
                        raise WarehouseBusy(
                            f"The warehouse is busy: {held}; try again in a few minutes." if held else BUSY_MESSAGE
                        ) from exc
                    time.sleep(0.1)
            try:
                yield wh
            finally:
                wh.close()
        finally:
            if write:
                _WRITER.release()

    # --- overview ------------------------------------------------------------------------------

    def overview(self, viewer: Viewer) -> Overview:
        viewer.require(Capability.DATA_PAGES)
        from ever6.warehouse import queries

        with self._open() as wh:
            batches = self._batches(wh)
            run = _latest_run(wh)
            included = set(run.batches) if run else set()
            queue, issues = queries.linkage_counts(wh) or (None, None)
            warnings = queries.warning_count(wh)
            return Overview(
                latest_run=run,
                imports_active=sum(b.active for b in batches),
                imports_rolled_back=sum(not b.active for b in batches),
                imports_since_run=sum(b.active and b.batch_id not in included for b in batches),
                review_queue=queue,
                warnings=warnings,
                linkage_issues=issues,
            )

    # --- imports ------------------------------------------------------------------------------

    def _batches(self, wh: Warehouse) -> list[ImportRecord]:
        from ever6.warehouse.queries import has_table

        return wh.batches() if has_table(wh, "import_batch") else []

    def imports(self, viewer: Viewer, *, fmt: str | None = None) -> list[ImportRecord]:
        """Every import batch, newest first; ``fmt`` keeps one format's."""
        viewer.require(Capability.DATA_PAGES)
        with self._open() as wh:
            records = self._batches(wh)
        if fmt:
            records = [r for r in records if r.format == fmt]
        return sorted(records, key=lambda r: r.batch_id, reverse=True)

    def import_detail(self, viewer: Viewer, batch_id: int) -> tuple[ImportRecord, list[ImportProblem]]:
        """One batch's provenance and the problems its reader recovered from."""
        viewer.require(Capability.DATA_PAGES)
        from ever6.warehouse.queries import has_table
        from ever6.warehouse.store import RollbackError

        with self._open() as wh:
            if not has_table(wh, "import_batch"):
                raise NotFound(f"there is no import batch {batch_id}")
            try:
                batch = wh.batch(batch_id)
            except RollbackError as exc:
                raise NotFound(str(exc)) from exc
            problems = [_problem(p) for p in wh.problems(batch_id)]
        return batch, problems

    def preview_import(
        self, viewer: Viewer, fmt: str, paths: list[Path], *, mapping: Path | None = None, year: int | None = None
    ) -> ImportPreview:
        """Read files of one format as the import would, keeping nothing: the warehouse is not opened."""
        viewer.require(Capability.DATA_PAGES)
        from ever6.publish.imports import ImportRefused, preview_sources

        try:
            results = preview_sources(self.settings, fmt, paths, mapping=mapping, year=year)
        except ImportRefused as exc:  # a column mapping that cannot be read, say: said as the import would
            return ImportPreview(fmt, tuple(p.name for p in paths), {}, [_problem(p) for p in exc.problems])
        rows: dict[str, int] = {}
        for result in results:
            for table, n in result.row_counts().items():
                rows[table] = rows.get(table, 0) + n
        problems = [_problem(p) for r in results for p in r.problems]
        years = tuple(sorted({r.year for r in results if r.year is not None}))
        dates = tuple(sorted({r.reference_date for r in results if r.reference_date is not None}))
        already, same_period = self.import_overlap(viewer, fmt, paths, years)
        return ImportPreview(
            fmt, tuple(p.name for p in paths), rows, problems, years, dates, tuple(already), tuple(same_period)
        )

    def import_overlap(
        self, viewer: Viewer, fmt: str, paths: list[Path], years: tuple[int, ...]
    ) -> tuple[list[ImportRecord], list[ImportRecord]]:
        """The active batches files would duplicate (the same content: importing them changes
        nothing), and those of the same format and collection year, whose records the new ones
        replace where they are the same record (the newest batch's version wins). None when
        nothing has been imported yet, or the warehouse is busy (a preview does not wait for it)."""
        viewer.require(Capability.DATA_PAGES)
        from ever6.formats import format_named
        from ever6.provenance import file_sha256

        if not self.path.exists():
            return [], []
        groups = [list(paths)] if format_named(fmt).one_batch else [[p] for p in paths]
        digests = {file_sha256(g) for g in groups if g}
        try:
            with self._open(wait=0.5) as wh:
                batches = [b for b in self._batches(wh) if b.active and b.format == fmt]
        except WarehouseBusy:
            return [], []
        already = [b for b in batches if b.sha256 in digests]
        same = [b for b in batches if b not in already and b.year is not None and b.year in years]
        return already, same

    def import_files(
        self,
        viewer: Viewer,
        fmt: str,
        paths: list[Path],
        *,
        audit: AuditRecorder,
        mapping: Path | None = None,
        year: int | None = None,
        progress: Callable[[str, float], None] | None = None,
    ) -> list[ImportRecord]:
        """Import files of one format as ``ever6 import`` does: one atomic batch per file (or per
        return), all or none, by this viewer, recorded in the audit log. A refusal changes nothing
        and raises :class:`ImportFilesRefused`; the first import creates the warehouse."""
        viewer.require(Capability.DATA_PAGES)
        from ever6.publish.imports import ImportRefused, import_sources

        try:
            with self._open(write=True, wait=30.0, create=True) as wh:
                outcomes = import_sources(
                    wh, self.settings, fmt, paths, mapping=mapping, year=year, who=viewer.username, progress=progress
                )
        except ImportRefused as exc:
            audit(viewer, AuditEntry(action="import_refused", what="import_batch", detail={"format": fmt}))
            raise ImportFilesRefused([_problem(p) for p in exc.problems]) from exc
        records = [o.batch for o in outcomes]
        audit(
            viewer,
            AuditEntry(
                action="import",
                what="import_batch",
                object_id=",".join(str(r.batch_id) for r in records),
                rows=sum(r.rows for r in records),
                detail={"format": fmt, "files": [p.name for p in paths], "new": [o.created for o in outcomes]},
            ),
        )
        return records

    def rollback(self, viewer: Viewer, batch_id: int, *, audit: AuditRecorder | None = None) -> ImportRecord:
        """Take a batch's rows out of the warehouse; its provenance stays, with who rolled it back
        (and, given ``audit``, the audit log records it too)."""
        viewer.require(Capability.DATA_PAGES)
        from ever6.warehouse.store import RollbackError

        with self._open(write=True) as wh:
            try:
                batch = wh.batch(batch_id)
            except RollbackError as exc:
                raise NotFound(str(exc)) from exc
            if not batch.active:
                raise OperationRefused(
                    f"import {batch_id} was already rolled back on {batch.rolled_back_at:%d %B %Y at %H:%M} "
                    f"by {batch.rolled_back_by}"
                )
            done = wh.rollback(batch_id, who=viewer.username)
        if audit is not None:
            audit(
                viewer,
                AuditEntry(
                    action="rollback",
                    what="import_batch",
                    object_id=str(done.batch_id),
                    rows=done.rows,
                    detail={"format": done.format, "files": list(done.files)},
                ),
            )
        return done

    # --- data quality -------------------------------------------------------------------------

    def quality(self, viewer: Viewer) -> QualityReport:
        """Counts that tell the data manager what to fix at source: reader problems, linkage
        issues, the match report of the latest linkage, children without a UPN, enrolments at
        schools the register does not hold, and batches rolled back since the latest refresh."""
        viewer.require(Capability.DATA_PAGES)
        with self._open() as wh:
            return self._quality(wh)

    def _quality(self, wh: Warehouse) -> QualityReport:
        from ever6.warehouse import queries

        notes: list[str] = []
        has_batches = queries.has_table(wh, "import_batch")
        problems_by_format = problems_by_field = dfe = []
        if has_batches:
            dfe = queries.dfe_rule_issues(wh)
            problems_by_format = queries.problems_by_format(wh)
            problems_by_field = queries.problems_by_field(wh)
        run = _latest_run(wh)
        linkage_issues: list[dict[str, Any]] = []
        linked_by_method: list[dict[str, Any]] = []
        unmatched: list[dict[str, Any]] = []
        rate: dict[str, Any] = {}
        link_run = None
        if queries.has_table(wh, "link_run"):
            linkage_issues = queries.linkage_issue_counts(wh)
            link_run = queries.latest_link_run(wh)
            if link_run is not None:
                from ever6.warehouse.linkage_store import LinkageStore

                link_run["probabilistic_skipped"] = LinkageStore(wh).probabilistic_skipped()
            if run is not None:
                report = self._match_report(wh, run)
                linked_by_method = [{"method": m, "children": n} for m, n in report.by_method.items()]
                unmatched = [{"reason": r, "children": n} for r, n in report.unmatched_school_age.items()]
                rate = {
                    "children": report.overall.children,
                    "linked": report.overall.linked,
                    "rate": report.overall.rate,
                    "school_age_children": report.school_age.children,
                    "school_age_linked": report.school_age.linked,
                    "school_age_rate": report.school_age.rate,
                }
                notes += report.notes
        else:
            notes.append("Linkage has not run yet: start a refresh to link the cohort to school records.")
        cohort_upn: list[dict[str, Any]] = []
        stale: list[dict[str, Any]] = []
        if run is not None:
            cohort_upn = queries.cohort_upn_coverage(wh, run.run_id)
            if run.batches:
                stale = [
                    {
                        "batch_id": b.batch_id,
                        "format": b.format,
                        "rolled_back_at": b.rolled_back_at,
                        "rolled_back_by": b.rolled_back_by,
                    }
                    for b in self._batches(wh)
                    if not b.active and b.batch_id in run.batches
                ]
        else:
            notes.append("Nothing has been published yet: start a refresh to build the cohort.")
        without_school = {"schools": 0, "enrolments": 0}
        if has_batches:
            without_school = queries.enrolments_without_school(wh)
        return QualityReport(
            latest_run=run,
            problems_by_format=problems_by_format,
            problems_by_field=problems_by_field,
            dfe_rules=dfe,
            linkage_issues=linkage_issues,
            linked_by_method=linked_by_method,
            unmatched_by_reason=unmatched,
            match_rate=rate,
            link_run=link_run,
            cohort_upn=cohort_upn,
            enrolments_without_school=without_school,
            stale_batches=stale,
            notes=notes,
        )

    def _match_report(self, wh: Warehouse, run: RunSummary) -> MatchReport:
        """The match report for the latest published cohort and the stored links (which carry the
        data manager's decisions since): the cohort is read, not rebuilt, so the page stays cheap."""
        from ever6.linkage.deterministic import current  # Ibis and the linkage: loaded when needed
        from ever6.linkage.report import build_report
        from ever6.warehouse.linkage_store import LinkageStore
        from ever6.warehouse.queries import cohort_members

        store = LinkageStore(wh)
        members = cohort_members(wh, run.run_id)
        establishments = current(wh.raw_tables(), "establishment").select("urn", "la_code", "name").to_pyarrow()
        linkage = self.settings.linkage
        if linkage.la_code is None and self.settings.authority.la_code:
            linkage = replace(linkage, la_code=self.settings.authority.la_code)
        return build_report(
            run.as_at, members, store.table("link"), store.table("link_status"), establishments, linkage
        )

    def linkage_issue_rows(
        self, viewer: Viewer, *, audit: AuditRecorder, limit: int = 500, purpose: str = "view"
    ) -> list[dict[str, Any]]:
        """The linkage's data-quality issues, one row per record to fix at source (pupil-level:
        child ids and values), recorded in the audit log before they are returned."""
        viewer.require(Capability.DATA_PAGES)
        viewer.require(Capability.PUPIL_ROWS)
        from ever6.warehouse.queries import linkage_issues

        with self._open() as wh:
            rows = linkage_issues(wh, limit)
        audit(viewer, AuditEntry(action=purpose, what="linkage_issues", rows=len(rows)))
        return rows

    # --- the clerical review queue --------------------------------------------------------------

    def review_queue(
        self,
        viewer: Viewer,
        *,
        audit: AuditRecorder,
        offset: int = 0,
        limit: int | None = None,
        purpose: str = "view",
    ) -> tuple[list[dict[str, Any]], int]:
        """Pairs awaiting a decision (best first), each child and candidate pupil side by side with
        the school and which identity fields agree; and the queue's size. Pupil-level rows:
        recorded (``purpose`` ``view`` or ``download``, what ``linkage_review``) before returning."""
        viewer.require(Capability.DATA_PAGES)
        viewer.require(Capability.PUPIL_ROWS)
        from ever6.linkage.review import review_queue
        from ever6.warehouse.queries import has_table, school_names

        with self._open() as wh:
            if not has_table(wh, "link_run"):
                return [], 0
            table = review_queue(wh)
            names = school_names(wh)
        total = table.num_rows
        page = table.slice(offset, limit) if limit is not None else table.slice(offset)
        rows = [_pair(r, names) for r in page.to_pylist()]
        audit(
            viewer,
            AuditEntry(
                action=purpose,
                what="linkage_review",
                rows=len(rows),
                detail={"offset": offset, "queue": total, "children": sorted({r["la_child_id"] for r in rows})},
            ),
        )
        return rows, total

    def decide(
        self,
        viewer: Viewer,
        la_child_id: str,
        upn: str,
        decision: str,
        reason: str,
        *,
        audit: AuditRecorder,
    ) -> dict[str, Any]:
        """Accept or reject one pair in the queue, with a reason. Stored by the linkage module (kept
        across refreshes, applied to the links at once) and recorded in the audit log."""
        viewer.require(Capability.DATA_PAGES)
        viewer.require(Capability.PUPIL_ROWS)
        from ever6.linkage.review import decide
        from ever6.warehouse.linkage_store import DECISIONS, DecisionError
        from ever6.warehouse.queries import has_table, review_pair_school

        if decision not in DECISIONS:
            raise OperationRefused("Choose accept or reject")
        if not reason or not reason.strip():
            raise OperationRefused("Enter the reason for your decision")
        with self._open(write=True) as wh:
            if not has_table(wh, "link_review"):
                raise NotFound("linkage has not run yet")
            urn = review_pair_school(wh, la_child_id, upn)
            # Only pairs the model proposed can be decided here: a crafted form cannot link any child
            # to any pupil.
            if urn is None:
                raise NotFound(f"child {la_child_id} and pupil {upn} are not a pair awaiting review")
            try:
                made = decide(wh, la_child_id, upn, decision, reason.strip(), urn=urn, who=viewer.username)
            except DecisionError as exc:
                raise OperationRefused(str(exc)) from exc
        audit(
            viewer,
            AuditEntry(
                action="decision",
                what="linkage_review",
                object_id=made.la_child_id,
                rows=1,
                detail={"upn": made.upn, "urn": made.urn, "decision": made.decision, "reason": made.reason},
            ),
        )
        return {
            "la_child_id": made.la_child_id,
            "upn": made.upn,
            "urn": made.urn,
            "decision": made.decision,
            "reason": made.reason,
            "decided_by": made.decided_by,
            "decided_at": made.decided_at,
        }

    # --- refresh -----------------------------------------------------------------------------

    def latest_run(self, viewer: Viewer) -> RunSummary | None:
        viewer.require(Capability.DATA_PAGES)
        with self._open() as wh:
            return _latest_run(wh)

    def refresh(
        self, viewer: Viewer, as_at: date, *, progress: Callable[[str, float], None] | None = None
    ) -> RunSummary:
        """Rebuild the cohort, links and measures at ``as_at`` and publish them (and the web
        snapshot) as one run, by this viewer. Minutes at a county's scale: call it off the request."""
        viewer.require(Capability.DATA_PAGES)
        from ever6.publish.pipeline import refresh
        from ever6.warehouse.published import Published

        settings = self.settings
        # A page's brief read may hold the file for a moment; wait for it, not for an import.
        with self._open(write=True, wait=30.0) as wh:
            run = refresh(wh, settings, as_at, who=viewer.username, progress=progress)
            latest = Published(wh).run(run.run_id)
        return _summary(latest)


def writer_busy() -> bool:
    """Whether this process is writing to the warehouse now (a refresh thread, a rollback)."""
    if _WRITER.acquire(blocking=False):
        _WRITER.release()
        return False
    return True


def process_alive(pid: int) -> bool:
    """Whether a process still runs (a refresh started by a web worker that has since stopped is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- helpers -----------------------------------------------------------------------------------


def _summary(run: Any) -> RunSummary:
    return RunSummary(
        run_id=int(run.run_id),
        as_at=run.as_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        run_by=run.run_by,
        row_counts=dict(run.row_counts),
        batches=tuple(run.batches),
    )


def _latest_run(wh: Warehouse) -> RunSummary | None:
    from ever6.warehouse.published import Published

    run = Published(wh).latest()
    return _summary(run) if run else None


def _problem(p: Any) -> ImportProblem:
    """A reader's problem (:class:`ever6.formats.problems.Problem`) as the pages show it."""
    return ImportProblem(
        Path(p.file).name,
        p.line,
        p.field,
        p.severity.value,
        p.message if p.rule is None else f"DfE rule {p.rule}, child {p.child or '-'}: {p.message}",
        p.rule,
    )


def _same(field_name: str, a: Any, b: Any) -> bool | None:
    """Whether the child's and the pupil's value agree as the linkage compares them; ``None`` when
    either is missing (nothing to compare)."""
    from ever6.linkage.normalise import normalise_name
    from ever6.postcode import normalise_postcode

    if a is None or b is None or a == "" or b == "":
        return None
    if field_name in ("forename", "surname"):
        return normalise_name(str(a)) == normalise_name(str(b))
    if field_name == "postcode":
        return normalise_postcode(str(a)) == normalise_postcode(str(b))
    if field_name == "sex":
        return str(a).strip().upper()[:1] == str(b).strip().upper()[:1]
    return bool(a == b)


def _pair(row: dict[str, Any], school_names: dict[str, str]) -> dict[str, Any]:
    from ever6.linkage.review import evidence

    agreement = {f: _same(f, row.get(f"child_{f}"), row.get(f"pupil_{f}")) for f, _ in IDENTITY_FIELDS}
    urn = row.get("urn")
    labels = dict(IDENTITY_FIELDS)
    return {
        **row,
        # The model's evidence for the pair: each field's agreement level and match weight.
        "evidence_rows": [
            {"label": labels.get(e["field"], e["field"]), "level": e["level"], "weight": f"{e['weight']:+.1f}"}
            for e in evidence(row.get("evidence"))
        ],
        "school": school_names.get(str(urn), "") if urn else "",
        "agree": agreement,
        "matching_fields": [label for f, label in IDENTITY_FIELDS if agreement[f]],
        "differing_fields": [label for f, label in IDENTITY_FIELDS if agreement[f] is False],
    }


__all__ = [
    "BUSY_MESSAGE",
    "IDENTITY_FIELDS",
    "ImportFilesRefused",
    "ImportFormat",
    "ImportPreview",
    "ImportProblem",
    "ImportRecord",
    "NoWarehouse",
    "NotFound",
    "OperationRefused",
    "Operations",
    "Overview",
    "QualityReport",
    "RunSummary",
    "WarehouseBusy",
    "import_formats",
    "process_alive",
    "writer_busy",
]
