"""Figures: the buckets covering a window merged into one ``OperationMetrics``.

The definitions every reader shares (the dashboard, the alerts, the exporters' users):

- a failure's class comes from its code through ``errors.classify_code`` (the one
  classification): client (4xx), server (5xx, and codes it does not know), timeout (504),
  cancelled (499);
- availability is the share of calls without a server fault or a timeout; cancelled calls
  count in the denominator and are not unavailable; 1.0 without calls;
- throughput (``requests_per_second``) is the count over the part of the window that holds
  data: from the later of the window's start and the first sample in it, to now (at least
  one second, the buckets' resolution); ``current_requests_per_second`` is the same over
  the last 60 seconds (``Recent``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from rfs_monitoring.errors import FaultKind, classify_code
from rfs_monitoring.metrics.bucket import MetricBucket
from rfs_monitoring.metrics.records import OperationMetrics, availability_of, utc
from rfs_monitoring.metrics.sketch import LatencySketch

__all__ = [
    "CURRENT_SECONDS",
    "QUANTILES",
    "FaultCounts",
    "Recent",
    "add_counts_by_hour",
    "fault_counts",
    "figures",
    "merge_pieces",
    "rate",
    "summarise",
]

QUANTILES = (0.5, 0.9, 0.99)
"""The quantiles every figure reports: p50, p90, p99."""

CURRENT_SECONDS = 60
"""The span of ``current_requests_per_second``: the last minute."""


class Recent(NamedTuple):
    """Requests of the last ``CURRENT_SECONDS`` and when the first of them came."""

    requests: int = 0
    first: float = math.inf
    start: float = 0.0
    """Where the span begins (the oldest second bucket read)."""

    def plus(self, other: Recent) -> Recent:
        """Both together (the operations of ``overall``)."""
        return Recent(
            self.requests + other.requests,
            min(self.first, other.first),
            min(self.start, other.start),
        )


class FaultCounts(NamedTuple):
    """Failures by class (``errors.FaultKind``)."""

    client: int = 0
    server: int = 0
    timeout: int = 0
    cancelled: int = 0


_NO_FAULTS = FaultCounts()


def fault_counts(codes: Mapping[str, int]) -> FaultCounts:
    """The failures counted by code (``MetricBucket.codes``) by class, through
    ``errors.classify_code``."""
    if not codes:  # most operations' windows hold no failure
        return _NO_FAULTS
    by_kind = dict.fromkeys(FaultKind, 0)
    for code, n in codes.items():
        by_kind[classify_code(code).fault] += n
    return FaultCounts(
        by_kind[FaultKind.CLIENT],
        by_kind[FaultKind.SERVER],
        by_kind[FaultKind.TIMEOUT],
        by_kind[FaultKind.CANCELLED],
    )


def rate(count: int, first: float, start: float, now: float) -> float:
    """``count`` requests per second over the part of ``[start, now]`` holding data: from
    the later of ``start`` and ``first`` (the first sample) to ``now``, at least a second."""
    if count == 0:
        return 0.0
    begin = max(start, first) if math.isfinite(first) else start
    return count / max(now - begin, 1.0)


def add_counts_by_hour(into: dict[int, int], other: dict[int, int]) -> None:
    """Add an hourly distribution to another."""
    for hour, n in other.items():
        into[hour] = into.get(hour, 0) + n


def summarise(
    name: str,
    label: str,
    pieces: list[MetricBucket],
    covered: float,
    now: float,
    recent: Recent | None = None,
) -> OperationMetrics:
    """Merge the buckets ``pieces`` (covering ``[covered, now]``) into figures."""
    total, hourly = merge_pieces(pieces, covered)
    return figures(name, label, total, hourly, covered, now, recent)


def merge_pieces(
    pieces: Iterable[MetricBucket], covered: float
) -> tuple[MetricBucket, dict[int, int]]:
    """The buckets merged into one (sketch included), and the requests by hour of day."""
    pieces = list(pieces)
    total = MetricBucket(math.floor(covered))
    hourly: dict[int, int] = {}
    for piece in pieces:
        total.merge(piece, sketch=False)
        by_hour = getattr(piece, "hourly", None)  # a rolling window's minutes, by hour
        if by_hour is not None:
            add_counts_by_hour(hourly, by_hour)
        elif piece.count:
            hour = (piece.start // 3600) % 24
            hourly[hour] = hourly.get(hour, 0) + piece.count
    total.sketch = LatencySketch.merged(p.sketch for p in pieces)
    return total, hourly


def figures(
    name: str,
    label: str,
    total: MetricBucket,
    hourly: dict[int, int],
    covered: float,
    now: float,
    recent: Recent | None = None,
) -> OperationMetrics:
    """The figures of a merged bucket ``total`` covering ``[covered, now]``."""
    p50, p90, p99 = (min(v, total.max_ms) for v in total.sketch.quantiles(QUANTILES))
    count = total.count
    ok = count - total.failed
    faults = fault_counts(total.codes)
    ranked = sorted(total.groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
    last = recent if recent is not None else Recent(start=now - CURRENT_SECONDS)
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
        requests_per_second=rate(count, total.first, covered, now),
        window_start=utc(covered),
        window_end=utc(now),
        client_errors=faults.client,
        server_errors=faults.server,
        timeouts=faults.timeout,
        cancelled=faults.cancelled,
        availability=availability_of(count, faults.server, faults.timeout),
        client_error_rate=faults.client / count if count else 0.0,
        current_requests_per_second=rate(last.requests, last.first, last.start, now),
    )
