"""The data of the dashboard's charts: one plain record per time step, labelled for humans.

``chart_data`` turns the collector's steps (``ResultMetricsCollector.series``) into what the
page draws (``static/charts.js``): the latency percentiles (log axis), the
request volume stacked by outcome (success, client error, server error, timeout, cancelled)
and the availability. No coordinates here: the script lays the charts out at the size the
browser gives them; this module only says what the steps hold and how to name the span.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from rfs_monitoring.dashboard.labels import step_label, window_label
from rfs_monitoring.metrics import SeriesPoint

__all__ = ["OUTCOMES", "ChartData", "ChartPoint", "chart_data", "chart_json", "chart_point"]

OUTCOMES: tuple[str, ...] = ("success", "client_errors", "server_errors", "timeouts", "cancelled")
"""The stacked outcomes of the volume chart, bottom first (their sum is ``requests``)."""


@dataclasses.dataclass(frozen=True)
class ChartPoint:
    """One time step: when it started and what it held.

    ``t`` is the step's start in epoch milliseconds and ``stamp`` its UTC clock time; the
    outcome counts add up to ``requests``; the quantiles and ``availability`` are None when
    the step had no requests.
    """

    t: int
    stamp: str
    requests: int
    success: int
    client_errors: int
    server_errors: int
    timeouts: int
    cancelled: int
    p50: float | None
    p90: float | None
    p99: float | None
    availability: float | None


@dataclasses.dataclass(frozen=True)
class ChartData:
    """The charts of one window: the labels of its span and its steps, oldest first."""

    window: str
    step: str
    subject: str
    step_seconds: float
    points: list[ChartPoint]

    @property
    def caption(self) -> str:
        """ "last 1 h · 2 min steps · all operations"."""
        return f"{self.window} · {self.step} · {self.subject}"


def chart_point(point: SeriesPoint) -> ChartPoint:
    """One of the collector's steps as the charts read it."""
    client = point.client_errors
    server = point.server_errors
    timeouts = point.timeouts
    cancelled = point.cancelled
    # whatever the fault split does not account for is shown as a server fault, never lost
    unsplit = point.failures - (client + server + timeouts + cancelled)
    return ChartPoint(
        t=int(point.start.timestamp() * 1000),
        stamp=point.start.strftime("%H:%M:%S"),
        requests=point.requests,
        success=point.requests - point.failures,
        client_errors=client,
        server_errors=server + max(0, unsplit),
        timeouts=timeouts,
        cancelled=cancelled,
        p50=point.p50_ms,
        p90=point.p90_ms,
        p99=point.p99_ms,
        availability=point.availability,
    )


def chart_data(points: Sequence[SeriesPoint], subject: str) -> ChartData:
    """The charts of ``points`` (oldest first) about ``subject`` ("all operations", a name).

    The labels name the span the steps cover ("last 5 min") and their width ("10 s
    steps"), rounded to whole units.
    """
    step = points[0].seconds if points else 0.0
    return ChartData(
        window=window_label(step * len(points)),
        step=step_label(step),
        subject=subject,
        step_seconds=step,
        points=[chart_point(p) for p in points],
    )


_POINT_FIELDS = tuple(f.name for f in dataclasses.fields(ChartPoint))


def chart_json(chart: ChartData) -> dict[str, Any]:
    """``chart`` as plain JSON data: ``dataclasses.asdict(chart)``, built without its deep
    copies (every field is a number, a string or None)."""
    return {
        "window": chart.window,
        "step": chart.step,
        "subject": chart.subject,
        "step_seconds": chart.step_seconds,
        "points": [{name: getattr(p, name) for name in _POINT_FIELDS} for p in chart.points],
    }
