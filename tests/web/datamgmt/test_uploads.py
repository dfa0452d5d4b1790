"""Imports in the browser: upload (streamed to a private folder, under the limit), preview, the
import as a background job claimed by one worker, cancel; a refused file changes nothing."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.web.datamgmt.test_datamgmt import workspace

__all__ = ["workspace"]

# Suspensions as a school's MIS exports them (docs/importing.md: urn,upn,start_date,category,sessions,reason).
EXCLUSIONS = (
    "urn,upn,start_date,category,sessions,reason\n"
    "100001,A123456789012,2025-10-06,SUSP,2,PA\n"
    "100001,A123456789013,2025-11-12,SUSP,1,VA\n"
)
# A category that is not one: the reader refuses the file.
BAD_EXCLUSIONS = "urn,upn,start_date,category,sessions,reason\n100001,A123456789012,2025-10-06,NOPE,2,PA\n"


@pytest.fixture
def upload_dir(settings: Any, tmp_path: Path) -> Path:
    settings.EVER6_UPLOAD_DIR = tmp_path / "uploads" / "imports"
    settings.EVER6_MAPPING_DIR = tmp_path / "mappings"
    return settings.EVER6_UPLOAD_DIR


def _batches(home: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        query = "SELECT batch_id, format, imported_by, status FROM import_batch ORDER BY batch_id"
        return con.execute(query).fetchall()
    finally:
        con.close()


def _upload(client: Client, fmt: str, *files: tuple[str, str], **extra: Any) -> Any:
    uploads = [SimpleUploadedFile(name, text.encode()) for name, text in files]
    return client.post("/data/imports/new/", {"format": fmt, "files": uploads, **extra})


def test_upload_preview_import_and_see_the_batch(
    client_for: Callable[[str], Client], workspace: Path, upload_dir: Path
) -> None:
    from ever6.web.datamgmt import importjobs
    from ever6.web.datamgmt.models import ImportJob

    client = client_for("data_manager")
    assert client.get("/data/imports/new/").status_code == 200
    before = _batches(workspace)
    response = _upload(client, "exclusions", ("suspensions.csv", EXCLUSIONS))
    assert response.status_code == 302, response.content.decode()[:3000]
    job = ImportJob.objects.get()
    (folder,) = upload_dir.iterdir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == ["suspensions.csv"]
    assert stat.S_IMODE((folder / "suspensions.csv").stat().st_mode) == 0o600
    html = client.get(response["Location"]).content.decode()
    assert "Import these files" in html
    assert job.preview["rows"] == {"exclusion": 2}  # the rows it would import, on the page too
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">2</td>' in html
    assert _batches(workspace) == before  # a preview changes nothing
    assert client.post(response["Location"], {"action": "import"}).status_code == 302
    job.refresh_from_db()
    assert job.state == "queued"
    html = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in html  # follows the job without a script
    (ran,) = importjobs.run_pending()
    assert ran.state == "done", ran.error
    after = _batches(workspace)
    assert len(after) == len(before) + 1
    batch_id, fmt, who, status = after[-1]
    assert (fmt, who, status) == ("exclusions", "data_manager", "active")
    assert ran.batch_ids == [batch_id]
    html = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in html
    assert f"/data/imports/{batch_id}/" in html
    assert "next refresh" in html
    assert not folder.exists()  # imported: the upload is deleted


def test_a_refused_file_shows_its_errors_and_changes_nothing(
    client_for: Callable[[str], Client], workspace: Path, upload_dir: Path
) -> None:
    from ever6.web.datamgmt import importjobs
    from ever6.web.datamgmt.models import ImportJob

    client = client_for("data_manager")
    before = _batches(workspace)
    response = _upload(client, "exclusions", ("bad.csv", BAD_EXCLUSIONS))
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "These files cannot be imported" in html
    assert "Import these files" not in html
    assert "bad.csv" in html
    assert "NOPE" in html
    client.post(response["Location"], {"action": "import"})
    assert ImportJob.objects.get().state == "uploaded"  # no import of a refused file
    assert importjobs.run_pending() == []
    client.post(response["Location"], {"action": "cancel"})
    assert ImportJob.objects.get().state == "cancelled"
    assert list(upload_dir.iterdir()) == []
    assert _batches(workspace) == before


def test_too_large_an_upload_is_refused_and_nothing_is_kept(
    client_for: Callable[[str], Client], workspace: Path, upload_dir: Path, settings: Any
) -> None:
    from ever6.web.datamgmt.models import ImportJob

    settings.EVER6_UPLOAD_MAX_BYTES = 1000
    client = client_for("data_manager")
    big = EXCLUSIONS + "100001,A123456789012,2025-10-06,SUSP,2,PA\n" * 40  # about 1.7 kB
    response = _upload(client, "exclusions", ("big.csv", big))
    assert response.status_code == 413
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The selected files must be smaller than" in html
    assert not ImportJob.objects.exists()
    assert list(upload_dir.iterdir()) == []
    # A body far over the limit is refused before it is read, with the service's own page.
    response = client.post(
        "/data/imports/new/", data=b"x", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=2 * 1024 * 1024
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_the_form_says_what_is_missing(client_for: Callable[[str], Client], upload_dir: Path) -> None:
    client = client_for("data_manager")
    response = client.post("/data/imports/new/", {"format": "", "year": "26"})
    assert response.status_code == 400
    html = response.content.decode()
    for message in ("Select what the files are", "Select the files to import", "Enter the collection year"):
        assert message in html
    assert list(upload_dir.iterdir()) == []


def test_a_case_management_file_with_an_uploaded_or_configured_mapping(
    client_for: Callable[[str], Client], workspace: Path, upload_dir: Path, settings: Any
) -> None:
    from ever6.web.datamgmt import importjobs
    from ever6.web.datamgmt.models import ImportJob

    extract = "Ref,Given,Family,Born,G,PC,Pupil no\nC900001,Ada,Lovelace,2014-05-01,F,ME14 1XX,\n"
    mapping = (
        '[columns]\nla_child_id = "Ref"\nforename = "Given"\nsurname = "Family"\n'
        'birth_date = "Born"\nsex = "G"\npostcode = "PC"\nupn = "Pupil no"\n'
    )
    client = client_for("data_manager")
    toml = SimpleUploadedFile("mosaic.toml", mapping.encode())
    response = _upload(client, "case-management", ("extract.csv", extract), mapping="upload", mapping_file=toml)
    assert response.status_code == 302, response.content.decode()[:3000]
    job = ImportJob.objects.get()
    assert job.preview["rows"] == {"cm_identity": 1}, job.preview
    # Without the mapping the same file is refused: its columns are not the reader's.
    response = _upload(client, "case-management", ("extract.csv", extract))
    html = client.get(response["Location"]).content.decode()
    assert "These files cannot be imported" in html
    # A configured mapping: offered by name, from the workspace's mappings folder.
    settings.EVER6_MAPPING_DIR.mkdir()
    (settings.EVER6_MAPPING_DIR / "mosaic.toml").write_text(mapping)
    assert "configured:mosaic.toml" in client.get("/data/imports/new/").content.decode()
    response = _upload(client, "case-management", ("extract.csv", extract), mapping="configured:mosaic.toml")
    configured = ImportJob.objects.latest("pk")
    assert configured.preview["rows"] == {"cm_identity": 1}
    client.post(response["Location"], {"action": "import"})
    (ran,) = importjobs.run_pending()
    assert ran.state == "done", ran.error
    # A mapping not in the folder is not taken (never a path of the browser's choosing).
    response = _upload(client, "case-management", ("extract.csv", extract), mapping="configured:../../etc.toml")
    assert response.status_code == 400


def test_one_worker_claims_a_job_and_a_failed_import_changes_nothing(
    client_for: Callable[[str], Client], workspace: Path, upload_dir: Path
) -> None:
    from ever6.web.audit.models import AuditEvent
    from ever6.web.datamgmt import importjobs
    from ever6.web.datamgmt.models import ImportJob

    client = client_for("data_manager")
    before = _batches(workspace)
    response = _upload(client, "exclusions", ("suspensions.csv", EXCLUSIONS))
    client.post(response["Location"], {"action": "import"})
    client.post(response["Location"], {"action": "import"})  # a second click queues nothing more
    job = ImportJob.objects.get()
    # The file changed on disk after it was checked: the import refuses it.
    (upload_dir / job.folder / "suspensions.csv").write_text(BAD_EXCLUSIONS)
    claimed = importjobs.claim("worker-a")
    assert claimed is not None
    assert importjobs.claim("worker-b") is None  # two workers never run one job
    failed = importjobs.run(claimed)
    assert failed.state == "failed"
    assert "suspensions.csv:2" in failed.error  # file and line, as the CLI prints them
    assert _batches(workspace) == before
    html = client.get(response["Location"]).content.decode()
    assert "Nothing was imported" in html
    actions = list(
        AuditEvent.objects.filter(what__in=("import_upload", "import_batch")).values_list("action", flat=True)
    )
    assert sorted(actions) == ["import_refused", "queue", "upload"]


def test_waitress_takes_the_largest_upload_a_page_accepts_and_no_more(settings: Any) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from ever6.web.bodylimit import ANONYMOUS_BODY, allowed_body
    from ever6.web.commands import waitress_options
    from ever6.web.datamgmt.upload_views import new

    settings.EVER6_UPLOAD_MAX_BYTES = 512 * 1024 * 1024
    limit = waitress_options(None)["max_request_body_size"]
    assert limit == 2 * 512 * 1024 * 1024 + 64 * 1024  # a little too large still gets the form's message
    request = RequestFactory().post("/data/imports/new/")
    request.user = AnonymousUser()
    assert allowed_body(request, new) == ANONYMOUS_BODY  # nobody uploads before signing in
    settings.EVER6_UPLOAD_MAX_BYTES = 1024 * 1024
    assert waitress_options(None)["max_request_body_size"] == 6 * 1024 * 1024  # the agreements' 6 MB at least


def test_a_job_whose_worker_stopped_is_failed_not_left_running(db: None, upload_dir: Path) -> None:
    import socket
    import subprocess
    import sys

    from ever6.web.datamgmt import importjobs
    from ever6.web.datamgmt.models import ImportJob

    stopped = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(stopped.stdout)
    job = ImportJob.objects.create(
        format="exclusions",
        folder="stale",
        requested_by="dana",
        state="running",
        worker=f"{socket.gethostname()}:{dead}",
    )
    alive = ImportJob.objects.create(
        format="exclusions", folder="alive", requested_by="dana", state="running", worker=importjobs.worker_name()
    )
    assert importjobs.release_stale() == 1
    job.refresh_from_db()
    alive.refresh_from_db()
    assert job.state == "failed"
    assert "Nothing was imported" in job.error
    assert alive.state == "running"


def test_files_nobody_imported_are_deleted_after_a_day(db: None, upload_dir: Path) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from ever6.web.datamgmt import importjobs, uploads
    from ever6.web.datamgmt.models import ImportJob

    name, folder = uploads.new_folder()
    (folder / "marks.csv").write_text("urn,upn,date,session,code\n")
    job = ImportJob.objects.create(format="attendance", files=["marks.csv"], folder=name, requested_by="dana")
    assert importjobs.expire_uploads() == 0  # a fresh upload waits
    assert importjobs.expire_uploads(timezone.now() + timedelta(days=1, minutes=1)) == 1
    job.refresh_from_db()
    assert job.state == "cancelled"
    assert not folder.exists()


def test_the_dfe_rules_run_after_a_census_import_as_after_the_cli(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from ever6.web.datamgmt import importjobs

    started: list[list[str]] = []
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kw: started.append(command))
    settings.EVER6_WAREHOUSE = tmp_path / "warehouse.duckdb"
    importjobs._dfe_rules([7, 8])
    assert started == []  # the tests' setting: EVER6_DFE_RULES=off (tests/conftest.py)
    monkeypatch.setenv("EVER6_DFE_RULES", "background")
    importjobs._dfe_rules([7, 8])
    (command,) = started
    assert command[-5:] == ["--home", str(tmp_path), "validate", "7", "8"]
    assert (tmp_path / "logs" / "dfe-rules-7-8.log").exists()
