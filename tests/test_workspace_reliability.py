"""A demo workspace built under umask 022, then: every file private; a refresh killed at each step
leaves the exports and the web serving one run; backup, damage, restore, check.

One demo build (tests/conftest.py's ``cli_demo``, the session's tiny demo, shared with tests/test_refresh_cli.py)
serves the module; each test but the first works on a copy.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ever6.access import MetricQuery, Role, Snapshot, Viewer
from ever6.faults import EXIT_STATUS, REFRESH_STEPS
from ever6.warehouse import Warehouse
from ever6.warehouse.published import Published
from tests.conftest import CliDemo

pytestmark = pytest.mark.slow  # a demo build (a minute) and seven refreshes

AS_AT = "2026-01-15"


def ever6(home: Path, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a new process started with the common umask 022 (files 0644 unless ever6 acts)."""
    environment = {**os.environ, "EVER6_HOME": str(home), "EVER6_USER": "test-manager", "COLUMNS": "200", **env}
    environment.pop("EVER6_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "ever6", *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        preexec_fn=lambda: os.umask(0o022),
    )


@pytest.fixture(scope="module")
def built(cli_demo: CliDemo) -> Path:
    """The workspace `ever6 demo` built in a process under umask 022."""
    return cli_demo.home


@pytest.fixture
def home(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(built, copy, symlinks=True)
    return copy


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _open_ones(root: Path) -> dict[str, str]:
    return {
        name: oct(mode) for name, mode in _modes(root).items() if mode != (0o700 if (root / name).is_dir() else 0o600)
    }


# --- 0600 / 0700 -------------------------------------------------------------------------------

_DJANGO = """
import django
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
django.setup()
call_command("migrate", verbosity=0)
print(default_storage.save("agreements/signed.pdf", ContentFile(b"%PDF-1.4 signed")))
"""


def test_every_file_the_service_creates_is_private(built: Path, tmp_path: Path) -> None:
    home = built
    names = _modes(home)
    for expected in ("warehouse.duckdb", "published/web.duckdb", "web.sqlite3", "synthetic", "ever6.toml"):
        assert expected in names
    export = ever6(home, "metrics", "export", "--year", "2025/26", "--out", tmp_path / "figures.csv")
    assert export.returncode == 0, export.stderr
    assert stat.S_IMODE((tmp_path / "figures.csv").stat().st_mode) == 0o600
    # The web service on a new workspace: its database and an uploaded agreement.
    web_home = tmp_path / "web-home"
    web_home.mkdir(mode=0o755)  # as an administrator might make it: the service fixes it at start
    web_home.chmod(0o755)
    env = {**os.environ, "EVER6_HOME": str(web_home), "DJANGO_SETTINGS_MODULE": "ever6.web.settings"}
    env.pop("DATABASE_URL", None)
    web = subprocess.run(
        [sys.executable, "-c", _DJANGO],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert web.returncode == 0, web.stderr
    assert (web_home / "uploads" / web.stdout.strip()).exists()
    assert "web.sqlite3" in _modes(web_home)
    assert _open_ones(home) == {}
    assert _open_ones(web_home) == {}


def test_a_workspace_readable_by_others_is_fixed_at_start_with_a_warning(home: Path) -> None:
    (home / "warehouse.duckdb").chmod(0o644)
    (home / "published").chmod(0o755)
    (home / "web.sqlite3").chmod(0o664)
    result = ever6(home, "imports", "list")
    assert result.returncode == 0, result.stderr
    warning = " ".join(result.stderr.split())
    assert "3 file(s) or folder(s)" in warning
    assert "were readable by others; made them readable by their owner only" in warning
    for name in ("warehouse.duckdb", "published", "web.sqlite3"):
        assert name in warning
    assert _open_ones(home) == {}


# --- one publication ---------------------------------------------------------------------------


def _served(home: Path, snapshot: Snapshot) -> tuple[int, list[int]]:
    """The run the web serves, checked equal to the warehouse's latest, figure for figure; and the
    runs left pending."""
    web_run = snapshot.run().run_id
    figures = snapshot.metrics(Viewer("check", Role.VS_HEAD), MetricQuery(period=None, breakdown=None))
    with Warehouse(home / "warehouse.duckdb", read_only=True) as wh:
        published = Published(wh)
        latest = published.latest()
        assert latest is not None
        stored = published.output("metric", latest.run_id)
        pending = published.pending()
    assert web_run == latest.run_id, "the web and the warehouse show different runs"
    assert len(figures) == stored.num_rows
    return web_run, pending


def test_a_refresh_killed_at_each_step_leaves_one_run_visible_and_the_next_repairs(home: Path) -> None:
    # Which run is served is tested here, not which cells are suppressed: interval protection
    # off makes the three snapshots' suppression cheap; the steps, the swap and the marking are
    # the same at any width.
    config = home / "ever6.toml"
    config.write_text(config.read_text() + "\n[disclosure]\nprotection_width = 0\n")
    snapshot = Snapshot(home / "published" / "web.duckdb")  # one reader, as a web process keeps it
    old, pending = _served(home, snapshot)
    assert pending == []
    left: list[int] = []
    for step in REFRESH_STEPS:
        killed = ever6(home, "refresh", "--as-at", AS_AT, EVER6_FAIL_AT=step)
        assert killed.returncode == EXIT_STATUS, (step, killed.stderr)
        served, pending = _served(home, snapshot)
        # What the refresh before this one left was settled by it: none of it is still pending.
        assert not set(left) & set(pending), step
        if step == "before-mark":  # the snapshot is swapped in: this is the moment of publication
            assert served > old
            assert pending == [served]
        else:
            assert served == old, step
            assert len(pending) == (1 if step in ("before-snapshot", "before-swap") else 0), step
        assert (home / "published" / "web.partial").exists() == (step == "before-swap")
        left = pending
    newest = served
    repaired = ever6(home, "refresh", "--as-at", AS_AT)
    assert repaired.returncode == 0, repaired.stderr
    served, pending = _served(home, snapshot)
    assert served > newest
    assert pending == []
    assert not (home / "published" / "web.partial").exists()
    with Warehouse(home / "warehouse.duckdb", read_only=True) as wh:
        runs = [r.run_id for r in Published(wh).runs()]
    assert runs[-2:] == [newest, served]  # the run published by the killed refresh is kept
    check = ever6(home, "check")
    assert check.returncode == 0, check.stdout + check.stderr


# --- backup, damage, restore, check --------------------------------------------------------------


def test_backup_damage_restore_and_check(home: Path, tmp_path: Path) -> None:
    listed = ever6(home, "imports", "list").stdout
    assert ever6(home, "check").returncode == 0
    # A column mapping the data manager's import page offers: kept with the settings.
    (home / "mappings").mkdir(mode=0o700)
    mapping = '[columns]\nla_child_id = "Person ID"\n'
    (home / "mappings" / "mosaic.toml").write_text(mapping)
    dest = tmp_path / "backup"
    made = ever6(home, "backup", dest)
    assert made.returncode == 0, made.stderr
    assert {"warehouse.duckdb", "published", "web.sqlite3", "manifest.json"} <= {p.name for p in dest.iterdir()}
    assert (dest / "mappings" / "mosaic.toml").read_text() == mapping
    assert _open_ones(dest) == {}

    with (home / "warehouse.duckdb").open("r+b") as fh:  # the file's header, zeroed
        fh.write(b"\0" * 4096)
    damaged = ever6(home, "check")
    assert damaged.returncode == 1
    assert "PROBLEM the warehouse file" in damaged.stdout
    assert "is damaged" in " ".join(damaged.stdout.split())
    refused = ever6(home, "imports", "list")
    assert refused.returncode == 1
    assert "restore it from a backup with `ever6 restore`" in " ".join(refused.stderr.split())

    restored = ever6(home, "restore", dest)
    assert restored.returncode == 0, restored.stderr
    assert ever6(home, "check").returncode == 0
    assert ever6(home, "imports", "list").stdout == listed
    assert (home / "mappings" / "mosaic.toml").read_text() == mapping
    aside = [p for p in home.iterdir() if p.name.startswith("before-restore-")]
    assert len(aside) == 1
    assert (aside[0] / "warehouse.duckdb").read_bytes()[:4096] == b"\0" * 4096


def test_a_damaged_backup_is_not_restored(home: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backup"
    assert ever6(home, "backup", dest).returncode == 0
    with (dest / "web.sqlite3").open("r+b") as fh:
        fh.seek(200)
        fh.write(b"X")
    before = (home / "warehouse.duckdb").read_bytes()
    refused = ever6(home, "restore", dest)
    assert refused.returncode == 1
    assert " ".join(refused.stderr.split()) == (
        "the backup is damaged: web.sqlite3 is missing or differs from manifest.json; nothing was restored"
    )
    assert (home / "warehouse.duckdb").read_bytes() == before
    assert ever6(home, "backup", dest).returncode == 1  # never over an earlier backup
