"""Tables as people download them: the same rows as the page, as CSV or Excel, formula-safe.

Every table on a page can be downloaded; the view builds one :class:`Table` and hands it to the
template and, with ``?format=csv`` or ``?format=xlsx``, to :func:`download`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from markupsafe import Markup

from ever6.exports import safe_cell

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Figure:
    """A published figure: the text the DfE shows (``"12.3"``, or a symbol: ``c``, ``z``, ``x``,
    ``low``) and the number it shows, ``None`` for a symbol. Charts, gaps and sorting use the
    number; pages and downloads show it through :func:`shown`, the one place figures are formatted.
    ``count``: shown as a whole number with thousands separators."""

    text: str
    number: float | None = None
    count: bool = False

    @classmethod
    def of(cls, row: Mapping[str, Any] | None, *, count: bool = False, missing: str = "x") -> Figure:
        """The figure of a row from :meth:`ever6.access.Snapshot.metrics` (``missing`` when there is none)."""
        if row is None:
            return cls(missing)
        return cls("" if row["value"] is None else str(row["value"]), row["figure"], count)

    def __str__(self) -> str:
        return shown(self)


def shown(value: Any) -> str:
    """How a cell is shown: counts with thousands separators, other figures as published."""
    if isinstance(value, Figure):
        if value.count and value.number is not None:
            return f"{int(value.number):,}"
        return value.text
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@dataclass
class Table:
    caption: str
    columns: Sequence[tuple[str, str]]  # (key, heading)
    rows: list[dict[str, Any]]
    numeric: frozenset[str] = field(default_factory=frozenset)  # right-aligned columns
    note: str = ""  # e.g. "Suppressed: c means 1 to 5 pupils"
    # A column whose cells link somewhere: (column key, key of the row's href). Pages only:
    # downloads have the text.
    link: tuple[str, str] | None = None

    def only(self, keys: Sequence[str]) -> Table:
        """The same rows with only the columns named (in the table's order): what a page shows by
        default when the whole table would not fit; downloads keep every column."""
        wanted = set(keys)
        columns = [(k, h) for k, h in self.columns if k in wanted]
        return Table(self.caption, columns, self.rows, self.numeric & wanted, self.note, self.link)

    def _cell(self, row: Mapping[str, Any], key: str) -> dict[str, Any]:
        numeric = {"format": "numeric"} if key in self.numeric else {}
        if self.link and key == self.link[0] and row.get(self.link[1]):
            html = Markup('<a class="govuk-link" href="{}">{}</a>').format(row[self.link[1]], shown(row.get(key)))
            return {"html": html, **numeric}
        return {"text": shown(row.get(key)), **numeric}

    def head(self) -> list[dict[str, Any]]:
        """The GOV.UK table macro's ``head`` argument."""
        return [{"text": h, **({"format": "numeric"} if k in self.numeric else {})} for k, h in self.columns]

    def body(self) -> list[list[dict[str, Any]]]:
        """The GOV.UK table macro's ``rows`` argument."""
        return [[self._cell(row, k) for k, _ in self.columns] for row in self.rows]


def requested_format(request: HttpRequest) -> str | None:
    fmt = request.GET.get("format")
    return fmt if fmt in FORMATS else None


def requested_download(
    request: HttpRequest, tables: Mapping[str, Table], name: str, *, suffix: str = "", default: str | None = None
) -> HttpResponse | None:
    """The ``?format=csv|xlsx&table=key`` download of one of a page's tables, as the file
    ``<name>-<key><suffix>``; ``None`` when the page itself was asked for. An unknown key is the
    ``default`` table, or, with no default, not found (404)."""
    fmt = requested_format(request)
    if fmt is None:
        return None
    key = request.GET.get("table", "")
    if key not in tables:
        if default is None:
            raise Http404("no such table on this page")
        key = default
    return download(tables[key], fmt, f"{name}-{key}{suffix}")


def _filename(name: str, fmt: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") + f".{fmt}"


def download(table: Table, fmt: str, name: str) -> HttpResponse:
    """The table as a CSV or Excel attachment (never cached by the browser)."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([h for _, h in table.columns])
        for row in table.rows:
            writer.writerow([safe_cell(_plain(row.get(k))) for k, _ in table.columns])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            _xlsx(table), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        raise ValueError(f"unknown format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{_filename(name, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


def _xlsx(table: Table) -> bytes:
    return workbook([("Table", table)])


def workbook(sheets: Sequence[tuple[str, Table]]) -> bytes:
    """Tables as an Excel workbook, one sheet each (named by the first item, at most 31
    characters), with the same formula-safe cells as a single table's download."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for title, table in sheets:
        ws = wb.create_sheet(re.sub(r"[\\/*?:\[\]]", " ", title)[:31])
        ws.append([table.caption])
        ws["A1"].font = Font(bold=True)
        if table.note:
            ws.append([table.note])
        ws.append([h for _, h in table.columns])
        for row in table.rows:
            ws.append([_excel(row.get(k), numeric=k in table.numeric) for k, _ in table.columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    """A cell as a download holds it: a count as a whole number (no separators), a figure as published."""
    if isinstance(value, Figure):
        return int(value.number) if value.count and value.number is not None else value.text
    return value


def _excel(value: Any, *, numeric: bool) -> Any:
    """Numbers stay numbers; everything else is formula-safe text."""
    if isinstance(value, Figure):
        if value.number is None:
            return safe_cell(value.text)
        # Whole when published without decimals (a count), as the text reads.
        return int(value.number) if value.count or "." not in value.text else value.number
    if numeric and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if numeric and isinstance(value, str):
        try:
            return float(value.replace(",", "")) if "." in value else int(value.replace(",", ""))
        except ValueError:
            pass
    return safe_cell(value) if value is not None else None
