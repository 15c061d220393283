"""The hot path's shortcuts give exactly what the full path gives.

The writer renders the common entry (JSON, no metadata) with one orjson call and hands
anything else to the full renderer; correlation ids are formatted ahead in blocks; other
``BaseException`` s than a cancel pass through every path untouched.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import re
from typing import Any

import pytest

from rfs_monitoring import Failure, MonoResult, Success
from rfs_monitoring.context import log_context
from rfs_monitoring.metrics import MetricSample
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    configure_logging,
    log_result_operation,
    logging_stats,
    set_log_level,
)
from rfs_monitoring.result_logging.emit import fresh_correlation_id
from rfs_monitoring.result_logging.entry import entry_to_dict, format_timestamp
from rfs_monitoring.result_logging.render import DEFAULT_BOUNDS, render_json
from rfs_monitoring.result_logging.state import STATE

from .support import Lines, make_record, stat_delta

_PLAIN = {
    "timestamp": 1_767_225_600.25,
    "correlation_id": "c" * 32,
    "operation_name": "op",
    "result_type": "success",
    "processing_time_ms": 1.0,
    "success_type": "int",
    "service_name": "svc",
    "environment": "test",
    "level": "INFO",
}


def _record(**fields: Any) -> tuple[Any, ...]:
    """A plain success's record with ``fields`` replacing its values (``make_record``)."""
    return make_record(**{**_PLAIN, **fields})


RECORDS = [
    _record(),
    _record(operation_name='조회 "quoted" \\ back', user_id="u-1", request_id="r-1"),
    _record(
        result_type="error",
        success_type=None,
        error_type="APIError",
        error_code="NOT_FOUND",
        error_message="user 42 not found",
        memory_usage_mb=12.5,
        cpu_usage_percent=3.25,
    ),
    _record(processing_time_ms=0.0004999, trace_id="a" * 32, span_id="b" * 16),
    _record(timestamp=1_767_225_600.9999996, level=None),
]


class TestFastLines:
    @pytest.mark.parametrize("record", RECORDS)
    def test_the_fast_line_is_the_full_renderers_line(self, record: tuple[Any, ...]) -> None:
        """What the writer's one-call path writes equals what ``render_json`` writes."""
        sink = Lines()
        configure_logging(sink=sink.buffer, background=False)
        writer = STATE.writer
        assert writer is not None
        writer.submit((0, record))
        full = render_json(entry_to_dict(record), DEFAULT_BOUNDS, fixed_keys=True)
        assert sink.buffer.getvalue().encode("utf-8") == full + b"\n"

    def test_a_lone_surrogate_takes_the_full_path_and_is_escaped(self, lines: Lines) -> None:
        @log_result_operation("op\ud800")
        def op() -> Success[int]:
            return Success(1)

        op()
        [line] = lines.entries()
        assert line["operation_name"] == "op\\ud800"

    def test_a_line_over_the_value_bound_takes_the_full_path_and_is_cut(self) -> None:
        sink = Lines()
        configure_logging(sink=sink.buffer, background=False, max_value_chars=64)
        before = logging_stats()

        @log_result_operation("o" * 100)
        def op() -> Success[int]:
            return Success(1)

        op()
        [line] = sink.entries()
        assert line["operation_name"] == "o" * 64 + "…[truncated 36 chars]"
        assert stat_delta(before, "truncated") == 1


class TestEntryFields:
    def test_durations_are_rounded_to_the_microsecond(self) -> None:
        data = entry_to_dict(_record(processing_time_ms=12.3456789))
        assert data["processing_time_ms"] == 12.346

    def test_the_timestamp_is_rfc3339_utc_with_microseconds(self) -> None:
        data = entry_to_dict(_record(timestamp=1_767_225_600.000001))
        assert (
            data["timestamp"]
            == "2026-01-01T00:00:00.000001Z"
            == format_timestamp(1_767_225_600.000001)
        )

    def test_a_microsecond_rounding_up_carries_into_the_next_second(self) -> None:
        assert entry_to_dict(_record(timestamp=1_767_225_600.9999996))["timestamp"] == (
            "2026-01-01T00:00:01.000000Z"
        )

    def test_an_entry_without_metadata_renders_an_empty_object(self) -> None:
        entry = ResultLogEntry(
            timestamp=datetime.datetime(2026, 1, 1),
            correlation_id="c",
            operation_name="op",
            step_name=None,
            result_type="success",
            processing_time_ms=1.0,
            metadata=None,  # type: ignore[arg-type]
        )
        assert entry.to_dict()["metadata"] == {}


class TestCorrelationIds:
    def test_fresh_ids_are_unique_32_hex_digits_in_ascending_order(self) -> None:
        ids = [fresh_correlation_id() for _ in range(1_000)]  # several blocks
        assert len(set(ids)) == 1_000
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
        assert ids == sorted(ids)

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
    def test_a_forked_child_does_not_reuse_the_parents_ids(self) -> None:
        parent = fresh_correlation_id()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.write(write, fresh_correlation_id().encode())
            os._exit(0)
        os.close(write)
        child = os.read(read, 64).decode()
        os.close(read)
        os.waitpid(pid, 0)
        assert child[:16] != parent[:16]
        assert fresh_correlation_id() not in (child, parent)


class TestOtherBaseExceptions:
    """Only a cancel is logged; KeyboardInterrupt and the like pass through untouched."""

    def test_sync_below_the_level(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        set_log_level("OFF", operation="quiet_sync")

        @log_result_operation("quiet_sync")
        def quiet_sync() -> Success[int]:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            quiet_sync()
        assert (entries, samples) == ([], [])

    @pytest.mark.parametrize("level", ["INFO", "OFF"])
    def test_async_at_and_below_the_level(
        self, level: str, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        set_log_level(level, operation="async_op")

        @log_result_operation("async_op")
        async def async_op() -> Success[int]:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            asyncio.run(async_op())
        assert (entries, samples) == ([], [])

    def test_inside_a_returned_chain(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        async def work() -> Any:
            raise KeyboardInterrupt

        @log_result_operation("chain_op")
        def chain_op() -> MonoResult[int, Exception]:
            return MonoResult.from_async_result(work)

        with pytest.raises(KeyboardInterrupt):
            asyncio.run(chain_op().to_result())
        assert (entries, samples) == ([], [])


class TestCancelPaths:
    def test_a_sync_cancel_below_the_level_is_counted(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        set_log_level("OFF", operation="quiet_cancel")

        @log_result_operation("quiet_cancel")
        def quiet_cancel() -> Success[int]:
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            quiet_cancel()
        assert entries == []
        assert [s.error_code for s in samples] == ["CANCELLED"]

    def test_an_interrupt_inside_a_returned_awaitable_passes_through(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        async def interrupted() -> Success[int]:
            raise KeyboardInterrupt

        @log_result_operation("lazy_interrupt")
        def lazy_interrupt() -> Any:
            return interrupted()

        with pytest.raises(KeyboardInterrupt):
            asyncio.run(lazy_interrupt())
        assert (entries, samples) == ([], [])

    def test_a_cancel_inside_an_awaitable_returned_by_a_sync_function(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        async def cancelled_work() -> Success[int]:
            raise asyncio.CancelledError

        @log_result_operation("lazy_op")
        def lazy_op() -> Any:
            return cancelled_work()

        with pytest.raises(asyncio.CancelledError):
            asyncio.run(lazy_op())
        [entry] = entries
        assert (entry.result_type, entry.error_code) == ("cancelled", "CANCELLED")
        assert [s.error_code for s in samples] == ["CANCELLED"]

    def test_without_metric_recording_only_the_entry(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("no_metrics", record_metrics=False)
        async def no_metrics() -> Success[int]:
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            asyncio.run(no_metrics())
        assert [e.result_type for e in entries] == ["cancelled"]
        assert samples == []

    def test_a_failing_output_is_counted_and_the_cancel_still_propagates(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        class Broken:
            def submit(self, item: object) -> None:
                raise RuntimeError("queue gone")

        before = logging_stats()["entry_errors"]
        monkeypatch.setattr(STATE, "writer", Broken())

        @log_result_operation("broken_out")
        async def broken_out() -> Success[int]:
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            asyncio.run(broken_out())
        monkeypatch.undo()
        assert logging_stats()["entry_errors"] - before == 1


def test_lines_are_json(lines: Lines) -> None:
    """A smoke check of the fixture the tests above rely on."""

    @log_result_operation("smoke")
    def smoke() -> Success[int]:
        return Success(1)

    smoke()
    assert json.loads(lines.buffer.getvalue())["operation_name"] == "smoke"


def test_a_bound_user_id_alone_gives_the_user_and_no_metadata(
    entries: list[ResultLogEntry],
) -> None:
    @log_result_operation("user_only")
    def user_only() -> Success[int]:
        return Success(1)

    with log_context(user_id="u-7"):
        user_only()
    [entry] = entries
    assert (entry.user_id, entry.metadata) == ("u-7", {})


def test_logged_calls_record_into_the_default_read_without_a_call() -> None:
    """``ResultMetricsCollector.current`` (read by the hot path) follows ``set_instance``
    and ``instance()``: every call lands in the collector set last, failures included."""
    from rfs_monitoring.metrics import ResultMetricsCollector

    @log_result_operation("current_default")
    def work(fail: bool) -> Any:
        return Failure(ValueError("no")) if fail else Success(1)

    first, second = ResultMetricsCollector(), ResultMetricsCollector()
    previous = ResultMetricsCollector.set_instance(first)
    try:
        assert ResultMetricsCollector.current is first is ResultMetricsCollector.instance()
        work(False)
        ResultMetricsCollector.set_instance(second)
        assert ResultMetricsCollector.current is second
        work(False)
        work(True)
        counts = [
            c.operation_metrics("current_default").unwrap().total_requests for c in (first, second)
        ]
        assert counts == [1, 2]
    finally:
        ResultMetricsCollector.set_instance(previous)
