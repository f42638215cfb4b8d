"""Small server-side SVG charts (no JavaScript, nothing to vendor).

Each chart carries a `<title>` and `<desc>` for screen readers; pages also print the numbers in
a table, so nothing is conveyed by the picture alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["line_chart"]

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 640, 220, 44, 12, 14, 30


def line_chart(
    values: Sequence[float | None],
    *,
    title: str,
    y_max: float,
    y_label: str = "",
    labels: Sequence[str] = (),
    colour: str = "#1f5f8b",
    bars: bool = False,
) -> Markup:
    """A line (or bar) chart of `values` from 0 to `y_max`; gaps where a value is None."""
    n = len(values)
    inner_w = WIDTH - PAD_L - PAD_R
    inner_h = HEIGHT - PAD_T - PAD_B
    y_max = y_max or 1.0

    def x(i: int) -> float:
        return PAD_L + (inner_w * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return PAD_T + inner_h * (1 - min(max(v / y_max, 0.0), 1.0))

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(title)}: {n} points, axis 0 to {y_max:g} {escape(y_label)}</desc>",
    ]
    for fraction in (0, 0.5, 1):
        value = y_max * fraction
        parts.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'class="grid"/>'
            f'<text x="{PAD_L - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="axis">'
            f"{value:g}</text>"
        )
    if bars:
        width = max(2.0, inner_w / max(n, 1) * 0.6)
        for i, v in enumerate(values):
            if v is not None:
                parts.append(
                    f'<rect x="{x(i) - width / 2:.1f}" y="{y(v):.1f}" width="{width:.1f}" '
                    f'height="{PAD_T + inner_h - y(v):.1f}" fill="{colour}"/>'
                )
    else:
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}"/>')
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
    step = max(1, n // 6)
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle" class="axis">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
