"""The chart view-model: coordinates, gaps, axis labels, trimming of quiet steps."""

from __future__ import annotations

import datetime as dt

from rfs_monitoring.dashboard.charts import ChartSeries, chart_view
from rfs_monitoring.dashboard.view import trim_leading_quiet
from rfs_monitoring.metrics import SeriesPoint


def step(start: dt.datetime, value: float | None, requests: int = 1) -> SeriesPoint:
    """One chart step of 10 s whose percentiles are all ``value``."""
    return SeriesPoint(
        start=start,
        seconds=10.0,
        requests=requests,
        failures=0,
        p50_ms=value,
        p90_ms=value,
        p99_ms=value,
    )


P50 = [ChartSeries("p50", "p50", lambda p: p.p50_ms)]


class TestChartView:
    def points(self, *values: float | None) -> list[SeriesPoint]:
        base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        return [step(base + dt.timedelta(seconds=10 * i), v) for i, v in enumerate(values)]

    def test_gaps_split_the_line(self) -> None:
        chart = chart_view(self.points(1.0, None, 3.0, 4.0), P50, chart_id="c", unit=" ms")
        (line,) = chart.lines
        assert len(line.segments) == 2
        assert len(line.dots) == 3
        assert chart.points == 3
        # The axis goes up to a round number above the maximum.
        assert chart.grid[-1].text == "5 ms"
        assert chart.empty_at is None

    def test_single_point_is_centred(self) -> None:
        chart = chart_view(self.points(7.0), P50, chart_id="c", unit="", y_max=10.0)
        assert chart.lines[0].dots[0].x == 322.0
        assert chart.grid[-1].text == "10"

    def test_large_values_round_the_axis(self) -> None:
        chart = chart_view(self.points(1234.0), P50, chart_id="c", unit="")
        assert chart.grid[-1].text == "2000"

    def test_time_labels_at_both_ends_and_the_middle(self) -> None:
        chart = chart_view(self.points(1.0, 2.0, 3.0), P50, chart_id="c", unit="")
        labels = [(label.text, label.anchor) for label in chart.x_labels]
        assert labels == [("00:00:00", "start"), ("00:00:10", "middle"), ("00:00:20", "end")]

    def test_no_values_is_an_empty_chart(self) -> None:
        chart = chart_view(self.points(None, None), P50, chart_id="c", unit="")
        assert chart.points == 0
        assert chart.empty_at == (322.0, 101.0)
        assert chart.lines[0].segments == []

    def test_quiet_leading_steps_are_trimmed_down_to_the_minimum(self) -> None:
        points = self.points(None, None, None, 1.0, 2.0)
        quiet = [step(p.start, None, requests=0) for p in points[:3]]
        busy = quiet + points[3:]
        assert trim_leading_quiet(busy, 2) == points[3:]
        assert trim_leading_quiet(busy, 4) == busy[1:]
        assert trim_leading_quiet(quiet, 1) == quiet[2:]
