"""The view-model of the dashboard's line charts: plain data the SVG template draws.

``chart_view`` places a chart's series (latency percentiles, success rate) over the
collector's time steps: grid, axis labels, one polyline per run of steps with requests (a
step without requests breaks the line) and one dot per value. It computes coordinates
only; ``templates/charts.html`` turns them into SVG.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from rfs_monitoring.metrics import SeriesPoint

__all__ = [
    "LATENCY_SERIES",
    "SUCCESS_SERIES",
    "AxisLabel",
    "ChartLine",
    "ChartSeries",
    "ChartView",
    "Dot",
    "chart_view",
    "nice_ceiling",
]


@dataclasses.dataclass(frozen=True)
class ChartSeries:
    """One line of a chart: its legend name, its CSS key and how to read it off a step."""

    name: str
    key: str
    value: Callable[[SeriesPoint], float | None]


LATENCY_SERIES: tuple[ChartSeries, ...] = (
    ChartSeries("p50", "p50", lambda p: p.p50_ms),
    ChartSeries("p90", "p90", lambda p: p.p90_ms),
    ChartSeries("p99", "p99", lambda p: p.p99_ms),
)
SUCCESS_SERIES: tuple[ChartSeries, ...] = (
    ChartSeries("success rate", "success", lambda p: p.success_rate),
)


@dataclasses.dataclass(frozen=True)
class AxisLabel:
    """A label's ``text`` at (x, y); ``anchor`` is SVG's ``text-anchor``."""

    x: float
    y: float
    text: str
    anchor: str = "end"


@dataclasses.dataclass(frozen=True)
class Dot:
    """One value of a series at (x, y), with what its tooltip says."""

    x: float
    y: float
    value: float
    stamp: str


@dataclasses.dataclass(frozen=True)
class ChartLine:
    """One series: its unbroken runs of (x, y) points and its dots."""

    name: str
    key: str
    segments: list[list[tuple[float, float]]]
    dots: list[Dot]


@dataclasses.dataclass(frozen=True)
class ChartView:
    """Everything the chart template draws, in SVG user units."""

    chart_id: str
    width: int
    height: int
    unit: str
    points: int
    plot_left: float
    plot_right: float
    plot_top: float
    grid: list[AxisLabel]
    x_labels: list[AxisLabel]
    empty_at: tuple[float, float] | None
    lines: list[ChartLine]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``value`` (1 for <= 0)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value:
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 12, 30


class _Frame:
    """Maps step indexes and values to SVG coordinates."""

    __slots__ = ("ceiling", "count", "height", "plot_h", "plot_w")

    def __init__(self, width: int, height: int, count: int, ceiling: float) -> None:
        self.plot_w = width - _LEFT - _RIGHT
        self.plot_h = height - _TOP - _BOTTOM
        self.height = height
        self.count = count
        self.ceiling = ceiling

    def x(self, index: int) -> float:
        if self.count > 1:
            return _LEFT + self.plot_w * index / (self.count - 1)
        return _LEFT + self.plot_w / 2

    def y(self, value: float) -> float:
        return _TOP + self.plot_h - self.plot_h * min(value, self.ceiling) / self.ceiling

    def grid(self, unit: str) -> list[AxisLabel]:
        rows = []
        for i in range(5):
            y = _TOP + self.plot_h - self.plot_h * i / 4
            rows.append(AxisLabel(_LEFT - 6, y, f"{self.ceiling * i / 4:g}{unit}"))
        return rows

    def x_labels(self, stamps: Sequence[str]) -> list[AxisLabel]:
        labels = []
        last = self.count - 1
        for index in sorted({0, self.count // 2, last}) if self.count else []:
            anchor = "start" if index == 0 else "end" if index == last else "middle"
            labels.append(AxisLabel(self.x(index), self.height - 10, stamps[index], anchor))
        return labels


def _line(
    series: ChartSeries, column: list[float | None], frame: _Frame, stamps: list[str]
) -> ChartLine:
    segments: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float]] = []
    dots = []
    for index, value in enumerate(column):
        if value is None:
            if run:
                segments.append(run)
            run = []
            continue
        x, y = frame.x(index), frame.y(value)
        run.append((x, y))
        dots.append(Dot(x, y, value, stamps[index]))
    if run:
        segments.append(run)
    return ChartLine(series.name, series.key, segments, dots)


def chart_view(
    points: Sequence[SeriesPoint],
    series: Sequence[ChartSeries],
    *,
    chart_id: str,
    unit: str,
    y_max: float | None = None,
    scale: float = 1.0,
    width: int = 600,
    height: int = 220,
) -> ChartView:
    """The chart of ``series`` over ``points`` (oldest first), values times ``scale``.

    The y axis runs from 0 to ``y_max``, or to ``nice_ceiling`` of the largest value.
    """
    columns = [[None if (v := s.value(p)) is None else v * scale for p in points] for s in series]
    present = [v for column in columns for v in column if v is not None]
    ceiling = y_max if y_max is not None else nice_ceiling(max(present, default=0.0))
    frame = _Frame(width, height, len(points), ceiling)
    stamps = [p.start.strftime("%H:%M:%S") for p in points]
    empty_at = None if present else (_LEFT + frame.plot_w / 2, _TOP + frame.plot_h / 2)
    return ChartView(
        chart_id=chart_id,
        width=width,
        height=height,
        unit=unit,
        points=len(present),
        plot_left=_LEFT,
        plot_right=_LEFT + frame.plot_w,
        plot_top=_TOP,
        grid=frame.grid(unit),
        x_labels=frame.x_labels(stamps),
        empty_at=empty_at,
        lines=[_line(s, c, frame, stamps) for s, c in zip(series, columns, strict=True)],
    )
