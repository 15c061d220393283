"""Faults never reach the caller: each broken part leaves the Result unchanged and is counted.

Each test runs a monitored function next to the same function without monitoring and
asserts that both return equal Results, then finds the fault in a counter
(``logging_stats()``, ``collector.stats()``, ``AlertManager.stats()``) or in the health
endpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from rfs_monitoring import tracing as rfs_tracing
from rfs_monitoring.alerts import AlertManager, AlertNotification
from rfs_monitoring.archive import MetricsArchive
from rfs_monitoring.context import bind_log_context, reset_log_context
from rfs_monitoring.errors import APIError
from rfs_monitoring.masking import REDACTED_ON_ERROR, add_masking_pattern
from rfs_monitoring.metrics import ResultMetricsCollector
from rfs_monitoring.result import Failure, Result, Success
from rfs_monitoring.result_logging import (
    configure_logging,
    flush_logs,
    log_result_operation,
    logging_stats,
)

INPUTS = (-2, -1, 0, 1, 2, 3)


def compute(n: int) -> Result[int, APIError]:
    """The application's function: a success for n >= 0, a validation failure otherwise."""
    if n < 0:
        return Failure(APIError.validation_error(f"n must be >= 0, got {n}", field="n"))
    return Success(n * 2)


def assert_same_results(monitored: Callable[[int], Result[int, APIError]]) -> None:
    for n in INPUTS:
        assert monitored(n) == compute(n)


def delta(before: dict[str, int], key: str) -> int:
    return logging_stats()[key] - before[key]


class RaisingSink:
    """A text stream whose writes fail as on a full disk."""

    def write(self, data: str) -> int:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        """Nothing buffered."""


class BlockingSink:
    """A text stream whose writes block until ``gate`` is set."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.lines = 0

    def write(self, data: str) -> int:
        self.gate.wait(30)
        self.lines += data.count("\n")
        return len(data)

    def flush(self) -> None:
        """Nothing buffered."""


class TestLoggingFaults:
    def test_a_sink_that_raises_is_counted(self, collector: ResultMetricsCollector) -> None:
        configure_logging(sink=RaisingSink(), stdlib=False)
        before = logging_stats()
        assert_same_results(log_result_operation("fault.sink_raises")(compute))
        assert flush_logs(timeout=10)
        assert delta(before, "sink_errors") >= 1
        assert delta(before, "written") == 0
        totals = {t.operation: t for t in collector.totals()}["fault.sink_raises"]
        assert (totals.total, totals.failed) == (len(INPUTS), 2)

    def test_a_blocking_sink_fills_the_queue_and_drops_are_counted(
        self, collector: ResultMetricsCollector
    ) -> None:
        sink = BlockingSink()
        configure_logging(sink=sink, stdlib=False, queue_size=8)
        before = logging_stats()
        monitored = log_result_operation("fault.sink_blocks")(compute)
        calls = 200
        try:
            for i in range(calls):
                assert monitored(i) == compute(i)
            # at most 8 queued and 8 taken by the writer before it blocked
            assert delta(before, "dropped") >= calls - 16
        finally:
            sink.gate.set()
        assert flush_logs(timeout=10)
        dropped = delta(before, "dropped")
        assert delta(before, "written") == calls - dropped == sink.lines
        assert {t.operation: t.total for t in collector.totals()}["fault.sink_blocks"] == calls

    def test_unserialisable_and_cyclic_metadata(
        self,
        collector: ResultMetricsCollector,
        log_file: Path,
        log_lines: Callable[[Path], list[str]],
    ) -> None:
        class Unprintable:
            def __str__(self) -> str:
                raise RuntimeError("no str")

            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        cyclic: dict[str, Any] = {"name": "loop"}
        cyclic["self"] = cyclic
        cyclic["items"] = [cyclic, {1, 2}, b"\xff\x00", float("nan"), 10**40]

        @log_result_operation("fault.metadata", context_args=("meta",))
        def monitored(n: int, meta: object = None) -> Result[int, APIError]:
            return compute(n)

        token = bind_log_context(request_meta=cyclic, broken=Unprintable())
        try:
            for n in INPUTS:
                for meta in (cyclic, Unprintable(), {"obj": Unprintable()}, object()):
                    assert monitored(n, meta) == compute(n)
        finally:
            reset_log_context(token)
        lines = log_lines(log_file)
        assert len(lines) == len(INPUTS) * 4
        for line in lines:
            assert json.loads(line)["operation_name"] == "fault.metadata"

    def test_an_exception_whose_str_raises_is_counted(self, log_file: Path) -> None:
        class Unprintable(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no str")

        def fails() -> Result[int, Unprintable]:
            return Failure(Unprintable())

        before = logging_stats()
        result = log_result_operation("fault.unprintable")(fails)()
        assert isinstance(result, Failure)
        assert isinstance(result.unwrap_error(), Unprintable)
        assert delta(before, "masking_errors") >= 1

    def test_a_masking_rule_that_raises_redacts_and_is_counted(
        self, log_file: Path, log_lines: Callable[[Path], list[str]]
    ) -> None:
        def explode(match: object) -> str:
            raise ZeroDivisionError("rule is broken")

        remove = add_masking_pattern(r"forbidden-\w+", explode)
        try:

            def fails(n: int) -> Result[int, APIError]:
                return Failure(APIError.bad_request(f"forbidden-word {n}"))

            before = logging_stats()
            for n in range(3):
                assert log_result_operation("fault.masking")(fails)(n) == fails(n)
        finally:
            remove()
        lines = log_lines(log_file)
        assert delta(before, "masking_errors") >= 3
        assert len(lines) == 3
        for line in lines:
            assert "forbidden-word" not in line
            assert json.loads(line)["error_message"] == REDACTED_ON_ERROR

    def test_a_raising_entry_listener_is_counted(self, log_file: Path) -> None:
        from rfs_monitoring.result_logging import add_entry_listener

        def listener(entry: object) -> None:
            raise RuntimeError("listener down")

        remove = add_entry_listener(listener)
        try:
            before = logging_stats()
            assert_same_results(log_result_operation("fault.listener")(compute))
        finally:
            remove()
        assert delta(before, "listener_errors") == len(INPUTS)


class TestMetricsFaults:
    def test_a_clock_that_jumps_backwards_keeps_exact_counts(self, clock: Any) -> None:
        collector = ResultMetricsCollector(clock=clock)
        previous = ResultMetricsCollector.set_instance(collector)
        try:
            monitored = log_result_operation("fault.clock")(compute)
            assert_same_results(monitored)
            clock.advance(-3600.0)  # NTP step back by an hour
            assert_same_results(monitored)
            clock.advance(-0.5)
            assert_same_results(monitored)
            clock.advance(7200.5)
            assert_same_results(monitored)
        finally:
            ResultMetricsCollector.set_instance(previous)
        totals = {t.operation: t for t in collector.totals()}["fault.clock"]
        assert (totals.total, totals.failed) == (4 * len(INPUTS), 4 * 2)
        stats = collector.stats()
        assert stats["clock_regressions"] == 2 * len(INPUTS)
        assert stats["record_errors"] == 0

    def test_a_clock_that_raises_is_counted_not_raised(self) -> None:
        def broken_clock() -> float:
            raise OSError("clock unavailable")

        collector = ResultMetricsCollector(clock=broken_clock)
        collector.record("fault.raw_clock", success=True, duration_ms=1.0)
        assert collector.stats()["record_errors"] == 1
        previous = ResultMetricsCollector.set_instance(collector)
        try:
            assert_same_results(log_result_operation("fault.raising_clock")(compute))
        finally:
            ResultMetricsCollector.set_instance(previous)
        assert collector.stats()["record_errors"] == 1 + len(INPUTS)

    @pytest.mark.asyncio
    async def test_a_full_disk_under_the_archive_is_counted_and_retried(
        self, tmp_path: Path, clock: Any
    ) -> None:
        archive = MetricsArchive(tmp_path / "archive.sqlite", clock=clock)
        fill_the_disk(archive)
        collector = ResultMetricsCollector(
            clock=clock, retention=dt.timedelta(hours=1), archive=archive
        )
        previous = ResultMetricsCollector.set_instance(collector)
        try:
            monitored = log_result_operation("fault.archive")(compute)
            assert_same_results(monitored)
            clock.advance(3 * 3600.0)  # the first hour leaves the retention
            assert_same_results(monitored)
            figures = await collector.get_operation_metrics("fault.archive", "1h")
        finally:
            ResultMetricsCollector.set_instance(previous)
            archive.close()
        assert figures.is_success()
        assert figures.unwrap().total_requests == len(INPUTS)
        stats = collector.stats()
        assert stats["archive_errors"] >= 1
        assert stats["archive_pending"] >= 1  # kept for the next try
        assert stats["archived_buckets"] == 0


def fill_the_disk(archive: MetricsArchive) -> None:
    """Make the archive's database full (SQLITE_FULL, as on a full disk).

    The page limit is set on the archive's own connection (it is per connection); the
    table is then packed with rows of shrinking size until not even a tiny one fits.
    """
    conn = archive.connection
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 4}")
    insert = (
        "INSERT INTO rfs_metric_hours VALUES "
        "(?, 'filler', 4000000000, 0, 0, 0, 0, 0, randomblob(?), '', '', '', 0, 0, 0, 0, 0)"
    )
    rows = 0
    errors: list[str] = []
    for size in (2000, 500, 100, 20, 1):
        while rows < 10_000:
            try:
                conn.execute(insert, (f"f{rows}", size))
            except sqlite3.OperationalError as exc:
                errors.append(str(exc))
                break
            rows += 1
    assert errors == ["database or disk is full"] * 5


class TestAlertFaults:
    @pytest.mark.asyncio
    async def test_notifiers_that_raise_or_hang_are_counted(
        self, collector: ResultMetricsCollector
    ) -> None:
        released = threading.Event()
        calls: list[str] = []

        def raising(notification: AlertNotification) -> None:
            calls.append("raising")
            raise ConnectionError("webhook down")

        def hanging(notification: AlertNotification) -> None:
            calls.append("hanging")
            released.wait(30)

        async def hanging_async(notification: AlertNotification) -> None:
            calls.append("hanging_async")
            await asyncio.sleep(30)

        manager = AlertManager(
            collector,
            notifiers=[raising, hanging, hanging_async],
            notifier_timeout=0.2,
            log_notifications=False,
            discover_plugins=False,
        )
        manager.add({"metric": "error_rate", "comparison": ">", "threshold": 0.1})
        try:
            assert_same_results(log_result_operation("fault.notifier")(compute))
            events = await manager.evaluate()
        finally:
            released.set()
        assert events[-1].state == "firing"
        assert sorted(calls) == ["hanging", "hanging_async", "raising"]
        stats = manager.stats()
        assert stats["notifier_failures"] == 1
        assert stats["notifier_timeouts"] == 2
        assert stats["firing"] == 1


class RaisingExporter(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        raise ConnectionError("OTLP collector unreachable")

    def shutdown(self) -> None:
        """Nothing to release."""


class RaisingProcessor(SpanProcessor):
    def on_end(self, span: ReadableSpan) -> None:
        raise RuntimeError("span processor down")


@pytest.fixture
def tracer_provider() -> Iterator[TracerProvider]:
    provider = TracerProvider()
    rfs_tracing.configure_tracing(provider)
    yield provider
    rfs_tracing.configure_tracing(None, enabled=False)
    rfs_tracing.configure_tracing(None)


class TestTracingFaults:
    def test_an_exporter_that_raises(
        self,
        tracer_provider: TracerProvider,
        collector: ResultMetricsCollector,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        tracer_provider.add_span_processor(SimpleSpanProcessor(RaisingExporter()))
        with caplog.at_level(logging.ERROR):
            assert_same_results(log_result_operation("fault.otel_exporter")(compute))
        # the SDK's span processor catches and logs the exporter's failure
        exporting = [r for r in caplog.records if r.name.startswith("opentelemetry")]
        assert len(exporting) == len(INPUTS)
        assert {t.operation: t.total for t in collector.totals()}["fault.otel_exporter"] == 6

    def test_a_span_processor_that_raises_is_counted(
        self, tracer_provider: TracerProvider, collector: ResultMetricsCollector
    ) -> None:
        tracer_provider.add_span_processor(RaisingProcessor())
        before = logging_stats()
        assert_same_results(log_result_operation("fault.otel_processor")(compute))
        assert delta(before, "entry_errors") == len(INPUTS)


class TestHealthShowsFaults:
    @pytest.mark.asyncio
    async def test_the_health_endpoint_reports_sink_errors_and_drops(
        self, collector: ResultMetricsCollector, client: httpx.AsyncClient
    ) -> None:
        configure_logging(sink=RaisingSink(), stdlib=False)
        assert_same_results(log_result_operation("fault.health")(compute))
        assert flush_logs(timeout=10)
        response = await client.get("/monitoring/health/result-patterns")
        assert response.status_code == 200
        body = response.json()
        assert body["logging"]["sink_errors"] == logging_stats()["sink_errors"] >= 1
        assert body["logging_dropped"] == logging_stats()["dropped"]
        assert body["collector"]["record_errors"] == 0
        assert body["collector"]["clock_regressions"] == 0
        assert body["total_requests"] == len(INPUTS)
