"""The print line chart draws what the Vega-Lite specification holds: every point, in its panel, at
its value on the panel's scale, each series in its own colour, with every panel and series named."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from ever6.web.charts import PALETTE, Point, bar_chart, line_chart
from ever6.web.documents.print_chart import drawable, line_chart_svg, nice_ticks

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


def test_only_line_charts_are_drawn_here() -> None:
    bar = bar_chart(
        [Point("A", "s", 1.0)], title="t", category_title="c", value_title="v", categories=["A"], series=["s"]
    )
    assert not drawable(bar)
    assert not drawable(None)
