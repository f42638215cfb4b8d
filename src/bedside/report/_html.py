"""The self-contained HTML report: one file, inline CSS and SVG, no scripts, no network.

Autoescaping is on for every value, so transcript text (which may contain `<script>` or quotes)
is shown, never run; a Content-Security-Policy meta tag also forbids loading anything.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bedside.model import AnalysisReport
from bedside.report._view import build_view

__all__ = ["render_html"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("bedside.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: AnalysisReport) -> str:
    """One consultation's report as a complete, self-contained HTML page."""
    template = _environment().get_template("report.html")
    return template.render(v=build_view(report))
