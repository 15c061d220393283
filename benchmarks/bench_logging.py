"""Cost of ``@log_result_operation`` against what users write today (issue 3).

Side by side in one process, on a trivial ``async def f(): return Success(1)``:

(a) the bare function;
(b) the same with a hand-written structlog JSON line (orjson renderer, written to the
    sink in the caller) and a ``perf_counter`` pair: what users write today;
(c) ``@log_result_operation`` with ``configure_logging(json=True)`` (background writer) and
    metric recording on;
(d) rfs-framework 4.6.6's ``log_result_operation`` (stdlib logging, python-json-logger
    formatter on the same sink), when it is importable (``pip install --no-deps
    rfs-framework==4.6.6``; it is no dependency of this project);

plus (c) below the log level (with and without metric recording). Every variant writes
to ``os.devnull``. Each round runs every variant in turn; figures are medians over rounds:
wall time of the caller's loop, CPU time of the caller's thread (``time.thread_time``),
and total process CPU (``time.process_time``, including our writer thread: the round
waits for ``flush_logs()`` before reading it).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog

from benchmarks._util import table
from rfs_monitoring import (
    ResultMetricsCollector,
    Success,
    configure_logging,
    correlation_context,
    flush_logs,
    log_result_operation,
    logging_stats,
    set_log_level,
)
from rfs_monitoring.result_logging import reset_logging

Call = Callable[[], Awaitable[Any]]


async def bare() -> Success[int]:
    return Success(1)


def _handwritten(sink: Any) -> Call:
    """(b): a structlog JSON line with orjson, as a user would write it by hand."""
    log = structlog.wrap_logger(
        structlog.BytesLogger(sink),
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )

    async def handwritten() -> Success[int]:
        start = time.perf_counter()
        result = await bare()
        log.info(
            "bench",
            result_type="success" if result.is_success() else "error",
            processing_time_ms=(time.perf_counter() - start) * 1000.0,
        )
        return result

    return handwritten


def _rfs_framework(sink: Any) -> tuple[Call | None, str]:
    """(d): rfs-framework 4.6.6's decorator, if importable."""
    quiet = io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            from rfs.core.result import Success as RfsSuccess
            from rfs.monitoring.result_logging import log_result_operation as rfs_log
    except Exception as exc:  # rfs-framework is optional here
        return None, f"rfs-framework not importable ({type(exc).__name__}: {exc})"
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp=True))
    target = logging.getLogger("rfs.result")
    target.handlers[:] = [handler]
    target.setLevel(logging.INFO)
    target.propagate = False

    @rfs_log("bench_rfs")
    async def theirs() -> Any:
        return RfsSuccess(1)

    version = getattr(sys.modules.get("rfs"), "__version__", "?")
    return theirs, f"rfs-framework {version}"


async def _run(fn: Call, number: int, *, flush: bool) -> tuple[float, float, float]:
    """Per call: (caller wall µs, caller thread CPU µs, process CPU µs)."""
    wall0, thread0, cpu0 = time.perf_counter(), time.thread_time(), time.process_time()
    for _ in range(number):
        await fn()
    wall1, thread1 = time.perf_counter(), time.thread_time()
    if flush:
        flush_logs(timeout=60)
    cpu1 = time.process_time()
    scale = 1e6 / number
    return (wall1 - wall0) * scale, (thread1 - thread0) * scale, (cpu1 - cpu0) * scale


def run(quick: bool = False) -> str:
    """Run the benchmark; returns the Markdown section."""
    number = 2_000 if quick else 20_000
    rounds = 3 if quick else 9
    devnull_text = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    devnull_bytes = open(os.devnull, "wb")  # noqa: SIM115 - closed below
    previous_collector = ResultMetricsCollector.set_instance(ResultMetricsCollector())
    configure_logging(sink=devnull_bytes, json=True, background=True, queue_size=200_000)

    @log_result_operation("bench")
    async def ours() -> Success[int]:
        return Success(1)

    @log_result_operation("bench_off")
    async def ours_off() -> Success[int]:
        return Success(1)

    @log_result_operation("bench_off_nometrics", record_metrics=False)
    async def ours_off_bare() -> Success[int]:
        return Success(1)

    set_log_level("OFF", operation="bench_off")
    set_log_level("OFF", operation="bench_off_nometrics")
    theirs, theirs_note = _rfs_framework(devnull_text)
    variants: list[tuple[str, Call, bool]] = [
        ("(a) bare function", bare, False),
        ("(b) hand-written structlog+orjson line", _handwritten(devnull_bytes), False),
        ("(c) @log_result_operation, JSON + metrics", ours, True),
        ("(c) below the level, metrics on", ours_off, False),
        ("(c) below the level, metrics off", ours_off_bare, False),
    ]
    if theirs is not None:
        variants.append(("(d) rfs-framework log_result_operation", theirs, False))

    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in variants}

    async def measure() -> None:
        with correlation_context("bench-correlation-id"):
            for _name, fn, flush in variants:  # warm-up
                await _run(fn, number // 10, flush=flush)
            for _ in range(rounds):
                for name, fn, flush in variants:
                    samples[name].append(await _run(fn, number, flush=flush))

    try:
        asyncio.run(measure())
        stats = logging_stats()
    finally:
        reset_logging()
        ResultMetricsCollector.set_instance(previous_collector)
        devnull_text.close()
        devnull_bytes.close()

    med = {
        name: tuple(statistics.median(s[i] for s in values) for i in range(3))
        for name, values in samples.items()
    }
    a = med["(a) bare function"]
    b = med["(b) hand-written structlog+orjson line"]
    c = med["(c) @log_result_operation, JSON + metrics"]
    rows = []
    for name, (wall, thread, cpu) in med.items():
        rows.append(
            [
                name,
                f"{wall:.2f}",
                f"{thread:.2f}",
                f"{cpu:.2f}",
                f"{thread - a[1]:.2f}",
                f"{thread / b[1]:.2f}x",
            ]
        )
    lines = [
        "## Result logging (`bench_logging`)",
        f"{number} calls per variant per round, {rounds} rounds, medians; all output to "
        "os.devnull; inside a correlation context (as under the middleware).",
        table(
            [
                "variant",
                "caller wall µs/call",
                "caller thread CPU µs/call",
                "total CPU µs/call",
                "caller CPU over bare µs",
                "caller CPU vs (b)",
            ],
            rows,
        ),
        "",
        f"- (c) caller-side overhead over bare: {c[1] - a[1]:.2f} µs CPU "
        f"(goal ≤ 3 µs and ≤ (b)'s {b[1] - a[1]:.2f} µs): ratio (c)/(b) of the overheads "
        f"{(c[1] - a[1]) / max(b[1] - a[1], 1e-9):.2f}.",
        f"- Total CPU including the writer thread: (c) {c[2]:.2f} µs vs (b) {b[2]:.2f} µs, "
        f"ratio {c[2] / b[2]:.2f} (goal ≤ 2).",
    ]
    off = med["(c) below the level, metrics on"]
    off_bare = med["(c) below the level, metrics off"]
    lines.append(
        f"- Below the log level: {off_bare[1] - a[1]:.2f} µs over bare without metric "
        f"recording (goal ≤ 0.3 µs), {off[1] - a[1]:.2f} µs with the metric still recorded."
    )
    if theirs is not None:
        d = med["(d) rfs-framework log_result_operation"]
        lines.append(
            f"- {theirs_note}: {d[1]:.2f} µs caller CPU per call, {d[1] / c[1]:.1f}x ours "
            f"(goal ≥ 10x); overhead over bare {d[1] - a[1]:.2f} µs vs ours {c[1] - a[1]:.2f} µs."
        )
    else:
        lines.append(f"- (d) skipped: {theirs_note}.")
    lines.append(
        f"- Pipeline counters after the run: emitted {stats['emitted']}, written "
        f"{stats['written']}, dropped {stats['dropped']}."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
