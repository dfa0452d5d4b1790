"""The documentation says what the code does: these fail when one changes without the other."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
from typer.main import get_command

from ever6.cli import app
from ever6.cohort import COHORT_COLUMNS, Status
from ever6.config import CinCensusSettings, CohortSettings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
COHORT_DOC = (ROOT / "docs" / "cohort.md").read_text()
IMPORTING_DOC = (ROOT / "docs" / "importing.md").read_text()


def test_cohort_doc_lists_exactly_the_output_columns() -> None:
    section = COHORT_DOC.split("## Output columns", 1)[1]
    listed = re.search(r"`(la_child_id,[^`]+)`", section, re.S)
    assert listed is not None
    assert [c.strip() for c in listed.group(1).split(",")] == list(COHORT_COLUMNS)


def test_cohort_doc_describes_every_status() -> None:
    rows = re.findall(r"^\| `([A-Z_0-9]+)` \|", COHORT_DOC, re.M)
    assert rows == [s.value for s in Status]


def test_documented_settings_exist_and_every_setting_is_documented() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", IMPORTING_DOC, re.S)
    settings_block = next(b for b in blocks if "[cohort]" in b)
    documented = tomllib.loads(settings_block)
    assert set(documented["cohort"]) == {f.name for f in fields(CohortSettings)}
    assert set(documented["cin_census"]) == {f.name for f in fields(CinCensusSettings)}
    assert documented["cohort"] == {f.name: f.default for f in fields(CohortSettings)}
    for f in fields(CohortSettings):
        assert f"`[cohort] {f.name}`" in README


def _commands() -> set[tuple[str, ...]]:
    root = get_command(app)
    found: set[tuple[str, ...]] = set()

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        sub = getattr(cmd, "commands", None)
        if not sub:
            found.add(path)
            return
        for name, child in sub.items():
            walk(child, (*path, name))

    walk(root, ())
    return found


@pytest.mark.parametrize("doc", ["README.md", "docs/importing.md"])
def test_every_documented_command_exists(doc: str) -> None:
    text = (ROOT / doc).read_text()
    commands = _commands()
    lines = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()]
    used = 0
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line.startswith("ever6 "):
            continue
        words = [w for w in shlex.split(line)[1:] if not w.startswith("-")]
        assert any(tuple(words[: len(c)]) == c for c in commands), f"{doc}: no such command: {line}"
        used += 1
    assert used > 0
