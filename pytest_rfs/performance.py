"""Timing helpers for users' own performance tests.

``measure(fn, iterations)`` times a sync callable (or, called outside an event loop, an async
one); ``await ameasure(fn_or_mono, iterations)`` times sync callables, async callables and
MonoResults inside the running loop. Both return ``TimingStats`` (p50/p90/p99/max in ms)::

    stats = await ameasure(lambda: get_user("123"), iterations=200)
    stats.assert_within(p99_ms=50)

No helper starts an event loop while one is running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import time
from collections.abc import Sequence
from typing import Any

from rfs_monitoring.callables import is_async_callable
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.mono import MonoResult
from rfs_monitoring.result import Result, is_result_like, to_result
from rfs_monitoring.stats import nearest_rank

__all__ = ["TimingStats", "ameasure", "measure"]


@dataclasses.dataclass(frozen=True)
class TimingStats:
    """Wall-clock durations of repeated calls, in milliseconds.

    Attributes:
        iterations: number of timed calls.
        failures: calls whose outcome was a Failure (of any supported Result library).
        samples_ms: each call's duration, in call order.
    """

    iterations: int
    failures: int
    min_ms: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    samples_ms: tuple[float, ...] = dataclasses.field(repr=False)

    @classmethod
    def from_samples(cls, samples_ms: Sequence[float], failures: int = 0) -> TimingStats:
        """Statistics of ``samples_ms`` (nearest-rank percentiles).

        Raises:
            ConfigurationError: ``samples_ms`` is empty.
        """
        if not samples_ms:
            msg = "TimingStats needs at least one sample"
            raise ConfigurationError(msg)
        ordered = sorted(samples_ms)
        p50, p90, p99 = (nearest_rank(ordered, q) or 0.0 for q in (0.5, 0.9, 0.99))
        return cls(
            iterations=len(ordered),
            failures=failures,
            min_ms=ordered[0],
            mean_ms=sum(ordered) / len(ordered),
            p50_ms=p50,
            p90_ms=p90,
            p99_ms=p99,
            max_ms=ordered[-1],
            samples_ms=tuple(samples_ms),
        )

    def assert_within(
        self,
        *,
        p50_ms: float | None = None,
        p90_ms: float | None = None,
        p99_ms: float | None = None,
        max_ms: float | None = None,
    ) -> TimingStats:
        """Assert each given percentile is at most its budget; returns self.

        Raises:
            AssertionError: listing every percentile over budget.
        """
        __tracebackhide__ = True
        budgets = {"p50_ms": p50_ms, "p90_ms": p90_ms, "p99_ms": p99_ms, "max_ms": max_ms}
        over = [
            f"{name} = {getattr(self, name):.3f} ms > {limit:g} ms"
            for name, limit in budgets.items()
            if limit is not None and getattr(self, name) > limit
        ]
        if over:
            msg = f"over budget in {self.iterations} iterations: " + ", ".join(over)
            raise AssertionError(msg)
        return self


def _check_iterations(iterations: object, warmup: object) -> None:
    for name, value, low in (("iterations", iterations, 1), ("warmup", warmup, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            msg = f"{name} must be an int >= {low}, got {value!r}"
            raise ConfigurationError(msg)


def _is_failure(outcome: object) -> bool:
    return is_result_like(outcome) and to_result(outcome).is_failure()


def _is_async(target: object) -> bool:
    return isinstance(target, MonoResult) or is_async_callable(target)


def measure(target: Any, iterations: int = 100, *, warmup: int = 0) -> TimingStats:
    """Time ``iterations`` calls of ``target`` (after ``warmup`` untimed calls).

    ``target`` is a sync callable, or an async callable / MonoResult when no event loop is
    running (then one loop is started for all calls). Inside a running loop use
    ``await ameasure(...)``.

    Raises:
        ConfigurationError: bad ``iterations``/``warmup``, ``target`` not callable, or an
            async target while an event loop is running.
    """
    _check_iterations(iterations, warmup)
    if _is_async(target):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(ameasure(target, iterations, warmup=warmup))
        msg = (
            f"measure() was given the async target {target!r} inside a running event loop; "
            "use `await ameasure(...)` there"
        )
        raise ConfigurationError(msg)
    if not callable(target):
        msg = (
            f"measure() expects a callable or a MonoResult, got {type(target).__name__}: {target!r}"
        )
        raise ConfigurationError(msg)
    for _ in range(warmup):
        target()
    samples: list[float] = []
    failures = 0
    for _ in range(iterations):
        started = time.perf_counter()
        outcome = target()
        samples.append((time.perf_counter() - started) * 1000.0)
        failures += _is_failure(outcome)
    return TimingStats.from_samples(samples, failures)


async def _call_once(target: Any) -> object:
    if isinstance(target, MonoResult):
        result: Result[Any, Any] = await target.to_result()
        return result
    outcome = target()
    if isinstance(outcome, MonoResult):
        return await outcome.to_result()
    if inspect.isawaitable(outcome):
        return await outcome
    return outcome


async def ameasure(target: Any, iterations: int = 100, *, warmup: int = 0) -> TimingStats:
    """Time ``iterations`` runs of ``target`` in the running event loop.

    ``target`` is a MonoResult (awaited afresh each time: the chain reruns), or a callable
    returning a value, an awaitable or a MonoResult (awaited).

    Raises:
        ConfigurationError: bad ``iterations``/``warmup`` or ``target``.
    """
    _check_iterations(iterations, warmup)
    if not (isinstance(target, MonoResult) or callable(target)):
        kind = type(target).__name__
        msg = f"ameasure() expects a callable or a MonoResult, got {kind}: {target!r}"
        raise ConfigurationError(msg)
    for _ in range(warmup):
        await _call_once(target)
    samples: list[float] = []
    failures = 0
    for _ in range(iterations):
        started = time.perf_counter()
        outcome = await _call_once(target)
        samples.append((time.perf_counter() - started) * 1000.0)
        failures += _is_failure(outcome)
    return TimingStats.from_samples(samples, failures)
