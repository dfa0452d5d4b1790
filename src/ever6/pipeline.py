"""What the CLI and the demo do, as plain functions: read sources, import them, build outputs.

The CLI is a thin layer over this module, so every command can be tested and reused (the demo
runs the same steps a data manager would).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

import ibis
import pyarrow as pa

from ever6.access.snapshot import write_snapshot
from ever6.attendance import code_table
from ever6.cohort import COHORT_COLUMNS, cohort, current_tables
from ever6.config import CohortSettings, Settings
from ever6.disclosure import for_school
from ever6.exports import write_csv
from ever6.formats.attainment import read_attainment
from ever6.formats.attendance_marks import stream_attendance_marks
from ever6.formats.attendance_termly import read_attendance_termly
from ever6.formats.case_management import load_mapping, read_case_management
from ever6.formats.cin_census import read_cin_census
from ever6.formats.exclusions import read_exclusions
from ever6.formats.gias import read_gias
from ever6.formats.problems import ReadResult
from ever6.formats.pupils import load_mapping as load_pupil_mapping
from ever6.formats.pupils import read_pupils
from ever6.formats.school_census import read_school_census
from ever6.formats.ssda903 import read_ssda903
from ever6.metrics import Inputs, compute_metrics
from ever6.metrics.export import EXPORT_COLUMNS, select, write_metrics_csv, write_metrics_xlsx
from ever6.metrics.gaps import GAP_COLUMNS, gaps
from ever6.metrics.publication import suppress_metrics
from ever6.warehouse import ImportOutcome, Warehouse
from ever6.warehouse.published import Published, Run
from ever6.warehouse.store import current_user

Progress = Callable[[str, float], None]


def _one_per_file(reader: Callable[[Path], ReadResult]) -> Callable[[Sequence[Path]], list[ReadResult]]:
    return lambda paths: [reader(path) for path in paths]


def read_sources(
    settings: Settings,
    fmt: str,
    paths: Sequence[Path],
    *,
    mapping: Path | None = None,
    year: int | None = None,
    progress: Progress | None = None,
) -> list[ReadResult]:
    """Read files of one format into batches: one per file, except that the tables of one
    SSDA903 return, and one term's school census files, make one batch together.

    Attendance marks are too many to hold: their results are streamed
    (:class:`~ever6.formats.problems.StreamedResult`), read while the warehouse writes them, and
    their problems are complete only once :func:`import_sources` has read them."""
    readers: dict[str, Callable[[Sequence[Path]], list[ReadResult]]] = {
        "cin-census": _one_per_file(lambda p: read_cin_census(p, xsd_dirs=settings.cin_census.xsd_dirs)),
        "ssda903": lambda ps: [read_ssda903(ps, year=year)],
        "case-management": _one_per_file(
            lambda p: read_case_management(p, mapping=load_mapping(mapping) if mapping else None)
        ),
        "schools": _one_per_file(read_gias),
        "pupils": _one_per_file(lambda p: read_pupils(p, mapping=load_pupil_mapping(mapping) if mapping else None)),
        "attendance": _one_per_file(stream_attendance_marks),  # read as the warehouse writes it
        "attendance-termly": _one_per_file(read_attendance_termly),
        "exclusions": _one_per_file(read_exclusions),
        "attainment": _one_per_file(read_attainment),
        "school-census": lambda ps: [read_school_census(ps)],
    }
    if fmt not in readers:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(readers)}")
    results = []
    for i, path in enumerate(paths):
        if progress:
            progress(f"reading {path.name}", i / max(len(paths), 1))
        if fmt in ("ssda903", "school-census"):
            return readers[fmt](paths)
        results += readers[fmt]([path])
    return results


def import_sources(
    warehouse: Warehouse,
    settings: Settings,
    fmt: str,
    paths: Sequence[Path],
    *,
    mapping: Path | None = None,
    year: int | None = None,
    who: str | None = None,
    progress: Progress | None = None,
) -> list[ImportOutcome]:
    """Read and import, all or nothing: any refused file means nothing is imported."""
    results = read_sources(settings, fmt, paths, mapping=mapping, year=year, progress=progress)
    return warehouse.import_results(results, who=who)


@dataclass(frozen=True)
class CohortSummary:
    as_at: date
    strict: bool
    rows: int
    by_status: dict[str, int]
    cwsw: int


def build_cohort(warehouse: Warehouse, as_at: date, cohort_settings: CohortSettings) -> list[dict[str, object]]:
    table = cohort(warehouse.raw_tables(), as_at, cohort_settings).to_pyarrow()
    return table.to_pylist()  # type: ignore[no-any-return]


def summarise(rows: Sequence[dict[str, object]], as_at: date, strict: bool) -> CohortSummary:
    by_status = Counter(str(r["status"]) for r in rows)
    return CohortSummary(
        as_at=as_at,
        strict=strict,
        rows=len(rows),
        by_status=dict(sorted(by_status.items())),
        cwsw=sum(1 for r in rows if r["cwsw"]),
    )


def export_cohort(warehouse: Warehouse, as_at: date, cohort_settings: CohortSettings, out: Path) -> CohortSummary:
    rows = build_cohort(warehouse, as_at, cohort_settings)
    write_csv(out, COHORT_COLUMNS, rows)
    return summarise(rows, as_at, cohort_settings.strict)


LinkStep = Callable[[Warehouse, Settings, pa.Table, date], pa.Table]


def _link_step(warehouse: Warehouse, settings: Settings, cohort_table: pa.Table, as_at: date) -> pa.Table:
    """Deterministic then probabilistic linkage (:mod:`ever6.linkage`), with the data manager's
    review decisions applied; the links are stored with the linkage run."""
    from ever6.linkage import run_linkage  # Splink is heavy: loaded only when linking

    return run_linkage(warehouse, settings.linkage, today=as_at).links


def refresh(
    warehouse: Warehouse,
    settings: Settings,
    as_at: date,
    *,
    who: str | None = None,
    link_step: LinkStep | None = None,
    progress: Progress | None = None,
) -> Run:
    """Rebuild the cohort, the links and the measures at ``as_at``, and publish them as one run.

    ``link_step`` returns the links (``la_child_id, upn, urn, method, match_probability``) for the
    cohort; by default :func:`ever6.linkage.run_linkage`.
    """
    started = datetime.now().replace(microsecond=0)

    def step(message: str, fraction: float) -> None:
        if progress:
            progress(message, fraction)

    step("building the cohort", 0.0)
    raw = warehouse.raw_tables()
    cohort_table = cohort(raw, as_at, settings.cohort).to_pyarrow()

    step("linking the cohort to school records", 0.2)
    links = (link_step or _link_step)(warehouse, settings, cohort_table, as_at)

    step("computing the measures", 0.5)
    inputs = Inputs(
        tables=current_tables(raw),
        cohort=ibis.memtable(cohort_table),
        links=ibis.memtable(links.select(["la_child_id", "upn"])),
        codes=ibis.memtable(code_table()),
        la_code=settings.authority.la_code,
        settings=settings.measures,
    )
    metrics = compute_metrics(inputs, as_at=as_at)

    step("publishing", 0.9)
    run = Published(warehouse).publish(
        as_at=as_at,
        strict=settings.cohort.strict,
        settings={
            "cohort": asdict(settings.cohort),
            "measures": asdict(settings.measures),
            "authority": asdict(settings.authority),
        },
        outputs={"cohort": cohort_table, "link": links, "metric": metrics},
        started_at=started,
        run_by=who or current_user(),
    )
    step("writing the snapshot the web service reads", 0.95)
    write_snapshot(warehouse, run, settings)
    step("done", 1.0)
    return run


def _published_metrics(warehouse: Warehouse, academic_year: str, period: str) -> tuple[Run, pa.Table]:
    published = Published(warehouse)
    run = published.latest()
    if run is None:
        raise LookupError("nothing has been published yet: run `ever6 refresh` first")
    table = select(published.output("metric", run.run_id), academic_year, period)
    if table.num_rows == 0:
        raise LookupError(f"the latest run (as at {run.as_at}) has no measures for {academic_year} ({period})")
    return run, table


def export_metrics(
    warehouse: Warehouse,
    out: Path,
    *,
    academic_year: str,
    period: str = "year",
    suppress: bool = False,
    school: str | None = None,
    cla_in_cwsw: bool = False,
) -> int:
    """Write the latest run's measures for a year (and period) as CSV or, for ``.xlsx``, Excel.

    ``school``: only what that school's users may see (its own rows and the LA's), always suppressed.
    """
    run, table = _published_metrics(warehouse, academic_year, period)
    if suppress or school:
        table = suppress_metrics(table, cla_in_cwsw=cla_in_cwsw)
    if school:
        table = for_school(table, school)
    suppressed = bool(suppress or school)
    if out.suffix.lower() == ".xlsx":
        title = f"Ever6 CWSW measures {academic_year} ({period}), as at {run.as_at}"
        write_metrics_xlsx(table, out, title=title + (f", school {school}" if school else ""), suppressed=suppressed)
    else:
        columns = (*EXPORT_COLUMNS, "suppression_reason") if suppressed else EXPORT_COLUMNS
        write_metrics_csv(table, out, columns)
    return int(table.num_rows)


def export_gaps(
    warehouse: Warehouse,
    out: Path,
    *,
    academic_year: str,
    period: str = "year",
    suppress: bool = False,
    cla_in_cwsw: bool = False,
) -> int:
    """Each group's figures beside pupils never CWSW and the national figures, with the gaps."""
    _, table = _published_metrics(warehouse, academic_year, period)
    if suppress:
        table = suppress_metrics(table, cla_in_cwsw=cla_in_cwsw)
    return write_csv(out, GAP_COLUMNS, gaps(table))
