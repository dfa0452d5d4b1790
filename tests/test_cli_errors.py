"""The CLI turns a data condition or a user error into one clear line and exit code 1; a fault
says it is one; ``--debug`` shows the traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import ever6.cli
import ever6.publish.pipeline
from ever6.cli import app
from ever6.warehouse import RollbackError


def _run(tmp_path: Path, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, ["--home", str(tmp_path), *args])
    return result.exit_code, result.output, result.exception


def test_refresh_of_an_empty_workspace_refuses_in_one_line(tmp_path: Path) -> None:
    code, output, exception = _run(tmp_path, "refresh", "--as-at", "2025-03-31")
    assert code == 1
    assert isinstance(exception, SystemExit)
    assert "Traceback" not in output
    assert " ".join(output.split()).startswith("nothing to refresh: the warehouse holds no children")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("imports", "rollback", "5"), "there is no import batch 5"),
        (("imports", "problems", "5"), "No warehouse at"),
        (("metrics", "export", "--year", "2024/25", "--out", "x.csv"), "No warehouse at"),
        (("link", "report", "--as-at", "2025-03-31"), "No warehouse at"),
    ],
)
def test_user_errors_are_messages(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, output, _ = _run(tmp_path, *args)
    assert code == 1
    assert message in " ".join(output.split())
    assert "Traceback" not in output


def test_debug_shows_the_error_itself(tmp_path: Path) -> None:
    code, _, exception = _run(tmp_path, "--debug", "imports", "rollback", "5")
    assert code == 1
    assert isinstance(exception, RollbackError)


def test_a_fault_says_it_is_one_and_how_to_see_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("published_metric")

    monkeypatch.setattr(ever6.publish.pipeline, "refresh", broken)  # the command imports it when run
    code, output, _ = _run(tmp_path, "refresh", "--as-at", "2025-03-31")
    flat = " ".join(output.split())
    assert code == 1
    assert "unexpected error: KeyError" in flat
    assert "--debug" in flat
    assert "Traceback" not in output
