"""The state machine of one alert: measure its metric, then move it along.

::

    ok ──breach──> pending ──breach held for_seconds──> firing ──no breach──> resolved
    ^                 │ no breach                                    │ breach
    └─────────────────┘                                              └──> pending

A resolved alert does not fire again before ``cooldown_seconds`` have passed since it
resolved (it stays pending meanwhile), which keeps a flapping metric from paging twice.
"""

from __future__ import annotations

import datetime as dt
import enum
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

from rfs_monitoring.alerts.config import ALERT_METRICS, AlertConfiguration, AlertState
from rfs_monitoring.alerts.events import AlertEvent, AlertNotification, AlertStatus, utc
from rfs_monitoring.metrics import OperationMetrics

__all__ = ["UNREADABLE", "AlertTracker", "Unreadable", "describe", "measure"]

# Metrics that mean nothing without requests in the window ("no data" never fires).
_NEEDS_REQUESTS = frozenset(ALERT_METRICS) - {"rps", "error_count"}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_LATENCY_FIELDS = {
    "p50_latency": "p50_response_time_ms",
    "p90_latency": "p90_response_time_ms",
    "p99_latency": "p99_response_time_ms",
    "avg_latency": "avg_response_time_ms",
    "max_latency": "max_response_time_ms",
}


class Unreadable(enum.Enum):
    """The figures could not be read (a collector fault, counted by the manager)."""

    UNREADABLE = "unreadable"


UNREADABLE = Unreadable.UNREADABLE


def measure(
    metrics: OperationMetrics | Unreadable | None, config: AlertConfiguration
) -> float | None:
    """The value ``config.metric`` has in ``metrics``; None means "no data".

    ``metrics`` is None for an operation never seen (or expired): it had no requests and no
    errors.
    """
    metric = config.metric
    if metrics is UNREADABLE:
        return None
    if metrics is None:
        return 0.0 if metric in ("rps", "error_count") else None
    if metric in _NEEDS_REQUESTS and metrics.total_requests < config.min_requests:
        return None
    if metric == "success_rate":
        return metrics.success_rate
    if metric == "error_rate":
        return metrics.failed_requests / metrics.total_requests
    if metric == "rps":
        return metrics.requests_per_second
    if metric == "error_count":
        return float(metrics.failed_requests)
    return float(getattr(metrics, _LATENCY_FIELDS[metric]))


def describe(config: AlertConfiguration, value: float | None, state: str) -> str:
    """The one-line message of a state change or notification."""
    shown = "no data" if value is None else f"{value:.4g}"
    return (
        f"[{state}] {config.operation}: {config.metric} is {shown} "
        f"(alert when {config.comparison} {config.threshold:g} over {config.window})"
    )


@dataclass
class AlertTracker:
    """One rule and where it stands (times in epoch seconds)."""

    alert_id: str
    config: AlertConfiguration
    state: AlertState = "ok"
    value: float | None = None
    pending_since: float | None = None
    fired_at: float | None = None
    resolved_at: float | None = None
    last_evaluated_at: float | None = None

    def snapshot(self) -> AlertStatus:
        """A frozen copy, with datetimes."""
        return AlertStatus(
            alert_id=self.alert_id,
            config=self.config,
            state=self.state,
            value=self.value,
            pending_since=utc(self.pending_since),
            fired_at=utc(self.fired_at),
            resolved_at=utc(self.resolved_at),
            last_evaluated_at=utc(self.last_evaluated_at),
        )

    def advance(
        self, value: float | None, now: float
    ) -> tuple[list[AlertEvent], AlertNotification | None]:
        """Take the value measured at ``now``: the state changes, and what to notify."""
        config = self.config
        self.value = value
        self.last_evaluated_at = now
        events: list[AlertEvent] = []
        if value is not None and _COMPARE[config.comparison](value, config.threshold):
            if self.state in ("ok", "resolved"):
                events.append(self._transition("pending", now))
                self.pending_since = now
            if self._due(now):
                self.fired_at = now
                self.resolved_at = None
                events.append(self._transition("firing", now))
                return events, self._notification("firing", now)
        elif self.state == "pending":
            self.pending_since = None
            events.append(self._transition("ok", now))
        elif self.state == "firing":
            self.resolved_at = now
            self.pending_since = None
            events.append(self._transition("resolved", now))
            return events, self._notification("resolved", now)
        return events, None

    def _due(self, now: float) -> bool:
        """A pending breach held long enough, out of the cooldown: time to fire."""
        config = self.config
        cooling = self.resolved_at is not None and now - self.resolved_at < config.cooldown_seconds
        return (
            self.state == "pending"
            and self.pending_since is not None
            and not cooling
            and now - self.pending_since >= config.for_seconds
        )

    def _transition(self, state: AlertState, now: float) -> AlertEvent:
        event = AlertEvent(
            alert_id=self.alert_id,
            name=self.config.label,
            previous_state=self.state,
            state=state,
            value=self.value,
            threshold=self.config.threshold,
            timestamp=cast(dt.datetime, utc(now)),
            message=describe(self.config, self.value, state),
        )
        self.state = state
        return event

    def _notification(self, state: Literal["firing", "resolved"], now: float) -> AlertNotification:
        config = self.config
        return AlertNotification(
            alert_id=self.alert_id,
            name=config.label,
            state=state,
            severity=config.severity,
            operation=config.operation,
            metric=config.metric,
            comparison=config.comparison,
            threshold=config.threshold,
            value=self.value,
            window=config.window,
            message=describe(config, self.value, state),
            description=config.description,
            timestamp=cast(dt.datetime, utc(now)),
            fired_at=utc(self.fired_at),
            resolved_at=utc(self.resolved_at),
        )
