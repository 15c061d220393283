"""Truthful figures: throughput, failures by class, availability (exact values, fake clock)."""

from __future__ import annotations

import math

import pytest

from rfs_monitoring.errors import ErrorCode
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.metrics.figures import Recent, fault_counts, rate

from .support import T0, FakeClock, fail, metrics, ok


class TestThroughput:
    def test_a_burst_is_not_spread_over_the_whole_window(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        """200 calls in 0.1 s read as 200 in the last second, not 0.055/s over "1h"."""
        for i in range(200):
            clock.t = T0 + i * 0.0005
            ok(collector)
        clock.t = T0 + 0.1
        figures = metrics(collector, "op", "1h")
        assert figures.total_requests == 200
        assert figures.requests_per_second == 200.0  # over at least one second
        assert figures.current_requests_per_second == 200.0

    def test_the_rate_runs_from_the_first_sample_in_the_window(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for i in range(120):  # one call a second, at the middle of each second
            clock.t = T0 + i + 0.5
            ok(collector)
        clock.t = T0 + 120.5
        figures = metrics(collector, "op", "1h")
        assert figures.requests_per_second == 120 / 120.0
        # the last minute: [T0 + 60, now] holds the 60 calls from T0 + 60.5 on
        assert figures.current_requests_per_second == 60 / 60.0

    def test_an_hour_long_steady_stream(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for i in range(14400):  # two calls a second for two hours
            clock.t = T0 + 3 * 3600 + i * 0.5 + 0.25
            ok(collector)
        clock.t = T0 + 5 * 3600 + 0.25
        figures = metrics(collector, "op", "1h")
        # the window's minutes hold 7,200 calls from the first one, 0.25 s into them
        first = figures.window_start.timestamp() + 0.25
        assert figures.requests_per_second == figures.total_requests / (clock.t - first) == 2.0
        # the last minute's 120 calls, from its first (60 s ago) to now
        assert figures.current_requests_per_second == 120 / 60.0

    def test_no_calls_no_rate(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        ok(collector)
        clock.advance(7200)
        figures = metrics(collector, "op", "1h")
        assert (figures.requests_per_second, figures.current_requests_per_second) == (0.0, 0.0)

    def test_overall_counts_every_operation(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        clock.t = T0 + 10
        ok(collector, "a")
        clock.t = T0 + 40
        ok(collector, "b")
        ok(collector, "b")
        clock.t = T0 + 75
        figures = collector.dashboard("1h").unwrap().overall
        assert figures.requests_per_second == 3 / 65
        # the last minute, [T0 + 15, now], holds the two calls of T0 + 40
        assert figures.current_requests_per_second == 2 / 35

    def test_rate_rule(self) -> None:
        assert rate(0, math.inf, 0.0, 10.0) == 0.0
        assert rate(10, math.inf, 0.0, 10.0) == 1.0  # no first sample known: the start
        assert rate(10, 5.0, 0.0, 10.0) == 2.0
        assert rate(10, 9.9, 0.0, 10.0) == 10.0  # at least one second
        assert Recent(1, 3.0, 1.0).plus(Recent(2, 2.0, 0.0)) == Recent(3, 2.0, 0.0)


class TestFailureClasses:
    def test_client_errors_do_not_make_a_lookup_service_unavailable(
        self, collector: ResultMetricsCollector
    ) -> None:
        for _ in range(100):
            ok(collector)
        for _ in range(30):
            fail(collector, code="NOT_FOUND", message="user 7 not found")
        figures = metrics(collector, "op")
        assert figures.client_error_rate == 30 / 130
        assert figures.availability == 1.0
        assert figures.success_rate == 100 / 130
        assert (figures.client_errors, figures.server_errors) == (30, 0)

    def test_every_class_is_counted(self, collector: ResultMetricsCollector) -> None:
        for _ in range(10):
            ok(collector)
        fail(collector, code="INTERNAL_ERROR")
        fail(collector, code=None)  # no code: a server fault
        fail(collector, code="TIMEOUT")
        fail(collector, code="CANCELLED")
        fail(collector, code="CONFLICT")
        fail(collector, code="503")
        figures = metrics(collector, "op")
        assert figures.total_requests == 16
        assert (
            figures.client_errors,
            figures.server_errors,
            figures.timeouts,
            figures.cancelled,
        ) == (1, 3, 1, 1)
        assert figures.failed_requests == 6
        # cancelled calls count in the denominator and are not unavailable
        assert figures.availability == (16 - 3 - 1) / 16
        assert figures.client_error_rate == 1 / 16

    def test_no_calls_is_fully_available(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        ok(collector)
        clock.advance(7200)
        figures = metrics(collector, "op")
        assert (figures.availability, figures.client_error_rate) == (1.0, 0.0)

    def test_fault_counts_use_the_one_classification(self) -> None:
        counts = fault_counts(
            {"NOT_FOUND": 2, "not_found": 1, "429": 4, "TIMEOUT": 3, "CANCELLED": 5, "X": 7}
        )
        assert counts == (7, 7, 3, 5)
        assert ErrorCode.CANCELLED.http_status == 499

    def test_series_points_split_failures_by_class(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        clock.t = T0 + 0.5
        ok(collector)
        fail(collector, code="NOT_FOUND")
        fail(collector, code="INTERNAL_ERROR")
        clock.t = T0 + 1.5
        fail(collector, code="TIMEOUT")
        fail(collector, code="CANCELLED")
        clock.t = T0 + 2.5
        points = collector.series("op", 3, points=3)
        assert [(p.requests, p.failures) for p in points] == [(3, 2), (2, 2), (0, 0)]
        first, second, empty = points
        assert (first.client_errors, first.server_errors, first.availability) == (1, 1, 2 / 3)
        assert (second.timeouts, second.cancelled, second.availability) == (1, 1, 1 / 2)
        assert empty.availability is None


class TestRollingWindows:
    """The merged minutes of "5m", "15m", "1h" give the figures of the samples they cover."""

    @pytest.mark.parametrize("time_range", ["5m", "15m", "1h"])
    @pytest.mark.parametrize("offset", [0.0, 17.25, 59.5])
    def test_figures_match_the_samples_in_the_covered_span(
        self, time_range: str, offset: float
    ) -> None:
        clock = FakeClock()
        collector = ResultMetricsCollector(clock, resources=lambda: (None, None))
        samples: list[tuple[float, float, bool]] = []
        for i in range(3 * 3600 // 7):  # a call every 7 s for 3 hours, with quiet gaps
            if (i // 40) % 5 == 3:
                continue
            t = T0 + i * 7 + 0.3
            ms = 1.0 + (i * 37) % 250
            failed = i % 11 == 0
            clock.t = t
            if failed:
                fail(collector, code="NOT_FOUND" if i % 2 else "INTERNAL_ERROR")
                ms = 5.0
            else:
                ok(collector, ms=ms)
            samples.append((t, ms, failed))
            if i % 97 == 0:  # queries along the way roll the windows too
                metrics(collector, "op", time_range)
        clock.t = T0 + 3 * 3600 + offset
        figures = metrics(collector, "op", time_range)
        start = figures.window_start.timestamp()
        inside = [s for s in samples if start <= s[0] <= clock.t]
        assert figures.total_requests == len(inside)
        assert figures.failed_requests == sum(1 for s in inside if s[2])
        assert figures.max_response_time_ms == max(s[1] for s in inside)
        assert figures.avg_response_time_ms == pytest.approx(
            sum(s[1] for s in inside) / len(inside)
        )
        ordered = sorted(s[1] for s in inside)
        exact = ordered[math.floor(0.5 * (len(ordered) - 1))]
        assert figures.p50_response_time_ms == pytest.approx(exact, rel=0.01)
        hours: dict[int, int] = {}
        for t, _, _ in inside:
            hours[int(t // 3600) % 24] = hours.get(int(t // 3600) % 24, 0) + 1
        assert figures.hourly_distribution == dict(sorted(hours.items()))
