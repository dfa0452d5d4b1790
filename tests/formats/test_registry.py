"""The format registry is the one description of each format: every reader, table and import
command agrees with its entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command

from ever6.cli import app
from ever6.formats import FORMATS, Format, ReadOptions
from ever6.model import TABLES


def test_every_canonical_table_is_filled_by_a_format() -> None:
    filled = {name for f in FORMATS.values() for name in f.tables}
    assert filled == set(TABLES)


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=list(FORMATS))
def test_a_reader_names_its_format_and_fills_its_tables(tmp_path: Path, fmt: Format) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = fmt.read([empty], ReadOptions())
    if fmt.streamed:
        result.drain()  # type: ignore[attr-defined]
    assert result.format == fmt.name
    assert tuple(result.tables) == fmt.tables
    assert not result.ok  # an empty file is refused, and nothing is read
    assert all(table.num_rows == 0 for table in result.tables.values())


# The options each import command has always taken (docs/importing.md); every other takes files only.
OPTIONS = {
    "cin-census": {"--dfe-rules"},
    "ssda903": {"--year", "--dfe-rules"},
    "case-management": {"--mapping"},
    "kinship-register": {"--mapping"},
    "early-help": {"--mapping"},
    "pupils": {"--mapping"},
}


def test_each_format_has_its_import_command_with_its_options() -> None:
    group = get_command(app).commands["import"]  # type: ignore[attr-defined]
    assert list(group.commands) == list(FORMATS)
    for name, fmt in FORMATS.items():
        options = {opt for param in group.commands[name].params for opt in param.opts if opt.startswith("--")}
        assert options - {"--help"} == OPTIONS.get(name, set()), name
        assert group.commands[name].help == fmt.help
