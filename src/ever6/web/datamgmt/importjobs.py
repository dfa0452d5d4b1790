"""Imports confirmed in the browser, run as background jobs.

The page queues a job (:class:`ImportJob`, state ``queued``) and returns; a worker claims it with
one conditional update (``queued`` to ``running``), so two workers never run the same job, and
imports its files through the access layer: the same atomic, provenanced, audited batch as
``ever6 import``. A refusal or a failure changes nothing in the warehouse. The worker is a thread
of ``ever6 web serve`` (``EVER6_JOBS_INTERVAL``), or ``ever6 web jobs --loop`` for a deployment
that runs it apart, as the outbox's delivery loop is (:mod:`ever6.web.outbox.worker`).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections
from django.utils import timezone

from ever6.access import AuditEntry, Role, Viewer
from ever6.access.operations import ImportFilesRefused, ImportProblem, Operations, WarehouseBusy, import_formats
from ever6.errors import Refused
from ever6.web.datamgmt import uploads
from ever6.web.datamgmt.models import ImportJob, ImportState

log = logging.getLogger("ever6.imports")

# Problems kept with a refused job, for its page (the file's own preview holds them all).
MAX_PROBLEMS = 500


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def queue(job: ImportJob) -> bool:
    """Queue a checked upload for import; False when it is no longer waiting (a second click)."""
    now = timezone.now()
    return (
        ImportJob.objects.filter(pk=job.pk, state=ImportState.UPLOADED).update(
            state=ImportState.QUEUED, queued_at=now, progress="Waiting for the import worker"
        )
        == 1
    )


def claim(worker: str | None = None) -> ImportJob | None:
    """The oldest queued job, now running for this worker; None when there is none."""
    for pk in (
        ImportJob.objects.filter(state=ImportState.QUEUED).order_by("queued_at", "id").values_list("pk", flat=True)[:10]
    ):
        claimed = ImportJob.objects.filter(pk=pk, state=ImportState.QUEUED).update(
            state=ImportState.RUNNING, started_at=timezone.now(), worker=worker or worker_name(), progress="Starting"
        )
        if claimed == 1:
            return ImportJob.objects.get(pk=pk)
    return None


def _viewer(username: str) -> Viewer | None:
    """The user who confirmed the import, as they are now: a data manager still, or nobody."""
    from ever6.web.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or user.role != Role.DATA_MANAGER.value:
        return None
    return Viewer(username=username, role=Role.DATA_MANAGER)


def _audit(who: Viewer, entry: AuditEntry) -> None:
    from ever6.web.audit.models import record

    record(None, who, entry)


def _finish(job: ImportJob, state: Any, **fields: object) -> None:
    ImportJob.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), **fields)


def _describe(problems: list[ImportProblem]) -> str:
    """The problems as the CLI prints them: file, line, field, severity, message."""
    lines = []
    for p in problems[:MAX_PROBLEMS]:
        where = p.file + (f":{p.line}" if p.line else "") + (f" [{p.field}]" if p.field else "")
        lines.append(f"{where} {p.severity}: {p.message}")
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"... and {len(problems) - MAX_PROBLEMS:,} more")
    return "\n".join(lines)


def run(job: ImportJob) -> ImportJob:
    """Import a claimed job's files; record the outcome on its row. Never raises for the import's
    own failure: that is the job's outcome, shown on its page."""
    who = _viewer(job.requested_by)
    folder = uploads.folder_of(job.folder)
    if who is None:
        _finish(job, ImportState.FAILED, error=f"{job.requested_by} is no longer a data manager: nothing was imported.")
        uploads.remove_folder(job.folder)
        return ImportJob.objects.get(pk=job.pk)

    def progress(message: str, fraction: float) -> None:
        text = f"{round(max(0.0, min(1.0, fraction)) * 100)}%: {message}"[:300]
        try:
            ImportJob.objects.filter(pk=job.pk).update(progress=text)
        except OperationalError as exc:  # SQLite busy with a request: a lost message must not fail the import
            log.warning("import job %s: progress not recorded (%s)", job.pk, exc)

    paths = [folder / name for name in job.files]
    keep_files = False
    try:
        mapping = uploads.mapping_path(job.folder, job.mapping)
        records = Operations(settings.EVER6_WAREHOUSE).import_files(
            who, job.format, paths, audit=_audit, mapping=mapping, year=job.year, progress=progress
        )
    except WarehouseBusy as exc:
        # Another import or a refresh holds the warehouse: wait for the next pass, files kept.
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.QUEUED, worker="", progress=f"Waiting: {exc}"[:300]
        )
        return ImportJob.objects.get(pk=job.pk)
    except ImportFilesRefused as exc:
        _finish(job, ImportState.FAILED, progress="Refused", error=_describe(exc.problems))
    except Refused as exc:  # over a format's size limit, say: nothing was read
        _finish(job, ImportState.FAILED, progress="Refused", error=str(exc))
    except Exception as exc:  # a fault: the warehouse rolled the batch back; the page says so
        log.exception("import job %s failed", job.pk)
        _finish(job, ImportState.FAILED, progress="Failed", error=f"{type(exc).__name__}: {exc}"[:5000])
    else:
        ids = [r.batch_id for r in records]
        rows = sum(r.rows for r in records)
        _finish(
            job,
            ImportState.DONE,
            batch_ids=ids,
            progress=f"Imported as {'batch' if len(ids) == 1 else 'batches'} {', '.join(map(str, ids))}: {rows:,} rows",
        )
        # The DfE rules read a CIN census or SSDA903 batch's files where they were imported from
        # (`ever6 validate`): those stay; any other upload is deleted once it is in the warehouse.
        keep_files = any(f.dfe_rules for f in import_formats() if f.name == job.format)
        if keep_files:
            _dfe_rules(ids)
    if not keep_files:
        uploads.remove_folder(job.folder)
    return ImportJob.objects.get(pk=job.pk)


def _dfe_rules(batch_ids: list[int]) -> None:
    """The year's DfE rules on new CIN census or SSDA903 batches, in the background, as after
    ``ever6 import`` (``EVER6_DFE_RULES=off`` skips them): ``ever6 validate``, its log in the
    workspace's ``logs`` folder. They warn, never refuse, and take a minute per 10,000 children."""
    if not batch_ids or os.environ.get("EVER6_DFE_RULES", "background") == "off":
        return
    home = Path(settings.EVER6_WAREHOUSE).parent
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_file = logs / f"dfe-rules-{'-'.join(map(str, batch_ids))}.log"
    command = [sys.executable, "-m", "ever6", "--home", str(home), "validate", *map(str, batch_ids)]
    with log_file.open("ab") as sink:
        subprocess.Popen(command, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL, start_new_session=True)


def run_pending(worker: str | None = None, limit: int | None = None) -> list[ImportJob]:
    """Claim and run queued jobs until none is left (or ``limit`` ran); the jobs run."""
    done: list[ImportJob] = []
    while limit is None or len(done) < limit:
        job = claim(worker)
        if job is None:
            break
        finished = run(job)
        done.append(finished)
        if finished.state == ImportState.QUEUED:  # the warehouse is busy: try again next pass
            break
    return done


# How long checked files wait for the data manager's word before they are deleted.
UPLOAD_MAX_AGE = timedelta(days=1)


def expire_uploads(now: datetime | None = None) -> int:
    """Cancel the uploads nobody imported or cancelled within :data:`UPLOAD_MAX_AGE`, and delete
    their files: pupil-level files do not wait on disk for ever."""
    cutoff = (now or timezone.now()) - UPLOAD_MAX_AGE
    expired = 0
    for job in ImportJob.objects.filter(state=ImportState.UPLOADED, created_at__lt=cutoff):
        if ImportJob.objects.filter(pk=job.pk, state=ImportState.UPLOADED).update(
            state=ImportState.CANCELLED, finished_at=timezone.now(), progress="Not imported within a day: deleted"
        ):
            uploads.remove_folder(job.folder)
            expired += 1
    return expired


def work_once() -> list[ImportJob]:
    """One pass with fresh database connections (a long-running loop must not hold a stale one)."""
    close_old_connections()
    try:
        expire_uploads()
        return run_pending()
    finally:
        close_old_connections()


def loop(interval: float, stop: threading.Event) -> None:
    """Run queued imports every ``interval`` seconds until ``stop`` is set."""
    while not stop.is_set():
        try:
            work_once()
        except Exception:
            log.exception("import worker pass failed")
        stop.wait(interval)


def start_thread(interval: float) -> threading.Event:
    """Start the worker in a daemon thread of the web service; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=loop, args=(interval, stop), name="ever6-imports", daemon=True).start()
    return stop


def release_stale() -> int:
    """Jobs left ``running`` by a worker of this host that has stopped are failed: the warehouse's
    import is one transaction, so nothing of theirs was kept."""
    host = socket.gethostname()
    failed = 0
    for job in ImportJob.objects.filter(state=ImportState.RUNNING, worker__startswith=f"{host}:"):
        pid = job.worker.rsplit(":", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            _finish(
                job,
                ImportState.FAILED,
                progress="Stopped",
                error="The import stopped before it finished: its worker was stopped. Nothing was imported; "
                "upload the files again.",
            )
            uploads.remove_folder(job.folder)
            failed += 1
    return failed


def _alive(pid: int) -> bool:
    from ever6.access.operations import process_alive

    return process_alive(pid)


__all__ = [
    "claim",
    "expire_uploads",
    "loop",
    "queue",
    "release_stale",
    "run",
    "run_pending",
    "start_thread",
    "work_once",
]
