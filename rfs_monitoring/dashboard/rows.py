"""The rows of the dashboard's tables, formatted as text: operations, errors, alerts, history.

Each row is a frozen dataclass of strings (the page's first paint and its JSON at
``/dashboard/data`` carry the same rows); the builders are the one place figures become text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import urllib.parse

from rfs_monitoring.alerts import AlertEvent, AlertStatus
from rfs_monitoring.dashboard.models import HealthStatus
from rfs_monitoring.metrics import ErrorSummary, OperationMetrics

__all__ = [
    "AlertRow",
    "ErrorRow",
    "HistoryRow",
    "OperationRow",
    "alert_row",
    "error_row",
    "history_row",
    "ms",
    "operation_row",
    "pct",
    "when",
]


def pct(rate: float | None) -> str:
    """A fraction as a percentage with two decimals ("–" for None)."""
    return "–" if rate is None else f"{rate * 100:.2f}%"


def ms(value: float | None) -> str:
    """Milliseconds with one decimal ("–" for None)."""
    return "–" if value is None else f"{value:,.1f} ms"


def when(moment: dt.datetime | None) -> str:
    """A moment in UTC to the second ("–" for None)."""
    if moment is None:
        return "–"
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclasses.dataclass(frozen=True)
class OperationRow:
    """One row of the operations table; ``link`` selects the operation's charts.

    ``rps`` is the average over the part of the window holding data, ``rps_now`` the
    current rate (last minute).
    """

    name: str
    link: str
    requests: str
    availability: str
    client_errors: str
    success: str
    p50: str
    p90: str
    p99: str
    rps: str
    rps_now: str
    status: HealthStatus
    reasons: str


@dataclasses.dataclass(frozen=True)
class ErrorRow:
    """One row of the top-errors table (``message`` selects its examples)."""

    message: str
    code: str
    count: str
    last_seen: str
    operations: str


@dataclasses.dataclass(frozen=True)
class AlertRow:
    """One row of the firing-alerts table ("" when not acknowledged / not silenced)."""

    alert_id: str
    label: str
    severity: str
    operation: str
    condition: str
    value: str
    firing_since: str
    acknowledged: str
    silenced_until: str


@dataclasses.dataclass(frozen=True)
class HistoryRow:
    """One alert event: a state change ("pending → firing") or an action ("acknowledged")."""

    time: str
    name: str
    change: str
    message: str


@functools.lru_cache(maxsize=4096)
def _quoted(name: str) -> str:
    """``name`` quoted for a query string (kept: the same names on every refresh)."""
    return urllib.parse.quote(name, safe="")


def operation_row(
    metrics: OperationMetrics, judged: tuple[HealthStatus, list[str]], link_prefix: str
) -> OperationRow:
    """The row of one operation, judged by the health rule."""
    status, reasons = judged
    seen = metrics.total_requests > 0
    return OperationRow(
        name=metrics.operation_name,
        link=f"{link_prefix}{_quoted(metrics.operation_name)}",
        requests=f"{metrics.total_requests:,}",
        availability=pct(metrics.availability if seen else None),
        client_errors=pct(metrics.client_error_rate if seen else None),
        success=pct(metrics.success_rate if seen else None),
        p50=ms(metrics.p50_response_time_ms),
        p90=ms(metrics.p90_response_time_ms),
        p99=ms(metrics.p99_response_time_ms),
        rps=f"{metrics.requests_per_second:.2f}",
        rps_now=f"{metrics.current_requests_per_second:.2f}",
        status=status,
        reasons="; ".join(reasons),
    )


def error_row(error: ErrorSummary) -> ErrorRow:
    """The row of one error group."""
    return ErrorRow(
        message=error.message,
        code=error.error_code or "–",
        count=f"{error.count:,}",
        last_seen=when(error.last_seen),
        operations=", ".join(error.operations),
    )


def alert_row(alert: AlertStatus) -> AlertRow:
    """The row of one firing alert."""
    config = alert.config
    return AlertRow(
        alert_id=alert.alert_id,
        label=config.label,
        severity=config.severity,
        operation=config.operation,
        condition=f"{config.metric} {config.comparison} {config.threshold:g} over {config.window}",
        value=(f"no data: {alert.reason}" if alert.reason else "no data")
        if alert.value is None
        else f"{alert.value:.4g}",
        firing_since=when(alert.fired_at),
        acknowledged="" if alert.acknowledged_at is None else when(alert.acknowledged_at),
        silenced_until="" if alert.silenced_until is None else when(alert.silenced_until),
    )


def history_row(event: AlertEvent) -> HistoryRow:
    """The row of one alert event."""
    change = (
        f"{event.previous_state} → {event.state}" if event.action == "transition" else event.action
    )
    return HistoryRow(when(event.timestamp), event.name, change, event.message)
