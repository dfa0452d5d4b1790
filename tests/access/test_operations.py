"""The data manager's operations: every one checks the viewer's role, pupil-level rows are audited
before they are returned, and a warehouse held by another writer is "busy", never a hang or a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ever6.access import AccessDenied, AuditEntry, Role, Viewer
from ever6.access.operations import (
    NotFound,
    NoWarehouse,
    OperationRefused,
    Operations,
    WarehouseBusy,
)
from ever6.formats.problems import Problem, Severity
from ever6.warehouse import Warehouse
from ever6.warehouse.linkage_store import LinkageStore
from tests.support.builders import Child, Episode, census_result

DATA_MANAGER = Viewer("dana", Role.DATA_MANAGER)
OTHERS = [
    Viewer("hea", Role.VS_HEAD),
    Viewer("officer", Role.VS_OFFICER),
    Viewer("dsl", Role.SCHOOL_DSL, frozenset({"100001"})),
    Viewer("aud", Role.AUDITOR),
    Viewer("nobody", None),
]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Two CIN census imports (the second with a recovered problem) and one pair awaiting review."""
    path = tmp_path / "home" / "warehouse.duckdb"
    wh = Warehouse(path)
    first = census_result(tmp_path, "2024-03-31", [Child("a", episodes=[Episode("2023-01-01")])])
    wh.import_result(first, who="alice")
    second = census_result(tmp_path, "2025-03-31", [Child("b", episodes=[Episode("2024-06-01")])])
    second.problems.append(Problem(str(second.path), 12, "Sex", "unknown sex '7'", Severity.WARNING))
    wh.import_result(second, who="bob")
    store = LinkageStore(wh)
    wh.con.execute(
        "INSERT INTO link_review (la_child_id, upn, urn, match_probability, reason) "
        "VALUES ('a', 'A123456789012', '100001', 0.9, 'probabilistic')"
    )
    wh.con.execute(
        "INSERT INTO link_run (run_at, run_by, engine, model_trained, counts) "
        "VALUES (now(), 'test', 'duckdb', false, '{}')"
    )
    assert store.has_run()
    wh.close()
    return path


def recorder() -> tuple[list[AuditEntry], object]:
    entries: list[AuditEntry] = []
    return entries, lambda who, entry: entries.append(entry)


def test_imports_list_provenance_newest_first(warehouse: Path) -> None:
    ops = Operations(warehouse)
    records = ops.imports(DATA_MANAGER)
    assert [r.imported_by for r in records] == ["bob", "alice"]
    assert all(r.active and len(r.sha256_short) == 12 for r in records)
    assert ops.imports(DATA_MANAGER, fmt="ssda903") == []
    _record, problems = ops.import_detail(DATA_MANAGER, records[0].batch_id)
    assert [(p.line, p.field, p.severity) for p in problems] == [(12, "Sex", "warning")]


def test_rollback_is_recorded_with_who(warehouse: Path) -> None:
    ops = Operations(warehouse)
    batch_id = ops.imports(DATA_MANAGER)[-1].batch_id
    done = ops.rollback(DATA_MANAGER, batch_id)
    assert (done.status, done.rolled_back_by) == ("rolled_back", "dana")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM cin_child WHERE batch_id = ?", [batch_id]).fetchall() == [(0,)]
    finally:
        con.close()
    with pytest.raises(OperationRefused, match="already rolled back"):
        ops.rollback(DATA_MANAGER, batch_id)
    with pytest.raises(NotFound):
        ops.rollback(DATA_MANAGER, 999)


@pytest.mark.parametrize("who", OTHERS, ids=lambda v: str(v.role))
def test_every_operation_needs_the_data_manager(warehouse: Path, who: Viewer) -> None:
    ops = Operations(warehouse)
    entries, audit = recorder()
    calls = [
        lambda: ops.overview(who),
        lambda: ops.imports(who),
        lambda: ops.import_detail(who, 1),
        lambda: ops.rollback(who, 1),
        lambda: ops.quality(who),
        lambda: ops.review_queue(who, audit=audit),  # type: ignore[arg-type]
        lambda: ops.linkage_issue_rows(who, audit=audit),  # type: ignore[arg-type]
        lambda: ops.decide(who, "a", "A123456789012", "accept", "same child", audit=audit),  # type: ignore[arg-type]
        lambda: ops.latest_run(who),
    ]
    for call in calls:
        with pytest.raises(AccessDenied):
            call()
    assert entries == []
    assert Operations(warehouse).imports(DATA_MANAGER)[0].active  # nothing was rolled back


def test_review_queue_is_audited_before_it_is_returned(warehouse: Path) -> None:
    entries, audit = recorder()
    rows, total = Operations(warehouse).review_queue(DATA_MANAGER, audit=audit)  # type: ignore[arg-type]
    assert total == 1
    assert [(r["la_child_id"], r["upn"], r["urn"]) for r in rows] == [("a", "A123456789012", "100001")]
    assert [(e.action, e.what, e.rows) for e in entries] == [("view", "linkage_review", 1)]


def test_decision_is_stored_and_audited_and_only_for_queued_pairs(warehouse: Path) -> None:
    ops = Operations(warehouse)
    entries, audit = recorder()
    with pytest.raises(OperationRefused, match="reason"):
        ops.decide(DATA_MANAGER, "a", "A123456789012", "accept", "  ", audit=audit)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        ops.decide(DATA_MANAGER, "b", "A123456789012", "accept", "same child", audit=audit)  # type: ignore[arg-type]
    assert entries == []
    made = ops.decide(DATA_MANAGER, "a", "A123456789012", "reject", "different child", audit=audit)  # type: ignore[arg-type]
    assert (made["decision"], made["decided_by"], made["urn"]) == ("reject", "dana", "100001")
    assert [(e.action, e.what, e.object_id, e.detail["decision"]) for e in entries] == [
        ("decision", "linkage_review", "a", "reject")
    ]
    with Warehouse(warehouse, read_only=True) as wh:
        decided = LinkageStore(wh).decisions().to_pylist()
    assert [(d["la_child_id"], d["decision"], d["decided_by"]) for d in decided] == [("a", "reject", "dana")]
    assert ops.review_queue(DATA_MANAGER, audit=audit)[1] == 0  # type: ignore[arg-type]


def test_quality_counts_problems_of_active_imports(warehouse: Path) -> None:
    report = Operations(warehouse).quality(DATA_MANAGER)
    assert report.problems_by_format == [{"format": "cin-census", "severity": "warning", "batches": 1, "problems": 1}]
    assert report.latest_run is None  # nothing published: said in a note, not an error
    assert any("Nothing has been published" in n for n in report.notes)


def test_a_write_connection_in_this_process_makes_reads_busy(warehouse: Path) -> None:
    holder = duckdb.connect(str(warehouse))
    try:
        with pytest.raises(WarehouseBusy, match="busy"):
            Operations(warehouse).imports(DATA_MANAGER)
    finally:
        holder.close()
    assert Operations(warehouse).imports(DATA_MANAGER)  # free again


def test_another_process_holding_the_warehouse_is_busy_at_once(warehouse: Path) -> None:
    script = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        ops = Operations(warehouse)
        with pytest.raises(WarehouseBusy):
            ops.imports(DATA_MANAGER)
        with pytest.raises(WarehouseBusy):
            ops.rollback(DATA_MANAGER, 1)
    finally:
        holder.communicate("", timeout=30)
    assert Operations(warehouse).imports(DATA_MANAGER)[-1].active


def test_no_warehouse_yet(tmp_path: Path) -> None:
    with pytest.raises(NoWarehouse):
        Operations(tmp_path / "warehouse.duckdb").overview(DATA_MANAGER)
