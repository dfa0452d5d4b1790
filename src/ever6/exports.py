"""Writing tables for people: CSV that is safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel and LibreOffice; identifiers read from another organisation's file could carry
one, so every text cell passes through :func:`safe_cell` (OWASP's advice: prefix a quote).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ever6.private import private_dir, private_file, private_files

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> str:
    """One value as CSV text: dates ISO, booleans lower-case, lists ``;``-joined, no formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = ";".join(safe_cell(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    """A plain decimal number such as ``-0.8`` is not a formula, and stays a number in a spreadsheet."""
    return _PLAIN_NUMBER.fullmatch(text) is not None


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows to ``path`` (created with its folder, its owner's only), returning how many were written."""
    private_dir(path.parent)
    count = 0
    with private_files(), path.open("w", newline="", encoding="utf-8") as fh:
        private_file(path)  # a file that was already there may have been readable by others
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(row.get(c)) for c in columns])
            count += 1
    return count
