"""Charts as inline SVG, drawn on the server.

The console's CSP allows no script but its one nonce'd live-update script, and no remote
resources, so a charting library is out; SVG written here needs neither, prints, and scales
with the page (a viewBox, width 100%). Colours come from the console's stylesheet (classes
below), not from style attributes, which the CSP forbids. Every value is escaped by `render`.

Accessibility: the chart is one image (role="img") named by its <title> and <desc>; each
bar carries its own <title> (a tooltip with the exact figures), and the page puts the same
figures in a table beside the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.console.html import Html, join, render

WIDTH = 900.0  # viewBox units; the SVG scales to the width of its card
FONT = 12.0


@dataclass(frozen=True)
class Bar:
    label: str  # under the column (a day) or before the bar (a reason)
    value: float | None  # None: nothing to draw (a day without conversations)
    title: str  # the exact figures, shown on hover and read by assistive technology
    key: str = ""  # a data-key attribute, for tests and styling


def column_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    y_max: float,
    y_ticks: Sequence[tuple[float, str]],
    label_every: int = 1,
    height: float = 220.0,
) -> Html:
    """Vertical columns over a shared y axis from 0 to `y_max`, e.g. a rate per day.

    Only every `label_every`-th column is labelled (90 days do not fit 90 labels), counted from
    the last one (today), which always is. A column without a value gets a pale mark on the
    axis and a value of 0 a short bar, so that "no data" and "0%" do not look alike.
    """
    left, right, top, bottom = 44.0, 8.0, 10.0, 26.0
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    slot = plot_w / max(len(bars), 1)
    gap = min(slot * 0.2, 6.0)

    def y_of(value: float) -> float:
        share = min(max(value / y_max, 0.0), 1.0) if y_max > 0 else 0.0
        return top + plot_h * (1.0 - share)

    grid = join(
        render(
            '<line class="chart-grid" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>'
            '<text class="chart-tick" x="{tx}" y="{ty}" text-anchor="end">{label}</text>',
            x1=_n(left),
            x2=_n(WIDTH - right),
            y=_n(y_of(value)),
            tx=_n(left - 6),
            ty=_n(y_of(value) + FONT / 3),
            label=label,
        )
        for value, label in y_ticks
    )
    columns = []
    for index, bar in enumerate(bars):
        x = left + index * slot + gap / 2
        width = max(slot - gap, 1.0)
        if bar.value is None:
            shape = render(
                '<rect class="chart-none" x="{x}" y="{y}" width="{w}" height="3">'
                "<title>{title}</title></rect>",
                x=_n(x),
                y=_n(top + plot_h - 3),
                w=_n(width),
                title=bar.title,
            )
        else:
            y = min(y_of(bar.value), top + plot_h - 2.0)  # 0 still shows, as a short bar
            shape = render(
                '<rect class="chart-bar" data-key="{key}" x="{x}" y="{y}" width="{w}" '
                'height="{h}"><title>{title}</title></rect>',
                key=bar.key,
                x=_n(x),
                y=_n(y),
                w=_n(width),
                h=_n(top + plot_h - y),
                title=bar.title,
            )
        label = Html("")
        if (len(bars) - 1 - index) % label_every == 0:
            last = index == len(bars) - 1  # ends at the plot's edge rather than past it
            label = render(
                '<text class="chart-label" x="{x}" y="{y}" text-anchor="{anchor}">{text}</text>',
                x=_n(x + width if last else x + width / 2),
                anchor="end" if last else "middle",
                y=_n(height - 8),
                text=bar.label,
            )
        columns.append(Html(shape + label))
    axis = render(
        '<line class="chart-axis" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>',
        x1=_n(left),
        x2=_n(WIDTH - right),
        y=_n(top + plot_h),
    )
    return _svg(chart_id, title, description, height, Html(grid + join(columns) + axis))


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    label_width: float = 150.0,
    row_height: float = 30.0,
) -> Html:
    """Horizontal bars, one per category, each with its value written at its end."""
    left, right, top = label_width, 48.0, 6.0
    plot_w = WIDTH - left - right
    height = top * 2 + row_height * max(len(bars), 1)
    largest = max((bar.value or 0.0 for bar in bars), default=0.0)
    rows = []
    for index, bar in enumerate(bars):
        value = bar.value or 0.0
        y = top + index * row_height
        width = plot_w * value / largest if largest > 0 else 0.0
        rows.append(
            render(
                '<text class="chart-label" x="{lx}" y="{ty}" text-anchor="end">{label}</text>'
                '<rect class="chart-bar" data-key="{key}" x="{x}" y="{y}" width="{w}" '
                'height="{h}"><title>{title}</title></rect>'
                '<text class="chart-value" x="{vx}" y="{ty}">{value}</text>',
                lx=_n(left - 8),
                ty=_n(y + row_height / 2 + FONT / 3),
                label=bar.label,
                key=bar.key,
                x=_n(left),
                y=_n(y + row_height * 0.15),
                w=_n(max(width, 0.5)),  # a hairline for 0, so the row still has its bar
                h=_n(row_height * 0.7),
                title=bar.title,
                vx=_n(left + width + 6),
                value=f"{value:g}",
            )
        )
    return _svg(chart_id, title, description, height, join(rows))


def _svg(chart_id: str, title: str, description: str, height: float, content: Html) -> Html:
    return render(
        '<svg id="{id}" class="chart" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" '
        'xmlns="http://www.w3.org/2000/svg" font-size="{font}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        "{content}</svg>",
        id=chart_id,
        w=_n(WIDTH),
        h=_n(height),
        font=_n(FONT),
        title=title,
        desc=description,
        content=content,
    )


def _n(value: float) -> str:
    """A coordinate: one decimal is finer than a pixel at any sensible width."""
    return f"{value:.1f}".rstrip("0").rstrip(".")
