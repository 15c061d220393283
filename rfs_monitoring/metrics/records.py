"""The records the collector hands out: samples, window figures, error groups, totals, series."""

from __future__ import annotations

import dataclasses
import datetime as _dt

from rfs_monitoring.metrics.sketch import LatencySketch

__all__ = [
    "ErrorSummary",
    "MetricSample",
    "OperationMetrics",
    "OperationTotals",
    "SeriesPoint",
    "TierSizes",
]


@dataclasses.dataclass
class MetricSample:
    """One recorded outcome, as subscribers receive it (the message as recorded)."""

    operation: str
    success: bool
    duration_ms: float
    error_code: str | None
    error_type: str | None
    error_message: str | None
    timestamp: float


@dataclasses.dataclass
class OperationMetrics:
    """Figures of one operation (or ``"*"``: all of them) over a time window.

    Durations are in milliseconds; quantiles are within 1% of the exact value.
    ``hourly_distribution`` maps the UTC hour of day to the request count;
    ``window_start`` is the start of the oldest bucket used (windows are covered by whole
    buckets, so it may lie a little before ``window_end - time_range``).
    """

    operation_name: str
    time_window: str
    total_requests: int
    successful_requests: int
    failed_requests: int
    success_rate: float
    avg_response_time_ms: float
    p50_response_time_ms: float
    p90_response_time_ms: float
    p99_response_time_ms: float
    max_response_time_ms: float
    error_breakdown: dict[str, int]
    top_errors: list[tuple[str, int]]
    avg_memory_usage_mb: float
    avg_cpu_usage_percent: float
    hourly_distribution: dict[int, int]
    requests_per_second: float
    window_start: _dt.datetime
    window_end: _dt.datetime


@dataclasses.dataclass
class ErrorSummary:
    """One group of errors sharing a normalised (and masked) message."""

    message: str
    error_code: str | None
    count: int
    last_seen: _dt.datetime
    operations: list[str]


@dataclasses.dataclass
class OperationTotals:
    """Lifetime totals of one operation (what the Prometheus / OTel exporters publish)."""

    operation: str
    total: int
    failed: int
    sum_ms: float
    error_codes: dict[str, int]
    sketch: LatencySketch


@dataclasses.dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One step of a chart series (``ResultMetricsCollector.series``).

    Attributes:
        start: the UTC start of the step.
        seconds: the step's width.
        requests / failures: what the step counted.
        p50_ms / p90_ms / p99_ms: latency quantiles (within 1%); None without timed samples.
    """

    start: _dt.datetime
    seconds: float
    requests: int
    failures: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None

    @property
    def success_rate(self) -> float | None:
        """Share of the step's requests that succeeded; None when it had none."""
        if self.requests == 0:
            return None
        return (self.requests - self.failures) / self.requests


@dataclasses.dataclass(frozen=True, slots=True)
class TierSizes:
    """What one operation holds in memory (``ResultMetricsCollector.tier_sizes``).

    Attributes:
        pending: samples buffered in the live second, not folded yet.
        seconds / minutes / hours / days: closed buckets kept in each tier.
    """

    pending: int
    seconds: int
    minutes: int
    hours: int
    days: int
