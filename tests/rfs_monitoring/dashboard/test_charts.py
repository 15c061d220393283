"""The charts' data and the human labels of spans: steps by outcome, captions."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from rfs_monitoring.dashboard.charts import (
    OUTCOMES,
    ChartPoint,
    chart_data,
    chart_json,
    chart_point,
)
from rfs_monitoring.dashboard.labels import duration_label, step_label, window_label
from rfs_monitoring.metrics import SeriesPoint

BASE = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def step(index: int, requests: int = 0, **kwargs: int | float | None) -> SeriesPoint:
    """The 10 s step number ``index`` after BASE."""
    fields: dict[str, int | float | None] = {
        "failures": 0,
        "p50_ms": None,
        "p90_ms": None,
        "p99_ms": None,
        **kwargs,
    }
    return SeriesPoint(
        start=BASE + dt.timedelta(seconds=10 * index),
        seconds=10.0,
        requests=requests,
        **fields,  # type: ignore[arg-type]
    )


class TestWindowLabel:
    @pytest.mark.parametrize(
        ("seconds", "expected"),
        [
            (0, "last 0 s"),
            (45, "last 45 s"),
            (59.4, "last 59 s"),
            (60, "last 1 min"),
            (122, "last 2 min"),
            (2.03333 * 60, "last 2 min"),
            (300, "last 5 min"),
            (3599, "last 1 h"),
            (3600, "last 1 h"),
            (5400, "last 1 h 30 min"),
            (6 * 3600, "last 6 h"),
            (86400, "last 1 day"),
            (86400 + 3 * 3600, "last 1 day 3 h"),
            (7 * 86400, "last 7 days"),
        ],
    )
    def test_spans_are_named_in_whole_units(self, seconds: float, expected: str) -> None:
        assert window_label(seconds) == expected

    def test_a_timedelta_is_accepted(self) -> None:
        assert window_label(dt.timedelta(minutes=15)) == "last 15 min"

    def test_steps_are_named_too(self) -> None:
        assert step_label(10.0) == "10 s steps"
        assert step_label(120.0) == "2 min steps"

    @pytest.mark.parametrize("bad", [-1.0, float("nan")])
    def test_a_negative_or_nan_span_is_refused(self, bad: float) -> None:
        with pytest.raises(ValueError, match="a span must be a number of seconds >= 0"):
            duration_label(bad)


class TestChartPoint:
    def test_the_outcomes_add_up_to_the_requests(self) -> None:
        point = chart_point(
            step(
                0,
                requests=20,
                failures=9,
                client_errors=4,
                server_errors=2,
                timeouts=2,
                cancelled=1,
                p50_ms=5.0,
                p90_ms=9.0,
                p99_ms=4000.0,
            )
        )
        assert point == ChartPoint(
            t=int(BASE.timestamp() * 1000),
            stamp="12:00:00",
            requests=20,
            success=11,
            client_errors=4,
            server_errors=2,
            timeouts=2,
            cancelled=1,
            p50=5.0,
            p90=9.0,
            p99=4000.0,
            availability=16 / 20,
        )
        assert sum(getattr(point, name) for name in OUTCOMES) == point.requests

    def test_failures_the_split_does_not_explain_show_as_server_faults(self) -> None:
        point = chart_point(step(0, requests=3, failures=3, client_errors=1))
        assert (point.client_errors, point.server_errors) == (1, 2)

    def test_a_quiet_step_has_no_figures(self) -> None:
        point = chart_point(step(0))
        assert (point.p50, point.availability, point.requests) == (None, None, 0)


class TestChartData:
    def test_the_caption_names_span_steps_and_subject(self) -> None:
        data = chart_data([step(i) for i in range(30)], "all operations")
        assert data.caption == "last 5 min · 10 s steps · all operations"
        assert data.step_seconds == 10.0
        assert [p.stamp for p in data.points][:2] == ["12:00:00", "12:00:10"]

    def test_no_steps_is_an_empty_chart(self) -> None:
        data = chart_data([], "a")
        assert (data.window, data.step, data.points) == ("last 0 s", "0 s steps", [])


class TestChartJson:
    def test_it_is_asdict_of_the_chart(self) -> None:
        steps = [step(0), step(1, requests=4, failures=1, p50_ms=2.0, p90_ms=3.5, p99_ms=9.0)]
        chart = chart_data(steps, "checkout")
        assert chart_json(chart) == dataclasses.asdict(chart)
        assert chart_json(chart)["points"][0]["p50"] is None

    def test_an_empty_chart(self) -> None:
        chart = chart_data([], "all operations")
        assert chart_json(chart) == dataclasses.asdict(chart)
