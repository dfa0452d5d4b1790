"""The governors' pack: the PDF holds exactly the published (suppressed) figures for its school, no
figure that the suppressed publication lacks, and only the school's own; downloads are audited.

The expected figures are read straight from the snapshot file's suppressed table with DuckDB, a
route independent of the pack's own code; the PDF's text comes from poppler's ``pdftotext``.
"""

from __future__ import annotations

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
    ("pupils", "Pupils"),
    ("overall_absence_rate", "Overall absence (%)"),
    ("persistent_absence_rate", "Persistent absence (%)"),
    ("severe_absence_rate", "Severe absence (%)"),
    ("c2_per_1000_sessions", "Part-time timetable (C2) per 1,000 sessions"),
    ("suspension_rate", "Suspension rate (%)"),
    ("one_plus_suspension_rate", "One or more suspensions (%)"),
)
# (group, breakdown) of each column, left to right, as a governor reads the table.
COLUMNS = (("cwsw", "school"), ("not_cwsw", "school"), ("cwsw", "all"), ("all_pupils", "all"))


def _published(snapshot: Path, urn: str) -> tuple[list[str], dict[tuple[str, str, str, str], str]]:
    """The last three years and every published text for the school's and the authority's cells."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        years = [r[0] for r in con.execute("SELECT DISTINCT academic_year FROM metric ORDER BY 1").fetchall()][-3:]
        rows = con.execute(
            """SELECT academic_year, measure, "group", breakdown, value, figure FROM metric_suppressed
               WHERE period = 'year' AND academic_year IN (SELECT unnest(?))
                 AND ((breakdown = 'school' AND breakdown_value = ?) OR breakdown = 'all')""",
            [years, urn],
        ).fetchall()
    finally:
        con.close()
    cells = {}
    for year, measure, group, breakdown, value, figure in rows:
        text = "" if value is None else value
        if measure == "pupils" and figure is not None:
            text = f"{int(figure):,}"  # counts are shown with thousands separators
        cells[(year, measure, group, breakdown)] = text
    return years, cells


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True)
    return out.stdout


# A row of the figures table as pdftotext reads it: (the measure, which may wrap onto lines before)
# the year, then the four columns' figures. The chart's text (axis ticks, titles) is one word a line.
ROW = re.compile(r"^(?:.* )?(\d{4}/\d{2})((?: \S+){4})$", re.MULTILINE)
SYMBOLS = {"c", "z", "x", "low"}


def _rows(text: str) -> list[tuple[str, ...]]:
    return [(m.group(1), *m.group(2).split()) for m in ROW.finditer(text)]


# The DSL's pack, downloaded once for the tests that only read it (each test's database is set up
# the same way by the fixtures, so the pack is the same): a PDF takes seconds to lay out.
_downloaded: dict[str, bytes] = {}


@pytest.fixture
def dsl_pack(client_for: Callable[[str], Client], published: Published) -> bytes:
    key = str(published.snapshot)
    if key not in _downloaded:
        response = client_for("school_dsl").get(f"/portal/{published.urn}/governors-pack.pdf")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        _downloaded[key] = response.content
    return _downloaded[key]


def test_the_pack_shows_exactly_the_published_suppressed_figures(
    dsl_pack: bytes, published: Published, tmp_path: Path
) -> None:
    years, cells = _published(published.snapshot, published.urn)
    text = _text(dsl_pack, tmp_path, "pack")
    # Row by row, in order: the year, then the four published figures (x: none was published).
    expected = [(year, *(cells.get((year, m, g, b), "x") for g, b in COLUMNS)) for m, _ in MEASURES for year in years]
    assert _rows(text) == expected
    for _, label in MEASURES:
        assert label in " ".join(text.split())
    assert any(v in SYMBOLS for row in expected for v in row[1:]), "the demo school should have withheld figures"
    assert any(v not in SYMBOLS for row in expected for v in row[1:]), "and figures shown"


def test_no_figure_in_the_pack_is_missing_from_the_suppressed_publication(
    dsl_pack: bytes, published: Published, tmp_path: Path
) -> None:
    _, cells = _published(published.snapshot, published.urn)
    allowed = {v for v in cells.values() if v} | SYMBOLS
    from ever6.metrics.gaps import national_figures

    national = {f"{f.value:g}" for f in national_figures()}
    text = _text(dsl_pack, tmp_path, "pack")
    rows = _rows(text)
    assert rows
    leaked = [v for row in rows for v in row[1:] if v not in allowed]
    assert not leaked, f"figures in the pack that the suppressed publication lacks: {leaked}"
    # Anywhere else (the national table, notes), a figure with decimals is published or national;
    # a line of numbers alone is a chart's axis ticks, a scale rather than figures.
    decimals = [
        d
        for line in text.splitlines()
        if not re.fullmatch(r"[\d.,\s]+", line)
        for d in re.findall(r"(?<![\w/.])\d+\.\d+(?![\w/])", line)
    ]
    assert decimals
    assert set(decimals) <= national | allowed, set(decimals) - national - allowed


def test_the_chart_draws_only_published_figures(accounts: dict[str, object], published: Published) -> None:
    from ever6.access import Role, Viewer
    from ever6.web.documents import governors
    from ever6.web.guard import snapshot

    years, cells = _published(published.snapshot, published.urn)
    who = Viewer("dsl", Role.SCHOOL_DSL, frozenset({published.urn}))
    got = governors.gather(snapshot(), who, [published.urn], years)[published.urn]
    spec = governors.chart_spec(got, years)
    assert spec is not None
    numbers = {float(v.replace(",", "")) for v in cells.values() if v and v[0].isdigit()}
    drawn = [row["value"] for row in spec["data"]["values"]]
    assert drawn
    assert all(v in numbers for v in drawn)


def test_a_school_user_gets_only_their_own_schools_pack_and_each_download_is_audited(
    client_for: Callable[[str], Client], published: Published
) -> None:
    from ever6.web.audit.models import AuditEvent

    dsl = client_for("school_dsl")
    assert dsl.get(f"/portal/{published.other_urn}/governors-pack.pdf").status_code == 403
    assert dsl.get(f"/schools/{published.urn}/governors-pack.pdf").status_code == 403
    before = AuditEvent.objects.filter(what="governors_pack").count()
    head = client_for("vs_head")
    response = head.get(f"/schools/{published.other_urn}/governors-pack.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    entries = AuditEvent.objects.filter(what="governors_pack").order_by("-id")
    assert entries.count() == before + 1
    assert entries[0].object_id == published.other_urn
    assert entries[0].username == "vs_head"
    assert head.get(f"/portal/{published.urn}/governors-pack.pdf").status_code == 403


def test_the_pack_says_what_it_is_on_every_page(dsl_pack: bytes, tmp_path: Path) -> None:
    text = _text(dsl_pack, tmp_path, "pack")
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Shared: figures with disclosure control applied" in page
    assert "Sources and notes" in text
    assert "Governors' pack:" in text
