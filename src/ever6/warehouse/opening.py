"""Opening the warehouse with clear words for a busy or damaged file.

DuckDB lets one process write a database file at a time, and says so as "Could not set lock on
file". The writer records what it is doing beside the file (:func:`~ever6.warehouse.store.holder_path`),
so another command is told "a refresh is running (started 12:03 by alice); try again", and may
wait for it. A file DuckDB cannot read is "damaged: restore from a backup" (``ever6 restore``).
"""

from __future__ import annotations

import os
import re
import socket
import time
from datetime import datetime
from pathlib import Path

import duckdb

from ever6.errors import WarehouseBusy, WarehouseDamaged
from ever6.warehouse.store import Warehouse, read_holder

# How DuckDB words a file that is not a readable database (checked against DuckDB 2.0).
_DAMAGE_SIGNS = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "corrupt database file",
    "checksum",
    "invalid block",
    "database invalidated",
)
_BUSY_SIGN = "could not set lock"


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and _BUSY_SIGN in str(exc).lower()


def is_damage(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and any(sign in str(exc).lower() for sign in _DAMAGE_SIGNS)


def who_holds(path: Path, exc: BaseException | None = None) -> str | None:
    """ "a refresh is running (started 12:03 by alice, process 4242)", from the holder file; None
    when no live writer recorded itself (a reader holds the file, or the writer was killed)."""
    holder = read_holder(path)
    pid = _pid_in(str(exc)) if exc is not None else None
    if holder is None or (pid is not None and holder.get("pid") != pid) or not _alive(holder):
        return None
    started = _clock(str(holder.get("started", "")))
    what = str(holder.get("purpose") or "an ever6 command")
    who = f"{holder.get('user') or 'someone'}, process {holder.get('pid')}"
    return f"{what} is running (started {started} by {who})"


def busy_message(path: Path, exc: BaseException | None = None) -> str:
    """The command line's one line for a warehouse another process holds."""
    advice = "try again when it has finished, or add --wait SECONDS to wait for it"
    held = who_holds(path, exc)
    if held is not None:
        return f"the warehouse is busy: {held}; {advice}"
    pid = _pid_in(str(exc)) if exc is not None else None
    process = f" (process {pid})" if pid is not None else ""
    return (
        f"the warehouse is in use by another ever6 process{process}: an import, a refresh or the web service; {advice}"
    )


def damaged_message(path: Path, exc: BaseException) -> str:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"the warehouse file {path} is damaged ({first}): restore it from a backup with `ever6 restore`"


def open_warehouse(
    path: Path, *, read_only: bool = False, purpose: str = "an ever6 command", wait: float = 0.0
) -> Warehouse:
    """The warehouse, or :class:`WarehouseBusy` / :class:`WarehouseDamaged` saying why not.

    ``wait``: seconds to keep trying while another process holds it.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            return Warehouse(path, read_only=read_only, purpose=purpose)
        except duckdb.Error as exc:
            if is_busy(exc):
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    time.sleep(min(1.0, remaining))
                    continue
                raise WarehouseBusy(busy_message(path, exc)) from exc
            if is_damage(exc):
                raise WarehouseDamaged(damaged_message(path, exc)) from exc
            raise


def _pid_in(text: str) -> int | None:
    match = re.search(r"PID (\d+)", text)
    return int(match.group(1)) if match else None


def _alive(holder: dict[str, object]) -> bool:
    """Whether the recorded writer still runs (on another host, it cannot be told: assume so)."""
    if holder.get("host") != socket.gethostname():
        return True
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clock(started: str) -> str:
    try:
        when = datetime.fromisoformat(started)
    except ValueError:
        return "at an unknown time"
    return f"{when:%H:%M}" if when.date() == datetime.now().date() else f"{when:%Y-%m-%d %H:%M}"
