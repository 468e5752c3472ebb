"""Server-side SVG charts (pygal, a kept library) that read well on screen and on paper.

Charts are rendered without pygal's JavaScript (the page's policy allows no inline script,
and a printed chart needs none): values are printed on the bars, colours are distinct in
greyscale too, and the page's table carries the same numbers for whoever cannot read a
chart.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)

#: Dark-to-light colours that stay apart when printed in black and white.
PRINTABLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#000",
    foreground_subtle="#666",
    opacity="1",
    opacity_hover="1",
    colors=("#b2182b", "#2166ac", "#999999", "#1b7837", "#762a83", "#e08214", "#4d4d4d"),
    font_family="sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=16,
    tooltip_font_size=12,
)


def _config(title: str, height: int) -> dict[str, object]:
    return {
        "title": title,
        "style": PRINTABLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 900,
        "height": height,
        "print_values": True,
        "print_zeroes": False,
        "legend_at_bottom": True,
        "truncate_label": 30,
        "explicit_size": False,
    }


def _svg(chart: pygal.graph.graph.Graph) -> Markup:
    # pygal writes the SVG with lxml, which escapes every label and title it is given.
    return Markup(_SCRIPT.sub("", chart.render(is_unicode=True)))  # noqa: S704


def stacked_bars(title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]]) -> Markup:
    """One horizontal bar per label, stacked by series (e.g. agencies × plan states)."""
    return _rendered("stacked", title, tuple(labels), _frozen(series))


def grouped_bars(
    title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> Markup:
    """Bars side by side per label (e.g. median, 90th percentile and limit of a step)."""
    return _rendered("grouped", title, tuple(labels), _frozen(series))


def _frozen(series: Mapping[str, Sequence[float | None]]) -> tuple[tuple[str, tuple], ...]:
    return tuple((name, tuple(values)) for name, values in series.items())


@functools.lru_cache(maxsize=128)
def _rendered(
    kind: str, title: str, labels: tuple[str, ...], series: tuple[tuple[str, tuple], ...]
) -> Markup:
    """The chart's SVG, kept per distinct input: pygal takes about 100 ms a chart, and the
    figures of a dashboard stay the same between most of its views (a leader opens it,
    prints it, comes back to it)."""
    if kind == "stacked":
        chart = pygal.HorizontalStackedBar(**_config(title, max(260, 60 + 34 * len(labels))))
    else:
        chart = pygal.HorizontalBar(**_config(title, max(260, 60 + 30 * len(labels) * len(series))))
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _svg(chart)
