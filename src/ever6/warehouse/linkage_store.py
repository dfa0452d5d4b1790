"""The linkage's tables in the warehouse: links, review queue, per-child status, data-quality
issues, and the data manager's decisions (which persist across refreshes).

An extension of :class:`ever6.warehouse.Warehouse` that uses its DuckDB connection and adds
its own tables (``CREATE TABLE IF NOT EXISTS``), so the canonical schema and the import
bookkeeping are untouched. Every run replaces the derived tables in one transaction; decisions
are only ever added or overwritten by a decision, never by a run.

``link_decision`` is keyed by (la_child_id, urn, upn) and holds the latest decision on that key;
``link_decision_log`` keeps every decision ever made, for audit.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from ever6.warehouse.store import Warehouse, current_user

DECISIONS = ("accept", "reject")

# Derived tables: replaced whole by every linkage run. Columns are (name, DuckDB type).
DERIVED: dict[str, tuple[tuple[str, str], ...]] = {
    "link": (
        ("la_child_id", "VARCHAR NOT NULL"),
        ("upn", "VARCHAR NOT NULL"),
        ("urn", "VARCHAR NOT NULL"),
        ("method", "VARCHAR NOT NULL"),
        ("match_probability", "DOUBLE"),
    ),
    "link_review": (
        ("la_child_id", "VARCHAR NOT NULL"),
        ("upn", "VARCHAR NOT NULL"),
        ("urn", "VARCHAR"),
        ("match_probability", "DOUBLE"),
        ("reason", "VARCHAR"),
        # Added later (columns added to an existing warehouse on first use):
        ("candidate", "VARCHAR"),  # upn (the child's recorded UPN) or demographics
        ("rank", "INTEGER"),  # the candidate's place for this child, 1 first
        ("evidence", "VARCHAR"),  # JSON: each compared field's level and match weight
    ),
    "link_status": (
        ("la_child_id", "VARCHAR NOT NULL"),
        ("status", "VARCHAR NOT NULL"),
        ("method", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("best_probability", "DOUBLE"),
    ),
    "link_issue": (
        ("kind", "VARCHAR NOT NULL"),
        ("source_table", "VARCHAR"),
        ("la_child_id", "VARCHAR"),
        ("urn", "VARCHAR"),
        ("field", "VARCHAR"),
        ("value", "VARCHAR"),
        ("problem", "VARCHAR"),
    ),
}

_DECISION_COLUMNS = "la_child_id, urn, upn, decision, reason, decided_by, decided_at, match_probability"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS link_decision (
    la_child_id VARCHAR NOT NULL,
    urn VARCHAR NOT NULL,
    upn VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    match_probability DOUBLE,
    PRIMARY KEY (la_child_id, urn, upn)
);
CREATE TABLE IF NOT EXISTS link_decision_log (
    la_child_id VARCHAR NOT NULL,
    urn VARCHAR NOT NULL,
    upn VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    match_probability DOUBLE
);
CREATE TABLE IF NOT EXISTS link_run (
    run_at TIMESTAMP NOT NULL,
    run_by VARCHAR NOT NULL,
    engine VARCHAR NOT NULL,
    model_trained BOOLEAN NOT NULL,
    counts VARCHAR NOT NULL
);
-- Added later: why the probabilistic pass was skipped (null: it ran).
ALTER TABLE link_run ADD COLUMN IF NOT EXISTS probabilistic_skipped VARCHAR;
"""


class DecisionError(ValueError):
    pass


@dataclass(frozen=True)
class Decision:
    la_child_id: str
    urn: str
    upn: str
    decision: str
    reason: str
    decided_by: str
    decided_at: datetime
    match_probability: float | None


class LinkageStore:
    """Linkage tables on a warehouse's connection (created on first use)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.con = warehouse.con
        if warehouse.read_only:
            # Reading only: the tables exist once linkage has run; before that there is nothing to read.
            found = self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'link_run'"
            ).fetchall()
            if not found[0][0]:
                raise LookupError("linkage has not run yet: run `ever6 link` or `ever6 refresh`")
            return
        with self._transaction():
            self.con.execute(_SCHEMA)
            for name, columns in DERIVED.items():
                cols = ", ".join(f'"{c}" {t}' for c, t in columns)
                self.con.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({cols})')
                # A warehouse made by an earlier version lacks the columns added since.
                for c, t in columns:
                    if "NOT NULL" not in t:
                        self.con.execute(f'ALTER TABLE "{name}" ADD COLUMN IF NOT EXISTS "{c}" {t}')

    def _transaction(self) -> AbstractContextManager[None]:
        return self.warehouse.transaction()

    # --- a run's results --------------------------------------------------------------------

    def replace(
        self,
        tables: dict[str, pa.Table],
        *,
        engine: str,
        trained: bool,
        counts: str,
        probabilistic_skipped: str | None = None,
    ) -> None:
        """Replace every derived table with a run's results, all or nothing."""
        unknown = set(tables) - set(DERIVED)
        if unknown:
            raise KeyError(f"not linkage tables: {sorted(unknown)}")
        with self._transaction():
            for name, table in tables.items():
                columns = [c for c, _ in DERIVED[name]]
                self.con.execute(f'DELETE FROM "{name}"')
                view = f"_incoming_{name}"
                self.con.register(view, table.select(columns))
                try:
                    cols = ", ".join(f'"{c}"' for c in columns)
                    self.con.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM "{view}"')
                finally:
                    self.con.unregister(view)
            self.con.execute(
                "INSERT INTO link_run (run_at, run_by, engine, model_trained, counts, probabilistic_skipped) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [datetime.now().replace(microsecond=0), current_user(), engine, trained, counts, probabilistic_skipped],
            )

    def table(self, name: str) -> pa.Table:
        """A linkage table; a derived one always with every column of :data:`DERIVED` (null
        where a read-only warehouse from an earlier version lacks it)."""
        if name not in DERIVED and name not in {"link_decision", "link_decision_log", "link_run"}:
            raise KeyError(name)
        table = self.con.sql(f'SELECT * FROM "{name}"').to_arrow_table()
        for c, t in DERIVED.get(name, ()):
            if c not in table.column_names:
                kind = {"INTEGER": pa.int32(), "DOUBLE": pa.float64()}.get(t.split()[0], pa.string())
                table = table.append_column(c, pa.nulls(table.num_rows, kind))
        return table

    def probabilistic_skipped(self) -> str | None:
        """Why the latest linkage run skipped the probabilistic pass (None: it ran, or no run yet)."""
        columns = self.con.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'link_run' AND column_name = 'probabilistic_skipped'"
        ).fetchall()
        if not columns[0][0]:  # a read-only warehouse from before the column
            return None
        rows = self.con.execute("SELECT probabilistic_skipped FROM link_run ORDER BY run_at DESC LIMIT 1").fetchall()
        return rows[0][0] if rows else None

    def has_run(self) -> bool:
        rows = self.con.execute("SELECT count(*) FROM link_run").fetchall()
        return bool(rows[0][0])

    def last_changes(self) -> tuple[datetime | None, datetime | None]:
        """When a decision was last made, and when linkage last ran (None: never)."""
        rows = self.con.execute(
            "SELECT (SELECT max(decided_at) FROM link_decision_log), (SELECT max(run_at) FROM link_run)"
        ).fetchall()
        return rows[0][0], rows[0][1]

    # --- decisions --------------------------------------------------------------------------

    def decide(
        self,
        la_child_id: str,
        urn: str,
        upn: str,
        decision: str,
        reason: str,
        *,
        who: str | None = None,
        match_probability: float | None = None,
    ) -> Decision:
        """Record (or overwrite) the decision on a pair; every decision is also logged."""
        if decision not in DECISIONS:
            raise DecisionError(f"decision must be one of {', '.join(DECISIONS)}; got {decision!r}")
        if not reason or not reason.strip():
            raise DecisionError("a decision needs a reason")
        if not (la_child_id and urn and upn):
            raise DecisionError("a decision needs la_child_id, urn and upn")
        row: list[Any] = [
            la_child_id,
            urn,
            upn,
            decision,
            reason.strip(),
            who or current_user(),
            datetime.now().replace(microsecond=0),
            match_probability,
        ]
        with self._transaction():
            self.con.execute(
                f"INSERT INTO link_decision ({_DECISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (la_child_id, urn, upn) DO UPDATE SET decision = excluded.decision, "
                "reason = excluded.reason, decided_by = excluded.decided_by, decided_at = excluded.decided_at, "
                "match_probability = excluded.match_probability",
                row,
            )
            self.con.execute(
                f"INSERT INTO link_decision_log ({_DECISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row
            )
        return Decision(*row)

    def decisions(self) -> pa.Table:
        """The latest decision on every pair, oldest first (so a later one wins when applied)."""
        return self.con.sql(
            f"SELECT {_DECISION_COLUMNS} FROM link_decision ORDER BY decided_at, la_child_id, upn, urn"
        ).to_arrow_table()
