"""Vega-Lite chart specifications, as plain dictionaries, for the figures pages.

A chart is an enhancement: the page always carries the same figures in a table (see
``jinja2/macros/figures.html``), so a chart that cannot be drawn loses nothing. Charts follow the
GOV.UK guidance on data visualisation: a title and a description (read out by screen readers),
labelled axes, and no meaning carried by colour alone: each bar is labelled with its group and
value, and each line has its own dash pattern and point shape as well as its colour.

Only numeric figures are charted, from the number the snapshot keeps beside each published text
(:class:`ever6.web.tables.Figure`); a suppressed or not-applicable figure (``c``, ``z``) is left
out of the chart and shown in the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

# GOV.UK Design System colours that keep 3:1 contrast against white and against each other's
# neighbours in a legend: blue, orange, green, purple, dark grey, pink, turquoise, brown, red.
PALETTE = ("#1d70b8", "#f47738", "#00703c", "#4c2c92", "#505a5f", "#d53880", "#28a197", "#b58840", "#d4351c")
DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [10, 4], [1, 3], [4, 4, 1, 4], [12, 2], [3, 6])
SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "triangle-right", "stroke", "wedge")

MAX_CATEGORIES = 40  # beyond this a bar chart is unreadable: the table alone carries the figures


@dataclass(frozen=True)
class Point:
    """One figure to chart: ``category`` along an axis, ``series`` (a group) compared within it,
    ``panel`` (a measure) when a chart shows several measures on their own scales."""

    category: str
    series: str
    value: float
    panel: str = ""


def _base(title: str, description: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": {"text": title, "anchor": "start", "fontSize": 16},
        "description": description,
        "config": {
            "font": "Arial, sans-serif",
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "labelLimit": 260},
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "labelLimit": 300},
            "header": {"labelFontSize": 14, "labelFontWeight": "bold", "labelLimit": 500},
        },
    }


def _rows(points: Iterable[Point]) -> list[dict[str, Any]]:
    return [{"category": p.category, "series": p.series, "value": p.value, "panel": p.panel} for p in points]


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    category_title: str,
    value_title: str,
    categories: Sequence[str],
    series: Sequence[str],
    description: str = "",
) -> dict[str, Any] | None:
    """Horizontal bars comparing ``series`` (groups) within each category, one panel per measure
    (each on its own scale). ``None`` when there is nothing to draw or too much to read."""
    if not points or len(categories) > MAX_CATEGORIES:
        return None
    panels = list(dict.fromkeys(p.panel for p in points))
    rows = _rows(points)
    for row in rows:
        row["label"] = f"{row['series']}: {_fmt(row['value'])}"
    bar_encoding: dict[str, Any] = {
        "y": {"field": "category", "type": "nominal", "title": category_title, "sort": list(categories)},
        "yOffset": {"field": "series", "type": "nominal", "sort": list(series)},
        "x": {"field": "value", "type": "quantitative", "title": value_title},
        "tooltip": [
            {"field": "category", "title": category_title},
            {"field": "series", "title": "Group"},
            {"field": "value", "title": value_title},
        ],
    }
    layer = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": "Group",
                    "scale": {"domain": list(series), "range": list(PALETTE[: len(series)])},
                    # Below the bars: a label beside the longest bar would run into a legend on
                    # the right, and a chart without one on its right fits a phone at a readable size.
                    "legend": {"orient": "bottom", "direction": "vertical"},
                }
            },
        },
        # The group and value beside each bar, so the bars do not rely on colour to be read.
        {
            "mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 4, "fontSize": 11},
            "encoding": {"text": {"field": "label", "type": "nominal"}},
        },
    ]
    inner: dict[str, Any] = {
        "width": 420,
        "height": {"step": 18, "for": "offset"},
        "encoding": bar_encoding,
        "layer": layer,
    }
    spec = _base(title, description or f"Bar chart: {title}. The same figures are in the table below.")
    spec["data"] = {"values": rows}
    if len(panels) > 1 or panels[0]:
        spec["facet"] = {"field": "panel", "type": "nominal", "title": None, "sort": panels}
        spec["columns"] = 1
        spec["spec"] = inner
        spec["resolve"] = {"scale": {"x": "independent"}}
    else:
        spec.update(inner)
    return spec


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    category_title: str,
    value_title: str,
    categories: Sequence[str],
    series: Sequence[str],
    description: str = "",
) -> dict[str, Any] | None:
    """Lines over time (``categories`` in date order) for each series, one panel per measure, each
    series with its own colour, dash pattern and point shape."""
    if not points:
        return None
    panels = list(dict.fromkeys(p.panel for p in points))
    n = len(series)
    legend = {"field": "series", "type": "nominal", "title": "Group", "sort": list(series)}
    inner: dict[str, Any] = {
        "width": 360,  # two panels side by side fit the GOV.UK page width
        "height": 220,
        "mark": {"type": "line", "point": {"filled": True, "size": 70}, "strokeWidth": 2.5},
        "encoding": {
            "x": {
                "field": "category",
                "type": "ordinal",
                "title": category_title,
                "sort": list(categories),
                "axis": {"labelAngle": -40},
            },
            "y": {"field": "value", "type": "quantitative", "title": value_title},
            "color": {**legend, "scale": {"domain": list(series), "range": list(PALETTE[:n])}},
            "strokeDash": {**legend, "scale": {"domain": list(series), "range": [list(d) for d in DASHES[:n]]}},
            "shape": {**legend, "scale": {"domain": list(series), "range": list(SHAPES[:n])}},
            "tooltip": [
                {"field": "category", "title": category_title},
                {"field": "series", "title": "Group"},
                {"field": "value", "title": value_title},
            ],
        },
    }
    spec = _base(title, description or f"Line chart: {title}. The same figures are in the table below.")
    spec["data"] = {"values": _rows(points)}
    if len(panels) > 1 or panels[0]:
        spec["facet"] = {"field": "panel", "type": "nominal", "title": None, "sort": panels}
        spec["columns"] = 2
        spec["spec"] = inner
        # Each panel its own x axis: a shared one is drawn under the empty cell an odd number of
        # panels leaves, as if it were a panel with no data.
        spec["resolve"] = {"scale": {"y": "independent"}, "axis": {"x": "independent"}}
    else:
        spec.update(inner)
    return spec


def _fmt(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"
