"""Files the data manager uploads to import: streamed to disk as they arrive, into a private
folder of the workspace, under the upload limit.

Django's multipart parser hands each chunk to the request's upload handlers before the view runs.
The import page replaces the default handlers (memory, then a temporary file in the system's temp
folder) with :class:`PrivateUploadHandler`: every file goes straight to a temporary file in the
upload's own folder under ``EVER6_UPLOAD_DIR`` (0700, files 0600 like everything the service
writes), never into memory, and the upload stops being written once its files pass the limit.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest

# A file's name as it is kept: its own name's last part, with nothing but safe characters.
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
MAX_FILES = 50


def upload_limit() -> int:
    """The largest upload, all its files together, in bytes (``EVER6_UPLOAD_MAX_MB``)."""
    return int(settings.EVER6_UPLOAD_MAX_BYTES)


def new_folder() -> tuple[str, Path]:
    """A new private folder for one upload's files: its name and path."""
    root = Path(settings.EVER6_UPLOAD_DIR)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    root.chmod(0o700)
    name = secrets.token_hex(16)
    path = root / name
    path.mkdir(mode=0o700)
    return name, path


def folder_of(name: str) -> Path:
    return Path(settings.EVER6_UPLOAD_DIR) / name


def remove_folder(name: str) -> None:
    """Delete an upload's files (imported, refused or cancelled: nothing is kept)."""
    if name and all(c in _SAFE for c in name):
        shutil.rmtree(folder_of(name), ignore_errors=True)


def safe_name(name: str) -> str:
    """A file name to keep on disk: the last part of what the browser sent, safe characters only."""
    base = Path(name.replace("\\", "/")).name
    cleaned = "".join(c if c in _SAFE else "_" for c in base).lstrip(".")
    return cleaned[:120] or "file"


class _PrivateTemporaryFile(TemporaryUploadedFile):
    """Django's temporary uploaded file, made in the upload's own folder instead of the system's."""

    def __init__(self, folder: Path, name: str, content_type: str, charset: str | None, extra: Any) -> None:
        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=folder)  # noqa: SIM115 (the upload owns it)
        UploadedFile.__init__(self, file, name, content_type, 0, charset, extra)


class PrivateUploadHandler(TemporaryFileUploadHandler):
    """Every file to disk in ``folder``; past ``limit`` bytes in all, nothing more is written and
    ``too_large`` is set (the rest of the request is read and discarded)."""

    def __init__(self, request: HttpRequest, folder: Path, limit: int) -> None:
        super().__init__(request)
        self.folder = folder
        self.limit = limit
        self.received = 0
        self.too_large = False
        self.too_many = False
        self.count = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.count += 1
        if self.count > MAX_FILES:
            self.too_many = True
            raise StopUpload(connection_reset=False)
        self.file = _PrivateTemporaryFile(
            self.folder, self.file_name or "file", self.content_type or "", self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def keep(folder: Path, uploads: list[UploadedFile]) -> list[str]:
    """Give each uploaded file its own name in ``folder`` (two of one name are numbered); their
    names, in upload order."""
    names: list[str] = []
    for upload in uploads:
        name = safe_name(upload.name or "file")
        stem, dot, suffix = name.rpartition(".")
        n = 1
        while name in names:
            n += 1
            name = f"{stem}-{n}.{suffix}" if dot else f"{suffix}-{n}"
        save_as(upload, folder / name)
        names.append(name)
    return names


def save_as(upload: UploadedFile, target: Path) -> None:
    """Keep an uploaded file as ``target`` (private): its temporary file renamed when it is one."""
    if isinstance(upload, TemporaryUploadedFile):
        Path(upload.temporary_file_path()).replace(target)  # the same folder: a rename
    else:  # held in memory (a small file, not through PrivateUploadHandler): written out
        with target.open("xb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    target.chmod(0o600)


def configured_mappings() -> list[str]:
    """The column mappings offered for case-management and pupils files: the TOML files in
    ``EVER6_MAPPING_DIR``, by name."""
    folder = Path(settings.EVER6_MAPPING_DIR)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.glob("*.toml") if p.is_file())


# A job's mapping: a configured one by name, or one uploaded with the files (kept in their folder).
CONFIGURED = "configured:"
UPLOADED = "uploaded:"
UPLOADED_MAPPING = ".column-mapping.toml"  # no data file's name starts with a dot (safe_name)


def mapping_path(folder: str, mapping: str) -> Path | None:
    """Where a job's column mapping is (None: the reader's own column names)."""
    if mapping.startswith(CONFIGURED):
        name = mapping.removeprefix(CONFIGURED)
        if name in configured_mappings():  # never a path of the browser's choosing
            return Path(settings.EVER6_MAPPING_DIR) / name
        raise FileNotFoundError(f"the column mapping {name} is no longer in the mappings folder")
    if mapping.startswith(UPLOADED):
        return folder_of(folder) / UPLOADED_MAPPING
    return None
