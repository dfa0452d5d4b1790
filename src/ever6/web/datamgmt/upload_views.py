"""Imports in the browser, for the data manager: upload files (streamed to disk), see what they
would import and the problems found, then import them as a background job, whose page follows it.

One URL per upload follows it through its life: the preview while it waits for the data
manager's word (import or cancel), the progress while it is queued or running (the page reloads
itself, no script needed), and the outcome.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.timezone import is_aware, localtime
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from ever6.access import AuditEntry, Capability
from ever6.access.operations import ImportProblem, ImportRecord, import_formats
from ever6.errors import Refused
from ever6.web.bodylimit import accepts_upload
from ever6.web.datamgmt import importjobs, uploads
from ever6.web.datamgmt.models import ImportJob, ImportState
from ever6.web.datamgmt.views import (
    PROBLEM_COLUMNS,
    PROBLEM_PAGE_SIZE,
    _when,
    handles_warehouse,
    operations,
    problem_summary,
)
from ever6.web.guard import audit_recorder, require, viewer
from ever6.web.tables import Table

RELOAD_SECONDS = 3


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


class _Errors:
    """The form's errors, each with the field it is about (for the summary's links and the field)."""

    def __init__(self) -> None:
        self.by_field: dict[str, str] = {}
        self.too_large = False

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def summary(self) -> list[dict[str, str]]:
        anchors = {"format": "#format", "files": "#files", "mapping": "#mapping", "year": "#year"}
        return [{"text": m, "href": anchors.get(f, "#files")} for f, m in self.by_field.items()]


def _year(text: str, errors: _Errors) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not (text.isdigit() and len(text) == 4 and 2000 <= int(text) <= 2100):
        errors.add("year", "Enter the collection year as 4 numbers, for example 2026")
        return None
    return int(text)


@accepts_upload(uploads.upload_limit)
@csrf_exempt  # checked below, once the files' handler is in place (Django's way for upload handlers)
@require(Capability.DATA_PAGES)
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """The upload form (GET) and the upload itself (POST): files streamed to a private folder."""
    handler = None
    folder = None
    if request.method == "POST":
        name, path = uploads.new_folder()
        folder = name
        handler = uploads.PrivateUploadHandler(request, path, uploads.upload_limit())
        request.upload_handlers = [handler]
    try:
        response = _new(request, handler, folder)
    except BaseException:
        if folder:
            uploads.remove_folder(folder)
        raise
    return response


@csrf_protect
def _new(request: HttpRequest, handler: uploads.PrivateUploadHandler | None, folder: str | None) -> HttpResponse:
    limit = uploads.upload_limit()
    errors = _Errors()
    chosen: dict[str, Any] = {"format": request.GET.get("format", ""), "mapping": "", "year": ""}
    if request.method == "POST" and handler is not None and folder is not None:
        data = request.POST  # parses the body: the files stream to the folder now
        files = request.FILES.getlist("files")
        chosen = {"format": data.get("format", ""), "mapping": data.get("mapping", ""), "year": data.get("year", "")}
        job = _accept(request, handler, folder, files, chosen, errors, limit)
        if job is not None:
            return redirect("datamgmt:upload", pk=job.pk)
        uploads.remove_folder(folder)  # nothing is kept of a refused upload
    return render(
        request,
        "datamgmt/upload.html",
        {
            "title": "Import files",
            "formats": import_formats(),
            "mappings": uploads.configured_mappings(),
            "mapping_dir": settings.EVER6_MAPPING_DIR.name,
            "chosen": chosen,
            "errors": errors.summary(),
            "field_errors": errors.by_field,
            "page_error": bool(errors),
            "limit": _mb(limit),
            "max_files": uploads.MAX_FILES,
            "waiting": ImportJob.objects.filter(state=ImportState.UPLOADED, requested_by=viewer(request).username)[:5],
        },
        status=413 if errors.too_large else 400 if errors else 200,
    )


def _accept(
    request: HttpRequest,
    handler: uploads.PrivateUploadHandler,
    folder: str,
    files: list[UploadedFile],
    chosen: dict[str, Any],
    errors: _Errors,
    limit: int,
) -> ImportJob | None:
    """Check the upload and read its files as the import would; the job waiting for the data
    manager's word, or None (``errors`` says why)."""
    if handler.too_large:
        errors.add("files", f"The selected files must be smaller than {_mb(limit)} in total")
        errors.too_large = True
        return None
    if handler.too_many:
        errors.add("files", f"Select at most {uploads.MAX_FILES} files at a time")
        return None
    fmt = next((f for f in import_formats() if f.name == chosen["format"]), None)
    if fmt is None:
        errors.add("format", "Select what the files are")
    mapping_upload = request.FILES.get("mapping_file")
    data_files = [f for f in files if f.size]
    if not files:
        errors.add("files", "Select the files to import")
    elif len(data_files) < len(files):
        errors.add("files", "The selected file is empty" if len(files) == 1 else "One of the selected files is empty")
    year = _year(chosen["year"], errors)
    mapping = ""
    choice = str(chosen["mapping"])
    if fmt is not None and fmt.mapping:
        if choice == "upload":
            if mapping_upload is None or not mapping_upload.size:
                errors.add("mapping", "Select the column mapping file (TOML), or choose another mapping")
            else:
                mapping = uploads.UPLOADED
        elif choice.startswith(uploads.CONFIGURED):
            if choice.removeprefix(uploads.CONFIGURED) not in uploads.configured_mappings():
                errors.add("mapping", "Select a column mapping from the list")
            else:
                mapping = choice
    if fmt is not None and not fmt.year:
        year = None  # only SSDA903 takes a collection year
    if errors or fmt is None:
        return None
    path = uploads.folder_of(folder)
    names = uploads.keep(path, files)
    if mapping == uploads.UPLOADED and mapping_upload is not None:
        uploads.save_as(mapping_upload, path / uploads.UPLOADED_MAPPING)
    try:
        mapping_path = uploads.mapping_path(folder, mapping)
        preview = operations().preview_import(
            viewer(request), fmt.name, [path / n for n in names], mapping=mapping_path, year=year
        )
    except Refused as exc:  # over the format's own size limit ([imports] max_bytes): not read
        errors.add("files", str(exc).replace(str(path) + "/", ""))
        return None
    job = ImportJob.objects.create(
        format=fmt.name,
        files=names,
        folder=folder,
        mapping=mapping,
        year=year,
        preview=_stored(preview.rows, preview.problems, preview.years, preview.reference_dates),
        requested_by=viewer(request).username,
    )
    audit_recorder(request)(
        viewer(request),
        AuditEntry(
            action="upload", what="import_upload", object_id=str(job.pk), detail={"format": fmt.name, "files": names}
        ),
    )
    return job


def _stored(
    rows: dict[str, int], problems: list[ImportProblem], years: tuple[int, ...], dates: tuple[Any, ...]
) -> dict[str, Any]:
    return {
        "rows": rows,
        "years": list(years),
        "reference_dates": [d.isoformat() for d in dates],
        "problems": [[p.file, p.line, p.field, p.severity, p.message, p.rule] for p in problems],
    }


def _problems(job: ImportJob) -> list[ImportProblem]:
    return [ImportProblem(*p) for p in job.preview.get("problems", [])]


@require(Capability.DATA_PAGES)
@require_http_methods(["GET", "POST"])
@handles_warehouse
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """One upload: its preview and the buttons (import, cancel), then its job's progress and outcome."""
    job = get_object_or_404(ImportJob, pk=pk)
    who = viewer(request)
    if request.method == "POST":
        action = request.POST.get("action")
        if job.state == ImportState.UPLOADED and action == "cancel":
            ImportJob.objects.filter(pk=job.pk, state=ImportState.UPLOADED).update(
                state=ImportState.CANCELLED, progress="Cancelled: nothing was imported", finished_at=_now()
            )
            uploads.remove_folder(job.folder)
            audit_recorder(request)(who, AuditEntry(action="cancel", what="import_upload", object_id=str(job.pk)))
            messages.success(request, f"Cancelled: nothing was imported from {', '.join(job.files)}.")
            return redirect("datamgmt:imports")
        if job.state == ImportState.UPLOADED and action == "import" and not _refused(job):
            if importjobs.queue(job):
                audit_recorder(request)(
                    who,
                    AuditEntry(
                        action="queue", what="import_upload", object_id=str(job.pk), detail={"format": job.format}
                    ),
                )
            return redirect("datamgmt:upload", pk=job.pk)
        return redirect("datamgmt:upload", pk=job.pk)  # a second click, or a stale page: show where it is
    problems = _problems(job)
    rows = [
        {"file": p.file, "line": p.line, "field": p.field, "severity": p.severity, "message": p.message}
        for p in problems
    ]
    page = Paginator(rows, PROBLEM_PAGE_SIZE).get_page(request.GET.get("page"))
    caption = "Problems found in the files"
    shown = Table(
        f"{caption}: {page.start_index():,} to {page.end_index():,} of {len(rows):,}" if rows else caption,
        PROBLEM_COLUMNS,
        list(page.object_list),
        frozenset({"line"}),
    )
    already: list[ImportRecord] = []
    same: list[ImportRecord] = []
    folder = uploads.folder_of(job.folder)
    if job.state == ImportState.UPLOADED and all((folder / n).is_file() for n in job.files):
        ops = operations()
        already, same = ops.import_overlap(
            who, job.format, [folder / n for n in job.files], tuple(job.preview.get("years", []))
        )
    tables = Table(
        "Rows the files would import, by table"
        if job.state != ImportState.DONE
        else "Rows read from the files, by table",
        (("table", "Table"), ("rows", "Rows")),
        [{"table": k, "rows": v} for k, v in sorted(job.preview.get("rows", {}).items())],
        frozenset({"rows"}),
    )
    return render(
        request,
        "datamgmt/upload_job.html",
        {
            "title": _title(job),
            "job": job,
            "period": _period(job.preview),
            "rows_total": sum(job.preview.get("rows", {}).values()),
            "refused": _refused(job),
            "problems": shown,
            "problem_count": len(rows),
            "problem_page": page,
            "summary": problem_summary("Problems found, by field and rule", problems),
            "tables": tables,
            "already": already,
            "same": same,
            "auto_reload": job.unfinished and request.GET.get("reload") != "off",
            "reload_seconds": RELOAD_SECONDS,
            "error_lines": job.error.splitlines() if job.error else [],
            "when": _local_when,
        },
    )


def _local_when(value: datetime | date | None) -> str:
    """A time as the data manager reads it: in the service's time zone."""
    return _when(localtime(value) if isinstance(value, datetime) and is_aware(value) else value)


def _period(preview: dict[str, Any]) -> str:
    """What the files say they are of: their reference dates, else their collection years."""
    dates = preview.get("reference_dates", [])
    years = preview.get("years", [])
    if dates:
        shown = [date.fromisoformat(d).strftime("%d %B %Y").lstrip("0") for d in dates]
        return ("Reference dates " if len(dates) > 1 else "Reference date ") + ", ".join(shown)
    if years:
        return ("Collection years " if len(years) > 1 else "Collection year ") + ", ".join(map(str, years))
    return "Not given by the files"


def _refused(job: ImportJob) -> bool:
    return any(p[3] == "error" for p in job.preview.get("problems", []))


def _title(job: ImportJob) -> str:
    if job.state == ImportState.UPLOADED:
        return "Files not imported: they have errors" if _refused(job) else "Check the files before you import them"
    return {
        ImportState.QUEUED: "Import queued",
        ImportState.RUNNING: "Importing",
        ImportState.DONE: "Import complete",
        ImportState.FAILED: "Import failed: nothing was imported",
        ImportState.CANCELLED: "Import cancelled",
    }[ImportState(job.state)]


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()
