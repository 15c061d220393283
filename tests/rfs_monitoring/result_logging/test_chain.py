"""Chain step entries (log_step / log_error) and batch entries (log_flux_result)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from rfs_monitoring import (
    APIError,
    Failure,
    FluxResult,
    MonoResult,
    Success,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    log_flux_result,
    log_result_operation,
    logging_stats,
    set_log_level,
)

from .support import stat_delta


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
            ("failed", "error"),
            (None, "error"),
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
