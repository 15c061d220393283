"""@log_result_operation, chain step entries, levels, sampling, output pipeline and faults."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import result as rustedpy
import returns.result
import structlog
from structlog.testing import capture_logs

from rfs_monitoring import (
    APIError,
    ErrorCode,
    Failure,
    FluxResult,
    MonoResult,
    ResultMetricsCollector,
    Success,
)
from rfs_monitoring import result_logging as rl
from rfs_monitoring.context import (
    bind_log_context,
    correlation_context,
    peek_correlation_id,
    reset_log_context,
    reset_request_id,
    set_request_id,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.masking import MASK, REDACTED_ON_ERROR, add_masking_pattern
from rfs_monitoring.metrics import MetricSample
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    add_entry_listener,
    configure_logging,
    flush_logs,
    get_log_level,
    log_flux_result,
    log_result_operation,
    logging_stats,
    reset_logging,
    set_log_level,
)


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    """Every test starts unconfigured at INFO and leaves it so."""
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def entries() -> Iterator[list[ResultLogEntry]]:
    got: list[ResultLogEntry] = []
    remove = add_entry_listener(got.append)
    yield got
    remove()


@pytest.fixture
def samples() -> Iterator[list[MetricSample]]:
    collector = ResultMetricsCollector()
    previous = ResultMetricsCollector.set_instance(collector)
    got: list[MetricSample] = []
    collector.subscribe(got.append)
    yield got
    ResultMetricsCollector.set_instance(previous)


class Lines:
    """A text sink whose JSON lines can be read back."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def json(self) -> list[dict[str, Any]]:
        flush_logs()
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]

    def entries(self) -> list[dict[str, Any]]:
        return [line for line in self.json() if "operation_name" in line]


@pytest.fixture
def lines() -> Lines:
    sink = Lines()
    configure_logging(sink=sink.buffer, background=False, service_name="svc", environment="test")
    return sink


def stat_delta(before: dict[str, int], key: str) -> int:
    return logging_stats()[key] - before[key]


# --------------------------------------------------------------------------- decorator


class TestOperations:
    @pytest.mark.asyncio
    async def test_async_success_writes_one_entry(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("load")
        async def load(n: int) -> Success[int]:
            return Success(n * 2)

        assert await load(21) == Success(42)
        [entry] = entries
        assert entry.operation_name == "load"
        assert entry.step_name is None
        assert entry.result_type == "success"
        assert entry.success_type == "int"
        assert entry.error_type is entry.error_code is entry.error_message is None
        assert entry.processing_time_ms >= 0.0
        assert entry.timestamp.tzinfo is not None
        assert len(entry.correlation_id) == 32
        assert [(s.operation, s.success) for s in samples] == [("load", True)]

    def test_sync_failure_describes_the_error(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("find")
        def find(user_id: str) -> Failure[APIError]:
            return Failure(APIError.not_found("user", user_id))

        assert find("7") == Failure(APIError.not_found("user", "7"))
        [entry] = entries
        assert (entry.result_type, entry.error_type, entry.error_code, entry.error_message) == (
            "error",
            "APIError",
            "NOT_FOUND",
            "user 7 not found",
        )
        assert entry.success_type is None
        [sample] = samples
        assert (sample.success, sample.error_code, sample.error_type, sample.error_message) == (
            False,
            "NOT_FOUND",
            "APIError",
            "user 7 not found",
        )

    @pytest.mark.parametrize(
        ("error", "expected"),
        [
            (ValueError("bad value"), ("ValueError", None, "bad value")),
            (TimeoutError(), ("TimeoutError", "TIMEOUT", "TimeoutError")),
            ("plain text", ("str", None, "plain text")),
            (ErrorCode.CONFLICT, ("ErrorCode", None, "CONFLICT")),
        ],
    )
    def test_other_error_values(
        self, entries: list[ResultLogEntry], error: object, expected: tuple[object, ...]
    ) -> None:
        @log_result_operation("op")
        def op() -> Failure[object]:
            return Failure(error)

        op()
        assert (entries[0].error_type, entries[0].error_code, entries[0].error_message) == expected

    def test_error_codes_from_attributes(self, entries: list[ResultLogEntry]) -> None:
        class CodedError(Exception):
            code = ErrorCode.FORBIDDEN

        class NumberedError(Exception):
            code = 42

        class WeirdCode(Exception):
            @property
            def code(self) -> str:
                raise RuntimeError("no code")

        @log_result_operation("op")
        def op(error: object) -> Failure[object]:
            return Failure(error)

        op(CodedError("nope"))
        op(NumberedError("n"))
        before = logging_stats()
        op(WeirdCode("w"))
        assert [e.error_code for e in entries] == ["FORBIDDEN", "42", None]
        assert stat_delta(before, "entry_errors") == 1

    def test_unprintable_errors_are_named(self, entries: list[ResultLogEntry]) -> None:
        class Unprintable(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no")

        @log_result_operation("op")
        def op() -> Failure[Exception]:
            return Failure(Unprintable())

        op()
        assert entries[0].error_message == "<unprintable Unprintable>"

    @pytest.mark.asyncio
    async def test_exceptions_are_logged_and_reraised_unchanged(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        boom = KeyError("missing")

        @log_result_operation("sync_op")
        def sync_op() -> Success[int]:
            raise boom

        @log_result_operation("async_op")
        async def async_op() -> Success[int]:
            raise boom

        with pytest.raises(KeyError) as info:
            sync_op()
        assert info.value is boom
        with pytest.raises(KeyError) as info:
            await async_op()
        assert info.value is boom
        assert [(e.operation_name, e.result_type, e.error_type) for e in entries] == [
            ("sync_op", "error", "KeyError"),
            ("async_op", "error", "KeyError"),
        ]
        assert [s.success for s in samples] == [False, False]

    @pytest.mark.asyncio
    async def test_mono_returning_functions_log_when_the_chain_completes(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("lazy")
        def lazy(n: int) -> MonoResult[int, Any]:
            return MonoResult.from_value(n).log_step("start").map(lambda v: v + 1)

        mono = lazy(1)
        assert isinstance(mono, MonoResult)
        assert entries == []
        assert await mono == Success(2)
        assert [(e.operation_name, e.step_name) for e in entries] == [
            ("lazy", "start"),
            ("lazy", None),
        ]
        assert entries[0].correlation_id == entries[1].correlation_id
        assert await mono == Success(2)  # each run is one operation
        assert len(entries) == 4
        assert len(samples) == 2

    @pytest.mark.asyncio
    async def test_async_functions_returning_a_mono(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation("lazy_async")
        async def lazy() -> MonoResult[int, Any]:
            return MonoResult.from_error("nope").log_error("failed")

        mono = await lazy()
        assert entries == []
        assert await mono == Failure("nope")
        assert [(e.step_name, e.result_type) for e in entries] == [
            ("failed", "error"),
            (None, "error"),
        ]

    @pytest.mark.asyncio
    async def test_sync_functions_returning_an_awaitable(
        self, entries: list[ResultLogEntry]
    ) -> None:
        async def work(n: int) -> Success[int]:
            return Success(n)

        async def fail() -> Success[int]:
            raise ValueError("bad")

        @log_result_operation("returns_coroutine")
        def op(n: int) -> Any:
            return work(n) if n >= 0 else fail()

        assert await op(3) == Success(3)
        with pytest.raises(ValueError, match="bad"):
            await op(-1)
        assert [(e.result_type, e.error_type) for e in entries] == [
            ("success", None),
            ("error", "ValueError"),
        ]

    def test_plain_values_count_as_success_and_pass_through(
        self, entries: list[ResultLogEntry]
    ) -> None:
        marker = object()

        @log_result_operation("plain")
        def plain() -> object:
            return marker

        assert plain() is marker
        assert entries[0].success_type == "object"

    @pytest.mark.asyncio
    async def test_foreign_results_pass_through_unchanged(
        self, entries: list[ResultLogEntry]
    ) -> None:
        r_ok = returns.result.Success(5)
        r_err = rustedpy.Err("broken")

        @log_result_operation("foreign_ok")
        async def ok() -> Any:
            return r_ok

        @log_result_operation("foreign_err")
        def err() -> Any:
            return r_err

        assert await ok() is r_ok
        assert err() is r_err
        assert [(e.result_type, e.success_type, e.error_message) for e in entries] == [
            ("success", "int", None),
            ("error", None, "broken"),
        ]

    def test_signature_and_identity_are_kept(self) -> None:
        async def fetch(user_id: str, *, limit: int = 10) -> Success[str]:
            """Fetch a user."""
            return Success(user_id)

        def compute(x: int, y: int = 2) -> int:
            return x + y

        wrapped_fetch = log_result_operation("fetch")(fetch)
        wrapped_compute = log_result_operation(compute)
        assert inspect.signature(wrapped_fetch) == inspect.signature(fetch)
        assert inspect.iscoroutinefunction(wrapped_fetch)
        assert not inspect.iscoroutinefunction(wrapped_compute)
        assert wrapped_fetch.__wrapped__ is fetch  # type: ignore[attr-defined]
        assert wrapped_fetch.__doc__ == "Fetch a user."
        assert wrapped_fetch.__rfs_operation__ == "fetch"  # type: ignore[attr-defined]
        assert wrapped_compute.__rfs_operation__.endswith("compute")  # type: ignore[attr-defined]
        assert wrapped_compute(1) == 3

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"name": ""},
                "log_result_operation() expects a non-empty operation name or None, got ''",
            ),
            (
                {"name": 3},
                "log_result_operation() expects a non-empty operation name or None, got 3",
            ),
            (
                {"level": "LOUD"},
                "level 'LOUD' is not accepted: use DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF "
                "(any case) or an int >= 0",
            ),
            (
                {"error_level": -1},
                "error_level -1 is not accepted: use DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF "
                "(any case) or an int >= 0",
            ),
            (
                {"success_sample_rate": 1.5},
                "success_sample_rate must be a number in 0.0..1.0, got 1.5",
            ),
            (
                {"success_sample_rate": True},
                "success_sample_rate must be a number in 0.0..1.0, got True",
            ),
            ({"metadata": [1]}, "metadata must be a mapping, got list: [1]"),
        ],
    )
    def test_bad_arguments_are_refused(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            log_result_operation(**kwargs)
        assert str(info.value) == message

    def test_context_args_must_name_parameters(self) -> None:
        def op(user_id: str, n: int) -> None:
            return None

        with pytest.raises(ConfigurationError) as info:
            log_result_operation("op", context_args=("tenant",))(op)
        assert str(info.value).endswith(
            "names 'tenant', which is not a parameter of "
            "'TestOperations.test_context_args_must_name_parameters.<locals>.op'; "
            "its parameters: user_id, n"
        )

        class NoSignature:
            __signature__ = "not a signature"

            def __call__(self) -> None:
                return None

        with pytest.raises(ConfigurationError, match=r"its parameters: \(none\)"):
            log_result_operation("b", context_args=("x",))(NoSignature())

    def test_only_callables_are_decorated(self) -> None:
        with pytest.raises(TypeError) as info:
            log_result_operation("x")(42)  # type: ignore[type-var]
        assert str(info.value) == "log_result_operation() decorates a callable, got int: 42"


class TestContextFields:
    def test_context_args_and_metadata(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation(
            "op", context_args=("user_id", "tenant", "card"), metadata={"component": "billing"}
        )
        def op(user_id: str, tenant: str = "t0", *, card: str = "") -> Success[int]:
            return Success(1)

        op("u1", card="4111 1111 1111 1111")
        op(user_id="u2", tenant="t9")
        first, second = entries
        assert first.user_id == "u1"
        assert first.metadata == {"component": "billing", "tenant": "t0", "card": f"{MASK}1111"}
        assert second.user_id == "u2"
        assert second.metadata["tenant"] == "t9"

    def test_a_single_name_is_accepted(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation("kw", context_args="password")
        def kw(*, password: str) -> Success[int]:
            return Success(1)

        kw(password="hunter2")
        assert entries[0].metadata == {"password": MASK}

    def test_bound_log_context(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation("op")
        def op() -> Success[int]:
            return Success(1)

        token = bind_log_context(user_id=77, tenant="acme", api_token="abc")
        request_token = set_request_id("req-1")
        try:
            op()
        finally:
            reset_log_context(token)
            reset_request_id(request_token)
        [entry] = entries
        assert entry.user_id == "77"
        assert entry.request_id == "req-1"
        assert entry.metadata == {"tenant": "acme", "api_token": MASK}

    @pytest.mark.asyncio
    async def test_correlation_id_of_the_context_is_used(
        self, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("op")
        async def op() -> Success[int]:
            return await MonoResult.from_value(1).log_step("inner")

        with correlation_context("corr-1"):
            await op()
            await op()
        assert {e.correlation_id for e in entries} == {"corr-1"}

    @pytest.mark.asyncio
    async def test_without_context_each_call_gets_its_own_id(
        self, entries: list[ResultLogEntry]
    ) -> None:
        seen: list[str | None] = []

        @log_result_operation("op")
        async def op() -> Success[int]:
            seen.append(peek_correlation_id())
            return await MonoResult.from_value(1).log_step("inner")

        await op()
        await op()
        assert peek_correlation_id() is None
        step1, op1, step2, op2 = entries
        assert step1.correlation_id == op1.correlation_id == seen[0]
        assert step2.correlation_id == op2.correlation_id == seen[1]
        assert op1.correlation_id != op2.correlation_id

    @pytest.mark.asyncio
    async def test_tasks_created_inside_keep_the_id(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation("child")
        async def child(n: int) -> Success[int]:
            await asyncio.sleep(0)
            return Success(n)

        @log_result_operation("parent")
        async def parent() -> Success[int]:
            results = await asyncio.gather(*(asyncio.create_task(child(i)) for i in range(3)))
            return Success(sum(r.unwrap() for r in results))

        await parent()
        assert len({e.correlation_id for e in entries}) == 1
        assert sorted(e.operation_name for e in entries) == ["child", "child", "child", "parent"]


# --------------------------------------------------------------------------- steps and batches


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


# --------------------------------------------------------------------------- levels and sampling


class TestLevels:
    def test_global_and_per_operation_thresholds(self, entries: list[ResultLogEntry]) -> None:
        @log_result_operation("a")
        def a(ok: bool) -> Any:
            return Success(1) if ok else Failure("e")

        @log_result_operation("b")
        def b() -> Success[int]:
            return Success(1)

        set_log_level("warning")
        assert get_log_level() == "WARNING"
        a(True)
        a(False)
        b()
        assert [(e.operation_name, e.result_type) for e in entries] == [("a", "error")]
        set_log_level(logging.DEBUG, operation="b")
        assert get_log_level("b") == "DEBUG"
        assert get_log_level("a") == "WARNING"
        b()
        assert entries[-1].operation_name == "b"
        set_log_level(None, operation="b")
        assert get_log_level("b") == "WARNING"
        set_log_level(15)
        assert get_log_level() == "15"

    def test_none_needs_an_operation(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            set_log_level(None)
        assert str(info.value) == (
            "set_log_level(None) needs an operation: None only removes a per-operation level"
        )
        with pytest.raises(ConfigurationError):
            set_log_level("verbose")

    @pytest.mark.asyncio
    async def test_below_the_level_no_entry_but_metrics(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("quiet")
        async def quiet(fail: bool) -> Any:
            if fail:
                raise RuntimeError("x")
            return MonoResult.from_value(1).log_step("inner") if False else Success(1)

        @log_result_operation("quiet_sync")
        def quiet_sync(kind: str) -> Any:
            if kind == "raise":
                raise RuntimeError("x")
            if kind == "mono":
                return MonoResult.from_value(1)
            return Failure("f")

        set_log_level("OFF")
        await quiet(False)
        with pytest.raises(RuntimeError):
            await quiet(True)
        assert quiet_sync("fail") == Failure("f")
        with pytest.raises(RuntimeError):
            quiet_sync("raise")
        assert await quiet_sync("mono") == Success(1)
        assert entries == []
        assert [s.success for s in samples] == [True, False, False, False, True]

    @pytest.mark.asyncio
    async def test_below_the_level_without_metrics_is_a_plain_call(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("bare", record_metrics=False)
        async def bare() -> Success[int]:
            return Success(1)

        @log_result_operation("bare_sync", record_metrics=False)
        def bare_sync(lazy: bool) -> Any:
            return MonoResult.from_value(2) if lazy else Success(1)

        set_log_level("OFF")
        assert await bare() == Success(1)
        assert bare_sync(False) == Success(1)
        assert await bare_sync(True) == Success(2)
        assert entries == []
        assert samples == []

    @pytest.mark.asyncio
    async def test_async_mono_on_the_fast_path(self, samples: list[MetricSample]) -> None:
        @log_result_operation("lazy_quiet")
        async def lazy() -> MonoResult[int, Any]:
            return MonoResult.from_value(3)

        set_log_level("OFF")
        assert await (await lazy()) == Success(3)
        assert [s.operation for s in samples] == ["lazy_quiet"]

    def test_rfs_log_level_at_start(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RFS_LOG_LEVEL", "error")
        assert rl._State().level == logging.ERROR
        configure_logging(sink=io.StringIO(), background=False)
        assert get_log_level() == "ERROR"
        monkeypatch.setenv("RFS_LOG_LEVEL", "chatty")
        state = rl._State()
        assert state.level == logging.INFO
        assert state.env_error is not None
        monkeypatch.setattr(rl, "_state", state)
        with pytest.raises(ConfigurationError) as info:
            configure_logging(sink=io.StringIO(), background=False)
        assert str(info.value).startswith("RFS_LOG_LEVEL 'chatty' is not accepted")
        monkeypatch.setenv("RFS_LOG_LEVEL", " ")
        assert rl._State().level == logging.INFO


class TestSampling:
    def test_successes_are_sampled_errors_never(
        self, entries: list[ResultLogEntry], samples: list[MetricSample]
    ) -> None:
        @log_result_operation("sampled", success_sample_rate=0.0)
        def op(ok: bool) -> Any:
            return Success(1) if ok else Failure("e")

        before = logging_stats()
        for _ in range(5):
            op(True)
        op(False)
        assert [e.result_type for e in entries] == ["error"]
        assert stat_delta(before, "sampled_out") == 5
        assert len(samples) == 6

    def test_partial_rate(
        self, entries: list[ResultLogEntry], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        draws = iter([0.1, 0.9, 0.3])
        monkeypatch.setattr(rl.random, "random", lambda: next(draws))

        @log_result_operation("half", success_sample_rate=0.5)
        def op() -> Success[int]:
            return Success(1)

        op()
        op()
        op()
        assert len(entries) == 2


# --------------------------------------------------------------------------- output


class TestOutput:
    @pytest.mark.asyncio
    async def test_json_lines_with_service_and_environment(self, lines: Lines) -> None:
        @log_result_operation("op")
        async def op() -> Success[int]:
            return Success(1)

        with correlation_context("c-1"):
            await op()
        [entry] = lines.entries()
        assert entry["service_name"] == "svc"
        assert entry["environment"] == "test"
        assert entry["correlation_id"] == "c-1"
        assert entry["timestamp"].endswith("Z")

    def test_stdlib_records_are_json_lines_with_the_correlation_id(self, lines: Lines) -> None:
        token = bind_log_context(user_id="u1", session_token="s")
        try:
            with correlation_context("c-2"):
                logging.getLogger("thirdparty.lib").warning(
                    "connect to %s with password=%s", "db", "pw"
                )
                try:
                    raise ValueError("broken")
                except ValueError:
                    logging.getLogger("thirdparty.lib").exception("failed")
        finally:
            reset_log_context(token)
        warning, failure = lines.json()
        assert warning["logger"] == "thirdparty.lib"
        assert warning["level"] == "WARNING"
        assert warning["event"] == f"connect to db with password={MASK}"
        assert warning["correlation_id"] == "c-2"
        assert warning["user_id"] == "u1"
        assert warning["session_token"] == MASK
        assert "ValueError: broken" in failure["exc_info"]

    def test_structlog_events_are_json_lines_with_the_correlation_id(self, lines: Lines) -> None:
        with correlation_context("c-3"):
            request = set_request_id("r-3")
            structlog.get_logger("app").info("paid", card="4111111111111111", api_key="k", n=1)
            reset_request_id(request)
        [event] = lines.json()
        assert event["event"] == "paid"
        assert event["correlation_id"] == "c-3"
        assert event["request_id"] == "r-3"
        assert event["card"] == f"{MASK}1111"
        assert event["api_key"] == MASK
        assert event["level"] == "info"

    def test_text_lines(self) -> None:
        sink = io.StringIO()
        configure_logging(json=False, sink=sink, background=False)

        @log_result_operation("text_op")
        def op() -> Success[int]:
            return Success(1)

        with correlation_context("c-4"):
            op()
            structlog.get_logger().info("hello world", n=2)
            logging.getLogger("lib").warning("careful")
        text = sink.getvalue().splitlines()
        assert text[0].startswith("timestamp=")
        assert "operation_name=text_op" in text[0]
        assert "correlation_id=c-4" in text[0]
        assert 'event="hello world"' in text[1]
        assert text[2].endswith("WARNING lib correlation_id=c-4 careful")

    def test_path_sink_and_background_writer(self, tmp_path: Path) -> None:
        path = tmp_path / "logs" / "app.jsonl"
        path.parent.mkdir()
        configure_logging(sink=path)

        @log_result_operation("bg")
        def op(n: int) -> Success[int]:
            return Success(n)

        for n in range(50):
            op(n)
        assert flush_logs(timeout=10)
        assert logging_stats()["queued"] == 0
        written = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(written) == 50
        assert {w["operation_name"] for w in written} == {"bg"}

    def test_binary_stream_sink(self) -> None:
        sink = io.BytesIO()
        configure_logging(sink=sink, background=False)
        structlog.get_logger().info("bytes")
        assert json.loads(sink.getvalue())["event"] == "bytes"

    def test_stream_without_flush(self) -> None:
        class WriteOnly:
            def __init__(self) -> None:
                self.parts: list[str] = []

            def write(self, text: str) -> None:
                self.parts.append(text)

        sink = WriteOnly()
        configure_logging(sink=sink, background=False)
        structlog.get_logger().info("x")
        assert json.loads("".join(sink.parts))["event"] == "x"

    def test_idempotent(self, lines: Lines) -> None:
        buffer = io.StringIO()
        configure_logging(sink=buffer, background=False)
        configure_logging(sink=buffer, background=False)
        handlers = [h for h in logging.getLogger().handlers if isinstance(h, rl._QueueHandler)]
        assert len(handlers) == 1
        logging.getLogger("lib").warning("once")
        assert len(buffer.getvalue().splitlines()) == 1

    def test_stdlib_routing_can_be_left_alone(self) -> None:
        configure_logging(sink=io.StringIO(), background=False, stdlib=False)
        assert not [h for h in logging.getLogger().handlers if isinstance(h, rl._QueueHandler)]

    def test_reset_restores_the_root_logger(self) -> None:
        root = logging.getLogger()
        level = root.level
        configure_logging(sink=io.StringIO(), background=False, level="DEBUG")
        assert root.level == logging.DEBUG
        reset_logging()
        assert root.level == level
        assert not [h for h in root.handlers if isinstance(h, rl._QueueHandler)]
        assert not structlog.is_configured()

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"sink": 42},
                "configure_logging(sink=...) expects a path or a stream with write(), got int: 42",
            ),
            ({"queue_size": 0}, "configure_logging(queue_size=...) expects an int >= 1, got 0"),
            (
                {"service_name": ""},
                "configure_logging(service_name=...) expects a non-empty str, got ''",
            ),
            (
                {"environment": 1},
                "configure_logging(environment=...) expects a non-empty str, got 1",
            ),
        ],
    )
    def test_bad_configuration(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            configure_logging(**kwargs)
        assert str(info.value) == message

    def test_unopenable_path(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="cannot open the file for appending"):
            configure_logging(sink=tmp_path / "missing-dir" / "x.log")

    def test_everything_queued_is_written_at_exit(self, tmp_path: Path) -> None:
        path = tmp_path / "exit.jsonl"
        script = f"""
from rfs_monitoring import Success, configure_logging, log_result_operation
configure_logging(sink={str(path)!r})

@log_result_operation("at_exit")
def op(n):
    return Success(n)

for n in range(2000):
    op(n)
"""
        subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
        assert len(path.read_text().splitlines()) == 2000


class TestUnconfigured:
    def test_entries_go_to_structlog_when_the_app_configured_it(self) -> None:
        @log_result_operation("op")
        def op() -> Success[int]:
            return Success(1)

        with capture_logs() as captured, correlation_context("c-5"):
            op()
            MonoResult.from_value(1).log_step("s")
        [event] = captured
        assert event["event"] == "result_operation"
        assert event["operation_name"] == "op"
        assert event["correlation_id"] == "c-5"
        assert event["log_level"] == "info"

    def test_entries_go_to_the_stdlib_logger_otherwise(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        @log_result_operation("op")
        async def op() -> Any:
            return await MonoResult.from_error("bad").log_step("s")

        with caplog.at_level(logging.INFO, logger="rfs_monitoring.result"):
            asyncio.run(op())
        step, operation = caplog.records
        assert step.getMessage().startswith("result_step op.s error ")
        assert operation.levelno == logging.ERROR
        assert operation.operation_name == "op"  # type: ignore[attr-defined]
        assert operation.error_message == "bad"  # type: ignore[attr-defined]

    def test_nothing_is_built_for_a_disabled_stdlib_logger(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        @log_result_operation("op")
        def op() -> Success[int]:
            return Success(1)

        with caplog.at_level(logging.ERROR, logger="rfs_monitoring.result"):
            op()
        assert caplog.records == []


# --------------------------------------------------------------------------- faults


class TestFaults:
    """Observability never changes the caller's Result; every fault is counted."""

    def test_a_sink_that_raises(self) -> None:
        class Broken:
            def write(self, text: str) -> None:
                raise OSError("disk full")

        configure_logging(sink=Broken(), background=False)
        before = logging_stats()

        @log_result_operation("op")
        def op() -> Success[int]:
            return Success(1)

        assert op() == Success(1)
        assert stat_delta(before, "sink_errors") == 1
        assert stat_delta(before, "written") == 0

    def test_a_full_queue_drops_and_counts(self) -> None:
        release = threading.Event()
        started = threading.Event()

        class Slow:
            def __init__(self) -> None:
                self.lines: list[str] = []

            def write(self, text: str) -> None:
                started.set()
                release.wait(10)
                self.lines.append(text)

        sink = Slow()
        configure_logging(sink=sink, queue_size=2)

        @log_result_operation("op")
        def op(n: int) -> Success[int]:
            return Success(n)

        before = logging_stats()
        assert op(0) == Success(0)
        assert started.wait(10)  # the writer is now stuck in write()
        results = [op(n) for n in range(1, 11)]
        assert results == [Success(n) for n in range(1, 11)]
        assert stat_delta(before, "dropped") == 8
        assert logging_stats()["queued"] == 2
        release.set()
        assert flush_logs(timeout=10)
        assert len("".join(sink.lines).splitlines()) == 3

    def test_flush_gives_up_after_the_timeout(self) -> None:
        release = threading.Event()

        class Stuck:
            def write(self, text: str) -> None:
                release.wait(10)

        configure_logging(sink=Stuck())
        structlog.get_logger().info("one")
        structlog.get_logger().info("two")
        try:
            assert flush_logs(timeout=0.05) is False
        finally:
            release.set()
        assert flush_logs(timeout=10)

    def test_unserialisable_metadata(self, lines: Lines) -> None:
        class Opaque:
            def __str__(self) -> str:
                raise RuntimeError("cannot render")

        @log_result_operation("op", context_args=("payload",))
        def op(payload: object) -> Success[int]:
            return Success(1)

        before = logging_stats()
        assert op({"inner": Opaque()}) == Success(1)
        [entry] = lines.entries()
        assert entry["metadata"] == {"payload": {"inner": REDACTED_ON_ERROR}}
        assert stat_delta(before, "masking_errors") == 1

    def test_a_formatter_that_raises(self, lines: Lines, monkeypatch: pytest.MonkeyPatch) -> None:
        writer = rl._state.writer
        handler = rl._state.handler
        assert writer is not None
        assert handler is not None

        class Broken(logging.Formatter):
            def format(self, record: logging.LogRecord) -> str:
                raise RuntimeError("formatter bug")

        monkeypatch.setattr(writer, "formatter", Broken())
        before = logging_stats()
        handler.handle(logging.LogRecord("lib", logging.WARNING, __file__, 1, "odd", None, None))
        assert stat_delta(before, "serialization_errors") == 1
        assert lines.json() == []

    def test_dumps_falls_back_and_counts(self) -> None:
        class Opaque:
            def __str__(self) -> str:
                raise RuntimeError("cannot render")

        before = logging_stats()
        assert json.loads(rl._dumps({"big": 2**80, "when": {1, 2}})) == {
            "big": 2**80,
            "when": [1, 2],
        }
        assert stat_delta(before, "serialization_errors") == 0
        line = json.loads(rl._dumps({"ok": 1, "bad": Opaque(), "nested": [Opaque()]}))
        assert line == {
            "ok": 1,
            "bad": "<unserialisable Opaque>",
            "nested": "<unserialisable list>",
        }
        assert stat_delta(before, "serialization_errors") == 1

    def test_a_masking_rule_that_raises(self, lines: Lines) -> None:
        def explode(match: Any) -> str:
            raise RuntimeError("rule bug")

        remove = add_masking_pattern("secret-thing", explode)
        before = logging_stats()
        try:

            @log_result_operation("op")
            def op() -> Failure[str]:
                return Failure("leaked secret-thing")

            assert op() == Failure("leaked secret-thing")
        finally:
            remove()
        [entry] = lines.entries()
        assert entry["error_message"] == REDACTED_ON_ERROR
        assert stat_delta(before, "masking_errors") == 1

    def test_a_listener_that_raises(self, entries: list[ResultLogEntry]) -> None:
        def bad(entry: ResultLogEntry) -> None:
            raise RuntimeError("listener bug")

        remove = add_entry_listener(bad)
        before = logging_stats()
        try:

            @log_result_operation("op")
            def op() -> Success[int]:
                return Success(1)

            assert op() == Success(1)
        finally:
            remove()
            remove()  # removing twice is harmless
        assert stat_delta(before, "listener_errors") == 1
        assert len(entries) == 1

    def test_listeners_must_be_callable(self) -> None:
        with pytest.raises(TypeError) as info:
            add_entry_listener(3)  # type: ignore[arg-type]
        assert str(info.value) == (
            "add_entry_listener() expects a callable taking a ResultLogEntry, got 3"
        )

    def test_a_metrics_collector_that_raises(self, entries: list[ResultLogEntry]) -> None:
        class Broken(ResultMetricsCollector):
            def record(self, *args: Any, **kwargs: Any) -> None:
                raise RuntimeError("collector bug")

        previous = ResultMetricsCollector.set_instance(Broken())
        before = logging_stats()
        try:

            @log_result_operation("op")
            def op(ok: bool) -> Any:
                return Success(1) if ok else Failure("x")

            assert op(True) == Success(1)
            set_log_level("OFF")
            assert op(False) == Failure("x")
        finally:
            ResultMetricsCollector.set_instance(previous)
        assert stat_delta(before, "metrics_errors") == 2
        assert len(entries) == 1

    def test_a_broken_entry_never_reaches_the_caller(
        self, entries: list[ResultLogEntry], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("builder bug")

        monkeypatch.setattr(rl, "_record", broken)
        before = logging_stats()

        @log_result_operation("op")
        def op() -> Success[int]:
            return Success(1)

        assert op() == Success(1)
        monkeypatch.setattr(rl, "_as_result", broken)
        set_log_level("OFF")
        assert op() == Success(1)
        assert stat_delta(before, "entry_errors") == 2

    def test_a_stdlib_record_that_cannot_be_queued(self, lines: Lines) -> None:
        class Unformattable:
            def __str__(self) -> str:
                raise RuntimeError("no")

        handler = rl._state.handler
        assert handler is not None
        before = logging_stats()
        handler.handle(
            logging.LogRecord("lib", logging.WARNING, __file__, 1, Unformattable(), None, None)
        )
        assert stat_delta(before, "serialization_errors") == 1
        assert lines.json() == []

    def test_a_sink_whose_close_raises(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        configure_logging(sink=io.StringIO(), background=False)
        writer = rl._state.writer
        assert writer is not None

        def bad_close() -> None:
            raise OSError("close failed")

        monkeypatch.setattr(writer, "_close", bad_close)
        before = logging_stats()
        reset_logging()
        assert stat_delta(before, "sink_errors") == 1

    def test_records_arriving_after_shutdown_are_ignored(self) -> None:
        configure_logging(sink=io.StringIO(), background=False)
        handler = rl._state.handler
        assert handler is not None
        reset_logging()
        handler.handle(logging.LogRecord("x", logging.WARNING, __file__, 1, "late", None, None))
        rl._QueueLogger()._submit(event="late")

    def test_items_submitted_while_stopping_are_dropped(self) -> None:
        configure_logging(sink=io.StringIO())
        writer = rl._state.writer
        assert writer is not None
        reset_logging()
        before = logging_stats()
        writer.submit((rl._KIND_EVENT, {"event": "late"}))
        assert stat_delta(before, "dropped") == 1
        assert writer.flush(0.01) is True  # nothing submitted: nothing to wait for


class TestStats:
    def test_stats_keys(self) -> None:
        assert set(logging_stats()) >= {
            "emitted",
            "dropped",
            "sink_errors",
            "serialization_errors",
            "masking_errors",
            "queued",
        }

    def test_entry_to_record_round_trip(self) -> None:
        rec = rl._record("op", "s", Success(1), -1.0, "c", None, {"k": "v"}, None, user_id="u")
        entry = rl._entry_from_record(rec)
        assert entry.processing_time_ms == 0.0
        assert entry.to_dict() == rl._entry_dict(rec)

    @pytest.mark.parametrize(
        "ts", [0.0, 1.5, 1767225599.9999996, 1767225600.0000004, 1700000000.123456]
    )
    def test_timestamps_render_like_datetime(self, ts: float) -> None:
        import datetime

        expected = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
        assert (
            rl._iso_epoch(ts)
            == expected.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
        )


class TestEdges:
    def test_naive_timestamps_are_taken_as_utc(self) -> None:
        import datetime

        entry = ResultLogEntry(
            timestamp=datetime.datetime(2026, 1, 2, 3, 4, 5),
            correlation_id="c",
            operation_name="op",
            step_name=None,
            result_type="success",
            processing_time_ms=0.0,
            success_type="int",
        )
        assert entry.to_dict()["timestamp"] == "2026-01-02T03:04:05.000000Z"

    def test_default_sink_is_stdout(self, capsys: pytest.CaptureFixture[str]) -> None:
        configure_logging(background=False)
        structlog.get_logger().info("to stdout")
        assert json.loads(capsys.readouterr().out)["event"] == "to stdout"

    def test_context_args_user_id_wins_over_the_bound_one(
        self, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("op", context_args=("user_id",))
        def op(user_id: str) -> Success[int]:
            return Success(1)

        token = bind_log_context(user_id="bound", team="a")
        try:
            op("argument")
        finally:
            reset_log_context(token)
        assert (entries[0].user_id, entries[0].metadata) == ("argument", {"team": "a"})

    def test_plain_values_on_the_fast_path(self, samples: list[MetricSample]) -> None:
        @log_result_operation("plain_quiet")
        def op() -> int:
            return 5

        set_log_level("OFF")
        assert op() == 5
        assert [s.success for s in samples] == [True]

    def test_json_fallback_renders_dates(self) -> None:
        import datetime

        rendered = json.loads(rl._dumps({"big": 2**70, "day": datetime.date(2026, 1, 2)}))
        assert rendered == {"big": 2**70, "day": "2026-01-02"}

    def test_record_attributes_are_not_overwritten_by_the_context(self, lines: Lines) -> None:
        token = bind_log_context(name="not-the-logger", color="blue")
        try:
            logging.getLogger("lib.x").warning("hi")
        finally:
            reset_log_context(token)
        [line] = lines.json()
        assert line["logger"] == "lib.x"
        assert line["color"] == "blue"

    def test_close_writes_what_a_dead_thread_left(self) -> None:
        out = io.BytesIO()
        writer = rl._Writer(
            out.write,
            out.flush,
            None,
            json=True,
            background=True,
            queue_size=10,
            formatter=logging.Formatter(),
        )
        writer._stopping = True
        writer._event.set()
        assert writer._thread is not None
        writer._thread.join(10)
        writer._queue.append((rl._KIND_EVENT, {"event": "left over"}))
        writer.close()
        assert json.loads(out.getvalue()) == {"event": "left over"}
        writer.submitted = writer.processed + 1
        assert writer.flush(10) is False  # something is missing and the thread is gone


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_writes_its_own_entries_once(tmp_path: Path) -> None:
    path = tmp_path / "fork.jsonl"
    script = f"""
import os, warnings
warnings.simplefilter("ignore")
from rfs_monitoring import Success, configure_logging, flush_logs, log_result_operation
from rfs_monitoring.resources import resource_snapshot
configure_logging(sink={str(path)!r})

@log_result_operation("fork_op")
def op(who):
    return Success(who)

for _ in range(100):
    op("parent-before")
pid = os.fork()
if pid == 0:
    op("child")
    resource_snapshot()
    assert flush_logs(timeout=30)
    os._exit(0)
os.waitpid(pid, 0)
op("parent-after")
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(written) == 102
    assert [w["success_type"] for w in written].count("str") == 102


def test_other_handlers_see_the_record_unchanged(lines: Lines) -> None:
    seen: list[tuple[str, object]] = []

    class Spy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.getMessage(), record.args))

    spy = Spy()
    root = logging.getLogger()
    root.addHandler(spy)  # after ours: it sees the record once our handler is done with it
    try:
        logging.getLogger("lib.spy").warning("token=%s", "abc")
    finally:
        root.removeHandler(spy)
    assert seen == [("token=abc", ("abc",))]
    assert lines.json()[0]["event"] == f"token={MASK}"


def test_the_fork_hook_restarts_the_writer() -> None:
    sink = io.StringIO()
    configure_logging(sink=sink)
    writer = rl._state.writer
    assert writer is not None
    old_thread = writer._thread
    structlog.get_logger().info("before")
    rl._after_fork_in_child()  # what a forked child runs (here: in this process)
    assert writer._thread is not old_thread
    assert writer.submitted == 0
    structlog.get_logger().info("after")
    assert flush_logs(timeout=10)
    assert "after" in sink.getvalue()
