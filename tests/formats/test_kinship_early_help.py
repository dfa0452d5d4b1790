"""Kinship register and early-help extract readers: columns found by alias or mapping, typed
rows, and every error named by file, line and field (a file with one is refused whole)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ever6.formats.early_help import ColumnMapping as EarlyHelpMapping
from ever6.formats.early_help import read_early_help
from ever6.formats.kinship_register import load_mapping, read_kinship_register
from ever6.formats.problems import Severity
from ever6.model import EARLY_HELP_EPISODE, KINSHIP_REGISTER

TODAY = date(2026, 3, 31)


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_register_rows_are_typed_and_arrangements_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Child ID,UPN,First Name,Last Name,DOB,Order Type,Order Date,End\n"
        "K1,a801200001001,Amy, Lee ,2014-02-03,Special Guardianship Order,2021-05-01,\n"
        "K2,,Ben,Ray,,child arrangements order,,2027-01-01\n"
        "K3,,,,,Kinship foster care,2025-01-01,\n",
    )
    result = read_kinship_register(path, today=TODAY)
    assert result.tables["kinship_register"].schema.equals(KINSHIP_REGISTER.schema)
    rows = result.tables["kinship_register"].to_pylist()
    assert [(r["la_child_id"], r["arrangement"]) for r in rows] == [
        ("K1", "sgo"),
        ("K2", "cao"),
        ("K3", "kinship_foster"),
    ]
    assert rows[0]["upn"] == "A801200001001"
    assert rows[0]["surname"] == "Lee"
    assert rows[0]["birth_date"] == date(2014, 2, 3)
    assert rows[0]["start_date"] == date(2021, 5, 1)
    assert rows[1]["end_date"] == date(2027, 1, 1)  # a planned end may be in the future
    assert not [p for p in result.problems if p.severity is Severity.ERROR]


def test_register_errors_name_file_line_and_field_and_refuse_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "la_child_id,arrangement,start_date,end_date,birth_date\n"
        "K1,sgo,2021-05-01,,2014-01-01\n"  # fine
        ",sgo,,,\n"  # line 3: no id
        "K2,adoption,,,\n"  # line 4: not a kinship arrangement
        "K3,cao,2024-05-01,2023-01-01,\n"  # line 5: ends before it starts
        "K4,cao,,,2027-01-01\n"  # line 6: born in the future
        "K1,cao,,,\n",  # line 7: listed twice
    )
    result = read_kinship_register(path, today=TODAY)
    errors = {(p.line, p.field) for p in result.problems if p.severity is Severity.ERROR}
    assert errors == {(3, "la_child_id"), (4, "arrangement"), (5, "end_date"), (6, "birth_date"), (7, "la_child_id")}
    assert all(p.file == str(path) for p in result.problems)
    assert result.tables["kinship_register"].num_rows == 0  # refused whole


def test_register_missing_arrangement_column_is_refused(tmp_path: Path) -> None:
    result = read_kinship_register(write(tmp_path, "la_child_id,upn\nK1,\n"), today=TODAY)
    assert any(p.severity is Severity.ERROR and "arrangement" in p.message for p in result.problems)
    assert result.tables["kinship_register"].num_rows == 0


def test_register_mapping_names_other_columns(tmp_path: Path) -> None:
    mapping = write(
        tmp_path,
        '[columns]\nla_child_id = "Ref"\narrangement = "Kind"\nstart_date = "From"\n\n'
        '[options]\ndate_format = "%d/%m/%Y"\n',
        "map.toml",
    )
    path = write(tmp_path, "Ref,Kind,From\nK9,SGO,01/02/2022\n")
    (row,) = (
        read_kinship_register(path, mapping=load_mapping(mapping), today=TODAY).tables["kinship_register"].to_pylist()
    )
    assert (row["la_child_id"], row["arrangement"], row["start_date"]) == ("K9", "sgo", date(2022, 2, 1))


def test_early_help_episodes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "person_id,dob,episode_start,episode_end\n"
        "E1,2015-01-01,2022-01-10,2022-06-30\n"
        "E1,2015-01-01,2024-02-01,\n"  # a second episode of one child
        "E1,2015-01-01,2024-02-01,\n",  # an exact repeat: a warning, dropped
    )
    result = read_early_help(path, today=TODAY)
    table = result.tables["early_help_episode"]
    assert table.schema.equals(EARLY_HELP_EPISODE.schema)
    assert [(r["la_child_id"], r["start_date"], r["end_date"]) for r in table.to_pylist()] == [
        ("E1", date(2022, 1, 10), date(2022, 6, 30)),
        ("E1", date(2024, 2, 1), None),
    ]
    assert [(p.line, p.severity) for p in result.problems] == [(4, Severity.WARNING)]


def test_early_help_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "la_child_id,start_date,end_date\n"
        "E1,,\n"  # line 2: no start
        "E2,2024-13-01,\n"  # line 3: not a date
        "E3,2024-01-01,2023-01-01\n"  # line 4: ends before it starts
        "E4,2024-01-01,\n"
        "E4,2024-01-01,2024-05-01\n",  # line 6: the same episode, other values
    )
    result = read_early_help(path, mapping=EarlyHelpMapping(), today=TODAY)
    errors = {(p.line, p.field) for p in result.problems if p.severity is Severity.ERROR}
    assert errors == {(2, "start_date"), (3, "start_date"), (4, "end_date"), (6, "start_date")}
    assert result.tables["early_help_episode"].num_rows == 0
