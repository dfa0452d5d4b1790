"""Published outputs: what a refresh computed, stored as one atomic run.

``ever6 refresh`` computes the cohort, the links and the measures and publishes them here in one
transaction; exports and the web service read the latest run and never recompute. Earlier runs
are kept, so figures published on a date can be reproduced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from ever6.dates import parse_academic_year
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
"""

OUTPUTS = ("cohort", "link", "metric")


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
    ) -> Run:
        """Store every output of one refresh, or nothing."""
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
            con.execute(
                "INSERT INTO refresh_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                ],
            )
        return self.run(run_id)

    def runs(self) -> list[Run]:
        if not self._has("refresh_run"):
            return []
        rows = self.wh.con.execute("SELECT * FROM refresh_run ORDER BY run_id").fetchall()
        return [_run(r) for r in rows]

    def run(self, run_id: int) -> Run:
        row = self.wh.con.execute("SELECT * FROM refresh_run WHERE run_id = ?", [run_id]).fetchall()
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
