"""The one health rule: when an operation, and the whole service, is degraded or unhealthy.

An operation is judged by ``HealthThresholds.judge`` on its availability (the share of
calls without a server fault or a timeout) and its p99 over a window: client errors (4xx,
e.g. 30 NOT_FOUND answers of 130 lookups) are shown but never make it unhealthy, unless
the operation is named in ``HealthThresholds.client_errors_count`` (then its success rate is
judged instead). The service is the worst of its operations, made at least degraded by a
firing alert and unhealthy by a firing critical one (``overall_status``). The health
endpoint, the status badges and the dashboard all go through ``judge`` and
``overall_status``.
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
from rfs_monitoring.metrics import MetricsSource, OperationMetrics, parse_time_range
from rfs_monitoring.metrics.source import source_value
from rfs_monitoring.result_logging import logging_stats

__all__ = [
    "HealthThresholds",
    "check_health",
    "health_report",
    "judged_rate",
    "overall_status",
    "summarise",
    "worst",
]

_RANK: dict[str, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}


def worst(a: HealthStatus, b: HealthStatus) -> HealthStatus:
    """The worse of two statuses."""
    return a if _RANK[a] >= _RANK[b] else b


def judged_rate(metrics: OperationMetrics, client_errors_count: bool) -> tuple[str, float]:
    """The rate health judges and its name: the availability, or (``client_errors_count``)
    the success rate, where client errors count as failures too."""
    if client_errors_count:
        return "success rate", metrics.success_rate
    return "availability", metrics.availability


@dataclasses.dataclass(frozen=True)
class HealthThresholds:
    """When an operation counts as degraded or unhealthy (over ``time_range``).

    Args:
        degraded_availability: below this availability (0..1: the share of calls without a
            server fault or timeout) an operation is degraded.
        unhealthy_availability: below this one it is unhealthy.
        degraded_p99_ms: above this p99 latency it is degraded.
        unhealthy_p99_ms: above this one it is unhealthy.
        min_requests: with fewer requests in the window an operation is healthy (no signal).
        time_range: the window judged.
        client_errors_count: operations whose client errors (4xx) count against their
            health: for them the success rate is judged instead of the availability
            (``"*"``: every operation). Empty by default: a lookup answering NOT_FOUND is
            doing its job.
    """

    degraded_availability: float = 0.99
    unhealthy_availability: float = 0.95
    degraded_p99_ms: float = 1000.0
    unhealthy_p99_ms: float = 5000.0
    min_requests: int = 1
    time_range: str = "5m"
    client_errors_count: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("degraded_availability", "unhealthy_availability"):
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
        self._check_operations()

    def _check_operations(self) -> None:
        names: object = self.client_errors_count
        if isinstance(names, str) or not isinstance(names, (frozenset, set, tuple, list)):
            msg = (
                "HealthThresholds.client_errors_count must be a set of operation names "
                f"(or {{'*'}} for all), got {names!r}"
            )
            raise ConfigurationError(msg)
        bad = [n for n in names if not isinstance(n, str) or not n]
        if bad:
            msg = f"HealthThresholds.client_errors_count holds non-names: {bad!r}"
            raise ConfigurationError(msg)
        object.__setattr__(self, "client_errors_count", frozenset(names))

    def _check_order(self) -> None:
        if self.unhealthy_availability > self.degraded_availability:
            msg = (
                f"HealthThresholds.unhealthy_availability ({self.unhealthy_availability}) must "
                f"not exceed degraded_availability ({self.degraded_availability})"
            )
            raise ConfigurationError(msg)
        if self.unhealthy_p99_ms < self.degraded_p99_ms:
            msg = (
                f"HealthThresholds.unhealthy_p99_ms ({self.unhealthy_p99_ms}) must not be "
                f"below degraded_p99_ms ({self.degraded_p99_ms})"
            )
            raise ConfigurationError(msg)

    def counts_client_errors(self, operation: str) -> bool:
        """Whether ``operation``'s client errors count against its health."""
        names = self.client_errors_count
        return "*" in names or operation in names

    def judge(self, metrics: OperationMetrics) -> tuple[HealthStatus, list[str]]:
        """The status of ``metrics`` and the reasons (empty when healthy)."""
        if metrics.total_requests < self.min_requests:
            return "healthy", []
        reasons: list[str] = []
        status: HealthStatus = "healthy"
        name, rate = judged_rate(metrics, self.counts_client_errors(metrics.operation_name))
        p99 = metrics.p99_response_time_ms
        if rate < self.unhealthy_availability:
            status = "unhealthy"
            reasons.append(f"{name} {rate:.1%} < {self.unhealthy_availability:.1%}")
        elif rate < self.degraded_availability:
            status = "degraded"
            reasons.append(f"{name} {rate:.1%} < {self.degraded_availability:.1%}")
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
        availability=metrics.availability,
        client_error_rate=metrics.client_error_rate,
        current_requests_per_second=metrics.current_requests_per_second,
    )


def _operation_health(metrics: OperationMetrics, thresholds: HealthThresholds) -> OperationHealth:
    judged, reasons = thresholds.judge(metrics)
    return OperationHealth(
        operation_name=metrics.operation_name,
        status=judged,
        total_requests=metrics.total_requests,
        success_rate=metrics.success_rate,
        p99_response_time_ms=metrics.p99_response_time_ms,
        reasons=reasons,
        availability=metrics.availability,
        client_error_rate=metrics.client_error_rate,
    )


def health_report(
    collector: MetricsSource,
    alert_manager: AlertManager,
    thresholds: HealthThresholds,
) -> ResultPatternHealth:
    """The answer of ``GET /health/result-patterns`` (synchronous: run it in a worker thread)."""
    # one read of each operation's buckets serves its status and the overall figures
    read = source_value(collector.dashboard(thresholds.time_range))  # 503: raised, served
    overall = read.overall
    operations = [_operation_health(m, thresholds) for m in read.operations]
    firing = alert_manager.firing()
    log_counters = dict(logging_stats())
    collector_stats = {k: v for k, v in collector.stats().items() if isinstance(v, int)}
    seen = overall.total_requests > 0
    return ResultPatternHealth(
        status=overall_status([op.status for op in operations], firing),
        time_range=thresholds.time_range,
        checked_at=dt.datetime.now(tz=dt.timezone.utc),
        total_requests=overall.total_requests,
        overall_success_rate=overall.success_rate if seen else 1.0,
        operations=operations,
        firing_alerts=firing,
        logging=log_counters,
        logging_dropped=int(log_counters.get("dropped", 0)),
        collector=collector_stats,
        collector_memory_bytes=int(collector_stats.get("memory_bytes", 0)),
        overall_availability=overall.availability if seen else 1.0,
        overall_client_error_rate=overall.client_error_rate if seen else 0.0,
    )


check_health = off_the_loop(
    health_report, "``health_report`` computed in a worker thread (never on the event loop)."
)
