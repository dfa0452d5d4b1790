"""Published figures on pages and in downloads: the number beside the text is what charts, gaps
and sorting use; the text is shown once, by one formatter, as the DfE publishes it."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from ever6.web.dashboard.figures import gap
from ever6.web.dashboard.ranking import share
from ever6.web.jinja import number
from ever6.web.tables import Figure, Table, download, shown

COUNT = Figure("1739", 1739.0, count=True)
RATE = Figure("12.0", 12.0)
SUPPRESSED = Figure("c")


def test_gaps_come_from_the_published_rounded_figures() -> None:
    # Exact values 10.24 and 3.06 would give 7.18, shown as 7.2; the DfE's tables subtract the
    # published figures, 10.2 - 3.1 = 7.1.
    difference = gap(Figure("10.2", 10.2), Figure("3.1", 3.1))
    assert difference.text == "7.1"
    assert difference.number == 7.1
    assert gap(Figure("3.1", 3.1), Figure("10.2", 10.2)).text == "-7.1"


def test_a_gap_over_a_symbol_shows_the_symbol() -> None:
    assert gap(SUPPRESSED, RATE) == Figure("c")
    assert gap(RATE, Figure("z")) == Figure("z")
    assert gap(Figure("low"), SUPPRESSED) == Figure("low")


def test_share_of_pupils() -> None:
    assert share(Figure("3", 3.0), Figure("40", 40.0)).text == "7.5"
    assert share(Figure("3", 3.0), Figure("0", 0.0)) == Figure("z")
    assert share(SUPPRESSED, Figure("40", 40.0)) == Figure("c")


def test_pages_show_counts_with_separators_and_other_figures_as_published() -> None:
    assert shown(COUNT) == number(COUNT) == "1,739"
    assert shown(RATE) == "12.0"
    assert shown(Figure("1739", 1739.0)) == "1739"  # a figure not marked as a count: as published
    assert shown(SUPPRESSED) == str(SUPPRESSED) == "c"
    assert number(2500) == "2,500"
    assert number(None) == ""


def test_downloads_keep_numbers_as_numbers_and_symbols_as_text() -> None:
    table = Table(
        "t", [("a", "A"), ("b", "B"), ("c", "C")], [{"a": COUNT, "b": RATE, "c": SUPPRESSED}], frozenset("abc")
    )
    text = download(table, "csv", "t").content.decode()
    assert list(csv.reader(io.StringIO(text))) == [["A", "B", "C"], ["1739", "12.0", "c"]]
    sheet = load_workbook(io.BytesIO(download(table, "xlsx", "t").content)).active
    assert sheet is not None
    cells = [c.value for c in next(r for r in sheet.iter_rows(min_row=1) if r[0].value == 1739)]
    assert cells == [1739, 12.0, "c"]
    assert isinstance(cells[0], int)


def test_a_trend_chart_draws_an_axis_only_under_its_panels() -> None:
    """Three panels in two columns leave an empty cell: no axis is drawn there as if it held a
    chart. Rendered by Vega-Lite itself (vl-convert), each panel's axis title counted."""
    import vl_convert

    from ever6.web.charts import Point, line_chart

    points = [
        Point(year, group, value, panel)
        for panel in ("Overall absence (%)", "Persistent absence (%)", "Severe absence (%)")
        for year, value in (("2023/24", 10.0), ("2024/25", 12.0))
        for group in ("Ever6 CWSW", "Never CWSW")
    ]
    spec = line_chart(
        points,
        title="Trends",
        category_title="Academic year of the figure",
        value_title="Figure",
        categories=["2023/24", "2024/25"],
        series=["Ever6 CWSW", "Never CWSW"],
    )
    assert spec is not None
    svg = vl_convert.vegalite_to_svg(spec)
    assert svg.count(">Academic year of the figure<") == 3


def test_chart_specs_name_the_vega_lite_version_the_pages_load() -> None:
    """The runtime is the installed vega-lite package: every spec the web service writes names its
    major version (a v5 spec on the v6 runtime warns in the console)."""
    import json
    import re
    from pathlib import Path

    from ever6.web import charts

    web = Path(charts.__file__).parent
    package = web / "frontend" / "node_modules" / "vega-lite" / "package.json"
    major = json.loads(package.read_text())["version"].split(".")[0]
    assert charts.SCHEMA.endswith(f"/v{major}.json")
    named = {m for path in web.rglob("*.py") for m in re.findall(r"schema/vega-lite/v\d+", path.read_text())}
    assert named == {f"schema/vega-lite/v{major}"}
