"""A refresh reuses what new data cannot have changed, and publishes what a full refresh would."""

from __future__ import annotations

import contextlib
import csv
import shutil
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from ever6.config import Settings, load_settings
from ever6.publish.pipeline import analytics_tables, compute_measures, import_sources, refresh
from ever6.publish.session_counts import keep as keep_session_counts
from ever6.warehouse import Warehouse
from ever6.warehouse.linkage_store import LinkageStore
from ever6.warehouse.published import Published, Run
from tests.conftest import Published as PublishedDemo


@pytest.fixture
def workspace(published: PublishedDemo, tmp_path: Path) -> tuple[Settings, date, Path]:
    """A private copy of the session's refreshed tiny authority (tests/conftest.py; each test
    imports into it). What is reused is decided before the snapshot is written, and these tests
    read the unsuppressed outputs only: interval protection off (``protection_width = 0``) makes
    each refresh's snapshot cheap without changing anything they assert."""
    copy = tmp_path / "home"
    shutil.copytree(published.home, copy, symlinks=True)
    config = copy / "ever6.toml"
    config.write_text(config.read_text() + "\n[disclosure]\nprotection_width = 0\n")
    settings = load_settings(copy)
    assert settings.disclosure.protection_width == 0
    with Warehouse(settings.warehouse_path, read_only=True) as wh:
        run = Published(wh).latest()
    assert run is not None
    return settings, run.as_at, copy / "synthetic"


def _messages() -> tuple[list[str], Any]:
    seen: list[str] = []
    return seen, lambda message, _fraction: seen.append(message)


class _Decided(Exception):
    """Raised from a refresh's progress once it has said what it will compute (:func:`_decision`)."""


def _decision(wh: Warehouse, settings: Settings, as_at: date, *, until: str) -> list[str]:
    """What a refresh said up to its first message starting with ``until``, where it is stopped:
    what it reuses is decided, and said, before any of it is computed (``ever6.publish.reuse.plan``),
    and computing it is the same work as any full refresh's (tests/publish/test_pipeline_engines.py).
    Stopped before it publishes, the warehouse's latest run is still the one it was compared with.
    A refresh that never says ``until`` runs to the end, and the caller's assertions see all it said."""
    seen: list[str] = []

    def progress(message: str, _fraction: float) -> None:
        seen.append(message)
        if message.startswith(until):
            raise _Decided(message)

    with contextlib.suppress(_Decided):
        refresh(wh, settings, as_at, progress=progress)
    return seen


def _next_day_of_marks(data: Path, out: Path) -> tuple[date, int]:
    """The last day's marks of the marks file, moved to the next weekday: one more school day."""
    source = next(p for p in sorted((data / "attendance").glob("attendance_*.csv")) if "termly" not in p.name)
    with source.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    last = max(date.fromisoformat(r["date"]) for r in rows)
    day = last + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    kept = [{**r, "date": day.isoformat()} for r in rows if r["date"] == last.isoformat()]
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return day, len(kept)


def _sorted(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in table.to_pylist())


@dataclass(frozen=True)
class NextDay:
    """The session's tiny authority copied, one more day of marks imported and refreshed (interval
    protection on, as by default): what the refresh said, and the runs and memo before and after."""

    settings: Settings
    day: date
    before: Run
    after: Run
    seen: list[str]
    memo_before: dict[str, set[str]]
    memo_after: dict[str, set[str]]


def _memo(snapshot: Path) -> dict[str, set[str]]:
    """The snapshot's protection memo: its keys by academic year."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        rows = con.execute("SELECT academic_year, key FROM protection_memo").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for year, key in rows:
        out.setdefault(year, set()).add(key)
    return out


@pytest.fixture(scope="module")
def next_day(published: PublishedDemo, tmp_path_factory: pytest.TempPathFactory) -> NextDay:
    """One refresh after a new day of marks, read by the two tests after it: one asserts what it
    reused and computed, the other what its interval protection replayed."""
    folder = tmp_path_factory.mktemp("next-day")
    home = folder / "home"
    shutil.copytree(published.home, home, symlinks=True)
    settings = load_settings(home)
    assert settings.disclosure.protection_width > 0
    day, n = _next_day_of_marks(home / "synthetic", folder / "next_day.csv")
    assert n > 0
    memo_before = _memo(settings.snapshot_path)
    with Warehouse(settings.warehouse_path) as wh:
        before = Published(wh).latest()
        assert before is not None
        import_sources(wh, settings, "attendance", [folder / "next_day.csv"])
        seen, progress = _messages()
        after = refresh(wh, settings, before.as_at, progress=progress)
    return NextDay(settings, day, before, after, seen, memo_before, _memo(settings.snapshot_path))


def test_a_new_day_of_marks_reuses_the_cohort_links_and_other_years(next_day: NextDay) -> None:
    settings, day, before, after, seen = (
        next_day.settings,
        next_day.day,
        next_day.before,
        next_day.after,
        next_day.seen,
    )
    with Warehouse(settings.warehouse_path, read_only=True) as wh:
        published = Published(wh)
        assert any(f"reusing the cohort and links of run {before.run_id}" in m for m in seen), seen
        assert not any("linking" in m for m in seen)
        year = day.year if day.month >= 9 else day.year - 1
        reused = [y for y in published.start_years(before.run_id) if y != year]
        assert reused, "the tiny authority has an earlier year whose measures can be reused"
        assert any(m.startswith("reusing the measures of") for m in seen), seen
        # What was reused and what was computed together equal a full computation.
        cohort = published.output("cohort", after.run_id)
        links = published.output("link", after.run_id)
        full = compute_measures(analytics_tables(wh, settings), cohort, links, settings, after.as_at)
        assert _sorted(published.output("metric", after.run_id)) == _sorted(full)
        assert _sorted(cohort) == _sorted(published.output("cohort", before.run_id))
        # and the new day counted: the current year's possible sessions grew.
        assert _sorted(published.output("metric", after.run_id)) != _sorted(published.output("metric", before.run_id))


def test_social_care_data_means_everything_is_computed_again(workspace: tuple[Settings, date, Path]) -> None:
    settings, as_at, _ = workspace
    with Warehouse(settings.warehouse_path) as wh:
        batch = wh.batches()[0]
        assert batch.format == "cin-census"
        wh.rollback(batch.batch_id)  # a census year taken out: the cohort may change
        seen = _decision(wh, settings, as_at, until="linking")
        assert "building the cohort (social care, pupil or school data changed)" in seen
        assert any("linking" in m for m in seen)


def test_a_linkage_decision_means_the_links_are_computed_again(workspace: tuple[Settings, date, Path]) -> None:
    settings, as_at, _ = workspace
    with Warehouse(settings.warehouse_path) as wh:
        link = Published(wh).output("link", Published(wh).latest().run_id).to_pylist()[0]  # type: ignore[union-attr]
        LinkageStore(wh).decide(link["la_child_id"], link["urn"] or "", link["upn"], "reject", "not this pupil")
        seen = _decision(wh, settings, as_at, until="linking")
        assert "building the cohort (linkage decisions or a linkage run since)" in seen, seen
        assert any("linking" in m for m in seen), seen


def test_another_reference_date_or_setting_means_everything_is_computed_again(
    workspace: tuple[Settings, date, Path],
) -> None:
    settings, as_at, _ = workspace
    with Warehouse(settings.warehouse_path) as wh:
        # Each compared with the published run (neither refresh publishes): one change at a time.
        for changed, when, why in (
            (settings, as_at - timedelta(days=1), f"the reference date changed from {as_at}"),
            (replace(settings, measures=replace(settings.measures, cla_in_cwsw=True)), as_at, "the settings changed"),
        ):
            seen = _decision(wh, changed, when, until="building the cohort")
            assert f"building the cohort ({why})" in seen, seen


def test_nothing_new_reuses_everything(workspace: tuple[Settings, date, Path]) -> None:
    settings, as_at, _ = workspace
    with Warehouse(settings.warehouse_path) as wh:
        published = Published(wh)
        before = published.latest()
        assert before is not None
        seen, progress = _messages()
        after = refresh(wh, settings, as_at, progress=progress)
        assert any("nothing was imported or rolled back" in m for m in seen), seen
        assert any(m.startswith("reusing the measures of") for m in seen), seen
        for output in ("cohort", "link", "metric"):
            assert _sorted(published.output(output, after.run_id)) == _sorted(published.output(output, before.run_id))


def _resent_day(data: Path, out: Path) -> tuple[date, int]:
    """A day already imported, sent again by the school with every present mark made unauthorised
    absence (``O``): a later batch's version of that day must replace the earlier one."""
    source = next(p for p in sorted((data / "attendance").glob("attendance_*.csv")) if "termly" not in p.name)
    with source.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    days = sorted({r["date"] for r in rows})
    day = days[len(days) // 2]
    changed = [{**r, "code": "O" if r["code"] in ("/", "\\") else r["code"]} for r in rows if r["date"] == day]
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(changed)
    return date.fromisoformat(day), sum(1 for r in rows if r["date"] == day and r["code"] in ("/", "\\"))


def _from_every_mark(wh: Warehouse, settings: Settings, cohort: pa.Table, links: pa.Table, as_at: date) -> pa.Table:
    """The measures computed without the counts kept per batch: every current mark counted."""
    raw = {k: v for k, v in analytics_tables(wh, settings).items() if k != "attendance_session_count"}
    return compute_measures(raw, cohort, links, settings, as_at)


def test_session_counts_kept_per_batch_give_what_counting_every_mark_gives(
    workspace: tuple[Settings, date, Path], tmp_path: Path
) -> None:
    """A new day, a day resent with other codes (two batches share it), an earlier reference date
    (days after it not counted) and a rolled-back batch: the kept counts give the same measures."""
    settings, as_at, data = workspace
    _next_day_of_marks(data, tmp_path / "next_day.csv")
    resent, changed = _resent_day(data, tmp_path / "resent.csv")
    assert changed > 0
    with Warehouse(settings.warehouse_path) as wh:
        import_sources(wh, settings, "attendance", [tmp_path / "next_day.csv"])
        resend = import_sources(wh, settings, "attendance", [tmp_path / "resent.csv"])
        assert keep_session_counts(wh) > 0  # what a refresh does before its measures
        published = Published(wh)
        run = published.latest()
        assert run is not None
        cohort, links = published.output("cohort", run.run_id), published.output("link", run.run_id)
        (kept,) = wh.con.execute("SELECT count(DISTINCT batch_id) FROM attendance_session_count").fetchone() or (0,)
        assert kept >= 3  # the year's marks, the new day and the resent day, each counted once

        def unauthorised(metrics: pa.Table) -> dict[tuple[str, str], float]:
            return {
                (r["period"], r["group"]): r["numerator"]
                for r in metrics.to_pylist()
                if r["measure"] == "unauthorised_absence_rate" and r["breakdown"] == "all"
            }

        for when in (as_at, resent - timedelta(days=1), resent):
            kept_figures = compute_measures(analytics_tables(wh, settings), cohort, links, settings, when)
            assert _sorted(kept_figures) == _sorted(_from_every_mark(wh, settings, cohort, links, when))
        with_resent = unauthorised(kept_figures)
        wh.rollback(resend[0].batch.batch_id)
        rolled = compute_measures(analytics_tables(wh, settings), cohort, links, settings, resent)
        assert _sorted(rolled) == _sorted(_from_every_mark(wh, settings, cohort, links, resent))
        # The resent day's version counted, and stopped counting with its batch.
        without = unauthorised(rolled)
        assert any(with_resent[k] > without[k] for k in without if k in with_resent)


def test_a_new_day_replays_the_interval_protection_of_what_it_did_not_change(next_day: NextDay) -> None:
    """The web snapshot after a new day of marks: the protection of the current year's unchanged
    components is replayed from the previous snapshot (``ever6.disclosure.memo``), and the
    suppressed figures are those of protecting again."""
    import pyarrow.compute as pc

    from ever6.disclosure import DisclosureRules
    from ever6.metrics.publication import school_nesting, suppress_metrics

    settings, before, after = next_day.settings, next_day.memo_before, next_day.memo_after
    con = duckdb.connect(str(settings.snapshot_path), read_only=True)
    try:
        la = con.sql("SELECT la_code FROM run").fetchall()[0][0]
        register = con.sql("SELECT * FROM school").to_arrow_table()
        metric = con.sql("SELECT * FROM metric").to_arrow_table()
        shown = con.sql("SELECT * EXCLUDE (figure) FROM metric_suppressed").to_arrow_table()
    finally:
        con.close()
    changed = [y for y in sorted(after) if after[y] != before.get(y)]
    assert len(changed) == 1, f"the new day changes the protection of one year, not {changed}"
    year = changed[0]
    assert after[year] & before[year], "no component of the current year replayed"
    assert after[year] - before[year], "no component of the current year protected again"
    assert before[year] - after[year], "the entries the new day made obsolete are kept"
    # Protecting the year again, without the memo, publishes the same.
    rules = DisclosureRules(protection_width=settings.disclosure.protection_width)
    nesting = school_nesting(register, la, settings.localities.load(settings.home))
    again = suppress_metrics(
        metric.filter(pc.equal(metric["academic_year"], year)),
        cla_in_cwsw=settings.measures.cla_in_cwsw,
        rules=rules,
        nesting=nesting,
    )
    assert _sorted(shown.filter(pc.equal(shown["academic_year"], year))) == _sorted(again)
