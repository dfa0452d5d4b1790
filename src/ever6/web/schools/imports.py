"""The bulk import pages: upload a CSV or Excel file, read the preview, confirm or cancel.

The machinery and the registry of kinds are in :mod:`ever6.web.bulk`; this module is the pages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ever6.access import Capability
from ever6.web import bulk
from ever6.web.bodylimit import accepts_upload
from ever6.web.guard import require, viewer
from ever6.web.tables import Table, download, requested_format

ERROR_COLUMNS = (("row", "Row"), ("column", "Column"), ("value", "Value"), ("message", "Error"))
CREATE_COLUMNS = (("row", "Row"), ("summary", "Will be created"))


def _kinds(request: HttpRequest) -> list[bulk.Importer]:
    who = viewer(request)
    return [i for i in bulk.importers() if who.can(i.capability)]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(error_messages={"required": "Select what the file holds"})
    upload = forms.FileField(
        error_messages={"required": "Select a CSV or Excel file", "empty": "The selected file is empty"}
    )

    def __init__(self, *args: Any, kinds: list[bulk.Importer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(i.kind, i.label) for i in kinds]
        self.fields["kind"].error_messages["invalid_choice"] = "Select what the file holds"
        self.ext = ""
        self.preview: bulk.Preview | None = None

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return None
        self.ext = bulk.check_upload(upload)
        return upload

    def check_rows(self, context: bulk.Context) -> bool:
        """Read the file as the chosen kind: a file with no usable rows or columns is refused here."""
        importer = bulk.get(self.cleaned_data["kind"])
        upload = self.cleaned_data["upload"]
        assert importer is not None  # the kind is one of the choices
        upload.seek(0)
        try:
            self.preview = bulk.check_rows(importer, upload.read(), self.ext, context)
        except bulk.FileProblem as exc:
            self.add_error("upload", str(exc))
            return False
        finally:
            upload.seek(0)
        return True


def _context(request: HttpRequest) -> bulk.Context:
    return bulk.Context(username=viewer(request).username, today=timezone.localdate())


@accepts_upload(bulk.MAX_UPLOAD_BYTES)
@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    kinds = _kinds(request)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid() and form.check_rows(_context(request)):
            bulk.stash(request, form.cleaned_data["upload"], form.cleaned_data["kind"], form.ext)
            return redirect("schools:import_preview")
    else:
        form = UploadForm(kinds=kinds, initial={"kind": request.GET.get("kind", "")})
    waiting = bulk.stashed(request)
    return render(
        request,
        "schools/import.html",
        {
            "title": "Import contacts and agreements",
            "form": form,
            "kinds": kinds,
            "page_error": bool(form.errors),
            "max_mb": bulk.MAX_UPLOAD_BYTES // (1024 * 1024),
            "max_rows": bulk.MAX_ROWS,
            "waiting": waiting,
        },
        status=400 if form.errors else 200,
    )


@require(Capability.PARTNERSHIP)
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    importer = bulk.get(kind)
    if importer is None or not viewer(request).can(importer.capability):
        raise Http404("no such kind of import")
    return bulk.template_csv(importer)


def _tables(preview: bulk.Preview) -> tuple[Table, Table]:
    errors = Table(
        f"Rows with errors: these will not be imported ({len(preview.invalid):,} rows)",
        ERROR_COLUMNS,
        preview.errors(),
        frozenset({"row"}),
    )
    creates = Table(
        f"{preview.importer.label}: rows that will be imported ({len(preview.valid):,})",
        CREATE_COLUMNS,
        [{"row": o.row, "summary": o.checked.summary} for o in preview.valid],
        frozenset({"row"}),
    )
    return errors, creates


@require(Capability.PARTNERSHIP)
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest) -> HttpResponse:
    waiting = bulk.stashed(request)
    importer = bulk.get(waiting.kind) if waiting else None
    if waiting is None or importer is None or not viewer(request).can(importer.capability):
        bulk.discard(request)
        if request.method == "POST":
            messages.success(request, "There was no import waiting: upload the file again.")
        return redirect("schools:import")
    if request.method == "POST":
        if request.POST.get("token") != waiting.token:
            return render(
                request,
                "schools/import_stale.html",
                {"title": "This import has changed", "page_error": True},
                status=400,
            )
        if request.POST.get("action") != "confirm":
            bulk.discard(request)
            messages.success(request, f"Cancelled the import of {waiting.name}: nothing was saved.")
            return redirect("schools:import")
    context = _context(request)
    try:
        checked = bulk.check_rows(importer, waiting.read(), waiting.ext, context)
    except bulk.FileProblem as exc:  # the rows were readable at upload; only a changed file gets here
        bulk.discard(request)
        messages.success(request, f"The file could not be read again ({exc}): nothing was saved.")
        return redirect("schools:import")
    if request.method == "POST":
        with transaction.atomic():
            saved = bulk.save_valid(checked, context) if checked.valid else 0
        bulk.discard(request)
        skipped = len(checked.invalid)
        messages.success(
            request,
            f"Imported {saved:,} {importer.noun} from {waiting.name}."
            + (f" {skipped:,} rows with errors were not imported." if skipped else ""),
        )
        return redirect("schools:index")
    errors, creates = _tables(checked)
    if fmt := requested_format(request):
        if request.GET.get("table") == "create":
            return download(creates, fmt, f"ever6-import-{importer.kind}-rows")
        return download(errors, fmt, f"ever6-import-{importer.kind}-errors")
    return render(
        request,
        "schools/import_preview.html",
        {
            "title": f"Check the import: {importer.label.lower()}",
            "importer": importer,
            "waiting": waiting,
            "preview": checked,
            "errors": errors,
            "creates": creates,
        },
    )
