"""The print charts draw what the Vega-Lite specification holds: every point or bar, in its panel,
at its value on the panel's scale, each series in its own colour, with every panel, series and
category named; a withheld figure (not in the data) is not drawn at all."""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as ET

import pytest

from ever6.web.charts import PALETTE, Point, bar_chart, line_chart
from ever6.web.documents.print_chart import WIDTH, bar_chart_svg, draw, drawable, line_chart_svg, nice_ticks
from ever6.web.documents.render import CHART_WIDTH_PT, chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def _spec(points: list[Point], series: list[str], categories: list[str]) -> dict[str, object]:
    spec = line_chart(
        points, title="Test", category_title="Year", value_title="Rate", categories=categories, series=series
    )
    assert spec is not None
    return spec


@pytest.mark.parametrize(
    ("top", "ticks"),
    [(0.0, [0.0, 1.0]), (17.6, [0.0, 10.0, 20.0]), (0.5, [0.0, 0.2, 0.4, 0.6]), (100.0, [0.0, 50.0, 100.0])],
)
def test_ticks_are_round_and_reach_the_top(top: float, ticks: list[float]) -> None:
    assert nice_ticks(top, 3) == ticks


def test_every_point_is_drawn_at_its_value_in_its_panel() -> None:
    years = ["2022/23", "2023/24", "2024/25"]
    series = ["School", "Authority"]
    values = {
        ("Absence (%)", "School"): [10.0, None, 20.0],  # a withheld middle year: not drawn
        ("Absence (%)", "Authority"): [5.0, 6.0, 7.0],
        ("Suspensions (%)", "School"): [1.0, 2.0, 3.0],
        ("Suspensions (%)", "Authority"): [0.5, 0.5, 0.5],
    }
    points = [
        Point(y, s, v, panel=panel)
        for (panel, s), vs in values.items()
        for y, v in zip(years, vs, strict=True)
        if v is not None
    ]
    spec = _spec(points, series, years)
    assert drawable(spec)
    svg = line_chart_svg(spec)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Absence (%)", "Suspensions (%)", *series, *years} <= set(texts)
    # The marks: one path of point markers per series and panel, in the series's colour; a
    # marker path has one sub-path ("M") a point.
    marks = [p for p in root.iter(f"{SVG}path") if p.get("fill") in PALETTE[:2] and p.get("stroke") is None]
    legend, drawn = marks[:2], marks[2:]
    assert [m.get("fill") for m in legend] == list(PALETTE[:2])
    counts = [m.get("d", "").count("M") for m in drawn]
    assert counts == [2, 3, 3, 3]  # School's withheld year left out
    # Higher values sit higher (smaller y) within a panel: the school's 10 then 20 in absence.
    first_y = [float(y) for y in re.findall(r"M[\d.]+,([\d.]+)", drawn[0].get("d", ""))]
    assert first_y[1] < first_y[0]


def _bars(root: ET.Element, colour: str) -> list[tuple[float, float, float]]:
    """(top y, left x, right x) of each bar drawn in ``colour``: a bar is a sub-path ``Mx,yH...``."""
    found: list[tuple[float, float, float]] = []
    for path in root.iter(f"{SVG}path"):
        if path.get("fill") == colour:
            found += [
                (float(y), float(x0), float(x1))
                for x0, y, x1 in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)", path.get("d", ""))
            ]
    return sorted(found)


def test_every_bar_is_drawn_at_its_value_and_a_withheld_one_not_at_all() -> None:
    phases = ["Primary", "Secondary", "Not applicable"]
    series = ["Ever6 CWSW", "Never CWSW (peers)"]
    values = {
        ("Overall absence (%)", "Ever6 CWSW"): [14.4, 18.5, 19.0],
        ("Overall absence (%)", "Never CWSW (peers)"): [4.4, 6.6, 9.0],
        ("Persistent absence (%)", "Ever6 CWSW"): [38.0, 47.1, 49.4],
        ("Persistent absence (%)", "Never CWSW (peers)"): [12.0, None, 0.0],  # withheld; a published 0
    }
    points = [
        Point(phase, s, v, panel=panel)
        for (panel, s), vs in values.items()
        for phase, v in zip(phases, vs, strict=True)
        if v is not None
    ]
    spec = bar_chart(
        points, title="By phase", category_title="Phase", value_title="Rate", categories=phases, series=series
    )
    assert drawable(spec)
    assert spec is not None
    root = ET.fromstring(bar_chart_svg(spec))
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    # The panels, the series (legend), the categories, the value axis's title and each bar's label.
    assert {"Overall absence (%)", "Persistent absence (%)", *series, *phases, "Rate"} <= set(texts)
    assert {"Ever6 CWSW: 14.4", "Never CWSW (peers): 6.6", "Ever6 CWSW: 38", "Never CWSW (peers): 0"} <= set(texts)
    assert sum(t.startswith("Never CWSW (peers): ") for t in texts) == 5  # the withheld bar has no label
    # Ticks from 0 past each panel's largest value.
    assert {"0", "5", "20", "60"} <= set(texts)
    blue, orange = (_bars(root, c) for c in PALETTE[:2])
    assert (len(blue), len(orange)) == (6, 5)  # the withheld bar is absent, not a bar of 0
    # Top to bottom: the first panel's categories, then the second's; within a panel, a bar's
    # length is its value on that panel's scale (the same length per unit for every bar).
    drawn = {"Ever6 CWSW": blue, "Never CWSW (peers)": orange}
    zero_lengths = []
    for panel_index, panel in enumerate(["Overall absence (%)", "Persistent absence (%)"]):
        lengths = []
        for s in series:
            in_panel = [v for (p, name), vs in values.items() if p == panel and name == s for v in vs if v is not None]
            bars = drawn[s][: len(in_panel)] if panel_index == 0 else drawn[s][-len(in_panel) :]
            lengths += [(x1 - x0, v) for (_, x0, x1), v in zip(bars, in_panel, strict=True)]
        per_unit = [length / v for length, v in lengths if v]
        assert max(per_unit) - min(per_unit) < 0.01 * max(per_unit), panel  # drawn to 0.1 of a unit
        zero_lengths += [length for length, v in lengths if v == 0]
    assert zero_lengths == [0.0]  # the published 0: a bar of no length, with its label
    # Each category's bars sit beside its label: the Secondary bars between Primary's and the last.
    assert blue[0][0] < blue[1][0] < blue[2][0] < blue[3][0]


def test_only_line_and_bar_charts_are_drawn_here() -> None:
    bar = bar_chart(
        [Point("A", "s", 1.0)], title="t", category_title="c", value_title="v", categories=["A"], series=["s"]
    )
    assert drawable(bar)
    assert bar is not None
    # No panels: one bar, on a scale from 0 to 1 in quarters.
    assert {"A", "s", "s: 1", "0.00", "1.00"} <= {label.text for label in draw(bar).labels}
    assert not drawable({**bar, "layer": [{"mark": {"type": "arc"}}], "encoding": {"theta": {"field": "value"}}})
    assert not drawable(None)


def test_a_documents_chart_is_its_shapes_with_its_text_over_them() -> None:
    """In a document the chart's text is the document's own text, each piece once, over the SVG's
    shapes (WeasyPrint lays SVG text out a letter at a time)."""
    years = ["2023/24", "2024/25"]
    spec = _spec(
        [Point(y, s, v, panel="Absence & more (%)") for y in years for s, v in (("<School>", 4.0), ("LA", 9.5))],
        ["<School>", "LA"],
        years,
    )
    page = str(chart_svg(spec))
    encoded = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert encoded is not None
    shapes = base64.b64decode(encoded.group(1)).decode()
    assert "<text" not in shapes
    assert "<path" in shapes
    spans = [(style, html.unescape(text)) for style, text in re.findall(r'<span style="([^"]*)">([^<]*)</span>', page)]
    labels = draw(spec).labels
    assert sorted(text for _, text in spans) == sorted(label.text for label in labels)
    assert {"<School>", "LA", "Absence & more (%)", *years} <= {text for _, text in spans}
    assert "<School>" not in page  # escaped
    # A label from its start is placed at its x, on the page's scale.
    scale = CHART_WIDTH_PT / WIDTH
    legend = next(style for style, text in spans if text == "LA")
    label = next(label for label in labels if label.text == "LA")
    assert f"left:{label.x * scale:.2f}pt" in legend
