"""The document pipeline: a Jinja2 template and its context to a PDF.

- Charts: the pages' Vega-Lite specifications drawn as SVG, put in the HTML as an image: line and
  bar charts by :mod:`ever6.web.documents.print_chart` (the same specification, drawn for the page
  in a fraction of the time), any other by ``vl-convert`` (no browser); every chart is followed by its
  table in the template (``documents/_figure.html``), so nothing is only in the chart.
- Print stylesheet: ``static/ever6/print.css``, the same file the web pages link for printing,
  parsed once a process and given to WeasyPrint with one font configuration for every document
  (a governors' pack run makes hundreds); it sets the page numbers and repeats the classification
  line, date and title on every page.
- WeasyPrint and vl-convert load on first use: importing this module costs nothing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ever6.web.documents.print_chart import WIDTH as CHART_UNITS
from ever6.web.documents.print_chart import Label, draw, drawable
from ever6.web.settings import WEB_DIR

PRINT_CSS = WEB_DIR / "static" / "ever6" / "print.css"
# Liberation Sans has Arial's metrics, so text measured for the chart fits where it is drawn.
FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/fonts/truetype/liberation2"))

# A chart spans the page between print.css's margins: A4's 210 mm less 16 mm each side, in points.
CHART_WIDTH_PT = (210 - 2 * 16) / 25.4 * 72

INTERNAL = "Internal: for the Virtual School only"
SHARED = "Shared: figures with disclosure control applied"


@dataclass(frozen=True)
class Masthead:
    """What every document says about itself: on its first page and, in the margins, on every page."""

    title: str
    classification: str
    made_on: date
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


@cache
def print_css() -> str:
    return PRINT_CSS.read_text(encoding="utf-8")


@cache
def _weasyprint() -> tuple[Any, Any, Any]:
    """WeasyPrint's module, the font configuration and the parsed print stylesheet, made once a
    process and shared by every document it renders."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return weasyprint, fonts, weasyprint.CSS(string=print_css(), font_config=fonts)


@cache
def _vl_convert() -> Any:
    import vl_convert

    for directory in FONT_DIRS:
        if directory.is_dir():
            vl_convert.register_font_directory(str(directory))
    return vl_convert


def warm() -> None:
    """Load WeasyPrint, the fonts and the stylesheet now (before forking workers that share them)."""
    _weasyprint()


def _img(svg: str, alt: str) -> Markup:
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img src="data:image/svg+xml;base64,{}" alt="{}">').format(encoded, alt)


def _label(label: Label, scale: float) -> Markup:
    """A chart's text, laid out by WeasyPrint as the document's own text at the label's place: its
    baseline where the SVG's would be (Arial's ascent, 0.905 em, less half of the line's -0.117 em
    leading, so 0.8465 em below the top of a line 1 em high)."""
    size = label.size * scale
    top = (label.y - 0.8465 * label.size) * scale
    if label.anchor == "end":
        where = f"right:{(CHART_UNITS - label.x) * scale:.2f}pt"
    elif label.anchor == "middle":
        where = f"left:{(label.x - 60) * scale:.2f}pt;width:{120 * scale:.2f}pt;text-align:center"
    else:
        where = f"left:{label.x * scale:.2f}pt"
    bold = ";font-weight:bold" if label.bold else ""  # numbers and fixed words: escaping leaves them as they are
    return Markup('<span style="top:{:.2f}pt;{};font-size:{:.2f}pt{}">{}</span>').format(
        top, where, size, bold, label.text
    )


def chart_svg(spec: dict[str, Any] | None) -> Markup:
    """The chart, empty when there is none to draw. A line or bar chart (:mod:`print_chart`) is an
    ``<img>`` of its shapes with its text over it as the document's text: WeasyPrint lays out SVG
    text a letter at a time, and inline SVG in about twice the time of an image. Any other chart is
    vl-convert's SVG, as an image."""
    if spec is None:
        return Markup("")
    description = str(spec.get("description", ""))
    if not drawable(spec):
        svg: str = _vl_convert().vegalite_to_svg(spec)
        return Markup('<div class="ever6-doc-chart">{}</div>').format(_img(svg, description))
    chart = draw(spec)
    scale = CHART_WIDTH_PT / chart.width  # points a chart unit
    labels = Markup("").join(_label(label, scale) for label in chart.labels)
    return Markup('<div class="ever6-doc-chart" role="img" aria-label="{}">{}{}</div>').format(
        description, _img(chart.svg(labels=False), ""), labels
    )


def render_html(template: str, context: dict[str, Any]) -> str:
    """The document's HTML, from the service's Jinja2 templates."""
    from django.template.loader import render_to_string

    return render_to_string(template, context)


def html_to_pdf(html: str) -> bytes:
    """The one place HTML becomes a PDF. A document loads nothing from the network: only inline
    (``data:``) and local files."""
    weasyprint, fonts, stylesheet = _weasyprint()
    local_only = weasyprint.URLFetcher(allowed_protocols={"data", "file"})
    document = weasyprint.HTML(string=html, base_url=str(WEB_DIR), url_fetcher=local_only)
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
    return pdf


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    return html_to_pdf(render_html(template, context))
