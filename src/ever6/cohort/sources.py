"""The current version of every record, when several files describe it.

CIN census files are annual and overlap: the same episode appears in several years' files, and
a later file may close an episode an earlier one showed open. The most recent file's version of
a record wins: the one from the batch with the latest reference date (ties: the later import).

A census return holds only its own year's activity (docs/cohort.md, "CIN census files"): an
assessment or plan that ended in an earlier year is in that year's file only. So an episode's
assessments, CIN plans, CP plans and section 47 enquiries are the union over every file, each
identified by its episode and its own start date, the newest file's version of each winning. A
block with no start date cannot be matched across files; only the episode's newest file's ones
count.

Pupils on roll follow the same idea, by roll rather than census: an enrolment's record in the
newest roll wins (:mod:`ever6.cohort.roll`).

Written as Ibis expressions over the warehouse's raw tables, so it runs on any engine.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping

import ibis
import ibis.expr.operations as ops
from ibis.expr.types import Table

from ever6.cohort.roll import roll_batches
from ever6.model import TABLES

_CIN_EPISODE_CHILDREN = ("cin_assessment", "cin_plan", "cin_section47", "cp_plan")


class _Current:
    """One of :class:`CurrentTables`' tables, built the first time it is read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, tables: CurrentTables, owner: type | None = None) -> Table:
        return tables.table(self.name)


class CurrentTables:
    """The deduplicated canonical tables the cohort engine reads.

    Each is an Ibis expression built when it is first read, then kept: building them all was a
    tenth of a small command's time, and most commands read a few (a cohort export, the cohort's;
    a link report, the linkage's).
    """

    cin_child = _Current()
    cin_episode = _Current()
    cin_assessment = _Current()
    cin_plan = _Current()
    cin_section47 = _Current()
    cp_plan = _Current()
    la_child = _Current()
    la_episode = _Current()
    cm_identity = _Current()
    kinship_register = _Current()
    early_help_episode = _Current()
    establishment = _Current()
    pupil_enrolment = _Current()
    attendance_mark = _Current()
    attendance_termly = _Current()
    exclusion = _Current()
    attainment = _Current()

    def __init__(self, raw: Mapping[str, Table], given: Mapping[str, Table] | None = None) -> None:
        self._raw = dict(raw)
        self._built: dict[str, Table] = dict(given or {})
        # Every table's rows from active batches, not reduced to their newest version: enough to
        # know which values of a key column occur (the years with data), without ranking versions.
        self.active: Mapping[str, Table] = _ActiveRows(self._raw)

    def table(self, name: str) -> Table:
        """The current version of canonical table ``name``."""
        if name not in self._built:
            if name not in TABLES:
                raise KeyError(name)
            self._built[name] = latest_version(self._raw, name)
        return self._built[name]

    def replace(self, **tables: Table) -> CurrentTables:
        """The same tables, with these in place of theirs (the others shared, built or not)."""
        return _Replaced(self, tables)

    @functools.cached_property
    def attendance_mark_days(self) -> Table | None:
        """The days the current marks fall on, from the import's day index (a few hundred rows)
        when the warehouse has one: finding the years with marks then needs no scan of the marks."""
        if "attendance_mark_day" not in self._raw:
            return None
        active = _active_batches(self._raw["import_batch"])
        return self._raw["attendance_mark_day"].semi_join(active, "batch_id").select("date")


class _Replaced(CurrentTables):
    def __init__(self, base: CurrentTables, tables: Mapping[str, Table]) -> None:
        super().__init__(base._raw, tables)
        self._base = base
        self.active = base.active

    def table(self, name: str) -> Table:
        return self._built[name] if name in self._built else self._base.table(name)


class _ActiveRows(Mapping[str, Table]):
    """Each canonical table's rows from active batches, each built when first read."""

    def __init__(self, raw: Mapping[str, Table]) -> None:
        self._raw = raw
        self._built: dict[str, Table] = {}

    def __getitem__(self, name: str) -> Table:
        if name not in TABLES:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = self._raw[name].semi_join(_active_batches(self._raw["import_batch"]), "batch_id")
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(TABLES)

    def __len__(self) -> int:
        return len(TABLES)


def _active_batches(batches: Table) -> Table:
    return batches.filter(batches.status == "active").select("batch_id")


def _latest(raw: Table, batches: Table, key: tuple[str, ...]) -> Table:
    """Keep, per key, the row from the newest active batch; drop the bookkeeping columns."""
    active = batches.filter(batches.status == "active").select("batch_id", "reference_date")
    ranked = raw.join(active, "batch_id").mutate(
        _rank=ibis.row_number().over(
            group_by=list(key),
            order_by=[ibis.desc("reference_date"), ibis.desc("batch_id")],
        )
    )
    return ranked.filter(ranked._rank == 0).drop("_rank", "reference_date")


def _newest_file_rows(raw: Table, batches: Table, key: tuple[str, ...]) -> Table:
    """Keep, per key, every row of the newest active batch that holds the key.

    Unlike :func:`_latest`, two rows of one file with the same key are both kept: two plans of one
    episode that a file dates the same day are two plans, not two versions of one.
    """
    active = batches.filter(batches.status == "active").select("batch_id", "reference_date")
    ranked = raw.join(active, "batch_id").mutate(
        _rank=ibis.dense_rank().over(
            group_by=list(key),
            order_by=[ibis.desc("reference_date"), ibis.desc("batch_id")],
        )
    )
    return ranked.filter(ranked._rank == 0).drop("_rank", "reference_date")


def _episode_blocks(rows: Table, batches: Table, episode_versions: Table, key: tuple[str, ...]) -> Table:
    """An episode's assessments or plans: the union over files, newest version of each block."""
    dated = _newest_file_rows(rows.filter(rows.start_date.notnull()), batches, key)
    undated = rows.filter(rows.start_date.isnull()).semi_join(
        episode_versions, ["la_child_id", "referral_date", "batch_id"]
    )
    return dated.union(undated.select(*dated.columns))


def _latest_marks(raw: Table, batches: Table, key: tuple[str, ...], days: Table | None = None) -> Table:
    """:func:`_latest` for attendance marks, without ranking every mark.

    A marks file never holds two marks for one key (the reader refuses it), and the key holds the
    date, so only days that more than one active batch has marks for can hold two versions of a
    mark. Marks on every other day pass straight through; only the shared days are ranked. A new
    day's marks, or a new year's, therefore cost a scan, not a sort of every mark.
    """
    active = batches.filter(batches.status == "active").select("batch_id")
    marks = raw.semi_join(active, "batch_id")
    days = (marks if days is None else days.semi_join(active, "batch_id")).select("batch_id", "date").distinct()
    shared = days.group_by("date").agg(_batches=days.batch_id.count())
    shared = shared.filter(shared._batches > 1).select("date")
    alone = marks.anti_join(shared, "date")
    contested = _latest(marks.semi_join(shared, "date"), batches, key)
    return alone.union(contested.select(*alone.columns))


def latest_version(raw: Mapping[str, Table], name: str) -> Table:
    """The current version of every record of one canonical table (its newest active batch's;
    for an episode's assessments and plans, the union over files described above)."""
    if name == "attendance_mark":
        marks = _latest_marks(raw[name], raw["import_batch"], TABLES[name].key, raw.get("attendance_mark_day"))
        return marks.drop("batch_id")
    if name in _CIN_EPISODE_CHILDREN:
        episodes = _latest(raw["cin_episode"], raw["import_batch"], TABLES["cin_episode"].key)
        versions = episodes.select("la_child_id", "referral_date", "batch_id")
        return _episode_blocks(raw[name], raw["import_batch"], versions, TABLES[name].key).drop("batch_id")
    if name == "pupil_enrolment":
        batches = roll_batches(raw[name], raw["import_batch"])
        return _latest(raw[name], batches, TABLES[name].key).drop("batch_id")
    return _latest(raw[name], raw["import_batch"], TABLES[name].key).drop("batch_id")


def latest_with_batch(raw: Mapping[str, Table], name: str) -> Table:
    """:func:`latest_version` of a table with one row per key, keeping each row's ``batch_id``:
    where it came from (the case-management allocation is shown with its provenance)."""
    return _latest(raw[name], raw["import_batch"], TABLES[name].key)


def current_tables(raw: Mapping[str, Table]) -> CurrentTables:
    """Current versions of the canonical tables, from the raw tables and ``import_batch``.

    Building these expressions is a few tenths of a second of Ibis's checks, and a refresh asks
    for them about ten times (the cohort, the measures, each part of the snapshot): the same raw
    tables give the same expressions, built once. They are only expressions: what they read is
    read when they run. "The same" is the same table of the same connection object: Ibis deems
    two DuckDB connections made from open connections equal, so the connection's identity is part
    of the key (the key holds the connection, so its identity is not reused while it is cached).
    """
    key = tuple(sorted((name, table.op(), id(getattr(table.op(), "source", None))) for name, table in raw.items()))
    return _current_tables(key)


@functools.lru_cache(maxsize=8)
def _current_tables(raw_ops: tuple[tuple[str, ops.Relation, int], ...]) -> CurrentTables:
    return CurrentTables({name: op.to_expr() for name, op, _ in raw_ops})
