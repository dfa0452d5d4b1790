"""Checking, backing up and restoring a workspace (``ever6 check``, ``backup``, ``restore``).

A workspace is the warehouse, the web snapshot beside it, the web service's SQLite database, the
uploads (signed agreements), the settings and the secret key. A backup is a folder holding a
consistent copy of each, and a manifest with their sizes and SHA-256 digests:

- the warehouse is copied while this process holds it open read-only, so no import or refresh can
  change it during the copy (DuckDB lets one writer or many readers in);
- the snapshot is copied from the file as it was when opened (a refresh replaces it by a rename);
- the SQLite database through SQLite's own online backup, consistent while the service runs.

``restore`` checks every digest first, puts the files being replaced aside in a
``before-restore-<time>`` folder of the workspace, and copies the backup in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from ever6 import __version__
from ever6.config import Settings, snapshot_beside
from ever6.errors import Refused, WarehouseBusy, WarehouseDamaged
from ever6.private import private_dir, private_file, private_files, too_open
from ever6.warehouse.opening import damaged_message, is_damage, open_warehouse
from ever6.warehouse.published import Published, snapshot_run_id
from ever6.warehouse.store import holder_path

MANIFEST = "manifest.json"
SQLITE_NAME = "web.sqlite3"
# Besides the warehouse, the snapshot and the web database: (name in the workspace, is a folder).
_OTHERS = (("ever6.toml", False), ("secret_key", False), ("uploads", True), ("mappings", True))


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str


# --- check ------------------------------------------------------------------------------------


def check(settings: Settings) -> list[Finding]:
    """Whether the workspace is whole: readable, private, the warehouse readable to its last block,
    no refresh left half-done, the web snapshot holding the latest run, the web database sound."""
    home = settings.home
    if not home.is_dir():
        return [Finding(False, f"there is no workspace at {home}")]
    findings = [_check_files(home)]
    warehouse = settings.warehouse_path
    latest: int | None = None
    readable = True
    if not warehouse.exists():
        findings.append(Finding(True, "no warehouse yet (nothing imported)"))
    else:
        found, latest, pending = _check_warehouse(warehouse)
        findings += found
        readable = found[0].ok
        if pending:
            findings.append(
                Finding(
                    False,
                    f"a refresh was stopped part-way (run {', '.join(map(str, pending))} not published); "
                    "the next `ever6 refresh` completes or removes it",
                )
            )
    if readable:  # the snapshot is compared with the warehouse's latest run
        findings.append(_check_snapshot(snapshot_beside(warehouse), latest))
    sqlite = home / SQLITE_NAME
    if sqlite.exists():
        findings.append(_check_sqlite(sqlite))
    return findings


def _check_files(home: Path) -> Finding:
    unreadable = [p for p in _files(home) if not os.access(p, os.R_OK)]
    if unreadable:
        names = ", ".join(str(p.relative_to(home)) for p in unreadable[:5])
        return Finding(False, f"{len(unreadable)} file(s) cannot be read: {names}")
    exposed = too_open(home)
    if exposed:
        names = ", ".join(str(p.relative_to(home)) if p != home else "." for p in exposed[:5])
        return Finding(False, f"{len(exposed)} file(s) or folder(s) are readable by others: {names}")
    return Finding(True, "every file is readable, and by its owner only (files 0600, folders 0700)")


def _check_warehouse(path: Path) -> tuple[list[Finding], int | None, list[int]]:
    try:
        wh = open_warehouse(path, read_only=True)
    except (WarehouseBusy, WarehouseDamaged) as exc:
        return [Finding(False, str(exc))], None, []
    try:
        tables = [r[0] for r in wh.con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        rows = 0
        for name in tables:
            # Every column of every row (a filter, so that none is optimised away): DuckDB verifies
            # each block's checksum as it reads it.
            (n,) = wh.con.execute(
                f'SELECT count(*) FROM "{name}" WHERE hash(COLUMNS(*)) IS NOT NULL'  # noqa: S608 (catalog names)
            ).fetchall()[0]
            rows += int(n)
        published = Published(wh)
        latest = published.latest()
        pending = [p for p in published.pending() if latest is None or p != latest.run_id]
    except duckdb.Error as exc:
        if is_damage(exc):
            return [Finding(False, damaged_message(path, exc))], None, []
        raise
    finally:
        wh.close()
    run = f"; latest published run {latest.run_id} as at {latest.as_at}" if latest else "; nothing published yet"
    return (
        [Finding(True, f"the warehouse reads whole: {len(tables)} tables, {rows:,} rows{run}")],
        (latest.run_id if latest else None),
        pending,
    )


def _check_snapshot(path: Path, latest: int | None) -> Finding:
    if latest is None:
        if path.exists():
            return Finding(False, f"the web snapshot {path} exists but the warehouse has published nothing")
        return Finding(True, "no web snapshot yet (nothing published)")
    held = snapshot_run_id(path)
    if held is None:
        what = "is missing" if not path.exists() else "cannot be read"
        return Finding(False, f"the web snapshot {path} {what}: run `ever6 refresh` to write it again")
    if held != latest:
        return Finding(
            False,
            f"the web snapshot holds run {held} but the warehouse's latest is run {latest}: run `ever6 refresh`",
        )
    return Finding(True, f"the web snapshot holds the latest run ({latest})")


def _check_sqlite(path: Path) -> Finding:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return Finding(False, f"the web database {path} cannot be read ({exc}): restore it from a backup")
    if result != [("ok",)]:
        return Finding(False, f"the web database {path} is damaged ({result[0][0]}): restore it from a backup")
    return Finding(True, "the web database passes SQLite's integrity check")


def _files(home: Path) -> Iterator[Path]:
    for root, _, files in os.walk(home):
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                yield path


# --- backup -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupSummary:
    folder: Path
    files: dict[str, int]  # path in the backup -> bytes
    run_id: int | None
    notes: tuple[str, ...]


def backup(settings: Settings, dest: Path, *, wait: float = 0.0) -> BackupSummary:
    """Copy the workspace into ``dest`` (a new or empty folder), consistently; see the module."""
    home = settings.home
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise Refused(f"{dest} is not an empty folder: a backup goes into a new one")
    if not settings.warehouse_path.exists():
        raise Refused(f"there is no warehouse at {settings.warehouse_path} to back up")
    if dest.resolve().is_relative_to(home.resolve()):
        raise Refused(f"{dest} is inside the workspace: put the backup elsewhere (another disk)")
    private_dir(dest)
    notes: list[str] = []
    with open_warehouse(settings.warehouse_path, read_only=True, wait=wait) as wh:
        # Held read-only: no writer can open the file until the copy is done.
        latest = Published(wh).latest()
        _copy(settings.warehouse_path, dest / "warehouse.duckdb")
        wal = settings.warehouse_path.with_name(settings.warehouse_path.name + ".wal")
        if wal.exists():
            _copy(wal, dest / wal.name)
        snapshot = snapshot_beside(settings.warehouse_path)
        if snapshot.exists():
            _copy(snapshot, dest / "published" / snapshot.name)
    sqlite = home / SQLITE_NAME
    if sqlite.exists():
        with private_files():
            source = sqlite3.connect(f"file:{sqlite}?mode=ro", uri=True)
            target = sqlite3.connect(dest / SQLITE_NAME)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
    elif os.environ.get("DATABASE_URL"):
        notes.append("the web database is not SQLite (DATABASE_URL): back it up with its own tools (pg_dump)")
    for name, is_dir in _OTHERS:
        if (home / name).exists():
            if is_dir:
                with private_files():
                    shutil.copytree(home / name, dest / name, symlinks=True)
            else:
                _copy(home / name, dest / name)
    files = {str(p.relative_to(dest)): p.stat().st_size for p in sorted(_files(dest))}
    manifest = {
        "ever6": __version__,
        "created": datetime.now().replace(microsecond=0).isoformat(),
        "from": str(home.resolve()),
        "run_id": latest.run_id if latest else None,
        "files": {name: {"bytes": size, "sha256": _sha256(dest / name)} for name, size in files.items()},
    }
    with private_files():
        (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return BackupSummary(dest, files, latest.run_id if latest else None, tuple(notes))


def _copy(source: Path, target: Path) -> None:
    private_dir(target.parent)
    with private_files():
        shutil.copyfile(source, target)
    private_file(target)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- restore ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreSummary:
    restored: tuple[str, ...]
    set_aside: Path | None
    run_id: int | None


def verify_backup(source: Path) -> dict[str, dict[str, object]]:
    """The backup's manifest, once every file in it is there with its digest; else :class:`Refused`."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, dict[str, object]] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Refused(f"{source} is not an ever6 backup: its {MANIFEST} cannot be read") from exc
    for name, expected in files.items():
        path = source / name
        if not path.is_file() or _sha256(path) != expected.get("sha256"):
            raise Refused(f"the backup is damaged: {name} is missing or differs from {MANIFEST}; nothing was restored")
    if "warehouse.duckdb" not in files:
        raise Refused(f"{source} holds no warehouse; nothing was restored")
    return files


def restore(settings: Settings, source: Path, *, wait: float = 0.0) -> RestoreSummary:
    """Replace the workspace's files by the backup's, after checking it; see the module."""
    files = verify_backup(source)
    with open_warehouse(source / "warehouse.duckdb", read_only=True) as wh:
        latest = Published(wh).latest()
    home = settings.home
    private_dir(home)
    current = settings.warehouse_path
    if current.exists():
        # Taken for writing, then let go: refuses while an import, a refresh or the web reads it;
        # a damaged file is the usual reason for a restore.
        with contextlib.suppress(WarehouseDamaged):
            open_warehouse(current, purpose="a restore", wait=wait).close()
    tops = sorted({Path(name).parts[0] for name in files} | {"warehouse.duckdb.wal", "published"})
    aside = home / f"before-restore-{datetime.now():%Y%m%d-%H%M%S}"
    moved = False
    for top in tops:
        if (home / top).exists():
            private_dir(aside)
            os.replace(home / top, aside / top)
            moved = True
    holder_path(current).unlink(missing_ok=True)
    for name in files:
        target = home / name
        _copy(source / name, target.with_name(target.name + ".restoring"))
        os.replace(target.with_name(target.name + ".restoring"), target)
    return RestoreSummary(tuple(sorted(files)), aside if moved else None, latest.run_id if latest else None)
