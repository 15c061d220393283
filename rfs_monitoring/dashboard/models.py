"""The monitoring API's response and request models (dataclasses FastAPI serialises)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from rfs_monitoring.alerts import AlertStatus
from rfs_monitoring.metrics import SeriesPoint as BucketPoint

__all__ = [
    "HealthStatus",
    "HealthSummary",
    "LogLevelRequest",
    "LogLevelState",
    "OperationHealth",
    "OperationSummary",
    "ResultPatternHealth",
    "SeriesPoint",
]

HealthStatus = Literal["healthy", "degraded", "unhealthy"]


@dataclasses.dataclass
class OperationSummary:
    """Headline figures of one operation (a row of ``GET /operations``)."""

    operation_name: str
    total_requests: int
    failed_requests: int
    success_rate: float
    p50_response_time_ms: float
    p90_response_time_ms: float
    p99_response_time_ms: float
    requests_per_second: float
    status: HealthStatus
    availability: float = 1.0
    """Share of the calls without a server fault or timeout (what health judges)."""
    client_error_rate: float = 0.0
    """Share of the calls answered with a client error (4xx): shown, not judged."""
    current_requests_per_second: float = 0.0
    """Requests per second over the last minute (``requests_per_second``: the average
    over the part of the window holding data)."""


@dataclasses.dataclass
class OperationHealth:
    """Health of one operation and the reasons for it."""

    operation_name: str
    status: HealthStatus
    total_requests: int
    success_rate: float
    p99_response_time_ms: float
    reasons: list[str]
    availability: float = 1.0
    client_error_rate: float = 0.0


@dataclasses.dataclass
class ResultPatternHealth:
    """Overall health of the Result-returning operations (``GET /health/result-patterns``)."""

    status: HealthStatus
    time_range: str
    checked_at: dt.datetime
    total_requests: int
    overall_success_rate: float
    operations: list[OperationHealth]
    firing_alerts: list[AlertStatus]
    logging: dict[str, int]
    logging_dropped: int
    collector: dict[str, int]
    collector_memory_bytes: int
    overall_availability: float = 1.0
    overall_client_error_rate: float = 0.0


@dataclasses.dataclass
class HealthSummary:
    """The health answer without credentials: the overall status only.

    Operation names, reasons and alert texts are shown (``ResultPatternHealth``) only to a
    request that passes the router's ``auth``.
    """

    status: HealthStatus


@dataclasses.dataclass
class SeriesPoint:
    """One time step of a chart series (``GET /timeseries``); None when it had no requests.

    ``failures`` is every call that did not succeed; ``client_errors``, ``server_errors``,
    ``timeouts`` and ``cancelled`` split them by fault (the volume chart stacks them).
    """

    timestamp: dt.datetime
    requests: int
    failures: int
    success_rate: float | None
    p50_response_time_ms: float | None
    p90_response_time_ms: float | None
    p99_response_time_ms: float | None
    client_errors: int = 0
    server_errors: int = 0
    timeouts: int = 0
    cancelled: int = 0
    availability: float | None = None

    @classmethod
    def of(cls, point: BucketPoint) -> SeriesPoint:
        """The JSON shape of one of the collector's ``rfs_monitoring.metrics.SeriesPoint``."""
        return cls(
            timestamp=point.start,
            requests=point.requests,
            failures=point.failures,
            success_rate=point.success_rate,
            p50_response_time_ms=point.p50_ms,
            p90_response_time_ms=point.p90_ms,
            p99_response_time_ms=point.p99_ms,
            client_errors=point.client_errors,
            server_errors=point.server_errors,
            timeouts=point.timeouts,
            cancelled=point.cancelled,
            availability=point.availability,
        )


@dataclasses.dataclass
class LogLevelRequest:
    """Body of ``PUT /log-levels``: a level name, for one operation or (None) globally."""

    level: str
    operation: str | None = None


@dataclasses.dataclass
class LogLevelState:
    """The log level now in force for ``operation`` (None: the global one)."""

    level: str
    operation: str | None = None
