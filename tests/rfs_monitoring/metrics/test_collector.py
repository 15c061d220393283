"""ResultMetricsCollector: recording, configuration, resources, subscribers, seams."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import returns.result as dry

from rfs_monitoring import APIError, ErrorCode, Failure, ResultTimeoutError, Success
from rfs_monitoring.metrics import (
    FOLD_BATCH,
    OTHER,
    MetricBucket,
    MetricSample,
    ResultMetricsCollector,
    TierSizes,
)

from .support import T0, FakeClock, fail, metrics, ok, sizes


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
        assert sizes(collector).pending == 10
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

    def test_a_failing_reader_is_counted(self, clock: FakeClock) -> None:
        def broken() -> tuple[float | None, float | None]:
            raise OSError("no /proc")

        c = ResultMetricsCollector(clock, resources=broken)
        ok(c)
        assert c.stats()["resource_errors"] == 1
        assert metrics(c, "op").avg_memory_usage_mb == 0.0

    def test_the_default_reader_is_the_background_sampler(self) -> None:
        from rfs_monitoring.metrics.collector import default_resources

        rss, cpu = default_resources()
        assert rss is None or rss > 0
        assert cpu is None or cpu >= 0


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
        code = (
            "from rfs_monitoring.metrics import ResultMetricsCollector as C\n"
            "first = C.instance()\n"
            "assert isinstance(first, C) and C.instance() is first\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr

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


class TestSeams:
    def test_tier_sizes(self, collector: ResultMetricsCollector, clock: FakeClock) -> None:
        assert collector.tier_sizes("op") is None
        ok(collector)
        clock.advance(1)
        ok(collector)
        assert collector.tier_sizes("op") == TierSizes(1, 1, 0, 0, 0)
        clock.advance(1)
        metrics(collector, "op")
        assert collector.tier_sizes("op") == TierSizes(0, 2, 0, 0, 0)

    def test_snapshot_reads_named_operations_or_all(
        self, collector: ResultMetricsCollector, clock: FakeClock
    ) -> None:
        ok(collector, "a")
        ok(collector, "b")
        clock.advance(2)
        assert sorted(collector.snapshot(None, T0, clock.t).buckets) == ["a", "b"]
        found = collector.snapshot(["a", "ghost"], T0, clock.t)
        assert list(found.buckets) == ["a"]
        assert found.start == T0
        assert sum(b.count for b in found.buckets["a"]) == 1

    def test_the_clock_is_the_one_given(self, clock: FakeClock) -> None:
        assert ResultMetricsCollector(clock).clock is clock
