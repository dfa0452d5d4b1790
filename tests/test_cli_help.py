"""The command line's help reads as a person expects: no type beside a flag (it takes no value),
arguments named as in the usage line ("FILES..."), and an empty workspace says how to name
another (the demo's, after ``make demo``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ever6.cli import app
from ever6.formats import FORMATS


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "160", "NO_COLOR": "1"}, color=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "command",
    [
        (),
        ("cohort", "export"),
        ("refresh",),
        ("demo",),
        ("link", "review", "accept"),
        *(("import", f) for f in FORMATS),
    ],
)
def test_help_has_no_bool_and_no_braces(command: tuple[str, ...]) -> None:
    text = _help(*command)
    assert "<bool>" not in text
    assert not re.search(r"\{\w+\}", text), text
    assert "--help" in text


def test_an_import_names_its_files_as_the_usage_line_does() -> None:
    text = _help("import", "cin-census")
    assert re.search(r"Usage: .*import cin-census \[OPTIONS\] FILES\.\.\.", text)
    assert re.search(r"FILES\.\.\.\s+<path>", text)


def test_a_missing_argument_is_named_in_capitals() -> None:
    result = CliRunner().invoke(app, ["import", "cin-census"], env={"COLUMNS": "160"})
    assert result.exit_code == 2
    assert "Missing argument 'FILES" in result.output


def test_an_empty_workspace_says_how_to_name_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var" / "demo").mkdir(parents=True)
    (tmp_path / "var" / "demo" / "warehouse.duckdb").write_bytes(b"")
    result = CliRunner().invoke(app, ["--home", "var", "imports", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "No imports yet in the workspace var." in result.output
    assert "ever6 --home var/demo imports list" in result.output
