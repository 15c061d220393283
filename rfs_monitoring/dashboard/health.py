"""The one health rule: when an operation, and the whole service, is degraded or unhealthy.

An operation is judged by ``HealthThresholds.judge`` (success rate and p99 over a window);
the service is the worst of its operations, made at least degraded by a firing alert and
unhealthy by a firing critical one (``overall_status``). The health endpoint and the
dashboard both go through ``overall_status``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from rfs_monitoring.alerts import AlertManager, AlertStatus
from rfs_monitoring.dashboard.models import (
    HealthStatus,
    OperationHealth,
    OperationSummary,
    ResultPatternHealth,
)
from rfs_monitoring.dashboard.queries import is_finite_number
from rfs_monitoring.dashboard.threads import off_the_loop
from rfs_monitoring.errors import ConfigurationError
from rfs_monitoring.metrics import (
    OperationMetrics,
    ResultMetricsCollector,
    parse_time_range,
    query,
)
from rfs_monitoring.result_logging import logging_stats

__all__ = [
    "HealthThresholds",
    "check_health",
    "health_report",
    "overall_status",
    "summarise",
    "worst",
]

_RANK: dict[str, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}


def worst(a: HealthStatus, b: HealthStatus) -> HealthStatus:
    """The worse of two statuses."""
    return a if _RANK[a] >= _RANK[b] else b


@dataclasses.dataclass(frozen=True)
class HealthThresholds:
    """When an operation counts as degraded or unhealthy (over ``time_range``).

    Args:
        degraded_success_rate: below this success rate (0..1) an operation is degraded.
        unhealthy_success_rate: below this one it is unhealthy.
        degraded_p99_ms: above this p99 latency it is degraded.
        unhealthy_p99_ms: above this one it is unhealthy.
        min_requests: with fewer requests in the window an operation is healthy (no signal).
        time_range: the window judged.
    """

    degraded_success_rate: float = 0.99
    unhealthy_success_rate: float = 0.95
    degraded_p99_ms: float = 1000.0
    unhealthy_p99_ms: float = 5000.0
    min_requests: int = 1
    time_range: str = "5m"

    def __post_init__(self) -> None:
        for name in ("degraded_success_rate", "unhealthy_success_rate"):
            value = getattr(self, name)
            if not is_finite_number(value) or not 0.0 <= value <= 1.0:
                msg = f"HealthThresholds.{name} must be a fraction in 0..1, got {value!r}"
                raise ConfigurationError(msg)
        for name in ("degraded_p99_ms", "unhealthy_p99_ms"):
            value = getattr(self, name)
            if not is_finite_number(value) or value <= 0:
                msg = f"HealthThresholds.{name} must be a number of milliseconds > 0, got {value!r}"
                raise ConfigurationError(msg)
        self._check_order()
        if (
            isinstance(self.min_requests, bool)
            or not isinstance(self.min_requests, int)
            or self.min_requests < 1
        ):
            msg = f"HealthThresholds.min_requests must be an int >= 1, got {self.min_requests!r}"
            raise ConfigurationError(msg)
        parsed = parse_time_range(self.time_range)
        if parsed.is_failure():
            raise ConfigurationError("HealthThresholds." + parsed.unwrap_error().message)

    def _check_order(self) -> None:
        if self.unhealthy_success_rate > self.degraded_success_rate:
            msg = (
                f"HealthThresholds.unhealthy_success_rate ({self.unhealthy_success_rate}) must "
                f"not exceed degraded_success_rate ({self.degraded_success_rate})"
            )
            raise ConfigurationError(msg)
        if self.unhealthy_p99_ms < self.degraded_p99_ms:
            msg = (
                f"HealthThresholds.unhealthy_p99_ms ({self.unhealthy_p99_ms}) must not be "
                f"below degraded_p99_ms ({self.degraded_p99_ms})"
            )
            raise ConfigurationError(msg)

    def judge(self, metrics: OperationMetrics) -> tuple[HealthStatus, list[str]]:
        """The status of ``metrics`` and the reasons (empty when healthy)."""
        if metrics.total_requests < self.min_requests:
            return "healthy", []
        reasons: list[str] = []
        status: HealthStatus = "healthy"
        rate, p99 = metrics.success_rate, metrics.p99_response_time_ms
        if rate < self.unhealthy_success_rate:
            status = "unhealthy"
            reasons.append(f"success rate {rate:.1%} < {self.unhealthy_success_rate:.1%}")
        elif rate < self.degraded_success_rate:
            status = "degraded"
            reasons.append(f"success rate {rate:.1%} < {self.degraded_success_rate:.1%}")
        if p99 > self.unhealthy_p99_ms:
            status = "unhealthy"
            reasons.append(f"p99 {p99:.1f} ms > {self.unhealthy_p99_ms:g} ms")
        elif p99 > self.degraded_p99_ms:
            status = worst(status, "degraded")
            reasons.append(f"p99 {p99:.1f} ms > {self.degraded_p99_ms:g} ms")
        return status, reasons


def overall_status(judged: Iterable[HealthStatus], firing: Iterable[AlertStatus]) -> HealthStatus:
    """The service's status: its worst operation, worsened by firing alerts.

    A firing alert makes it at least degraded, a firing ``critical`` one unhealthy.
    """
    status: HealthStatus = "healthy"
    for each in judged:
        status = worst(status, each)
    alerts = list(firing)
    if alerts:
        critical = any(a.config.severity == "critical" for a in alerts)
        status = worst(status, "unhealthy" if critical else "degraded")
    return status


def summarise(metrics: OperationMetrics, thresholds: HealthThresholds) -> OperationSummary:
    """The ``GET /operations`` row of one operation."""
    return OperationSummary(
        operation_name=metrics.operation_name,
        total_requests=metrics.total_requests,
        failed_requests=metrics.failed_requests,
        success_rate=metrics.success_rate,
        p50_response_time_ms=metrics.p50_response_time_ms,
        p90_response_time_ms=metrics.p90_response_time_ms,
        p99_response_time_ms=metrics.p99_response_time_ms,
        requests_per_second=metrics.requests_per_second,
        status=thresholds.judge(metrics)[0],
    )


def health_report(
    collector: ResultMetricsCollector,
    alert_manager: AlertManager,
    thresholds: HealthThresholds,
) -> ResultPatternHealth:
    """The answer of ``GET /health/result-patterns`` (synchronous: run it in a worker thread)."""
    # one read of each operation's buckets serves its status and the overall figures
    read = query.dashboard(collector, collector.operation_names(), thresholds.time_range)
    overall = read.unwrap().overall
    operations = []
    for metrics in read.unwrap().operations:
        judged, reasons = thresholds.judge(metrics)
        operations.append(
            OperationHealth(
                operation_name=metrics.operation_name,
                status=judged,
                total_requests=metrics.total_requests,
                success_rate=metrics.success_rate,
                p99_response_time_ms=metrics.p99_response_time_ms,
                reasons=reasons,
            )
        )
    firing = alert_manager.firing()
    log_counters = dict(logging_stats())
    collector_stats = {k: v for k, v in collector.stats().items() if isinstance(v, int)}
    return ResultPatternHealth(
        status=overall_status([op.status for op in operations], firing),
        time_range=thresholds.time_range,
        checked_at=dt.datetime.now(tz=dt.timezone.utc),
        total_requests=overall.total_requests,
        overall_success_rate=overall.success_rate if overall.total_requests else 1.0,
        operations=operations,
        firing_alerts=firing,
        logging=log_counters,
        logging_dropped=int(log_counters.get("dropped", 0)),
        collector=collector_stats,
        collector_memory_bytes=int(collector_stats.get("memory_bytes", 0)),
    )


check_health = off_the_loop(
    health_report, "``health_report`` computed in a worker thread (never on the event loop)."
)
