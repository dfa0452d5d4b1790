"""What the data manager's pages ask of the warehouse: counts of import problems and linkage
issues, the published cohort's UPN coverage, the rows of the review queue.

The SQL against the warehouse's tables lives here, beside the tables it reads; the permission
checks and the audit are :mod:`ever6.access.operations`', which calls these. Every function takes
an open :class:`~ever6.warehouse.store.Warehouse` and reads only; each answers "nothing yet" (an
empty list, ``None``, zeros) for a warehouse that has not got that far.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ever6.warehouse.store import Warehouse


def has_table(wh: Warehouse, name: str) -> bool:
    rows = wh.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()
    return bool(rows[0][0])


def _one(wh: Warehouse, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    rows = wh.con.execute(sql, params or []).fetchall()
    return tuple(rows[0])


def _dicts(wh: Warehouse, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = wh.con.execute(sql, params or [])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- imports -------------------------------------------------------------------------------------


def warning_count(wh: Warehouse) -> int:
    """Problems the readers recovered from (warnings) in batches still active."""
    if not has_table(wh, "import_problem"):
        return 0
    (n,) = _one(
        wh,
        "SELECT count(*) FROM import_problem p JOIN import_batch b USING (batch_id) "
        "WHERE b.status = 'active' AND p.severity = 'warning'",
    )
    return int(n)


def dfe_rule_issues(wh: Warehouse) -> list[dict[str, Any]]:
    """The DfE rules' issues (source ``dfe``) in active batches, by rule: counts of issues and of
    children, no ids."""
    return _dicts(
        wh,
        "SELECT b.format, p.rule, any_value(p.message) AS message, count(DISTINCT p.batch_id) AS batches, "
        "count(*) AS issues, count(DISTINCT p.child) AS children "
        "FROM import_problem p JOIN import_batch b USING (batch_id) "
        "WHERE b.status = 'active' AND p.source = 'dfe' AND p.rule IS NOT NULL "
        "GROUP BY ALL ORDER BY issues DESC, b.format, p.rule",
    )


def problems_by_format(wh: Warehouse) -> list[dict[str, Any]]:
    return _dicts(
        wh,
        "SELECT b.format, p.severity, count(DISTINCT p.batch_id) AS batches, count(*) AS problems "
        "FROM import_problem p JOIN import_batch b USING (batch_id) WHERE b.status = 'active' "
        "GROUP BY ALL ORDER BY b.format, p.severity",
    )


def problems_by_field(wh: Warehouse) -> list[dict[str, Any]]:
    return _dicts(
        wh,
        "SELECT b.format, coalesce(p.field, '(whole record)') AS field, count(*) AS problems "
        "FROM import_problem p JOIN import_batch b USING (batch_id) WHERE b.status = 'active' "
        "GROUP BY ALL ORDER BY problems DESC, b.format, field",
    )


def enrolments_without_school(wh: Warehouse) -> dict[str, int]:
    """Enrolments at schools the register (GIAS) does not hold, and how many such schools."""
    schools, enrolments = _one(
        wh,
        "SELECT count(DISTINCT e.urn), count(DISTINCT (e.urn, e.upn)) FROM pupil_enrolment e "
        "WHERE NOT EXISTS (SELECT 1 FROM establishment s WHERE s.urn = e.urn)",
    )
    return {"schools": int(schools), "enrolments": int(enrolments)}


def school_names(wh: Warehouse) -> dict[str, str]:
    """Each school's name, from its latest register batch."""
    rows = wh.con.execute(
        "SELECT urn, name FROM establishment QUALIFY row_number() OVER (PARTITION BY urn ORDER BY batch_id DESC) = 1"
    ).fetchall()
    return {str(urn): str(name) for urn, name in rows if name}


# --- linkage -------------------------------------------------------------------------------------


def linkage_counts(wh: Warehouse) -> tuple[int, int] | None:
    """Pairs awaiting review and linkage issues; ``None`` before the first linkage. (Children not
    linked are one of the cohort counts, :mod:`ever6.publish.counts`.)"""
    if not has_table(wh, "link_run"):
        return None
    (queue,) = _one(wh, "SELECT count(*) FROM link_review")
    (issues,) = _one(wh, "SELECT count(*) FROM link_issue")
    return int(queue), int(issues)


def linkage_issue_counts(wh: Warehouse) -> list[dict[str, Any]]:
    return _dicts(
        wh, "SELECT kind, source_table, count(*) AS issues FROM link_issue GROUP BY ALL ORDER BY issues DESC, kind"
    )


def latest_link_run(wh: Warehouse) -> dict[str, Any] | None:
    runs = _dicts(wh, "SELECT run_at, run_by, engine FROM link_run ORDER BY run_at DESC LIMIT 1")
    return runs[0] if runs else None


def linkage_issues(wh: Warehouse, limit: int) -> list[dict[str, Any]]:
    """The linkage's issues, one row per record to fix at source (pupil-level)."""
    if not has_table(wh, "link_issue"):
        return []
    return _dicts(
        wh,
        "SELECT kind, source_table, la_child_id, urn, field, value, problem FROM link_issue "
        "ORDER BY kind, source_table, la_child_id, urn LIMIT ?",
        [limit],
    )


def review_pair_school(wh: Warehouse, la_child_id: str, upn: str) -> str | None:
    """The school of a pair in the review queue; ``None`` when the model did not propose the pair."""
    rows = wh.con.execute(
        "SELECT urn FROM link_review WHERE la_child_id = ? AND upn = ? LIMIT 1", [la_child_id, upn]
    ).fetchall()
    return str(rows[0][0]) if rows else None


# --- published runs ------------------------------------------------------------------------------


def cohort_upn_coverage(wh: Warehouse, run_id: int) -> list[dict[str, Any]]:
    """A run's cohort by status: children, and those without a UPN (who cannot be linked by it)."""
    return _dicts(
        wh,
        "SELECT status, count(*) AS children, count(*) FILTER (WHERE upn IS NULL OR trim(upn) = '') "
        "AS without_upn FROM published_cohort WHERE run_id = ? GROUP BY status ORDER BY status",
        [run_id],
    )


def cohort_members(wh: Warehouse, run_id: int) -> pa.Table:
    """A run's cohort children, their dates of birth and statuses (what a match report needs)."""
    return wh.con.sql(
        "SELECT la_child_id, birth_date, status FROM published_cohort WHERE run_id = $run", params={"run": run_id}
    ).to_arrow_table()
