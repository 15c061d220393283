"""Metrics collector: record() cost, query cost, quantile accuracy and memory.

Anchors measured in the same process: prometheus_client ``Histogram.labels(op,
outcome).observe`` and its pre-bound child, the OpenTelemetry SDK ``Histogram.record``,
``ddsketch.DDSketch.add`` (the sketch the issue suggested), sorting raw samples for
quantiles, and merging 3,600 per-second ``ddsketch`` sketches.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import math
import random
import statistics
import sys
import time
import tracemalloc
from array import array
from collections.abc import Callable

from benchmarks._util import (
    ReplayClock,
    Traffic,
    median_ms,
    record_an_hour,
    table,
    unaligned_start,
)
from rfs_monitoring.metrics import ResultMetricsCollector, query
from rfs_monitoring.sketch import LatencySketch

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 86400


class _Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


LABELLED = "prometheus_client Histogram.labels(op, outcome).observe"
BOTH = "prometheus_client Counter.labels(...).inc + Histogram.labels(...).observe"


def _no_resources() -> tuple[float | None, float | None]:
    return (None, None)


def _ratio(ours: float, anchor: float) -> str:
    return f"{anchor / ours:.2f}x faster" if ours <= anchor else f"{ours / anchor:.2f}x slower"


# ---------------------------------------------------------------------------- hot path


def _mean_us(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number * 1e6


def _mounted_collector() -> ResultMetricsCollector:
    """A collector served by ``monitoring_router`` in a FastAPI app (the charts read it)."""
    collector = ResultMetricsCollector(resources=_no_resources)
    try:
        from fastapi import FastAPI

        from rfs_monitoring.dashboard import monitoring_router
    except ImportError:  # pragma: no cover - the fastapi extra is missing
        return collector
    app = FastAPI()
    app.include_router(monitoring_router(collector, start_alerts=False))
    return collector


def _hot_path(quick: bool) -> str:
    with contextlib.suppress(ImportError):  # importable as in an app that traces
        import opentelemetry.trace  # noqa: F401
    number = 20_000 if quick else 50_000
    rounds = 5 if quick else 11
    rng = random.Random(1)
    values = [rng.lognormvariate(3, 1) for _ in range(4096)]
    index = [0]

    record = ResultMetricsCollector(resources=_no_resources).record

    def ours() -> None:
        record("user_retrieval", success=True, duration_ms=12.5)

    # the same call on a collector served by a mounted monitoring router (a real app's setup)
    record_mounted = _mounted_collector().record

    def ours_mounted() -> None:
        record_mounted("user_retrieval", success=True, duration_ms=12.5)

    def ours_failure() -> None:
        record(
            "user_retrieval",
            success=False,
            duration_ms=12.5,
            error_code="NOT_FOUND",
            error_type="APIError",
            error_message="user 42 not found",
        )

    # a C-level clock advancing 1 ms a call: a new second (and its fold) every 1,000 calls
    record_fake = ResultMetricsCollector(
        itertools.count(T0, 0.001).__next__, resources=_no_resources
    ).record

    def ours_amortised() -> None:
        i = index[0] = (index[0] + 1) & 4095
        record_fake("user_retrieval", success=True, duration_ms=values[i])

    distinct = ResultMetricsCollector(
        itertools.count(T0, 0.001).__next__, resources=_no_resources
    ).record
    messages = [f"user {i} not found for order {i * 7919:x}" for i in range(4096)]

    def ours_distinct_failures() -> None:
        i = index[0] = (index[0] + 1) & 4095
        distinct(
            "user_retrieval",
            success=False,
            duration_ms=values[i],
            error_code="NOT_FOUND",
            error_type="APIError",
            error_message=messages[i],
        )

    def loop_only() -> None:
        index[0] = (index[0] + 1) & 4095

    lean = LatencySketch()
    batch = values * 4

    def lean_batch() -> None:
        lean.add_many(batch)

    # (name, fn, calls per sample, values per call, subtract the loop step, is ours)
    cases: list[tuple[str, Callable[[], object], int, int, bool, bool]] = [
        ("record() success", ours, number, 1, False, True),
        ("record() success, monitoring_router mounted", ours_mounted, number, 1, False, True),
        ("record() failure (same message; grouped at fold)", ours_failure, number, 1, False, True),
        (
            "record() amortised incl. per-second fold (1,000/s, lognormal)",
            ours_amortised,
            number,
            1,
            True,
            True,
        ),
        (
            "record() failure, distinct messages (mask + normalise at fold)",
            ours_distinct_failures,
            max(number // 20, 2000),
            1,
            True,
            True,
        ),
        ("(loop step)", loop_only, number, 1, False, False),
    ]
    try:
        import prometheus_client as prom

        registry = prom.CollectorRegistry()
        hist = prom.Histogram("bench_seconds", "bench", ["op", "outcome"], registry=registry)
        counter = prom.Counter("bench_calls", "bench", ["op", "outcome"], registry=registry)
        child = hist.labels("user_retrieval", "success")

        def counter_and_histogram() -> None:
            counter.labels("user_retrieval", "success").inc()
            hist.labels("user_retrieval", "success").observe(0.0125)

        cases.append((BOTH, counter_and_histogram, number, 1, False, False))
        cases.append(
            (
                LABELLED,
                lambda: hist.labels("user_retrieval", "success").observe(0.0125),
                number,
                1,
                False,
                False,
            )
        )
        cases.append(
            (
                "prometheus_client pre-bound child .observe",
                lambda: child.observe(0.0125),
                number,
                1,
                False,
                False,
            )
        )
    except ImportError:  # pragma: no cover - the prometheus extra is missing
        pass
    try:
        from opentelemetry.sdk.metrics import MeterProvider

        otel_hist = MeterProvider().get_meter("bench").create_histogram("bench.duration")
        attrs = {"op": "user_retrieval", "outcome": "success"}
        cases.append(
            (
                "OpenTelemetry SDK Histogram.record",
                lambda: otel_hist.record(12.5, attrs),
                number // 4,
                1,
                False,
                False,
            )
        )
    except ImportError:  # pragma: no cover - the otel extra is missing
        pass
    try:
        from ddsketch import DDSketch

        dd = DDSketch(relative_accuracy=0.01)
        cases.append(("ddsketch DDSketch.add", lambda: dd.add(12.5), number, 1, False, False))
    except ImportError:  # pragma: no cover - ddsketch is not installed
        pass
    cases.append(
        (
            "lean LatencySketch.add_many, per value (batches of 16,384)",
            lean_batch,
            4,
            len(batch),
            False,
            False,
        )
    )

    # rounds interleave every case, so a load spike on the shared machine hits all of them
    samples: dict[str, list[float]] = {case[0]: [] for case in cases}
    for _ in range(rounds):
        for name, fn, calls, per_call, _, _ in cases:
            samples[name].append(_mean_us(fn, calls) / per_call)
    med = {name: statistics.median(v) for name, v in samples.items()}
    loop = med.pop("(loop step)")
    for name, _, _, _, subtract, _ in cases:
        if subtract:
            med[name] -= loop
    labelled = med.get(LABELLED)
    both = med.get(BOTH)
    rows = []
    for name, _, _, _, _, is_ours in cases:
        if name not in med:
            continue
        if is_ours:
            vs = _ratio(med[name], labelled) if labelled else "n/a"
            share = f"{med[name] / both:.2f}x" if both else "n/a"
            rows.append([f"**{name}**", f"{med[name]:.3f}", vs, share])
        else:
            vs = "record() is " + _ratio(med["record() success"], med[name])
            rows.append([name, f"{med[name]:.3f}", vs, ""])
    return "\n".join(
        [
            "### record(): the hot path",
            "",
            f"Median of {rounds} interleaved rounds of the mean µs per call. `record()` takes a "
            "lock, appends the duration to the current second's buffer and returns; the buffer "
            "is folded into the second's sketch and counters when the next second starts or "
            "when it holds 2,048 samples (the amortised rows include that fold; error messages "
            "are masked and normalised there, once per distinct message). Goal: ≤ 0.6 µs on "
            "the reference machine and ≤ 0.35x what prometheus_client's labelled counter and "
            "histogram cost (the two calls an app makes per request), while also giving "
            "quantiles and error groups. The mounted row records into a collector "
            "that a `monitoring_router` in a FastAPI app serves (its charts read the "
            "collector's own buckets: nothing is subscribed per call); OpenTelemetry is "
            "imported, as in an app that traces.",
            "",
            table(
                [
                    "call",
                    "µs/call (median)",
                    "vs prometheus labelled observe",
                    "share of prometheus counter + histogram",
                ],
                rows,
            ),
        ]
    )


# ---------------------------------------------------------------------------- sketches


def _sketches(quick: bool) -> str:
    rows: list[list[str]] = []
    rng = random.Random(5)
    per_second = [[rng.lognormvariate(3, 1) for _ in range(30)] for _ in range(3600)]
    ours = []
    for chunk in per_second:
        s = LatencySketch()
        s.add_many(chunk)
        ours.append(s)
    ours_ms = median_ms(lambda: LatencySketch.merged(ours), repeat=5 if quick else 11)
    rows.append(["lean `LatencySketch.merged` of 3,600 per-second sketches", f"{ours_ms:.2f}"])
    lanes_ms = median_ms(lambda: _one_by_one(ours), repeat=5 if quick else 11)
    rows.append(["the same added one by one into one array (`_add_at`)", f"{lanes_ms:.2f}"])
    rows.append(["ratio", _ratio(ours_ms, lanes_ms)])
    try:
        from ddsketch import DDSketch

        theirs = []
        for chunk in per_second:
            d = DDSketch(relative_accuracy=0.01)
            for v in chunk:
                d.add(v)
            theirs.append(d)

        def merge_dd() -> None:
            total = DDSketch(relative_accuracy=0.01)
            for d in theirs:
                total.merge(d)

        dd_ms = median_ms(merge_dd, repeat=3 if quick else 7)
        rows.append(["ddsketch: merge 3,600 per-second sketches", f"{dd_ms:.2f}"])
        rows.append(["ratio", _ratio(ours_ms, dd_ms)])
    except ImportError:  # pragma: no cover - ddsketch is not installed
        pass
    rows.extend(_wide_merges(rng, quick))
    n = 200_000 if quick else 1_000_000
    raw = [rng.lognormvariate(3, 1) for _ in range(n)]
    sort_ms = median_ms(lambda: sorted(raw), repeat=3 if quick else 5)
    rows.append([f"sorting {n:,} raw samples (pure Python) for p50/p90/p99", f"{sort_ms:.1f}"])
    return "\n".join(
        [
            "### Sketch: lean implementation vs the `ddsketch` package",
            "",
            "Why a lean sketch: `ddsketch.add` costs as much as our whole `record()`, and "
            "merging its sketches is a Python loop per bucket; ours folds a second's batch "
            "with C-level `map`/`Counter` and merges dense `array` slices. Both have the same "
            "1% relative-accuracy guarantee (same log-bucket mapping).",
            "",
            table(["operation", "ms (median)"], rows),
        ]
    )


def _one_by_one(sketches: list[LatencySketch]) -> array[int]:
    """The ranges of ``sketches`` added one by one into one zeroed array (``_add_at``: each
    range and its place read as two integers, added, written back)."""
    from rfs_monitoring.metrics.sketch import _add_at

    lo = min(s.offset for s in sketches)
    hi = max(s.offset + len(s.counts) for s in sketches)
    counts = array("q", bytes(8 * (hi - lo)))
    for s in sketches:
        _add_at(counts, s.offset - lo, s.counts)
    return counts


def _wide_merges(rng: random.Random, quick: bool) -> list[list[str]]:
    """A dashboard's overall: 100 operations' totals (an hour of ~10,000 lognormal samples
    each, every other one compacted to 4-byte counts as closed buckets are) merged by
    ``LatencySketch.merged`` (each range's 8-byte lanes as one integer, added into one sum;
    compacted counts widened by strided byte copies) against the straightforward way (each
    range added row by row, compacted counts converted by ``array('q', counts)``) and the
    ranges padded to rows and summed column by column (``zip``, ``sum``); the same with
    every total in 8-byte counts, as the dashboard merges them (fresh merges); and one
    range added into a window's copy (what a query does per operation) with the lanes added
    as one integer vs element by element."""
    from itertools import repeat
    from operator import add

    totals = []
    for i in range(100):
        s = LatencySketch()
        s.add_many([rng.lognormvariate(3.0, 0.6) for _ in range(10_000)])
        if i % 2:
            s.compact()
        totals.append(s)

    def row_by_row() -> array[int]:
        lo = min(s.offset for s in totals)
        hi = max(s.offset + len(s.counts) for s in totals)
        total = list(repeat(0, hi - lo))
        for s in totals:
            start = s.offset - lo
            end = start + len(s.counts)
            total[start:end] = map(add, total[start:end], s.counts)
        return array("q", total)

    def column_by_column(sketches: list[LatencySketch]) -> array[int]:
        lo = min(s.offset for s in sketches)
        hi = max(s.offset + len(s.counts) for s in sketches)
        rows = [
            [*repeat(0, s.offset - lo), *s.counts, *repeat(0, hi - s.offset - len(s.counts))]
            for s in sketches
        ]
        return array("q", map(sum, zip(*rows, strict=True)))

    fresh = [LatencySketch.merged([s]) for s in totals]  # 8-byte counts, as merges give

    def widen_each() -> None:
        for s in totals:
            array("q", s.counts)

    def widen_ours() -> None:
        for s in totals:
            LatencySketch.merged([s])

    window = totals[0]  # an hour's total, and a range inside it to add (a minute's)
    minute = LatencySketch()
    minute.offset = window.offset + 10
    minute.counts = array("q", window.counts[10:-10])

    def lanes() -> None:
        for _ in range(100):
            twin = LatencySketch.merged([window])
            twin.merge(minute)

    def element_wise() -> None:
        for _ in range(100):
            counts = array("q", window.counts)
            start = minute.offset - window.offset
            end = start + len(minute.counts)
            counts[start:end] = array("q", map(add, counts[start:end], minute.counts))

    repeat_n = 5 if quick else 21
    lanes_ms = median_ms(lanes, repeat=repeat_n)
    element_ms = median_ms(element_wise, repeat=repeat_n)
    ours_ms = median_ms(lambda: LatencySketch.merged(totals), repeat=repeat_n)
    rows_ms = median_ms(row_by_row, repeat=repeat_n)
    columns_ms = median_ms(lambda: column_by_column(totals), repeat=repeat_n)
    fresh_ms = median_ms(lambda: LatencySketch.merged(fresh), repeat=repeat_n)
    fresh_columns_ms = median_ms(lambda: column_by_column(fresh), repeat=repeat_n)
    widen_ms = median_ms(widen_ours, repeat=repeat_n)
    plain_ms = median_ms(widen_each, repeat=repeat_n)
    return [
        ["lean `LatencySketch.merged` of 100 operations' hour totals", f"{ours_ms:.3f}"],
        ["the same added row by row (`map(add, ...)` per range)", f"{rows_ms:.3f}"],
        ["ratio", _ratio(ours_ms, rows_ms)],
        ["the same summed column by column (rows padded, `zip`, `sum`)", f"{columns_ms:.3f}"],
        ["ratio", _ratio(ours_ms, columns_ms)],
        ["lean `LatencySketch.merged` of the same totals in 8-byte counts", f"{fresh_ms:.3f}"],
        ["the same summed column by column", f"{fresh_columns_ms:.3f}"],
        ["ratio", _ratio(fresh_ms, fresh_columns_ms)],
        ["100 sketches widened one at a time by `merged` (byte copies)", f"{widen_ms:.3f}"],
        ["the same widened with `array('q', counts)`, x100", f"{plain_ms:.3f}"],
        ["ratio", _ratio(widen_ms, plain_ms)],
        [
            f"a {len(minute.counts)}-bucket range added to a copy of a window, x100 "
            "(8-byte lanes added as one integer)",
            f"{lanes_ms:.3f}",
        ],
        ["the same with `array('q', map(add, ...))`", f"{element_ms:.3f}"],
        ["ratio", _ratio(lanes_ms, element_ms)],
    ]


# ---------------------------------------------------------------------------- queries


def _filled(samples: int) -> tuple[ResultMetricsCollector, _Clock]:
    """A collector with ``samples`` spread over the last 7 days (a batch every minute)."""
    clock = _Clock()
    collector = ResultMetricsCollector(clock, resources=_no_resources)
    record = collector.record
    steps = 7 * 24 * 60
    per_step = max(samples // steps, 1)
    rng = random.Random(11)
    values = [rng.lognormvariate(3, 1) for _ in range(8192)]
    k = 0
    for step in range(steps):
        clock.t = T0 + step * 60
        for _ in range(per_step):
            k = (k + 1) & 8191
            record(
                "user_retrieval",
                success=k % 50 != 0,
                duration_ms=values[k],
                error_code="NOT_FOUND" if k % 50 == 0 else None,
                error_message=f"user {k} not found" if k % 50 == 0 else None,
            )
    clock.t += 30
    return collector, clock


def _queries(quick: bool) -> str:
    sizes = (50_000, 500_000) if quick else (1_000_000, 10_000_000)
    rows = []
    figures: dict[tuple[int, str], float] = {}
    for size in sizes:
        collector, _ = _filled(size)
        for window in ("1h", "1d", "1w"):
            query = functools.partial(collector.operation_metrics, "user_retrieval", window)
            ms = median_ms(query, repeat=7 if quick else 21)
            figures[(size, window)] = ms
            m = collector.operation_metrics("user_retrieval", window).unwrap()
            rows.append([f"{size:,}", window, f"{m.total_requests:,}", f"{ms:.2f}"])
        del collector
        gc.collect()
    small, big = sizes
    flat = [f"{w}: {figures[(big, w)] / figures[(small, w)]:.2f}x" for w in ("1h", "1d", "1w")]
    return "\n".join(
        [
            "### get_operation_metrics: cost by window, not by samples",
            "",
            "Samples spread over 7 days (a batch every minute), lognormal durations, 2% "
            'failures. Goals: "1h" ≤ 2 ms and "1w" ≤ 5 ms with 1,000,000 samples, flat '
            "as samples grow 10x.",
            "",
            table(["samples recorded", "window", "requests in window", "ms (median)"], rows),
            "",
            f"Growth with {big // small}x the samples: " + ", ".join(flat) + ".",
        ]
    )


# ---------------------------------------------------------------------------- live queries


def _live_queries(quick: bool) -> str:
    """The queries a dashboard asks, on a live, unaligned clock, under continuous traffic."""
    samples = 100_000 if quick else 1_000_000
    repeat = 11 if quick else 31
    clock = ReplayClock(unaligned_start())
    collector = ResultMetricsCollector(clock, resources=_no_resources)
    record_an_hour(collector.record, clock.set, samples=samples, start=clock.t, operations=100)
    clock.go_live()
    cases: list[tuple[str, Callable[[], object], float]] = [
        ('overall("1h")', lambda: query.overall(collector, "1h"), 5.0),
        (
            'dashboard("1h"): 100 operations, overall, error groups',
            lambda: collector.dashboard("1h"),
            10.0,
        ),
        ('series(None, "1h"): all operations, 60 steps', lambda: collector.series(None, "1h"), 5.0),
        ('operation_metrics(op, "1h")', lambda: collector.operation_metrics("op-042", "1h"), 1.0),
        ('top_errors(10, "1h")', lambda: collector.ranked_errors(10, "1h"), 5.0),
        ('overall("5m")', lambda: query.overall(collector, "5m"), 5.0),
        ('overall("1d")', lambda: query.overall(collector, "1d"), 10.0),
    ]
    rows = []
    began = time.perf_counter()
    with Traffic(collector.record, operations=100, per_second=1000) as traffic:
        for name, fn, goal in cases:
            fn()
            ms = median_ms(fn, repeat=repeat)
            rows.append([name, f"{ms:.2f}", f"{goal:g}"])
    rate = traffic.calls / (time.perf_counter() - began)
    return "\n".join(
        [
            "### Queries on a live clock (100 operations)",
            "",
            f"{samples:,} samples over 100 operations in the last hour (a call every "
            f"{3600 / samples * 1000:.1f} ms, lognormal durations, 5% failures with 20 "
            "messages), then the clock runs live and unaligned (the window edges fall inside "
            f"minutes) while a thread records calls (aiming at 1,000/s; {rate:,.0f}/s "
            f"reached beside the queries). Median wall ms of {repeat} runs; the closed "
            'minutes of "5m", "15m" and '
            '"1h" come merged already (rolling windows), all operations\' charts from one '
            "merged tier.",
            "",
            table(["query", "ms (median)", "goal ms"], rows),
        ]
    )


# ---------------------------------------------------------------------------- accuracy


def _accuracy(quick: bool) -> str:
    n = 100_000 if quick else 1_000_000
    rng = random.Random(17)
    values = [rng.lognormvariate(3, 1) for _ in range(n)]
    ordered = sorted(values)
    qs = (0.5, 0.9, 0.99)
    exact = [ordered[math.floor(q * (n - 1))] for q in qs]
    clock = _Clock()
    collector = ResultMetricsCollector(clock, resources=_no_resources)
    for i, v in enumerate(values):
        clock.t = T0 + i * (3000 / n)
        collector.record("op", success=True, duration_ms=v)
    clock.t = T0 + 3000
    m = collector.operation_metrics("op", "1h").unwrap()
    ours = [m.p50_response_time_ms, m.p90_response_time_ms, m.p99_response_time_ms]
    rows = []
    dd_values: list[float] | None = None
    try:
        from ddsketch import DDSketch

        dd = DDSketch(relative_accuracy=0.01)
        for v in values:
            dd.add(v)
        dd_values = [float(dd.get_quantile_value(q) or 0.0) for q in qs]
    except ImportError:  # pragma: no cover - ddsketch is not installed
        pass
    for i, q in enumerate(qs):
        err = abs(ours[i] - exact[i]) / exact[i] * 100
        row = [f"p{round(q * 100)}", f"{exact[i]:.3f}", f"{ours[i]:.3f}", f"{err:.3f}%"]
        if dd_values is not None:
            dd_err = abs(dd_values[i] - exact[i]) / exact[i] * 100
            row.append(f"{dd_err:.3f}%")
        rows.append(row)
    header = ["quantile", "exact (ms)", "collector (ms)", "relative error"]
    if dd_values is not None:
        header.append("ddsketch error")
    return "\n".join(
        [
            "### Quantile accuracy",
            "",
            f"{n:,} lognormal(3, 1) durations recorded through `record()` over 50 minutes, "
            'read with `get_operation_metrics("1h")` (60 merged minute/second buckets). '
            "Goal: within 1% of the exact value at the same rank.",
            "",
            table(header, rows),
        ]
    )


# ---------------------------------------------------------------------------- memory


def _fill_retention(
    collector: ResultMetricsCollector, clock: _Clock, names: list[str], per_hour: int
) -> int:
    """Fill every tier of every operation: 7 days of hours, 2 h of minutes, 5 min of seconds.

    ``per_hour`` lognormal samples go into each hour bucket (one batch an hour), a tenth of
    that into each minute of the last two hours, and 3 samples into each of the last 310 s.
    """
    rng = random.Random(23)
    values = [rng.lognormvariate(3, 1) for _ in range(4096)]
    record = collector.record
    now = T0 + 8 * 86400
    schedule = [(now - 7 * 86400 + i * 3600 + 1800, per_hour) for i in range(7 * 24 - 3)]
    schedule += [(now - 7800 + i * 60 + 30, max(per_hour // 10, 1)) for i in range(125)]
    schedule += [(now - 310 + i + 0.5, 3) for i in range(310)]
    k = 0
    for t, n in schedule:
        clock.t = t
        for name in names:
            for _ in range(n):
                k = (k + 1) & 4095
                record(name, success=True, duration_ms=values[k])
    clock.t = now
    return sum(n for _, n in schedule)


def _memory(quick: bool) -> str:
    rows = []
    # 1,000 busy operations take ~8 minutes to fill (36 M samples); they are filled at a
    # tenth of the rate (fewer distinct latency buckets, so a little less memory each)
    plan = [(1, 200), (10, 200)] if quick else [(1, 200), (100, 200), (1000, 20)]
    for ops, per_hour in plan:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        clock = _Clock()
        collector = ResultMetricsCollector(clock, resources=_no_resources)
        names = [f"operation_{i}" for i in range(ops)]
        per_op = _fill_retention(collector, clock, names, per_hour)
        collector.operation_metrics(names[0], "1w")
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        stats = collector.stats()
        rows.append(
            [
                f"{ops:,}",
                f"{per_op:,}",
                f"{stats['buckets'] // ops:,}",
                f"{used / 1e6:.1f}",
                f"{used / ops / 1e3:.0f}",
                f"{stats['memory_bytes'] / ops / 1e3:.0f}",
            ]
        )
        del collector
    return "\n".join(
        [
            "### Memory at default retention (tracemalloc)",
            "",
            "Every tier of every operation full: 165 hour buckets of `per_hour` lognormal "
            "samples each (200; 20 for the 1,000-operation row, to keep the run short), 125 "
            "minute buckets of a tenth of that, 310 second buckets of 3 (plus the day "
            "buckets). Goal: ≤ 1 MB per active operation.",
            "",
            table(
                [
                    "operations",
                    "samples per operation",
                    "buckets per operation",
                    "total MB",
                    "KB per operation",
                    "stats() estimate KB/op",
                ],
                rows,
            ),
        ]
    )


def run(quick: bool = False) -> str:
    """The Markdown section of this benchmark."""
    parts: list[Callable[[bool], str]] = [
        _hot_path,
        _sketches,
        _queries,
        _live_queries,
        _accuracy,
        _memory,
    ]
    started = time.perf_counter()
    sections = []
    for part in parts:
        began = time.perf_counter()
        sections.append(part(quick))
        print(f"   {part.__name__}: {time.perf_counter() - began:.1f} s", file=sys.stderr)
    took = time.perf_counter() - started
    return "\n\n".join(
        [
            "## Metrics collector (`bench_metrics`)",
            *sections,
            f"_(measured in {took:.0f} s)_",
        ]
    )
