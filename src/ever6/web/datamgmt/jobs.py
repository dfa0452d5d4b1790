"""Refreshes started from the web, run in a background thread of the web process.

A refresh takes minutes at a county's scale, far longer than a request may, so the page starts a
thread and returns; the thread updates its :class:`RefreshJob` row as the pipeline reports
progress, and the page reloads itself to show it. One refresh at a time: a second is refused while
a job is unfinished, and a job whose process has stopped (the web service restarted mid-run) is
marked failed so that it does not block the next one forever.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import date
from pathlib import Path

from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from ever6.access import Viewer
from ever6.access.operations import NoWarehouse, Operations, WarehouseBusy, process_alive, writer_busy
from ever6.web.datamgmt.models import UNFINISHED, JobStatus, RefreshJob

logger = logging.getLogger(__name__)

_threads: dict[int, threading.Thread] = {}
_start_lock = threading.Lock()

INTERRUPTED = "The refresh stopped before it finished: the web service was restarted while it ran. Start it again."


class RefreshRefused(RuntimeError):
    """A refresh is already running."""


def _alive(job: RefreshJob) -> bool:
    if job.pid == os.getpid():
        thread = _threads.get(job.pk)
        return thread is not None and thread.is_alive()
    return job.pid is not None and process_alive(job.pid)


def reap_stale() -> None:
    """Mark failed the unfinished jobs nobody is running any more."""
    for job in RefreshJob.objects.filter(status__in=UNFINISHED):
        if not _alive(job):
            RefreshJob.objects.filter(pk=job.pk, status__in=UNFINISHED).update(
                status=JobStatus.FAILED, finished_at=timezone.now(), error=INTERRUPTED, message="Stopped"
            )


def running_job() -> RefreshJob | None:
    reap_stale()
    return RefreshJob.objects.filter(status__in=UNFINISHED).first()


def start(viewer: Viewer, as_at: date, warehouse: Path) -> RefreshJob:
    """Queue a refresh as at ``as_at`` by ``viewer`` and start its thread (once the row is committed)."""
    with _start_lock:
        if running_job() is not None or writer_busy():
            raise RefreshRefused("A refresh is already running: wait for it to finish before starting another.")
        job = RefreshJob.objects.create(
            as_at=as_at, requested_by=viewer.username, pid=os.getpid(), message="Waiting to start"
        )
        thread = threading.Thread(
            target=_run, args=(job.pk, viewer, as_at, warehouse), name=f"ever6-refresh-{job.pk}", daemon=True
        )
        _threads[job.pk] = thread
    # The thread reads the row through its own connection: start it only once the row is committed.
    transaction.on_commit(thread.start)
    return job


_RETRIES = 50  # x 0.1 s: a write waits out another connection's lock for up to about 5 s


def _update(job_id: int, *, best_effort: bool = False, **fields: object) -> None:
    """Write the job's row, waiting out a lock held by a request (SQLite reports a locked table at
    once rather than waiting). A progress message is best-effort: losing one must not fail the
    refresh it reports on; the job's status is retried until written."""
    for attempt in range(_RETRIES):
        try:
            RefreshJob.objects.filter(pk=job_id).update(**fields)
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == _RETRIES - 1:
                if best_effort:
                    logger.warning("refresh %s: progress not recorded (%s)", job_id, exc)
                    return
                raise
            time.sleep(0.1)


def _run(job_id: int, viewer: Viewer, as_at: date, warehouse: Path) -> None:
    close_old_connections()
    try:
        _update(job_id, status=JobStatus.RUNNING, started_at=timezone.now(), message="Starting")

        def progress(message: str, fraction: float) -> None:
            _update(job_id, best_effort=True, progress=max(0.0, min(1.0, fraction)), message=message[:300])

        run = Operations(warehouse).refresh(viewer, as_at, progress=progress)
        message = f"Published run {run.run_id}, as at {run.as_at:%d %B %Y}"
        try:
            from ever6.web.schools.sync import sync_schools

            added, updated = sync_schools()
            message += f"; schools register: {added} added, {updated} updated"
        except Exception as exc:  # the figures are published; the register can be synced again
            logger.exception("refresh %s: syncing the schools register failed", job_id)
            message += f"; the schools register could not be updated ({type(exc).__name__})"
        _update(
            job_id,
            status=JobStatus.SUCCEEDED,
            progress=1.0,
            finished_at=timezone.now(),
            run_id=run.run_id,
            message=message[:300],
        )
    except (WarehouseBusy, NoWarehouse) as exc:
        _update(job_id, status=JobStatus.FAILED, finished_at=timezone.now(), error=str(exc), message="Not started")
    except Exception as exc:  # any failure is the job's outcome, shown on the page; the warehouse is unchanged
        logger.exception("refresh %s failed", job_id)
        _update(
            job_id,
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:5000],
            message="Failed",
        )
    finally:
        _threads.pop(job_id, None)
        connection.close()


def wait(job_id: int, timeout: float) -> bool:
    """Wait for a job's thread in this process to end (for tests and the management command);
    whether it ended within ``timeout`` seconds."""
    thread = _threads.get(job_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()
