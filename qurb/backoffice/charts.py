"""Charts drawn by the server as inline SVG: no chart library, no script, nothing the CSP
must allow. Colours are classes (``c0``…``c7`` in app.css), so the page's stylesheet owns
them and a printed page keeps them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 10, 10, 28
COLOURS = 8


@dataclass(frozen=True)
class Series:
    name: str
    values: Mapping[date, int]
    colour: int


def stacked_bars(
    days: Sequence[date],
    series: Sequence[Series],
    *,
    label: str,
    value_text: Callable[[int], str],
) -> Markup:
    """One bar per day, its series stacked; the axis shows the largest total. Each piece has
    a ``<title>`` (a tooltip, read by screen readers) with its series, day and value."""
    totals = [sum(s.values.get(d, 0) for s in series) for d in days]
    top = max([*totals, 1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days), 1)
    bar = max(step * 0.7, 1.0)
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/>',
        f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{escape(value_text(top))}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    label_every = max(1, len(days) // 10)
    for i, day in enumerate(days):
        x = LEFT + i * step + (step - bar) / 2
        y = float(TOP + plot_h)
        for s in series:
            value = s.values.get(day, 0)
            if value <= 0:
                continue
            h = plot_h * value / top
            y -= h
            tip = f"{s.name} — {day:%d/%m/%Y} — {value_text(value)}"
            parts.append(
                f'<rect class="c{s.colour % COLOURS}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(tip)}</title></rect>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
                f"{day:%d/%m}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built here from escaped pieces only
