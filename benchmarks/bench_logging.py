"""Cost of ``@log_result_operation`` against what users write today (issues 3 and 18).

Setup (stated next to every figure): one process, a live clock, a FastAPI app with
``monitoring_router()`` mounted and ``opentelemetry.trace`` imported (no tracer provider,
as in an app whose instrumentation is installed but off); every variant runs in turn each
round (continuous traffic into the collector); all output to ``os.devnull``.

Variants, each a trivial function returning ``Success(1)``, sync and async:

(a) the bare function;
(b) the anchor: a hand-written structlog JSON line (orjson renderer, ISO timestamp, written
    to the sink in the caller), a ``perf_counter`` pair, and prometheus_client's labelled
    counter ``inc()`` and histogram ``observe()``: what users write today;
(c) ``@log_result_operation`` with ``configure_logging(json=True)`` (background writer) and
    metric recording on, inside one correlation context for the whole round and outside
    one (a fresh correlation id per call);
(r) per request, as in a FastAPI app: every ``REQUEST_CALLS`` calls a new correlation id
    and request id are bound as ``CorrelationIdMiddleware`` binds them, and each call
    passes the request's user id (``context_args=["user_id"]``, as the example app does;
    one of ``USERS`` users); the anchor's line carries the same request id (structlog's
    contextvars, bound per request) and user id, so the lines are comparable; one sync row
    spreads the requests over ``MANY_USERS`` users, more than the masked-id cache holds
    (each request's first call masks its id afresh: an app with many active users);
(c) below the log level, with and without metric recording;
(d) rfs-framework 4.6.6's ``log_result_operation`` when importable (no dependency).

Figures are medians over rounds: CPU time of the caller's thread (``time.thread_time``),
CPU time of the writer thread (its own CPU clock) per entry, and total process CPU
(``time.process_time``, the round waits for ``flush_logs()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import structlog

from benchmarks._logging_rows import MANY_USERS, REQUEST_CALLS, USERS, Call, Figures, Variant
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

SETUP_LONG = (
    "live clock, FastAPI app with monitoring_router() mounted, opentelemetry.trace imported "
    "(no provider), all variants interleaved per round, output to os.devnull"
)
SETUP = "live clock, router mounted, OTel imported, interleaved, devnull"


def _real_app() -> str:
    """Mount the router in an app and import OpenTelemetry, as a production app does."""
    notes = []
    try:
        from fastapi import FastAPI

        from rfs_monitoring import monitoring_router

        FastAPI().include_router(monitoring_router())
        notes.append("router mounted")
    except ImportError as exc:  # pragma: no cover - the bench runs with the extras
        notes.append(f"router NOT mounted ({exc})")
    try:
        import opentelemetry.trace  # noqa: F401 - imported for its effect on the hot path

        notes.append("opentelemetry.trace imported")
    except ImportError as exc:  # pragma: no cover
        notes.append(f"OpenTelemetry NOT importable ({exc})")
    return ", ".join(notes)


def _anchor(sink: Any) -> dict[str, Call]:
    """(b): structlog+orjson line and prometheus labelled counter + histogram, by hand."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    calls = Counter("bench_calls", "calls", ["operation", "outcome"], registry=registry)
    seconds = Histogram("bench_seconds", "duration", ["operation"], registry=registry)
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

    def after(result: Success[int], start: float, user_id: str | None = None) -> None:
        elapsed = time.perf_counter() - start
        outcome = "success" if result.is_success() else "error"
        calls.labels("bench", outcome).inc()
        seconds.labels("bench").observe(elapsed)
        if user_id is None:
            log.info("bench", result_type=outcome, processing_time_ms=elapsed * 1000.0)
        else:  # request_id and correlation_id from the request's contextvars
            log.info(
                "bench", result_type=outcome, processing_time_ms=elapsed * 1000.0, user_id=user_id
            )

    async def anchor_async() -> Success[int]:
        start = time.perf_counter()
        result = await bare_async()
        after(result, start)
        return result

    def anchor_sync() -> Success[int]:
        start = time.perf_counter()
        result = bare_sync()
        after(result, start)
        return result

    async def anchor_user_async(user_id: str) -> Success[int]:
        start = time.perf_counter()
        result = await bare_async()
        after(result, start, user_id)
        return result

    def anchor_user_sync(user_id: str) -> Success[int]:
        start = time.perf_counter()
        result = bare_sync()
        after(result, start, user_id)
        return result

    return {
        "async": anchor_async,
        "sync": anchor_sync,
        "user_async": anchor_user_async,
        "user_sync": anchor_user_sync,
    }


async def bare_user_async(user_id: str) -> Success[int]:
    return Success(1)


def bare_user_sync(user_id: str) -> Success[int]:
    return Success(1)


async def bare_async() -> Success[int]:
    return Success(1)


def bare_sync() -> Success[int]:
    return Success(1)


def _ours() -> dict[str, Call]:
    @log_result_operation("bench")
    async def ours_async() -> Success[int]:
        return Success(1)

    @log_result_operation("bench_sync")
    def ours_sync() -> Success[int]:
        return Success(1)

    @log_result_operation("bench_off")
    def ours_off() -> Success[int]:
        return Success(1)

    @log_result_operation("bench_off_nometrics", record_metrics=False)
    def ours_off_bare() -> Success[int]:
        return Success(1)

    @log_result_operation("bench_user", context_args=["user_id"])
    async def ours_user_async(user_id: str) -> Success[int]:
        return Success(1)

    @log_result_operation("bench_user_sync", context_args=["user_id"])
    def ours_user_sync(user_id: str) -> Success[int]:
        return Success(1)

    set_log_level("OFF", operation="bench_off")
    set_log_level("OFF", operation="bench_off_nometrics")
    return {
        "async": ours_async,
        "sync": ours_sync,
        "off": ours_off,
        "off_bare": ours_off_bare,
        "user_async": ours_user_async,
        "user_sync": ours_user_sync,
    }


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


def _variants(devnull_bytes: Any, devnull_text: Any) -> tuple[list[Variant], str]:
    anchor = _anchor(devnull_bytes)
    ours = _ours()
    rows = [
        Variant("(a) bare, async", bare_async, is_async=True, logs=False, mode="context"),
        Variant("(a) bare, sync", bare_sync, is_async=False, logs=False, mode="context"),
        Variant("(b) anchor, async", anchor["async"], is_async=True, logs=False, mode="context"),
        Variant("(b) anchor, sync", anchor["sync"], is_async=False, logs=False, mode="context"),
    ]
    for kind, is_async in (("async", True), ("sync", False)):
        rows += [
            Variant(
                f"(c) ours {kind}, in context",
                ours[kind],
                is_async=is_async,
                logs=True,
                mode="context",
            ),
            Variant(
                f"(c) ours {kind}, no context",
                ours[kind],
                is_async=is_async,
                logs=True,
                mode="none",
            ),
        ]
    bare_user = {"async": bare_user_async, "sync": bare_user_sync}
    for kind, is_async in (("async", True), ("sync", False)):
        rows += [
            Variant(
                f"(a) bare, {kind}, per request",
                bare_user[kind],
                is_async=is_async,
                logs=False,
                mode="request",
            ),
            Variant(
                f"(b) anchor, {kind}, per request",
                anchor[f"user_{kind}"],
                is_async=is_async,
                logs=False,
                mode="request",
            ),
            Variant(
                f"(r) ours {kind}, per request",
                ours[f"user_{kind}"],
                is_async=is_async,
                logs=True,
                mode="request",
            ),
        ]
    rows.append(
        Variant(
            f"(r) ours sync, per request, {MANY_USERS:,} users",
            ours["user_sync"],
            is_async=False,
            logs=True,
            mode="request",
            users=MANY_USERS,
        )
    )
    rows += [
        Variant(
            "(c) below level, metrics on", ours["off"], is_async=False, logs=False, mode="context"
        ),
        Variant(
            "(c) below level, metrics off",
            ours["off_bare"],
            is_async=False,
            logs=False,
            mode="context",
        ),
    ]
    theirs, note = _rfs_framework(devnull_text)
    if theirs is not None:
        rows.append(
            Variant("(d) rfs-framework 4.6.6", theirs, is_async=True, logs=False, mode="context")
        )
    return rows, note


def _profile_summary(fn: Call, per_call_us: float, number: int) -> list[str]:
    """Top costs per call of ``fn`` (sync, in a correlation context): cProfile's own-time
    shares, scaled to the unprofiled caller CPU per call (the profiler's overhead is
    spread evenly, so the shares are what matters)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.thread_time)
    with correlation_context("bench-correlation-id"):
        profiler.enable()
        for _ in range(number):
            fn()
        profiler.disable()
    flush_logs(timeout=60)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = sorted(
        (
            (tottime, f"{Path(file).name}:{name}")
            for (file, _line, name), (_cc, _nc, tottime, _ct, _cl) in stats.items()
        ),
        reverse=True,
    )
    total = sum(t for t, _ in rows) or 1.0
    out = [
        "- Profile of the sync call in a context (cProfile own time, scaled to the "
        f"{per_call_us:.2f} µs caller CPU per call; {SETUP}):"
    ]
    out += [
        f"  - {where}: {share / total:.0%} ≈ {share / total * per_call_us * 1000:.0f} ns"
        for share, where in rows[:8]
    ]
    return out


def _import_ms() -> str:
    """``import rfs_monitoring`` in a fresh interpreter: median of 5, and what it loaded."""
    code = (
        "import sys,time; t=time.perf_counter(); import rfs_monitoring; "
        "d=time.perf_counter()-t; "
        "print(d*1e3, sorted(m for m in ('structlog','rich','fastapi','prometheus_client',"
        "'opentelemetry') if m in sys.modules))"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(5)
    ]
    figures = sorted(float(r.stdout.split(" ", 1)[0]) for r in runs)
    loaded = runs[0].stdout.split(" ", 1)[1].strip()
    return f"{figures[2]:.1f} ms (median of 5 fresh interpreters; heavy modules loaded: {loaded})"


def run(quick: bool = False) -> str:
    """Run the benchmark; returns the Markdown section."""
    number = 2_000 if quick else 20_000
    rounds = 3 if quick else 9
    app_note = _real_app()
    devnull_text = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    devnull_bytes = open(os.devnull, "wb")  # noqa: SIM115 - closed below
    previous_collector = ResultMetricsCollector.set_instance(ResultMetricsCollector())
    configure_logging(sink=devnull_bytes, json=True, background=True, queue_size=200_000)
    variants, theirs_note = _variants(devnull_bytes, devnull_text)

    async def measure() -> None:
        for variant in variants:  # warm-up
            await variant.run(number // 10)
        for _ in range(rounds):
            for variant in variants:
                variant.samples.append(await variant.run(number))

    try:
        asyncio.run(measure())
        stats = logging_stats()
        sync_call = next(v for v in variants if v.name == "(c) ours sync, in context")
        profile = _profile_summary(sync_call.fn, sync_call.median()[0], number)
    finally:
        reset_logging()
        ResultMetricsCollector.set_instance(previous_collector)
        devnull_text.close()
        devnull_bytes.close()
    med = {v.name: v.median() for v in variants}
    lines = [
        "## Result logging (`bench_logging`)",
        "",
        f"Setup: {SETUP_LONG} ({app_note}); {number} calls per variant per round, {rounds} rounds, "
        f"medians; (r) rows: a new request (correlation + request id) every {REQUEST_CALLS} "
        f"calls, user ids from {USERS:,} users passed via context_args (one row: from "
        f"{MANY_USERS:,}, more than the masked-id cache holds).",
        "",
        _table(variants, med),
        "",
        *_summary(variants, med, theirs_note),
        *profile,
        f"- `import rfs_monitoring`: {_import_ms()} (goal ≤ 50 ms).",
        f"- Pipeline counters after the run: emitted {stats['emitted']}, written "
        f"{stats['written']}, dropped {stats['dropped']}.",
    ]
    return "\n".join(lines)


def _table(variants: list[Variant], med: dict[str, Figures]) -> str:
    rows = []
    for variant in variants:
        thread, writer, cpu = med[variant.name]
        bare_name, anchor_name = variant.baseline
        bare = med[bare_name][0]
        anchor = med[anchor_name][0] - bare
        rows.append(
            [
                variant.name,
                f"{thread:.2f}",
                f"{thread - bare:.2f}",
                f"{(thread - bare) / anchor:.2f}x",
                f"{writer:.2f}" if writer else "-",
                f"{cpu:.2f}",
            ]
        )
    header = [
        "variant",
        "caller CPU µs/call",
        "over bare µs",
        "overhead vs (b)'s",
        "writer CPU µs/entry",
        "process CPU µs/call",
    ]
    return table(header, rows)


def _summary(variants: list[Variant], med: dict[str, Figures], theirs_note: str) -> list[str]:
    out = []
    for variant in variants:
        if not variant.name.startswith(("(c) ours", "(r) ours")):
            continue
        bare_name, anchor_name = variant.baseline
        bare, anchor, c = med[bare_name], med[anchor_name], med[variant.name]
        b_over = anchor[0] - bare[0]
        out.append(
            f"- {variant.name[4:]}: decorator caller CPU overhead {c[0] - bare[0]:.2f} µs vs "
            f"the anchor's {b_over:.2f} µs: {(c[0] - bare[0]) / b_over:.2f}x (goal ≤ 0.25x); "
            f"writer {c[1]:.2f} µs/entry (goal ≤ 1.2); process CPU over bare "
            f"{c[2] - bare[2]:.2f} µs vs the anchor's {anchor[2] - bare[2]:.2f}: "
            f"{(c[2] - bare[2]) / (anchor[2] - bare[2]):.2f}x (goal ≤ 0.5x). [{SETUP}]"
        )
    bare_us = med["(a) bare, sync"][0]
    off, off_bare = med["(c) below level, metrics on"], med["(c) below level, metrics off"]
    out.append(
        f"- Below the log level: {off_bare[0] - bare_us:.2f} µs over bare without metric "
        f"recording (goal ≤ 0.3 µs), {off[0] - bare_us:.2f} µs with the metric still recorded. "
        f"[{SETUP}]"
    )
    theirs = med.get("(d) rfs-framework 4.6.6")
    if theirs is not None:
        ours = med["(c) ours async, in context"][0]
        out.append(f"- {theirs_note}: {theirs[0]:.2f} µs caller CPU, {theirs[0] / ours:.1f}x ours.")
    else:
        out.append(f"- (d) skipped: {theirs_note}.")
    return out


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
