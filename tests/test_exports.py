"""CSV written by ever6 opens safely in a spreadsheet."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ever6.exports import safe_cell, write_csv


@pytest.mark.parametrize(
    "text", ["=1+1", "+44 20", "-2+3", "-A1", "@SUM(A1)", "\t=x", "\r=x", '=HYPERLINK("http://x")', "-inf", "+nan"]
)
def test_formula_like_text_is_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (date(2026, 3, 31), "2026-03-31"),
        (["3A", "4B"], "3A;4B"),
        (["=x"], "'=x"),
        (7, "7"),
        ("O'Brien", "O'Brien"),
    ],
)
def test_values_are_written_plainly(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_write_csv_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "x.csv"
    n = write_csv(out, ["a", "b"], [{"a": "=cmd", "b": None}, {"a": "plain, with comma"}])
    assert n == 2
    with out.open(newline="") as fh:
        assert list(csv.reader(fh)) == [["a", "b"], ["'=cmd", ""], ["plain, with comma", ""]]
