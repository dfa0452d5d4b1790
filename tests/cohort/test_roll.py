"""Who is on a school's roll: the newest roll's record of an enrolment wins over older years'.

The rolls are written here as pupils-on-roll CSV files and go through the real reader and the
warehouse, in the order an authority might import them (this year's, then last year's).
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ever6.cohort import current_tables
from ever6.cohort.roll import on_roll
from ever6.formats.pupils import read_pupils
from ever6.publish.snapshot import _school_pupils
from ever6.warehouse import Warehouse
from tests.support.files import upn as make_upn

HEADER = ["urn", "upn", "forename", "surname", "dob", "ncyear", "entry_date", "leaving_date"]


@dataclass(frozen=True)
class Row:
    urn: str
    upn: str
    entry: date
    leaving: date | None = None


def _write_roll(path: Path, rows: list[Row]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for r in rows:
            leaving = r.leaving.isoformat() if r.leaving else ""
            writer.writerow([r.urn, r.upn, "Ann", "Example", "2014-02-03", "6", r.entry.isoformat(), leaving])
    return path


def _import(warehouse: Warehouse, paths: list[Path]) -> None:
    for path in paths:
        result = read_pupils(path)
        assert not result.problems, result.problems
        warehouse.import_result(result)


def _listed(warehouse: Warehouse, as_at: date) -> set[tuple[str, str]]:
    """The (URN, UPN) pairs a school's pupil list shows: each pupil a linked CWSW child."""
    enrolments = current_tables(warehouse.raw_tables()).pupil_enrolment
    enrolled = on_roll(enrolments, as_at, as_at).to_pyarrow()
    pairs = sorted(set(zip(enrolled["urn"].to_pylist(), enrolled["upn"].to_pylist(), strict=True)))
    ids = [f"c{i}" for i in range(len(pairs))]
    cohort = pa.table({"la_child_id": ids, "status": ["CINP"] * len(ids), "cwsw": [True] * len(ids)})
    links = pa.table({"la_child_id": ids, "upn": [u for _, u in pairs], "urn": [s for s, _ in pairs]})
    listed = _school_pupils(cohort, links, enrolled)
    return set(zip(listed["urn"].to_pylist(), listed["upn"].to_pylist(), strict=True))


def test_a_pupil_who_left_mid_year_is_not_kept_on_roll_by_last_years_row(tmp_path: Path) -> None:
    # The case: the 2025-26 roll has her leaving 147421 on 29 December 2025 and joining
    # 109901; the 2024-25 roll, imported after it, has her at 147421 with no leaving date.
    pupil = "A886275415457"
    this_year = _write_roll(
        tmp_path / "pupils_2025-26.csv",
        [Row("147421", pupil, date(2022, 9, 2), date(2025, 12, 29)), Row("109901", pupil, date(2026, 1, 15))],
    )
    last_year = _write_roll(tmp_path / "pupils_2024-25.csv", [Row("147421", pupil, date(2022, 9, 2))])
    with Warehouse(tmp_path / "w.duckdb") as wh:
        _import(wh, [this_year, last_year])
        assert _listed(wh, date(2026, 3, 31)) == {("109901", pupil)}
        assert _listed(wh, date(2025, 12, 29)) == {("147421", pupil)}  # her last day there
        assert _listed(wh, date(2025, 6, 30)) == {("147421", pupil)}


# --- Property: whatever order the rolls come in, no listed pupil has a record leaving that school.

SCHOOLS = ("100001", "100002")
# Each roll is extracted on this day of its academic year: the newest one part-way through.
EXTRACTED = {2022: date(2023, 7, 31), 2023: date(2024, 7, 31), 2024: date(2025, 7, 31), 2025: date(2026, 1, 31)}
FIRST = date(2020, 9, 1)
LAST = EXTRACTED[2025]


@dataclass(frozen=True)
class Stint:
    """The truth: a pupil at a school from ``entry`` to ``leaving`` (None: still there)."""

    urn: str
    upn: str
    entry: date
    leaving: date | None


@st.composite
def _stints(draw: st.DrawFn) -> list[Stint]:
    stints: list[Stint] = []
    for serial in range(draw(st.integers(1, 4))):
        pupil = make_upn("886", 1234, serial)
        day = FIRST + timedelta(days=draw(st.integers(0, 800)))
        for _ in range(draw(st.integers(1, 3))):
            if day > LAST:
                break
            school = draw(st.sampled_from(SCHOOLS))
            length = draw(st.one_of(st.none(), st.integers(1, 900)))
            leaving = None if length is None else day + timedelta(days=length)
            if leaving is not None and leaving > LAST:
                leaving = None
            stints.append(Stint(school, pupil, day, leaving))
            if leaving is None:
                break
            day = leaving + timedelta(days=draw(st.integers(1, 60)))
    return stints


def _roll(year: int, stints: list[Stint]) -> list[Row]:
    """What year ``year``'s roll says on the day it was extracted: what it could know then."""
    start, extracted = date(year, 9, 1), EXTRACTED[year]
    return [
        Row(s.urn, s.upn, s.entry, s.leaving if s.leaving and s.leaving <= extracted else None)
        for s in stints
        if s.entry <= extracted and (s.leaving is None or s.leaving >= start)
    ]


@settings(max_examples=10, deadline=None)
@given(
    stints=_stints(),
    order=st.permutations(sorted(EXTRACTED)),
    as_at=st.dates(min_value=date(2022, 9, 1), max_value=LAST),
)
def test_no_listed_pupil_has_a_record_leaving_that_school(stints: list[Stint], order: list[int], as_at: date) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        rolls = {year: _roll(year, stints) for year in order}
        paths = [_write_roll(tmp / f"pupils_{year}.csv", rows) for year, rows in rolls.items() if rows]
        with Warehouse(tmp / "w.duckdb") as wh:
            _import(wh, paths)
            listed = _listed(wh, as_at)
    every_row = [row for rows in rolls.values() for row in rows]
    for urn, pupil in listed:
        mine = [r for r in every_row if (r.urn, r.upn) == (urn, pupil) and r.entry <= as_at]
        newest_entry = max(r.entry for r in mine)
        assert not [r for r in mine if r.entry == newest_entry and r.leaving and r.leaving < as_at], (urn, pupil)
    # And nobody is missed: the pupils on roll at as_at by what the newest roll knew of each stint.
    newest_known = {}
    for year in sorted(rolls):
        for row in rolls[year]:
            newest_known[(row.urn, row.upn, row.entry)] = row.leaving
    expected = {
        (urn, pupil)
        for (urn, pupil, entry), leaving in newest_known.items()
        if entry <= as_at and (leaving is None or leaving >= as_at)
    }
    assert listed == expected


@pytest.mark.spark
def test_the_roll_rule_gives_the_same_on_spark(tmp_path: Path, spark: Any) -> None:
    from ever6.engines import spark_tables

    pupil = "A886275415457"
    this_year = _write_roll(
        tmp_path / "pupils_2025-26.csv",
        [Row("147421", pupil, date(2022, 9, 2), date(2025, 12, 29)), Row("109901", pupil, date(2026, 1, 15))],
    )
    last_year = _write_roll(tmp_path / "pupils_2024-25.csv", [Row("147421", pupil, date(2022, 9, 2))])
    with Warehouse(tmp_path / "w.duckdb") as wh:
        _import(wh, [this_year, last_year])
        raw = wh.raw_tables()
        on_duckdb = on_roll(current_tables(raw).pupil_enrolment, date(2026, 3, 31), date(2026, 3, 31))
        expected = on_duckdb.select("urn", "upn", "leaving_date").to_pyarrow().to_pylist()
        on_spark_raw = spark_tables(spark, {k: v.to_pyarrow() for k, v in raw.items()})
    on_spark = on_roll(current_tables(on_spark_raw).pupil_enrolment, date(2026, 3, 31), date(2026, 3, 31))
    assert on_spark.select("urn", "upn", "leaving_date").to_pyarrow().to_pylist() == expected
    assert [r["urn"] for r in expected] == ["109901"]
