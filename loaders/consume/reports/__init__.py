"""`adwh report daily|weekly|monthly --client C`: a client report (HTML or PDF) from the marts.

data.py reads the marts (every figure is a mart column; the queries filter, order and limit,
they do not recompute metrics), charts.py draws SVG with matplotlib, render.py fills the HTML
template and prints the PDF with WeasyPrint.
"""

from loaders.consume.reports.render import render_report

__all__ = ["render_report"]
