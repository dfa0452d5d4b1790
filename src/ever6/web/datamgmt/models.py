"""Refresh jobs started from the web: one row per refresh, updated by the pipeline as it runs.

The refresh itself runs in a background thread of the web process (see :mod:`.jobs`); this row is
how the page, reloading itself, shows its progress, and how a second refresh is refused while one
runs.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class RefreshJob(models.Model):
    # ``Any``: without the django-stubs mypy plugin a field's value type cannot be inferred.
    as_at: Any = models.DateField("as at")
    status: Any = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    progress: Any = models.FloatField(default=0.0)  # 0 to 1, from the pipeline's progress callback
    message: Any = models.CharField(max_length=300, blank=True)
    requested_by: Any = models.CharField(max_length=150)  # kept as text: outlives the account
    created_at: Any = models.DateTimeField(auto_now_add=True)
    started_at: Any = models.DateTimeField(null=True, blank=True)
    finished_at: Any = models.DateTimeField(null=True, blank=True)
    error: Any = models.TextField(blank=True)
    run_id: Any = models.IntegerField(null=True, blank=True)  # the published run, once succeeded
    pid: Any = models.IntegerField(null=True, blank=True)  # the web process running it (to spot one that died)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"refresh as at {self.as_at} ({self.status})"

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED

    @property
    def percent(self) -> int:
        return round(max(0.0, min(1.0, float(self.progress))) * 100)

    @property
    def status_label(self) -> str:
        return str(JobStatus(self.status).label)


class ImportState(models.TextChoices):
    """An upload's life: checked and waiting for the data manager's word, then a background job."""

    UPLOADED = "uploaded", "Checked, waiting for you"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportJob(models.Model):
    """Files the data manager uploaded, the preview of what they would import, and the import itself
    as a background job (:mod:`.importjobs`). The files are kept in ``folder`` under the
    workspace's private uploads folder until the job ends or is cancelled."""

    format: Any = models.CharField(max_length=40)
    files: Any = models.JSONField(default=list)  # the files' names, in the folder, in upload order
    folder: Any = models.CharField(max_length=64, unique=True)  # a random name under EVER6_UPLOAD_DIR
    mapping: Any = models.CharField(max_length=200, blank=True)  # the column mapping's file name, if any
    year: Any = models.IntegerField(null=True, blank=True)  # the collection year given, if any
    preview: Any = models.JSONField(default=dict)  # what the files would import and the problems found
    state: Any = models.CharField(max_length=16, choices=ImportState.choices, default=ImportState.UPLOADED)
    progress: Any = models.CharField(max_length=300, blank=True)
    batch_ids: Any = models.JSONField(default=list)  # the batches made (or found already imported)
    error: Any = models.TextField(blank=True)
    requested_by: Any = models.CharField(max_length=150)  # kept as text: outlives the account
    created_at: Any = models.DateTimeField(auto_now_add=True)
    queued_at: Any = models.DateTimeField(null=True, blank=True)
    started_at: Any = models.DateTimeField(null=True, blank=True)
    finished_at: Any = models.DateTimeField(null=True, blank=True)
    worker: Any = models.CharField(max_length=100, blank=True)  # host:pid of the worker that claimed it

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["state", "queued_at"], name="datamgmt_import_due")]  # noqa: RUF012

    def __str__(self) -> str:
        return f"import {self.pk} of {self.format} ({self.state})"

    @property
    def state_label(self) -> str:
        return str(ImportState(self.state).label)

    @property
    def unfinished(self) -> bool:
        return self.state in (ImportState.QUEUED, ImportState.RUNNING)
