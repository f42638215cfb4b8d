"""Reports a person wants to read: a self-contained HTML page and a terminal summary.

Renders an `AnalysisReport` only (no I/O, no engine): `render_html(report) -> str`,
`render_text(report) -> str` and `text_renderable(report)` for a Rich console.
"""

from bedside.report._honesty import validity_line
from bedside.report._html import render_html, render_html_body, scoped_css
from bedside.report._text import render_text, text_renderable
from bedside.report._view import ReportView, build_view

__all__ = [
    "ReportView",
    "build_view",
    "render_html",
    "render_html_body",
    "render_text",
    "scoped_css",
    "text_renderable",
    "validity_line",
]
