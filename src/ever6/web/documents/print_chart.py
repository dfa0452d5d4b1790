"""A line chart (:func:`ever6.web.charts.line_chart`'s specification) drawn as plain SVG for print.

vl-convert draws any Vega-Lite chart, but a governors' pack's small multiples cost it about 0.3
CPU seconds, and WeasyPrint as long again to paint its SVG (some 600 elements): most of a pack's
time, 630 times over at a large authority. This draws the same specification (its data, panels,
categories, series, colours, dash patterns and point shapes) with a tenth of the elements, in a
few milliseconds, laid out for an A4 page: three panels a row, the legend above them. Only what
the specification holds is drawn, so the chart shows exactly the figures the table after it does.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

from markupsafe import escape

FONT = "Arial, 'Liberation Sans', sans-serif"
WIDTH = 600  # drawn across the page's width: 9 units is about 7.5 points
COLUMNS = 3
PANEL_W, PANEL_H = 150, 95  # the plot area of one panel
GUTTER_L = 34  # room for the value axis's labels
TITLE_H, AXIS_H = 30, 20  # a panel's title above it (two lines at most), the category labels below
TITLE_CHARS = 34  # a panel title's line
LEGEND_ROW = 18
MARKER = 3.6  # a point's half-size


def drawable(spec: dict[str, Any] | None) -> bool:
    """Whether ``spec`` is a line chart this module draws (any other goes to vl-convert)."""
    if not spec:
        return False
    inner = spec.get("spec", spec)
    mark = inner.get("mark")
    return isinstance(mark, dict) and mark.get("type") == "line" and "color" in inner.get("encoding", {})


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Ticks from 0 to at least ``top`` at a round step (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _tick_label(value: float, step: float) -> str:
    if float(step).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}" if float(step * 10).is_integer() else f"{value:,.2f}"


def _marker(shape: str, x: float, y: float) -> str:
    """A point's outline as path data, centred on (x, y)."""
    r = MARKER
    if shape == "square":
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}Z"
    if shape == "triangle-up":
        return f"M{x:.1f},{y - r * 1.2:.1f}L{x + r * 1.2:.1f},{y + r:.1f}L{x - r * 1.2:.1f},{y + r:.1f}Z"
    if shape == "triangle-down":
        return f"M{x:.1f},{y + r * 1.2:.1f}L{x + r * 1.2:.1f},{y - r:.1f}L{x - r * 1.2:.1f},{y - r:.1f}Z"
    if shape == "diamond":
        q = r * 1.3
        return f"M{x:.1f},{y - q:.1f}L{x + q:.1f},{y:.1f}L{x:.1f},{y + q:.1f}L{x - q:.1f},{y:.1f}Z"
    if shape == "cross":
        t = r / 2.5
        return (
            f"M{x - t:.1f},{y - r:.1f}h{2 * t:.1f}v{r - t:.1f}h{r - t:.1f}v{2 * t:.1f}h{t - r:.1f}"
            f"v{r - t:.1f}h{-2 * t:.1f}v{t - r:.1f}h{t - r:.1f}v{-2 * t:.1f}h{r - t:.1f}Z"
        )
    return f"M{x - r:.1f},{y:.1f}a{r},{r} 0 1,0 {2 * r:.1f},0a{r},{r} 0 1,0 {-2 * r:.1f},0Z"  # a circle


def _text(x: float, y: float, text: str, *, size: float = 9, anchor: str = "start", bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{weight} fill="#0b0c0c">'
        f"{escape(text)}</text>"
    )


def _scale(encoding: dict[str, Any], channel: str) -> list[Any]:
    return list(encoding.get(channel, {}).get("scale", {}).get("range", []))


def line_chart_svg(spec: dict[str, Any]) -> str:
    """The chart as an SVG document (``spec`` must be :func:`drawable`)."""
    inner = spec.get("spec", spec)
    encoding = inner["encoding"]
    categories: Sequence[str] = encoding["x"].get("sort") or sorted({r["category"] for r in spec["data"]["values"]})
    series: Sequence[str] = encoding["color"]["scale"]["domain"]
    colours, dashes, shapes = _scale(encoding, "color"), _scale(encoding, "strokeDash"), _scale(encoding, "shape")
    # Each series's colour, dash pattern and point shape, as the specification gives them.
    styles = [
        (
            colours[i % len(colours)] if colours else "#0b0c0c",
            " ".join(str(d) for d in dashes[i]) if i < len(dashes) else "1 0",
            shapes[i] if i < len(shapes) else "circle",
        )
        for i in range(len(series))
    ]
    facet = spec.get("facet")
    panels: Sequence[str] = facet["sort"] if facet else [""]
    rows = spec["data"]["values"]
    values = {(r["panel"] or "", r["series"], r["category"]): float(r["value"]) for r in rows}
    title = spec.get("title", {})
    title_text = title.get("text", "") if isinstance(title, dict) else str(title)

    parts: list[str] = []
    y0 = 6.0
    if title_text:
        parts.append(_text(0, y0 + 11, title_text, size=11, bold=True))
        y0 += 20
    # The legend: each series's colour, dash pattern and point shape, two to a row.
    per_row = 2
    for i, name in enumerate(series):
        lx = (i % per_row) * (WIDTH / per_row)
        ly = y0 + (i // per_row) * LEGEND_ROW + 8
        colour, dash, shape = styles[i]
        parts.append(
            f'<path d="M{lx:.1f},{ly:.1f}h28" stroke="{colour}" stroke-width="2.5" '
            f'stroke-dasharray="{dash}" fill="none"/><path d="{_marker(shape, lx + 14, ly)}" fill="{colour}"/>'
        )
        parts.append(_text(lx + 36, ly + 3.5, name))
    y0 += math.ceil(len(series) / per_row) * LEGEND_ROW + 6

    cell_w = WIDTH / COLUMNS
    cell_h = TITLE_H + PANEL_H + AXIS_H
    step_x = PANEL_W / max(len(categories), 1)
    for p, panel in enumerate(panels):
        ox = (p % COLUMNS) * cell_w + GUTTER_L
        oy = y0 + (p // COLUMNS) * cell_h + TITLE_H
        panel_values = [v for (pn, _, _), v in values.items() if pn == (panel or "")]
        ticks = nice_ticks(max(panel_values, default=0.0), 3)
        top = ticks[-1] or 1.0
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0

        def y_of(v: float, oy: float = oy, top: float = top) -> float:
            return oy + PANEL_H - v / top * PANEL_H

        if panel:
            lines = textwrap.wrap(panel, TITLE_CHARS)[:2]
            parts.extend(
                _text(ox - GUTTER_L, oy - 8 - 11 * (len(lines) - 1 - n), line, size=9, bold=True)
                for n, line in enumerate(lines)
            )
        grid = "".join(f"M{ox:.1f},{y_of(t):.1f}h{PANEL_W}" for t in ticks)
        parts.append(f'<path d="{grid}" stroke="#dddddd" stroke-width="1" fill="none"/>')
        parts.append(f'<path d="M{ox:.1f},{oy + PANEL_H:.1f}h{PANEL_W}" stroke="#505a5f" stroke-width="1"/>')
        parts.extend(_text(ox - 4, y_of(t) + 3, _tick_label(t, step), size=8, anchor="end") for t in ticks)
        # The categories under the lowest panel of each column (those above share them): each
        # label is a text WeasyPrint lays out, the most of a chart's cost.
        label_every = max(1, math.ceil(len(categories) / 6))  # room for about six labels a panel
        if p + COLUMNS >= len(panels):
            parts.extend(
                _text(ox + (c + 0.5) * step_x, oy + PANEL_H + 13, cat, size=8, anchor="middle")
                for c, cat in enumerate(categories)
                if c % label_every == 0 or c == len(categories) - 1
            )
        for i, name in enumerate(series):
            points = [
                (ox + (c + 0.5) * step_x, y_of(v))
                for c, cat in enumerate(categories)
                if (v := values.get((panel or "", name, cat))) is not None
            ]
            if not points:
                continue
            colour, dash, shape = styles[i]
            if len(points) > 1:
                line = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points)
                parts.append(
                    f'<path d="{line}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" fill="none"/>'
                )
            marks = "".join(_marker(shape, x, y) for x, y in points)
            parts.append(f'<path d="{marks}" fill="{colour}"/>')
    height = y0 + math.ceil(len(panels) / COLUMNS) * cell_h + 4
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="{FONT}">' + "".join(parts) + "</svg>"
    )
