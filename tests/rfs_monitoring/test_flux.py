"""FluxResult: batches of Results, their statistics and bounded concurrent gathering."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine
from typing import Any

import pytest
import result as rustedpy

from rfs_monitoring import ConfigurationError, Failure, FluxResult, MonoResult, Result, Success


def mixed() -> FluxResult[int, str]:
    return FluxResult.from_results([Success(1), Failure("a"), Success(2), Failure("b"), Success(3)])


class TestConstruction:
    def test_from_results_keeps_order(self) -> None:
        assert mixed().results == (
            Success(1),
            Failure("a"),
            Success(2),
            Failure("b"),
            Success(3),
        )

    def test_from_values(self) -> None:
        assert FluxResult.from_values([1, 2]).results == (Success(1), Success(2))

    def test_foreign_results_are_adapted(self) -> None:
        flux = FluxResult([rustedpy.Ok(1), rustedpy.Err("e")])
        assert flux.results == (Success(1), Failure("e"))

    def test_empty(self) -> None:
        flux: FluxResult[int, str] = FluxResult()
        assert len(flux) == 0
        assert flux.success_rate() == 0.0
        assert flux.partition() == ([], [])


class TestStatistics:
    def test_counts(self) -> None:
        assert mixed().count_success() == 3
        assert mixed().count_failures() == 2

    def test_success_values_and_errors_in_order(self) -> None:
        assert mixed().success_values() == [1, 2, 3]
        assert mixed().errors() == ["a", "b"]

    def test_success_rate(self) -> None:
        assert mixed().success_rate() == 0.6
        assert FluxResult.from_values([1]).success_rate() == 1.0

    def test_partition(self) -> None:
        assert mixed().partition() == ([1, 2, 3], ["a", "b"])

    def test_iteration_and_len(self) -> None:
        flux = mixed()
        assert list(flux) == list(flux.results)
        assert len(flux) == 5


class TestValueSemantics:
    def test_equality_and_hash(self) -> None:
        assert mixed() == mixed()
        assert hash(mixed()) == hash(mixed())
        assert FluxResult.from_values([1]) != FluxResult.from_values([2])
        assert FluxResult.from_values([1]).__eq__([Success(1)]) is NotImplemented

    def test_repr(self) -> None:
        assert repr(FluxResult.from_results([Success(1), Failure("e")])) == (
            "FluxResult([Success(1), Failure('e')])"
        )

    def test_results_is_a_tuple(self) -> None:
        assert isinstance(mixed().results, tuple)


class TestFromAsync:
    @pytest.mark.asyncio
    async def test_order_is_kept_whatever_the_finishing_order(self) -> None:
        async def item(i: int) -> Result[int, Any]:
            await asyncio.sleep((5 - i) * 0.002)
            return Success(i)

        flux = await FluxResult.from_async([item(i) for i in range(5)], concurrency=5)
        assert flux.success_values() == [0, 1, 2, 3, 4]

    @pytest.mark.parametrize("limit", [1, 3, 8])
    @pytest.mark.asyncio
    async def test_concurrency_is_bounded(self, limit: int) -> None:
        in_flight = 0
        peak = 0

        async def item(i: int) -> Result[int, Any]:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            for _ in range(3):
                await asyncio.sleep(0)
            in_flight -= 1
            return Success(i)

        flux = await FluxResult.from_async([item(i) for i in range(20)], concurrency=limit)
        assert flux.count_success() == 20
        assert peak == limit

    @pytest.mark.asyncio
    async def test_exceptions_become_failures(self) -> None:
        error = RuntimeError("x")

        async def bad() -> Result[int, Any]:
            raise error

        async def good() -> Result[int, Any]:
            return Success(1)

        flux = await FluxResult.from_async([good(), bad(), good()])
        assert flux.results == (Success(1), Failure(error), Success(1))

    @pytest.mark.asyncio
    async def test_monos_and_non_results(self) -> None:
        async def not_a_result() -> int:
            return 1

        flux = await FluxResult.from_async(
            [MonoResult.from_value(1), MonoResult.from_error("e"), not_a_result()]  # type: ignore[list-item]
        )
        assert flux.results[:2] == (Success(1), Failure("e"))
        assert isinstance(flux.results[2].unwrap_error(), TypeError)

    @pytest.mark.asyncio
    async def test_empty_input(self) -> None:
        assert len(await FluxResult.from_async([])) == 0

    @pytest.mark.parametrize("bad", [0, -1, 1.5, True, None])
    @pytest.mark.asyncio
    async def test_bad_concurrency_is_refused(self, bad: object) -> None:
        with pytest.raises(ConfigurationError) as info:
            await FluxResult.from_async([], concurrency=bad)  # type: ignore[arg-type]
        assert str(info.value) == (
            f"FluxResult.from_async() expects concurrency to be an int >= 1, got {bad!r}"
        )

    @pytest.mark.asyncio
    async def test_cancelling_stops_running_items_and_closes_pending_ones(self) -> None:
        started: list[int] = []
        cancelled: list[int] = []
        both_running = asyncio.Event()

        async def item(i: int) -> Result[int, Any]:
            started.append(i)
            if len(started) == 2:
                both_running.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(i)
                raise
            return Success(i)  # pragma: no cover

        coros: list[Coroutine[Any, Any, Result[int, Any]]] = [item(i) for i in range(5)]
        pending_mono = MonoResult.from_value(9)
        task = asyncio.ensure_future(
            FluxResult.from_async([*coros, pending_mono], concurrency=2)  # type: ignore[list-item]
        )
        await both_running.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert sorted(cancelled) == [0, 1]
        assert all(inspect.getcoroutinestate(c) == inspect.CORO_CLOSED for c in coros)
