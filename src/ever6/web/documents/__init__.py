"""Documents for the people who act on the figures, as PDF: the governors' pack per school (and,
in time, the annual report). One pipeline (:mod:`ever6.web.documents.render`): HTML from the
service's Jinja2 templates with the print stylesheet, charts as SVG from the same Vega-Lite
specifications as the pages (:mod:`ever6.web.charts`), each followed by its table; WeasyPrint
turns the HTML into PDF.
"""
