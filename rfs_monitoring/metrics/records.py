"""The records the collector hands out: samples, window figures, error groups, totals, series."""

from __future__ import annotations

import dataclasses
import datetime as _dt

from rfs_monitoring.metrics.sketch import LatencySketch

__all__ = [
    "ErrorExample",
    "ErrorSummary",
    "MetricSample",
    "OperationMetrics",
    "OperationTotals",
    "SeriesPoint",
    "TierSizes",
    "availability_of",
    "utc",
]


def availability_of(requests: int, server_errors: int, timeouts: int) -> float:
    """Share of ``requests`` without a server fault or a timeout (client errors and
    cancelled calls count as available); 1.0 without requests. The one definition every
    source and chart uses."""
    return (requests - server_errors - timeouts) / requests if requests else 1.0


def utc(t: float) -> _dt.datetime:
    """Epoch seconds as an aware UTC datetime."""
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc)


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

    Every failure belongs to one class through ``errors.classify_code`` of its code:
    ``client_errors`` (4xx), ``server_errors`` (5xx, and failures without a known code),
    ``timeouts`` (504) and ``cancelled`` (499); ``failed_requests`` is their sum.
    ``availability`` is the share of calls without a server fault or a timeout (cancelled
    calls count in the denominator and are not unavailable; 1.0 without calls);
    ``client_error_rate`` the share of client errors (0.0 without calls).

    ``requests_per_second`` is the count over the part of the window that holds data: from
    the later of the window's start and the first sample in it (or the collector's start)
    to now, at least one second. ``current_requests_per_second`` is the same over the last
    60 seconds.
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
    client_errors: int = 0
    server_errors: int = 0
    timeouts: int = 0
    cancelled: int = 0
    availability: float = 1.0
    client_error_rate: float = 0.0
    current_requests_per_second: float = 0.0


@dataclasses.dataclass
class ErrorSummary:
    """One group of errors sharing a normalised (and masked) message."""

    message: str
    error_code: str | None
    count: int
    last_seen: _dt.datetime
    operations: list[str]


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorExample:
    """One recent failure of an error group (``ResultMetricsCollector.error_examples``).

    Attributes:
        time: when it was recorded (UTC).
        operation: the operation that failed.
        error_code: its code as a label (masked), or None.
        message: its message, masked (not normalised).
        correlation_id / trace_id: read from the context of the failing call, when set.
    """

    time: _dt.datetime
    operation: str
    error_code: str | None
    message: str
    correlation_id: str | None
    trace_id: str | None


@dataclasses.dataclass
class OperationTotals:
    """Lifetime totals of one operation (what the Prometheus / OTel exporters publish)."""

    operation: str
    total: int
    failed: int
    sum_ms: float
    error_codes: dict[str, int]
    sketch: LatencySketch
    error_groups: dict[str, int] = dataclasses.field(default_factory=dict)
    """Failures by normalised message (``ErrorSummary.message``); at most
    ``max_error_groups`` groups, later ones under ``OTHER``."""


@dataclasses.dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One step of a chart series (``ResultMetricsCollector.series``).

    Attributes:
        start: the UTC start of the step.
        seconds: the step's width.
        requests / failures: what the step counted (failures: every non-success).
        p50_ms / p90_ms / p99_ms: latency quantiles (within 1%); None without timed samples.
        client_errors / server_errors / timeouts / cancelled: the failures by class
            (``errors.classify_code``).
    """

    start: _dt.datetime
    seconds: float
    requests: int
    failures: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    client_errors: int = 0
    server_errors: int = 0
    timeouts: int = 0
    cancelled: int = 0

    @property
    def success_rate(self) -> float | None:
        """Share of the step's requests that succeeded; None when it had none."""
        if self.requests == 0:
            return None
        return (self.requests - self.failures) / self.requests

    @property
    def availability(self) -> float | None:
        """Share of the step's requests without a server fault or a timeout; None when it
        had none."""
        if self.requests == 0:
            return None
        return availability_of(self.requests, self.server_errors, self.timeouts)


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
