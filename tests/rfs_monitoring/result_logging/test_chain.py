"""Chain step entries (log_step / log_error) and batch entries (log_flux_result)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rfs_monitoring import (
    APIError,
    ErrorCode,
    Failure,
    FluxResult,
    MonoResult,
    Result,
    Success,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.mono import set_chain_observer
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    configure_logging,
    log_flux_result,
    log_result_operation,
    logging_stats,
    result_log_entry_schema,
    set_log_level,
)
from rfs_monitoring.tracing import configure_tracing

from .support import Lines, stat_delta


class TestSteps:
    @pytest.mark.asyncio
    async def test_log_step_outside_an_operation(self, entries: list[ResultLogEntry]) -> None:
        result = await MonoResult.from_value(1).log_step("alone").log_error("never")
        assert result == Success(1)
        [entry] = entries
        assert (entry.operation_name, entry.step_name, entry.result_type) == (
            "alone",
            "alone",
            "success",
        )

    @pytest.mark.asyncio
    async def test_log_error_only_on_failure(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation("op")
        def op(fail: bool) -> MonoResult[int, str]:
            mono = MonoResult.from_error("e") if fail else MonoResult.from_value(1)
            return mono.log_step("checked").log_error("failed")

        await op(False)
        assert [e.step_name for e in entries] == ["checked", None]
        entries.clear()
        await op(True)
        assert [(e.step_name, e.result_type) for e in entries] == [
            ("checked", "error"),
            (None, "error"),  # "failed" saw the failure "checked" reported: skipped (DEBUG)
        ]

    @pytest.mark.asyncio
    async def test_step_time_is_the_time_since_the_previous_step(
        self, entries: list[ResultLogEntry]
    ) -> None:
        async def slow(v: int) -> Success[int]:
            await asyncio.sleep(0.02)
            return Success(v)

        await MonoResult.from_value(1).log_step("a").bind_async_result(slow).log_step("b")
        first, second = entries
        assert first.processing_time_ms < second.processing_time_ms
        assert second.processing_time_ms >= 15.0

    @pytest.mark.asyncio
    async def test_step_levels_follow_the_operation(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation("quiet_steps", level="DEBUG")
        def op() -> MonoResult[int, Any]:
            return MonoResult.from_value(1).log_step("s")

        await op()
        assert entries == []
        set_log_level("DEBUG", operation="quiet_steps")
        await op()
        assert [e.step_name for e in entries] == ["s", None]


def _facts(entry: ResultLogEntry) -> tuple[object, ...]:
    """What an entry says, without the figures that vary from run to run."""
    return (
        entry.operation_name,
        entry.step_name,
        entry.result_type,
        entry.success_type,
        entry.error_type,
        entry.error_code,
        entry.error_message,
    )


_RETRIEVAL = ("user_retrieval",)
_CONNECTION_ERROR = ("ConnectionError", None, "db down")
_SERVICE_CALL_FAILED = (*_RETRIEVAL, "user_service_call", "error", None, *_CONNECTION_ERROR)
_UNAVAILABLE = ("APIError", "SERVICE_UNAVAILABLE", "Service unavailable")


class TestSkippedSteps:
    """A log point reached by a Failure that an earlier log point of the same run already
    reported logs the step as skipped (DEBUG, result "skipped", no error fields): the step
    never ran, so the failure is not its own. ``log_step`` and ``log_error`` alike."""

    @pytest.fixture
    def user_retrieval(self) -> Any:
        """The plan's ``get_user`` chain, its service failing."""

        async def get_user_async(user_id: str) -> Result[str, Exception]:
            return Failure(ConnectionError("db down"))

        def validate_user_response(user: str) -> Result[str, Exception]:
            raise AssertionError("never runs: the service failed")  # pragma: no cover

        @log_result_operation("user_retrieval")
        async def get_user(user_id: str) -> Result[str, APIError]:
            return await (
                MonoResult.from_async_result(lambda: get_user_async(user_id))
                .log_step("user_service_call")
                .bind_result(lambda user: validate_user_response(user))
                .log_step("user_validation")
                .map_error(lambda e: APIError.from_service_error(e))
                .log_error("user_retrieval_error")
                .timeout(5.0)
                .to_result()
            )

        return get_user

    @pytest.mark.asyncio
    async def test_the_plan_chain_at_info_has_no_entry_for_the_step_that_never_ran(
        self, entries: list[ResultLogEntry], user_retrieval: Any
    ) -> None:
        result = await user_retrieval("1")
        assert result.unwrap_error().code == ErrorCode.SERVICE_UNAVAILABLE
        assert [_facts(e) for e in entries] == [
            _SERVICE_CALL_FAILED,
            (*_RETRIEVAL, "user_retrieval_error", "error", None, *_UNAVAILABLE),
            (*_RETRIEVAL, None, "error", None, *_UNAVAILABLE),
        ]

    @pytest.mark.asyncio
    async def test_the_plan_chain_at_debug_logs_the_step_as_skipped(
        self, entries: list[ResultLogEntry], user_retrieval: Any
    ) -> None:
        set_log_level("DEBUG")
        await user_retrieval("1")
        assert [_facts(e) for e in entries] == [
            _SERVICE_CALL_FAILED,
            (*_RETRIEVAL, "user_validation", "skipped", None, None, None, None),
            (*_RETRIEVAL, "user_retrieval_error", "error", None, *_UNAVAILABLE),
            (*_RETRIEVAL, None, "error", None, *_UNAVAILABLE),
        ]
        assert len({e.correlation_id for e in entries}) == 1

    @pytest.mark.asyncio
    async def test_log_error_after_a_reported_failure_is_skipped_like_log_step(
        self, entries: list[ResultLogEntry]
    ) -> None:
        set_log_level("DEBUG")
        mono = MonoResult.from_error("boom").log_step("a").log_error("b").log_step("c")
        assert await mono == Failure("boom")
        assert [_facts(e) for e in entries] == [
            ("a", "a", "error", None, "str", None, "boom"),
            ("b", "b", "skipped", None, None, None, None),
            ("c", "c", "skipped", None, None, None, None),
        ]

    @pytest.mark.asyncio
    async def test_a_step_that_ran_and_failed_is_its_error(
        self, entries: list[ResultLogEntry]
    ) -> None:
        mono = (
            MonoResult.from_value(1)
            .log_step("load")
            .bind_result(lambda v: Failure(ValueError(f"bad {v}")))
            .log_step("check")
            .log_error("report")
        )
        await mono
        set_log_level("DEBUG")
        await mono
        first_run = [
            ("load", "load", "success", "int", None, None, None),
            ("check", "check", "error", None, "ValueError", None, "bad 1"),
        ]
        assert [_facts(e) for e in entries] == [
            *first_run,
            *first_run,
            ("report", "report", "skipped", None, None, None, None),
        ]

    @pytest.mark.asyncio
    async def test_a_new_failure_after_a_recovery_is_an_error_again(
        self, entries: list[ResultLogEntry]
    ) -> None:
        """The same Failure object coming back after a recovery was made by a step that
        ran: only the log point right before counts."""
        gone: Result[int, str] = Failure("gone")
        mono = (
            MonoResult.from_result(gone)
            .log_step("fetch")
            .on_error_return_value(0)
            .log_step("fallback")
            .bind_result(lambda v: gone)
            .log_step("refetch")
        )
        assert await mono is gone
        assert [(e.step_name, e.result_type) for e in entries] == [
            ("fetch", "error"),
            ("fallback", "success"),
            ("refetch", "error"),
        ]

    @pytest.mark.asyncio
    async def test_every_run_starts_afresh(self, entries: list[ResultLogEntry]) -> None:
        mono = MonoResult.from_error("e").log_step("a")
        await mono
        await mono
        assert [(e.step_name, e.result_type) for e in entries] == [("a", "error"), ("a", "error")]

    @pytest.mark.asyncio
    async def test_the_skipped_line_validates_against_the_schema(self) -> None:
        sink = Lines()
        configure_logging(sink=sink.buffer, background=False, level="DEBUG")
        await MonoResult.from_error(KeyError("k")).log_step("a").log_step("b")
        skipped = sink.entries()[1]
        jsonschema.Draft202012Validator(result_log_entry_schema()).validate(skipped)
        assert {k: skipped[k] for k in _LINE_FACTS} == {
            "operation_name": "b",
            "step_name": "b",
            "result_type": "skipped",
            "success_type": None,
            "error_type": None,
            "error_code": None,
            "error_message": None,
        }

    @pytest.mark.asyncio
    async def test_a_skipped_step_is_a_skipped_span_event(self) -> None:
        memory = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        configure_tracing(provider)
        try:

            @log_result_operation("traced_chain")
            async def op() -> Result[int, str]:
                return await MonoResult.from_error("x").log_step("a").log_step("b")

            await op()
        finally:
            configure_tracing(None, enabled=False)
            configure_tracing(None)
        [span] = memory.get_finished_spans()
        assert [(e.name, dict(e.attributes or {})) for e in span.events] == [
            ("a", {"rfs.step": "a", "rfs.result_type": "error"}),
            ("b", {"rfs.step": "b", "rfs.result_type": "skipped"}),
        ]


class TestObserverKinds:
    """What ``MonoResult`` tells its chain observer (``set_chain_observer``)."""

    @pytest.mark.asyncio
    async def test_skipped_when_the_failure_is_the_one_the_previous_log_point_saw(
        self,
    ) -> None:
        seen: list[tuple[str, str]] = []

        def observer(kind: str, name: str, result: Result[Any, Any], elapsed_ms: float) -> None:
            seen.append((kind, name))

        previous = set_chain_observer(observer)
        try:
            await (
                MonoResult.from_value(1)
                .log_step("a")
                .bind_result(lambda v: Failure("x"))
                .log_error("b")
                .map(lambda v: v)
                .log_step("c")
                .map_error(str.upper)
                .log_error("d")
                .log_error("e")
            )
        finally:
            set_chain_observer(previous)
        assert seen == [
            ("step", "a"),
            ("error", "b"),
            ("skipped", "c"),
            ("error", "d"),
            ("skipped", "e"),
        ]


_LINE_FACTS = (
    "operation_name",
    "step_name",
    "result_type",
    "success_type",
    "error_type",
    "error_code",
    "error_message",
)


class TestFlux:
    def test_summary_of_a_successful_batch(self, entries: list[ResultLogEntry]) -> None:
        flux = FluxResult.from_values([1, 2])
        assert (
            log_flux_result(flux, "batch", processing_time_ms=3.5, metadata={"src": "csv"}) is flux
        )
        [entry] = entries
        assert (entry.operation_name, entry.step_name, entry.result_type) == (
            "batch",
            "flux_summary",
            "success",
        )
        assert entry.processing_time_ms == 3.5
        assert entry.metadata == {
            "src": "csv",
            "total": 2,
            "succeeded": 2,
            "failed": 0,
            "success_rate": 1.0,
        }

    def test_failures_and_per_item_entries(self, entries: list[ResultLogEntry]) -> None:
        flux = FluxResult.from_results(
            [Success(1), Failure(APIError.not_found("x", 1)), Failure(ValueError("v"))]
        )
        log_flux_result(flux, "batch", per_item_errors=True)
        summary, first, second = entries
        assert summary.result_type == "error"
        assert summary.error_code == "NOT_FOUND"
        assert summary.metadata["success_rate"] == pytest.approx(1 / 3)
        assert [(e.step_name, e.metadata["index"], e.error_type) for e in (first, second)] == [
            ("flux_item", 1, "APIError"),
            ("flux_item", 2, "ValueError"),
        ]
        assert len({e.correlation_id for e in entries}) == 1

    def test_empty_batch_and_levels(self, entries: list[ResultLogEntry]) -> None:
        log_flux_result(FluxResult.from_values([]), "empty")
        assert entries[0].metadata["success_rate"] == 0.0
        entries.clear()
        set_log_level("CRITICAL")
        log_flux_result(FluxResult.from_results([Failure("x")]), "quiet", per_item_errors=True)
        assert entries == []

    def test_bad_arguments(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            log_flux_result(FluxResult.from_values([]), "")
        assert str(info.value) == "log_flux_result() expects a non-empty operation name, got ''"
        with pytest.raises(ConfigurationError):
            log_flux_result(FluxResult.from_values([]), "x", level="nope")

    def test_never_raises(self) -> None:
        class Exploding(FluxResult[int, Any]):
            def __iter__(self) -> Iterator[Any]:
                raise RuntimeError("iteration failed")

        before = logging_stats()
        flux = Exploding([Success(1)])
        assert log_flux_result(flux, "x") is flux
        assert stat_delta(before, "entry_errors") == 1
