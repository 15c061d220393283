"""ResultMetricsCollector: recording, windows, rollups, retention, errors, caps, concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import returns.result as dry
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from rfs_monitoring import APIError, ErrorCode, Failure, Result, ResultTimeoutError, Success
from rfs_monitoring.metrics import (
    ACCEPTED_TIME_RANGES,
    FOLD_BATCH,
    MINUTE_SLOTS,
    OTHER,
    SECOND_SLOTS,
    ErrorSummary,
    MetricBucket,
    MetricSample,
    OperationMetrics,
    ResultMetricsCollector,
    normalise_error_message,
    parse_time_range,
)
from rfs_monitoring.web import FastAPIResult, install_result_routes

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 86400  # a UTC midnight


class FakeClock:
    """A settable clock (epoch seconds)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(clock: FakeClock) -> ResultMetricsCollector:
    return ResultMetricsCollector(clock, resources=lambda: (120.0, 7.5))


def metrics(c: ResultMetricsCollector, name: str, time_range: Any = "1h") -> OperationMetrics:
    return c.operation_metrics(name, time_range).unwrap()


def ok(c: ResultMetricsCollector, name: str = "op", ms: float = 10.0) -> None:
    c.record(name, success=True, duration_ms=ms)


def fail(
    c: ResultMetricsCollector,
    name: str = "op",
    message: str | None = "boom",
    code: str | None = "INTERNAL_ERROR",
    kind: str | None = "RuntimeError",
) -> None:
    c.record(
        name,
        success=False,
        duration_ms=5.0,
        error_code=code,
        error_type=kind,
        error_message=message,
    )


def utc(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc)


# ---------------------------------------------------------------------------- time ranges


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
            (dt.timedelta(minutes=3), 180),
        ],
    )
    def test_accepted_forms(self, value: object, seconds: float) -> None:
        assert parse_time_range(value) == Success(dt.timedelta(seconds=seconds))

    @pytest.mark.parametrize(
        "value",
        ["2h", "", "1H", "hour", 0, -5, math.nan, math.inf, True, None, dt.timedelta(0), [1]],
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
            '"1d", "1w", "30d" (with an archive), a number of seconds > 0, or a '
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


# ---------------------------------------------------------------------------- recording


class TestRecording:
    def test_counts_rates_and_durations(self, collector: ResultMetricsCollector) -> None:
        for ms in (10.0, 20.0, 30.0, 40.0):
            ok(collector, ms=ms)
        fail(collector)
        m = metrics(collector, "op")
        assert (m.total_requests, m.successful_requests, m.failed_requests) == (5, 4, 1)
        assert m.success_rate == 0.8
        assert m.avg_response_time_ms == pytest.approx(21.0)
        assert m.max_response_time_ms == 40.0
        assert m.p50_response_time_ms == pytest.approx(20.0, rel=0.01)
        # rank floor(0.99 * (5 - 1)) = 3 of [5, 10, 20, 30, 40]
        assert m.p99_response_time_ms == pytest.approx(30.0, rel=0.01)
        assert m.error_breakdown == {"INTERNAL_ERROR": 1}
        assert m.top_errors == [("boom", 1)]
        assert m.operation_name == "op"

    def test_an_operation_never_recorded_is_not_found(
        self, collector: ResultMetricsCollector
    ) -> None:
        assert collector.operation_metrics("ghost").unwrap_error() == APIError.not_found(
            "operation", "ghost"
        )

    def test_an_operation_with_nothing_in_the_window_has_zero_figures(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        ok(collector)
        clock.advance(7200)
        m = metrics(collector, "op", "1h")
        assert (m.total_requests, m.success_rate, m.avg_response_time_ms) == (0, 0.0, 0.0)
        assert (m.p50_response_time_ms, m.avg_memory_usage_mb, m.requests_per_second) == (
            0.0,
            0.0,
            0.0,
        )

    def test_invalid_durations_are_counted_and_negative_ones_are_zero(
        self, collector: ResultMetricsCollector
    ) -> None:
        collector.record("op", success=True, duration_ms=math.nan)
        collector.record("op", success=True, duration_ms="slow")  # type: ignore[arg-type]
        collector.record("op", success=True, duration_ms=-4.0)
        collector.record("op", success=True, duration_ms=8.0)
        m = metrics(collector, "op")
        assert m.total_requests == 4
        assert m.avg_response_time_ms == 4.0
        assert m.max_response_time_ms == 8.0
        assert collector.stats()["invalid_durations"] == 2

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
    def test_one_odd_duration_alone_in_its_second(
        self, collector: ResultMetricsCollector, bad: float
    ) -> None:
        collector.record("op", success=True, duration_ms=bad)
        collector.record("op", success=True, duration_ms=3.0)
        m = metrics(collector, "op")
        assert m.total_requests == 2
        assert m.max_response_time_ms == 3.0

    def test_record_result_takes_any_result_library(
        self, collector: ResultMetricsCollector
    ) -> None:
        collector.record_result("op", Success(1), 3.0)
        collector.record_result("op", Failure(APIError.not_found("user", 7)), 4.0)
        collector.record_result("op", Failure(ValueError("bad 42")), 5.0)
        collector.record_result("op", dry.Failure(KeyError("k")), 6.0)
        collector.record_result("op", dry.Success(2), 6.0)
        m = metrics(collector, "op")
        assert (m.total_requests, m.failed_requests) == (5, 3)
        assert m.error_breakdown == {"NOT_FOUND": 2 - 1, "UNKNOWN": 2}
        assert dict(m.top_errors) == {"user <n> not found": 1, "bad <n>": 1, "<str>": 1}

    def test_record_result_of_no_result_is_counted_not_raised(
        self, collector: ResultMetricsCollector
    ) -> None:
        collector.record_result("op", 42, 1.0)
        assert collector.stats()["invalid_results"] == 1
        assert collector.operation_names() == []

    def test_record_result_codes_errors_as_the_log_entries_do(
        self, collector: ResultMetricsCollector
    ) -> None:
        class Numbered(Exception):
            code = 42

        collector.record_result("op", Failure(Numbered("n")), 1.0)
        collector.record_result("op", Failure(ResultTimeoutError(5.0)), 2.0)
        collector.record_result("op", Failure(TimeoutError("slow")), 3.0)
        assert metrics(collector, "op").error_breakdown == {"42": 1, "TIMEOUT": 2}

    def test_an_error_whose_code_attribute_raises_is_recorded_and_counted(
        self, collector: ResultMetricsCollector
    ) -> None:
        class Weird(Exception):
            @property
            def code(self) -> str:
                raise RuntimeError("no code")

        collector.record_result("op", Failure(Weird("w")), 1.0)
        m = metrics(collector, "op")
        assert (m.total_requests, m.failed_requests) == (1, 1)
        assert collector.stats()["record_errors"] == 1

    def test_an_error_with_a_string_code_and_a_broken_str(
        self, collector: ResultMetricsCollector
    ) -> None:
        class Odd(Exception):
            code = "E_ODD"

            def __str__(self) -> str:
                raise RuntimeError("no")

        collector.record_result("op", Failure(Odd()), 1.0)
        m = metrics(collector, "op")
        assert m.error_breakdown == {"E_ODD": 1}
        assert m.top_errors == [("<unprintable Odd>", 1)]

    def test_a_failure_without_message_groups_by_type_then_code(
        self, collector: ResultMetricsCollector
    ) -> None:
        fail(collector, message=None, kind="KeyError")
        fail(collector, message=None, kind=None, code="TIMEOUT")
        fail(collector, message=None, kind=None, code=None)
        m = metrics(collector, "op")
        assert dict(m.top_errors) == {"KeyError": 1, "TIMEOUT": 1, "error": 1}
        assert m.error_breakdown == {"INTERNAL_ERROR": 1, "TIMEOUT": 1, "UNKNOWN": 1}

    def test_unhashable_error_details_are_grouped_by_their_text(
        self, collector: ResultMetricsCollector
    ) -> None:
        collector.record(
            "op",
            success=False,
            duration_ms=1.0,
            error_code=["E1"],  # type: ignore[arg-type]
            error_message={"user": 5},  # type: ignore[arg-type]
        )
        m = metrics(collector, "op")
        assert m.error_breakdown == {"['E1']": 1}
        assert m.top_errors == [("{<str>: <n>}", 1)]

    def test_error_codes_may_be_error_code_members(self, collector: ResultMetricsCollector) -> None:
        fail(collector, code=ErrorCode.CONFLICT)  # type: ignore[arg-type]
        assert metrics(collector, "op").error_breakdown == {"CONFLICT": 1}

    def test_a_non_string_operation_name_goes_to_other(
        self, collector: ResultMetricsCollector
    ) -> None:
        collector.record(42, success=True, duration_ms=1.0)  # type: ignore[arg-type]
        assert collector.operation_names() == [OTHER]

    def test_an_unhashable_name_or_a_broken_clock_drops_the_sample_without_raising(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        collector.record(["op"], success=True, duration_ms=1.0)  # type: ignore[arg-type]
        ok(collector)
        clock.t = "soon"  # type: ignore[assignment]
        ok(collector)
        assert collector.stats()["record_errors"] == 2
        clock.t = T0
        assert metrics(collector, "op").total_requests == 1

    def test_a_busy_second_is_folded_in_batches(self, collector: ResultMetricsCollector) -> None:
        for i in range(FOLD_BATCH * 2 + 10):
            collector.record("op", success=i % 2 == 0, duration_ms=1.0, error_message="x")
        assert len(collector._ops["op"].pending) == 10
        m = metrics(collector, "op", 1)
        assert (m.total_requests, m.failed_requests) == (FOLD_BATCH * 2 + 10, FOLD_BATCH + 5)

    def test_reset_forgets_everything(self, collector: ResultMetricsCollector) -> None:
        ok(collector)
        collector.record_result("op", 1, 1.0)
        collector.reset()
        assert collector.operation_names() == []
        assert collector.stats()["invalid_results"] == 0

    def test_repr(self, collector: ResultMetricsCollector) -> None:
        ok(collector)
        assert repr(collector) == "ResultMetricsCollector(operations=1, retention=7 days)"


class TestConfiguration:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"clock": 5},
                "clock must be a callable returning epoch seconds, got 5",
            ),
            (
                {"retention": dt.timedelta(minutes=5)},
                "retention must be a timedelta of at least one hour, "
                "got datetime.timedelta(seconds=300)",
            ),
            ({"max_operations": 0}, "max_operations must be an int >= 1, got 0"),
            ({"max_error_groups": True}, "max_error_groups must be an int >= 1, got True"),
        ],
    )
    def test_bad_arguments_are_refused_naming_the_value(
        self, kwargs: dict[str, Any], message: str
    ) -> None:
        from rfs_monitoring import ConfigurationError

        with pytest.raises(ConfigurationError) as info:
            ResultMetricsCollector(**kwargs)
        assert str(info.value) == message

    def test_odd_retentions_are_described(self) -> None:
        c = ResultMetricsCollector(FakeClock(), retention=dt.timedelta(seconds=3601))
        assert repr(c) == "ResultMetricsCollector(operations=0, retention=3601 seconds)"
        c = ResultMetricsCollector(FakeClock(), retention=dt.timedelta(minutes=90))
        assert repr(c) == "ResultMetricsCollector(operations=0, retention=90 minutes)"
        c = ResultMetricsCollector(FakeClock(), retention=dt.timedelta(hours=2))
        assert repr(c) == "ResultMetricsCollector(operations=0, retention=2 hours)"


# ---------------------------------------------------------------------------- windows


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
        assert one_hour.requests_per_second == pytest.approx(4 / 3630)

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
        state = collector._ops["op"]
        assert len(state.seconds) == SECOND_SLOTS
        clock.t = T0
        for m in range(MINUTE_SLOTS + 30):
            clock.t = T0 + 86400 + m * 60
            ok(collector)
        assert len(state.minutes) == MINUTE_SLOTS

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
        assert len(collector._ops["op"].days) == 7  # the first day left with its hours
        used, _ = collector._snapshot(["op"], clock.t - 7 * 86400, clock.t)
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
        state = collector._ops["op"]
        assert (len(state.hours), len(state.days)) == (1, 1)
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


class TestQuantileAccuracy:
    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.floats(min_value=0.01, max_value=1e6, allow_nan=False),
                st.integers(min_value=0, max_value=3599),
            ),
            min_size=1,
            max_size=200,
        )
    )
    def test_quantiles_through_the_buckets_are_within_one_percent(
        self, samples: list[tuple[float, int]]
    ) -> None:
        clock = FakeClock(T0)
        c = ResultMetricsCollector(clock, resources=lambda: (None, None))
        for duration, offset in sorted(samples, key=lambda s: s[1]):
            clock.t = T0 + offset + 0.5
            c.record("op", success=True, duration_ms=duration)
        clock.t = T0 + 3600
        m = metrics(c, "op", "1h")
        ordered = sorted(d for d, _ in samples)
        assert m.total_requests == len(ordered)
        for q, got in (
            (0.5, m.p50_response_time_ms),
            (0.9, m.p90_response_time_ms),
            (0.99, m.p99_response_time_ms),
        ):
            exact = ordered[math.floor(q * (len(ordered) - 1))]
            assert abs(got - exact) <= 0.01 * exact * (1 + 1e-9)
        assert m.max_response_time_ms == ordered[-1]


class TestQueryCost:
    def test_the_buckets_merged_depend_on_the_window_not_the_samples(
        self, clock: FakeClock
    ) -> None:
        def pieces(samples_per_minute: int) -> dict[str, int]:
            c = ResultMetricsCollector(FakeClock(T0), resources=lambda: (None, None))
            clock = c._clock
            assert isinstance(clock, FakeClock)
            for minute in range(8 * 24 * 60):
                for i in range(samples_per_minute):
                    clock.t = T0 + minute * 60 + i * (60 / samples_per_minute)
                    ok(c)
            sizes = {}
            for window in ("1h", "1w"):
                t0 = clock.t - parse_time_range(window).unwrap().total_seconds()
                got, _ = c._snapshot(["op"], t0, clock.t)
                sizes[window] = len(got["op"])
            return sizes

        sparse = pieces(1)
        dense = pieces(5)
        assert sparse == dense
        assert sparse["1h"] <= 3 + 60 + 60
        # live second, current minute, hour and day, 6 whole days, <= 24 hours at the head
        assert sparse["1w"] <= 4 + 6 + 24


# ---------------------------------------------------------------------------- errors


class TestErrorGroups:
    @pytest.mark.parametrize(
        ("message", "normalised"),
        [
            ("user 123 not found", "user <n> not found"),
            ("user 456 not found", "user <n> not found"),
            ("order 9f8b2c1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f missing", "order <uuid> missing"),
            ("object deadbeef42 at 0x7ffee1 gone", "object <hex> at <hex> gone"),
            ("key 'alice' and \"bob\" and `x` clash", "key <str> and <str> and <str> clash"),
            ("retry 3/5 after 2.5s  \n timeout", "retry <n>/<n> after <n>s timeout"),
            ("v2 api", "v<n> api"),
            ("", "<empty>"),
        ],
    )
    def test_normalisation(self, message: str, normalised: str) -> None:
        assert normalise_error_message(message) == normalised

    def test_messages_are_masked_before_they_are_stored(
        self, collector: ResultMetricsCollector
    ) -> None:
        jwt = (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        )
        fail(collector, message=f"login failed for alice@example.com with token {jwt}")
        fail(collector, message="password=hunter2 rejected")
        stored = " | ".join(msg for msg, _ in metrics(collector, "op").top_errors)
        for secret in ("alice@example.com", jwt, "hunter2"):
            assert secret not in stored

    @pytest.mark.asyncio
    async def test_top_errors_groups_and_ranks_across_operations(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        fail(collector, "get_user", "user 1 not found", "NOT_FOUND")
        clock.advance(5)
        fail(collector, "get_user", "user 2 not found", "NOT_FOUND")
        fail(collector, "del_user", "user 3 not found", "NOT_FOUND")
        fail(collector, "get_user", "db down")
        result = await collector.top_errors(limit=10, time_range="1h")
        assert result.unwrap() == [
            ErrorSummary(
                "user <n> not found", "NOT_FOUND", 3, utc(T0 + 5), ["del_user", "get_user"]
            ),
            ErrorSummary("db down", "INTERNAL_ERROR", 1, utc(T0 + 5), ["get_user"]),
        ]
        only = (await collector.top_errors(1, "1h", operation="del_user")).unwrap()
        assert [(s.message, s.count) for s in only] == [("user <n> not found", 1)]

    @pytest.mark.asyncio
    async def test_the_latest_code_of_a_group_wins(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        fail(collector, message="flaky", code="TIMEOUT")
        clock.advance(2)
        fail(collector, message="flaky", code="SERVICE_UNAVAILABLE")
        clock.advance(2)
        [summary] = (await collector.top_errors()).unwrap()
        assert (summary.error_code, summary.count) == ("SERVICE_UNAVAILABLE", 2)
        fail(collector, "other_op", message="flaky", code="TIMEOUT")
        clock.advance(120)
        fail(collector, message="flaky", code="TIMEOUT")
        [summary] = (await collector.top_errors()).unwrap()
        assert (summary.error_code, summary.count) == ("TIMEOUT", 4)

    @pytest.mark.asyncio
    async def test_top_errors_arguments_are_checked(
        self, collector: ResultMetricsCollector
    ) -> None:
        bad = (await collector.top_errors(limit=0)).unwrap_error()
        assert bad.message == "limit 0 is not accepted; use an int >= 1"
        missing = (await collector.top_errors(operation="ghost")).unwrap_error()
        assert missing == APIError.not_found("operation", "ghost")

    def test_the_message_cache_is_bounded(self, collector: ResultMetricsCollector) -> None:
        for i in range(5000):
            fail(collector, message=f"m{i}x")
        assert metrics(collector, "op").top_errors == [("m<n>x", 5000)]
        assert len(collector._message_cache) <= 4096


class TestCardinality:
    def test_operations_beyond_the_cap_go_to_other(self, clock: FakeClock) -> None:
        c = ResultMetricsCollector(clock, max_operations=3, resources=lambda: (None, None))
        for name in ("a", "b", "c", "d", "e", "d"):
            ok(c, name)
        assert c.operation_names() == ["__other__", "a", "b", "c"]
        assert metrics(c, OTHER).total_requests == 3
        assert c.stats()["other_operation_samples"] == 3
        assert metrics(c, "*" if False else "a").total_requests == 1
        clock.advance(2)
        ok(c, "zzz")
        assert metrics(c, OTHER, "1m").total_requests == 4

    def test_error_groups_codes_and_types_beyond_the_cap_go_to_other(
        self, clock: FakeClock
    ) -> None:
        c = ResultMetricsCollector(clock, max_error_groups=2, resources=lambda: (None, None))
        for i in range(5):
            fail(c, message=f"failure kind {'abcde'[i]}", code=f"C{i}", kind=f"T{i}")
        m = metrics(c, "op")
        assert dict(m.top_errors) == {"failure kind a": 1, "failure kind b": 1, OTHER: 3}
        assert m.error_breakdown == {"C0": 1, "C1": 1, OTHER: 3}
        assert c.stats()["other_error_groups"] == 3

    def test_stale_error_groups_make_room_for_new_ones(self, clock: FakeClock) -> None:
        c = ResultMetricsCollector(clock, max_error_groups=2, resources=lambda: (None, None))
        fail(c, message="old a")
        fail(c, message="old b")
        clock.advance(2 * 3600)
        fail(c, message="new c")
        assert dict(metrics(c, "op", "1m").top_errors) == {"new c": 1}
        assert c.stats()["other_error_groups"] == 0


# ---------------------------------------------------------------------------- resources


class TestResources:
    def test_resources_are_read_once_per_second_bucket_and_averaged(self, clock: FakeClock) -> None:
        readings = iter([(100.0, 10.0), (200.0, None), (None, 30.0), (400.0, 40.0)])
        calls = []

        def reader() -> tuple[float | None, float | None]:
            calls.append(clock.t)
            return next(readings)

        c = ResultMetricsCollector(clock, resources=reader)
        for second in range(3):
            clock.t = T0 + second
            for _ in range(100):
                ok(c)
        assert len(calls) == 3
        m = metrics(c, "op")
        assert m.avg_memory_usage_mb == 150.0
        assert m.avg_cpu_usage_percent == 20.0

    def test_idle_seconds_with_a_reading_still_count(self, clock: FakeClock) -> None:
        c = ResultMetricsCollector(clock, resources=lambda: (50.0, 5.0))
        ok(c)
        c._ops["op"].live.count = 0  # as if the only sample of that second never came
        c._ops["op"].pending.clear()
        clock.advance(1)
        ok(c)
        assert metrics(c, "op").avg_memory_usage_mb == 50.0

    def test_a_failing_reader_is_counted(self, clock: FakeClock) -> None:
        def broken() -> tuple[float | None, float | None]:
            raise OSError("no /proc")

        c = ResultMetricsCollector(clock, resources=broken)
        ok(c)
        assert c.stats()["resource_errors"] == 1
        assert metrics(c, "op").avg_memory_usage_mb == 0.0

    def test_the_default_reader_is_the_background_sampler(self) -> None:
        from rfs_monitoring.metrics import _default_resources

        rss, cpu = _default_resources()
        assert rss is None or rss > 0
        assert cpu is None or cpu >= 0


# ---------------------------------------------------------------------------- subscribers


class TestSubscribers:
    def test_subscribers_see_every_sample(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        seen: list[MetricSample] = []
        with collector.subscription(seen.append):
            ok(collector, ms=3.0)
            fail(collector, message="x")
        ok(collector)
        assert seen == [
            MetricSample("op", True, 3.0, None, None, None, T0),
            MetricSample("op", False, 5.0, "INTERNAL_ERROR", "RuntimeError", "x", T0),
        ]

    def test_a_failing_subscriber_is_counted_and_others_still_run(
        self, collector: ResultMetricsCollector
    ) -> None:
        seen: list[MetricSample] = []

        def broken(sample: MetricSample) -> None:
            raise RuntimeError("subscriber bug")

        unsubscribe = collector.subscribe(broken)
        collector.subscribe(seen.append)
        ok(collector)
        ok(collector)
        unsubscribe()
        unsubscribe()  # idempotent
        ok(collector)
        assert len(seen) == 3
        assert collector.stats()["subscriber_errors"] == 2
        assert metrics(collector, "op").total_requests == 3

    def test_a_non_callable_subscriber_is_refused(self, collector: ResultMetricsCollector) -> None:
        with pytest.raises(TypeError) as info:
            collector.subscribe(42)  # type: ignore[arg-type]
        assert str(info.value) == "subscribe() expects a callable taking a MetricSample, got 42"


# ---------------------------------------------------------------------------- overall


class TestOverall:
    @pytest.mark.asyncio
    async def test_overall_merges_every_operation(self, collector: ResultMetricsCollector) -> None:
        ok(collector, "a", 10.0)
        ok(collector, "b", 30.0)
        fail(collector, "b")
        m = (await collector.overall("5m")).unwrap()
        assert (m.operation_name, m.total_requests, m.failed_requests) == ("*", 3, 1)
        assert m.max_response_time_ms == 30.0

    @pytest.mark.asyncio
    async def test_overall_with_nothing_recorded(self, collector: ResultMetricsCollector) -> None:
        m = (await collector.overall()).unwrap()
        assert m.total_requests == 0

    def test_totals_are_lifetime_counters(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        ok(collector, ms=4.0)
        fail(collector, code="TIMEOUT")
        clock.advance(8 * 86400)
        ok(collector, ms=6.0)
        [totals] = collector.totals()
        assert (totals.operation, totals.total, totals.failed) == ("op", 3, 1)
        assert totals.sum_ms == 15.0
        assert totals.error_codes == {"TIMEOUT": 1}
        assert totals.sketch.count == 3

    def test_stats_report_memory_and_buckets(self, collector: ResultMetricsCollector) -> None:
        fail(collector)
        stats = collector.stats()
        assert stats["operations"] == 1
        assert 0 < stats["memory_bytes"] < 1_000_000
        assert repr(MetricBucket(5)) == "MetricBucket(start=5, count=0, failed=0)"


# ---------------------------------------------------------------------------- default instance


class TestDefaultInstance:
    @pytest.fixture(autouse=True)
    def restore(self) -> Iterator[None]:
        previous = ResultMetricsCollector.set_instance(None)
        yield
        ResultMetricsCollector.set_instance(previous)

    def test_instance_is_one_object_until_replaced(self) -> None:
        first = ResultMetricsCollector.instance()
        assert ResultMetricsCollector.instance() is first
        mine = ResultMetricsCollector(FakeClock())
        assert ResultMetricsCollector.set_instance(mine) is first
        assert ResultMetricsCollector.instance() is mine
        assert ResultMetricsCollector.set_instance(None) is mine
        assert ResultMetricsCollector.instance() not in (first, mine)

    def test_instance_is_created_lazily(self) -> None:
        ResultMetricsCollector._default = None
        assert isinstance(ResultMetricsCollector.instance(), ResultMetricsCollector)

    def test_set_instance_refuses_other_objects(self) -> None:
        with pytest.raises(TypeError) as info:
            ResultMetricsCollector.set_instance("collector")  # type: ignore[arg-type]
        assert str(info.value) == (
            "set_instance() expects a ResultMetricsCollector or None, got 'collector'"
        )

    @pytest.mark.asyncio
    async def test_the_plan_chain_runs_as_written(self) -> None:
        collector = ResultMetricsCollector.instance()
        collector.record("user_retrieval", success=True, duration_ms=12.0)
        report = await (
            ResultMetricsCollector.instance()
            .get_operation_metrics("user_retrieval", time_range="1h")
            .bind_result(lambda metrics: Success(f"{metrics.total_requests} requests"))
        )
        assert report == Success("1 requests")


# ---------------------------------------------------------------------------- concurrency


class TestConcurrency:
    def test_exact_counts_from_four_threads(self) -> None:
        c = ResultMetricsCollector(resources=lambda: (None, None))
        per_thread = 250_000
        barrier = threading.Barrier(4)

        def work(index: int) -> None:
            record = c.record
            barrier.wait()
            for i in range(per_thread):
                record(f"op{index % 2}", success=i % 4 != 0, duration_ms=1.5)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = c.overall("1h").to_result()
        m = asyncio.run(total).unwrap()
        assert m.total_requests == 4 * per_thread
        assert m.failed_requests == per_thread
        assert [t.total for t in c.totals()] == [2 * per_thread, 2 * per_thread]

    def test_queries_while_threads_record(self) -> None:
        c = ResultMetricsCollector(resources=lambda: (None, None))
        done = threading.Event()
        problems: list[BaseException] = []

        def recorder(index: int) -> None:
            for i in range(40_000):
                c.record(
                    "op",
                    success=i % 3 != 0,
                    duration_ms=float(i % 97),
                    error_code=f"E{i % 5}",
                    error_message=f"failure {index} kind {i % 7} id {i}",
                )

        def querier() -> None:
            while not done.is_set():
                try:
                    c.operation_metrics("op", "1m")
                    asyncio.run(c.top_errors(5, "1m").to_result())
                    c.totals()
                    c.stats()
                except BaseException as exc:
                    problems.append(exc)
                    return

        threads = [threading.Thread(target=recorder, args=(i,)) for i in range(2)]
        reader = threading.Thread(target=querier)
        reader.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        reader.join()
        assert problems == []
        m = c.operation_metrics("op", "1h").unwrap()
        assert (m.total_requests, m.failed_requests) == (80_000, 2 * 13_334)

    @pytest.mark.asyncio
    async def test_exact_counts_from_ten_thousand_tasks(self) -> None:
        c = ResultMetricsCollector(resources=lambda: (None, None))
        rng = random.Random(3)

        async def task(i: int) -> None:
            await asyncio.sleep(rng.random() / 1000)
            c.record("async_op", success=i % 10 != 0, duration_ms=float(i % 50), error_code="X")
            await asyncio.sleep(0)

        await asyncio.gather(*(task(i) for i in range(10_000)))
        m = (await c.get_operation_metrics("async_op", "5m")).unwrap()
        assert (m.total_requests, m.failed_requests) == (10_000, 1_000)
        assert m.error_breakdown == {"X": 1_000}


# ---------------------------------------------------------------------------- the plan's endpoint


class PerformanceMetrics(BaseModel):
    operation: str
    requests: int
    success_rate: float
    p99_ms: float
    rps: float


def format_performance_report(metrics: OperationMetrics) -> Result[PerformanceMetrics, APIError]:
    return Success(
        PerformanceMetrics(
            operation=metrics.operation_name,
            requests=metrics.total_requests,
            success_rate=metrics.success_rate,
            p99_ms=metrics.p99_response_time_ms,
            rps=metrics.requests_per_second,
        )
    )


app = FastAPI()
install_result_routes(app)


@app.get("/analytics/performance")
async def get_performance_metrics() -> FastAPIResult[PerformanceMetrics]:
    return await (
        ResultMetricsCollector.instance()
        .get_operation_metrics("user_retrieval", time_range="1h")
        .bind_result(lambda metrics: format_performance_report(metrics))
    )


class TestPlanEndpoint:
    @pytest.fixture(autouse=True)
    def fresh_default(self) -> Iterator[ResultMetricsCollector]:
        mine = ResultMetricsCollector(resources=lambda: (None, None))
        previous = ResultMetricsCollector.set_instance(mine)
        yield mine
        ResultMetricsCollector.set_instance(previous)

    @pytest.mark.asyncio
    async def test_get_performance_metrics_serves_the_report(self) -> None:
        collector = ResultMetricsCollector.instance()
        for i in range(9):
            collector.record("user_retrieval", success=True, duration_ms=10.0 + i)
        collector.record_result("user_retrieval", Failure(APIError.not_found("user", 9)), 50.0)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/analytics/performance")
        assert response.status_code == 200
        body = response.json()
        assert body["operation"] == "user_retrieval"
        assert (body["requests"], body["success_rate"]) == (10, 0.9)
        # rank floor(0.99 * 9) = 8 of [10 .. 18, 50]
        assert body["p99_ms"] == pytest.approx(18.0, rel=0.01)

    @pytest.mark.asyncio
    async def test_an_operation_never_seen_is_a_404(self) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/analytics/performance")
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
        assert response.json()["message"] == "operation user_retrieval not found"
