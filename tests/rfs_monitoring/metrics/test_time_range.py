"""The one time-range parser, and the windows queries cover."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from rfs_monitoring import APIError, ErrorCode, Failure, Success
from rfs_monitoring.metrics import (
    ACCEPTED_TIME_RANGES,
    ResultMetricsCollector,
    parse_time_range,
)

from .support import T0, FakeClock, metrics, ok, utc


class TestParseTimeRange:
    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            ("1m", 60),
            ("5m", 300),
            ("15m", 900),
            ("1h", 3600),
            ("6h", 21600),
            ("1d", 86400),
            ("1w", 604800),
            ("30d", 2592000),
            (" 1h ", 3600),
            (90, 90),
            (0.5, 0.5),
            (1e-6, 1e-6),  # a microsecond: the finest a timedelta holds
            (dt.timedelta(minutes=3), 180),
        ],
    )
    def test_accepted_forms(self, value: object, seconds: float) -> None:
        assert parse_time_range(value) == Success(dt.timedelta(seconds=seconds))

    @pytest.mark.parametrize(
        "value",
        [
            *("2h", "", "1H", "hour", 0, -5, math.nan, math.inf, True, None, dt.timedelta(0)),
            *([1], 1e-7, 5e-324),  # below a microsecond: an empty window, not a 500
        ],
    )
    def test_anything_else_is_a_validation_failure_naming_the_accepted_forms(
        self, value: object
    ) -> None:
        result = parse_time_range(value)
        assert result == Failure(
            APIError(
                ErrorCode.VALIDATION_ERROR,
                f"time_range {value!r} is not accepted; use {ACCEPTED_TIME_RANGES}",
                {"value": repr(value), "field": "time_range"},
            )
        )

    def test_the_message_in_full(self) -> None:
        error = parse_time_range("2h").unwrap_error()
        assert error.message == (
            'time_range \'2h\' is not accepted; use "1m", "5m", "15m", "1h", "6h", '
            '"1d", "1w", "30d" (with an archive), a number of seconds >= 0.000001, or a '
            "datetime.timedelta > 0"
        )
        assert error.http_status == 422

    @pytest.mark.asyncio
    async def test_a_bad_range_fails_the_query(self, collector: ResultMetricsCollector) -> None:
        ok(collector)
        result = await collector.get_operation_metrics("op", time_range="yesterday")
        assert result.unwrap_error().code is ErrorCode.VALIDATION_ERROR
        assert (await collector.overall("nope")).is_failure()
        assert (await collector.top_errors(time_range=-1)).is_failure()

    def test_longer_than_the_retention_needs_an_archive(
        self, collector: ResultMetricsCollector
    ) -> None:
        error = collector.operation_metrics("op", "30d").unwrap_error()
        assert error.message == (
            "time_range '30d' is not accepted; it is longer than the in-memory retention "
            "(7 days); configure an archive (rfs_monitoring.archive.MetricsArchive) to query "
            f"further back, or use {ACCEPTED_TIME_RANGES}"
        )

    def test_number_and_timedelta_windows_are_labelled_in_seconds(
        self, collector: ResultMetricsCollector
    ) -> None:
        ok(collector)
        assert metrics(collector, "op", 90).time_window == "90s"
        assert metrics(collector, "op", dt.timedelta(hours=2)).time_window == "7200s"
        assert metrics(collector, "op", "15m").time_window == "15m"


class TestWindows:
    AGES = (30, 4 * 60, 10 * 60, 50 * 60, 5 * 3600, 20 * 3600, 6 * 86400)

    @pytest.fixture
    def aged(self, collector: ResultMetricsCollector, clock: FakeClock) -> ResultMetricsCollector:
        """One sample at each age in AGES (seen from T0 + 8 days + 12 h 30 min 30 s)."""
        now = T0 + 8 * 86400 + 12 * 3600 + 30 * 60 + 30
        clock.t = now - 8 * 86400
        ok(collector)  # older than the retention by the time of the query
        for age in sorted(self.AGES, reverse=True):
            clock.t = now - age
            ok(collector)
        clock.t = now
        return collector

    @pytest.mark.parametrize(
        ("time_range", "expected"),
        [("1m", 1), ("5m", 2), ("15m", 3), ("1h", 4), ("6h", 5), ("1d", 6), ("1w", 7)],
    )
    def test_each_window_counts_only_its_samples(
        self, aged: ResultMetricsCollector, time_range: str, expected: int
    ) -> None:
        assert metrics(aged, "op", time_range).total_requests == expected

    def test_window_bounds_are_the_buckets_used(
        self, aged: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        now = clock.t
        one_minute = metrics(aged, "op", "1m")
        assert one_minute.window_end == utc(now)
        assert one_minute.window_start == utc(now - 60)  # seconds at the head: exact
        one_hour = metrics(aged, "op", "1h")
        assert one_hour.window_start == utc(now - 3600 - 30)  # the head minute, whole
        one_day = metrics(aged, "op", "1d")
        assert one_day.window_start == utc(now - 86400 - 30 * 60 - 30)  # the head hour, whole
        # four samples since the first one in the window, 50 minutes ago
        assert one_hour.requests_per_second == pytest.approx(4 / (50 * 60))

    def test_a_sub_second_window_is_the_live_second(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        clock.t = T0 + 10.25
        ok(collector)
        clock.t = T0 + 10.5
        ok(collector)
        m = metrics(collector, "op", 0.1)
        assert m.total_requests == 2
        assert m.window_start == utc(T0 + 10)

    def test_a_window_inside_the_current_minute_uses_seconds(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        clock.t = T0 + 20
        ok(collector)
        clock.t = T0 + 40
        ok(collector)
        clock.t = T0 + 50
        assert metrics(collector, "op", 15).total_requests == 1
        assert metrics(collector, "op", 35).total_requests == 2

    def test_a_window_inside_the_current_hour(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for minute in (5, 20, 40):
            clock.t = T0 + minute * 60
            ok(collector)
        clock.t = T0 + 45 * 60
        assert metrics(collector, "op", "15m").total_requests == 1
        assert metrics(collector, "op", 30 * 60).total_requests == 2

    def test_a_window_reaching_past_the_second_tier_rounds_to_whole_minutes(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        clock.t = T0 + 3600 + 60 * 30 + 10
        ok(collector)
        clock.t += 10 * 60 + 40  # the sample is 10 min 40 s old
        m = metrics(collector, "op", 10 * 60 + 30)
        assert m.total_requests == 1  # its minute overlaps the window's head
        assert m.window_start == utc(T0 + 3600 + 30 * 60)

    def test_hourly_distribution_is_by_utc_hour(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for hour, n in ((1, 2), (2, 1), (5, 3)):
            clock.t = T0 + hour * 3600 + 100
            for _ in range(n):
                ok(collector)
        clock.t = T0 + 6 * 3600
        assert metrics(collector, "op", "6h").hourly_distribution == {1: 2, 2: 1, 5: 3}
