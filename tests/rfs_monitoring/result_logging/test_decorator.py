"""@log_result_operation: entries and metrics per call, context fields, sampling."""

from __future__ import annotations

import asyncio
import inspect
import random
from typing import Any

import pytest
import result as rustedpy
import returns.result

from rfs_monitoring import (
    APIError,
    ErrorCode,
    Failure,
    MonoResult,
    Success,
)
from rfs_monitoring.context import (
    bind_log_context,
    correlation_context,
    peek_correlation_id,
    reset_log_context,
    reset_request_id,
    set_request_id,
)
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.masking import MASK
from rfs_monitoring.metrics import MetricSample
from rfs_monitoring.result_logging import (
    ResultLogEntry,
    log_result_operation,
    logging_stats,
)

from .support import stat_delta


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

    @pytest.mark.parametrize("is_async", [False, True])
    def test_a_user_id_alone_is_read_wherever_the_call_passed_it(
        self, entries: list[ResultLogEntry], is_async: bool
    ) -> None:
        # context_args=["user_id"] alone is read in place (no call_context): the same ids
        def body(order: int, user_id: object = "anon", *rest: int, **extra: str) -> Success[int]:
            return Success(order)

        async def async_body(
            order: int, user_id: object = "anon", *rest: int, **extra: str
        ) -> Success[int]:
            return Success(order)

        op = log_result_operation("op", context_args=["user_id"])(async_body if is_async else body)
        calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
            ((1, "u1"), {}),
            ((1,), {"user_id": "u2"}),
            ((1,), {}),
            ((1, 42), {}),
            ((1, "u3", 7, 8), {}),
            ((1, "u4"), {"note": "x"}),
            ((1, "4111 1111 1111 1111"), {}),
            ((1, "u5"), {"user_id": "u6"}),  # twice: the call raises, the keyword's is logged
        ]
        for args, kwargs in calls:
            try:
                value = op(*args, **kwargs)
                if is_async:
                    asyncio.run(value)
            except TypeError:
                assert kwargs.get("user_id") == "u6"
        assert [entry.user_id for entry in entries] == [
            "u1",
            "u2",
            "anon",
            "42",
            "u3",
            "u4",
            f"{MASK}1111",
            "u6",
        ]

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
    async def test_nested_calls_share_the_id_the_outer_call_made(
        self, entries: list[ResultLogEntry]
    ) -> None:
        seen: dict[str, str | None] = {}

        @log_result_operation("leaf")
        def leaf(tag: str) -> Success[int]:
            seen[tag] = peek_correlation_id()
            return Success(1)

        @log_result_operation("lazy")
        def lazy() -> MonoResult[int, str]:  # bound when the chain runs (operation.bind)
            return MonoResult.from_value(1).log_step("lazy_step")

        @log_result_operation("outer")
        async def outer() -> Success[int]:
            leaf("before")
            with correlation_context("inner-block"):
                leaf("in block")
            await lazy()
            leaf("after")
            return Success(1)

        await outer()
        assert peek_correlation_id() is None
        own = seen["before"]
        assert own is not None
        assert seen == {"before": own, "in block": "inner-block", "after": own}
        by_name = {(e.operation_name, e.step_name): e.correlation_id for e in entries}
        assert by_name == {
            ("leaf", None): own,  # the last leaf's; the one in the block is checked below
            ("lazy", "lazy_step"): own,  # the step names the lazy call's operation
            ("lazy", None): own,
            ("outer", None): own,
        }
        assert [e.correlation_id for e in entries if e.operation_name == "leaf"] == [
            own,
            "inner-block",
            own,
        ]

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
        monkeypatch.setattr(random, "random", lambda: next(draws))

        @log_result_operation("half", success_sample_rate=0.5)
        def op() -> Success[int]:
            return Success(1)

        op()
        op()
        op()
        assert len(entries) == 2


class TestAsyncCallables:
    @pytest.mark.asyncio
    async def test_an_instance_with_an_async_call_is_wrapped_as_async(
        self, entries: list[ResultLogEntry]
    ) -> None:
        class Handler:
            async def __call__(self, n: int) -> Success[int]:
                return Success(n)

        wrapped = log_result_operation("handler")(Handler())
        assert inspect.iscoroutinefunction(wrapped)
        assert await wrapped(4) == Success(4)
        assert [e.success_type for e in entries] == ["int"]


class TestCorrelationIds:
    @pytest.mark.asyncio
    async def test_a_chain_run_outside_any_context_gets_a_fresh_id(
        self, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("lazy_fresh")
        def op() -> MonoResult[int, Any]:
            return MonoResult.from_value(1).log_step("inner")

        mono = op()
        assert peek_correlation_id() is None
        assert await mono == Success(1)
        assert peek_correlation_id() is None  # unbound again afterwards
        [step, entry] = entries
        assert len(entry.correlation_id) == 32
        assert step.correlation_id == entry.correlation_id

    @pytest.mark.asyncio
    async def test_a_chain_run_inside_a_context_keeps_its_id(
        self, entries: list[ResultLogEntry]
    ) -> None:
        @log_result_operation("lazy_bound")
        def op() -> MonoResult[int, Any]:
            return MonoResult.from_value(1)

        with correlation_context("c-chain"):
            assert await op() == Success(1)
            assert peek_correlation_id() == "c-chain"
        assert [e.correlation_id for e in entries] == ["c-chain"]
