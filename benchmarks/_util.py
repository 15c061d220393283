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


class ReplayClock:
    """A clock that replays a fill (``set``) and then runs live from where the fill ended.

    ``go_live()`` makes it follow the wall clock (``time.time()`` minus the offset to the
    fill's end): time passes at its real pace and never sits on a minute or hour boundary,
    so queries pay for the partial buckets at a window's edges as in production.
    """

    def __init__(self, t: float) -> None:
        self.t = t
        self.offset: float | None = None

    def __call__(self) -> float:
        if self.offset is None:
            return self.t
        return time.time() - self.offset

    def set(self, t: float) -> None:
        self.t = t

    def go_live(self) -> None:
        self.offset = time.time() - self.t


def unaligned_start(seconds: float = 3600.0) -> float:
    """A fill start ``seconds`` before now, off every minute boundary (by 17.3 s)."""
    now = time.time()
    return now - now % 60 + 17.3 - seconds


class Traffic:
    """Continuous traffic while a benchmark measures: a thread calling ``record`` (the
    collector's signature) ``per_second`` times a second over ``operations`` names, one call
    in 20 failing. Use as a context manager; ``calls`` counts what it recorded."""

    def __init__(
        self, record: Callable[..., object], *, operations: int = 100, per_second: int = 1000
    ) -> None:
        import threading

        self.record = record
        self.operations = operations
        self.per_second = per_second
        self.calls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-traffic", daemon=True)

    def _run(self) -> None:
        # every 10 ms, the calls due since the start: a wake-up the GIL delays (a loop that
        # never waits holds it for whole switch intervals) is caught up, so the rate holds
        began = time.perf_counter()
        i = 0
        while not self._stop.wait(0.01):
            batch = int((time.perf_counter() - began) * self.per_second) - i
            for _ in range(batch):
                i += 1
                name = f"op-{i % self.operations:03d}"
                if i % 20 == 7:
                    self.record(
                        name,
                        success=False,
                        duration_ms=float(5 + i % 90),
                        error_code="NOT_FOUND",
                        error_type="APIError",
                        error_message=f"user {i} not found",
                    )
                else:
                    self.record(name, success=True, duration_ms=float(5 + i % 90))
            self.calls += batch

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
