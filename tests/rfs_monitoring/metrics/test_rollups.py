"""The collector's tiers over time: rollups and retention."""

from __future__ import annotations

import datetime as dt

import pytest

from rfs_monitoring.metrics import (
    MINUTE_SLOTS,
    SECOND_SLOTS,
    ResultMetricsCollector,
)

from .support import T0, FakeClock, metrics, ok, sizes, utc


class TestRollups:
    def test_samples_on_each_side_of_a_second_minute_and_hour_boundary(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        clock.t = T0 + 3599.999
        ok(collector, ms=1.0)
        clock.t = T0 + 3600.0
        ok(collector, ms=2.0)
        assert metrics(collector, "op", 2).total_requests == 2
        m = metrics(collector, "op", "1h")
        assert (m.total_requests, m.hourly_distribution) == (2, {0: 1, 1: 1})
        for step in (30, 90, 3600, 2 * 86400):
            clock.advance(step)
            m = metrics(collector, "op", "1w")
            assert (m.total_requests, m.max_response_time_ms) == (2, 2.0)
            assert m.p50_response_time_ms == pytest.approx(1.0, rel=0.01)

    def test_a_minute_of_seconds_rolls_into_one_minute_bucket(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for s in range(60):
            clock.t = T0 + s + 0.5
            ok(collector, ms=float(s + 1))
        clock.t = T0 + 600
        m = metrics(collector, "op", "15m")
        assert (m.total_requests, m.max_response_time_ms) == (60, 60.0)
        assert m.avg_response_time_ms == pytest.approx(30.5)
        stats = collector.stats()
        assert stats["buckets"] == 1  # the seconds left the 5-minute tier, the minute stays

    def test_tiers_keep_their_slots_and_hours_keep_the_retention(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        op_seconds = SECOND_SLOTS + 50
        for s in range(op_seconds):
            clock.t = T0 + s
            ok(collector)
        assert sizes(collector).seconds == SECOND_SLOTS
        clock.t = T0
        for m in range(MINUTE_SLOTS + 30):
            clock.t = T0 + 86400 + m * 60
            ok(collector)
        assert sizes(collector).minutes == MINUTE_SLOTS

    def test_hours_roll_into_days_and_week_windows_use_them(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        for hour in range(8 * 24):
            clock.t = T0 + hour * 3600 + 10
            ok(collector, ms=float(hour + 1))
        clock.t = T0 + 8 * 86400 + 30 * 60
        week = metrics(collector, "op", "1w")
        assert week.total_requests == 168  # hours 24..191: the head hour is whole
        assert week.window_start == utc(T0 + 86400)
        assert week.max_response_time_ms == 192.0
        assert week.p50_response_time_ms == pytest.approx(24 + 84, rel=0.01)
        assert metrics(collector, "op", "1d").total_requests == 24
        assert sizes(collector).days == 7  # the first day left with its hours
        used = collector.snapshot(["op"], clock.t - 7 * 86400, clock.t).buckets
        assert len(used["op"]) <= 4 + 6 + 24

    def test_a_clock_going_back_counts_in_the_live_second(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        clock.t = T0 + 100
        ok(collector)
        clock.t = T0 + 40
        ok(collector)
        clock.t = T0 + 100.5
        assert metrics(collector, "op", 1).total_requests == 2

    def test_recording_after_a_query_in_the_same_second(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        clock.t = T0 + 5.1
        ok(collector)
        assert metrics(collector, "op", "1m").total_requests == 1
        clock.t = T0 + 5.2
        ok(collector)
        clock.t = T0 + 7
        assert metrics(collector, "op", "1m").total_requests == 2

    def test_a_long_idle_gap(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        ok(collector)
        clock.advance(3 * 86400 + 17)
        ok(collector)
        assert metrics(collector, "op", "1h").total_requests == 1
        assert metrics(collector, "op", "1w").total_requests == 2


class TestRetention:
    def test_hours_past_the_retention_leave_memory(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        ok(collector)
        clock.advance(3 * 86400)
        ok(collector)
        clock.advance(4 * 86400 + 2 * 3600)
        m = metrics(collector, "op", "1w")
        assert m.total_requests == 1
        held = sizes(collector)
        assert (held.hours, held.days) == (1, 1)
        clock.advance(7 * 86400)
        assert metrics(collector, "op", "1w").total_requests == 0
        assert collector.stats()["buckets"] == 0

    def test_a_shorter_retention(self, clock: FakeClock) -> None:
        c = ResultMetricsCollector(
            clock, retention=dt.timedelta(hours=3), resources=lambda: (None, None)
        )
        ok(c)
        clock.advance(2 * 3600)
        assert metrics(c, "op", 3 * 3600).total_requests == 1
        clock.advance(2 * 3600)
        assert metrics(c, "op", 3 * 3600).total_requests == 0
        assert c.operation_metrics("op", "1d").is_failure()
