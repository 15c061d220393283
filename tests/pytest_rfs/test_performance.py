"""Specification of pytest_rfs.performance (no assertion here depends on wall time)."""

from __future__ import annotations

import asyncio

import pytest

from pytest_rfs.performance import TimingStats, ameasure, measure
from rfs_monitoring import ConfigurationError, Failure, MonoResult, Success


class TestTimingStats:
    def test_nearest_rank_percentiles(self) -> None:
        stats = TimingStats.from_samples([float(v) for v in range(100, 0, -1)], failures=3)
        assert (stats.p50_ms, stats.p90_ms, stats.p99_ms, stats.max_ms) == (50, 90, 99, 100)
        assert (stats.min_ms, stats.mean_ms, stats.iterations, stats.failures) == (1, 50.5, 100, 3)
        assert stats.samples_ms[0] == 100.0

    def test_single_sample(self) -> None:
        stats = TimingStats.from_samples([2.0])
        assert stats.p50_ms == stats.p99_ms == stats.max_ms == 2.0

    def test_no_samples(self) -> None:
        with pytest.raises(ConfigurationError, match="at least one sample"):
            TimingStats.from_samples([])

    def test_assert_within(self) -> None:
        stats = TimingStats.from_samples([1.0, 2.0, 3.0, 40.0])
        assert stats.assert_within(p50_ms=2, max_ms=40) is stats
        with pytest.raises(AssertionError) as info:
            stats.assert_within(p50_ms=1, p90_ms=50, p99_ms=10)
        assert str(info.value) == (
            "over budget in 4 iterations: p50_ms = 2.000 ms > 1 ms, p99_ms = 40.000 ms > 10 ms"
        )


def fail_every_other() -> object:
    fail_every_other.calls = getattr(fail_every_other, "calls", 0) + 1  # type: ignore[attr-defined]
    return Failure("x") if fail_every_other.calls % 2 else Success(1)  # type: ignore[attr-defined]


class TestMeasure:
    def test_sync_callable(self) -> None:
        calls: list[int] = []
        stats = measure(lambda: calls.append(1), iterations=5, warmup=2)
        assert (stats.iterations, len(calls), stats.failures) == (5, 7, 0)
        assert 0 <= stats.min_ms <= stats.p50_ms <= stats.p90_ms <= stats.p99_ms <= stats.max_ms

    def test_counts_failures(self) -> None:
        fail_every_other.calls = 0  # type: ignore[attr-defined]
        assert measure(fail_every_other, iterations=4).failures == 2

    def test_async_callable_outside_a_loop(self) -> None:
        async def op() -> object:
            await asyncio.sleep(0)
            return Failure("e")

        assert measure(op, iterations=3).failures == 3

    def test_object_with_an_async_call_outside_a_loop(self) -> None:
        class Operation:
            async def __call__(self) -> object:
                return Failure("e")

        assert measure(Operation(), iterations=2).failures == 2

    def test_mono_outside_a_loop(self) -> None:
        assert measure(MonoResult.from_value(1), iterations=3).iterations == 3

    @pytest.mark.asyncio
    async def test_async_target_inside_a_loop_is_refused(self) -> None:
        mono = MonoResult.from_value(1)
        with pytest.raises(ConfigurationError) as info:
            measure(mono, iterations=1)
        assert str(info.value) == (
            "measure() was given the async target MonoResult(<lazy>) inside a running event "
            "loop; use `await ameasure(...)` there"
        )

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"iterations": 0}, "iterations must be an int >= 1, got 0"),
            ({"iterations": True}, "iterations must be an int >= 1, got True"),
            ({"iterations": 1, "warmup": -1}, "warmup must be an int >= 0, got -1"),
        ],
    )
    def test_bad_counts(self, kwargs: dict[str, object], message: str) -> None:
        with pytest.raises(ConfigurationError) as info:
            measure(lambda: None, **kwargs)  # type: ignore[arg-type]
        assert str(info.value) == message

    def test_not_callable(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            measure(5)
        assert str(info.value) == "measure() expects a callable or a MonoResult, got int: 5"


class TestAmeasure:
    @pytest.mark.asyncio
    async def test_every_kind_of_target(self) -> None:
        async def op() -> object:
            return Success(1)

        def returns_mono() -> MonoResult[int, str]:
            return MonoResult.from_error("e")

        assert (await ameasure(op, iterations=3, warmup=1)).failures == 0
        assert (await ameasure(MonoResult.from_error("e"), iterations=2)).failures == 2
        assert (await ameasure(returns_mono, iterations=2)).failures == 2
        assert (await ameasure(lambda: 1, iterations=2)).iterations == 2

    @pytest.mark.asyncio
    async def test_mono_reruns_each_time(self) -> None:
        runs: list[int] = []

        async def source() -> object:
            runs.append(1)
            return Success(1)

        await ameasure(MonoResult.from_async_result(source), iterations=4, warmup=1)
        assert len(runs) == 5

    @pytest.mark.asyncio
    async def test_bad_target(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            await ameasure("x", iterations=1)
        assert str(info.value) == "ameasure() expects a callable or a MonoResult, got str: 'x'"
