"""Cancelled calls are logged and counted, and the cancel still propagates unchanged.

A call ended by ``asyncio.CancelledError`` (a task cancelled, a ``wait_for`` that timed
out around it, a ``MonoResult`` chain cancelled) gets one entry of result type
"cancelled" with error code CANCELLED and the duration until the cancel, and one metric
sample with that code; a timeout inside the call (``MonoResult.timeout``) is an error
with code TIMEOUT. Durations are measured on a fake clock, so they are exact.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

from rfs_monitoring import MonoResult, Success
from rfs_monitoring.errors import ErrorCode
from rfs_monitoring.metrics import MetricSample
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    log_result_operation,
    result_log_entry_schema,
    set_log_level,
)
from rfs_monitoring.result_logging.decorator import set_duration_clock

from .support import Lines

jsonschema = pytest.importorskip("jsonschema")


class Ticks:
    """A clock that moves only when told to (seconds; binary fractions keep it exact)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Iterator[Ticks]:
    ticks = Ticks()
    previous = set_duration_clock(ticks)
    yield ticks
    set_duration_clock(previous)


async def _forever() -> NoReturn:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")  # pragma: no cover


def _cancelled_entry(entry: ResultLogEntry, operation: str, duration_ms: float) -> None:
    assert entry.operation_name == operation
    assert entry.result_type == "cancelled"
    assert entry.error_code == "CANCELLED" == ErrorCode.CANCELLED.value
    assert entry.error_type == "CancelledError"
    assert entry.success_type is None
    assert entry.processing_time_ms == duration_ms
    assert entry.level == "ERROR"


def _cancelled_sample(sample: MetricSample, operation: str, duration_ms: float) -> None:
    assert (sample.operation, sample.success, sample.error_code, sample.duration_ms) == (
        operation,
        False,
        "CANCELLED",
        duration_ms,
    )


class TestAsyncCancel:
    def test_a_cancelled_task_is_logged_counted_and_still_cancelled(
        self, clock: Ticks, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("slow")
        async def slow() -> Success[int]:
            clock.advance(0.25)
            await _forever()

        async def main() -> asyncio.Task[Success[int]]:
            task = asyncio.create_task(slow())
            await asyncio.sleep(0)
            task.cancel("client went away")
            with pytest.raises(asyncio.CancelledError):
                await task
            return task

        task = asyncio.run(main())
        assert task.cancelled()
        [entry] = entries
        _cancelled_entry(entry, "slow", 250.0)
        assert entry.error_message == "client went away"
        [sample] = samples
        _cancelled_sample(sample, "slow", 250.0)

    def test_the_same_cancelled_error_propagates(self, clock: Ticks) -> None:
        raised = asyncio.CancelledError("stop")

        @log_result_operation("raises_cancel")
        async def raises_cancel() -> Success[int]:
            raise raised

        async def call() -> BaseException:
            # caught inside the task: on Python 3.10 asyncio.run raises a new instance
            with pytest.raises(asyncio.CancelledError) as caught:
                await raises_cancel()
            return caught.value

        assert asyncio.run(call()) is raised

    def test_a_wait_for_timeout_around_the_call_logs_the_cancel(
        self, clock: Ticks, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        """The call itself sees a cancel (the timeout belongs to the caller's wait)."""

        @log_result_operation("waited")
        async def waited() -> Success[int]:
            clock.advance(0.5)
            await _forever()

        with pytest.raises(asyncio.TimeoutError):  # TimeoutError itself from Python 3.11 on
            asyncio.run(asyncio.wait_for(waited(), 0.01))
        [entry] = entries
        _cancelled_entry(entry, "waited", 500.0)
        [sample] = samples
        _cancelled_sample(sample, "waited", 500.0)

    def test_a_cancelled_mono_chain_is_logged_and_counted(
        self, clock: Ticks, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        async def work() -> Any:
            clock.advance(0.125)
            await _forever()

        @log_result_operation("chain")
        def chain() -> MonoResult[int, Exception]:
            return MonoResult.from_async_result(work)

        async def main() -> None:
            task = asyncio.create_task(chain().to_result())
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())
        [entry] = entries
        _cancelled_entry(entry, "chain", 125.0)
        [sample] = samples
        _cancelled_sample(sample, "chain", 125.0)

    def test_a_timeout_inside_the_chain_is_an_error_with_the_timeout_code(
        self, clock: Ticks, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        async def work() -> Any:
            clock.advance(2.0)
            await _forever()

        @log_result_operation("bounded")
        def bounded() -> MonoResult[int, Exception]:
            return MonoResult.from_async_result(work).timeout(0.01)

        result = asyncio.run(bounded().to_result())
        assert result.is_failure()
        [entry] = entries
        assert (entry.result_type, entry.error_code, entry.processing_time_ms) == (
            "error",
            "TIMEOUT",
            2000.0,
        )
        [sample] = samples
        assert (sample.success, sample.error_code, sample.duration_ms) == (False, "TIMEOUT", 2000.0)

    def test_below_the_level_the_cancel_is_still_counted(
        self, clock: Ticks, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        set_log_level("OFF", operation="quiet")

        @log_result_operation("quiet")
        async def quiet() -> Success[int]:
            clock.advance(0.001953125)
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            asyncio.run(quiet())
        assert entries == []
        [sample] = samples
        _cancelled_sample(sample, "quiet", 1.953125)


class TestSyncCancel:
    def test_a_sync_call_raising_cancelled_error_is_logged_and_reraised(
        self, clock: Ticks, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        raised = asyncio.CancelledError()

        @log_result_operation("sync_op")
        def sync_op() -> Success[int]:
            clock.advance(0.0009765625)
            raise raised

        with pytest.raises(asyncio.CancelledError) as caught:
            sync_op()
        assert caught.value is raised
        [entry] = entries
        _cancelled_entry(entry, "sync_op", 0.977)  # 0.9765625 ms, rounded in the entry
        assert entry.error_message == "CancelledError"
        [sample] = samples
        _cancelled_sample(sample, "sync_op", 0.9765625)  # the metric keeps the exact value

    def test_a_futures_cancel_is_a_cancelled_entry_too(
        self, clock: Ticks, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        """``concurrent.futures.CancelledError`` (an Exception) is re-raised the same way."""

        @log_result_operation("future_op")
        def future_op() -> Success[int]:
            clock.advance(0.00390625)
            raise concurrent.futures.CancelledError

        with pytest.raises(concurrent.futures.CancelledError):
            future_op()
        [entry] = entries
        _cancelled_entry(entry, "future_op", 3.906)
        [sample] = samples
        _cancelled_sample(sample, "future_op", 3.90625)

    def test_other_base_exceptions_leave_no_entry(
        self, clock: Ticks, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("interrupted")
        def interrupted() -> Success[int]:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            interrupted()
        assert entries == []
        assert samples == []


class TestCancelledLine:
    def test_the_json_line_is_valid_against_the_schema(self, clock: Ticks, lines: Lines) -> None:
        @log_result_operation("line_op")
        async def line_op() -> Success[int]:
            clock.advance(0.0123456)
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            asyncio.run(line_op())
        [line] = lines.entries()
        jsonschema.validate(line, result_log_entry_schema())
        assert line["result_type"] == "cancelled"
        assert line["error_code"] == "CANCELLED"
        assert line["processing_time_ms"] == 12.346  # rounded to the microsecond
        assert json.dumps(line["timestamp"]).endswith('Z"')


class TestDurationClock:
    def test_a_bad_clock_is_refused(self) -> None:
        with pytest.raises(TypeError) as caught:
            set_duration_clock(1.5)  # type: ignore[arg-type]
        assert str(caught.value) == (
            "set_duration_clock() expects a callable returning seconds or None, got 1.5"
        )

    def test_none_restores_the_real_clock(self, clock: Ticks) -> None:
        assert set_duration_clock(None) is clock
        assert set_duration_clock(clock) is not clock


class TestCancelledSpan:
    def test_the_span_of_a_cancelled_call_is_ended_with_the_cancelled_code(
        self, clock: Ticks, entries: list[ResultLogEntry]
    ) -> None:
        """As OpenTelemetry closes such spans: ended, status ERROR, ``rfs.error_code``."""
        sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
        export = pytest.importorskip("opentelemetry.sdk.trace.export")
        in_memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")
        from opentelemetry.trace import StatusCode

        from rfs_monitoring import tracing

        memory = in_memory.InMemorySpanExporter()
        provider = sdk_trace.TracerProvider()
        provider.add_span_processor(export.SimpleSpanProcessor(memory))
        tracing.configure_tracing(provider)
        try:

            @log_result_operation("traced_cancel")
            async def traced_cancel() -> Success[int]:
                raise asyncio.CancelledError

            with pytest.raises(asyncio.CancelledError):
                asyncio.run(traced_cancel())
        finally:
            tracing.configure_tracing(None, enabled=False)
            tracing.configure_tracing(None)
        [span] = memory.get_finished_spans()
        assert span.name == "traced_cancel"
        assert span.attributes is not None
        assert span.attributes["rfs.error_code"] == "CANCELLED"
        assert span.status.status_code is StatusCode.ERROR
        [entry] = entries
        assert entry.trace_id == format(span.get_span_context().trace_id, "032x")
