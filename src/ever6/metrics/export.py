"""Measures for people: the long CSV other tools read, and a formatted Excel workbook.

Both take the published metrics table (already suppressed when it leaves the Virtual School, see
:mod:`ever6.disclosure`), so that what is written is exactly what was published.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ever6.exports import safe_cell, write_csv
from ever6.metrics.measures import BY_NAME, MEASURES
from ever6.private import private_dir, private_file, private_files

EXPORT_COLUMNS = ("measure", "group", "breakdown", "breakdown_value", "numerator", "denominator", "value")
THEMES = {
    "attendance": "Attendance",
    "exclusions": "Suspensions and exclusions",
    "provision": "Alternative provision",
    "attainment": "Attainment",
}


def select(table: pa.Table, academic_year: str, period: str = "year") -> pa.Table:
    mask = pc.and_(pc.equal(table["academic_year"], academic_year), pc.equal(table["period"], period))
    return table.filter(mask)


def _number(value: Any) -> str:
    """Counts and session sums print as integers; figures keep their one decimal place."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = round(value, 6)  # sums of one-decimal points carry float noise
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def display_row(row: dict[str, Any]) -> dict[str, Any]:
    measure = BY_NAME[row["measure"]]
    value = row["value"]
    if isinstance(value, float):
        value = str(int(value)) if measure.kind == "count" else f"{value:.1f}"
    return {
        **row,
        "numerator": _number(row["numerator"]),
        "denominator": _number(row["denominator"]),
        "value": "z" if value is None else value,  # z: not applicable (nothing to divide by)
    }


def published_figure(row: dict[str, Any]) -> float | None:
    """The number an unsuppressed figure is shown as (by :func:`display_row`): counts whole, rates
    to one decimal place; ``None`` where it shows a symbol. Gaps and charts use this number."""
    value = row["value"]
    if value is None:
        return None
    if BY_NAME[row["measure"]].kind == "count":
        return float(int(value))
    return round(float(value), 1)


def write_metrics_csv(table: pa.Table, out: Path, columns: Sequence[str] = EXPORT_COLUMNS) -> int:
    """The long format: ``measure,group,breakdown,breakdown_value,numerator,denominator,value``."""
    return write_csv(out, columns, (display_row(r) for r in table.to_pylist()))


def write_metrics_xlsx(table: pa.Table, out: Path, *, title: str, suppressed: bool) -> None:
    """A workbook with an "About" sheet and one formatted sheet per theme."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    about = wb.active
    about.title = "About"
    about["A1"] = title
    about["A1"].font = Font(bold=True, size=14)
    notes = [
        "Figures follow DfE methodology; rates are percentages to one decimal place.",
        "Suppressed: counts of 1 to 5 and figures that would reveal them are shown as c."
        if suppressed
        else "NOT SUPPRESSED: for use inside the Virtual School only.",
        "Symbols: c confidential, z not applicable, x not available, low rounds to zero but is not zero.",
    ]
    for i, note in enumerate(notes, start=3):
        about.cell(row=i, column=1, value=note)
    about.column_dimensions["A"].width = 100

    rows = [display_row(r) for r in table.to_pylist()]
    extra = [c for c in ("suppression_reason",) if c in table.column_names]
    headers = [*EXPORT_COLUMNS, *extra, "description"]
    header_fill = PatternFill("solid", fgColor="1D70B8")  # GOV.UK blue
    for theme, sheet_title in THEMES.items():
        names = {m.name for m in MEASURES if m.theme == theme}
        ws = wb.create_sheet(sheet_title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            if row["measure"] not in names:
                continue
            values = [_excel_value(row.get(c), numeric=c in _NUMERIC) for c in (*EXPORT_COLUMNS, *extra)]
            ws.append([*values, BY_NAME[row["measure"]].description])
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        for i, header in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(i)].width = 60 if header == "description" else 22
    private_dir(out.parent)
    with private_files():
        wb.save(out)
    private_file(out)


_NUMERIC = frozenset({"numerator", "denominator", "value"})


def _excel_value(value: Any, *, numeric: bool) -> Any:
    """Figures stay numbers (so a spreadsheet can sum them); symbols and labels are formula-safe text."""
    if numeric and isinstance(value, str) and value:
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            pass
    return safe_cell(value) if value is not None else None
