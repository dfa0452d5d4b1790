"""Imports through the permission-checked interface (for the data manager's pages): a preview
reads and keeps nothing; the import is the CLI's atomic batch, by the viewer, audited; a refused
file changes nothing. On a real sample file and a small broken one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ever6.access import AccessDenied, AuditEntry, Role, Viewer
from ever6.access.operations import ImportFilesRefused, Operations

DATA_MANAGER = Viewer("dana", Role.DATA_MANAGER)
SAMPLE = "csc-validator-be-cin_CIN_Census_2024.xml"


@pytest.fixture
def sample(reference_dir: Path) -> Path:
    return reference_dir / "cin_census" / "samples" / SAMPLE


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def _recorder() -> tuple[list[AuditEntry], object]:
    entries: list[AuditEntry] = []

    def record(who: Viewer, entry: AuditEntry) -> None:
        entries.append(entry)

    return entries, record


def _children_in(xml: Path) -> int:
    return xml.read_text(encoding="utf-8").count("<LAchildID>")


def test_a_preview_counts_the_rows_and_keeps_nothing(home: Path, sample: Path) -> None:
    ops = Operations(home / "warehouse.duckdb")
    preview = ops.preview_import(DATA_MANAGER, "cin-census", [sample])
    assert not preview.refused
    assert preview.files == (SAMPLE,)
    assert preview.rows["cin_child"] == _children_in(sample)
    assert any(p.field == "Sex" and p.severity == "warning" for p in preview.problems)  # the sample's "1"
    assert not (home / "warehouse.duckdb").exists()


def test_an_import_is_one_batch_by_the_viewer_and_audited(home: Path, sample: Path) -> None:
    ops = Operations(home / "warehouse.duckdb")
    entries, record = _recorder()
    (batch,) = ops.import_files(DATA_MANAGER, "cin-census", [sample], audit=record)  # type: ignore[arg-type]
    assert batch.imported_by == "dana"
    assert batch.format == "cin-census"
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        query = "SELECT count(*) FROM cin_child WHERE batch_id = ?"
        (children,) = con.execute(query, [batch.batch_id]).fetchone() or (0,)
    finally:
        con.close()
    assert children == _children_in(sample)
    assert [(e.action, e.what, e.object_id) for e in entries] == [("import", "import_batch", str(batch.batch_id))]
    # The same file again: no second batch.
    (again,) = ops.import_files(DATA_MANAGER, "cin-census", [sample], audit=record)  # type: ignore[arg-type]
    assert again.batch_id == batch.batch_id


def test_a_refused_file_changes_nothing(home: Path, sample: Path, tmp_path: Path) -> None:
    ops = Operations(home / "warehouse.duckdb")
    entries, record = _recorder()
    ops.import_files(DATA_MANAGER, "cin-census", [sample], audit=record)  # type: ignore[arg-type]
    before = (home / "warehouse.duckdb").read_bytes()
    broken = tmp_path / "broken.xml"
    broken.write_text("<Message><Header>not a census", encoding="utf-8")
    preview = ops.preview_import(DATA_MANAGER, "cin-census", [sample, broken])
    assert preview.refused
    with pytest.raises(ImportFilesRefused) as refused:
        ops.import_files(DATA_MANAGER, "cin-census", [broken], audit=record)  # type: ignore[arg-type]
    assert refused.value.problems
    assert all(p.file == "broken.xml" for p in refused.value.problems)
    assert len(ops.imports(DATA_MANAGER)) == 1
    assert entries[-1].action == "import_refused"
    assert (home / "warehouse.duckdb").read_bytes() == before


@pytest.mark.parametrize("role", [Role.VS_HEAD, Role.VS_OFFICER, Role.SCHOOL_DSL, Role.AUDITOR, None])
def test_only_the_data_manager_imports(home: Path, sample: Path, role: Role | None) -> None:
    ops = Operations(home / "warehouse.duckdb")
    who = Viewer("someone", role)
    with pytest.raises(AccessDenied):
        ops.preview_import(who, "cin-census", [sample])
    with pytest.raises(AccessDenied):
        ops.import_files(who, "cin-census", [sample], audit=lambda v, e: None)
    assert not (home / "warehouse.duckdb").exists()
