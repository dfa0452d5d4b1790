"""Files readable by their owner only: the workspace holds names, dates of birth and UPNs.

Every file ever6 writes into the workspace (the warehouse, the web snapshot, the web service's
database, uploads, exports, demo and bench outputs) is 0600 and every folder 0700, whatever the
umask it was started with: each entry point calls :func:`restrict_umask` first, and
:func:`secure_workspace` finds (and fixes) anything that got through, such as a workspace made by
an older version or a file copied in by hand.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077

log = logging.getLogger(__name__)


def restrict_umask() -> None:
    """Files and folders this process creates from now on are its owner's only."""
    os.umask(UMASK)


@contextmanager
def private_files() -> Iterator[None]:
    """Files created inside are its owner's only, even in a process that kept a looser umask
    (a library user): DuckDB and SQLite create their files and journals themselves."""
    old = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(old)


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) a folder only its owner can enter. A folder that is
    already there keeps its permissions: it may be shared (``/tmp``) and is not ever6's to change
    (the workspace's own are checked by :func:`secure_workspace`)."""
    with private_files():
        path.mkdir(parents=True, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """Make an existing file readable and writable by its owner only."""
    _restrict(path, is_dir=False)
    return path


def _restrict(path: Path, *, is_dir: bool) -> bool:
    """Take away group and other permissions; True if there were any."""
    mode = stat.S_IMODE(path.lstat().st_mode)
    if mode & UMASK == 0:
        return False
    os.chmod(path, (mode & ~UMASK) | (DIR_MODE if is_dir else FILE_MODE))
    return True


def too_open(home: Path) -> list[Path]:
    """Files and folders in the workspace that someone other than their owner may read."""
    found: list[Path] = []
    for path in _walk(home):
        if stat.S_IMODE(path.lstat().st_mode) & UMASK:
            found.append(path)
    return found


def secure_workspace(home: Path) -> list[Path]:
    """Make every file 0600 and every folder 0700 in the workspace; the paths that were more open.

    Symbolic links are neither followed nor changed: what they point to is not the workspace's.
    """
    fixed: list[Path] = []
    if _shared(home):
        log.warning("%s is a shared folder (like /tmp): give the workspace a folder of its own", home)
        return fixed
    for path in too_open(home):
        try:
            if _restrict(path, is_dir=path.is_dir()):
                fixed.append(path)
        except OSError as exc:  # someone else's file: say so, do not stop the command
            log.warning("cannot make %s private: %s", path, exc.strerror)
    return fixed


def fixed_message(home: Path, fixed: list[Path]) -> str:
    """The one-line warning for what :func:`secure_workspace` fixed."""
    names = ", ".join(str(p.relative_to(home)) if p != home else "." for p in fixed[:5])
    more = f" and {len(fixed) - 5} more" if len(fixed) > 5 else ""
    return (
        f"warning: {len(fixed)} file(s) or folder(s) in {home} were readable by others; "
        f"made them readable by their owner only: {names}{more}"
    )


def _shared(home: Path) -> bool:
    """A folder others may write in (``/tmp``): not a workspace's to change."""
    try:
        mode = home.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_ISVTX | stat.S_IWOTH))


def _walk(home: Path) -> Iterator[Path]:
    """The workspace's files and folders that this user owns (never another user's, even as root)."""
    if not home.is_dir() or home.is_symlink():
        return
    me = os.geteuid()
    for root, dirs, files in os.walk(home):
        base = Path(root)
        for path in (base, *(base / name for name in files)):
            if not path.is_symlink() and path.lstat().st_uid == me:
                yield path
        dirs[:] = [d for d in dirs if not (base / d).is_symlink()]
