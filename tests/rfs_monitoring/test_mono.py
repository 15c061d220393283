"""MonoResult: laziness, every operator, exception-to-Failure, timeout cancellation, cache."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs_monitoring import (
    APIError,
    ConfigurationError,
    ErrorCode,
    Failure,
    MonoResult,
    Result,
    ResultAdapterError,
    ResultTimeoutError,
    Success,
)
from rfs_monitoring import mono as mono_module
from rfs_monitoring.mono import settle


class Counter:
    """An async source that counts its calls."""

    def __init__(self, result: Result[Any, Any]) -> None:
        self.calls = 0
        self.result = result

    async def __call__(self) -> Result[Any, Any]:
        self.calls += 1
        await asyncio.sleep(0)
        return self.result


class TestLaziness:
    @pytest.mark.asyncio
    async def test_nothing_runs_before_await(self) -> None:
        source = Counter(Success(1))
        steps: list[str] = []
        mono = (
            MonoResult.from_async_result(source)
            .map(lambda v: steps.append("map") or v)
            .do_on_success(lambda v: steps.append("side"))
            .bind_result(lambda v: Success(v))
        )
        await asyncio.sleep(0)
        assert source.calls == 0
        assert steps == []
        assert await mono == Success(1)
        assert source.calls == 1
        assert steps == ["map", "side"]

    @pytest.mark.asyncio
    async def test_each_await_runs_the_chain_again(self) -> None:
        source = Counter(Success(1))
        mono = MonoResult.from_async_result(source)
        await mono
        await mono.to_result()
        assert source.calls == 2

    @pytest.mark.asyncio
    async def test_await_equals_to_result(self) -> None:
        mono = MonoResult.from_value(3).map(lambda v: v + 1)
        assert await mono == await mono.to_result() == Success(4)

    def test_repr(self) -> None:
        assert repr(MonoResult.from_value(1)) == "MonoResult(<lazy>)"


class TestConstructors:
    @pytest.mark.asyncio
    async def test_from_value(self) -> None:
        assert await MonoResult.from_value(1) == Success(1)

    @pytest.mark.asyncio
    async def test_from_error(self) -> None:
        assert await MonoResult.from_error("e") == Failure("e")

    @pytest.mark.asyncio
    async def test_from_result(self) -> None:
        assert await MonoResult.from_result(Failure("e")) == Failure("e")

    def test_from_result_refuses_non_results_at_once(self) -> None:
        with pytest.raises(ResultAdapterError):
            MonoResult.from_result(1)  # type: ignore[arg-type]

    @pytest.mark.asyncio
    async def test_from_async_result_with_a_coroutine_function(self) -> None:
        assert await MonoResult.from_async_result(Counter(Success(2))) == Success(2)

    @pytest.mark.asyncio
    async def test_from_async_result_with_a_sync_function(self) -> None:
        assert await MonoResult.from_async_result(lambda: Success(2)) == Success(2)

    @pytest.mark.asyncio
    async def test_from_async_result_with_a_mono(self) -> None:
        assert await MonoResult.from_async_result(lambda: MonoResult.from_value(5)) == Success(5)

    @pytest.mark.asyncio
    async def test_from_async_result_with_an_awaitable_of_a_mono(self) -> None:
        async def source() -> MonoResult[int, Any]:
            return MonoResult.from_value(6)

        assert await MonoResult.from_async_result(source) == Success(6)  # type: ignore[arg-type]

    @pytest.mark.asyncio
    async def test_a_raising_source_becomes_failure(self) -> None:
        error = RuntimeError("down")

        async def source() -> Result[int, Any]:
            raise error

        assert await MonoResult.from_async_result(source) == Failure(error)

    @pytest.mark.asyncio
    async def test_a_source_returning_no_result_becomes_failure(self) -> None:
        result = await MonoResult.from_async_result(lambda: 42)  # type: ignore[arg-type,return-value]
        assert isinstance(result.unwrap_error(), ResultAdapterError)

    def test_a_non_callable_source_is_refused(self) -> None:
        with pytest.raises(TypeError) as info:
            MonoResult.from_async_result(Success(1))  # type: ignore[arg-type]
        assert str(info.value) == (
            "MonoResult.__init__() expects a callable, got Success: Success(1)"
        )


class TestOperators:
    @pytest.mark.asyncio
    async def test_map(self) -> None:
        assert await MonoResult.from_value(2).map(lambda v: v * 3) == Success(6)
        assert await MonoResult.from_error("e").map(lambda v: v * 3) == Failure("e")

    @pytest.mark.asyncio
    async def test_map_error(self) -> None:
        assert await MonoResult.from_error("e").map_error(str.upper) == Failure("E")
        assert await MonoResult.from_value(1).map_error(str.upper) == Success(1)

    @pytest.mark.asyncio
    async def test_bind_result(self) -> None:
        assert await MonoResult.from_value(2).bind_result(lambda v: Success(v + 1)) == Success(3)
        assert await MonoResult.from_value(2).bind_result(lambda v: Failure("no")) == Failure("no")
        assert await MonoResult.from_error("e").bind_result(lambda v: Success(v)) == Failure("e")

    @pytest.mark.asyncio
    async def test_bind_async_result(self) -> None:
        async def double(v: int) -> Result[int, Any]:
            await asyncio.sleep(0)
            return Success(v * 2)

        assert await MonoResult.from_value(2).bind_async_result(double) == Success(4)
        assert await MonoResult.from_error("e").bind_async_result(double) == Failure("e")

    @pytest.mark.asyncio
    async def test_bind_async_result_with_a_mono(self) -> None:
        mono = MonoResult.from_value(2).bind_async_result(
            lambda v: MonoResult.from_value(v + 10)  # type: ignore[arg-type,return-value]
        )
        assert await mono == Success(12)

    @pytest.mark.asyncio
    async def test_on_error_return_result(self) -> None:
        assert await MonoResult.from_error("e").on_error_return_result(
            lambda e: Success(f"recovered {e}")
        ) == Success("recovered e")
        assert await MonoResult.from_value(1).on_error_return_result(
            lambda e: Success(0)
        ) == Success(1)

    @pytest.mark.asyncio
    async def test_on_error_return_value(self) -> None:
        assert await MonoResult.from_error("e").on_error_return_value(0) == Success(0)
        assert await MonoResult.from_value(1).on_error_return_value(0) == Success(1)

    @pytest.mark.asyncio
    async def test_do_on_success_runs_sync_and_async_actions(self) -> None:
        seen: list[object] = []

        async def record(v: object) -> None:
            seen.append(("async", v))

        mono = MonoResult.from_value(1).do_on_success(seen.append).do_on_success(record)
        assert await mono == Success(1)
        assert seen == [1, ("async", 1)]
        assert await MonoResult.from_error("e").do_on_success(seen.append) == Failure("e")
        assert seen == [1, ("async", 1)]

    @pytest.mark.asyncio
    async def test_do_on_error_runs_sync_and_async_actions(self) -> None:
        seen: list[object] = []

        async def record(e: object) -> None:
            seen.append(("async", e))

        mono = MonoResult.from_error("e").do_on_error(seen.append).do_on_error(record)
        assert await mono == Failure("e")
        assert seen == ["e", ("async", "e")]
        assert await MonoResult.from_value(1).do_on_error(seen.append) == Success(1)
        assert seen == ["e", ("async", "e")]

    @pytest.mark.parametrize(
        "method",
        [
            "map",
            "map_error",
            "bind_result",
            "bind_async_result",
            "on_error_return_result",
            "do_on_success",
            "do_on_error",
        ],
    )
    def test_non_callables_are_refused(self, method: str) -> None:
        with pytest.raises(TypeError) as info:
            getattr(MonoResult.from_value(1), method)("x")
        assert str(info.value) == f"MonoResult.{method}() expects a callable, got str: 'x'"


def _raise(exc: Exception) -> Callable[..., Any]:
    def fn(*_: object) -> Any:
        raise exc

    return fn


class TestExceptionsBecomeFailures:
    ERROR = ValueError("step failed")

    @pytest.mark.parametrize(
        "build",
        [
            lambda: MonoResult.from_value(1).map(_raise(TestExceptionsBecomeFailures.ERROR)),
            lambda: MonoResult.from_error(1).map_error(_raise(TestExceptionsBecomeFailures.ERROR)),
            lambda: MonoResult.from_value(1).bind_result(
                _raise(TestExceptionsBecomeFailures.ERROR)
            ),
            lambda: MonoResult.from_value(1).bind_async_result(
                _raise(TestExceptionsBecomeFailures.ERROR)
            ),
            lambda: MonoResult.from_error(1).on_error_return_result(
                _raise(TestExceptionsBecomeFailures.ERROR)
            ),
            lambda: MonoResult.from_value(1).do_on_success(
                _raise(TestExceptionsBecomeFailures.ERROR)
            ),
            lambda: MonoResult.from_error(1).do_on_error(
                _raise(TestExceptionsBecomeFailures.ERROR)
            ),
        ],
        ids=["map", "map_error", "bind_result", "bind_async", "recover", "do_success", "do_error"],
    )
    @pytest.mark.asyncio
    async def test_a_raising_step_becomes_failure(
        self, build: Callable[[], MonoResult[Any, Any]]
    ) -> None:
        assert await build() == Failure(self.ERROR)

    @pytest.mark.asyncio
    async def test_later_steps_see_the_failure(self) -> None:
        mono = (
            MonoResult.from_value(1)
            .map(_raise(self.ERROR))
            .map(lambda v: v + 1)
            .map_error(lambda e: APIError.from_service_error(e))
        )
        assert await mono == Failure(
            APIError.validation_error("Invalid value", details={"error_type": "ValueError"})
        )

    @pytest.mark.asyncio
    async def test_base_exceptions_propagate(self) -> None:
        mono = MonoResult.from_value(1).map(_raise(KeyboardInterrupt()))  # type: ignore[arg-type]
        with pytest.raises(KeyboardInterrupt):
            await mono

    @pytest.mark.asyncio
    async def test_cancellation_propagates(self) -> None:
        started = asyncio.Event()

        async def source() -> Result[int, Any]:
            started.set()
            await asyncio.sleep(3600)
            return Success(1)

        task = asyncio.ensure_future(MonoResult.from_async_result(source).map(str).to_result())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


class TestTimeout:
    @pytest.mark.asyncio
    async def test_fast_work_is_unaffected(self) -> None:
        assert await MonoResult.from_value(1).timeout(5) == Success(1)

    @pytest.mark.asyncio
    async def test_slow_work_is_cancelled_for_real(self) -> None:
        state = {"started": False, "cancelled": False, "finished": False, "after": False}

        async def slow() -> Result[str, Any]:
            state["started"] = True
            try:
                await asyncio.sleep(3600)
                state["after"] = True
                return Success("late")
            except asyncio.CancelledError:
                state["cancelled"] = True
                raise
            finally:
                state["finished"] = True

        before = asyncio.all_tasks()
        result = await MonoResult.from_async_result(slow).timeout(0.01)
        assert result == Failure(ResultTimeoutError(0.01))
        assert "timed out" in str(result.unwrap_error())
        assert state == {"started": True, "cancelled": True, "finished": True, "after": False}
        await asyncio.sleep(0)
        assert asyncio.all_tasks() == before  # nothing left running

    @pytest.mark.asyncio
    async def test_the_plan_pattern_maps_errors_before_the_timeout(self) -> None:
        async def service() -> Result[str, Any]:
            await asyncio.sleep(3600)
            return Success("x")

        result = await (
            MonoResult.from_async_result(service)
            .map_error(lambda e: APIError.from_service_error(e))
            .timeout(0.01)
            .to_result()
        )
        assert isinstance(result.unwrap_error(), ResultTimeoutError)
        assert APIError.from_service_error(result.unwrap_error()).http_status == 504

    @pytest.mark.asyncio
    async def test_steps_after_the_timeout_see_it(self) -> None:
        async def service() -> Result[str, Any]:
            await asyncio.sleep(3600)
            return Success("x")

        result = await (
            MonoResult.from_async_result(service)
            .timeout(0.01)
            .map_error(lambda e: APIError.from_service_error(e))
        )
        assert result.unwrap_error().code.value == "TIMEOUT"

    @pytest.mark.asyncio
    async def test_a_chain_of_apierrors_stays_one_after_the_timeout(self) -> None:
        """The plan's ``-> Result[UserResponse, APIError]`` with ``.timeout(5.0)`` is honest:
        the timeout's error is an APIError (code TIMEOUT, 504), for mypy and at run time."""

        async def service() -> Result[str, APIError]:
            await asyncio.sleep(3600)
            return Success("x")  # pragma: no cover - cancelled

        result: Result[str, APIError] = await MonoResult.from_async_result(service).timeout(0.05)
        error = result.unwrap_error()
        assert isinstance(error, APIError)
        assert (error.code, error.http_status) == (ErrorCode.TIMEOUT, 504)
        assert error.message == "operation timed out after 0.05 seconds (timeout exceeded)"
        assert error.details == {"timeout_seconds": 0.05}

    def test_the_timeout_error_keeps_its_own_type_in_logs_and_metrics(self) -> None:
        from rfs_monitoring.result_logging.emit import describe_error

        assert describe_error(ResultTimeoutError(0.5)) == (
            "ResultTimeoutError",
            "TIMEOUT",
            "operation timed out after 0.5 seconds (timeout exceeded)",
        )
        assert describe_error(APIError.timeout())[0] == "APIError"

    def test_the_timeout_error_names_its_operation_and_pickles(self) -> None:
        error = ResultTimeoutError(2.0, "user_retrieval")
        assert error.details == {"timeout_seconds": 2.0, "operation": "user_retrieval"}
        assert str(error) == error.message
        copy = pickle.loads(pickle.dumps(error))
        assert (copy, copy.details) == (error, error.details)
        assert isinstance(copy, TimeoutError)

    @pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "1", None])
    def test_bad_seconds_are_refused(self, bad: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            MonoResult.from_value(1).timeout(bad)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"MonoResult.timeout() expects a finite number of seconds > 0, got {bad!r}"
        )


class TestCache:
    @pytest.mark.asyncio
    async def test_runs_once(self) -> None:
        source = Counter(Success(1))
        mono = MonoResult.from_async_result(source).cache()
        assert await mono == Success(1)
        assert await mono == Success(1)
        assert await mono.map(lambda v: v + 1) == Success(2)
        assert source.calls == 1

    @pytest.mark.asyncio
    async def test_concurrent_awaits_share_one_run(self) -> None:
        source = Counter(Failure("e"))
        mono = MonoResult.from_async_result(source).cache()
        results = await asyncio.gather(*(mono.to_result() for _ in range(5)))
        assert results == [Failure("e")] * 5
        assert source.calls == 1

    @pytest.mark.asyncio
    async def test_without_cache_concurrent_awaits_each_run(self) -> None:
        source = Counter(Success(1))
        mono = MonoResult.from_async_result(source)
        await asyncio.gather(mono.to_result(), mono.to_result())
        assert source.calls == 2

    def test_a_cancelled_first_run_is_retried_from_another_event_loop(self) -> None:
        calls = 0

        async def source() -> Result[int, Any]:
            nonlocal calls
            calls += 1
            if calls == 1:
                await asyncio.sleep(3600)
            return Success(calls)

        mono = MonoResult.from_async_result(source).cache()

        async def first() -> None:
            runs = [asyncio.ensure_future(mono.to_result()) for _ in range(2)]
            await asyncio.sleep(0)
            for run in runs:
                run.cancel()
            for run in runs:
                with pytest.raises(asyncio.CancelledError):
                    await run

        async def second() -> list[Result[int, Any]]:
            return list(await asyncio.gather(mono.to_result(), mono.to_result()))

        for body in (first, second):
            loop = asyncio.new_event_loop()
            try:
                outcome = loop.run_until_complete(body())
            finally:
                loop.close()
        assert outcome == [Success(2), Success(2)]
        assert calls == 2


class TestLogSeam:
    """log_step / log_error report through the observer seam (filled in by result_logging)."""

    @pytest.fixture
    def observe(self) -> Iterator[Callable[[Any], None]]:
        previous = mono_module.set_chain_observer(None)
        yield mono_module.set_chain_observer  # type: ignore[misc]
        mono_module.set_chain_observer(previous)

    @pytest.fixture
    def events(self, observe: Callable[[Any], None]) -> list[tuple[str, str, Result[Any, Any]]]:
        seen: list[tuple[str, str, Result[Any, Any]]] = []

        def observer(kind: str, name: str, result: Result[Any, Any], elapsed_ms: float) -> None:
            assert elapsed_ms >= 0
            seen.append((kind, name, result))

        observe(observer)
        return seen

    @pytest.mark.asyncio
    async def test_steps_are_reported_in_order(
        self, events: list[tuple[str, str, Result[Any, Any]]]
    ) -> None:
        mono = (
            MonoResult.from_value(1)
            .log_step("fetch")
            .map(lambda v: v + 1)
            .log_step("validate")
            .log_error("errors")
        )
        assert events == []
        assert await mono == Success(2)
        assert events == [
            ("step", "fetch", Success(1)),
            ("step", "validate", Success(2)),
            ("error", "errors", Success(2)),
        ]

    @pytest.mark.asyncio
    async def test_a_raising_observer_never_changes_the_result(
        self, observe: Callable[[Any], None]
    ) -> None:
        def broken(*_: object) -> None:
            raise RuntimeError("sink down")

        observe(broken)
        before = mono_module.observer_failures()
        assert await MonoResult.from_error("e").log_error("x") == Failure("e")
        assert mono_module.observer_failures() == before + 1

    @pytest.mark.asyncio
    async def test_set_chain_observer_returns_the_previous_one(
        self, observe: Callable[[Any], None]
    ) -> None:
        seen: list[str] = []

        def first(kind: str, name: str, result: Result[Any, Any], ms: float) -> None:
            seen.append(name)

        assert mono_module.set_chain_observer(first) is None
        await MonoResult.from_value(1).log_step("a")
        assert mono_module.set_chain_observer(None) is first
        await MonoResult.from_value(1).log_step("b")
        assert seen == ["a"]

    @pytest.mark.parametrize("bad", ["", None, 3])
    def test_step_names_are_validated(self, bad: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            MonoResult.from_value(1).log_step(bad)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"MonoResult.log_step() expects a non-empty step name, got {bad!r}"
        )


# --------------------------------------------------------------------------- equivalence

values = st.integers(-5, 5) | st.text(max_size=3)
OPS: dict[str, tuple[Callable[[Any], Any], ...]] = {
    "map": (repr, lambda v: (v,), lambda v: str(v) * 2),
    "map_error": (repr, lambda e: ("wrapped", e)),
    "bind": (
        Success,
        Failure,
        lambda v: Failure(("odd", v)) if isinstance(v, int) and v % 2 else Success(v),
    ),
}
steps = st.lists(
    st.sampled_from(list(OPS)).flatmap(
        lambda op: st.tuples(st.just(op), st.sampled_from(range(len(OPS[op]))))
    ),
    max_size=6,
)


def _apply_plain(result: Result[Any, Any], chain: list[tuple[str, int]]) -> Result[Any, Any]:
    for op, i in chain:
        fn = OPS[op][i]
        result = (
            result.map(fn)
            if op == "map"
            else result.map_error(fn)
            if op == "map_error"
            else result.bind(fn)
        )
    return result


def _apply_mono(mono: MonoResult[Any, Any], chain: list[tuple[str, int]]) -> MonoResult[Any, Any]:
    for op, i in chain:
        fn = OPS[op][i]
        if op == "map":
            mono = mono.map(fn)
        elif op == "map_error":
            mono = mono.map_error(fn)
        else:
            mono = mono.bind_result(fn)
    return mono


class TestMonoMatchesPlainResult:
    @settings(max_examples=150, deadline=None)
    @given(st.booleans(), values, steps)
    def test_same_chain_same_result(
        self, ok: bool, value: object, chain: list[tuple[str, int]]
    ) -> None:
        start: Result[Any, Any] = Success(value) if ok else Failure(value)
        loop = asyncio.new_event_loop()
        try:
            got = loop.run_until_complete(
                _apply_mono(MonoResult.from_result(start), chain).to_result()
            )
        finally:
            loop.close()
        assert got == _apply_plain(start, chain)


class TestSettle:
    """The one "await until it is a Result" rule."""

    @pytest.mark.asyncio
    async def test_settles_every_shape_to_a_result(self) -> None:
        async def gives(value: object) -> object:
            return value

        assert await settle(Success(1)) == Success(1)
        assert await settle(MonoResult.from_value(2)) == Success(2)
        assert await settle(gives(Failure("e"))) == Failure("e")
        assert await settle(gives(MonoResult.from_error("x"))) == Failure("x")

    @pytest.mark.asyncio
    async def test_a_value_that_is_no_result_becomes_an_adapter_failure(self) -> None:
        outcome = await settle(42)
        assert isinstance(outcome.unwrap_error(), ResultAdapterError)
