"""Published runs: what a refresh stores is what the snapshot and the exports read back."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from ever6.warehouse import Warehouse
from ever6.warehouse.published import Published


def _outputs(rows: int) -> dict[str, pa.Table]:
    return {
        "cohort": pa.table({"la_child_id": ["a", "b"], "status": ["CPP", "CINP"]}),
        "link": pa.table({"la_child_id": ["a"], "upn": ["A123"]}),
        "metric": pa.table(
            {
                "academic_year": pa.array(["2025/26"] * rows),
                "measure": pa.array([f"m{i % 13}" for i in range(rows)]),
                "value": pa.array([float(i) for i in range(rows)]),
            }
        ),
    }


def test_a_first_large_run_reads_back_whole_on_the_same_connection(tmp_path: Path) -> None:
    """More rows than DuckDB's row group (122,880): the first run creates the tables, and its
    measures must read back on the connection that wrote them (the refresh writes the web
    snapshot from them straight after)."""
    rows = 300_000
    with Warehouse(tmp_path / "warehouse.duckdb") as wh:
        published = Published(wh)
        run = published.publish(
            as_at=date(2026, 3, 31),
            strict=False,
            settings={},
            outputs=_outputs(rows),
            started_at=datetime(2026, 4, 1, 9, 0),
            run_by="test",
        )
        assert published.output("metric", run.run_id).num_rows == rows
        assert published.output("cohort", run.run_id).num_rows == 2
        second = published.publish(
            as_at=date(2026, 3, 31),
            strict=False,
            settings={},
            outputs=_outputs(10),
            started_at=datetime(2026, 4, 2, 9, 0),
            run_by="test",
        )
        assert published.output("metric", second.run_id).num_rows == 10
        assert published.output("metric", run.run_id).num_rows == rows
        assert published.start_years(run.run_id) == [2025]
