"""The annual report: the PDF's trend table holds exactly the published suppressed figures of the
authority (read from the snapshot file with DuckDB), and its workbook holds the same tables."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from django.test import Client

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


def _figures_by_year(body: bytes) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    values = list(load_workbook(io.BytesIO(body))["Figures by year"].iter_rows(values_only=True))
    header = values.index(("Measure", "Year", "Ever6 CWSW", "Never CWSW (peers)", "All pupils"))
    return values[header + 1 :]


def test_the_head_downloads_the_report_from_the_web_shared_or_internal_and_each_is_audited(
    client_for: Callable[[str], Client], published: Published, tmp_path: Path
) -> None:
    from ever6.web.audit.models import AuditEvent

    years, cells = _published(published.snapshot)
    year = years[-1]
    head = client_for("vs_head")
    page = head.get("/reports/annual/")
    assert page.status_code == 200
    assert 'value="internal"' in page.content.decode()
    before = AuditEvent.objects.filter(what="annual_report").count()

    shared = head.get("/reports/annual/", {"year": year, "format": "xlsx"})
    assert shared.status_code == 200
    assert shared["Content-Disposition"] == f'attachment; filename="annual-report-{year.replace("/", "-")}.xlsx"'
    order = [(m, y) for m in MEASURES for y in years]
    for row, (measure, y) in zip(_figures_by_year(shared.content), order, strict=True):
        want, got = cells.get((y, measure, "cwsw")) or "x", row[2]
        if isinstance(got, (int, float)):
            assert got == pytest.approx(float(want.replace(",", ""))), (measure, y, got, want)
        else:
            assert got == want, (measure, y, got, want)

    # Internal: the figures before disclosure control, as the snapshot's unsuppressed table holds them.
    internal = head.get("/reports/annual/", {"year": year, "format": "xlsx", "figures": "internal"})
    assert internal.status_code == 200
    con = duckdb.connect(str(published.snapshot), read_only=True)
    try:
        raw = {
            (y, m): v
            for y, m, v in con.execute(
                """SELECT academic_year, measure, value FROM metric
                   WHERE period = 'year' AND breakdown = 'all' AND "group" = 'cwsw'"""
            ).fetchall()
        }
    finally:
        con.close()
    internal_rows = _figures_by_year(internal.content)
    compared = 0
    for row, (measure, y) in zip(internal_rows, order, strict=True):
        if (value := raw.get((y, measure))) is not None:
            assert isinstance(row[2], (int, float)), (measure, y, row[2])
            assert row[2] == pytest.approx(value, abs=0.05), (measure, y, row[2], value)
            compared += 1
    assert compared
    assert internal_rows != _figures_by_year(shared.content), "the demo has figures that disclosure control withholds"

    pdf = head.get("/reports/annual/", {"year": year, "format": "pdf", "figures": "internal"})
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    path = tmp_path / "internal.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert "Internal: for the Virtual School only" in text

    entries = list(AuditEvent.objects.filter(what="annual_report").order_by("id"))[before:]
    assert [(e.username, e.object_id, e.detail["internal"], e.detail["format"]) for e in entries] == [
        ("vs_head", year, False, "xlsx"),
        ("vs_head", year, True, "xlsx"),
        ("vs_head", year, True, "pdf"),
    ]
    # Others have no annual report, whatever they ask (the matrix checks the page itself).
    for role in ("vs_officer", "school_dsl", "finance"):
        assert client_for(role).get("/reports/annual/", {"format": "xlsx"}).status_code == 403
