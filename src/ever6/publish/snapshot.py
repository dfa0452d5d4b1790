"""The web snapshot: one refresh run's outputs, in the shape the web service reads.

The warehouse is a single-writer DuckDB file that imports and refreshes hold open for minutes, so
the web service never opens it for figures. Each refresh writes this snapshot beside it (a small
DuckDB file, replaced atomically), and the web service reads only that. Everything a page shows is
computed here, once per refresh: the figures both unsuppressed and with disclosure control applied
(suppression at ``la`` scale takes seconds, far too long for a page), and each school's list of its
Ever6 CWSW pupils.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from ever6.cohort import current_tables
from ever6.cohort.flow import flow
from ever6.cohort.localities import lookup_table
from ever6.cohort.roll import on_roll
from ever6.cohort.safeguarding import allocations, data_events, periods_at
from ever6.config import Settings
from ever6.dates import shift_years
from ever6.disclosure import DisclosureRules, Memo
from ever6.engines import cache
from ever6.faults import fault_point
from ever6.metrics.profile import child_facts, profile_counts, profile_rows, profile_table, suppress_profile
from ever6.metrics.publication import Nesting, school_nesting, suppress_metrics, unchanged_years
from ever6.private import private_dir, private_file, private_files
from ever6.publish.counts import COUNTS_TABLE, count_cohort
from ever6.publish.layout import (
    ALLOCATION_TABLE,
    EVENT_TABLE,
    FIGURE_COLUMN,
    PROFILE_SUPPRESSED_TABLE,
    PROFILE_TABLE,
    PUPIL_ATTENDANCE_TABLE,
    STATUS_BANDS,
)
from ever6.publish.pupil_attendance import school_pupil_attendance
from ever6.warehouse.published import OUTPUTS, Published, Run
from ever6.warehouse.store import Warehouse


def _school_pupils(cohort: pa.Table, links: pa.Table, enrolled: pa.Table) -> pa.Table:
    """Each linked Ever6 CWSW child's enrolment among those ``enrolled`` (on roll at the run's
    date by :func:`ever6.cohort.roll.on_roll`), one row per school."""
    import duckdb  # the snapshot is DuckDB's own; the analytics stay engine-neutral

    con = duckdb.connect()
    try:
        con.register("cohort", cohort)
        con.register("links", links)
        con.register("on_roll", enrolled)
        con.register("bands", pa.table({"status": list(STATUS_BANDS), "band": list(STATUS_BANDS.values())}))
        return con.sql(
            """
            SELECT e.urn, e.upn, e.forename, e.surname, e.birth_date, e.ncyear, c.status, b.band, c.la_child_id
            FROM cohort c
            JOIN bands b USING (status)
            JOIN links l USING (la_child_id)
            JOIN on_roll e ON e.urn = l.urn AND e.upn = l.upn
            WHERE c.cwsw
            ORDER BY e.urn, e.surname, e.forename, e.upn
            """
        ).to_arrow_table()
    finally:
        con.close()


def _events(raw: Mapping[str, Any], links: pa.Table, run: Run, settings: Settings, periods: Any) -> pa.Table:
    """The events the data shows for linked children with an open plan (ever6.cohort.safeguarding)."""
    import ibis

    linked = ibis.memtable(links.select(["la_child_id", "urn", "upn"]))
    return data_events(raw, linked, run.as_at, settings.notifications, periods=periods).to_pyarrow()


def _flow(raw: Mapping[str, Any], cohort: pa.Table, as_at: date, settings: Settings) -> pa.Table:
    """Flow into and out of social care per month up to the run's date (:mod:`ever6.cohort.flow`),
    also per locality of residence when the authority defines localities: a few hundred counts
    (a few thousand by locality), computed here so that no page reads the warehouse."""
    import ibis

    statuses = ibis.memtable(cohort.select(["la_child_id", "status"]))
    places = settings.localities.load(settings.home)
    lookup = ibis.memtable(lookup_table(places)) if places else None
    return flow(raw, statuses, as_at, localities=lookup).to_pyarrow()


def profile_dates(metrics: pa.Table, as_at: date) -> list[date]:
    """The dates of the profile's trend: the run's, and the same day of each earlier year the
    measures hold (one a year, oldest first)."""
    years = len(set(metrics.column("academic_year").to_pylist())) if metrics.num_rows else 1
    return [shift_years(as_at, -k) for k in reversed(range(max(years, 1)))]


def _profile(
    raw: Mapping[str, Any], cohort: pa.Table, links: pa.Table, metrics: pa.Table, as_at: date, settings: Settings
) -> tuple[pa.Table, pa.Table]:
    """The cohort's profile at each date of :func:`profile_dates` (:mod:`ever6.metrics.profile`),
    exact and as shared (suppressed): a few thousand counts, never a child's row."""
    import ibis

    from ever6.cohort import cohort as cohort_at

    enrolment = current_tables(raw).pupil_enrolment
    linked = ibis.memtable(links.select(["la_child_id", "upn"]))
    rows: list[dict[str, Any]] = []
    for day in profile_dates(metrics, as_at):
        # The run's own cohort at its date; an earlier date's as the rule gives it from the files now loaded.
        members = ibis.memtable(cohort) if day == as_at else cohort_at(raw, day, settings.cohort)
        counts = profile_counts(child_facts(members, linked, enrolment, day))
        rows += profile_rows(counts, day, cla_in_cwsw=settings.measures.cla_in_cwsw)
    exact = profile_table(rows)
    shared = suppress_profile(exact, cla_in_cwsw=settings.measures.cla_in_cwsw, rules=_rules(settings))
    return exact, shared


COHORT_DIGEST_TABLE = "cohort_digest"
FLOW_TABLE = "flow"
# The snapshot's tables that come from the cohort and the social care and school registers alone.
COHORT_TABLES = (PROFILE_TABLE, PROFILE_SUPPRESSED_TABLE, FLOW_TABLE)


def cohort_digest(
    warehouse: Warehouse, cohort: pa.Table, links: pa.Table, metrics: pa.Table, as_at: date, settings: Settings
) -> str:
    """A digest of everything the profile (:func:`_profile`) and the flow (:func:`_flow`) read: the
    cohort and links (content, in any row order), the active batches of every format but education
    data's (the earlier dates' cohorts, the rolls and the flow come from them; marks, returns,
    exclusions and results never reach them), the dates, the localities, the settings that shape
    them and the release.

    A snapshot with the same digest holds the same profile and flow: a refresh after a new day of
    marks (the cohort and links reused, :mod:`ever6.publish.reuse`) takes them from there rather
    than building the cohort at each earlier date and suppressing the profile again.
    """
    from dataclasses import asdict

    from ever6 import __version__
    from ever6.publish.reuse import EDUCATION_FORMATS

    batches = sorted(
        b.batch_id for b in warehouse.batches() if b.status == "active" and b.format not in EDUCATION_FORMATS
    )
    record = {
        "ever6": __version__,
        "as_at": as_at,
        "dates": profile_dates(metrics, as_at),
        "batches": batches,
        "cohort_settings": asdict(settings.cohort),
        "cla_in_cwsw": settings.measures.cla_in_cwsw,
        "rules": repr(_rules(settings)),
    }
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode())
    places = settings.localities.load(settings.home)
    tables = [cohort, links.select(["la_child_id", "upn"])] + ([lookup_table(places)] if places else [])
    for table in tables:
        digest.update(_content_digest(table).encode())
    return digest.hexdigest()


def _content_digest(table: pa.Table) -> str:
    """A digest of a table's schema and rows whatever their order and chunking."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("t", table)
        row = con.execute(
            "SELECT md5(coalesce(string_agg(r, chr(10) ORDER BY r), '')) FROM (SELECT CAST(t AS VARCHAR) AS r FROM t)"
        ).fetchone()
    finally:
        con.close()
    return f"{table.schema.remove_metadata()}|{row[0] if row else ''}"


def _previous_cohort_tables(previous: Path, digest: str) -> dict[str, pa.Table] | None:
    """:data:`COHORT_TABLES` of the snapshot at ``previous`` if it was built from the same inputs
    (:func:`cohort_digest`); else None."""
    import duckdb

    if not previous.exists():
        return None
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS old (READ_ONLY)", [str(previous)])
        found = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'old' AND table_name = ?",
            [COHORT_DIGEST_TABLE],
        ).fetchall()[0][0]
        if not found or con.execute(f"SELECT digest FROM old.{COHORT_DIGEST_TABLE}").fetchall() != [(digest,)]:  # noqa: S608
            return None
        return {name: con.sql(f'SELECT * FROM old."{name}"').to_arrow_table() for name in COHORT_TABLES}  # noqa: S608
    finally:
        con.close()


PARTITION = ("academic_year", "period")


def partition_digests(metrics: pa.Table, settings: Settings, nesting: Nesting | None = None) -> pa.Table:
    """A digest of each (year, period) publication's figures and the rules that suppress them.

    Disclosure control works on each publication on its own, so one whose digest is unchanged since
    the last snapshot has the same suppressed figures: a new day of marks re-suppresses only the
    current year and term, not every year (suppression at ``la`` takes tens of seconds a year).
    """
    return _partition_digests(metrics, _rules(settings), settings.measures.cla_in_cwsw, nesting)


def _partition_digests(
    metrics: pa.Table, rules: DisclosureRules, cla_in_cwsw: bool, nesting: Nesting | None
) -> pa.Table:
    import duckdb

    from ever6 import __version__

    # The schools' nesting (phase, authority, locality) is part of what suppresses them, and the
    # release is: another version may protect the same figures differently.
    nested = hashlib.sha256(repr(sorted((nesting or {}).items())).encode()).hexdigest()
    text = f"{rules!r}|cla_in_cwsw={cla_in_cwsw}|nesting={nested}|ever6={__version__}"
    con = duckdb.connect()
    try:
        con.register("metric", metrics)
        return con.sql(
            """
            SELECT academic_year, period,
                   md5($rules || string_agg(
                       concat_ws('|', measure, "group", breakdown, breakdown_value,
                                 numerator::VARCHAR, denominator::VARCHAR, value::VARCHAR),
                       chr(10) ORDER BY measure, "group", breakdown, breakdown_value)) AS digest
            FROM metric GROUP BY academic_year, period ORDER BY academic_year, period
            """,
            params={"rules": text},
        ).to_arrow_table()
    finally:
        con.close()


def published_suppression(
    path: Path,
    run_id: int,
    metrics: pa.Table,
    *,
    rules: DisclosureRules,
    cla_in_cwsw: bool,
    nesting: Nesting | None,
) -> pa.Table | None:
    """The suppressed figures of ``metrics`` (whole years of run ``run_id``) as the snapshot at ``path``
    published them, if it is that run's snapshot and every publication in ``metrics`` has the digest
    it had there (:func:`partition_digests`: the same figures, rules, nesting and release, so the
    same protection); else None, and the caller protects them itself.

    An export with ``--suppress`` gives what the web service shows, without protecting a year again
    (tens of seconds at ``la``)."""
    import duckdb

    if not path.exists() or metrics.num_rows == 0:
        return None
    digests = _partition_digests(metrics, rules, cla_in_cwsw, nesting)
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS snap (READ_ONLY)", [str(path)])
        tables = {
            str(name)
            for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'snap'").fetchall()
        }
        if not {"run", "partition_digest", "metric_suppressed"} <= tables:
            return None
        if con.execute("SELECT run_id FROM snap.run").fetchall() != [(run_id,)]:
            return None
        con.register("wanted", digests)
        missing = con.execute(
            "SELECT count(*) FROM wanted w LEFT JOIN snap.partition_digest p USING (academic_year, period) "
            "WHERE p.digest IS DISTINCT FROM w.digest"
        ).fetchall()[0][0]
        if missing:
            return None
        columns = f"s.* EXCLUDE ({FIGURE_COLUMN})"
        query = f"SELECT {columns} FROM snap.metric_suppressed s SEMI JOIN wanted USING (academic_year, period)"  # noqa: S608
        table = con.sql(query).to_arrow_table()
    finally:
        con.close()
    return table


MEMO_TABLE = "protection_memo"


def _suppressed(
    metrics: pa.Table, digests: pa.Table, settings: Settings, nesting: Nesting, *, previous: Path
) -> tuple[pa.Table, pa.Table]:
    """The suppressed figures: reused from the previous snapshot where a publication is unchanged;
    and the interval protection to keep for the next snapshot (:data:`MEMO_TABLE`).

    A year suppressed again replays the protection of every component of its relations that is
    unchanged since the previous snapshot (:mod:`ever6.disclosure.memo`): after a new day of marks,
    the current year's exclusions, alternative provision and attainment. The entries kept are
    those of the years reused whole and those each year suppressed now used or made."""
    import duckdb

    reused = pa.table({})
    unchanged: set[tuple[str, str]] = set()
    memo_before: dict[str, dict[str, str]] = defaultdict(dict)
    if previous.exists():
        con = duckdb.connect()
        try:
            con.execute("ATTACH ? AS old (READ_ONLY)", [str(previous)])
            tables = {
                str(name)
                for (name,) in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = 'old'"
                ).fetchall()
            }
            if "partition_digest" in tables:
                con.register("new_digest", digests)
                same = con.execute(
                    "SELECT academic_year, period FROM old.partition_digest o "
                    "JOIN new_digest n USING (academic_year, period) WHERE o.digest = n.digest"
                ).fetchall()
                unchanged = unchanged_years({(str(y), str(p)) for y, p in same}, digests)
                if unchanged:
                    con.register(
                        "same",
                        pa.table({"academic_year": [y for y, _ in unchanged], "period": [p for _, p in unchanged]}),
                    )
                    reused = con.sql(
                        "SELECT s.* FROM old.metric_suppressed s SEMI JOIN same USING (academic_year, period)"
                    ).to_arrow_table()
            if MEMO_TABLE in tables:
                query = f"SELECT academic_year, key, entry FROM old.{MEMO_TABLE}"  # noqa: S608 (our own table)
                for year, key, entry in con.execute(query).fetchall():
                    memo_before[str(year)][str(key)] = str(entry)
        finally:
            con.close()
    keys = list(zip(metrics.column("academic_year").to_pylist(), metrics.column("period").to_pylist(), strict=True))
    changed = metrics.filter(pa.array([k not in unchanged for k in keys], type=pa.bool_()))
    fresh, memos = _suppress_years(changed, settings, nesting, memo_before) if changed.num_rows else (None, {})
    kept = {year: memo_before[year] for year in {y for y, _ in unchanged}} | {y: m.kept for y, m in memos.items()}
    memo_table = pa.table(
        {
            "academic_year": pa.array([y for y, entries in sorted(kept.items()) for _ in entries], pa.string()),
            "key": pa.array([k for _, entries in sorted(kept.items()) for k in entries], pa.string()),
            "entry": pa.array([e for _, entries in sorted(kept.items()) for e in entries.values()], pa.string()),
        }
    )
    if fresh is None:
        # Nothing to suppress (no school data yet, say): the table still needs its columns.
        empty = metrics.slice(0, 0)
        table = reused if reused.num_rows else _suppress_year(empty, settings.measures.cla_in_cwsw, _rules(settings))[0]
        return table, memo_table
    if reused.num_rows == 0:
        return fresh, memo_table
    return pa.concat_tables([reused.select(fresh.column_names).cast(fresh.schema), fresh]), memo_table


# Below this many rows a second process costs more than it saves.
_PARALLEL_FROM_ROWS = 100_000


def _rules(settings: Settings) -> DisclosureRules:
    return DisclosureRules(protection_width=settings.disclosure.protection_width)


def _suppress_year(
    table: pa.Table,
    cla_in_cwsw: bool,
    rules: DisclosureRules,
    nesting: Nesting | None = None,
    previous: Mapping[str, str] | None = None,
) -> tuple[pa.Table, Memo]:
    """One publication set (a year with its terms) suppressed, replaying the interval protection of
    ``previous`` where unchanged; the memo returned holds what the next snapshot keeps of it."""
    memo = Memo(previous=previous or {})
    out = suppress_metrics(table, cla_in_cwsw=cla_in_cwsw, rules=rules, nesting=nesting, memo=memo)
    memo.previous = {}  # not sent back from a worker process: the caller has it
    return out, memo


def _suppress_years(
    metrics: pa.Table, settings: Settings, nesting: Nesting, previous: Mapping[str, Mapping[str, str]]
) -> tuple[pa.Table, dict[str, Memo]]:
    """Suppress each publication set (a year with its terms) on its own, on every core when the
    table is large: they are independent. Each year's memo is its own (``previous[year]`` in, and
    the year's memo out), so a worker process gets and gives back only its year's entries."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import pyarrow.compute as pc

    cla, rules = settings.measures.cla_in_cwsw, _rules(settings)
    values = sorted(set(metrics.column("academic_year").to_pylist()))
    tables = [metrics.filter(pc.equal(metrics["academic_year"], y)) for y in values]
    years = [str(y) for y in values]
    memos = [dict(previous.get(y, {})) for y in years]
    workers = min(len(years), os.cpu_count() or 1)
    if workers < 2 or metrics.num_rows < _PARALLEL_FROM_ROWS:
        results = [_suppress_year(t, cla, rules, nesting, m) for t, m in zip(tables, memos, strict=True)]
    else:
        order = sorted(range(len(years)), key=lambda i: -tables[i].num_rows)  # the largest first
        # "spawn": the refresh may run in a thread of the web service, where forking is unsafe.
        context = multiprocessing.get_context("spawn")
        n = len(order)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = list(
                pool.map(
                    _suppress_year,
                    [tables[i] for i in order],
                    [cla] * n,
                    [rules] * n,
                    [nesting] * n,
                    [memos[i] for i in order],
                )
            )
        results = [done[order.index(i)] for i in range(len(years))]
    return pa.concat_tables([t for t, _ in results]), {y: m for y, (_, m) in zip(years, results, strict=True)}


def with_figures(suppressed: pa.Table) -> pa.Table:
    """The suppressed figures with, beside each published text, the number it shows (``None`` for a
    symbol), read once here from the text disclosure control wrote, so that the two cannot differ."""
    import pyarrow.compute as pc

    text = suppressed.column("value")
    numeric = pc.fill_null(pc.match_substring_regex(text, r"^-?[0-9]+(\.[0-9]+)?$"), False)
    figures = pc.if_else(numeric, text, pa.scalar(None, pa.string())).cast(pa.float64())
    table = suppressed.drop_columns([FIGURE_COLUMN]) if FIGURE_COLUMN in suppressed.column_names else suppressed
    return table.append_column(pa.field(FIGURE_COLUMN, pa.float64()), figures)


def write_snapshot(
    warehouse: Warehouse,
    run: Run,
    settings: Settings,
    *,
    path: Path | None = None,
    outputs: Mapping[str, pa.Table] | None = None,
) -> Path:
    """Write ``run``'s outputs as the web snapshot, replacing the previous one atomically.

    ``outputs``: the run's ``cohort``, ``link`` and ``metric`` tables as the refresh computed
    them, so that they are not read back from the warehouse; by default, read from the stored run.
    """
    import duckdb

    if outputs is None:
        published = Published(warehouse)
        outputs = {name: published.output(name, run.run_id) for name in OUTPUTS}
    metrics, cohort, links = outputs["metric"], outputs["cohort"], outputs["link"]
    raw = warehouse.raw_tables()
    current = current_tables(raw)
    schools = current.establishment.to_pyarrow()
    enrolled = on_roll(current.pupil_enrolment, run.as_at, run.as_at).to_pyarrow()
    target = path or settings.snapshot_path
    nesting = school_nesting(schools, settings.authority.la_code or "", settings.localities.load(settings.home))
    digests = partition_digests(metrics, settings, nesting)
    suppressed, memo = _suppressed(metrics, digests, settings, nesting, previous=target)
    school_pupil = _school_pupils(cohort, links, enrolled)
    counts = count_cohort(run.run_id, run.as_at, cohort, links, school_pupil)
    from_cohort = cohort_digest(warehouse, cohort, links, metrics, run.as_at, settings)
    kept = _previous_cohort_tables(target, from_cohort)
    if kept is None:
        profile, profile_shared = _profile(raw, cohort, links, metrics, run.as_at, settings)
        kept = {
            PROFILE_TABLE: profile,
            PROFILE_SUPPRESSED_TABLE: profile_shared,
            FLOW_TABLE: _flow(raw, cohort, run.as_at, settings),
        }
    # The children's open periods, read by the allocations and the events: materialised once (a few
    # thousand rows at a county), not compiled and computed by each (0.4 s of a tiny refresh).
    periods = cache(periods_at(raw, run.as_at, settings.notifications))
    tables = {
        "run": pa.table(
            {
                "run_id": [run.run_id],
                "as_at": [run.as_at],
                "strict": [run.strict],
                "finished_at": [run.finished_at],
                "run_by": [run.run_by],
                "la_code": [settings.authority.la_code],
                "cla_in_cwsw": [settings.measures.cla_in_cwsw],
                "event_retention_days": [settings.notifications.retention_days],
            }
        ),
        "metric": metrics,
        "metric_suppressed": with_figures(suppressed),
        "school": schools,
        "school_pupil": school_pupil,
        PUPIL_ATTENDANCE_TABLE: school_pupil_attendance(raw, school_pupil, settings, run.as_at),
        "partition_digest": digests,
        ALLOCATION_TABLE: allocations(raw, run.as_at, settings.notifications, periods=periods).to_pyarrow(),
        EVENT_TABLE: _events(raw, links, run, settings, periods),
        COUNTS_TABLE: pa.Table.from_pylist([counts.to_row()]),
        FLOW_TABLE: kept[FLOW_TABLE],
        PROFILE_TABLE: kept[PROFILE_TABLE],
        PROFILE_SUPPRESSED_TABLE: with_figures(kept[PROFILE_SUPPRESSED_TABLE]),
        COHORT_DIGEST_TABLE: pa.table({"digest": [from_cohort]}),
        MEMO_TABLE: memo,
    }

    private_dir(target.parent)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with private_files():
        con = duckdb.connect(str(partial))
    try:
        for name, table in tables.items():
            con.register(f"_{name}", table)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "_{name}"')  # noqa: S608 (our own table names)
            con.unregister(f"_{name}")
        # Indexes for what every page filters on.
        con.execute("CREATE INDEX metric_lookup ON metric (academic_year, period, breakdown)")
        con.execute("CREATE INDEX metric_suppressed_lookup ON metric_suppressed (academic_year, period, breakdown)")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    private_file(partial)
    with partial.open("rb") as fh:  # on disk before it is named: a power cut cannot swap in half a file
        os.fsync(fh.fileno())
    fault_point("before-swap")
    # The moment of publication (ever6.warehouse.published): readers holding the old file keep
    # it; new readers get this one.
    os.replace(partial, target)
    _fsync_dir(target.parent)
    return target


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
