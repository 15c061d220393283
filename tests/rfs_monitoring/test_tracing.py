"""OpenTelemetry spans for operations, checked with the SDK's in-memory exporter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from rfs_monitoring import APIError, Failure, MonoResult, Success
from rfs_monitoring import tracing as rfs_tracing
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    add_entry_listener,
    log_result_operation,
    reset_logging,
    set_log_level,
)
from rfs_monitoring.result_logging.decorator import set_duration_clock


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    rfs_tracing.configure_tracing(provider)
    yield memory
    rfs_tracing.configure_tracing(None, enabled=False)
    rfs_tracing.configure_tracing(None)
    reset_logging()


@pytest.fixture
def entries() -> Iterator[list[ResultLogEntry]]:
    got: list[ResultLogEntry] = []
    remove = add_entry_listener(got.append)
    yield got
    remove()


def _ids(span: Any) -> tuple[str, str]:
    ctx = span.get_span_context()
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


class TestSpans:
    @pytest.mark.asyncio
    async def test_success_span_and_entry_ids(
        self, exporter: InMemorySpanExporter, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("traced")
        async def traced() -> Success[int]:
            return Success(1)

        assert rfs_tracing.tracing_enabled()
        await traced()
        [span] = exporter.get_finished_spans()
        assert span.name == "traced"
        assert span.attributes == {"rfs.operation": "traced", "rfs.result_type": "success"}
        assert span.status.status_code == StatusCode.UNSET
        [entry] = entries
        assert (entry.trace_id, entry.span_id) == _ids(span)
        assert entry.to_dict()["trace_id"] == entry.trace_id

    def test_failure_sets_error_status_and_code(
        self, exporter: InMemorySpanExporter, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("lookup")
        def lookup() -> Failure[APIError]:
            return Failure(APIError.not_found("user", 1))

        lookup()
        [span] = exporter.get_finished_spans()
        assert span.attributes is not None
        assert span.attributes["rfs.result_type"] == "error"
        assert span.attributes["rfs.error_code"] == "NOT_FOUND"
        assert span.status.status_code == StatusCode.ERROR
        assert span.status.description == "user 1 not found"

    def test_exceptions_are_recorded(self, exporter: InMemorySpanExporter) -> None:
        @log_result_operation("explodes")
        def explodes() -> Success[int]:
            raise RuntimeError("kaput")

        with pytest.raises(RuntimeError):
            explodes()
        [span] = exporter.get_finished_spans()
        assert span.status.status_code == StatusCode.ERROR
        assert [event.name for event in span.events] == ["exception"]

    @pytest.mark.asyncio
    async def test_chain_steps_are_span_events_of_one_span(
        self, exporter: InMemorySpanExporter, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("chain")
        def chain() -> MonoResult[int, Any]:
            return (
                MonoResult.from_value(1)
                .log_step("loaded")
                .bind_result(lambda v: Failure("bad"))
                .log_error("failed")
            )

        mono = chain()
        assert exporter.get_finished_spans() == ()  # not run yet: no span exported
        await mono
        [span] = exporter.get_finished_spans()
        assert [(e.name, dict(e.attributes or {})) for e in span.events] == [
            ("loaded", {"rfs.step": "loaded", "rfs.result_type": "success"}),
            ("failed", {"rfs.step": "failed", "rfs.result_type": "error"}),
        ]
        assert {(e.trace_id, e.span_id) for e in entries} == {_ids(span)}
        await mono  # a second run is a second span
        assert len(exporter.get_finished_spans()) == 2

    @pytest.mark.asyncio
    async def test_async_function_returning_a_mono(self, exporter: InMemorySpanExporter) -> None:
        @log_result_operation("lazy_async")
        async def lazy() -> MonoResult[int, Any]:
            return MonoResult.from_value(2)

        mono = await lazy()
        assert await mono == Success(2)
        assert [s.name for s in exporter.get_finished_spans()] == ["lazy_async"]

    @pytest.mark.asyncio
    async def test_sync_function_returning_a_coroutine(
        self, exporter: InMemorySpanExporter
    ) -> None:
        async def work() -> Success[int]:
            return Success(3)

        @log_result_operation("coro")
        def coro() -> Any:
            return work()

        assert await coro() == Success(3)
        [span] = exporter.get_finished_spans()
        assert span.attributes is not None
        assert span.attributes["rfs.result_type"] == "success"

    @pytest.mark.asyncio
    async def test_nested_operations_are_child_spans(self, exporter: InMemorySpanExporter) -> None:
        @log_result_operation("inner")
        async def inner() -> Success[int]:
            return Success(1)

        @log_result_operation("outer")
        async def outer() -> Success[int]:
            return await inner()

        await outer()
        inner_span, outer_span = exporter.get_finished_spans()
        assert inner_span.parent is not None
        assert inner_span.parent.span_id == outer_span.context.span_id

    def test_spans_are_made_below_the_log_level(
        self, exporter: InMemorySpanExporter, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("quiet")
        def quiet() -> Success[int]:
            return Success(1)

        set_log_level("OFF")
        quiet()
        assert [s.name for s in exporter.get_finished_spans()] == ["quiet"]
        assert entries == []

    def test_disabled_tracing_makes_no_span_and_no_ids(
        self, exporter: InMemorySpanExporter, entries: list[ResultLogEntry]
    ) -> None:
        rfs_tracing.configure_tracing(None, enabled=False)

        @log_result_operation("off")
        def off() -> Success[int]:
            return Success(1)

        off()
        assert exporter.get_finished_spans() == ()
        assert entries[0].trace_id is None
        assert not rfs_tracing.tracing_enabled()


class TestProviderDetection:
    def test_the_global_provider_is_used_once_set(self, monkeypatch: pytest.MonkeyPatch) -> None:
        memory = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        rfs_tracing.configure_tracing(None)
        monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.ProxyTracerProvider())
        assert not rfs_tracing.tracing_enabled()
        assert not rfs_tracing.tracing_enabled()  # re-checked at most once a second
        monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
        rfs_tracing.configure_tracing(None)  # looks the global provider up again at once
        try:
            assert rfs_tracing.tracing_enabled()
            handle = rfs_tracing.start_span("x")
            assert handle is not None
            rfs_tracing.end_span(handle, success=True)
            assert [s.name for s in memory.get_finished_spans()] == ["x"]
        finally:
            rfs_tracing.configure_tracing(None)

    def test_a_provider_lookup_that_fails_means_off(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def broken() -> Any:
            raise RuntimeError("no provider")

        rfs_tracing.configure_tracing(None)
        monkeypatch.setattr(trace, "get_tracer_provider", broken)
        assert not rfs_tracing.tracing_enabled()

    def test_a_tracer_that_fails_means_no_span(self) -> None:
        class BrokenTracer:
            def start_span(self, *args: Any, **kwargs: Any) -> Any:
                raise RuntimeError("tracer bug")

        class BrokenProvider:
            def get_tracer(self, name: str) -> BrokenTracer:
                return BrokenTracer()

        rfs_tracing.configure_tracing(BrokenProvider())
        try:
            assert rfs_tracing.start_span("x") is None

            @log_result_operation("survives")
            def survives() -> Success[int]:
                return Success(1)

            assert survives() == Success(1)
        finally:
            rfs_tracing.configure_tracing(None)

    @pytest.mark.parametrize("fake_clock", [False, True])
    def test_a_logged_call_looks_the_provider_up_when_due_on_perf_counters_scale(
        self, monkeypatch: pytest.MonkeyPatch, fake_clock: bool
    ) -> None:
        memory = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        rfs_tracing.configure_tracing(None)
        monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)

        @log_result_operation("found_when_due")
        def found_when_due() -> Success[int]:
            return Success(1)

        ticks = iter(range(1_000_000))
        previous = set_duration_clock((lambda: float(next(ticks))) if fake_clock else None)
        state = rfs_tracing.tracer_state
        try:
            state.next_check = time.perf_counter() + 3600.0  # not due: no lookup, no span
            assert found_when_due() == Success(1)
            assert state.tracer is None
            assert memory.get_finished_spans() == ()
            state.next_check = time.perf_counter() - 0.001  # due: found, and traced at once
            assert found_when_due() == Success(1)
            assert [span.name for span in memory.get_finished_spans()] == ["found_when_due"]
        finally:
            set_duration_clock(previous)
            rfs_tracing.configure_tracing(None)

    def test_bad_provider(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            rfs_tracing.configure_tracing(object())
        assert str(info.value).startswith(
            "configure_tracing() expects an OpenTelemetry TracerProvider (with get_tracer), "
            "got object:"
        )

    def test_helpers_without_a_current_span(self) -> None:
        assert rfs_tracing.current_ids() is None
        rfs_tracing.span_event("nothing", {})  # no recording span: nothing happens


def test_without_opentelemetry_nothing_is_imported() -> None:
    script = textwrap.dedent(
        """
        import sys
        from rfs_monitoring import Success, MonoResult, log_result_operation
        from rfs_monitoring import tracing

        @log_result_operation("plain")
        def plain():
            return MonoResult.from_value(1).log_step("s")

        import asyncio
        assert asyncio.run(plain().to_result()) == Success(1)
        assert not tracing.tracing_enabled()
        assert tracing.current_ids() is None
        tracing.span_event("x", {})
        assert not [m for m in sys.modules if m.startswith("opentelemetry")], "imported"
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


class TestSpanFaults:
    @pytest.mark.asyncio
    async def test_span_bookkeeping_faults_are_counted(
        self, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from rfs_monitoring import result_logging as rl

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("otel bug")

        @log_result_operation("faulty")
        def faulty() -> MonoResult[int, Any]:
            return MonoResult.from_value(1)

        before = rl.logging_stats()["entry_errors"]
        monkeypatch.setattr(rfs_tracing, "suspend_span", broken)
        monkeypatch.setattr(rfs_tracing, "resume_span", broken)
        monkeypatch.setattr(rfs_tracing, "end_span", broken)
        mono = faulty()
        assert await mono == Success(1)
        assert rl.logging_stats()["entry_errors"] == before + 3

    def test_ending_a_suspended_span(self, exporter: InMemorySpanExporter) -> None:
        handle = rfs_tracing.start_span("suspended")
        assert handle is not None
        rfs_tracing.suspend_span(handle)
        rfs_tracing.end_span(handle, success=False, error_code="X", error_message="m")
        [span] = exporter.get_finished_spans()
        assert span.status.status_code == StatusCode.ERROR
