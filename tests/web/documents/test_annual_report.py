"""The annual report: the PDF's trend table holds exactly the published suppressed figures of the
authority (read from the snapshot file with DuckDB), and its workbook holds the same tables."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.web.conftest import Published

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed"),
]

MEASURES = (
    "pupils",
    "overall_absence_rate",
    "persistent_absence_rate",
    "severe_absence_rate",
    "c2_per_1000_sessions",
    "suspension_rate",
    "one_plus_suspension_rate",
    "permanent_exclusion_rate",
)
GROUPS = ("cwsw", "not_cwsw", "all_pupils")
# A trend row as pdftotext reads it: the year, then the three groups' figures, alone at the line's end.
ROW = re.compile(r"^(?:.* )?(\d{4}/\d{2})((?: \S+){3})$", re.MULTILINE)


def _published(snapshot: Path) -> tuple[list[str], dict[tuple[str, str, str], str]]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        years = [r[0] for r in con.execute("SELECT DISTINCT academic_year FROM metric ORDER BY 1").fetchall()]
        rows = con.execute(
            """SELECT academic_year, measure, "group", value, figure FROM metric_suppressed
               WHERE period = 'year' AND breakdown = 'all'"""
        ).fetchall()
    finally:
        con.close()
    cells = {}
    for year, measure, group, value, figure in rows:
        cells[(year, measure, group)] = f"{int(figure):,}" if measure == "pupils" and figure is not None else value
    return years, cells


@pytest.fixture
def report(accounts: dict[str, object], published: Published) -> dict[str, object]:
    from ever6.access import Role, Viewer
    from ever6.web.documents import annual
    from ever6.web.guard import snapshot

    snap = snapshot()
    return annual.build(snap, Viewer("head", Role.VS_HEAD), snap.academic_years()[-1])


def test_the_report_shows_exactly_the_published_suppressed_figures(
    report: dict[str, object], published: Published, tmp_path: Path
) -> None:
    from ever6.web.documents import annual

    years, cells = _published(published.snapshot)
    path = tmp_path / "report.pdf"
    path.write_bytes(annual.render(report))
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True).stdout
    got = [(m.group(1), *m.group(2).split()) for m in ROW.finditer(text)]
    expected = [(y, *(cells.get((y, m, g)) or "x" for g in GROUPS)) for m in MEASURES for y in years]
    assert got == expected
    # No decimal figure anywhere (the phase and in/out tables, notes) that the suppressed publication
    # or the DfE's national figures lack; a line of numbers alone is a chart's axis ticks.
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        shown = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT value FROM metric_suppressed WHERE breakdown IN ('all', 'phase', 'in_la')"
            ).fetchall()
        }
    finally:
        con.close()
    from ever6.metrics.gaps import national_figures

    national = {f"{f.value:g}" for f in national_figures()}
    decimals = {
        d
        for line in text.splitlines()
        if not re.fullmatch(r"[\d.,\s]+", line)
        for d in re.findall(r"(?<![\w/.])\d+\.\d+(?![\w/])", line)
    }
    assert decimals
    assert decimals <= shown | national, decimals - shown - national
    assert "Shared: figures with disclosure control applied" in text
    assert re.search(r"Page 1 of \d+", text)


def test_the_workbook_holds_the_reports_tables(report: dict[str, object], published: Published) -> None:
    from openpyxl import load_workbook

    from ever6.web.documents import annual

    years, cells = _published(published.snapshot)
    book = load_workbook(io.BytesIO(annual.tables_workbook(report)))
    assert book.sheetnames[0] == "Figures by year"
    assert {"By phase", "In or out of LA", "Activity", "Advice line", "Agreements"} <= set(book.sheetnames)
    sheet = book["Figures by year"]
    values = list(sheet.iter_rows(values_only=True))
    header = values.index(("Measure", "Year", "Ever6 CWSW", "Never CWSW (peers)", "All pupils"))
    body = values[header + 1 :]
    assert len(body) == len(MEASURES) * len(years)
    for row, (measure, year) in zip(body, [(m, y) for m in MEASURES for y in years], strict=True):
        assert row[1] == year
        for got, group in zip(row[2:], GROUPS, strict=True):
            want = cells.get((year, measure, group)) or "x"
            # Numbers stay numbers (a count without its separators); symbols stay text.
            if isinstance(got, (int, float)):
                assert got == pytest.approx(float(want.replace(",", ""))), (measure, year, group, got, want)
            else:
                assert got == want, (measure, year, group, got, want)
