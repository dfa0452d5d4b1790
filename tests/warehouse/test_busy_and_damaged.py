"""A busy or damaged warehouse is one clear line, not a traceback (issue: "Could not set lock")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ever6.cli import app
from ever6.warehouse import Warehouse
from tests.test_cli import ever6

# A second process holds the warehouse for writing, as a refresh does, until told to stop.
_HOLDER = """
import sys, time
from ever6.warehouse import Warehouse
from tests.test_cli import ever6
wh = Warehouse(sys.argv[1], purpose="a refresh")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
wh.close()
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    env = {**os.environ, "EVER6_USER": "alice"}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    return holder


def _cli(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--home", str(home), *args])
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    Warehouse(tmp_path / "warehouse.duckdb").close()
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("imports", "list"),
        ("imports", "rollback", "1"),
        ("refresh", "--as-at", "2025-03-31"),
        ("imports", "problems", "1"),
    ],
)
def test_a_busy_warehouse_says_who_holds_it_and_since_when(home: Path, args: tuple[str, ...]) -> None:
    holder = _hold(home / "warehouse.duckdb", 30)
    try:
        started = datetime.now()
        code, output = _cli(home, *args)
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    assert "Traceback" not in output
    assert "Could not set lock" not in output
    assert output.startswith("the warehouse is busy: a refresh is running (started ")
    assert f"by alice, process {holder.pid}); try again" in output
    assert f"{started:%H:%M}" in output or f"{datetime.now():%H:%M}" in output
    assert "--wait SECONDS" in output


def test_wait_waits_for_the_holder_to_finish(home: Path) -> None:
    holder = _hold(home / "warehouse.duckdb", 2)
    try:
        code, output = _cli(home, "--wait", "60", "imports", "list")
    finally:
        holder.wait()
    assert code == 0, output


def test_wait_gives_up_after_its_seconds(home: Path) -> None:
    holder = _hold(home / "warehouse.duckdb", 30)
    try:
        begun = time.monotonic()
        code, output = _cli(home, "--wait", "2", "imports", "list")
        waited = time.monotonic() - begun
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    assert output.startswith("the warehouse is busy")
    assert 2 <= waited < 10


def test_a_dead_holder_is_not_named(home: Path) -> None:
    """A writer killed without closing leaves its holder file; it must not be blamed later."""
    holder = _hold(home / "warehouse.duckdb", 30)
    holder.kill()
    holder.wait()
    assert (home / "warehouse.duckdb.holder").exists()
    code, output = _cli(home, "imports", "list")
    assert code == 0, output


def _truncate(path: Path) -> None:
    os.truncate(path, 100_000)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"not a database" * 100), id="not-duckdb"),
        pytest.param(_truncate, id="truncated"),
        pytest.param(lambda p: _zero(p, 0, 4096), id="header-zeroed"),
    ],
)
def test_a_damaged_warehouse_says_restore_from_backup(home: Path, damage: object) -> None:
    path = home / "warehouse.duckdb"
    with Warehouse(path) as wh:  # some content, so that truncation cuts into it
        wh.con.execute("CREATE TABLE filler AS SELECT range AS n, md5(range::VARCHAR) AS s FROM range(200000)")
        wh.con.execute("CHECKPOINT")
    damage(path)  # type: ignore[operator]
    # In a new process, as a user meets it (this one may still have the file's pages cached).
    commands = [("imports", "list")] + ([("refresh", "--as-at", "2025-03-31")] if damage is _truncate else [])
    for args in commands:
        result = ever6(home, *args)
        code, output = result.returncode, " ".join(result.stderr.split())
        assert code == 1
        assert "Traceback" not in output
        assert output.startswith(f"the warehouse file {path} is damaged (")
        assert output.endswith("restore it from a backup with `ever6 restore`")


def _zero(path: Path, offset: int, length: int) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(b"\0" * length)


def test_the_web_service_says_who_holds_the_warehouse(home: Path) -> None:
    from ever6.access import Role, Viewer
    from ever6.access.operations import Operations, WarehouseBusy

    holder = _hold(home / "warehouse.duckdb", 30)
    try:
        with pytest.raises(WarehouseBusy) as refused:
            Operations(home / "warehouse.duckdb").imports(Viewer("dm", Role.DATA_MANAGER))
    finally:
        holder.kill()
        holder.wait()
    message = str(refused.value)
    assert message.startswith("The warehouse is busy: a refresh is running (started ")
    assert message.endswith(f"by alice, process {holder.pid}); try again in a few minutes.")
