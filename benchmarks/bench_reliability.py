"""Reliability figures: the collector's memory over a 10,000,000-record stream (tracemalloc).

``python -m benchmarks reliability`` (``--quick``: 1,000,000 records). 1,000 operations are
fed round-robin at 20,000 records per simulated second (a tenth of them failures with one
error group per operation), with a fake clock, so the stream covers 500 simulated seconds:
the second tier fills at 310 s (6.2 M records); after that only a minute bucket per
operation per simulated minute is added. Memory is read with tracemalloc at checkpoints.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

from benchmarks._util import table
from rfs_monitoring.metrics import ResultMetricsCollector

OPERATIONS = 1_000
PER_SECOND = 20_000


class _Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _no_resources() -> tuple[float | None, float | None]:
    return None, None


def _stream(total: int, checkpoints: list[int]) -> list[list[str]]:
    clock = _Clock()
    names = [f"operation_{i}" for i in range(OPERATIONS)]
    durations = [float(1 + i % 97) for i in range(OPERATIONS)]
    messages = [f"user {i} not found" for i in range(OPERATIONS)]
    rows = []
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    collector = ResultMetricsCollector(clock, resources=_no_resources)
    record = collector.record
    done = 0
    while done < total:
        for k in range(done, done + PER_SECOND):
            i = k % OPERATIONS
            if k % 10:
                record(names[i], success=True, duration_ms=durations[i])
            else:
                record(
                    names[i],
                    success=False,
                    duration_ms=durations[i],
                    error_code="NOT_FOUND",
                    error_message=messages[i],
                )
        done += PER_SECOND
        clock.now += 1.0
        if done in checkpoints:
            collector.totals()
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            stats = collector.stats()
            counted = sum(t.total for t in collector.totals())
            assert counted == done, (counted, done)
            rows.append(
                [
                    f"{done:,}",
                    f"{done // PER_SECOND:,}",
                    f"{(current - base) / 1e6:.1f}",
                    f"{(peak - base) / 1e6:.1f}",
                    f"{stats['memory_bytes'] / 1e6:.1f}",
                    f"{stats['buckets']:,}",
                    f"{time.perf_counter() - started:.0f}",
                ]
            )
            print(f"   {done:,} records: {(current - base) / 1e6:.1f} MB", file=sys.stderr)
    tracemalloc.stop()
    return rows


def run(quick: bool = False) -> str:
    """The Markdown section of this benchmark."""
    total = 1_000_000 if quick else 10_000_000
    checkpoints = (
        [200_000, 500_000, 1_000_000]
        if quick
        else [1_000_000, 2_000_000, 5_000_000, 6_200_000, 8_000_000, 10_000_000]
    )
    started = time.perf_counter()
    rows = _stream(total, checkpoints)
    took = time.perf_counter() - started
    return "\n".join(
        [
            "## Reliability: collector memory over a long stream (`bench_reliability`)",
            "",
            f"{total:,} records over {OPERATIONS:,} operations, {PER_SECOND:,} per simulated "
            "second, read with tracemalloc (retained after a fold; peak includes the "
            "pending buffers). The memory follows operations x time buckets, not records: "
            "it grows while the 310 second buckets fill (up to 6.2 M records here), then by "
            "one minute bucket per operation per simulated minute. Worst case at default "
            "retention (every tier of every operation full) is measured by `bench_metrics` "
            "(KB per operation).",
            "",
            table(
                [
                    "records",
                    "simulated s",
                    "retained MB",
                    "peak MB",
                    "stats() estimate MB",
                    "buckets",
                    "elapsed s",
                ],
                rows,
            ),
            "",
            f"_(measured in {took:.0f} s, tracemalloc on)_",
        ]
    )
