"""A source file over its format's size limit is refused before it is read, in one line, and
nothing changes (a 2 GB CIN census once took 2.3 GB of memory before it was refused)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ever6.cli import app
from ever6.config import DEFAULT_MAX_BYTES, ConfigError, load_settings
from ever6.warehouse import Warehouse

# Each reader the CLI can call, by its module (the format registry calls it there when it reads).
READERS = {
    "cin-census": ("ever6.formats.cin_census", "read_cin_census"),
    "pupils": ("ever6.formats.pupils", "read_pupils"),
    "case-management": ("ever6.formats.case_management", "read_case_management"),
    "ssda903": ("ever6.formats.ssda903", "read_ssda903"),
    "attendance": ("ever6.formats.attendance_marks", "stream_attendance_marks"),
    "schools": ("ever6.formats.gias", "read_gias"),
}


def _cli(home: Path, *args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--home", str(home), *map(str, args)])
    return result.exit_code, " ".join(result.output.split())


def _limit(home: Path, fmt: str, size: int) -> None:
    (home / "ever6.toml").write_text(f'[imports]\nmax_bytes = {{ "{fmt}" = {size} }}\n')
    (home / "ever6.toml").chmod(0o600)  # as the workspace keeps it: no warning in the output


@pytest.mark.parametrize("fmt", list(READERS))
def test_a_file_just_over_the_limit_is_refused_unread(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    Warehouse(home / "warehouse.duckdb").close()
    with Warehouse(home / "warehouse.duckdb", read_only=True) as wh:
        before = wh.fingerprint()
    source = tmp_path / "big.csv"
    source.write_bytes(b"x" * 1001)
    _limit(home, fmt, 1000)

    def must_not_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reader was called")

    module, reader = READERS[fmt]
    monkeypatch.setattr(importlib.import_module(module), reader, must_not_read)
    code, output = _cli(
        home, "import", fmt, source, *(["--dfe-rules", "off"] if fmt in ("cin-census", "ssda903") else [])
    )
    assert code == 1
    assert output == (
        f"{source} is 1.0 KB (1,001 bytes), over the limit of 1.0 KB (1,000 bytes) for {fmt} files "
        "([imports] max_bytes in ever6.toml); it was not read and nothing changed"
    )
    with Warehouse(home / "warehouse.duckdb", read_only=True) as wh:
        assert wh.fingerprint() == before
        assert wh.batches() == []


def test_a_file_at_the_limit_is_read(tmp_path: Path, reference_dir: Path) -> None:
    sample = reference_dir / "cin_census" / "samples" / "csc-validator-be-cin_CIN_Census_2021.xml"
    size = sample.stat().st_size
    _limit(tmp_path, "cin-census", size - 1)
    code, output = _cli(tmp_path, "import", "cin-census", sample, "--dfe-rules", "off")
    assert code == 1
    assert "over the limit" in output
    _limit(tmp_path, "cin-census", size)
    code, output = _cli(tmp_path, "import", "cin-census", sample, "--dfe-rules", "off")
    assert code == 0, output
    assert "as batch 1" in output


def test_sizes_may_be_written_with_units(tmp_path: Path) -> None:
    (tmp_path / "ever6.toml").write_text('[imports]\nmax_bytes = { pupils = "2.5 GB", attendance = "1 TiB" }\n')
    settings = load_settings(tmp_path)
    assert settings.imports.limit("pupils") == 2_500_000_000
    assert settings.imports.limit("attendance") == 1024**4
    assert settings.imports.limit("exclusions") == DEFAULT_MAX_BYTES["exclusions"]
    assert DEFAULT_MAX_BYTES["attendance"] > 100 * DEFAULT_MAX_BYTES["pupils"]


@pytest.mark.parametrize(
    "toml",
    [
        "[imports]\nmax_bytes = { pupil = 10 }\n",
        '[imports]\nmax_bytes = { pupils = "lots" }\n',
        "[imports]\nmax_bytes = { pupils = 0 }\n",
        "[imports]\nlimit = 10\n",
    ],
)
def test_wrong_limits_are_configuration_errors(tmp_path: Path, toml: str) -> None:
    (tmp_path / "ever6.toml").write_text(toml)
    with pytest.raises(ConfigError):
        load_settings(tmp_path)
