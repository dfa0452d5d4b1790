"""Bulk import of the Virtual School's existing records from CSV or Excel: upload, preview, confirm.

The page (``/schools/import/``) offers every registered kind of record. An upload is checked
before anything else happens (at most 2 MB; an ``.xlsx`` must be a zip holding
``[Content_Types].xml``, a ``.csv`` must be UTF-8 text; the first row names the columns, every
required column must be there), then kept server-side under ``MEDIA_ROOT/imports/`` with a
generated name, its token in the session, while the user reads the **preview**: every row with its
errors (row number, column, message) and the rows that would be created. **Confirm** validates the
file again and saves every valid row in one transaction; **cancel** saves nothing. Either way the
file is deleted.

Registering another kind
------------------------

An app registers an :class:`Importer` once, from its ``AppConfig.ready()``::

    from ever6.web import bulk

    def validate(values: dict[str, str], context: bulk.Context) -> bulk.Checked:
        # ``values``: the row's cells by column name; "" when empty. Dates in an Excel file arrive
        # as ISO text (2026-03-27); bulk.parse_date reads that and 27/03/2026.
        errors = []
        if not values["title"]:
            errors.append(("title", "Enter the course title"))
        key = values["title"].lower()
        if key in context.seen:  # duplicates within the file
            errors.append(("title", f"The same course is on row {context.seen[key]}"))
        context.seen.setdefault(key, context.row)
        if errors:
            return bulk.Checked(errors=errors)
        return bulk.Checked(record={...}, summary="Course: ...")  # record: anything save() takes

    def save(records: list[Any], context: bulk.Context) -> int:
        # Called inside transaction.atomic() with the records of the valid rows, in file order;
        # context.username is who confirmed. Returns how many records were created.
        ...

    bulk.register(bulk.Importer(
        kind="training",                       # in the URL of the template: /schools/import/template/training.csv
        label="Training records",              # "Import training records"
        noun="training records",               # "Imported 12 training records"
        columns=(bulk.Column("title", "The course title", required=True, example="Attachment-aware schools"), ...),
        validate=validate,
        save=save,
        capability=Capability.PARTNERSHIP,     # who may import this kind (default: the Virtual School)
    ))

:func:`importers` lists the kinds registered, :func:`get` finds one, :func:`template_csv` is the
downloadable template (the column names and one example row). ``validate`` must not write to the
database: it runs for the preview and again on confirm. ``context.cache`` is a dict shared by the
rows of one file, for lookups worth doing once (e.g. every school by URN).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ever6.access import Capability
from ever6.exports import safe_cell

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024  # an .xlsx that would inflate beyond this is refused
MAX_ROWS = 5000
SESSION_KEY = "ever6_bulk_import"
STALE_AFTER_SECONDS = 24 * 60 * 60  # uploads never confirmed or cancelled are deleted after a day
EXTENSIONS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    name: str  # the heading in the file's first row (matched ignoring case, spaces and underscores)
    description: str  # for the page and the template
    required: bool = False  # the column must be present (a cell may still be empty unless validate says)
    example: str = ""  # the template's example row


@dataclass
class Context:
    """What the rows of one file share while they are validated and saved."""

    username: str
    today: date
    row: int = 0  # the spreadsheet row number being validated (the heading row is 1)
    seen: dict[Any, int] = field(default_factory=dict)  # for duplicates within the file: key -> row
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass
class Checked:
    """A row's outcome: a record to save, or the errors, each ``(column, message)``."""

    record: Any = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""  # what would be created, in words, for the preview


@dataclass(frozen=True)
class Importer:
    kind: str
    label: str
    noun: str
    columns: tuple[Column, ...]
    validate: Callable[[dict[str, str], Context], Checked]
    save: Callable[[list[Any], Context], int]
    capability: Capability = Capability.PARTNERSHIP


_REGISTRY: dict[str, Importer] = {}


def register(importer: Importer) -> None:
    """Add a kind of record to the import page (again with the same kind replaces it)."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", importer.kind):
        raise ValueError(f"an importer's kind must be a lower-case slug: {importer.kind!r}")
    _REGISTRY[importer.kind] = importer


def importers() -> list[Importer]:
    return list(_REGISTRY.values())


def get(kind: str) -> Importer | None:
    return _REGISTRY.get(kind)


# --- reading a file --------------------------------------------------------------------------------


class FileProblem(ValueError):
    """The file cannot be imported at all (shown against the file field)."""


def heading_key(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", text.strip().lower()).strip("_")


def check_upload(upload: Any) -> str:
    """The file's type (``csv`` or ``xlsx``), checked by its content; ValidationError if refused."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError("The selected file must be smaller than 2MB")
    if upload.size == 0:
        raise forms.ValidationError("The selected file is empty")
    name = (upload.name or "").lower()
    upload.seek(0)
    head = upload.read(MAX_UPLOAD_BYTES + 1)
    upload.seek(0)
    if len(head) > MAX_UPLOAD_BYTES:
        raise forms.ValidationError("The selected file must be smaller than 2MB")
    if name.endswith(".xlsx"):
        if not _is_xlsx(head):
            raise forms.ValidationError("The selected file must be a CSV or an Excel (.xlsx) file")
        return "xlsx"
    if name.endswith(".csv"):
        try:
            text = head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                "The selected file must be a CSV saved as UTF-8 text: in Excel, choose “CSV UTF-8”"
            ) from exc
        if "\x00" in text:
            raise forms.ValidationError("The selected file must be a CSV or an Excel (.xlsx) file")
        return "csv"
    raise forms.ValidationError("The selected file must be a CSV or an Excel (.xlsx) file")


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and inflated <= MAX_UNZIPPED_BYTES


def read_rows(data: bytes, ext: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The headings (normalised) and each non-blank row as ``(row number, {heading: text})``."""
    raw = _read_csv(data) if ext == "csv" else _read_xlsx(data)
    if not raw or not any(cell for cell in raw[0]):
        raise FileProblem("The selected file is empty: its first row must name the columns")
    headings = [heading_key(h) for h in raw[0]]
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(raw[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(headings) if h}
        rows.append((number, values))
        if len(rows) > MAX_ROWS:
            raise FileProblem(f"The selected file has more than {MAX_ROWS:,} rows: split it into smaller files")
    return headings, rows


def _read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise FileProblem(f"The selected file could not be read as a CSV: {exc}") from exc


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileProblem("The selected file could not be opened as an Excel workbook") from exc
    try:
        sheet = workbook.worksheets[0]
        out: list[list[str]] = []
        for row in sheet.iter_rows(values_only=True):
            out.append([_cell_text(v) for v in row])
            if len(out) > MAX_ROWS + 1:
                break
        return out
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_date(text: str) -> date | None:
    """A date cell: ``2026-03-27``, ``27/03/2026`` or ``27-03-2026``; ``None`` when empty.

    Raises ValueError for anything else (including impossible dates like 31/02/2026).
    """
    text = text.strip()
    if not text:
        return None
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
        return date(int(m[3]), int(m[2]), int(m[1]))
    raise ValueError(text)


def date_parts(name: str, day: date | None) -> dict[str, str]:
    """A date as the GOV.UK date input's three boxes, to validate a row with a form."""
    if day is None:
        return {f"{name}_day": "", f"{name}_month": "", f"{name}_year": ""}
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def missing_columns(importer: Importer, headings: Sequence[str]) -> list[str]:
    present = set(headings)
    return [c.name for c in importer.columns if c.required and c.name not in present]


# --- the preview -----------------------------------------------------------------------------------


@dataclass
class RowOutcome:
    row: int
    values: dict[str, str]
    checked: Checked


@dataclass
class Preview:
    importer: Importer
    outcomes: list[RowOutcome]
    ignored_columns: list[str]

    @property
    def valid(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if not o.checked.errors]

    @property
    def invalid(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.checked.errors]

    def errors(self) -> list[dict[str, Any]]:
        """One row per error: the row number, the column and the message."""
        return [
            {"row": o.row, "column": column, "value": o.values.get(column, ""), "message": message}
            for o in self.invalid
            for column, message in o.checked.errors
        ]


def check_rows(importer: Importer, data: bytes, ext: str, context: Context) -> Preview:
    """Validate every row of the file (nothing is written). Raises FileProblem for the whole file."""
    headings, rows = read_rows(data, ext)
    if missing := missing_columns(importer, headings):
        raise FileProblem(
            f"The selected file must have a column called {', '.join(missing)}: "
            "download the template to see the columns"
        )
    known = {c.name for c in importer.columns}
    outcomes = []
    for number, values in rows:
        context.row = number
        complete = {c.name: values.get(c.name, "") for c in importer.columns}
        outcomes.append(RowOutcome(number, complete, importer.validate(complete, context)))
    if not outcomes:
        raise FileProblem("The selected file has no rows to import under its column names")
    return Preview(importer, outcomes, sorted(h for h in set(headings) - known if h))


def save_valid(preview: Preview, context: Context) -> int:
    """Save the valid rows' records (call inside ``transaction.atomic()``)."""
    return preview.importer.save([o.checked.record for o in preview.valid], context)


# --- keeping the upload between preview and confirm ------------------------------------------------


@dataclass(frozen=True)
class Stash:
    token: str
    kind: str
    ext: str
    name: str

    @property
    def path(self) -> Path:
        return upload_dir() / f"{self.token}.{self.ext}"

    def read(self) -> bytes:
        return self.path.read_bytes()


def upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def stash(request: HttpRequest, upload: Any, kind: str, ext: str) -> Stash:
    """Keep the upload under MEDIA_ROOT with a generated name; its token goes in the session."""
    discard(request)
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    kept = Stash(secrets.token_hex(16), kind, ext, (upload.name or "")[-200:])
    upload.seek(0)
    with kept.path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    kept.path.chmod(0o600)
    request.session[SESSION_KEY] = {"token": kept.token, "kind": kind, "ext": ext, "name": kept.name}
    return kept


def stashed(request: HttpRequest) -> Stash | None:
    """The upload waiting for confirmation in this session, if its file is still there."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    token, ext = str(data.get("token", "")), str(data.get("ext", ""))
    if not re.fullmatch(r"[0-9a-f]{32}", token) or ext not in EXTENSIONS:
        return None
    kept = Stash(token, str(data.get("kind", "")), ext, str(data.get("name", "")))
    return kept if kept.path.is_file() else None


def discard(request: HttpRequest) -> None:
    """Delete this session's waiting upload, if any."""
    kept = stashed(request)
    if kept is not None:
        kept.path.unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


def _remove_stale(folder: Path) -> None:
    cutoff = time.time() - STALE_AFTER_SECONDS
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


# --- the template ----------------------------------------------------------------------------------


def template_csv(importer: Importer) -> HttpResponse:
    """The columns of a kind, with one example row, as a CSV to fill in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in importer.columns])
    writer.writerow([safe_cell(c.example) for c in importer.columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ever6-import-{importer.kind}-template.csv"'
    response["Cache-Control"] = "no-store"
    return response
