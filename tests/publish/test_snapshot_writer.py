"""Writing the snapshot: suppression is reused for publications a refresh did not change."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ever6.config import load_settings
from ever6.publish import snapshot as snapshot_module
from ever6.warehouse import Warehouse
from ever6.warehouse.published import Published
from tests.conftest import Published as PublishedDemo


def _table(path: Path, name: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
    finally:
        con.close()


def test_unchanged_publications_reuse_their_suppression(
    published: PublishedDemo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(published.home, home)
    settings = load_settings(home)
    target = home / "published" / "web.duckdb"
    before = _table(target, "metric_suppressed")
    digests = _table(target, "partition_digest")
    assert digests, "the snapshot records a digest per (year, period)"

    calls: list[int] = []
    real = snapshot_module.suppress_metrics

    def counting(table: Any, **kwargs: Any) -> Any:
        calls.append(table.num_rows)
        return real(table, **kwargs)

    monkeypatch.setattr(snapshot_module, "suppress_metrics", counting)
    profiled: list[int] = []
    real_profile = snapshot_module._profile

    def profiling(raw: Any, cohort: Any, *args: Any) -> Any:
        profiled.append(cohort.num_rows)
        return real_profile(raw, cohort, *args)

    monkeypatch.setattr(snapshot_module, "_profile", profiling)
    profile_before = _table(target, "profile_suppressed")
    flow_before = _table(target, "flow")
    with Warehouse(settings.warehouse_path) as wh:
        run = Published(wh).latest()
        assert run is not None
        # The same run again: nothing changed, nothing is suppressed again, the figures are identical.
        snapshot_module.write_snapshot(wh, run, settings)
        assert calls == []
        assert _table(target, "metric_suppressed") == before
        # The profile's and flow's inputs (cohort, links, social care and school registers) are unchanged too.
        assert profiled == []
        assert _table(target, "profile_suppressed") == profile_before
        assert _table(target, "flow") == flow_before

        # Change one publication's figures: only that one is suppressed again.
        year, period = digests[0][0], digests[0][1]
        con = wh.con
        con.execute(
            "UPDATE published_metric SET numerator = numerator + 1 "
            "WHERE run_id = ? AND academic_year = ? AND period = ? AND measure = 'pupils' AND breakdown = 'all'",
            [run.run_id, year, period],
        )
        snapshot_module.write_snapshot(wh, run, settings)
        assert profiled == []  # new figures (a new day of marks) leave the profile as it was

        # A cohort without one child, or in another order: the digest says so, or not.
        published_run = Published(wh)
        metrics, cohort, links = (published_run.output(name, run.run_id) for name in ("metric", "cohort", "link"))
        same = snapshot_module.cohort_digest(wh, cohort, links, metrics, run.as_at, settings)
        assert snapshot_module._previous_cohort_tables(target, same) is not None
        shuffled = cohort.take(list(reversed(range(cohort.num_rows))))
        assert snapshot_module.cohort_digest(wh, shuffled, links, metrics, run.as_at, settings) == same
        fewer = snapshot_module.cohort_digest(wh, cohort.slice(1), links, metrics, run.as_at, settings)
        assert fewer != same
        assert snapshot_module._previous_cohort_tables(target, fewer) is None
    assert len(calls) == 1
    after = _table(target, "metric_suppressed")
    assert len(after) == len(before)
    assert [r for r in after if (r[0], r[1]) != (year, period)] == [r for r in before if (r[0], r[1]) != (year, period)]


def test_each_published_text_is_kept_with_the_number_it_shows() -> None:
    import pyarrow as pa

    texts = ["12.3", "c", "z", "x", "low", "0", "-1.5", "1739", None]
    table = pa.table({"measure": ["m"] * len(texts), "value": pa.array(texts, pa.string())})
    out = snapshot_module.with_figures(table)
    assert out.column("value").to_pylist() == texts
    assert out.column("figure").to_pylist() == [12.3, None, None, None, None, 0.0, -1.5, 1739.0, None]
    again = snapshot_module.with_figures(out)  # a reused publication already has its numbers
    assert again.column_names == ["measure", "value", "figure"]
    assert snapshot_module.with_figures(table.slice(0, 0)).column("figure").type == pa.float64()
