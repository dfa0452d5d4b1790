"""Line and bar charts (:mod:`ever6.web.charts`' specifications) drawn as plain SVG for print.

vl-convert draws any Vega-Lite chart, but a governors' pack's small multiples cost it about 0.3
CPU seconds, and WeasyPrint as long again to paint its SVG (some 600 elements): most of a pack's
time, 630 times over at a large authority. This draws the same specification (its data, panels,
categories, series, colours, dash patterns and point shapes) with a tenth of the elements, in a
few milliseconds, laid out for an A4 page: a line chart three panels a row, a bar chart one panel
a row (each on its own scale, as the specification resolves it), the legend above them. Only what
the specification holds is drawn, so the chart shows exactly the figures the table after it does:
a withheld figure is not in the data, so it has no point and no bar (never a bar of 0).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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


def _kind(spec: dict[str, Any] | None) -> str:
    """``line`` or ``bar`` for the two kinds :mod:`ever6.web.charts` makes, else ``""``."""
    if not spec:
        return ""
    inner = spec.get("spec", spec)
    mark = inner.get("mark")
    if isinstance(mark, dict) and mark.get("type") == "line" and "color" in inner.get("encoding", {}):
        return "line"
    layers = inner.get("layer") or []
    bars = [layer for layer in layers if isinstance(layer.get("mark"), dict) and layer["mark"].get("type") == "bar"]
    encoding = inner.get("encoding", {})
    if bars and "color" in bars[0].get("encoding", {}) and {"x", "y", "yOffset"} <= encoding.keys():
        return "bar"
    return ""


def drawable(spec: dict[str, Any] | None) -> bool:
    """Whether ``spec`` is a chart this module draws (any other goes to vl-convert)."""
    return bool(_kind(spec))


def draw(spec: dict[str, Any]) -> Chart:
    """The chart (``spec`` must be :func:`drawable`)."""
    return draw_line_chart(spec) if _kind(spec) == "line" else draw_bar_chart(spec)


def line_chart_svg(spec: dict[str, Any]) -> str:
    """A line chart as an SVG document, its text included."""
    return draw_line_chart(spec).svg()


def bar_chart_svg(spec: dict[str, Any]) -> str:
    """A bar chart as an SVG document, its text included."""
    return draw_bar_chart(spec).svg()


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


@dataclass(frozen=True)
class Label:
    """A piece of the chart's text: its baseline at (x, y) in the chart's units, ``anchor`` as SVG's
    ``text-anchor`` (start, middle or end)."""

    x: float
    y: float
    text: str
    size: float = 9
    anchor: str = "start"
    bold: bool = False

    def svg(self) -> str:
        weight = ' font-weight="bold"' if self.bold else ""
        return (
            f'<text x="{self.x:.1f}" y="{self.y:.1f}" font-size="{self.size}" text-anchor="{self.anchor}"{weight} '
            f'fill="#0b0c0c">{escape(self.text)}</text>'
        )


@dataclass(frozen=True)
class Chart:
    """A chart drawn for print: its shapes (SVG elements) and its text, ``WIDTH`` by ``height`` units.

    The text is kept apart so that a document can lay it out as its own text over the shapes
    (:func:`ever6.web.documents.render.chart_svg`): WeasyPrint lays out SVG text a letter at a
    time, which cost more than the rest of a governors' pack's chart."""

    height: float
    shapes: tuple[str, ...]
    labels: tuple[Label, ...]
    width: float = WIDTH

    def svg(self, *, labels: bool = True) -> str:
        """The chart as an SVG document, with its text or (``labels=False``) the shapes alone."""
        text = "".join(label.svg() for label in self.labels) if labels else ""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:.0f}" height="{self.height:.0f}" '
            f'viewBox="0 0 {self.width:.0f} {self.height:.0f}" font-family="{FONT}">'
            + "".join(self.shapes)
            + text
            + "</svg>"
        )


def _text(x: float, y: float, text: str, *, size: float = 9, anchor: str = "start", bold: bool = False) -> Label:
    return Label(x, y, text, size, anchor, bold)


def _scale(encoding: dict[str, Any], channel: str) -> list[Any]:
    return list(encoding.get(channel, {}).get("scale", {}).get("range", []))


def draw_line_chart(spec: dict[str, Any]) -> Chart:
    """A line chart (``spec`` must be :func:`drawable` as one)."""
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
    rows = spec["data"]["values"]
    panels, values = _panels_and_values(spec, rows)
    parts: list[str | Label] = []
    y0 = _title(spec, parts)
    # The legend: each series's colour, dash pattern and point shape, two to a row.
    for i, name, lx, ly in _legend_places(series, y0):
        colour, dash, shape = styles[i]
        parts.append(
            f'<path d="M{lx:.1f},{ly:.1f}h28" stroke="{colour}" stroke-width="2.5" '
            f'stroke-dasharray="{dash}" fill="none"/><path d="{_marker(shape, lx + 14, ly)}" fill="{colour}"/>'
        )
        parts.append(_text(lx + 36, ly + 3.5, name))
    y0 += math.ceil(len(series) / LEGEND_PER_ROW) * LEGEND_ROW + 6

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
    return _chart(parts, y0 + math.ceil(len(panels) / COLUMNS) * cell_h + 4)


LEGEND_PER_ROW = 2


def _legend_places(series: Sequence[str], y0: float) -> Iterator[tuple[int, str, float, float]]:
    """Each series's index, name and the place of its legend entry, two to a row below ``y0``."""
    for i, name in enumerate(series):
        yield i, name, (i % LEGEND_PER_ROW) * (WIDTH / LEGEND_PER_ROW), y0 + (i // LEGEND_PER_ROW) * LEGEND_ROW + 8


def _panels_and_values(
    spec: dict[str, Any], rows: list[dict[str, Any]]
) -> tuple[Sequence[str], dict[tuple[str, str, str], float]]:
    """The chart's panels (one, unnamed, without a facet) and each drawn value by (panel, series,
    category): the rows hold only published figures, so a withheld one is simply absent."""
    facet = spec.get("facet")
    panels: Sequence[str] = facet["sort"] if facet else [""]
    return panels, {(r["panel"] or "", r["series"], r["category"]): float(r["value"]) for r in rows}


def _title(spec: dict[str, Any], parts: list[str | Label]) -> float:
    """The chart's title, if it has one; where what follows it starts."""
    title = spec.get("title", {})
    title_text = title.get("text", "") if isinstance(title, dict) else str(title)
    if not title_text:
        return 6.0
    parts.append(_text(0, 17, title_text, size=11, bold=True))
    return 26.0


def _chart(parts: list[str | Label], height: float) -> Chart:
    return Chart(
        round(height),
        tuple(p for p in parts if isinstance(p, str)),
        tuple(p for p in parts if isinstance(p, Label)),
    )


# A bar chart: one panel a row, the category labels on the left, each category's bars (one a
# series) beside each other, each bar's series and value after it as the web chart labels it.
BAR_GUTTER = 120  # the category labels
BAR_PLOT_W = 330  # the longest bar; the label after it fits in what is left of the width
BAR_H, BAR_GAP, CATEGORY_GAP = 11, 2, 7
CATEGORY_CHARS = 22  # a category label's line


def draw_bar_chart(spec: dict[str, Any]) -> Chart:
    """A bar chart (``spec`` must be :func:`drawable` as one)."""
    inner = spec.get("spec", spec)
    encoding = inner["encoding"]
    rows = spec["data"]["values"]
    categories: Sequence[str] = encoding["y"].get("sort") or sorted({r["category"] for r in rows})
    bar_layer = next(layer for layer in inner["layer"] if layer["mark"]["type"] == "bar")
    colour_scale = bar_layer["encoding"]["color"]["scale"]
    series: Sequence[str] = encoding["yOffset"].get("sort") or colour_scale["domain"]
    domain, colours = list(colour_scale["domain"]), list(colour_scale.get("range", []))
    colour_of = {
        name: (colours[domain.index(name) % len(colours)] if colours and name in domain else "#0b0c0c")
        for name in series
    }
    value_title = str(encoding["x"].get("title") or "")
    panels, values = _panels_and_values(spec, rows)
    # Each bar's label as the specification's text layer has it (the series and the value).
    text_layer = next((layer for layer in inner["layer"] if layer["mark"]["type"] == "text"), None)
    field = text_layer["encoding"]["text"]["field"] if text_layer else ""
    labels = {(r["panel"] or "", r["series"], r["category"]): str(r.get(field, "")) for r in rows}

    parts: list[str | Label] = []
    y0 = _title(spec, parts)
    # The legend: each series's colour, two to a row.
    for _, name, lx, ly in _legend_places(series, y0):
        parts.append(f'<path d="M{lx:.1f},{ly - 5:.1f}h10v10h-10Z" fill="{colour_of[name]}"/>')
        parts.append(_text(lx + 16, ly + 3.5, name))
    y0 += math.ceil(len(series) / LEGEND_PER_ROW) * LEGEND_ROW + 6

    band = len(series) * (BAR_H + BAR_GAP) - BAR_GAP  # one category's bars
    ox = BAR_GUTTER
    for panel in panels:
        if panel:
            parts.append(_text(0, y0 + 11, panel, size=9, bold=True))
            y0 += 18
        panel_values = [v for (pn, _, _), v in values.items() if pn == (panel or "")]
        ticks = nice_ticks(max(panel_values, default=0.0), 4)
        top = ticks[-1] or 1.0
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        plot_h = len(categories) * (band + CATEGORY_GAP) + CATEGORY_GAP

        def x_of(v: float, top: float = top) -> float:
            return ox + max(v, 0.0) / top * BAR_PLOT_W

        grid = "".join(f"M{x_of(t):.1f},{y0:.1f}v{plot_h:.1f}" for t in ticks)
        parts.append(f'<path d="{grid}" stroke="#dddddd" stroke-width="1" fill="none"/>')
        parts.append(f'<path d="M{ox:.1f},{y0:.1f}v{plot_h:.1f}" stroke="#505a5f" stroke-width="1"/>')
        bars: dict[str, list[str]] = {name: [] for name in series}
        for c, category in enumerate(categories):
            top_y = y0 + CATEGORY_GAP + c * (band + CATEGORY_GAP)
            lines = textwrap.wrap(category, CATEGORY_CHARS)[:2] or [""]
            mid = top_y + band / 2 + 3 - 5 * (len(lines) - 1)
            parts.extend(_text(ox - 6, mid + 10 * n, line, size=8, anchor="end") for n, line in enumerate(lines))
            for i, name in enumerate(series):
                value = values.get((panel or "", name, category))
                if value is None:  # withheld or not published: no bar, and no label
                    continue
                y = top_y + i * (BAR_H + BAR_GAP)
                bars[name].append(f"M{ox:.1f},{y:.1f}H{x_of(value):.1f}v{BAR_H}H{ox:.1f}Z")
                label = labels[(panel or "", name, category)]
                if label:
                    parts.append(_text(x_of(value) + 4, y + BAR_H - 2.5, label, size=8))
        parts.extend(f'<path d="{"".join(d)}" fill="{colour_of[name]}"/>' for name, d in bars.items() if d)
        axis_y = y0 + plot_h
        parts.append(f'<path d="M{ox:.1f},{axis_y:.1f}h{BAR_PLOT_W}" stroke="#505a5f" stroke-width="1"/>')
        parts.extend(_text(x_of(t), axis_y + 11, _tick_label(t, step), size=8, anchor="middle") for t in ticks)
        if value_title:
            parts.append(_text(ox + BAR_PLOT_W / 2, axis_y + 23, value_title, size=8, anchor="middle", bold=True))
        y0 = axis_y + (34 if value_title else 22)
    return _chart(parts, y0)
