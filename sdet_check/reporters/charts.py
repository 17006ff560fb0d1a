"""Geometry of the inline SVG charts of the reports: numbers in, shapes out.

Templates draw what these functions compute, so the arithmetic is tested in Python and
the markup stays simple. Every bar carries its value as text: a chart never relies on
colour alone, and the same figures sit in a table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sdet_check.labels import status_short
from sdet_check.reporters.document import localized_percent

WIDTH = 640.0
"""Width of a chart's viewBox; charts scale to the page width."""
LABEL_WIDTH = 150.0
BAR_WIDTH = 280.0
VALUE_X = LABEL_WIDTH + BAR_WIDTH + 8
ROW_HEIGHT = 22.0
BAR_HEIGHT = 14.0

STATUS_FILL = {
    "pass": "#2e7d4f",
    "fail": "#b42318",
    "not_applicable": "#667085",
    "not_tested": "#6b5bb5",
    "error": "#a2195f",
    "manual": "#2f6db3",
}
"""Fill of each status in charts (text labels are drawn in white or dark ink on top)."""
SERIES_FILL = {
    "must": "#1d3557",
    "should": "#5a7fa8",
    "pratique": "#1d3557",
    "theorique": "#c9a227",
}
COVERAGE_FILL = {"passed": "#2e7d4f", "failed": "#b42318", "undecided": "#eef1f5"}
"""Fills of a coverage bar: passes, failures, and the track of what is not decided."""


@dataclass(frozen=True)
class Segment:
    """One status of a stacked bar."""

    x: float
    width: float
    status: str
    count: int
    fill: str
    text: str
    """Drawn inside the segment when it is wide enough, else empty."""


@dataclass(frozen=True)
class StackedRow:
    """One stacked bar: an axis (or the whole run) and its counts per status."""

    label: str
    y: float
    total: int
    segments: tuple[Segment, ...]
    strong: bool = False


@dataclass(frozen=True)
class StackedChart:
    """Counts per status for each axis, as horizontal stacked bars."""

    height: float
    rows: tuple[StackedRow, ...]
    legend: tuple[tuple[str, str], ...]
    """(text, fill) for each status: its code and label."""


@dataclass(frozen=True)
class Bar:
    """One bar of a grouped chart: a series name, its value and the text drawn after it."""

    series: str
    label: str
    y: float
    width: float
    fill: str
    text: str
    hatched: bool = False


@dataclass(frozen=True)
class CoverageBar:
    """One level of one axis: what is applicable, what is decided, what passes.

    The full track stands for the applicable requirements; the decided share is drawn from
    its left end (outlined), and inside it the passes (solid) then the failures, so the pass
    rate is read as a part of what was decided, never as a part of the whole.
    """

    series: str
    label: str
    y: float
    decided_width: float
    passed_width: float
    failed_width: float
    text: str
    applicable: int
    decided: int
    passed: int


@dataclass(frozen=True)
class CoverageGroup:
    """The coverage bars of one axis (or of the whole run)."""

    label: str
    y: float
    bars: tuple[CoverageBar, ...]


@dataclass(frozen=True)
class CoverageChart:
    """Decided share and pass rate per axis and level, in one bar each."""

    height: float
    groups: tuple[CoverageGroup, ...]
    legend: tuple[tuple[str, str], ...]
    """(text, fill) of the three parts of a bar."""


@dataclass(frozen=True)
class BarGroup:
    """A group of bars under one heading (an axis)."""

    label: str
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class GroupedChart:
    """Percentages per axis, one bar per series, each labelled with its value."""

    height: float
    groups: tuple[BarGroup, ...]


def status_chart(
    rows: Sequence[tuple[str, Mapping[str, int], bool]],
    labels: Mapping[str, str],
    lang: str = "fr",
) -> StackedChart:
    """Stacked bars of ``(label, counts per status, strong)`` rows."""
    drawn = []
    y = 4.0
    for label, counts, strong in rows:
        total = sum(counts.values())
        x = LABEL_WIDTH
        segments = []
        for status in STATUS_FILL:
            count = counts.get(status, 0)
            if not count:
                continue
            width = BAR_WIDTH * count / total
            text = f"{status_short(status, lang=lang)} {count}"
            segments.append(
                Segment(
                    x=round(x, 2),
                    width=round(width, 2),
                    status=status,
                    count=count,
                    fill=STATUS_FILL[status],
                    text=text if width >= 7.0 * len(text) else "",
                )
            )
            x += width
        drawn.append(StackedRow(label, y, total, tuple(segments), strong))
        y += ROW_HEIGHT + 4
    legend = tuple(
        (_legend_text(status_short(s, lang=lang), labels[s]), fill)
        for s, fill in STATUS_FILL.items()
    )
    return StackedChart(height=y + 34, rows=tuple(drawn), legend=legend)


def _legend_text(code: str, label: str) -> str:
    return label if code.lower() == label.lower() else f"{code} {label}"


def grouped_chart(
    groups: Sequence[tuple[str, Sequence[tuple[str, str, float | None, str]]]],
    lang: str = "fr",
) -> GroupedChart:
    """Bars of percentages: ``(group label, [(series, series label, value, extra text)])``.

    ``None`` values draw no bar and read « — »; ``theorique`` bars are hatched so the two
    notes differ by more than their colour.
    """
    drawn = []
    y = 2.0
    for label, bars in groups:
        group_y = y
        y += 18
        shapes = []
        for series, series_label, value, extra in bars:
            text = localized_percent(value, lang) + (f" {extra}" if extra else "")
            shapes.append(
                Bar(
                    series=series,
                    label=series_label,
                    y=y,
                    width=round(BAR_WIDTH * (value or 0.0) / 100.0, 2),
                    fill=SERIES_FILL[series],
                    text=text,
                    hatched=series == "theorique",
                )
            )
            y += ROW_HEIGHT - 4
        drawn.append(BarGroup(label, group_y, tuple(shapes)))
        y += 8
    return GroupedChart(height=y + 4, groups=tuple(drawn))


def coverage_chart(
    groups: Sequence[tuple[str, Sequence[tuple[str, str, int, int, int, str]]]],
    legend: Sequence[tuple[str, str]] = (),
) -> CoverageChart:
    """Bars of ``(group label, [(series, label, passed, decided, applicable, text)])``.

    Counts out of range are clamped (passed ≤ decided ≤ applicable), so an edited record
    can never draw a bar longer than its track. A level with nothing applicable draws an
    empty track.
    """
    drawn = []
    y = 2.0
    for label, bars in groups:
        group_y = y
        y += 18
        shapes = []
        for series, series_label, passed, decided, applicable, text in bars:
            applicable = max(applicable, 0)
            decided = min(max(decided, 0), applicable)
            passed = min(max(passed, 0), decided)
            unit = BAR_WIDTH / applicable if applicable else 0.0
            decided_width = round(unit * decided, 2)
            passed_width = round(unit * passed, 2)
            shapes.append(
                CoverageBar(
                    series=series,
                    label=series_label,
                    y=y,
                    decided_width=decided_width,
                    passed_width=passed_width,
                    failed_width=round(max(decided_width - passed_width, 0.0), 2),
                    text=text,
                    applicable=applicable,
                    decided=decided,
                    passed=passed,
                )
            )
            y += ROW_HEIGHT - 4
        drawn.append(CoverageGroup(label, group_y, tuple(shapes)))
        y += 8
    height = y + (24 if legend else 4)
    return CoverageChart(height=height, groups=tuple(drawn), legend=tuple(legend))
