"""Chart series: one tier of buckets grouped into steps, each merged once.

``series`` reads the finest tier that still holds the whole window (seconds, minutes or
hours) and merges each step's buckets into a ``SeriesPoint``: requests, failures by class
(``figures.fault_counts``) and latency quantiles. A step whose buckets are all closed never
changes: its point is kept in the source's ``point_cache``, so a chart polled every few
seconds merges only its newest step.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import NamedTuple

from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics.bucket import (
    MINUTE_SLOTS,
    SECOND_SLOTS,
    TIER_SIZES,
    MetricBucket,
    add_counts,
)
from rfs_monitoring.metrics.figures import QUANTILES, fault_counts
from rfs_monitoring.metrics.pauses import pause
from rfs_monitoring.metrics.query import BucketSource
from rfs_monitoring.metrics.records import SeriesPoint, utc
from rfs_monitoring.metrics.sketch import LatencySketch
from rfs_monitoring.metrics.time_range import describe_duration, parse_time_range
from rfs_monitoring.result import Failure

__all__ = ["POINT_CACHE_SIZE", "check_series_arguments", "series"]

POINT_CACHE_SIZE = 4096
"""The most chart points of final steps a source keeps (then it starts over)."""


def check_series_arguments(operation: object, points: object) -> None:
    """The argument rule every source's ``series`` shares.

    Raises:
        ConfigurationError: ``operation`` is not a str or None, or ``points`` not an int >= 1.
    """
    if operation is not None and not isinstance(operation, str):
        msg = f"operation must be a str or None, got {operation!r}"
        raise ConfigurationError(msg)
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        msg = f"points must be an int >= 1, got {points!r}"
        raise ConfigurationError(msg)


class _Plan(NamedTuple):
    size: int  # bucket width of the tier read
    per_step: int  # buckets per step
    steps: int


def series(
    source: BucketSource, operation: str | None, time_range: object, points: int
) -> list[SeriesPoint]:
    """The last ``time_range`` in at most ``points`` steps (see the collector's ``series``).

    Raises:
        ConfigurationError: a bad argument, naming it.
    """
    check_series_arguments(operation, points)
    plan = _plan(source.retention, time_range, points)
    now = source.clock()
    second = math.floor(now)
    width = plan.size * plan.per_step
    first = second - second % plan.size - (plan.steps * plan.per_step - 1) * plan.size
    steps: list[list[MetricBucket]] = [[] for _ in range(plan.steps)]
    for bucket in source.tier_buckets(plan.size, first, now, operation):
        steps[(bucket.start - first) // width].append(bucket)
    # a step before the tier's open bucket is final (its buckets are closed and every
    # operation's seconds up to now are in): its point is computed once
    final = second - second % plan.size
    cache = source.point_cache
    out = []
    for i, step in enumerate(steps):
        start = first + i * width
        if start + width > final:
            out.append(_point(start, width, step))
            continue
        key = (operation, plan.size, start, width)
        point = cache.get(key)
        if point is None:
            if len(cache) >= POINT_CACHE_SIZE:
                cache.clear()
            point = cache[key] = _point(start, width, step)
            pause()
        out.append(point)
    return out


def _plan(retention: _dt.timedelta, time_range: object, points: int) -> _Plan:
    """The finest tier that still holds the whole window, and its step width."""
    parsed = parse_time_range(time_range)
    if isinstance(parsed, Failure):
        raise ConfigurationError(parsed.unwrap_error().message)
    seconds = parsed.unwrap().total_seconds()
    held = (SECOND_SLOTS, MINUTE_SLOTS, math.ceil(retention.total_seconds() / 3600))
    for size, closed in zip(TIER_SIZES, held, strict=True):
        n = math.ceil(seconds / size)
        per_step = math.ceil(n / points)
        steps = math.ceil(n / per_step)
        if steps * per_step - 1 <= closed:
            return _Plan(size, per_step, steps)
    msg = (
        f"time_range {time_range!r} is not accepted; it is longer than the in-memory "
        f"retention ({describe_duration(retention)}) that series() reads"
    )
    raise ConfigurationError(msg)


def _point(start: int, width: int, buckets: list[MetricBucket]) -> SeriesPoint:
    requests = sum(b.count for b in buckets)
    failures = sum(b.failed for b in buckets)
    codes: dict[str, int] = {}
    for bucket in buckets:
        if bucket.codes:
            add_counts(codes, bucket.codes)
    faults = fault_counts(codes)
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    if any(b.timed for b in buckets):
        top = max(b.max_ms for b in buckets)
        sketch = _merged_pausing([b.sketch for b in buckets])
        p50, p90, p99 = (min(v, top) for v in sketch.quantiles(QUANTILES))
    return SeriesPoint(
        utc(start),
        float(width),
        requests,
        failures,
        p50,
        p90,
        p99,
        client_errors=faults.client,
        server_errors=faults.server,
        timeouts=faults.timeout,
        cancelled=faults.cancelled,
    )


def _merged_pausing(sketches: list[LatencySketch], chunk: int = 128) -> LatencySketch:
    """``LatencySketch.merged(sketches)``, pausing between chunks (a step of the charts may
    hold thousands of second buckets)."""
    if len(sketches) <= chunk:
        return LatencySketch.merged(sketches)
    parts = []
    for first in range(0, len(sketches), chunk):
        parts.append(LatencySketch.merged(sketches[first : first + chunk]))
        pause()
    return LatencySketch.merged(parts)
