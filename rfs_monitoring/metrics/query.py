"""Queries: the buckets covering a window, merged into figures, error rankings and series.

A window is covered by the coarsest buckets that fit: the live second, the current minute,
hour and day so far, whole days, then hours, minutes and seconds toward the window's head
edge (where the finer tier no longer holds that time, the coarser bucket is taken whole and
``window_start`` says so). "1h" merges about 60 buckets and "1w" about 35, whatever the number
of samples. ``series`` reads one tier and merges once per step.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from rfs_monitoring.errors import APIError, ConfigurationError
from rfs_monitoring.metrics.bucket import (
    MINUTE_SLOTS,
    SECOND_SLOTS,
    TIER_SIZES,
    BucketTiers,
    MetricBucket,
    copy_bucket,
)
from rfs_monitoring.metrics.grouping import add_to_group
from rfs_monitoring.metrics.records import ErrorSummary, OperationMetrics, SeriesPoint
from rfs_monitoring.metrics.sketch import LatencySketch
from rfs_monitoring.metrics.time_range import (
    Window,
    describe_duration,
    parse_time_range,
    resolve_window,
)
from rfs_monitoring.result import Failure, Result, Success

if TYPE_CHECKING:
    from collections.abc import Callable

    from rfs_monitoring.metrics.archive import MetricsArchive

__all__ = [
    "BucketSource",
    "Dashboard",
    "Snapshot",
    "add_counts_by_hour",
    "cover",
    "dashboard",
    "error_summaries",
    "operation_metrics",
    "overall",
    "pause",
    "series",
    "summarise",
    "top_errors",
    "window_of",
]

_QUANTILES = (0.5, 0.9, 0.99)


class Snapshot(NamedTuple):
    """Buckets covering a window per operation (memory and archive), and where they start."""

    buckets: dict[str, list[MetricBucket]]
    start: float


class BucketSource(Protocol):
    """What the queries read (``ResultMetricsCollector`` is one)."""

    @property
    def clock(self) -> Callable[[], float]: ...  # pragma: no cover - a protocol

    @property
    def retention(self) -> _dt.timedelta: ...  # pragma: no cover - a protocol

    @property
    def archive(self) -> MetricsArchive | None: ...  # pragma: no cover - a protocol

    def snapshot(
        self, operations: Iterable[str] | None, start: float, end: float
    ) -> Snapshot: ...  # pragma: no cover - a protocol

    def tier_buckets(
        self, size: int, start: int, now: float, operation: str | None = None
    ) -> list[MetricBucket]: ...  # pragma: no cover - a protocol


def pause() -> None:
    """Let another thread take the GIL now (a query's loops call it between operations).

    Queries run in worker threads (the monitoring router, alert evaluation); without a pause
    a long merge keeps the GIL for whole switch intervals (5 ms), and every wake-up of the
    application's event loop waits that long. ``time.sleep(0)`` releases it at once.
    """
    time.sleep(0)


# ---------------------------------------------------------------------- windows


def window_of(source: BucketSource, time_range: object) -> Result[Window, APIError]:
    """The window ``time_range`` covers in ``source`` (memory retention, or the archive's)."""
    archive = source.archive
    return resolve_window(
        time_range,
        retention=source.retention,
        archive_retention=None if archive is None else archive.retention,
        clock=source.clock,
    )


def cover(tiers: BucketTiers, t0: float, horizon: int, pieces: list[MetricBucket]) -> float:
    """Append to ``pieces`` the buckets of ``tiers`` covering ``[t0, now]``; returns their start.

    ``horizon`` is the oldest hour in memory. The open buckets keep changing once the
    owner's lock is released: ``pieces`` gets copies of them (closed ones are shared).
    """
    pieces.append(copy_bucket(tiers.live))
    if t0 >= tiers.live.start:
        return float(tiers.live.start)
    # days are used only when they lie wholly inside the hour tier's horizon, so the
    # archive (read for the time before that horizon) never overlaps them
    levels = (
        (86400, tiers.days, horizon),
        (3600, tiers.hours, horizon),
        (60, tiers.minutes, tiers.minute.start - MINUTE_SLOTS * 60),
        (1, tiers.seconds, tiers.live.start - SECOND_SLOTS),
    )
    if t0 >= tiers.minute.start:
        return _cover(levels, 3, t0, tiers.live.start, pieces)
    pieces.append(copy_bucket(tiers.minute))
    if t0 >= tiers.hour.start:
        return _cover(levels, 2, t0, tiers.minute.start, pieces)
    pieces.append(copy_bucket(tiers.hour))
    t0 = max(t0, horizon)
    if t0 >= tiers.day.start:
        return _cover(levels, 1, t0, tiers.hour.start, pieces)
    pieces.append(copy_bucket(tiers.day))
    return _cover(levels, 0, t0, tiers.day.start, pieces)


def _cover(
    levels: tuple[tuple[int, dict[int, MetricBucket], int], ...],
    level: int,
    t0: float,
    end: int,
    pieces: list[MetricBucket],
) -> float:
    size, buckets, _ = levels[level]
    start = end - size
    while start >= t0:
        bucket = buckets.get(start)
        if bucket is not None:
            pieces.append(bucket)
        start -= size
    edge = start + size
    if edge <= t0:
        return float(edge)
    if level + 1 < len(levels):
        finer_size, _, finer_horizon = levels[level + 1]
        if math.floor(t0) - math.floor(t0) % finer_size >= finer_horizon:
            return _cover(levels, level + 1, t0, edge, pieces)
    bucket = buckets.get(start)
    if bucket is not None:
        pieces.append(bucket)
    return float(start)


# ---------------------------------------------------------------------- figures


def operation_metrics(
    source: BucketSource, name: str, time_range: object
) -> Result[OperationMetrics, APIError]:
    """Figures of operation ``name`` over the last ``time_range``.

    The Failure is a validation APIError for a bad ``time_range`` and a not_found APIError
    for an operation never recorded (in memory or in the archive).
    """
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        return window
    label, t0, now = window.unwrap()
    found = source.snapshot([name], t0, now)
    if name not in found.buckets:
        return Failure(APIError.not_found("operation", name))
    return Success(summarise(name, label, found.buckets[name], found.start, now))


def overall(source: BucketSource, time_range: object) -> Result[OperationMetrics, APIError]:
    """Figures of all operations together (``operation_name="*"``)."""
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        return window
    label, t0, now = window.unwrap()
    found = source.snapshot(None, t0, now)
    merged = [b for buckets in found.buckets.values() for b in buckets]
    return Success(summarise("*", label, merged, found.start, now))


class Dashboard(NamedTuple):
    """Every operation's figures, all of them together, and the error groups, of one window."""

    operations: list[OperationMetrics]
    overall: OperationMetrics
    errors: list[ErrorSummary]


def dashboard(
    source: BucketSource, names: Iterable[str], time_range: object
) -> Result[Dashboard, APIError]:
    """The figures of each of ``names`` (as ``operation_metrics``), of all together (as
    ``overall``) and the error groups (as ``top_errors``), from one read of each operation's
    buckets: every bucket is merged once (the overall merges the operations' totals).

    Names unknown to ``source`` are left out. The Failure is the validation APIError of a
    bad ``time_range``.
    """
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        return window
    label, t0, now = window.unwrap()
    figures: list[OperationMetrics] = []
    pieces: dict[str, list[MetricBucket]] = {}
    everything = MetricBucket(math.floor(now))
    hourly: dict[int, int] = {}
    covered = float(math.floor(now))
    for name in names:
        found = source.snapshot([name], t0, now)
        if name not in found.buckets:
            continue
        pieces[name] = found.buckets[name]
        total, by_hour = _merge(found.buckets[name], found.start)
        figures.append(_figures(name, label, total, by_hour, found.start, now))
        everything.merge(total)
        add_counts_by_hour(hourly, by_hour)
        covered = min(covered, found.start)
        pause()
    everything.start = math.floor(covered)
    overall_figures = _figures("*", label, everything, hourly, covered, now)
    return Success(Dashboard(figures, overall_figures, error_summaries(pieces)))


def add_counts_by_hour(into: dict[int, int], other: dict[int, int]) -> None:
    """Add an hourly distribution to another."""
    for hour, n in other.items():
        into[hour] = into.get(hour, 0) + n


def summarise(
    name: str, label: str, pieces: list[MetricBucket], covered: float, now: float
) -> OperationMetrics:
    """Merge the buckets ``pieces`` (covering ``[covered, now]``) into figures."""
    total, hourly = _merge(pieces, covered)
    return _figures(name, label, total, hourly, covered, now)


def _merge(pieces: list[MetricBucket], covered: float) -> tuple[MetricBucket, dict[int, int]]:
    """The buckets merged into one (sketch included), and the requests by hour of day."""
    total = MetricBucket(math.floor(covered))
    hourly: dict[int, int] = {}
    for piece in pieces:
        total.merge(piece, sketch=False)
        if piece.count:
            hour = (piece.start // 3600) % 24
            hourly[hour] = hourly.get(hour, 0) + piece.count
    total.sketch = LatencySketch.merged(p.sketch for p in pieces)
    return total, hourly


def _figures(
    name: str,
    label: str,
    total: MetricBucket,
    hourly: dict[int, int],
    covered: float,
    now: float,
) -> OperationMetrics:
    p50, p90, p99 = (min(v, total.max_ms) for v in total.sketch.quantiles(_QUANTILES))
    count = total.count
    ok = count - total.failed
    ranked = sorted(total.groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
    span = max(now - covered, 1e-9)
    return OperationMetrics(
        operation_name=name,
        time_window=label,
        total_requests=count,
        successful_requests=ok,
        failed_requests=total.failed,
        success_rate=ok / count if count else 0.0,
        avg_response_time_ms=total.total_ms / total.timed if total.timed else 0.0,
        p50_response_time_ms=p50,
        p90_response_time_ms=p90,
        p99_response_time_ms=p99,
        max_response_time_ms=total.max_ms,
        error_breakdown=dict(sorted(total.codes.items())),
        top_errors=[(message, entry[0]) for message, entry in ranked[:10]],
        avg_memory_usage_mb=total.mem_sum / total.mem_n if total.mem_n else 0.0,
        avg_cpu_usage_percent=total.cpu_sum / total.cpu_n if total.cpu_n else 0.0,
        hourly_distribution=dict(sorted(hourly.items())),
        requests_per_second=count / span,
        window_start=_utc(covered),
        window_end=_utc(now),
    )


# ---------------------------------------------------------------------- errors


def top_errors(
    source: BucketSource, limit: int, time_range: object, operation: str | None
) -> Result[list[ErrorSummary], APIError]:
    """The ``limit`` most frequent error groups (of ``operation``, or of all)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        return Failure(
            APIError.validation_error(
                f"limit {limit!r} is not accepted; use an int >= 1", field="limit"
            )
        )
    window = window_of(source, time_range)
    if isinstance(window, Failure):
        return window
    _, t0, now = window.unwrap()
    found = source.snapshot(None if operation is None else [operation], t0, now)
    if operation is not None and operation not in found.buckets:
        return Failure(APIError.not_found("operation", operation))
    return Success(error_summaries(found.buckets)[:limit])


def error_summaries(pieces: dict[str, list[MetricBucket]]) -> list[ErrorSummary]:
    """Every error group of the buckets, most frequent first (then by message)."""
    groups: dict[str, list[Any]] = {}
    operations: dict[str, list[str]] = {}
    for op_name, buckets in pieces.items():
        pause()
        for bucket in buckets:
            for message, (n, last, code) in bucket.groups.items():
                add_to_group(groups, message, n, last, code)
                names = operations.setdefault(message, [])
                if not names or names[-1] != op_name:
                    names.append(op_name)
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [
        ErrorSummary(message, code, n, _utc(last), sorted(operations[message]))
        for message, (n, last, code) in ranked
    ]


# ---------------------------------------------------------------------- series


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
    given: object = operation
    if given is not None and not isinstance(given, str):
        msg = f"operation must be a str or None, got {given!r}"
        raise ConfigurationError(msg)
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        msg = f"points must be an int >= 1, got {points!r}"
        raise ConfigurationError(msg)
    plan = _plan(source.retention, time_range, points)
    now = source.clock()
    second = math.floor(now)
    width = plan.size * plan.per_step
    first = second - second % plan.size - (plan.steps * plan.per_step - 1) * plan.size
    steps: list[list[MetricBucket]] = [[] for _ in range(plan.steps)]
    for bucket in source.tier_buckets(plan.size, first, now, operation):
        steps[(bucket.start - first) // width].append(bucket)
    out = []
    for i, step in enumerate(steps):
        out.append(_point(first + i * width, width, step))
        pause()
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
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    if any(b.timed for b in buckets):
        top = max(b.max_ms for b in buckets)
        sketch = _merged_pausing([b.sketch for b in buckets])
        p50, p90, p99 = (min(v, top) for v in sketch.quantiles(_QUANTILES))
    return SeriesPoint(_utc(start), float(width), requests, failures, p50, p90, p99)


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


def _utc(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
