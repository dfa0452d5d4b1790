"""A refresh swapping in a new snapshot mid-request: the request reads the old one to its end,
the next reads the new one; a page never shows parts of two runs."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime
from pathlib import Path

import duckdb

from ever6.access import Snapshot


def _snapshot(path: Path, run_id: int) -> None:
    """A snapshot with only its run table, written as a refresh does: beside, then renamed."""
    partial = path.with_suffix(".partial")
    con = duckdb.connect(str(partial))
    con.execute(
        "CREATE TABLE run AS SELECT ?::INTEGER AS run_id, ?::DATE AS as_at, false AS strict, "
        "?::TIMESTAMP AS finished_at, 'test' AS run_by, '886' AS la_code, false AS cla_in_cwsw",
        [run_id, date(2026, 1, run_id), datetime(2026, 1, run_id, 12)],
    )
    con.execute("CREATE TABLE metric AS SELECT ?::VARCHAR AS academic_year", [f"run-{run_id}"])
    con.close()
    os.replace(partial, path)


def test_a_pinned_reader_keeps_its_snapshot_through_a_swap(tmp_path: Path) -> None:
    path = tmp_path / "web.duckdb"
    _snapshot(path, 1)
    reader = Snapshot(path)
    assert reader.run().run_id == 1
    with reader.pinned():
        version = reader.version()
        _snapshot(path, 2)  # a refresh publishes mid-request
        assert reader.run().run_id == 1
        assert reader.academic_years() == ["run-1"]
        assert reader.version() == version  # the page cache keys this request's page by run 1
        seen_elsewhere: list[int] = []
        other = threading.Thread(target=lambda: seen_elsewhere.append(reader.run().run_id))
        other.start()
        other.join()
        assert seen_elsewhere == [2]  # another request, started after the swap, sees the new run
    assert reader.run().run_id == 2
    assert reader.academic_years() == ["run-2"]
    assert reader.version() != version


def test_pinning_before_anything_is_published_changes_nothing(tmp_path: Path) -> None:
    reader = Snapshot(tmp_path / "web.duckdb")
    with reader.pinned():
        _snapshot(tmp_path / "web.duckdb", 1)
        assert reader.run().run_id == 1
