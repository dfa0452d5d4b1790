"""What the CLI and the demo do, as plain functions: read sources, import them, build outputs.

The CLI is a thin layer over this module, so every command can be tested and reused (the demo
runs the same steps a data manager would).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from ever6 import __version__
from ever6.attendance import code_table
from ever6.cohort import COHORT_COLUMNS, cohort, current_tables
from ever6.cohort.groups import enabled_groups, group_members
from ever6.cohort.localities import lookup_table
from ever6.config import CohortSettings, Engine, Settings
from ever6.dates import academic_year_label
from ever6.disclosure import DisclosureRules, for_school
from ever6.engines import engine_for
from ever6.errors import NothingToRefresh
from ever6.exports import write_csv
from ever6.faults import fault_point
from ever6.formats import Kind, dfe_rules, of_kind
from ever6.localities import Localities
from ever6.metrics import Inputs, compute_metrics, years_with_data
from ever6.metrics.export import EXPORT_COLUMNS, select, write_metrics_csv, write_metrics_xlsx
from ever6.metrics.gaps import GAP_COLUMNS, gaps
from ever6.metrics.publication import school_nesting, suppress_period
from ever6.model import TABLES

# Reading and importing live in their own module (no analytics loaded); kept importable from here.
from ever6.publish.imports import Progress
from ever6.publish.imports import check_sizes as check_sizes
from ever6.publish.imports import import_sources as import_sources
from ever6.publish.imports import read_sources as read_sources
from ever6.publish.reuse import plan as reuse_plan
from ever6.publish.session_counts import keep as keep_session_counts
from ever6.publish.session_counts import kept_counts
from ever6.publish.snapshot import published_suppression, write_snapshot
from ever6.warehouse import Warehouse
from ever6.warehouse.opening import open_warehouse
from ever6.warehouse.published import Published, Run
from ever6.warehouse.store import current_user


@dataclass(frozen=True)
class RulesOutcome:
    batch_id: int
    source_file: str
    by_rule: dict[str, int]  # DfE rule code -> issues, most first
    notes: tuple[str, ...]  # the rules' own warnings (nearest ruleset used; not run, and why)


def _open_for_writing(path: Path, wait_seconds: float = 600) -> Warehouse:
    """The warehouse, once no other process holds it (the DfE rules run beside other commands)."""
    return open_warehouse(path, purpose="the DfE rules", wait=wait_seconds)


def validate_batches(settings: Settings, batch_ids: Sequence[int] | None = None) -> list[RulesOutcome]:
    """Run the year's DfE rules on CIN census and SSDA903 batches and record what they find as
    warnings of each batch (replacing an earlier run's). ``batch_ids`` None: every active batch
    of those formats. The warehouse is held only while reading and recording, not while the
    validators run (a minute per 10,000 children)."""
    with _open_for_writing(settings.warehouse_path) as wh:
        batches = [wh.batch(i) for i in batch_ids] if batch_ids is not None else wh.batches()
    todo = [b for b in batches if b.format in dfe_rules.FORMATS and b.active]
    outcomes = []
    for b in todo:
        paths = [Path(p) for p in b.source_files]
        problems = dfe_rules.rule_problems(b.format, paths, b.year, local_authority=settings.authority.ons_code)
        with _open_for_writing(settings.warehouse_path) as wh:
            wh.record_rule_problems(b.batch_id, problems)
        by_rule = Counter(p.rule for p in problems if p.rule is not None)
        notes = tuple(p.message for p in problems if p.rule is None)
        outcomes.append(RulesOutcome(b.batch_id, b.source_file, dict(by_rule.most_common()), notes))
    return outcomes


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


def _link_step(
    warehouse: Warehouse,
    settings: Settings,
    cohort_table: pa.Table,
    as_at: date,
    *,
    engine: Engine = "duckdb",
    spark_session: Any = None,
) -> pa.Table:
    """Deterministic then probabilistic linkage (:mod:`ever6.linkage`), with the data manager's
    review decisions applied; the links are stored with the linkage run."""
    from ever6.linkage import run_linkage  # Splink is heavy: loaded only when linking

    return run_linkage(warehouse, settings.linkage, engine=engine, spark_session=spark_session, today=as_at).links


def analytics_tables(
    warehouse: Warehouse, settings: Settings, engine: Engine = "duckdb", spark_session: Any = None
) -> dict[str, ibis.Table]:
    """The warehouse's raw tables bound to the engine the analytics run on.

    DuckDB reads the warehouse itself. For Spark the warehouse is written as Parquet to the
    staging folder (``[engine] staging``, by default ``$EVER6_HOME/spark-staging``) and Spark
    reads that: the cohort, linkage and measures expressions are the same on both.
    """
    staging = settings.engine.staging or settings.home / "spark-staging"
    return engine_for(engine).warehouse_tables(warehouse, staging, spark_session)


def _settings_record(settings: Settings) -> dict[str, Any]:
    """The settings a run is computed with, as the run records them (and as JSON gives them back)."""
    record = {
        # A new release may count differently (a new attendance code, a corrected rule): a run
        # made by another version is never reused.
        "ever6": __version__,
        "cohort": asdict(settings.cohort),
        "measures": asdict(settings.measures),
        "authority": asdict(settings.authority),
        "linkage": asdict(settings.linkage),
        # The localities as loaded (a changed lookup file changes the measures), as a digest.
        "localities": _localities_digest(settings),
    }
    return json.loads(json.dumps(record, sort_keys=True, default=str))  # type: ignore[no-any-return]


def _localities_digest(settings: Settings) -> str:
    places = settings.localities.load(settings.home)
    entries = sorted([*places.postcodes.items(), *places.sectors.items(), *places.districts.items()])
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def compute_measures(
    raw: Mapping[str, ibis.Table],
    cohort_table: pa.Table,
    links: pa.Table,
    settings: Settings,
    as_at: date,
    *,
    years: Sequence[int] | None = None,
) -> pa.Table:
    """The measures step of a refresh: every measure of every year with data (or of ``years``),
    from the cohort at R and its links."""
    places = settings.localities.load(settings.home)
    tables = current_tables(raw)
    inputs = Inputs(
        tables=tables,
        cohort=ibis.memtable(cohort_table),
        links=ibis.memtable(links.select(["la_child_id", "upn"])),
        codes=ibis.memtable(code_table()),
        la_code=settings.authority.la_code,
        settings=settings.measures,
        kept=kept_counts(raw),
        localities=ibis.memtable(lookup_table(places)) if places else None,
        members=group_members(tables, as_at, settings.cohort),
        optional_groups=enabled_groups(settings.cohort),
    )
    return compute_metrics(inputs, years=years, as_at=as_at)


def _years_of(published: Published, run: Run, years: frozenset[int], schema: pa.Schema) -> pa.Table:
    """A published run's measures for some academic years."""
    kept = published.output("metric", run.run_id)
    labels = pa.array([academic_year_label(y) for y in sorted(years)], pa.string())
    return kept.filter(pc.is_in(kept.column("academic_year"), labels)).select(schema.names).cast(schema)


# The tables a cohort is built from, each a social care format's table of children (one row per
# child): without a child in one of them there is nothing to refresh.
SOCIAL_CARE_TABLES = tuple(
    name for f in of_kind(Kind.SOCIAL_CARE) for name in f.tables if TABLES[name].key == ("la_child_id",)
)


def missing_for_refresh(warehouse: Warehouse) -> str | None:
    """What a refresh needs and the warehouse lacks, in one line; None when it can run.

    Only social-care data is required: the cohort comes from it. Everything else (names, school
    data, attendance, one year or many) only adds to what the refresh computes.
    """
    if any(warehouse.row_count(name) for name in SOCIAL_CARE_TABLES):
        return None
    return (
        "nothing to refresh: the warehouse holds no children with a social worker "
        "(import a CIN census, an SSDA903 return or a case-management extract first)"
    )


def refresh(
    warehouse: Warehouse,
    settings: Settings,
    as_at: date,
    *,
    who: str | None = None,
    link_step: LinkStep | None = None,
    progress: Progress | None = None,
    engine: Engine | None = None,
    spark_session: Any = None,
    full: bool = False,
) -> Run:
    """Rebuild the cohort, the links and the measures at ``as_at``, and publish them as one run.

    ``link_step`` returns the links (``la_child_id, upn, urn, method, match_probability``) for the
    cohort; by default :func:`ever6.linkage.run_linkage`. ``engine`` (default ``[engine] name``)
    runs the cohort, linkage and measures on DuckDB or on Spark (``spark_session``, else the one
    ``[engine]`` describes); the results are the same, and are published to the warehouse either way.

    What new data cannot have changed is taken from the previous run (:mod:`ever6.publish.reuse`: after a
    new day of marks, the cohort, the links and other years' measures); ``full`` computes it all.
    """
    started = datetime.now().replace(microsecond=0)
    missing = missing_for_refresh(warehouse)
    if missing is not None:
        raise NothingToRefresh(missing)
    engine = engine or settings.engine.name
    backend = engine_for(engine)  # refuses an unknown name

    def step(message: str, fraction: float) -> None:
        if progress:
            progress(message, fraction)

    if backend.needs_session and spark_session is None:
        step(f"starting {backend.label}", 0.0)
        spark_session = backend.session(settings.engine)
    if backend.needs_session:
        step(f"writing the warehouse for {backend.label}", 0.0)
    raw = analytics_tables(warehouse, settings, engine, spark_session)

    published = Published(warehouse)
    published.settle(settings.snapshot_path)  # what a refresh stopped part-way left
    record = _settings_record(settings)
    reuse = None if full or link_step is not None else reuse_plan(warehouse, published.latest(), as_at, record)
    if reuse is not None and reuse.run is not None:
        step(f"reusing the cohort and links of run {reuse.run.run_id}: {reuse.reason}", 0.05)
        cohort_table = published.output("cohort", reuse.run.run_id)
        links = published.output("link", reuse.run.run_id)
    else:
        step("building the cohort" + (f" ({reuse.reason})" if reuse is not None else ""), 0.05)
        cohort_table = cohort(raw, as_at, settings.cohort).to_pyarrow()
        step("linking the cohort to school records", 0.2)
        if link_step is None:
            links = _link_step(warehouse, settings, cohort_table, as_at, engine=engine, spark_session=spark_session)
        else:
            links = link_step(warehouse, settings, cohort_table, as_at)

    step("counting the sessions of new marks", 0.45)
    keep_session_counts(warehouse)
    step("computing the measures", 0.5)
    if reuse is not None and reuse.run is not None and reuse.years:
        step(f"reusing the measures of {', '.join(academic_year_label(y) for y in sorted(reuse.years))}", 0.5)
        years = [y for y in years_with_data(current_tables(raw)) if y not in reuse.years]
        metrics = compute_measures(raw, cohort_table, links, settings, as_at, years=years)
        metrics = pa.concat_tables([_years_of(published, reuse.run, reuse.years, metrics.schema), metrics])
    else:
        metrics = compute_measures(raw, cohort_table, links, settings, as_at)

    # One publication (ever6.warehouse.published): the run is stored pending, its web snapshot
    # swapped in, and only then marked published; stopped anywhere, the old run stays the one seen.
    fault_point("before-publish")
    step("publishing", 0.9)
    outputs = {"cohort": cohort_table, "link": links, "metric": metrics}
    run = published.publish(
        as_at=as_at,
        strict=settings.cohort.strict,
        settings=record,
        outputs=outputs,
        started_at=started,
        run_by=who or current_user(),
        pending=True,
    )
    fault_point("before-snapshot")
    step("writing the snapshot the web service reads", 0.95)
    write_snapshot(warehouse, run, settings, outputs=outputs)
    fault_point("before-mark")
    published.mark_published(run.run_id)
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
    protection_width: int = 0,
    localities: Localities | None = None,
    snapshot: Path | None = None,
) -> int:
    """Write the latest run's measures for a year (and period) as CSV or, for ``.xlsx``, Excel.

    ``school``: only what that school's users may see (its own rows and the LA's), always suppressed.
    ``localities``: the authority's (``[localities]``), so that a school is protected against its locality.
    ``snapshot``: the web snapshot, whose suppressed figures are taken when they are this year's
    under the same rules (:func:`ever6.publish.snapshot.published_suppression`).
    """
    run, table = _published_metrics(warehouse, academic_year, period)
    if suppress or school:
        table = _suppressed_with_year(
            warehouse, run, academic_year, period, cla_in_cwsw, protection_width, localities, snapshot
        )
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
    protection_width: int = 0,
    localities: Localities | None = None,
    snapshot: Path | None = None,
) -> int:
    """Each group's figures beside pupils never CWSW and the national figures, with the gaps."""
    run, table = _published_metrics(warehouse, academic_year, period)
    if suppress:
        table = _suppressed_with_year(
            warehouse, run, academic_year, period, cla_in_cwsw, protection_width, localities, snapshot
        )
    return write_csv(out, GAP_COLUMNS, gaps(table))


def _suppressed_with_year(
    warehouse: Warehouse,
    run: Run,
    academic_year: str,
    period: str,
    cla_in_cwsw: bool,
    protection_width: int,
    localities: Localities | None = None,
    snapshot: Path | None = None,
) -> pa.Table:
    """A period's figures suppressed with the rest of its year, one publication set (``suppress_period``):
    as the web snapshot published them when it holds this year under the same rules, else protected now."""
    metrics = Published(warehouse).output("metric", run.run_id)
    year = metrics.filter(pc.equal(metrics["academic_year"], academic_year))
    schools = current_tables(warehouse.raw_tables()).establishment.to_pyarrow()
    nesting = school_nesting(schools, _la_code(run), localities)
    rules = DisclosureRules(protection_width=protection_width)
    if snapshot is not None:
        published = published_suppression(
            snapshot, run.run_id, year, rules=rules, cla_in_cwsw=cla_in_cwsw, nesting=nesting
        )
        if published is not None:
            return published.filter(pc.equal(published["period"], period))
    return suppress_period(year, period, cla_in_cwsw=cla_in_cwsw, rules=rules, nesting=nesting)


def _la_code(run: Run) -> str:
    authority = run.settings.get("authority") or {}
    return str(authority.get("la_code") or "") if isinstance(authority, dict) else ""
