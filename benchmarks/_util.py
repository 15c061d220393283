"""Timing helpers shared by the benchmarks: medians of repeated runs, formatting."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def per_call_us(fn: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Median over ``repeat`` runs of the mean time of one call, in microseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(samples)


def median_ms(fn: Callable[[], object], *, repeat: int = 21) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def record_an_hour(
    record: Callable[..., object],
    set_time: Callable[[float], None],
    *,
    samples: int,
    start: float,
    operations: int,
) -> float:
    """Record ``samples`` calls spread evenly over the hour from ``start``; seconds taken.

    One call in 20 fails with one of 20 message shapes (a user id in each, so the groups
    normalise); durations are lognormal. ``set_time`` moves the collector's clock.
    """
    import random

    rng = random.Random(7)
    durations = [rng.lognormvariate(3.0, 0.6) for _ in range(4096)]
    messages = [f"error kind {k}: user {{}} not found in shard {k % 4}" for k in range(20)]
    step = 3600.0 / samples
    began = time.perf_counter()
    for i in range(samples):
        set_time(start + i * step)
        if i % 20 == 7:
            record(
                f"op-{i % operations:03d}",
                success=False,
                duration_ms=durations[i & 4095],
                error_code="NOT_FOUND",
                error_type="APIError",
                error_message=messages[(i // 20) % 20].format(i),
            )
        else:
            record(f"op-{i % operations:03d}", success=True, duration_ms=durations[i & 4095])
    return time.perf_counter() - began
