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
# A grant row: two amounts in pounds alone at the line's end.
MONEY_ROW = re.compile(r"^(.*?) ?(−?£[\d,]+\.\d\d) (−?£[\d,]+\.\d\d)$", re.MULTILINE)


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
    # No ledger: no grant section, and the notes say so.
    assert "Virtual School Head grant" not in text
    assert "There is no grant summary" in " ".join(text.split())


def test_the_workbook_holds_the_reports_tables(report: dict[str, object], published: Published) -> None:
    from openpyxl import load_workbook

    from ever6.web.documents import annual

    years, cells = _published(published.snapshot)
    book = load_workbook(io.BytesIO(annual.tables_workbook(report)))
    assert book.sheetnames[0] == "Figures by year"
    assert {"By phase", "In or out of LA", "Activity", "Advice line", "Agreements"} <= set(book.sheetnames)
    assert "Grant" not in book.sheetnames  # no ledger
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


def test_with_a_ledger_the_report_and_workbook_show_exactly_the_ledgers_figures(
    accounts: dict[str, object], published: Published, tmp_path: Path
) -> None:
    """The ledger is made through the ORM with amounts summed here by hand, as at a date within the
    first financial year: a month begun counts its actual (a forecast there is ignored), a month to
    come its forecast; the second year holds an allocation and nothing else."""
    from datetime import date
    from decimal import Decimal

    from openpyxl import load_workbook

    from ever6.access import Role, Viewer
    from ever6.web.documents import annual
    from ever6.web.guard import snapshot
    from tests.web.grant.helpers import make_line, make_year

    snap = snapshot()
    year = snap.academic_years()[-1]
    start = int(year[:4])
    first = make_year(start=start, baseline="100000.00", top_up="20000.00")
    make_year(start=start + 1, baseline="50000.00", top_up="0.00")
    first.payments.filter(instalment=1).update(received_on=date(start, 9, 30), received=Decimal("40000.00"))
    months = [date(start + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]  # April to March
    make_line(
        first,
        "staffing",
        "needs",
        "Virtual School adviser",
        {m: ("3000.50", "9999.00") if i < 10 else (None, "3000.50") for i, m in enumerate(months)},
    )
    make_line(
        first,
        "training",
        "advice",
        "Trauma-informed practice",
        {months[6]: ("1234.56", "500.00"), months[11]: (None, "800.00")},
    )
    make_line(first, "commissioned", "advice", "Educational psychology", {months[10]: (None, "2500.00")})
    today = date(start + 1, 1, 15)  # April to January begun: ten months' actuals

    fy1, fy2 = f"{start}-{(start + 1) % 100:02d}", f"{start + 1}-{(start + 2) % 100:02d}"
    expected = [
        ("Allocation: baseline", "£100,000.00", "£50,000.00"),
        ("Allocation: top-up", "£20,000.00", "£0.00"),
        ("Allocation: total", "£120,000.00", "£50,000.00"),
        ("Payments received", "£40,000.00", "£0.00"),
        ("Spent: Staffing", "£30,005.00", "£0.00"),
        ("Spent: Training", "£1,234.56", "£0.00"),
        ("Spent: Commissioned services", "£0.00", "£0.00"),
        ("Spent: Resources", "£0.00", "£0.00"),
        ("Spent: Other", "£0.00", "£0.00"),
        ("Spent: total", "£31,239.56", "£0.00"),
        ("Committed (forecast for the rest of the year)", "£9,301.00", "£0.00"),
        ("Balance (allocation less spent and committed)", "£79,459.44", "£50,000.00"),
    ]
    ctx = annual.build(snap, Viewer("head", Role.VS_HEAD), year, today=today)

    path = tmp_path / "report.pdf"
    path.write_bytes(annual.render(ctx))
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True).stdout
    # A row as pdftotext reads it: its label (a long one wraps in its cell), then the two years' amounts.
    section = text[text.index("Virtual School Head grant\n") :]
    got = [(m.group(1), m.group(2), m.group(3)) for m in MONEY_ROW.finditer(section)]
    assert [(a, b) for _, a, b in got] == [(a, b) for _, a, b in expected], section
    assert all(what.startswith(label) for (label, _, _), (what, _, _) in zip(got, expected, strict=True)), got
    flat = " ".join(text.split())
    assert f"Grant {fy1} {fy2}" in flat
    assert "not counts of children: disclosure control does not apply to them" in flat
    assert "There is no grant summary" not in flat

    sheet = load_workbook(io.BytesIO(annual.tables_workbook(ctx)))["Grant"]
    values = list(sheet.iter_rows(values_only=True))
    header = values.index(("Grant", fy1, fy2))
    as_numbers = [
        (what, float(a.replace("£", "").replace(",", "")), float(b.replace("£", "").replace(",", "")))
        for what, a, b in expected
    ]
    assert values[header + 1 :] == as_numbers
