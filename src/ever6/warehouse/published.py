"""Published outputs: what a refresh computed, stored as one atomic run.

``ever6 refresh`` computes the cohort, the links and the measures and publishes them here in one
transaction; exports and the web service read the latest run and never recompute. Earlier runs
are kept, so figures published on a date can be reproduced.

One publication: a run is stored *pending*, then its web snapshot is swapped in (one atomic
rename), then the run is marked published. The rename is the moment the run becomes visible to
everyone: a pending run is published if the snapshot beside the warehouse is its snapshot, and
otherwise it does not exist for readers. :meth:`Published.settle`, at the start of the next
refresh, completes the one (marks it) or removes the other: a refresh stopped at any step leaves
the exports and the web pages showing the same run, the old or the new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ever6.config import snapshot_beside
from ever6.dates import parse_academic_year
from ever6.faults import fault_point
from ever6.warehouse.store import Warehouse

_DDL = """
CREATE SEQUENCE IF NOT EXISTS refresh_run_seq START 1;
CREATE TABLE IF NOT EXISTS refresh_run (
    run_id INTEGER PRIMARY KEY,
    as_at DATE NOT NULL,
    strict BOOLEAN NOT NULL,
    settings VARCHAR NOT NULL,
    batches INTEGER[] NOT NULL,
    row_counts VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    run_by VARCHAR NOT NULL
);
-- 'pending' from its commit until its web snapshot is in place; runs from before have none pending.
ALTER TABLE refresh_run ADD COLUMN IF NOT EXISTS state VARCHAR DEFAULT 'published';
"""

OUTPUTS = ("cohort", "link", "metric")


def snapshot_run_id(path: Path) -> int | None:
    """The run a web snapshot holds; None when there is none, or it cannot be read."""
    if not path.exists():
        return None
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS snap (READ_ONLY)", [str(path)])
        rows = con.execute("SELECT run_id FROM snap.run").fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return int(rows[0][0]) if rows else None


@dataclass(frozen=True)
class Run:
    run_id: int
    as_at: date
    strict: bool
    settings: dict[str, Any]
    batches: tuple[int, ...]
    row_counts: dict[str, int]
    started_at: datetime
    finished_at: datetime
    run_by: str


def _table_name(output: str) -> str:
    if output not in OUTPUTS:
        raise KeyError(output)
    return f"published_{output}"


class Published:
    """Published runs in a warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.wh = warehouse
        if not warehouse.read_only:
            warehouse.con.execute(_DDL)

    def publish(
        self,
        *,
        as_at: date,
        strict: bool,
        settings: dict[str, Any],
        outputs: dict[str, pa.Table],
        started_at: datetime,
        run_by: str,
        pending: bool = False,
    ) -> Run:
        """Store every output of one refresh, or nothing. ``pending``: not yet visible; the
        refresh marks it published (:meth:`mark_published`) once its web snapshot is in place."""
        if set(outputs) != set(OUTPUTS):
            raise ValueError(f"a run publishes exactly {OUTPUTS}")
        con = self.wh.con
        batches = [b.batch_id for b in self.wh.batches(include_rolled_back=False)]
        # The first run's tables are created (empty) and committed before the run is written:
        # DuckDB 2.0 reads a table created and filled with more than a row group of rows in one
        # transaction back empty on the same connection, so the snapshot written next from the
        # measures would be empty (tests/warehouse/test_published.py).
        for output, table in outputs.items():
            name = _table_name(output)
            if not self._has(name):
                con.register("_publish_shape", table)
                try:
                    con.execute(f'CREATE TABLE "{name}" AS SELECT 0::INTEGER AS run_id, * FROM _publish_shape LIMIT 0')
                finally:
                    con.unregister("_publish_shape")
        with self.wh.transaction():
            run_id = int(con.execute("SELECT nextval('refresh_run_seq')").fetchall()[0][0])
            for output, table in outputs.items():
                view = f"_publish_{output}"
                con.register(view, table)
                try:
                    con.execute(
                        f'INSERT INTO "{_table_name(output)}" BY NAME SELECT ?::INTEGER AS run_id, * FROM "{view}"',
                        [run_id],
                    )
                finally:
                    con.unregister(view)
            fault_point("in-publish")
            con.execute(
                "INSERT INTO refresh_run (run_id, as_at, strict, settings, batches, row_counts, started_at, "
                "finished_at, run_by, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    as_at,
                    strict,
                    json.dumps(settings, sort_keys=True, default=str),
                    batches,
                    json.dumps({k: v.num_rows for k, v in outputs.items()}, sort_keys=True),
                    started_at,
                    datetime.now().replace(microsecond=0),
                    run_by,
                    "pending" if pending else "published",
                ],
            )
        return self.run(run_id)

    def mark_published(self, run_id: int) -> None:
        self.wh.con.execute("UPDATE refresh_run SET state = 'published' WHERE run_id = ?", [run_id])

    def pending(self) -> list[int]:
        """Runs committed but not (yet) marked published: a refresh in progress or one stopped."""
        if not self._has("refresh_run") or not self._has_state():
            return []
        rows = self.wh.con.execute("SELECT run_id FROM refresh_run WHERE state = 'pending' ORDER BY 1").fetchall()
        return [int(r[0]) for r in rows]

    def settle(self, snapshot: Path | None = None) -> dict[str, list[int]]:
        """Complete what a stopped refresh left: a pending run whose snapshot is in place is
        marked published, any other pending run is removed with its outputs. Needs the warehouse
        open for writing (so no refresh is running)."""
        held = snapshot_run_id(snapshot or snapshot_beside(self.wh.path))
        done: dict[str, list[int]] = {"published": [], "removed": []}
        for run_id in self.pending():
            if run_id == held:
                self.mark_published(run_id)
                done["published"].append(run_id)
                continue
            with self.wh.transaction():
                for output in OUTPUTS:
                    if self._has(_table_name(output)):
                        self.wh.con.execute(f'DELETE FROM "{_table_name(output)}" WHERE run_id = ?', [run_id])
                self.wh.con.execute("DELETE FROM refresh_run WHERE run_id = ?", [run_id])
            done["removed"].append(run_id)
        return done

    def runs(self) -> list[Run]:
        """The published runs, oldest first (a pending run counts once its snapshot is in place)."""
        if not self._has("refresh_run"):
            return []
        columns = "run_id, as_at, strict, settings, batches, row_counts, started_at, finished_at, run_by"
        if not self._has_state():  # a warehouse from before pending runs, opened read-only
            rows = self.wh.con.execute(f"SELECT {columns} FROM refresh_run ORDER BY run_id").fetchall()
            return [_run(r) for r in rows]
        pending = self.pending()
        held = snapshot_run_id(snapshot_beside(self.wh.path)) if pending else None
        rows = self.wh.con.execute(
            f"SELECT {columns} FROM refresh_run WHERE state = 'published' OR run_id = ? ORDER BY run_id", [held]
        ).fetchall()
        return [_run(r) for r in rows]

    def _has_state(self) -> bool:
        rows = self.wh.con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'refresh_run' AND column_name = 'state'"
        ).fetchall()
        return bool(rows[0][0])

    def run(self, run_id: int) -> Run:
        """Any stored run, published or pending."""
        columns = "run_id, as_at, strict, settings, batches, row_counts, started_at, finished_at, run_by"
        row = self.wh.con.execute(f"SELECT {columns} FROM refresh_run WHERE run_id = ?", [run_id]).fetchall()
        if not row:
            raise LookupError(f"there is no refresh run {run_id}")
        return _run(row[0])

    def latest(self) -> Run | None:
        runs = self.runs()
        return runs[-1] if runs else None

    def output(self, output: str, run_id: int) -> pa.Table:
        name = _table_name(output)
        if not self._has(name):
            return pa.table({})
        return self.wh.con.sql(
            f'SELECT * EXCLUDE (run_id) FROM "{name}" WHERE run_id = $run', params={"run": run_id}
        ).to_arrow_table()

    def start_years(self, run_id: int) -> list[int]:
        """The academic years (as start years) a run has measures for."""
        if not self._has("published_metric"):
            return []
        rows = self.wh.con.execute(
            "SELECT DISTINCT academic_year FROM published_metric WHERE run_id = ? ORDER BY 1", [run_id]
        ).fetchall()
        return [parse_academic_year(str(r[0])) for r in rows]

    def _has(self, name: str) -> bool:
        rows = self.wh.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()  # fetch all: DuckDB wants a result finished before the next statement
        return bool(rows[0][0])


def _run(row: tuple[Any, ...]) -> Run:
    return Run(
        run_id=row[0],
        as_at=row[1],
        strict=row[2],
        settings=json.loads(row[3]),
        batches=tuple(row[4]),
        row_counts=json.loads(row[5]),
        started_at=row[6],
        finished_at=row[7],
        run_by=row[8],
    )
