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
from collections.abc import Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.operations as ops
from ibis.expr.types import Table

from ever6.cohort.roll import roll_batches
from ever6.model import TABLES

_CIN_EPISODE_CHILDREN = ("cin_assessment", "cin_plan", "cin_section47", "cp_plan")


@dataclass(frozen=True)
class CurrentTables:
    """The deduplicated canonical tables the cohort engine reads."""

    cin_child: Table
    cin_episode: Table
    cin_assessment: Table
    cin_plan: Table
    cin_section47: Table
    cp_plan: Table
    la_child: Table
    la_episode: Table
    cm_identity: Table
    kinship_register: Table
    early_help_episode: Table
    establishment: Table
    pupil_enrolment: Table
    attendance_mark: Table
    attendance_termly: Table
    exclusion: Table
    attainment: Table
    # The days the current marks fall on, from the import's day index (a few hundred rows) when
    # the warehouse has one: finding the years with marks then needs no scan of the marks.
    attendance_mark_days: Table | None = None
    # Every table's rows from active batches, not reduced to their newest version: enough to
    # know which values of a key column occur (the years with data), without ranking versions.
    active: Mapping[str, Table] | None = None


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
    raw = {name: op.to_expr() for name, op, _ in raw_ops}
    batches = raw["import_batch"]
    latest = {
        name: _latest(raw[name], batches, TABLES[name].key)
        for name in TABLES
        if name != "attendance_mark" and name not in _CIN_EPISODE_CHILDREN
    }
    latest["attendance_mark"] = _latest_marks(
        raw["attendance_mark"], batches, TABLES["attendance_mark"].key, raw.get("attendance_mark_day")
    )
    episode_versions = latest["cin_episode"].select("la_child_id", "referral_date", "batch_id")
    for name in _CIN_EPISODE_CHILDREN:
        latest[name] = _episode_blocks(raw[name], batches, episode_versions, TABLES[name].key)
    # One enrolment in several years' rolls: the newest roll's record wins, not the last import.
    latest["pupil_enrolment"] = _latest(
        raw["pupil_enrolment"], roll_batches(raw["pupil_enrolment"], batches), TABLES["pupil_enrolment"].key
    )
    cleaned = {name: table.drop("batch_id") if "batch_id" in table.columns else table for name, table in latest.items()}
    active = batches.filter(batches.status == "active").select("batch_id")
    days = None
    if "attendance_mark_day" in raw:
        days = raw["attendance_mark_day"].semi_join(active, "batch_id").select("date")
    rows = {name: raw[name].semi_join(active, "batch_id") for name in TABLES}
    return CurrentTables(**cleaned, attendance_mark_days=days, active=rows)
