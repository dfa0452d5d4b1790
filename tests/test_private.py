"""Making a workspace private changes the workspace only: never a shared folder, never what a
symbolic link points to."""

from __future__ import annotations

import stat
from pathlib import Path

from ever6.private import secure_workspace, too_open


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_files_and_folders_lose_group_and_other_permissions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "published").mkdir(parents=True)
    (home / "published" / "web.duckdb").write_bytes(b"x")
    (home / "run.sh").write_bytes(b"#!/bin/sh\n")
    home.chmod(0o755)
    (home / "published").chmod(0o775)
    (home / "published" / "web.duckdb").chmod(0o644)
    (home / "run.sh").chmod(0o755)
    assert len(too_open(home)) == 4
    assert {p.name for p in secure_workspace(home)} == {"home", "published", "web.duckdb", "run.sh"}
    assert (_mode(home), _mode(home / "published")) == (0o700, 0o700)
    assert _mode(home / "published" / "web.duckdb") == 0o600
    assert _mode(home / "run.sh") == 0o700  # the owner keeps what they had
    assert too_open(home) == []
    assert secure_workspace(home) == []


def test_what_a_link_points_to_is_left_alone(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.csv").write_bytes(b"x")
    (outside / "shared.csv").chmod(0o644)
    outside.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "data").symlink_to(outside)
    (home / "file.csv").symlink_to(outside / "shared.csv")
    assert secure_workspace(home) == []
    assert _mode(outside) == 0o755
    assert _mode(outside / "shared.csv") == 0o644


def test_a_shared_folder_is_not_changed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "someone.txt").write_bytes(b"x")
    (shared / "someone.txt").chmod(0o644)
    shared.chmod(0o1777)  # as /tmp is
    assert secure_workspace(shared) == []
    assert _mode(shared) == 0o1777
    assert _mode(shared / "someone.txt") == 0o644


def test_an_export_is_its_owners_only_even_over_an_open_file(tmp_path: Path) -> None:
    import os

    from ever6.exports import write_csv

    old = os.umask(0o022)
    try:
        existing = tmp_path / "cohort.csv"
        existing.write_text("old")
        existing.chmod(0o644)
        write_csv(existing, ["a"], [{"a": 1}])
        write_csv(tmp_path / "new" / "cohort.csv", ["a"], [{"a": 1}])
    finally:
        os.umask(old)
    assert _mode(existing) == 0o600
    assert _mode(tmp_path / "new" / "cohort.csv") == 0o600
    assert _mode(tmp_path / "new") == 0o700
